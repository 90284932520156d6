"""Calibration: fit registry parameters so the model ranks nations as a target index does.

The objective is Spearman's ρ between the model's soft power scores at a short horizon (step 0 by
default: the 2024/25 world reached by the spin-up) and the target, over the nations both share.
It is maximised with scipy's `differential_evolution` (seeded, deferred updating so the result is
the same for any number of workers, no gradient polish: ρ is piecewise constant). Out-of-sample
skill is measured by k-fold cross-validation over nations: fit on the nations of k − 1 folds,
score the held-out nations. Survey indices are targets only; nothing here feeds the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.agreement import spearman
from sim.analysis.baselines import index_baselines
from sim.analysis.targets import MIN_OVERLAP, Target
from sim.batch.executor import blas_limit
from sim.batch.service import ModelService, final_scores, shared_worlds
from sim.errors import ParameterError, SoftPowerError, suggest
from sim.params import REGISTRY, Parameters
from sim.version import __version__
from sim.world.bundled import bundled_world
from sim.world.world import World

__all__ = [
    "Fit",
    "Fold",
    "CalibrationResult",
    "model_scores",
    "fit",
    "calibrate",
    "de_settings",
    "write_parameter_file",
]

#: Decimal places kept in a calibrated value (the reported fit is for the rounded values).
DECIMALS = 4


def model_scores(
    parameters: Parameters,
    world: World,
    *,
    steps: int = 0,
    seed: np.random.SeedSequence | int = 0,
) -> np.ndarray:
    """Return every nation's soft power score at ``steps`` for the baseline scenario.

    Args:
        parameters: The full parameter set.
        world: The world to start from.
        steps: Quarters to run after the spin-up (0: the spun-up 2024/25 state).
        seed: Seed of the run (decisions are random when ``steps`` > 0).

    Returns:
        (nation,) scores in world order.

    """
    from sim.batch.service import PlanTask, run_plan

    task = PlanTask(final_scores, parameters=parameters, seed=seed, steps=steps)
    scores: np.ndarray = run_plan(world, task)
    return scores


def _check_names(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name not in REGISTRY:
            raise ParameterError(
                "unknown parameter",
                key=name,
                expected="a name from `softpower params`",
                suggestion=suggest(name, REGISTRY),
            )
        if REGISTRY[name].low == REGISTRY[name].high:
            raise ParameterError("has no range to fit", key=name)
        if name not in out:
            out.append(name)
    if not out:
        raise ParameterError(
            "no parameters to calibrate",
            key="--fit",
            expected="one or more names from `softpower params`",
            suggestion="e.g. --fit score_weight_reputation exposure_global_reach",
        )
    return out


def _rounded(names: Sequence[str], x: Iterable[float]) -> dict[str, float | int]:
    values: dict[str, float | int] = {}
    for name, v in zip(names, x, strict=True):
        p = REGISTRY[name]
        v = min(max(float(v), p.low), p.high)
        values[name] = int(round(v)) if p.type is int else round(v, DECIMALS)
    return values


@dataclass(frozen=True)
class _Objective:
    """−ρ between model scores and the target over some nations; small and picklable.

    The world is not pickled with it: the service that evaluates it shares the world with its
    workers under ``context_id`` (`sim.batch.service.shared_worlds`).
    """

    context_id: str
    names: tuple[str, ...]
    base: Parameters
    rows: np.ndarray
    observed: np.ndarray
    steps: int
    seed: np.random.SeedSequence

    def __call__(self, x: np.ndarray) -> float:
        params = Parameters.from_mapping(_rounded(self.names, x), base=self.base)
        world = shared_worlds(self.context_id)[0]
        scores = model_scores(params, world, steps=self.steps, seed=self.seed)
        rho = spearman(scores[self.rows], self.observed)
        return -rho if math.isfinite(rho) else 1.0


def de_settings(budget: int, dimensions: int) -> tuple[int, int]:
    """Return (popsize, maxiter) for `differential_evolution` so that about ``budget`` model
    evaluations are made: a population of up to 15 per parameter, at least 5 members, and as
    many generations as the budget allows (at least one after the initial population).

    Args:
        budget: Model evaluations allowed for one fit.
        dimensions: Number of parameters fitted.

    Returns:
        ``popsize`` (scipy's multiplier of the number of parameters) and ``maxiter``.

    """
    members = max(5, min(15 * dimensions, budget // 6))
    popsize = max(1, math.ceil(members / dimensions))
    total = popsize * dimensions
    maxiter = max(1, budget // total - 1)
    return popsize, maxiter


@dataclass(frozen=True)
class Fit:
    """One optimisation.

    Attributes:
        values: Fitted values (rounded to `DECIMALS`).
        spearman: ρ on the nations fitted, at the rounded values.
        evaluations: Model evaluations made.
        generations: Generations of differential evolution.

    """

    values: dict[str, float | int]
    spearman: float
    evaluations: int
    generations: int


@blas_limit(1)
def fit(
    target_rows: np.ndarray,
    observed: np.ndarray,
    names: Sequence[str],
    *,
    world: World,
    base: Parameters | None = None,
    budget: int = 200,
    steps: int = 0,
    seed: int | np.random.SeedSequence = 0,
    model_seed: np.random.SeedSequence | None = None,
    workers: int = 1,
    service: ModelService | None = None,
) -> Fit:
    """Fit ``names`` to maximise Spearman's ρ between model scores and ``observed``.

    Args:
        target_rows: World indices of the nations fitted.
        observed: Their target values, higher meaning more soft power.
        names: Registry parameters to fit (bounds from `REGISTRY`).
        world: The world.
        base: Values of every other parameter (defaults when None); also the first candidate.
        budget: About how many model evaluations to spend.
        steps: Quarters run after the spin-up before scoring.
        seed: Root seed: one stream for the optimiser, one for the model runs.
        model_seed: Seed of every model run (default: spawned from ``seed``); the same for all
            candidates, so they are compared on common random numbers.
        workers: Processes evaluating candidates in parallel; the result does not depend on it.
        service: A running `ModelService` on ``world`` to evaluate the candidates (its workers
            replace ``workers``; default: one of its own for this fit).

    Returns:
        The `Fit`.

    """
    from scipy.optimize import differential_evolution

    names = _check_names(names)
    base = base or Parameters()
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    spawned_model_seed, search_seed = root.spawn(2)
    model_seed = model_seed if model_seed is not None else spawned_model_seed
    own = service is None
    service = ModelService(world, workers) if service is None else service
    if service.worlds[0] is not world:
        raise ValueError("the service does not share this world")
    objective = _Objective(
        service.context_id,
        tuple(names),
        base,
        np.asarray(target_rows, dtype=int),
        np.asarray(observed, dtype=float),
        steps,
        model_seed,
    )
    bounds = [(REGISTRY[n].low, REGISTRY[n].high) for n in names]
    integrality = [REGISTRY[n].type is int for n in names]
    x0 = [min(max(getattr(base, n), lo), hi) for n, (lo, hi) in zip(names, bounds, strict=True)]
    popsize, maxiter = de_settings(budget, len(names))
    try:
        result = differential_evolution(
            objective,
            bounds,
            popsize=popsize,
            maxiter=maxiter,
            seed=np.random.default_rng(search_seed),
            polish=False,
            updating="deferred",
            workers=service,
            x0=x0,
            integrality=integrality if any(integrality) else None,
            tol=0.0,
            init="latinhypercube",
        )
    finally:
        if own:
            service.close()
    values = _rounded(names, result.x)
    scores = model_scores(
        Parameters.from_mapping(values, base=base), world, steps=steps, seed=model_seed
    )
    rho = spearman(scores[objective.rows], objective.observed)
    return Fit(values, rho, int(result.nfev), int(result.nit))


@dataclass(frozen=True)
class Fold:
    """One fold of the cross-validation.

    Attributes:
        held_out: ISO3 codes of the held-out nations.
        fit: The fit on the other folds' nations.
        spearman: ρ of the fitted model on the held-out nations.
        default_spearman: ρ of the starting parameters on the held-out nations.
        baseline_spearman: ρ of each baseline on the held-out nations.

    """

    held_out: tuple[str, ...]
    fit: Fit
    spearman: float
    default_spearman: float
    baseline_spearman: dict[str, float]


@dataclass(frozen=True)
class CalibrationResult:
    """What ``softpower calibrate`` found.

    Attributes:
        target: The target file.
        metric: The metric fitted.
        nations: ISO3 codes of the nations fitted.
        not_modelled: Target nations missing from the model.
        names: Parameters fitted.
        defaults: Their starting values.
        fit: The fit on all nations (the proposed values).
        default_spearman: In-sample ρ of the starting parameters.
        baselines: In-sample ρ of each naive baseline.
        folds: The cross-validation folds (empty when not requested).
        pooled_out_of_sample: ρ over all nations of scores each predicted by the fit that did not
            see it (NaN without folds).
        budget: Evaluations allowed per fit.
        steps: Quarters after the spin-up.
        seed: Root seed.
        workers: Processes used.
        base_parameters: Every parameter's value in the runs (fitted ones at their start).

    """

    target: str
    metric: str
    nations: tuple[str, ...]
    not_modelled: tuple[str, ...]
    names: tuple[str, ...]
    defaults: dict[str, float | int]
    fit: Fit
    default_spearman: float
    baselines: dict[str, float]
    folds: tuple[Fold, ...] = ()
    pooled_out_of_sample: float = math.nan
    budget: int = 0
    steps: int = 0
    seed: int = 0
    workers: int = 1
    base_parameters: dict[str, float | int] = field(default_factory=dict)

    def _fold_stat(self, pick: Callable[[Fold], float]) -> tuple[float, float]:
        vals = np.array([pick(f) for f in self.folds], dtype=float)
        vals = vals[np.isfinite(vals)]
        if vals.size == 0:
            return (math.nan, math.nan)
        return (float(vals.mean()), float(vals.std(ddof=1)) if vals.size > 1 else 0.0)

    @property
    def out_of_sample(self) -> tuple[float, float]:
        """Mean and sd over folds of the held-out ρ of the fitted model."""
        return self._fold_stat(lambda f: f.spearman)

    @property
    def default_out_of_sample(self) -> tuple[float, float]:
        """Mean and sd over folds of the held-out ρ of the starting parameters."""
        return self._fold_stat(lambda f: f.default_spearman)

    def baseline_out_of_sample(self, name: str) -> tuple[float, float]:
        """Mean and sd over folds of a baseline's held-out ρ."""
        return self._fold_stat(lambda f: f.baseline_spearman[name])

    @property
    def best_baseline(self) -> str:
        """The baseline with the highest in-sample ρ."""
        return max(self.baselines, key=lambda k: self.baselines[k])

    def parameter_values(self) -> dict[str, float | int]:
        """The fitted values, as a parameter file holds them."""
        return dict(self.fit.values)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON/YAML-ready data."""

        def num(v: float) -> float | None:
            return round(float(v), 4) if math.isfinite(v) else None

        oos, oos_sd = self.out_of_sample
        doos, doos_sd = self.default_out_of_sample
        best = self.best_baseline
        boos, boos_sd = self.baseline_out_of_sample(best) if self.folds else (math.nan, math.nan)
        return {
            "target": self.target,
            "metric": self.metric,
            "nations": len(self.nations),
            "not_modelled": list(self.not_modelled),
            "objective": "Spearman rank correlation of soft power scores with the target",
            "steps_after_spinup": self.steps,
            "budget_per_fit": self.budget,
            "evaluations": self.fit.evaluations,
            "generations": self.fit.generations,
            "seed": self.seed,
            "folds": len(self.folds),
            "starting_values": dict(self.defaults),
            "spearman_in_sample": num(self.fit.spearman),
            "spearman_in_sample_starting_values": num(self.default_spearman),
            "spearman_out_of_sample_mean": num(oos),
            "spearman_out_of_sample_sd": num(oos_sd),
            "spearman_out_of_sample_pooled": num(self.pooled_out_of_sample),
            "spearman_out_of_sample_starting_values_mean": num(doos),
            "spearman_out_of_sample_starting_values_sd": num(doos_sd),
            "best_baseline": best,
            "best_baseline_spearman_in_sample": num(self.baselines[best]),
            "best_baseline_spearman_out_of_sample_mean": num(boos),
            "best_baseline_spearman_out_of_sample_sd": num(boos_sd),
            "fold_values": [dict(f.fit.values) for f in self.folds],
            "other_parameters": {
                k: v for k, v in self.base_parameters.items() if k not in self.names
            },
            "software": f"softpower {__version__}",
        }

    def to_text(self) -> str:
        """Return a terminal summary of the fit."""
        lines = [
            f"target: {self.target} (metric {self.metric}), {len(self.nations)} nations "
            f"compared"
            + (f"; not in the model: {' '.join(self.not_modelled)}" if self.not_modelled else ""),
            f"objective: Spearman's rho of scores at step {self.steps} after the spin-up; "
            f"differential evolution, {self.fit.evaluations} evaluations "
            f"({self.fit.generations} generations), seed {self.seed}",
            "",
            f"{'parameter':<28} {'start':>9} {'calibrated':>10}  range",
        ]
        for name in self.names:
            p = REGISTRY[name]
            lines.append(
                f"{name:<28} {self.defaults[name]!s:>9} {self.fit.values[name]!s:>10}  "
                f"[{p.low}, {p.high}]"
            )
        lines.append("")
        k = len(self.folds)
        head = f"{'Spearman rho':<42} {'in-sample':>9}"
        if k:
            head += f"   {k}-fold out-of-sample (mean ± sd over folds; pooled)"
        lines.append(head)

        def row(label: str, ins: float, oos: tuple[float, float], pooled: float | None) -> str:
            text = f"{label:<42} {ins:>+9.3f}"
            if k:
                text += f"   {oos[0]:+.3f} ± {oos[1]:.3f}"
                if pooled is not None:
                    text += f"; pooled {pooled:+.3f}"
            return text

        lines.append(
            row("calibrated", self.fit.spearman, self.out_of_sample, self.pooled_out_of_sample)
        )
        lines.append(
            row("starting values (no fit)", self.default_spearman, self.default_out_of_sample, None)
        )
        for name in sorted(self.baselines, key=lambda n: -self.baselines[n])[:3]:
            oos = self.baseline_out_of_sample(name) if k else (math.nan, math.nan)
            lines.append(row(f"baseline: {name}", self.baselines[name], oos, None))
        if k:
            lines.append(
                "(baselines and starting values have nothing fitted: their per-fold figures show "
                "how noisy a held-out rho on so few nations is)"
            )
        return "\n".join(lines)


def _folds(n: int, k: int, seed: np.random.SeedSequence) -> list[np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    return [np.sort(perm[f::k]) for f in range(k)]


@blas_limit(1)
def calibrate(
    target: Target,
    names: Sequence[str],
    *,
    world: World | None = None,
    base: Parameters | None = None,
    budget: int = 200,
    folds: int = 5,
    steps: int = 0,
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Fit ``names`` to an index target, with k-fold out-of-sample agreement over nations.

    Args:
        target: An index `Target` (see `sim.analysis.validation.load_target`).
        names: Registry parameters to fit.
        world: The world (default: the bundled one).
        base: Values of every other parameter, and the starting point (default: the defaults).
        budget: About how many model evaluations each fit may spend (the full fit and each fold's).
        folds: Number of folds over nations (0 or 1: no cross-validation).
        steps: Quarters run after the spin-up before scoring (0: the 2024/25 state).
        seed: Root seed (``SeedSequence(seed)`` spawns the fold split, the fits' seeds).
        workers: Processes evaluating candidates in parallel; the result does not depend on it.
        progress: Called with a short message as each fit starts.

    Returns:
        The `CalibrationResult`.

    Raises:
        SoftPowerError: A poll target, an unknown parameter, too few nations, or too many folds.

    """
    names = _check_names(names)
    world = world if world is not None else bundled_world()
    base = base or Parameters()
    if target.kind != "index":
        raise SoftPowerError(
            "calibration needs an index target",
            file=target.path,
            expected="a file with columns iso3,value (or the long format of sim/data/targets)",
        )
    if budget < 5:
        raise SoftPowerError("budget too small", key="--budget", expected="at least 5 evaluations")
    rows, observed, missing = target.align(world.iso3)
    n = len(rows)
    if n < MIN_OVERLAP:
        raise SoftPowerError(
            f"only {n} nations of the target are in the model",
            file=target.path,
            expected=f"at least {MIN_OVERLAP}",
        )
    k = folds if folds >= 2 else 0
    if k and n // k < 3:
        raise SoftPowerError(
            f"{folds} folds leave fewer than 3 of the {n} nations in a fold",
            key="--folds",
            expected=f"at most {n // 3} folds",
        )
    root = np.random.SeedSequence(seed)
    fit_seed, split_seed, model_seed = root.spawn(3)
    iso3 = tuple(world.iso3[i] for i in rows)
    baseline_values = {name: v[rows] for name, v in index_baselines(world).items()}
    baselines = {name: spearman(v, observed) for name, v in baseline_values.items()}
    starting = {name: getattr(base, name) for name in names}
    default_scores = model_scores(base, world, steps=steps, seed=model_seed)[rows]
    default_rho = spearman(default_scores, observed)

    def one(train: np.ndarray, label: str, s: np.random.SeedSequence, service: ModelService) -> Fit:
        if progress:
            progress(label)
        return fit(
            rows[train],
            observed[train],
            names,
            world=world,
            base=base,
            budget=budget,
            steps=steps,
            seed=s,
            model_seed=model_seed,
            service=service,
        )

    # One pool for every fit (the full one and each fold's), sharing the world.
    with ModelService(world, workers) as service:
        fold_seeds = fit_seed.spawn(k + 1)
        full = one(np.arange(n), f"fit on all {n} nations", fold_seeds[0], service)
        fold_results: list[Fold] = []
        pooled = np.full(n, np.nan)
        for f, held in enumerate(_folds(n, k, split_seed) if k else []):
            train = np.setdiff1d(np.arange(n), held)
            label = f"fold {f + 1}/{k}: fit on {len(train)} nations"
            result = one(train, label, fold_seeds[f + 1], service)
            scores = model_scores(
                Parameters.from_mapping(result.values, base=base),
                world,
                steps=steps,
                seed=model_seed,
            )[rows]
            pooled[held] = scores[held]
            fold_results.append(
                Fold(
                    held_out=tuple(iso3[i] for i in held),
                    fit=result,
                    spearman=spearman(scores[held], observed[held]),
                    default_spearman=spearman(default_scores[held], observed[held]),
                    baseline_spearman={
                        name: spearman(v[held], observed[held])
                        for name, v in baseline_values.items()
                    },
                )
            )
    return CalibrationResult(
        target=target.path,
        metric=target.metric,
        nations=iso3,
        not_modelled=tuple(missing),
        names=tuple(names),
        defaults=starting,
        fit=full,
        default_spearman=default_rho,
        baselines=baselines,
        folds=tuple(fold_results),
        pooled_out_of_sample=spearman(pooled, observed) if k else math.nan,
        budget=budget,
        steps=steps,
        seed=seed,
        workers=workers,
        base_parameters=base.to_dict(),
    )


def write_parameter_file(result: CalibrationResult | Any, path: str | Path) -> Path:
    """Write the calibrated values as a parameter file for ``softpower run --params-file FILE``.

    The file holds a ``parameters:`` mapping (what `sim.parameter_file.load_parameter_file`
    reads and what a scenario's ``parameters:`` block takes) and a ``calibration:`` record of
    the fit.

    Args:
        result: The calibration (a `CalibrationResult`, or any fit with ``parameter_values()``
            and ``to_dict()``, such as `sim.analysis.observation_fit.ObservationFit`).
        path: Where to write (YAML).

    Returns:
        The path written.

    Raises:
        SoftPowerError: The file cannot be written.

    """
    import yaml

    path = Path(path)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    header = (
        f"# Written by `softpower calibrate` on {stamp}.\n"
        f"# Use with: softpower run SCENARIO --params-file {path.name}\n"
        "# or copy the `parameters:` mapping into a scenario file.\n"
    )
    body = yaml.safe_dump(
        {"parameters": result.parameter_values(), "calibration": result.to_dict()},
        sort_keys=False,
        allow_unicode=True,
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + body, encoding="utf-8")
    except OSError as exc:
        raise SoftPowerError(
            f"cannot write the parameter file ({exc.strerror})",
            file=str(path),
            expected="a writable path",
            suggestion="choose another --out",
        ) from None
    return path
