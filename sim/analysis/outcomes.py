"""A batch as one row per run: its design (parameters and scenario) and its outcomes at a step.

Scenario discovery (`discover_batch`, ``softpower discover``) and the EMA Workbench bridge
(`batch_to_ema`) read a batch result directory through these functions: the design parameters
come from the JSON ``parameters`` column of ``runs.parquet`` plus the ``scenario`` of each run;
the outcomes are columns named as in the condition language (`sim.analysis.condition`):
``score[CHN]``, ``rank[USA]``, ``familiarity[BRA]``, ``reputation[BRA]`` from the
``soft_power`` table, ``attraction[MEX,USA]`` from ``perception`` and ``favourable[MEX,USA]``
from ``polls`` (observer, target) when the batch recorded them.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

from sim.analysis.condition import (
    OUTCOME_METRICS,
    Condition,
    column_name,
    outcome_columns,
    parse_condition,
)
from sim.analysis.discovery import Discovery, discover, to_ema
from sim.batch.store import part_schema, read_runs, read_table
from sim.errors import ExperimentError, SoftPowerError, SoftPowerWarning, suggest

__all__ = [
    "BatchDiscovery",
    "NATION_METRICS",
    "PAIR_METRICS",
    "available_metrics",
    "batch_to_ema",
    "design_table",
    "discover_batch",
    "last_step",
    "run_outcomes",
]

#: Per-nation outcomes and the ``soft_power`` column each reads.
NATION_METRICS: tuple[str, ...] = ("score", "rank", "familiarity", "reputation")
#: Per-pair outcomes (observer, target): metric → (table, column).
PAIR_METRICS: dict[str, tuple[str, str]] = {
    "attraction": ("perception", "value"),
    "favourable": ("polls", "favourable"),
}

_NAME = re.compile(r"^(\w+)\[([A-Z0-9,]+)\]$")
_NOT_A_BATCH = "a folder written by `softpower batch` (runs.parquet, soft_power/)"


def _ok_runs(root: Path) -> pd.DataFrame:
    if not (root / "runs.parquet").is_file():
        raise ExperimentError(
            "not a batch result (no runs.parquet)",
            file=str(root),
            expected=_NOT_A_BATCH,
            suggestion="run `softpower batch EXPERIMENT.yaml --out DIR` first",
        )
    runs = read_runs(root)
    ok = runs[runs["status"] == "ok"]
    if ok.empty:
        raise ExperimentError(
            "no run of the batch finished", file=str(root / "runs.parquet"), expected="ok runs"
        )
    return ok


def _has_table(root: Path, table: str) -> bool:
    return (root / table).is_dir() and any((root / table).rglob("*.parquet"))


def _columns_of(root: Path, table: str) -> list[str]:
    files = sorted((root / table).rglob("*.parquet"))
    return list(part_schema(files[0]).names) if files else []


def design_table(root: str | Path) -> pd.DataFrame:
    """Return the design of a batch: one row per ok run, indexed by ``run_id``.

    Columns: every design parameter (from the JSON ``parameters`` column of ``runs.parquet``;
    floats) and ``scenario``.

    Args:
        root: A batch result directory.

    Returns:
        The design table, in runs-table order.

    Raises:
        ExperimentError: Not a batch directory, or no run finished.

    """
    ok = _ok_runs(Path(root))
    params = [json.loads(text) if text else {} for text in ok["parameters"].fillna("")]
    design = pd.DataFrame(params, index=pd.Index(ok["run_id"].astype(str), name="run"))
    design["scenario"] = ok["scenario"].astype(str).to_numpy()
    return design


def available_metrics(root: str | Path) -> dict[str, int]:
    """Return the outcome metrics a batch recorded, with their number of ISO3 subscripts."""
    root = Path(root)
    present = set(_columns_of(root, "soft_power"))
    metrics = {m: 1 for m in NATION_METRICS if m in present}
    for metric, (table, column) in PAIR_METRICS.items():
        if _has_table(root, table) and column in _columns_of(root, table):
            metrics[metric] = 2
    return metrics


def last_step(root: str | Path) -> int:
    """Return the last step the batch's ``soft_power`` table holds."""
    steps = read_table(Path(root), "soft_power", columns=["step"])
    if steps.empty:
        raise ExperimentError(
            "the batch has no soft_power rows", file=str(root), expected=_NOT_A_BATCH
        )
    return int(steps["step"].max())


def _recorded_steps(root: Path, table: str, runs: pd.DataFrame) -> list[int]:
    first = runs.iloc[:1]
    steps = read_table(root, table, columns=["step"], runs=first)
    return sorted(int(s) for s in steps["step"].unique())


def run_outcomes(
    root: str | Path,
    columns: Sequence[str] | None = None,
    *,
    step: int | None = None,
) -> pd.DataFrame:
    """Return one row per ok run with the outcome ``columns`` at ``step``.

    Args:
        root: A batch result directory.
        columns: Outcome names such as ``score[CHN]`` or ``favourable[MEX,USA]`` (default:
            ``score`` and ``rank`` of every nation).
        step: The step (default: the last).

    Returns:
        Outcomes indexed by ``run_id`` (runs-table order), one column per name.

    Raises:
        SoftPowerError: An unknown outcome, a pair not recorded, or a step not recorded.

    """
    root = Path(root)
    ok = _ok_runs(root)
    step = last_step(root) if step is None else int(step)
    index = pd.Index(ok["run_id"].astype(str), name="run")
    scores = read_table(root, "soft_power", runs=ok, filter=ds.field("step") == step)
    if scores.empty:
        raise SoftPowerError(
            f"step {step} is not in the batch",
            key="--step",
            expected=f"a step from 0 to {last_step(root)}",
        )
    if columns is None:
        nations = list(dict.fromkeys(scores["iso3"].astype(str)))
        columns = outcome_columns({"score": 1, "rank": 1}, nations)
    result = pd.DataFrame(index=index)
    wanted: dict[str, list[tuple[str, ...]]] = {}
    for name in columns:
        match = _NAME.match(name)
        if match is None:
            raise SoftPowerError(f"bad outcome name {name!r}", expected="a name such as score[CHN]")
        wanted.setdefault(match.group(1), []).append(tuple(match.group(2).split(",")))
    for metric, subscripts in wanted.items():
        if metric in NATION_METRICS:
            if metric not in scores:
                raise SoftPowerError(
                    f"the batch did not record {metric!r}",
                    expected=f"one of {', '.join(m for m in NATION_METRICS if m in scores)}",
                )
            wide = scores.pivot_table(
                index="run_id", columns="iso3", values=metric, observed=True, aggfunc="first"
            )
            for (nation,) in subscripts:
                result[column_name(metric, [nation])] = wide[nation].reindex(index).to_numpy()
        elif metric in PAIR_METRICS:
            result = result.join(_pair_outcomes(root, ok, metric, subscripts, step))
        else:
            raise SoftPowerError(
                f"unknown outcome {metric!r}",
                expected=f"one of {', '.join([*NATION_METRICS, *PAIR_METRICS])}",
            )
    return result[list(dict.fromkeys(columns))]


def _pair_outcomes(
    root: Path, ok: pd.DataFrame, metric: str, pairs: list[tuple[str, ...]], step: int
) -> pd.DataFrame:
    table, column = PAIR_METRICS[metric]
    if not _has_table(root, table):
        raise SoftPowerError(
            f"the batch did not record {metric!r} (no {table}/ table)",
            file=str(root),
            expected="a batch of a model version that writes it",
        )
    targets = sorted({t for _, t in pairs})
    frame = read_table(
        root,
        table,
        columns=["run_id", "step", "observer", "target", column],
        runs=ok,
        filter=(ds.field("step") == step) & ds.field("target").isin(targets),
    )
    if frame.empty:
        recorded = _recorded_steps(root, table, ok)
        shown = ", ".join(map(str, recorded[:8])) + (" ..." if len(recorded) > 8 else "")
        raise SoftPowerError(
            f"{metric} is not recorded at step {step} toward {', '.join(targets)}",
            key="--step",
            expected=f"a recorded step ({shown}) and a recorded target",
            suggestion="record.every and record.perception_targets of the experiment set these",
        )
    frame = frame.astype({"observer": str, "target": str, "run_id": str})
    out = pd.DataFrame(index=pd.Index(ok["run_id"].astype(str), name="run"))
    for observer, target in pairs:
        picked = frame[(frame["observer"] == observer) & (frame["target"] == target)]
        if picked.empty:
            raise SoftPowerError(
                f"{metric}[{observer},{target}] is not recorded in this batch",
                expected="an observer other than the target and a recorded perception target",
                suggestion="add the target to record.perception_targets of the experiment",
            )
        values = picked.set_index("run_id")[column]
        out[column_name(metric, [observer, target])] = values.reindex(out.index).to_numpy()
    return out


@dataclass(frozen=True)
class BatchDiscovery:
    """What `discover_batch` found, with the tables it used.

    Attributes:
        discovery: PRIM boxes and the CART tree (`sim.analysis.discovery.Discovery`).
        condition: The parsed condition.
        step: The step of the outcomes.
        experiments: The design table (one row per run).
        outcomes: The outcomes the condition read (one row per run).
        flags: Whether each run is of interest.
        notes: Warnings turned into notes (e.g. no box reaches the density threshold).

    """

    discovery: Discovery
    condition: Condition
    step: int
    experiments: pd.DataFrame
    outcomes: pd.DataFrame
    flags: np.ndarray
    notes: tuple[str, ...] = ()


def discover_batch(
    root: str | Path,
    condition: str,
    *,
    step: int | None = None,
    threshold: float = 0.8,
    min_coverage: float = 0.5,
    scenario: str | None = None,
) -> BatchDiscovery:
    """Find where in a batch's design (parameters and scenario) a condition holds.

    Args:
        root: A batch result directory.
        condition: E.g. ``score[CHN] > score[USA]`` (`sim.analysis.condition`).
        step: The step of the outcomes (default: the last).
        threshold: Density the chosen box should reach.
        min_coverage: Coverage floor of the chosen box.
        scenario: Only this scenario's runs (default: every run, the scenario a parameter).

    Returns:
        The discovery; a box below ``threshold`` gives a note, not an error.

    Raises:
        SoftPowerError: A bad condition (one line, with a did-you-mean), an outcome the batch
            did not record, no or every run of interest, or no varying design parameter.

    """
    root = Path(root)
    experiments = design_table(root)
    step = last_step(root) if step is None else int(step)
    metrics = available_metrics(root)
    nations = _nations(root, step)
    unknown_metrics = {m: a for m, a in OUTCOME_METRICS.items() if m not in metrics}
    try:
        parsed = parse_condition(condition, metrics=metrics, nations=nations)
    except SoftPowerError as exc:
        word = re.search(r"unknown outcome '(\w+)'", exc.message)
        if word and word.group(1) in unknown_metrics:
            exc.message += " (this batch did not record it)"
        raise
    outcomes = run_outcomes(root, parsed.columns, step=step)
    if scenario is not None:
        names = list(dict.fromkeys(experiments["scenario"]))
        if scenario not in names:
            raise SoftPowerError(
                f"unknown scenario {scenario!r}",
                key="--scenario",
                expected=f"a scenario of the batch ({', '.join(names)})",
                suggestion=suggest(scenario, names),
            )
        keep = (experiments["scenario"] == scenario).to_numpy()
        experiments, outcomes = experiments[keep], outcomes[keep]
    flags = parsed.evaluate(outcomes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SoftPowerWarning)
        found = discover(experiments, flags, threshold=threshold, min_coverage=min_coverage)
    notes = tuple(str(w.message) for w in caught if issubclass(w.category, SoftPowerWarning))
    return BatchDiscovery(found, parsed, step, experiments, outcomes, flags, notes)


def _nations(root: Path, step: int) -> list[str]:
    ok = _ok_runs(root)
    frame = read_table(
        root, "soft_power", columns=["iso3"], runs=ok.iloc[:1], filter=ds.field("step") == step
    )
    if frame.empty:
        raise SoftPowerError(
            f"step {step} is not in the batch",
            key="--step",
            expected=f"a step from 0 to {last_step(root)}",
        )
    return list(dict.fromkeys(frame["iso3"].astype(str)))


def batch_to_ema(
    root: str | Path,
    outcomes: Sequence[str] | None = None,
    *,
    step: int | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Load a batch as EMA Workbench's ``(experiments, outcomes)`` results pair.

    Args:
        root: A batch result directory (``softpower batch ... --out DIR``).
        outcomes: Outcome names such as ``score[CHN]`` (default: score and rank of every
            nation).
        step: The step of the outcomes (default: the last).

    Returns:
        ``experiments`` (design parameters and ``scenario`` as a category, one row per ok run)
        and ``{outcome: array}``, as `ema_workbench.analysis` functions expect.

    Example:
        >>> experiments, outcomes = batch_to_ema("out/lhs", ["score[CHN]"])  # doctest: +SKIP
        >>> from ema_workbench.analysis import feature_scoring  # doctest: +SKIP
        >>> feature_scoring.get_feature_scores_all(experiments, outcomes)  # doctest: +SKIP

    """
    experiments = design_table(root)
    table = run_outcomes(root, outcomes, step=step)
    return to_ema(experiments, table)
