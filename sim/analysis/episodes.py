"""Event responses learned from past episodes (the 2025 test is `sim.analysis.forecast`).

An episode is a history scenario (``scenarios/history/``) and the poll waves that bracket it
(``sim/data/targets/episodes.csv``). The model predicts, per surveyed country, the change of the
favourable share of the target nation between the waves: the scenario minus the same world with
none of its events, same seed (common random numbers), at the quarter of the later wave.

Event jumps add on the model's latent scale and decay through a linear update, so the logit of
the favourable share moves linearly with each response parameter: each parameter's *response
column* is measured once (a run with only that parameter set, in logit per unit, mapped to
points along each observer's published change, `secant`), and the parameters are fitted by
least squares within the registry's ranges on all episodes together (`fit_episodes`), with
leave-one-scenario-out folds and a two-stage bootstrap, over scenarios and then countries
within episodes (the plausible sets). An episode may hold
several waves (the one just after the event, one and two years later): the later waves measure
how much of a change lasts, and ``event_persistence`` (the share of an event's jump that moves
the anchor) is chosen on a grid by how well the responses fitted without a scenario predict it
(leave-one-scenario-out); the other responses are then fitted on all episodes at that value.
A leader change moves observer i by −L·stance·(freedom_i − pivot), a mix of the runs with
pivot 0 and pivot 1: two columns with coefficients L·(1 − pivot) and L·pivot, both ≥ 0, so that
the pivot stays in [0, 1]. A threat moves its targets by −T·severity and their allies and region by
−T·spillover·severity, a mix of the runs with spillover 0 and 1: coefficients T·(1 − spillover)
and T·spillover.

An episode whose window holds a documented shock the model does not have (the ``common_shock``
column of the episodes file, with its source: the COVID-19 pandemic in 2020) gets a free
intercept: its countries' changes are fitted about their mean (a fixed effect), so the responses
are identified by who moved more or less than the rest, not by the shock everyone felt. Without
it, the pandemic's fall of China's image everywhere was blamed on China's coercion of Australia
spilling over (the threat response came out 2.02 instead of 1.27).

The 2025 out-of-sample test that reads parameters fitted here lives in `sim.analysis.forecast`.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.optimize

from sim.analysis.agreement import rmse
from sim.analysis.observation_fit import CALIBRATION_YEARS
from sim.batch.service import ModelService, PlanTask, run_plan
from sim.errors import DataError
from sim.model.model import SoftPowerModel
from sim.params import REGISTRY, Parameters
from sim.scenario.scenario import Scenario, load_scenario
from sim.world.bundled import bundled_world
from sim.world.world import World

__all__ = [
    "COLUMNS",
    "Episode",
    "EpisodeFit",
    "favourable_at",
    "fit_episodes",
    "load_episodes",
    "poll_table",
    "response_designs",
]

#: Response columns: the registry values of one measurement run each (others at 0).
COLUMNS: dict[str, dict[str, float]] = {
    "war_perception": {"war_perception": 1.0},
    "threat (spillover 0)": {"threat_perception": 1.0, "threat_spillover": 0.0},
    "threat (spillover 1)": {"threat_perception": 1.0, "threat_spillover": 1.0},
    "withdrawal_perception": {"withdrawal_perception": 1.0},
    "leader (pivot 0)": {"leader_perception": 1.0, "leader_pivot": 0.0},
    "leader (pivot 1)": {"leader_perception": 1.0, "leader_pivot": 1.0},
}

#: Shares and pivots: set as given in a measurement run, not scaled by the unit.
_UNSCALED = ("leader_pivot", "threat_spillover")

#: Response parameters set to 0 in the measurement runs (so each column is one mechanism).
_RESPONSES = (
    "tariff_perception",
    "aid_cut_perception",
    "withdrawal_perception",
    "threat_perception",
    "war_perception",
    "leader_perception",
)

#: Unit of a measurement run (columns are per unit 1; the logit moves linearly with it).
_UNIT = 0.2
#: Shares are kept within [0.5, 99.5] % for their logit (as `sim.model.assimilation.logit`).
_EDGE = 0.5

#: The panel's survey and question that the episodes' favourable shares are (Pew's).
_PEW_FAVOURABLE = ("pew_global_attitudes", "favourable")

#: Values of ``event_persistence`` tried by `fit_episodes`.
PERSISTENCE_GRID: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(11))


@dataclass(frozen=True)
class Episode:
    """One history scenario and the poll waves around it.

    Attributes:
        name: Scenario name and target, e.g. ``america_first_2017 (USA)``.
        scenario: The loaded scenario.
        target: Nation asked about.
        before: Year of the earlier wave.
        after: Year of the later wave.
        step: Quarter of the scenario at which the later wave is compared.
        observers: ISO3 of the surveyed countries with both waves (in the scenario's world).
        change: Published change of the favourable share (points), per observer.
        common_shock: A documented shock in the window that the model does not have (with its
            source), or None; the episode is then fitted about its countries' mean change.
        level: Published favourable share (%) at the earlier wave, per observer, or None.

    """

    name: str
    scenario: Scenario
    target: str
    before: int
    after: int
    step: int
    observers: tuple[str, ...]
    change: np.ndarray
    common_shock: str | None = None
    level: np.ndarray | None = None


def poll_table(paths: Sequence[str | Path]) -> dict[tuple[str, str, int], float]:
    """Return ``(observer, target, year) → favourable %`` from poll files (first value wins).

    A file is either a target file (``observer,target,year,favourable_pct,source``) or the
    opinion panel (``sim/data/opinion/panel.csv``: ``survey,question,...,value``), of which
    only Pew's favourable shares are read (the other surveys ask other questions).
    """
    table: dict[tuple[str, str, int], float] = {}
    for path in map(Path, paths):
        with path.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if "survey" in r:  # the opinion panel
                    if (r["survey"], r["question"]) != _PEW_FAVOURABLE:
                        continue
                    value = r["value"]
                else:
                    value = r["favourable_pct"]
                table.setdefault((r["observer"], r["target"], int(r["year"])), float(value))
    return table


def load_episodes(
    path: str | Path, polls: Mapping[tuple[str, str, int], float], root: str | Path = "."
) -> list[Episode]:
    """Read the episodes file (``scenario,target,before_year,after_year,step,...``; an optional
    ``common_shock`` column names a shock in the window that the model does not have).

    Raises:
        DataError: A missing file or a wave after 2024 (later polls are test data).

    """
    path = Path(path)
    if not path.is_file():
        raise DataError("episodes file not found", file=str(path), expected="a CSV file")
    episodes = []
    with path.open(newline="", encoding="utf-8") as fh:
        for line, r in enumerate(csv.DictReader(fh), start=2):
            before, after = int(r["before_year"]), int(r["after_year"])
            if after > CALIBRATION_YEARS[1]:
                raise DataError(
                    f"a wave of {after}",
                    file=str(path),
                    line=line,
                    expected="waves up to 2024 (later polls are test data)",
                )
            scenario = load_scenario(Path(root) / r["scenario"])
            world = bundled_world(scenario.world)
            target = r["target"]
            observers = sorted(
                o
                for (o, t, y) in polls
                if t == target and y == before and (o, t, after) in polls and o in world.iso3
            )
            if not observers:
                raise DataError(
                    f"no surveyed country has {target} in both {before} and {after}",
                    file=str(path),
                    line=line,
                    expected="poll files holding both waves of the episode's target",
                    suggestion="add --polls sim/data/opinion/panel.csv (Pew's views of Russia, "
                    "the EU, Iran, ... are in the opinion panel only)",
                )
            change = np.array(
                [polls[o, target, after] - polls[o, target, before] for o in observers]
            )
            episodes.append(
                Episode(
                    f"{scenario.name} ({target})",
                    scenario,
                    target,
                    before,
                    after,
                    int(r["step"]),
                    tuple(observers),
                    change,
                    (r.get("common_shock") or "").strip() or None,
                    np.array([polls[o, target, before] for o in observers]),
                )
            )
    return episodes


def favourable_at(
    scenario: Scenario, params: Parameters, steps: Sequence[int], seed: int, events: bool = True
) -> dict[int, np.ndarray]:
    """Return the favourable shares at each of ``steps`` of one run (with or without events)."""
    task = _shares_task(scenario, params, steps, seed, events)
    shares: dict[int, np.ndarray] = run_plan(bundled_world(scenario.world), task)
    return shares


def _favourable(model: SoftPowerModel) -> np.ndarray:
    return model.favourable()


def _shares_task(
    scenario: Scenario,
    params: Parameters,
    steps: Sequence[int],
    seed: int,
    events: bool = True,
    world: int = 0,
) -> PlanTask:
    """The run of `favourable_at` (on the service's world ``world``)."""
    plan = scenario.plan(bundled_world(scenario.world)).with_steps(max(steps))
    if not events:
        plan = replace(plan, events=())
    return PlanTask(
        _favourable, plan=plan, parameters=params, seed=seed, at=tuple(steps), world=world
    )


def _base_parameters(base: Parameters | None) -> Parameters:
    return Parameters.from_mapping({name: 0.0 for name in _RESPONSES}, base=base)


def secant(episode: Episode) -> np.ndarray:
    """Return (observer,) points of favourable share per unit of logit along each observer's
    published change: the change divided by the change of its logit (the slope of the logistic
    at the earlier wave's level where the change is 0).

    Multiplying a logit change by it gives points that equal the published change exactly when
    the logit change is the published one, so a fit in these units is a fit in points that
    follows the curvature of the logistic link (a fall from 85 % costs more logit than a fall
    from 50 % of the same size).
    """
    if episode.level is None:
        return np.full(len(episode.observers), 25.0)  # the slope at 50 %
    before = np.clip(episode.level, _EDGE, 100.0 - _EDGE)
    after = np.clip(episode.level + episode.change, _EDGE, 100.0 - _EDGE)
    moved = _logit_pct(after) - _logit_pct(before)
    slope = before * (100.0 - before) / 100.0
    small = np.abs(moved) < 1e-9
    return np.where(small, slope, (after - before) / np.where(small, 1.0, moved))


def _logit_pct(share: np.ndarray) -> np.ndarray:
    return np.log(share / (100.0 - share))


def _scenarios(episodes: Sequence[Episode]) -> list[list[int]]:
    """The episodes of each scenario (waves at several steps, targets), which share runs."""
    by_scenario: dict[str, list[int]] = {}
    for e, ep in enumerate(episodes):
        by_scenario.setdefault(ep.scenario.name, []).append(e)
    return list(by_scenario.values())


def _column_parameters(base: Parameters) -> list[Parameters]:
    """The parameters of a design's runs: every response at 0, then each of `COLUMNS`."""
    runs = [base]
    for values in COLUMNS.values():
        scaled = {k: (v if k in _UNSCALED else v * _UNIT) for k, v in values.items()}
        runs.append(Parameters.from_mapping(scaled, base=base))
    return runs


def _design_tasks(
    episodes: Sequence[Episode], base: Parameters, seed: int, worlds: Sequence[World]
) -> list[PlanTask]:
    """The runs of `_design`: per parameters of `_column_parameters`, each scenario's run.

    Runs with the same parameters come together, so that a worker given a chunk of them
    reuses their spin-up (the model caches it by world and parameters).
    """
    groups = _scenarios(episodes)
    tasks = []
    for params in _column_parameters(base):
        for members in groups:
            scenario = episodes[members[0]].scenario
            steps = sorted({episodes[e].step for e in members})
            loaded = bundled_world(scenario.world)
            world = next(i for i, w in enumerate(worlds) if w is loaded)
            tasks.append(_shares_task(scenario, params, steps, seed, world=world))
    return tasks


def _design(
    episodes: Sequence[Episode], readings: Sequence[dict[int, np.ndarray]]
) -> list[np.ndarray]:
    """Return each episode's response columns (countries × `COLUMNS`, change per unit) from
    the shares of `_design_tasks`' runs.

    A column is the change of the logit of the favourable share that one response causes per
    unit (a run with that response at `_UNIT`, minus the run with every response at 0 and the
    same events), times the observer's `secant`: points along the published change. Events add
    on the model's latent scale (docs/ODD.md §7.4), so the logit moves linearly with each
    response, and the fit's only approximation is the secant. What an episode's events do with
    every response at 0 (credibility, capacities, memberships) is left out: below 0.2 points
    in every episode of ``sim/data/targets/episodes.csv`` (measured when this was written).
    The episodes of one scenario (waves at several steps, targets) share their runs.
    """
    columns: list[dict[str, np.ndarray]] = [{} for _ in episodes]
    groups = _scenarios(episodes)
    for g, members in enumerate(groups):
        scenario = episodes[members[0]].scenario
        iso3 = list(bundled_world(scenario.world).iso3)
        zero = readings[g]
        for c, name in enumerate(COLUMNS, start=1):
            shares = readings[c * len(groups) + g]
            for e in members:
                ep = episodes[e]
                idx, k = [iso3.index(o) for o in ep.observers], iso3.index(ep.target)
                moved = _logit_pct(shares[ep.step][idx, k]) - _logit_pct(zero[ep.step][idx, k])
                columns[e][name] = secant(ep) * moved / _UNIT
    return [np.column_stack([rows[n] for n in COLUMNS]) for rows in columns]


@dataclass
class EpisodeFit:
    """Response parameters fitted on episodes, with in- and out-of-episode fit.

    Attributes:
        values: Fitted registry values.
        rows: Per episode: observers, published change RMSE (no-change baseline), in-episode
            RMSE, out-of-episode RMSE (fitted without that episode), mean published and
            predicted change. For an episode with a common shock the RMSEs are about the
            episode's mean (the baseline: the same change everywhere), and ``common_shock``
            holds the mean change left to the shock (published minus predicted mean).

    """

    values: dict[str, float]
    rows: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The fit without each scenario in turn (all its waves and targets): a plausible set of
    #: values per scenario left out, in the order of `left_out`.
    folds: list[dict[str, float]] = field(default_factory=list)
    #: Fits to resampled data (seeded bootstrap in two stages: the scenarios with replacement,
    #: then the countries within each drawn episode).
    bootstrap: list[dict[str, float]] = field(default_factory=list)
    #: The scenario each fold leaves out.
    left_out: list[str] = field(default_factory=list)

    def write_ensemble(self, path: str | Path) -> Path:
        """Write the plausible parameter sets as a CSV that experiment designs can sample from
        (``member,source,<parameter>...``): the full fit, each leave-one-scenario-out fit and each
        bootstrap fit (scenarios, then countries within episodes, resampled).
        """
        path = Path(path)
        names = list(self.values)
        members = [("full fit", self.values)]
        members += [(f"without {g}", v) for g, v in zip(self.left_out, self.folds, strict=True)]
        members += [(f"bootstrap {b + 1}", v) for b, v in enumerate(self.bootstrap)]
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["member", "source", *names])
            for i, (label, values) in enumerate(members):
                writer.writerow([i, label, *(values[n] for n in names)])
        return path

    def parameter_values(self) -> dict[str, float]:
        """The fitted values, as a parameter file holds them."""
        return dict(self.values)

    def to_dict(self) -> dict[str, object]:
        """The fit as plain data for the parameter file's ``calibration:`` record."""
        return {
            "method": "bounded least squares on response columns at each event_persistence of "
            "a grid, an intercept for episodes with a common shock, leave-one-scenario-out",
            "episodes": self.rows,
        }

    def to_text(self) -> str:
        """A Markdown table of the fit."""
        lines = ["Fitted response parameters:", ""]
        lines += [f"- `{k}` = {v:g}" for k, v in self.values.items()]
        lines += [
            "",
            "| episode (waves) | countries | published mean change | predicted (in) | "
            "RMSE no change | RMSE in-sample | RMSE out-of-scenario |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in self.rows:
            mark = " †" if r.get("common_shock") is not None else ""
            lines.append(
                f"| {r['episode']} {r['wave']}{mark} | {r['countries']} | "
                f"{r['published_mean']:+.1f} | "
                f"{r['predicted_mean']:+.1f} | {r['rmse_no_change']:.1f} | "
                f"{r['rmse_in']:.1f} | {r['rmse_out']:.1f} |"
            )
        shocks = [r for r in self.rows if r.get("common_shock") is not None]
        if shocks:
            lines.append(
                "† fitted about the episode's mean (a shock the model does not have: "
                + "; ".join(f"{r['episode']} {r['common_shock']:+.1f} points" for r in shocks)
                + "): RMSEs of the differences between countries; 'no change' is the same "
                "change everywhere."
            )
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _solve(
    blocks: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    common: Sequence[bool] | None = None,
) -> np.ndarray:
    """Least squares of the stacked episodes within the registry's ranges (from 0 up).

    Args:
        blocks: Per episode, the response columns (countries × `COLUMNS`).
        targets: Per episode, the published changes.
        common: Per episode, whether it has a common shock: its columns and changes are then
            centred on their means (a free intercept, profiled out).

    """
    common = common or [False] * len(blocks)
    x = np.vstack([b - b.mean(axis=0) if c else b for b, c in zip(blocks, common, strict=True)])
    y = np.concatenate([t - t.mean() if c else t for t, c in zip(targets, common, strict=True)])
    high = [
        REGISTRY["war_perception"].high,
        REGISTRY["threat_perception"].high,  # T · (1 − spillover)
        REGISTRY["threat_perception"].high,  # T · spillover
        REGISTRY["withdrawal_perception"].high,
        REGISTRY["leader_perception"].high,
        REGISTRY["leader_perception"].high,  # L · pivot
    ]
    return scipy.optimize.lsq_linear(x, y, bounds=(0.0, high), method="bvls").x


def _sse(
    blocks: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    common: Sequence[bool],
    theta: np.ndarray,
) -> float:
    """Sum of squared errors of a solution (about the mean for episodes with a common shock)."""
    total = 0.0
    for x, y, c in zip(blocks, targets, common, strict=True):
        residual = x @ theta - y
        total += float(np.sum((residual - residual.mean() if c else residual) ** 2))
    return total


def _best(
    designs: Mapping[float, Sequence[np.ndarray]],
    targets: Sequence[np.ndarray],
    common: Sequence[bool],
    rows: Sequence[int],
    groups: Sequence[str],
    picks: Sequence[np.ndarray] | None = None,
) -> tuple[float, np.ndarray]:
    """Return the persistence and the response solution for ``rows`` (countries ``picks`` of
    each row when resampled).

    The persistence is the value of the grid whose responses, fitted without one scenario
    (``groups[r]`` names row r's), predict that scenario best, summed over the scenarios
    (leave-one-scenario-out); with a single scenario, the one that fits it best. The responses
    are then fitted on all ``rows`` at that value.
    """
    if not designs:
        raise ValueError("no value of event_persistence to try")

    def data(
        design: Sequence[np.ndarray], subset: Sequence[int]
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        if picks is None:
            return [design[rows[j]] for j in subset], [targets[rows[j]] for j in subset]
        return (
            [design[rows[j]][picks[j]] for j in subset],
            [targets[rows[j]][picks[j]] for j in subset],
        )

    everything = list(range(len(rows)))
    flags = [common[r] for r in rows]
    names = list(dict.fromkeys(groups[r] for r in rows))
    best: tuple[float, float] | None = None
    for share, design in designs.items():
        if len(names) < 2:
            blocks, ys = data(design, everything)
            error = _sse(blocks, ys, flags, _solve(blocks, ys, flags))
        else:
            error = 0.0
            for name in names:
                train = [j for j in everything if groups[rows[j]] != name]
                test = [j for j in everything if groups[rows[j]] == name]
                theta = _solve(*data(design, train), [flags[j] for j in train])
                error += _sse(*data(design, test), [flags[j] for j in test], theta)
        if best is None or error < best[0] - 1e-9:
            best = (error, share)
    share = best[1]  # type: ignore[index]
    blocks, ys = data(designs[share], everything)
    return share, _solve(blocks, ys, flags)


def _rounded(value: float) -> float:
    return round(value, 4) + 0.0  # 4 decimals, and no -0.0


def _values(theta: np.ndarray) -> dict[str, float]:
    """Registry values of a solution: T = T·(1 − spillover) + T·spillover and the spillover
    their ratio, the same for the leader's L and pivot (the registry's default share when the
    response is 0), each response within the registry's range; the tariff rule applied.
    """
    war, threat_far, threat_near, withdrawal, leader_far, leader_all = (float(v) for v in theta)
    threat, leader = threat_far + threat_near, leader_far + leader_all
    spill = threat_near / threat if threat > 0 else REGISTRY["threat_spillover"].default
    pivot = leader_all / leader if leader > 0 else REGISTRY["leader_pivot"].default
    threat = min(threat, REGISTRY["threat_perception"].high)
    leader = min(leader, REGISTRY["leader_perception"].high)
    values = {
        "war_perception": _rounded(float(war)),
        "threat_perception": _rounded(float(threat)),
        "threat_spillover": _rounded(float(np.clip(spill, 0.0, 1.0))),
        "withdrawal_perception": _rounded(float(withdrawal)),
        "leader_perception": _rounded(float(leader)),
        "leader_pivot": _rounded(float(np.clip(pivot, 0.0, 1.0))),
    }
    # No episode has a tariff on all goods: a 100 % tariff on all of a partner's trade is taken
    # as hostile as a threat of severity 1 (a stated rule, not an estimate).
    values["tariff_perception"] = values["threat_perception"]
    return values


def response_designs(
    episodes: Sequence[Episode],
    *,
    base: Parameters | None = None,
    seed: int = 1,
    persistence: Sequence[float] = PERSISTENCE_GRID,
    workers: int = 1,
) -> dict[float, list[np.ndarray]]:
    """Return, per value of ``event_persistence``, each episode's response columns
    (countries × `COLUMNS`, change per unit; the model runs of the fit).

    Args:
        episodes: The episodes (`load_episodes`).
        base: Parameters to start from (the response parameters are set to 0 in it).
        seed: Seed of every run.
        persistence: Values of ``event_persistence``.
        workers: Processes for the runs (`sim.batch.service`); the result does not depend on it.

    """
    base = _base_parameters(base)
    worlds: list[World] = []
    for ep in episodes:
        world = bundled_world(ep.scenario.world)
        if not any(world is w for w in worlds):
            worlds.append(world)
    shares = [float(share) for share in persistence]
    tasks = [
        _design_tasks(
            episodes, Parameters.from_mapping({"event_persistence": share}, base=base), seed, worlds
        )
        for share in shares
    ]
    with ModelService(worlds, workers) as service:
        readings = service.run([task for some in tasks for task in some])
    size = len(tasks[0]) if tasks else 0
    return {
        share: _design(episodes, readings[i * size : (i + 1) * size])
        for i, share in enumerate(shares)
    }


def fit_episodes(
    episodes: Sequence[Episode],
    *,
    base: Parameters | None = None,
    seed: int = 1,
    bootstrap: int = 9,
    persistence: Sequence[float] = PERSISTENCE_GRID,
    designs: Mapping[float, Sequence[np.ndarray]] | None = None,
    workers: int = 1,
) -> EpisodeFit:
    """Fit the response parameters on the episodes (see the module docstring).

    Args:
        episodes: The episodes (`load_episodes`).
        base: Parameters to start from (the response parameters are set to 0 in it).
        seed: Seed of the model runs and of the bootstrap.
        bootstrap: Fits to resampled data (the scenarios with replacement, then the countries
            within each drawn episode), for the plausible parameter sets of
            `EpisodeFit.write_ensemble`.
        persistence: Values of ``event_persistence`` tried; each fit (full, folds, bootstrap)
            takes the one that predicts a scenario left out best (leave-one-scenario-out
            within the fit's own data).
        designs: The response columns already measured (`response_designs`), which then
            replace ``base`` and ``persistence``.
        workers: Processes for the model runs; the result does not depend on it.

    """
    if designs is None:
        designs = response_designs(
            episodes, base=base, seed=seed, persistence=persistence, workers=workers
        )
    changes = [ep.change for ep in episodes]
    common = [ep.common_shock is not None for ep in episodes]
    everything = range(len(episodes))
    names = [ep.scenario.name for ep in episodes]
    share, theta = _best(designs, changes, common, everything, names)
    # Folds leave out a whole scenario (all its waves and targets).
    groups = list(dict.fromkeys(ep.scenario.name for ep in episodes))
    if len(groups) < 2:  # one scenario: nothing left to fit on without it
        groups = []
    fold_fits = {g: _best(designs, changes, common, _without(episodes, g), names) for g in groups}
    fit_rows = []
    for e, ep in enumerate(episodes):
        pred_in = designs[share][e] @ theta
        if groups:
            out_share, out = fold_fits[ep.scenario.name]
            pred_out = designs[out_share][e] @ out
        else:
            pred_out = np.full_like(pred_in, np.nan)
        shift = float(ep.change.mean()) if common[e] else 0.0  # what everyone felt
        row = {
            "episode": ep.name,
            "wave": f"{ep.before}-{ep.after}",
            "countries": len(ep.observers),
            "published_mean": float(ep.change.mean()),
            "predicted_mean": float(pred_in.mean()),
            "rmse_no_change": rmse(ep.change - shift),
            # with a common shock, each prediction gets the intercept that fits it best
            "rmse_in": rmse(_centred(pred_in, common[e]) - (ep.change - shift)),
            "rmse_out": rmse(_centred(pred_out, common[e]) - (ep.change - shift)),
        }
        if common[e]:
            row["common_shock"] = float(ep.change.mean() - pred_in.mean())
            row["common_shock_source"] = ep.common_shock
        fit_rows.append(row)
    values = {"event_persistence": share, **_values(theta)}
    folds = [{"event_persistence": fold_fits[g][0], **_values(fold_fits[g][1])} for g in groups]
    notes = [
        "tariff_perception is set equal to threat_perception by a stated rule; "
        "aid_cut_perception has no episode (no aid cut in the history set) and keeps its "
        "stated default.",
        f"event_persistence chosen on the grid {', '.join(f'{v:g}' for v in designs)} by "
        "leave-one-scenario-out error (the other responses fitted without the scenario at each "
        "value), then the responses fitted on all episodes at that value.",
    ]
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    resampled = []
    scenarios = list(dict.fromkeys(names))
    for _ in range(bootstrap):
        # two stages: the scenarios (all their waves and targets) with replacement, then the
        # countries within each drawn episode
        drawn = rng.integers(0, len(scenarios), len(scenarios))
        rows = [e for d in drawn for e in everything if names[e] == scenarios[d]]
        picks = [rng.integers(0, len(changes[e]), len(changes[e])) for e in rows]
        share_b, theta_b = _best(designs, changes, common, rows, names, picks)
        resampled.append({"event_persistence": share_b, **_values(theta_b)})
    return EpisodeFit(values, fit_rows, notes, folds, resampled, groups)


def _without(episodes: Sequence[Episode], scenario: str) -> list[int]:
    return [i for i, ep in enumerate(episodes) if ep.scenario.name != scenario]


def _centred(values: np.ndarray, centre: bool) -> np.ndarray:
    return values - values.mean() if centre else values
