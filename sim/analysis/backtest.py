"""The backtest of the assimilated start: fit on the opinion panel up to a year, predict the rest.

`fit_opinion` chooses the settings of the latent opinion (`opinion_persistence`,
`opinion_drift`, `opinion_noise`, `opinion_pooling`) on the panel up to a year only, by how well
they predict that period's own later waves from its earlier ones. `backtest` then starts the
model from every pair's polls up to that year, runs it without events to each later wave up to
2024, and compares its predictions (and its 90 % intervals) with what was published, against
carrying the last poll forward (`persistence`) and the structural anchor alone (`anchor`).

With ``responses="refit"`` the event responses are fitted again on the history episodes whose
waves all fall by that year (`sim.analysis.episodes.fit_episodes`), so that nothing after the
year informs the run, and each plausible set of that fit (leave-one-scenario-out and bootstrap)
is run too: their spread is the responses' share of the 90 % intervals.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import ScenarioError
from sim.model import assimilation
from sim.model.assimilation import FIELDWORK, OpinionSettings, PanelRows, logit, share
from sim.params import Parameters
from sim.world.bundled import bundled_world
from sim.world.opinion import LAST_YEAR, OpinionPanel, bundled_panel

if TYPE_CHECKING:
    from sim.model.model import Plannable
    from sim.scenario import Scenario

__all__ = [
    "BACKTEST_COLUMNS",
    "Backtest",
    "ResponseFit",
    "backtest",
    "Fold",
    "default_episodes",
    "fit_opinion",
    "folds",
    "model_shift",
    "structural_prior",
    "write_backtest",
]

BACKTEST_COLUMNS = ("predictor", "rmse", "mae", "n", "coverage")
#: z of a two-sided 90 % interval.
_Z90 = 1.6449
_GRID = {
    "persistence": (0.5, 0.7, 0.8, 0.9, 0.95, 1.0),
    "drift": (0.01, 0.04, 0.1, 0.25),
    "noise": (0.01, 0.03, 0.1),
    "pooling": (0.0, 1.0, 3.0, 10.0, 100.0),
}


def structural_prior(
    world_name: str | None, params: Parameters
) -> tuple[tuple[str, ...], np.ndarray]:
    """Return the world's codes and (observer, actor) the structural prior logit at step 0."""
    from sim.model import SoftPowerModel

    world = bundled_world(world_name)
    model = SoftPowerModel(world, parameters=replace(params, opinion_start=0), rng=0, steps=1)
    prior = params.favourable_intercept + params.favourable_slope * model.current_attraction
    return world.iso3, prior


def _predict(
    prior: np.ndarray,
    rows: PanelRows,
    cutoff: int,
    target: np.ndarray,
    settings: OpinionSettings,
    shift: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the predicted measured logit and its variance for the rows ``target`` from the
    rows up to ``cutoff`` (the forecast of the latent opinion, no events).
    """
    start = cutoff + 1.0
    keep = rows.year <= cutoff
    state = assimilation.assimilate(
        prior,
        rows.observer[keep],
        rows.actor[keep],
        rows.year[keep],
        rows.latent[keep],
        rows.noise(settings)[keep],
        start,
        settings,
    )
    years = rows.year[target] + FIELDWORK - start
    latent, var = state.forecast(rows.observer[target], rows.actor[target], years, settings)
    latent = latent + shift
    slope = np.array([rows.links[f].slope for f in rows.family[target]])
    intercept = np.array([rows.links[f].intercept for f in rows.family[target]])
    return intercept + slope * latent, slope**2 * var + settings.noise


def _last_before(rows: PanelRows, cutoff: int) -> np.ndarray:
    """Return (row,) the measured logit of the latest row of the same family and pair up to
    ``cutoff`` (NaN where there is none).
    """
    last: dict[tuple[str, int, int], tuple[int, float]] = {}
    for r in np.flatnonzero(rows.year <= cutoff).tolist():
        key = (str(rows.family[r]), int(rows.observer[r]), int(rows.actor[r]))
        if key not in last or last[key][0] < rows.year[r]:
            last[key] = (int(rows.year[r]), float(rows.measured[r]))
    out = np.full(len(rows.year), np.nan)
    for r in range(len(rows.year)):
        hit = last.get((str(rows.family[r]), int(rows.observer[r]), int(rows.actor[r])))
        if hit is not None:
            out[r] = hit[1]
    return out


@dataclass(frozen=True)
class Fold:
    """One fitting case: the waves after ``cutoff`` predicted from the rows up to it.

    Attributes:
        cutoff: The last fieldwork year known.
        target: Row indices predicted (later waves of pairs surveyed before).
        shift: (row,) what the model's own dynamics add to each predicted logit: the favourable
            slope times the change of attraction from the start to the wave, in a run of the
            history scenario of the period (its events), or with no events.
        scenario: The history scenario run, or None.

    """

    cutoff: int
    target: np.ndarray
    shift: np.ndarray
    scenario: Path | None


def model_shift(
    world: str,
    params: Parameters,
    cutoff: int,
    rows: PanelRows,
    target: np.ndarray,
    scenario: Path | None,
) -> np.ndarray:
    """Return (row,) slope · (attraction at each target wave − at the start) in a run from
    ``cutoff + 1``-Q1 (the history scenario's events, or none): what the simulated dynamics add
    in the logit of the favourable share, whatever the opinion settings.
    """
    from sim.model import SoftPowerModel
    from sim.model.plan import Plan

    steps = _step_of(rows.year[target], cutoff)
    horizon = max(int(steps.max()), 1) if len(steps) else 1
    spec: Plannable = Plan(start=(cutoff + 1, 1), steps=horizon)
    if scenario is not None:
        spec = _history(scenario, cutoff, world).with_steps(horizon)
    base = replace(params, opinion_start=0)
    model = SoftPowerModel(bundled_world(world), spec, base, rng=0)
    start = model.attraction()
    change = {0: np.zeros_like(start)}
    while model.steps < horizon:
        model.step()
        change[model.steps] = model.attraction() - start
    o, a = rows.observer[target], rows.actor[target]
    return np.array(
        [
            params.favourable_slope * change[int(s)][i, k]
            for s, i, k in zip(steps, o, a, strict=True)
        ]
    )


def _step_of(year: np.ndarray, cutoff: int) -> np.ndarray:
    """Return the model step of each wave's fieldwork quarter in a run from ``cutoff + 1``-Q1."""
    return np.round((year + FIELDWORK - (cutoff + 1.0)) * 4).astype(int)


def folds(
    world: str,
    params: Parameters,
    rows: PanelRows,
    until: int,
    episodes: Sequence[Path],
    horizon: int = 3,
) -> list[Fold]:
    """Return the fitting cases up to ``until``: for each history scenario that starts by
    ``until``, the waves of the ``horizon`` years after its start (up to ``until``) predicted
    from the rows before it, with its events.
    """
    out = []
    for path in episodes:
        try:
            year = _start_year(path, world)
        except ScenarioError:  # a nation of the episode is not in this world
            continue
        cutoff = year - 1
        if cutoff >= until:
            continue
        last = _last_before(rows, cutoff)
        target = np.flatnonzero(
            (rows.year > cutoff) & (rows.year <= min(cutoff + horizon, until)) & ~np.isnan(last)
        )
        if len(target):
            shift = model_shift(world, params, cutoff, rows, target, path)
            out.append(Fold(cutoff, target, shift, path))
    return out


def fit_opinion(
    prior: np.ndarray, rows: PanelRows, cases: Sequence[Fold], base: Parameters
) -> tuple[Parameters, float, float]:
    """Choose the opinion settings on the fitting cases (every case up to the backtest's year).

    Each candidate of a grid predicts every case's waves as the model would (the forecast of
    the latent opinion from the rows up to the cutoff plus the model's own shift, `Fold.shift`);
    the candidate with the smallest RMSE in points of share is kept.

    Returns:
        ``base`` with the chosen `opinion_*` values, that RMSE, and the factor by which the
        forecast variance must be scaled for its standardised errors on the cases to have
        variance 1: above 1 for what the settings leave out (event responses, shocks with no
        event), below 1 where the grid's variances are wider than the cases need.

    """
    if not cases:
        return base, float("nan"), 1.0
    best, best_error = None, np.inf
    for values in itertools.product(*_GRID.values()):
        settings = OpinionSettings(*values)
        sq, count = 0.0, 0
        for case in cases:
            measured, _ = _predict(prior, rows, case.cutoff, case.target, settings, case.shift)
            sq += float(((share(measured) - share(rows.measured[case.target])) ** 2).sum())
            count += len(case.target)
        error = np.sqrt(sq / count)
        if error < best_error - 1e-12:
            best, best_error = settings, error
    assert best is not None
    # the intervals' scale: the mean squared standardised error of the chosen settings' fit
    z2, count = 0.0, 0
    for case in cases:
        measured, variance = _predict(prior, rows, case.cutoff, case.target, best, case.shift)
        z2 += float(((rows.measured[case.target] - measured) ** 2 / variance).sum())
        count += len(case.target)
    chosen = {
        "opinion_persistence": best.persistence,
        "opinion_drift": best.drift,
        "opinion_noise": best.noise,
        "opinion_pooling": best.pooling,
    }
    return Parameters.from_mapping(chosen, base=base), float(best_error), z2 / count


@dataclass(frozen=True)
class ResponseFit:
    """The event responses a backtest refitted on the episodes up to its year.

    Attributes:
        episodes: Names of the episode waves fitted on (``name before-after``).
        values: The fitted response values (the run's parameters).
        members: The plausible sets (leave-one-scenario-out fits, then bootstrap fits).

    """

    episodes: tuple[str, ...]
    values: dict[str, float]
    members: tuple[dict[str, float], ...]


def refit_responses(
    until: int, params: Parameters, *, bootstrap: int = 9, seed: int = 1
) -> ResponseFit:
    """Fit the event responses on the episodes of ``sim/data/targets/episodes.csv`` whose later
    wave is fielded by ``until`` (nothing after it), with ``bootstrap`` resampled fits.

    Raises:
        DataError: No episode ends by ``until``.

    """
    from sim.analysis.episodes import fit_episodes, load_episodes, poll_table
    from sim.errors import DataError
    from sim.world.world import DATA_DIR

    targets = DATA_DIR / "targets"
    polls = poll_table(
        [
            targets / "pew_us_favourability_2000_2017.csv",
            targets / "pew_favourability_2002_2024.csv",
            DATA_DIR / "opinion" / "panel.csv",  # Pew's views of Russia
        ]
    )
    episodes = [
        ep
        for ep in load_episodes(targets / "episodes.csv", polls)
        if ep.after <= until and ep.observers
    ]
    if not episodes:
        raise DataError(
            f"no history episode ends by {until}",
            file=str(targets / "episodes.csv"),
            expected="an episode whose later wave is fielded by --until",
            suggestion="use a later --until, or --responses registry",
        )
    fit = fit_episodes(episodes, base=params, seed=seed, bootstrap=bootstrap)
    return ResponseFit(
        tuple(f"{ep.name} {ep.before}-{ep.after}" for ep in episodes),
        dict(fit.values),
        tuple(dict(v) for v in (*fit.folds, *fit.bootstrap)),
    )


@dataclass(frozen=True)
class Backtest:
    """What `backtest` found.

    Attributes:
        until: The last fieldwork year fitted on.
        world: The world's name.
        parameters: The parameters fitted on data up to ``until``.
        training_rmse: The fit's own RMSE (points) inside the fitting period.
        inflation: The variance factor of the 90 % intervals, from the fitting cases.
        table: Rows of `BACKTEST_COLUMNS`.
        predictions: Per held-out row: survey family, observer, actor, year, published,
            model, low, high, persistence, anchor, and the sd (measured logit) the plausible
            sets of the refitted responses add (0 without a refit).
        links: The survey links fitted up to ``until``.
        responses: The event responses refitted up to ``until``, or None (the registry's).

    """

    until: int
    world: str
    parameters: Parameters
    training_rmse: float
    inflation: float
    table: list[dict[str, Any]]
    predictions: list[dict[str, object]]
    links: dict[str, assimilation.SurveyLink]
    responses: ResponseFit | None = None

    def to_text(self) -> str:
        """Return the table as Markdown with a one-line heading."""
        p = self.parameters
        lines = [
            f"Backtest: fitted on the opinion panel up to {self.until} ({self.world}); "
            f"predicted every later wave up to {LAST_YEAR} of a pair surveyed before.",
            f"Fitted: opinion_persistence {p.opinion_persistence:g}, opinion_drift "
            f"{p.opinion_drift:g}, opinion_noise {p.opinion_noise:g}, opinion_pooling "
            f"{p.opinion_pooling:g} (RMSE {self.training_rmse:.1f} points on the episodes up to "
            f"{self.until}; interval variance x{self.inflation:.1f} from them)",
            "",
            "| predictor | RMSE | MAE | n | 90 % coverage |",
            "|---|---:|---:|---:|---:|",
        ]
        if self.responses is not None:
            r = self.responses
            values = ", ".join(f"{k} {v:g}" for k, v in r.values.items())
            lines.insert(
                2,
                f"Event responses refitted on the {len(r.episodes)} episode waves up to "
                f"{self.until} ({values}); the intervals add the spread of "
                f"{len(r.members)} plausible sets.",
            )
        if not self.table[0]["n"]:
            lines[-2:] = [f"No later wave: the panel ends in {LAST_YEAR} (2025 on is test data)."]
        for row in self.table if self.table[0]["n"] else []:
            cov = row["coverage"]
            cov_text = "" if cov is None or np.isnan(cov) else f"{cov:.0%}"
            lines.append(
                f"| {row['predictor']} | {row['rmse']:.2f} | {row['mae']:.2f} | {row['n']} "
                f"| {cov_text} |"
            )
        return "\n".join(lines)


def backtest(
    until: int,
    *,
    world: str | None = None,
    params: Parameters | None = None,
    panel: OpinionPanel | None = None,
    scenario: Path | None = None,
    episodes: Sequence[Path] | None = None,
    responses: str = "registry",
    bootstrap: int = 9,
) -> Backtest:
    """Fit on the panel up to ``until`` and predict every later wave up to 2024.

    The model's prediction is a run of `SoftPowerModel` started at ``until + 1``-Q1 from the
    pairs' polls up to ``until`` with the settings fitted on them, read at each wave's fieldwork
    quarter (Q2) and mapped to each survey's scale by its link.

    Args:
        until: The last fieldwork year fitted on (before 2024).
        world: Bundled world name.
        params: Base parameters (default: the registry's).
        panel: The opinion panel (default: the bundled one).
        scenario: A history scenario starting in ``until + 1``-Q1 whose events the model runs
            (the events that happened, never polls); None runs no events.
        episodes: History scenarios the settings are fitted on (default: those of
            ``sim/data/targets/episodes.csv``); only those that start by ``until`` are used.
        responses: ``"registry"`` runs the registry's event responses (fitted on every
            episode, some after ``until``); ``"refit"`` fits them again on the episodes that
            end by ``until`` (`refit_responses`) and widens the intervals by the spread of
            their plausible sets.
        bootstrap: Resampled fits among the plausible sets when ``responses="refit"``.

    Returns:
        The fitted settings, the table and the per-wave predictions.

    """
    from sim.model import SoftPowerModel
    from sim.model.plan import Plan
    from sim.world.bundled import world_name

    params = params or Parameters()
    if responses not in ("registry", "refit"):
        raise ValueError(f"responses must be 'registry' or 'refit', not {responses!r}")
    refit = refit_responses(until, params, bootstrap=bootstrap) if responses == "refit" else None
    if refit is not None:
        params = Parameters.from_mapping(refit.values, base=params)
    panel = panel if panel is not None else bundled_panel()
    name = world_name(world)
    iso3, prior = structural_prior(name, params)
    train = assimilation.panel_rows(panel, iso3, until)
    if episodes is None:
        episodes = default_episodes()
    cases = folds(name, params, train, until, episodes)
    fitted, training_rmse, inflation = fit_opinion(prior, train, cases, params)
    everything = assimilation.panel_rows(panel, iso3, LAST_YEAR)
    # every row of a survey family seen up to `until`, on the links fitted up to `until`
    known = np.isin(everything.family, list(train.links))
    family = everything.family[known]
    measured_all = everything.measured[known]
    rows = PanelRows(
        observer=everything.observer[known],
        actor=everything.actor[known],
        year=everything.year[known],
        family=family,
        measured=measured_all,
        latent=np.array(
            [train.links[f].to_latent(m) for f, m in zip(family, measured_all, strict=True)]
        ),
        links=train.links,
    )
    later = np.flatnonzero(rows.year > until)
    last = _last_before(rows, until)
    target = later[~np.isnan(last[later])]
    # the model itself, from the start in until + 1
    steps = max(int(_step_of(np.array([LAST_YEAR]), until)[0]), 1)  # the last wave's quarter
    spec: Plannable = Plan(start=(until + 1, 1), steps=steps)
    if scenario is not None:
        spec = _history(scenario, until, name).with_steps(steps)
    settings = assimilation.settings_of(fitted)
    _, variance = _predict(prior, rows, until, target, settings)
    published = share(rows.measured[target])
    o, a = rows.observer[target], rows.actor[target]
    slope = np.array([train.links[f].slope for f in rows.family[target]])
    intercept = np.array([train.links[f].intercept for f in rows.family[target]])
    step_of = _step_of(rows.year[target], until)

    def latent_of(run_params: Parameters) -> np.ndarray:
        """(row,) the run's latent logit at each held-out wave."""
        model = SoftPowerModel(bundled_world(name), spec, run_params, rng=0)
        shares = {0: model.favourable()}
        while model.steps < steps:
            model.step()
            shares[model.steps] = model.favourable()
        return np.array([logit(shares[s][i, k]) for s, i, k in zip(step_of, o, a, strict=True)])

    latent = latent_of(fitted)
    measured = intercept + slope * latent
    spread = np.zeros_like(measured)
    if refit is not None and refit.members and scenario is not None and len(target):
        runs = np.array([latent_of(Parameters.from_mapping(m, base=fitted)) for m in refit.members])
        spread = slope**2 * runs.var(axis=0, ddof=1)
    sd = np.sqrt(inflation * variance + spread)
    predicted = {
        "model": share(measured),
        "persistence": share(last[target]),
        "anchor": share(intercept + slope * prior[o, a]),
    }
    low, high = share(measured - _Z90 * sd), share(measured + _Z90 * sd)
    # an empty `target` (--until 2024: every wave was fitted on) gives rows with n = 0
    table = []
    for name_, values in predicted.items():
        err = values - published
        inside = (published >= low) & (published <= high)
        coverage = float(inside.mean()) if name_ == "model" and len(err) else np.nan
        table.append(
            {
                "predictor": name_,
                "rmse": float(np.sqrt((err**2).mean())) if len(err) else np.nan,
                "mae": float(np.abs(err).mean()) if len(err) else np.nan,
                "n": len(err),
                "coverage": coverage,
            }
        )
    predictions = [
        {
            "family": str(rows.family[r]),
            "observer": iso3[int(rows.observer[r])],
            "target": iso3[int(rows.actor[r])],
            "year": int(rows.year[r]),
            "published": float(published[j]),
            "model": float(predicted["model"][j]),
            "low": float(low[j]),
            "high": float(high[j]),
            "persistence": float(predicted["persistence"][j]),
            "anchor": float(predicted["anchor"][j]),
            "response_sd": float(np.sqrt(spread[j])),
        }
        for j, r in enumerate(target)
    ]
    return Backtest(
        until, name, fitted, training_rmse, inflation, table, predictions, train.links, refit
    )


def default_episodes(root: Path = Path(".")) -> list[Path]:
    """Return the history scenarios named in ``sim/data/targets/episodes.csv`` (file order)."""
    import csv

    from sim.world.world import DATA_DIR

    with (DATA_DIR / "targets" / "episodes.csv").open(newline="", encoding="utf-8") as fh:
        names = [row["scenario"] for row in csv.DictReader(fh)]
    return [root / name for name in dict.fromkeys(names)]


def _start_year(path: Path, world: str) -> int:
    from sim.scenario import load_scenario

    return int(load_scenario(path, world).plan(bundled_world(world)).start[0])


def _history(path: Path, until: int, world: str) -> Scenario:
    """Load a history scenario for the backtest; it must start in ``until + 1``-Q1."""
    from sim.errors import ScenarioError
    from sim.scenario import load_scenario

    scenario = load_scenario(path, world)
    plan = scenario.plan(bundled_world(world))
    if tuple(plan.start) != (until + 1, 1):
        year, quarter = plan.start
        raise ScenarioError(
            f"starts in {year}-Q{quarter}",
            file=str(path),
            key="start",
            expected=f"{until + 1}-Q1, the quarter after --until {until}",
            suggestion=f"use --until {year - 1} or a scenario that starts in {until + 1}-Q1",
        )
    return scenario


def write_backtest(result: Backtest, out: Path) -> list[Path]:
    """Write ``backtest.csv``, ``predictions.csv`` and ``parameters.yaml`` into ``out``."""
    import csv

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "backtest.csv", out / "predictions.csv", out / "parameters.yaml"]
    with paths[0].open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=BACKTEST_COLUMNS)
        writer.writeheader()
        for row in result.table:
            writer.writerow(
                {k: ("" if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            )
    with paths[1].open("w", newline="", encoding="utf-8") as fh:
        fields = list(result.predictions[0]) if result.predictions else ["family"]
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(result.predictions)
    p = result.parameters
    names: tuple[str, ...] = (
        "opinion_persistence",
        "opinion_drift",
        "opinion_noise",
        "opinion_pooling",
    )
    if result.responses is not None:
        names += tuple(result.responses.values)
    paths[2].write_text(
        f"# fitted by softpower backtest --until {result.until} on the opinion panel up to "
        f"{result.until}"
        + (" (and the event responses on the episodes up to it)" if result.responses else "")
        + "\n"
        + "".join(f"{n}: {getattr(p, n)}\n" for n in names),
        encoding="utf-8",
    )
    return paths
