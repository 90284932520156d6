"""Validation of a run against published indices and polls (``softpower validate``; see
docs/validation.md).

Targets (`sim.analysis.targets`), agreement statistics (`sim.analysis.agreement`) and naive
baselines (`sim.analysis.baselines`) live in their own modules; this one compares a run with them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.agreement import Agreement, bootstrap_agreement
from sim.analysis.baselines import index_baselines, poll_baselines
from sim.analysis.targets import MIN_OVERLAP, Target, load_target
from sim.errors import DataError, suggest
from sim.params import REGISTRY, Parameters
from sim.world.bundled import WORLDS, bundled_world
from sim.world.csvfile import number, read_rows
from sim.world.world import World

__all__ = [
    "choose_poles",
    "RankMiss",
    "ValidationReport",
    "validate_scores",
    "validate_leans",
    "RunOutputs",
    "load_run",
    "run_world",
    "validate_run",
]


@dataclass(frozen=True)
class RankMiss:
    """One nation's (or observer's) rank in the target and in the model, among those compared.

    Attributes:
        iso3: The nation (an observer for polls).
        target_rank: Rank in the target (1 = most soft power, or leaning most to A).
        model_rank: Rank in the model.
        target_value: The target's value as given in the file.
        model_value: The model's score (or lean).

    """

    iso3: str
    target_rank: int
    model_rank: int
    target_value: float
    model_value: float

    @property
    def miss(self) -> int:
        """Model rank minus target rank (positive: the model ranks it lower)."""
        return self.model_rank - self.target_rank


@dataclass(frozen=True)
class ValidationReport:
    """The figures of one validation.

    Attributes:
        target: The target file.
        kind: ``index`` or ``poll``.
        metric: The metric compared.
        higher_is_better: Orientation of the target's values.
        subject: What the model supplied (e.g. ``score at step 0 (2025-Q1)``).
        compared: Codes compared (nations or observers).
        not_modelled: Target codes that are not in the model's world.
        agreements: The model first, then each baseline.
        misses: The ten largest rank misses.
        bootstrap: Resamples, seed and level of the intervals.
        poles: The two actors of a poll's lean, else None.
        run: The run directory, if any.

    """

    target: str
    kind: str
    metric: str
    higher_is_better: bool
    subject: str
    compared: tuple[str, ...]
    not_modelled: tuple[str, ...]
    agreements: tuple[Agreement, ...]
    misses: tuple[RankMiss, ...]
    bootstrap: dict[str, Any]
    poles: tuple[str, str] | None = None
    run: str | None = None

    @property
    def model(self) -> Agreement:
        """The model's own agreement."""
        return self.agreements[0]

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "run": self.run,
            "target": self.target,
            "kind": self.kind,
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "poles": list(self.poles) if self.poles else None,
            "subject": self.subject,
            "n": len(self.compared),
            "compared": list(self.compared),
            "not_modelled": list(self.not_modelled),
            "model": self.model.to_dict(),
            "baselines": [a.to_dict() for a in self.agreements[1:]],
            "largest_rank_misses": [
                {
                    "iso3": m.iso3,
                    "target_rank": m.target_rank,
                    "model_rank": m.model_rank,
                    "miss": m.miss,
                    "target_value": m.target_value,
                    "model_value": round(m.model_value, 6),
                }
                for m in self.misses
            ],
            "bootstrap": self.bootstrap,
        }

    def to_json(self) -> str:
        """Return the report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        """Return the report as a plain-text table for a terminal."""
        b = self.bootstrap
        unit = "observers" if self.kind == "poll" else "nations"
        if self.kind == "poll":
            orient = "favourability"
        else:
            orient = "higher = more soft power" if self.higher_is_better else "1 = the most"
        lines = [
            f"target: {self.target} (metric {self.metric}, {orient})",
            f"model: {self.subject}" + (f" of run {self.run}" if self.run else ""),
        ]
        if self.poles:
            a, bb = self.poles
            lines.append(f"poll compared as lean {a} minus {bb} per observer nation")
        lines.append(f"{unit} compared: {len(self.compared)}")
        if self.not_modelled:
            lines.append(f"not in the model (skipped): {' '.join(self.not_modelled)}")
        lines.append(
            f"intervals: {b['level']:.0%} percentile bootstrap, {b['reps']} resamples of "
            f"{unit}, seed {b['seed']}; 'model better' = share of paired resamples where the "
            "model's Spearman beats the baseline's"
        )
        lines.append("")
        width = max(len(a.name) for a in self.agreements) + 2
        sign_col = self.kind == "poll"
        head = (
            f"{'':<{width}}{'n':>4}  {'Spearman':>8} {'95% CI':<15} {'Kendall':>7} {'95% CI':<15}"
        )
        head += f" {'model better':>12}" + (f" {'same sign':>9}" if sign_col else "")
        lines.append(head)

        def row(a: Agreement, label: str) -> str:
            def ci(v: tuple[float, float]) -> str:
                return f"[{v[0]:+.2f}, {v[1]:+.2f}]" if all(map(math.isfinite, v)) else "[  n/a ]"

            text = (
                f"{label:<{width}}{a.n:>4}  {a.spearman:>+8.3f} {ci(a.spearman_ci):<15} "
                f"{a.kendall:>+7.3f} {ci(a.kendall_ci):<15}"
            )
            better = "" if a.model_better is None else f"{a.model_better:.0%}"
            text += f" {better:>12}"
            if sign_col:
                text += f" {a.same_sign:>9.0%}" if a.same_sign is not None else f" {'':>9}"
            return text

        lines.append(row(self.model, "model"))
        lines.append("baselines from the model's inputs (no dynamics):")
        for baseline in self.agreements[1:]:
            lines.append(row(baseline, "  " + baseline.name))
        lines.append("")
        lines.append(
            f"largest rank misses (ranks among the {len(self.compared)} compared; "
            "+ = the model ranks it lower):"
        )
        lines.append(f"  {'code':<5} {'target':>6} {'model':>6} {'miss':>5}  target value")
        for m in self.misses:
            lines.append(
                f"  {m.iso3:<5} {m.target_rank:>6} {m.model_rank:>6} {m.miss:>+5d}  "
                f"{m.target_value:g}"
            )
        return "\n".join(lines)


def _ranks_desc(values: np.ndarray) -> np.ndarray:
    """1-based ranks, highest value first, ties broken by order (as `sim.model.metrics.rank`)."""
    order = np.argsort(-values, kind="stable")
    out = np.empty(len(values), dtype=int)
    out[order] = np.arange(1, len(values) + 1)
    return out


def _misses(
    codes: Sequence[str],
    observed: np.ndarray,
    predicted: np.ndarray,
    raw: Sequence[float],
    top: int = 10,
) -> tuple[RankMiss, ...]:
    t_rank, m_rank = _ranks_desc(observed), _ranks_desc(predicted)
    items = [
        RankMiss(c, int(t), int(m), float(r), float(p))
        for c, t, m, r, p in zip(codes, t_rank, m_rank, raw, predicted, strict=True)
    ]
    items.sort(key=lambda x: (-abs(x.miss), x.target_rank))
    return tuple(items[:top])


def _too_few(target: Target, n: int, unit: str, hint: str) -> DataError:
    return DataError(
        f"only {n} {unit} of the target are in the model",
        file=target.path,
        expected=f"at least {MIN_OVERLAP} {unit} in common with the run",
        suggestion=hint,
    )


def validate_scores(
    scores: Mapping[str, float],
    target: Target,
    world: World,
    *,
    subject: str = "score",
    reps: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    run: str | None = None,
) -> ValidationReport:
    """Compare nations' scores with an index target, and the baselines likewise.

    Args:
        scores: ``{iso3: score}`` from the model.
        target: An index `Target`.
        world: The world the run started from (for the baselines).
        subject: How to describe the model's numbers in the report.
        reps: Bootstrap resamples.
        seed: Bootstrap seed.
        level: Interval coverage.
        run: The run directory, for the report.

    Returns:
        The `ValidationReport`.

    Raises:
        DataError: Fewer than `MIN_OVERLAP` nations in common.

    """
    codes = [c for c in target.values if c in scores and c in world.iso3]
    missing = [c for c in target.values if c not in scores or c not in world.iso3]
    if len(codes) < MIN_OVERLAP:
        raise _too_few(
            target,
            len(codes),
            "nations",
            "the modelled nations are listed in sim/data/countries.csv",
        )
    oriented = target.oriented
    observed = np.array([oriented[c] for c in codes])
    model = np.array([scores[c] for c in codes])
    rows = [world.iso3.index(c) for c in codes]
    predictors = {"model": model}
    for name, values in index_baselines(world).items():
        predictors[name] = values[rows]
    agreements = bootstrap_agreement(
        observed, _ranking(predictors), reps=reps, seed=seed, level=level
    )
    agreements = [agreements[0], *sorted(agreements[1:], key=lambda a: -_finite(a.spearman))]
    return ValidationReport(
        target=target.path,
        kind="index",
        metric=target.metric,
        higher_is_better=target.higher_is_better,
        subject=subject,
        compared=tuple(codes),
        not_modelled=tuple(missing),
        agreements=tuple(agreements),
        misses=_misses(codes, observed, model, [target.values[c] for c in codes]),
        bootstrap={"reps": reps, "seed": seed, "level": level},
        run=run,
    )


def _ranking(predictors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The model and every baseline that ranks the compared units (a constant one cannot)."""
    return {name: v for name, v in predictors.items() if name == "model" or np.ptp(v) > 0}


def _finite(v: float) -> float:
    return v if math.isfinite(v) else -math.inf


def choose_poles(target: Target, poles: Sequence[str] | None) -> tuple[str, str]:
    """Return the two actors of a poll's lean: ``poles`` if given, USA and CHN if both are polled,
    else the only two targets of the file.

    Raises:
        DataError: No such pair.

    """
    targets = list(dict.fromkeys(t for _, t in target.values))
    if poles:
        if len(poles) != 2 or poles[0] == poles[1]:
            raise DataError(
                f"--poles {','.join(poles)} is not two different actors",
                key="--poles",
                expected="two ISO3 codes such as USA,CHN",
            )
        for p in poles:
            if p not in targets:
                raise DataError(
                    f"actor {p} is not polled",
                    file=target.path,
                    key="target",
                    expected=f"one of {' '.join(targets)}",
                    suggestion=suggest(p, targets),
                )
        return (poles[0], poles[1])
    if "USA" in targets and "CHN" in targets:
        return ("USA", "CHN")
    if len(targets) == 2:
        return (targets[0], targets[1])
    raise DataError(
        f"the poll covers {len(targets)} actors",
        file=target.path,
        key="target",
        expected="two actors to compare",
        suggestion="choose them with --poles A,B",
    )


def validate_leans(
    attraction: Mapping[tuple[str, str], float],
    target: Target,
    world: World,
    *,
    poles: Sequence[str] | None = None,
    parameters: Parameters | None = None,
    subject: str = "attraction",
    reps: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    run: str | None = None,
) -> ValidationReport:
    """Compare each observer's lean between two actors in a poll with the model's lean.

    The poll's lean is favourable-A minus favourable-B; the model's ``a[i,A] − a[i,B]``.

    Args:
        attraction: ``{(observer, target): a[i,k]}`` from the model.
        target: A poll `Target`.
        world: The world the run started from (for the baselines).
        poles: The two actors (see `choose_poles`).
        parameters: The run's parameters (for the structural-anchor baseline).
        subject: How to describe the model's numbers in the report.
        reps: Bootstrap resamples.
        seed: Bootstrap seed.
        level: Interval coverage.
        run: The run directory, for the report.

    Returns:
        The `ValidationReport`.

    Raises:
        DataError: A pole not in the model, or fewer than `MIN_OVERLAP` observers in common.

    """
    a, b = choose_poles(target, poles)
    for p in (a, b):
        if p not in world.iso3:
            raise DataError(
                f"actor {p} is not in the model",
                file=target.path,
                key="target",
                expected="an actor among the modelled nations",
                suggestion=suggest(p, world.iso3),
            )
    values = target.values
    observers = list(dict.fromkeys(o for o, _ in values))
    both = [o for o in observers if (o, a) in values and (o, b) in values and o not in (a, b)]
    codes = [o for o in both if o in world.iso3 and (o, a) in attraction and (o, b) in attraction]
    missing = [o for o in both if o not in codes]
    if len(codes) < MIN_OVERLAP:
        raise _too_few(
            target,
            len(codes),
            "observers polled on both actors",
            f"poll more of the modelled nations on {a} and {b}",
        )
    observed = np.array([values[(o, a)] - values[(o, b)] for o in codes])
    model = np.array([attraction[(o, a)] - attraction[(o, b)] for o in codes])
    rows = [world.iso3.index(o) for o in codes]
    predictors = {"model": model}
    for name, lean in poll_baselines(world, a, b, parameters).items():
        predictors[name] = lean[rows]
    agreements = bootstrap_agreement(
        observed, _ranking(predictors), reps=reps, seed=seed, level=level, signed=True
    )
    agreements = [agreements[0], *sorted(agreements[1:], key=lambda x: -_finite(x.spearman))]
    return ValidationReport(
        target=target.path,
        kind="poll",
        metric=target.metric,
        higher_is_better=True,
        subject=subject,
        compared=tuple(codes),
        not_modelled=tuple(missing),
        agreements=tuple(agreements),
        misses=_misses(codes, observed, model, list(observed)),
        bootstrap={"reps": reps, "seed": seed, "level": level},
        poles=(a, b),
        run=run,
    )


@dataclass(frozen=True)
class RunOutputs:
    """The files of a `softpower run` directory.

    Attributes:
        path: The directory.
        manifest: Parsed ``manifest.json`` (empty if absent).

    """

    path: Path
    manifest: dict[str, Any]

    def _rows(
        self, name: str, columns: Sequence[str], step: int | None
    ) -> tuple[int, str, list[dict[str, str]]]:
        """Return (step, date, rows at that step) of a run table; the last step by default."""
        file = self.path / name
        if not file.is_file():
            raise DataError(
                f"no {name} in the run directory",
                file=str(self.path),
                expected=f"the output of `softpower run` ({name})",
                suggestion="run `softpower run SCENARIO --out DIR` first",
            )
        by_step: dict[int, list[dict[str, str]]] = {}
        for line, row in read_rows(file, columns)[1]:
            try:
                key = int(row["step"])
            except (TypeError, ValueError):
                raise DataError(
                    f"step {row['step']!r} is not an integer", file=str(file), line=line, key="step"
                ) from None
            by_step.setdefault(key, []).append(row)
        if not by_step:
            raise DataError("no rows", file=str(file), expected="the output of `softpower run`")
        steps = sorted(by_step)
        chosen = steps[-1] if step is None else step
        if chosen not in by_step:
            raise DataError(
                f"step {step} is not in the run",
                file=str(file),
                key="--step",
                expected=f"a recorded step from {steps[0]} to {steps[-1]}",
                suggestion=f"use --step {steps[-1]} (the last)",
            )
        rows = by_step[chosen]
        return chosen, rows[0].get("date") or "", rows

    def _number(self, row: dict[str, str], key: str, name: str) -> float:
        return number(row[key], path=str(self.path / name), line=None, key=key)

    def scores(self, step: int | None = None) -> tuple[int, str, dict[str, float]]:
        """Return (step, date, ``{iso3: score}``) at ``step`` (default: the last)."""
        name = "soft_power.csv"
        chosen, date, rows = self._rows(name, ["step", "iso3", "score"], step)
        return chosen, date, {r["iso3"]: self._number(r, "score", name) for r in rows}

    def attraction(self, step: int | None = None) -> tuple[int, str, dict[tuple[str, str], float]]:
        """Return (step, date, ``{(observer, target): a}``) at ``step`` (default: the last)."""
        name = "perception.csv"
        chosen, date, rows = self._rows(name, ["step", "observer", "target", "value"], step)
        return (
            chosen,
            date,
            {(r["observer"], r["target"]): self._number(r, "value", name) for r in rows},
        )

    def parameters(self) -> Parameters | None:
        """The run's parameters from its manifest, if recorded."""
        values = self.manifest.get("parameters")
        if not isinstance(values, dict):
            return None
        # A run written by another version may name parameters this registry no longer has.
        known = {k: v for k, v in values.items() if k in REGISTRY}
        return Parameters.from_mapping(known, file=str(self.path / "manifest.json"))


def load_run(path: str | Path) -> RunOutputs:
    """Open a run directory written by ``softpower run``.

    Raises:
        DataError: Not a directory, or an unreadable manifest.

    """
    path = Path(path)
    if not path.is_dir():
        raise DataError(
            "run directory not found" if not path.exists() else "not a directory",
            file=str(path),
            expected="a directory written by `softpower run`",
            suggestion="run `softpower run SCENARIO --out DIR` first",
        )
    manifest: dict[str, Any] = {}
    file = path / "manifest.json"
    if file.is_file():
        try:
            manifest = json.loads(file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"not valid JSON ({exc})", file=str(file)) from None
    return RunOutputs(path, manifest if isinstance(manifest, dict) else {})


def run_world(outputs: RunOutputs) -> World:
    """Return the bundled world a run's manifest names (the default world if it names none).

    Raises:
        DataError: The manifest names a world that is not bundled (``custom``): pass ``world``.
    """
    name = outputs.manifest.get("world")
    if name is not None and name not in WORLDS:
        raise DataError(
            f"the run was made in world {name!r}, which is not bundled",
            file=str(outputs.path / "manifest.json"),
            key="world",
            expected="one of " + ", ".join(WORLDS),
            suggestion="validate it from Python with validate_run(..., world=<its World>)",
        )
    return bundled_world(name)


def validate_run(
    run: str | Path,
    target: str | Path,
    *,
    step: int | None = None,
    metric: str | None = None,
    poles: Sequence[str] | None = None,
    reps: int = 1000,
    seed: int = 0,
    world: World | None = None,
) -> ValidationReport:
    """Validate a run directory against a target file (what ``softpower validate`` does).

    Args:
        run: A directory written by ``softpower run``.
        target: The target CSV (an index, a long-format index, or a poll).
        step: The step compared (default: the last recorded).
        metric: For a long-format target, the metric (default: the ``*_score`` one).
        poles: For a poll, the two actors of the lean.
        reps: Bootstrap resamples.
        seed: Bootstrap seed.
        world: The world the run started from (default: the bundled world its manifest names,
            so a ``--world un193`` run is compared over every nation the target ranks).

    Returns:
        The `ValidationReport`.

    Raises:
        DataError: A bad run directory or target (see `load_run`, `load_target`).

    """
    outputs = load_run(run)
    world = world if world is not None else run_world(outputs)
    tgt = load_target(target, metric=metric, known=world.iso3)
    if tgt.kind == "poll":
        chosen, date, attraction = outputs.attraction(step)
        return validate_leans(
            attraction,
            tgt,
            world,
            poles=poles,
            parameters=outputs.parameters(),
            subject=f"attraction at step {chosen} ({date})",
            reps=reps,
            seed=seed,
            run=str(run),
        )
    chosen, date, scores = outputs.scores(step)
    return validate_scores(
        scores,
        tgt,
        world,
        subject=f"soft power score at step {chosen} ({date})",
        reps=reps,
        seed=seed,
        run=str(run),
    )
