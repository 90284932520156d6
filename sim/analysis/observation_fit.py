"""Fitting the observation model to polls and the index of the calibration period.

`fit_observation` learns, from polls up to 2024 and the GSPI 2024 only:

1. the reputation drivers of the anchor (``prior_values_distance``, ``prior_governance``,
   ``prior_common_rival`` or any registry parameters given), on a grid, by the poll fit of the
   step-0 world;
2. the link from attraction to the favourable share (``favourable_intercept``,
   ``favourable_slope``), by least squares on the logit of the polled shares;
3. the curvature of familiarity and influence (``index_curvature``, on a grid) and the score
   weights (``score_weight_*``), by non-negative least squares on the published scores, with
   the published gap between the `POLES` (the US and China) held as one more equation.

Folds over nations (observers for polls, nations for the index) give out-of-sample figures,
each fold choosing its own grid point and refitting link and weights on its training nations
only. Naive baselines are scored on the same held-out nations: for polls, persistence (the
pair's previous published value carried forward) and the target's mean; for the index, every
baseline of `sim.analysis.baselines.index_baselines`. Polls and indices published for 2025 or
later are never read here.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.optimize

from sim.analysis.agreement import rmse, spearman
from sim.analysis.baselines import index_baselines
from sim.analysis.targets import Target
from sim.batch.service import ModelService, PlanTask
from sim.errors import DataError, suggest
from sim.model import assimilation, observe
from sim.model.model import SoftPowerModel
from sim.params import REGISTRY, Parameters
from sim.world.world import World

__all__ = [
    "CALIBRATION_YEARS",
    "DEFAULT_GRID",
    "POLES",
    "ObservationFit",
    "PollTarget",
    "fit_observation",
    "load_polls",
]

#: Poll years of the calibration period: the latest poll of each pair in these years is fitted.
CALIBRATION_YEARS: tuple[int, int] = (2019, 2024)

#: Grid of the reputation drivers searched by default.
DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "prior_values_distance": (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5),
    "prior_governance": (0.0, 0.25, 0.5, 1.0),
    "prior_common_rival": (0.0, 0.25, 0.5, 1.0),
}

#: Grid of ``index_curvature``.
CURVATURES: tuple[float, ...] = (0.15, 0.2, 0.25, 0.35, 0.5, 0.7, 1.0)

#: The two poles whose published score gap the fitted score holds exactly: the scenarios are
#: read on it (does China overtake the US?), and a fit that spreads its error over all scored
#: nations alike let it drift by 1.5 to 4 points (docs/validation.md).
POLES: tuple[str, str] = ("USA", "CHN")

#: Weight of the poles' gap as an equation of the score fit (`_score_weights`).
GAP_WEIGHT = 1e4


@dataclass(frozen=True)
class PollTarget:
    """Favourable shares to fit, with each pair's previous published value for persistence.

    Attributes:
        observer: ISO3 of the polled nation, per row.
        target: ISO3 of the nation asked about, per row.
        year: Year of the fitted poll.
        value: Favourable share (0–100).
        previous: The pair's previous published value (NaN if none), for persistence.
        source: Files read.

    """

    observer: tuple[str, ...]
    target: tuple[str, ...]
    year: tuple[int, ...]
    value: np.ndarray
    previous: np.ndarray
    source: tuple[str, ...] = ()


def load_polls(
    paths: Sequence[str | Path],
    nations: Sequence[str],
    years: tuple[int, int] = CALIBRATION_YEARS,
) -> PollTarget:
    """Read poll files (``observer,target,year,favourable_pct,source``) for the given nations.

    The latest poll of each (observer, target) pair within ``years`` is the value to fit; the
    pair's latest earlier poll is kept for the persistence baseline. Rows after 2024 are
    refused: polls published for 2025 or later are test data.

    Raises:
        DataError: Missing file or column, a bad number, or a year after 2024.

    """
    rows: dict[tuple[str, str], list[tuple[int, float]]] = {}
    known = set(nations)
    for path in map(Path, paths):
        if not path.is_file():
            raise DataError("poll file not found", file=str(path), expected="a CSV file")
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            need = {"observer", "target", "year", "favourable_pct", "source"}
            missing = need - set(reader.fieldnames or [])
            if missing:
                raise DataError(
                    f"missing column(s) {', '.join(sorted(missing))}",
                    file=str(path),
                    line=1,
                    expected="observer,target,year,favourable_pct,source",
                )
            for line, r in enumerate(reader, start=2):
                try:
                    year, value = int(r["year"]), float(r["favourable_pct"])
                except ValueError:
                    raise DataError(
                        "year or favourable_pct is not a number", file=str(path), line=line
                    ) from None
                if year > CALIBRATION_YEARS[1]:
                    raise DataError(
                        f"a poll of {year}",
                        file=str(path),
                        line=line,
                        key="year",
                        expected="polls up to 2024 (later polls are test data, never fitted)",
                    )
                if r["observer"] in known and r["target"] in known:
                    rows.setdefault((r["observer"], r["target"]), []).append((year, value))
    chosen = []
    for (obs, tgt), polls in sorted(rows.items()):
        polls.sort()
        inside = [p for p in polls if years[0] <= p[0] <= years[1]]
        if not inside:
            continue
        year, value = inside[-1]
        earlier = [p for p in polls if p[0] < year]
        chosen.append((obs, tgt, year, value, earlier[-1][1] if earlier else math.nan))
    if not chosen:
        raise DataError(
            "no poll of the world's nations in the calibration years",
            file=", ".join(map(str, paths)),
            expected=f"polls from {years[0]} to {years[1]}",
        )
    observers, actors, yr, val, prev = zip(*chosen, strict=True)
    return PollTarget(observers, actors, yr, np.array(val), np.array(prev), tuple(map(str, paths)))


def _logit(share: np.ndarray) -> np.ndarray:
    p = np.clip(share / 100.0, 0.005, 0.995)
    return np.log(p / (1.0 - p))


def _link(attraction: np.ndarray, share: np.ndarray) -> tuple[float, float]:
    """Least-squares (intercept, slope) of logit(share) on attraction (slope kept ≥ 0)."""
    x = np.column_stack([np.ones_like(attraction), attraction])
    (b0, b1), *_ = np.linalg.lstsq(x, _logit(share), rcond=None)
    if b1 < 0:  # the link is monotone increasing by construction
        b0, b1 = float(np.mean(_logit(share))), 0.0
    return float(b0), float(b1)


@dataclass
class _State:
    """What the fit reads of one step-0 world: attraction and the score's components."""

    attraction: np.ndarray
    stock: np.ndarray
    presence: np.ndarray
    #: (observer,) weight of each observer in the index's parts (`observe.index_weight`).
    weight: np.ndarray
    #: The assimilated start's latent opinion for a link (None: structure alone).
    start: Callable[[np.ndarray], np.ndarray] | None = None


def _state(world: World, params: Parameters, seed: int) -> _State:
    m = SoftPowerModel(world, parameters=params, rng=seed)
    start = None
    if m.opinion is not None:

        def start(prior: np.ndarray) -> np.ndarray:
            # m.opinion is not None, so the model has polls to start from for any prior.
            return m.assimilated_start(prior).mean  # type: ignore[union-attr]

    return _State(
        m.attraction(), m.familiarity_stock.copy(), m.diplomatic_presence(), m.index_weight, start
    )


def _step_zero(
    model: SoftPowerModel,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What a grid point's run reads at step 0 (`_State` but the start, which needs the model):
    attraction, familiarity stock, diplomatic presence, the index's observer weights.
    """
    m = model
    return m.attraction(), m.familiarity_stock.copy(), m.diplomatic_presence(), m.index_weight


def _states(world: World, params: Sequence[Parameters], seed: int, workers: int) -> list[_State]:
    """Each grid point's step-0 `_State`, without its start (see `_state`)."""
    tasks = [PlanTask(_step_zero, parameters=p, seed=seed, at=(0,)) for p in params]
    with ModelService(world, workers) as service:
        readings = service.run(tasks)
    states = []
    for reading in readings:
        attraction, stock, presence, weight = reading[0]
        states.append(_State(attraction, stock, presence, weight))
    return states


def _components(
    state: _State, b0: float, b1: float, curvature: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if state.start is None:
        fav = observe.link(state.attraction, b0, b1)
    else:  # reputation from the assimilated start over this link's structural prior
        fav = assimilation.share(state.start(b0 + b1 * state.attraction))
    reputation = observe.reputation(fav, state.weight)
    familiarity = 100.0 * (state.stock / state.stock.max()) ** curvature
    influence = 100.0 * (state.presence / state.presence.max()) ** curvature
    return familiarity, reputation, influence


@dataclass
class ObservationFit:
    """The fitted observation model and its in- and out-of-sample agreement.

    Attributes:
        values: Fitted parameter values (structural grid point, link, curvature, weights).
        polls_in_sample: RMSE (points) of the fitted polls, all pairs.
        polls_out_of_sample: RMSE of held-out pairs (each fold's fit).
        polls_baselines: Baseline name → held-out RMSE on the same pairs.
        persistence_pairs: Pairs with a previous value (the persistence comparison uses them).
        polls_model_on_persistence_pairs: The model's held-out RMSE on those pairs.
        index_in_sample: Spearman ρ of the fitted scores with the target's ranks.
        index_out_of_sample: Pooled held-out ρ.
        index_baselines: Baseline name → pooled held-out ρ (no fitting).
        score_rmse: RMSE (points) of the fitted scores where the target gives scores.
        n_polls: Pairs fitted.
        n_index: Nations ranked by the target in the world.
        folds: Number of folds.
        notes: Remarks on the fit.
        gap_published: The published score of the first of `POLES` minus the second's (NaN
            when the target lacks one of them).
        gap_fitted: The same of the fitted scores.

    """

    values: dict[str, float]
    polls_in_sample: float
    polls_out_of_sample: float
    polls_baselines: dict[str, float]
    persistence_pairs: int
    polls_model_on_persistence_pairs: float
    index_in_sample: float
    index_out_of_sample: float
    index_baselines: dict[str, float]
    score_rmse: float
    n_polls: int
    n_index: int
    folds: int
    notes: list[str] = field(default_factory=list)
    gap_published: float = math.nan
    gap_fitted: float = math.nan

    def parameter_values(self) -> dict[str, float]:
        """The fitted values, as a parameter file holds them."""
        return dict(self.values)

    def to_dict(self) -> dict[str, object]:
        """The fit as plain data (for the parameter file's ``calibration:`` record)."""
        return {
            "method": "observation model: grid of anchor drivers, logit link, NNLS score weights",
            "polls": {
                "pairs": self.n_polls,
                "rmse_in_sample": round(self.polls_in_sample, 2),
                "rmse_out_of_sample": round(self.polls_out_of_sample, 2),
                "baselines_rmse": {k: round(v, 2) for k, v in self.polls_baselines.items()},
            },
            "index": {
                "nations": self.n_index,
                "spearman_in_sample": round(self.index_in_sample, 3),
                "spearman_out_of_sample": round(self.index_out_of_sample, 3),
                "score_rmse": round(self.score_rmse, 2),
                "pole_gap": {
                    "poles": list(POLES),
                    "published": round(self.gap_published, 2),
                    "fitted": round(self.gap_fitted, 2),
                },
                "baselines_spearman": {k: round(v, 3) for k, v in self.index_baselines.items()},
            },
            "folds": self.folds,
        }

    def to_text(self) -> str:
        """A Markdown summary: fitted values and the out-of-sample tables."""
        lines = ["Fitted values:", ""]
        lines += [f"- `{k}` = {v:g}" for k, v in self.values.items()]
        lines += [
            "",
            f"Poll levels ({self.n_polls} observer-target pairs, {self.folds} folds over "
            "observers; RMSE in percentage points, lower is better):",
            "",
            "| predictor | held-out RMSE |",
            "|---|---:|",
            f"| **model** | **{self.polls_out_of_sample:.1f}** |",
        ]
        lines += [f"| {k} | {v:.1f} |" for k, v in self.polls_baselines.items()]
        lines += [
            "",
            f"On the {self.persistence_pairs} pairs with an earlier published value, the model's "
            f"held-out RMSE is {self.polls_model_on_persistence_pairs:.1f} against persistence's "
            f"{self.polls_baselines.get('persistence (previous value)', math.nan):.1f}.",
            "",
            f"Index ranks ({self.n_index} nations, Spearman ρ pooled over held-out folds, higher "
            "is better):",
            "",
            "| predictor | held-out ρ |",
            "|---|---:|",
            f"| **model** | **{self.index_out_of_sample:.3f}** |",
        ]
        best = sorted(self.index_baselines.items(), key=lambda kv: -kv[1])
        lines += [f"| {k} | {v:.3f} |" for k, v in best]
        lines += [
            "",
            f"In sample: poll RMSE {self.polls_in_sample:.1f}, index ρ {self.index_in_sample:.3f}, "
            f"score RMSE {self.score_rmse:.1f} points on the nations with a published score.",
            f"Score gap {POLES[0]} - {POLES[1]}: published {self.gap_published:.2f}, fitted "
            f"{self.gap_fitted:.2f} (held as an equation of the weights' fit).",
        ]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _score_weights(
    components: np.ndarray, scores: np.ndarray, gap: tuple[np.ndarray, float] | None
) -> np.ndarray:
    """Non-negative least-squares weights of the score's parts on published scores, holding
    the poles' published gap where given.

    Args:
        components: (nation, part) familiarity, reputation, influence of the scored nations.
        scores: (nation,) their published scores.
        gap: The first pole's parts minus the second's, and the published gap between their
            scores; None for a plain non-negative least squares.

    The gap is held as one more equation weighted by `GAP_WEIGHT` (a penalty that makes it
    exact to about 1e-4 points while the weights stay non-negative).
    """
    if gap is None:
        return scipy.optimize.nnls(components, scores)[0]
    difference, published = gap
    a = np.vstack([components, GAP_WEIGHT * difference])
    return scipy.optimize.nnls(a, np.append(scores, GAP_WEIGHT * published))[0]


def _folds(keys: Sequence[str], k: int, seed: int) -> dict[str, int]:
    unique = sorted(set(keys))
    order = np.random.default_rng(seed).permutation(len(unique))
    return {unique[j]: int(i % k) for i, j in enumerate(order)}


def fit_observation(
    polls: PollTarget,
    scores: Target,
    ranks: Target,
    *,
    world: World,
    base: Parameters | None = None,
    grid: Mapping[str, Sequence[float]] | None = None,
    folds: int = 5,
    seed: int = 0,
    workers: int = 1,
) -> ObservationFit:
    """Fit the observation model (see the module docstring) and score it out of sample.

    Args:
        polls: Poll levels of the calibration period (`load_polls`).
        scores: Published index scores (GSPI 2024 ``gspi_score``): the score's scale.
        ranks: Published index ranks (GSPI 2024 ``gspi_rank``): the ranking to agree with.
        world: The world of the step-0 state.
        base: Parameters to start from (defaults).
        grid: Registry parameters and the values to search (default `DEFAULT_GRID`).
        folds: Folds over nations (≥ 2).
        seed: Seed of the fold assignment and of the model (step 0 does not depend on it).
        workers: Processes building the grid's step-0 states (`sim.batch.service`); the result
            does not depend on it.

    Raises:
        SoftPowerError: Unknown parameter names, too few folds.

    """
    base = base or Parameters()
    grid = dict(DEFAULT_GRID if grid is None else grid)
    for name in grid:
        if name not in REGISTRY:
            raise DataError(
                f"unknown parameter {name!r}",
                key="--fit",
                expected="registry parameters of the anchor, e.g. prior_values_distance",
                suggestion=suggest(name, REGISTRY),
            )
    if folds < 2:
        raise DataError("too few folds", key="--folds", expected="2 or more")
    iso = list(world.iso3)
    oi = np.array([iso.index(c) for c in polls.observer])
    ti = np.array([iso.index(c) for c in polls.target])
    y = polls.value
    names = list(grid)
    points = [dict(zip(names, v, strict=True)) for v in itertools.product(*grid.values())]
    grid_parameters = [Parameters.from_mapping(pt, base=base) for pt in points]
    states = _states(world, grid_parameters, seed, workers)
    a_pairs = [s.attraction[oi, ti] for s in states]

    # ---- polls: choose the grid point and link on training observers, predict held-out ones
    poll_fold = _folds(polls.observer, folds, seed)
    fold_of = np.array([poll_fold[c] for c in polls.observer])
    predicted = np.full(len(y), np.nan)
    target_mean = np.full(len(y), np.nan)
    for f in range(folds):
        train, test = fold_of != f, fold_of == f
        errors = []
        for a in a_pairs:
            b0, b1 = _link(a[train], y[train])
            errors.append(rmse(observe.link(a[train], b0, b1) - y[train]))
        best = int(np.argmin(errors))
        b0, b1 = _link(a_pairs[best][train], y[train])
        predicted[test] = observe.link(a_pairs[best][test], b0, b1)
        for t in set(ti[test]):
            target_mean[test & (ti == t)] = y[train & (ti == t)].mean()
    errors = []
    for a in a_pairs:
        b0, b1 = _link(a, y)
        errors.append(rmse(observe.link(a, b0, b1) - y))
    best = int(np.argmin(errors))
    b0, b1 = _link(a_pairs[best], y)
    # the chosen point's model is built again here for its assimilated start
    state = replace(states[best], start=_state(world, grid_parameters[best], seed).start)
    has_prev = ~np.isnan(polls.previous)
    poll_baselines = {
        "persistence (previous value)": rmse(polls.previous[has_prev] - y[has_prev]),
        "mean of the target across countries": rmse(target_mean - y),
    }

    # ---- index: curvature and weights by non-negative least squares on the published scores
    # of training nations (the score reads on the index's scale); held-out ranks per fold
    ranked = [c for c in ranks.values if c in iso]
    idx = np.array([iso.index(c) for c in ranked])
    goal = np.array([ranks.values[c] for c in ranked], dtype=float)
    if not ranks.higher_is_better:
        goal = -goal
    scored = [c for c in scores.values if c in iso]
    sidx = np.array([iso.index(c) for c in scored])
    sgoal = np.array([scores.values[c] for c in scored], dtype=float)
    fold_of_nation = _folds(sorted(set(ranked) | set(scored)), folds, seed + 1)
    comp = {g: np.column_stack(_components(state, b0, b1, g)) for g in CURVATURES}

    poles = [iso.index(c) for c in POLES] if all(c in scores.values for c in POLES) else []
    gap = scores.values[POLES[0]] - scores.values[POLES[1]] if poles else math.nan

    def choose(out: int | None) -> tuple[float, np.ndarray]:
        """Curvature and weights fitted without the nations of fold ``out``; the poles' gap
        is held where both poles are training nations (a held-out pole's score is not read).
        """
        s_rows = np.array([fold_of_nation[c] != out for c in scored])
        held_pole = any(fold_of_nation[c] == out for c in POLES) if poles else True
        fits = []
        for g in CURVATURES:
            a, b = comp[g][sidx[s_rows]], sgoal[s_rows]
            w = _score_weights(
                a, b, None if held_pole else (comp[g][poles[0]] - comp[g][poles[1]], gap)
            )
            fits.append((float(np.sum((a @ w - b) ** 2)), g, w))
        _, g, w = min(fits, key=lambda f: f[0])
        return g, w

    held = np.full(len(ranked), np.nan)
    fold_ix = np.array([fold_of_nation[c] for c in ranked])
    for f in range(folds):
        g, w = choose(f)
        held[fold_ix == f] = comp[g][idx[fold_ix == f]] @ w
    g, w = choose(None)
    fitted = comp[g][idx] @ w
    fitted_scores = comp[g][sidx] @ w
    baselines = index_baselines(world)
    values = {
        **points[best],
        "favourable_intercept": round(b0, 4),
        "favourable_slope": round(b1, 4),
        "index_curvature": g,
        "score_weight_familiarity": round(float(w[0]), 4),
        "score_weight_reputation": round(float(w[1]), 4),
        "score_weight_influence": round(float(w[2]), 4),
    }
    notes: list[str] = []
    if not poles:
        notes.append(f"the target lacks a score of {' or '.join(POLES)}: no gap held")
    return ObservationFit(
        values=values,
        polls_in_sample=errors[best],
        polls_out_of_sample=rmse(predicted - y),
        polls_baselines=poll_baselines,
        persistence_pairs=int(has_prev.sum()),
        polls_model_on_persistence_pairs=rmse(predicted[has_prev] - y[has_prev]),
        index_in_sample=spearman(fitted, goal),
        index_out_of_sample=spearman(held, goal),
        index_baselines={k: spearman(v[idx], goal) for k, v in baselines.items()},
        score_rmse=rmse(fitted_scores - sgoal),
        n_polls=len(y),
        n_index=len(ranked),
        folds=folds,
        notes=notes,
        gap_published=gap,
        gap_fitted=float(comp[g][poles[0]] @ w - comp[g][poles[1]] @ w) if poles else math.nan,
    )
