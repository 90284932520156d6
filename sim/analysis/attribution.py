"""Which events carry a scenario's change: Shapley attribution over its events, by nation.

A scenario's change at a step is its run minus the same run with none of its events — for the
library's scenarios exactly ``softpower run SCENARIO --seed N`` minus ``softpower run
scenarios/baseline.yaml --seed N``. `attribute` splits that change among the scenario's
*components* (each event, or the events of each included file, or of each kind) as Shapley
values (`sim.analysis.shapley`): every coalition of components is a run of the scenario with just
those events, same world, same parameters, same seed.

Common random numbers. A coalition run uses the scenario's seed, so nations' decisions draw the
same numbers in every coalition: the model draws a fixed count per step whatever the events. Only
*random events* (``kind: random``) draw extra numbers (whether they fire, and their size) from
the same generator. A coalition without a random event therefore keeps it as a *placeholder*
that makes the same draws and does nothing, so the other events and the decisions see the same
numbers with or without it. The empty coalition then differs from the event-less run by the
placeholders' draws alone; that difference — pure sampling noise of the decisions — is reported
as its own component, ``random-number draws``, so the effects still sum to the scenario minus
the event-less run. Scenarios without random events (all but ``random_shocks.yaml`` in the
library) have no such component.

Parameter overrides. A scenario's ``parameters:`` are not events: they stay in every coalition.
When a scenario overrides parameters, the change is taken against the event-less run at the
*default* parameters (the baseline) and the overrides' own effect (the event-less run with the
overrides minus the baseline) is reported as the component ``parameter overrides``; the events
are attributed at the overridden parameters.

Events that act at or after the step asked for cannot move it: they are left out of the game and
reported with an effect of exactly 0. Outcomes per nation: ``score``, ``rank`` (a positive effect
is a worse rank) and, when the model records them, ``familiarity`` and ``reputation``; per
observer toward each focus nation: ``attraction`` (−1..1) and, when recorded, ``favourable``
(0–100). With several replications (seeds), or several runs each with its own seed and
parameter values (`RunSetting`: a batch's runs, `sim.analysis.batch_attribution`), every
coalition is averaged over them, which by linearity averages the Shapley values.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from sim.analysis.components import GROUPINGS, choose_grouping, components_of, plan_cost
from sim.analysis.shapley import EfficiencyError, shapley_values
from sim.batch.executor import default_workers
from sim.batch.service import ModelService, PlanTask
from sim.errors import SoftPowerError, suggest
from sim.model.plan import CredibilityShock, Plan, PlannedEvent, RandomShock

if TYPE_CHECKING:
    from sim.model.model import SoftPowerModel
    from sim.params import Parameters
    from sim.scenario.scenario import Scenario
    from sim.world.world import World

__all__ = [
    "DRAWS",
    "GROUPINGS",
    "OVERRIDES",
    "RunSetting",
    "ScenarioAttribution",
    "attribute",
    "choose_grouping",
    "console_line",
    "components_of",
    "default_workers",
    "plan_cost",
    "seeds_for",
    "write_attribution",
]

#: Component holding the effect of a scenario's parameter overrides.
OVERRIDES = "parameter overrides"
#: Component holding the effect of random events' draws on the decisions (sampling noise).
DRAWS = "random-number draws"

#: Per-nation outcomes, in output order, read from the ``soft_power`` table when present.
NATION_METRICS: tuple[str, ...] = ("score", "rank", "familiarity", "reputation")
#: Per-pair outcomes toward the focus nations: (metric, table, column).
PAIR_METRICS: tuple[tuple[str, str, str], ...] = (
    ("attraction", "perception", "value"),
    ("favourable", "polls", "favourable"),
)

Seed = int | np.random.SeedSequence


@dataclass(frozen=True)
class ScenarioAttribution:
    """A scenario's change at one step split among its components.

    Attributes:
        scenario: Scenario name.
        step: The step attributed.
        date: Its ``YYYY-Qn`` label.
        components: Component names, extra components (`OVERRIDES`, `DRAWS`) first.
        kinds: Per component: ``events``, ``overrides``, ``draws`` or ``inactive`` (events that
            act at or after the step; effect 0).
        entries: Rows of the outcome: ``(nation, metric, target)``; ``target`` is ``""`` for
            per-nation metrics, the focus nation for ``attraction``/``favourable`` (then
            ``nation`` is the observer).
        effects: ``(component, entry)`` Shapley values.
        baseline: Per entry, the event-less run at the default parameters.
        scenario_value: Per entry, the scenario's run.
        stderr: ``(component, entry)`` standard errors in sampled mode (NaN otherwise).
        exact: Whether every coalition was run (else orderings were sampled).
        runs: Model runs made (coalitions × runs averaged over, plus the baseline runs).
        seconds: Wall time.
        seeds: Seed labels used, one per run averaged over.
        grouping: ``event``, ``file`` or ``kind``.
        notes: What a reader should know (placeholders, overrides, inactive events).
        run_labels: Per run averaged over, its label (a batch's run id; empty for seeds).

    """

    scenario: str
    step: int
    date: str
    components: tuple[str, ...]
    kinds: tuple[str, ...]
    entries: tuple[tuple[str, str, str], ...]
    effects: np.ndarray
    baseline: np.ndarray
    scenario_value: np.ndarray
    stderr: np.ndarray
    exact: bool
    runs: int
    seconds: float
    seeds: tuple[str, ...]
    grouping: str
    notes: tuple[str, ...] = ()
    run_labels: tuple[str, ...] = ()
    _rows: dict[tuple[str, str, str], int] = field(default_factory=dict, repr=False)

    @property
    def total(self) -> np.ndarray:
        """Per entry, the change to explain: scenario minus baseline."""
        return self.scenario_value - self.baseline

    def check(self, atol: float = 1e-9) -> None:
        """Raise `EfficiencyError` unless the effects sum to the total change for every entry."""
        gap = np.abs(self.effects.sum(axis=0) - self.total)
        if gap.size and float(gap.max()) > atol:
            raise EfficiencyError(
                f"effects sum to the change only within {float(gap.max()):.3g} (tolerance {atol})"
            )

    def row(self, nation: str, metric: str = "score", target: str = "") -> int:
        """Return the entry index of an outcome, e.g. ``row("MEX", "favourable", "USA")``."""
        if not self._rows:
            self._rows.update({key: i for i, key in enumerate(self.entries)})
        try:
            return self._rows[(nation, metric, target)]
        except KeyError:
            raise SoftPowerError(
                f"no outcome {metric} of {nation}" + (f" toward {target}" if target else ""),
                key="nations",
                expected="a nation of the world and a metric the model records",
                suggestion=suggest(nation, sorted({e[0] for e in self.entries})),
            ) from None

    def effect(self, nation: str, metric: str = "score", target: str = "") -> pd.Series:
        """Return the effects on one outcome, indexed by component."""
        return pd.Series(self.effects[:, self.row(nation, metric, target)], index=self.components)

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics present, in output order."""
        return tuple(dict.fromkeys(e[1] for e in self.entries))

    def table(self) -> pd.DataFrame:
        """Return the long table written as ``attribution.csv``.

        Columns ``nation, metric, target, component, effect, stderr, baseline, scenario,
        change``: one row per outcome and component; for each (nation, metric, target) the
        ``effect`` column sums to ``change`` (= ``scenario − baseline``) to 1e-9.
        """
        n_comp, n_entry = self.effects.shape
        columns = zip(*self.entries, strict=True)
        nations, metrics, targets = (np.array(v, dtype=object) for v in columns)
        return pd.DataFrame(
            {
                "nation": np.repeat(nations, n_comp),
                "metric": np.repeat(metrics, n_comp),
                "target": np.repeat(targets, n_comp),
                "component": np.tile(np.array(self.components, dtype=object), n_entry),
                "effect": self.effects.T.ravel(),
                "stderr": self.stderr.T.ravel(),
                "baseline": np.repeat(self.baseline, n_comp),
                "scenario": np.repeat(self.scenario_value, n_comp),
                "change": np.repeat(self.total, n_comp),
            }
        )

    def by_region(
        self, regions: dict[str, str], metric: str | None = None, targets: Iterable[str] = ()
    ) -> pd.DataFrame:
        """Return the region × component table of a pair metric toward the focus nations.

        Each cell is the mean over the region's observers (each nation counts once) of the
        component's effect on the observers' ``metric`` toward ``target``; by linearity the
        components of a row sum to the region's mean change (column ``change``).

        Args:
            regions: ISO3 → region (e.g. the world's UN regions).
            metric: ``favourable`` or ``attraction`` (default: ``favourable`` when recorded).
            targets: Focus nations (default: every target present).

        Returns:
            Columns ``target, region, metric, observers, baseline, scenario, change`` and one
            column per component.

        """
        present = self.metrics
        metric = metric or ("favourable" if "favourable" in present else "attraction")
        if metric not in present:
            raise SoftPowerError(
                f"no pair outcome {metric!r} in the attribution",
                expected=f"one of {', '.join(m for m, _, _ in PAIR_METRICS if m in present)}",
            )
        wanted = list(targets) or list(dict.fromkeys(e[2] for e in self.entries if e[2]))
        rows = []
        for target in wanted:
            picked = [i for i, e in enumerate(self.entries) if e[1] == metric and e[2] == target]
            frame = pd.DataFrame(
                self.effects[:, picked].T, columns=list(self.components), dtype=float
            )
            frame["region"] = [regions.get(self.entries[i][0], "(unknown)") for i in picked]
            frame["baseline"] = self.baseline[picked]
            frame["scenario"] = self.scenario_value[picked]
            frame["change"] = self.total[picked]
            grouped = frame.groupby("region", sort=True)
            means = grouped.mean()
            means.insert(0, "observers", grouped.size())
            means.insert(0, "metric", metric)
            means.insert(0, "target", target)
            rows.append(means.reset_index())
        if not rows:
            return pd.DataFrame()
        table = pd.concat(rows, ignore_index=True)
        head = ["target", "region", "metric", "observers", "baseline", "scenario", "change"]
        return table[head + list(self.components)]


# --------------------------------------------------------------------------------- runs


def _placeholder(planned: PlannedEvent) -> PlannedEvent:
    """A random event that draws what the original draws and changes nothing."""
    shock = planned.event
    assert isinstance(shock, RandomShock)
    actor = getattr(shock.template, "actor", 0)
    idle = CredibilityShock(actor=actor, observers=(), magnitude=0.0)
    return replace(planned, event=replace(shock, template=idle))


@dataclass(frozen=True)
class RunSetting:
    """One run a coalition is averaged over: its seed and the parameters it ran with.

    Attributes:
        seed: The seed (an int ``N`` is ``softpower run --seed N``; a batch run's seed
            sequence).
        parameters: Parameter values set over the scenario's own ``parameters:``, as a batch
            sets a design point's and an ensemble member's values (empty: the scenario's).
        label: What the run is called, e.g. the batch's run id.

    """

    seed: Seed
    parameters: Mapping[str, float | int] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class _Setting:
    """A run's base parameters (with its own values), seed and the scenario's other overrides."""

    parameters: Parameters | None
    seed: Seed
    overrides: dict[str, Any]


@dataclass(frozen=True)
class _Job:
    """What every coalition run shares: the plan, the run settings, the step, the focus."""

    plan: Plan
    settings: tuple[_Setting, ...]
    step: int
    targets: tuple[str, ...]


def _coalition_plan(
    plan: Plan, members: frozenset[int], placeholders: bool, overrides: dict[str, Any]
) -> Plan:
    events = []
    for i, planned in enumerate(plan.events):
        if i in members:
            events.append(planned)
        elif placeholders and isinstance(planned.event, RandomShock):
            events.append(_placeholder(planned))
    return replace(plan, events=tuple(events), parameters=overrides)


def _settings(
    plan: Plan, parameters: Parameters | None, runs: Sequence[RunSetting]
) -> tuple[_Setting, ...]:
    """Each run's base parameters and the scenario's overrides its own values leave standing.

    A batch sets a run's values over the scenario's (`sim.batch.runner`), and the batch's
    baseline runs carry the same values: they go into the base of every coalition, so the
    event-less run is the baseline's run, and only the scenario's other overrides make the
    component `OVERRIDES`.
    """
    from sim.params import Parameters

    settings = []
    for run in runs:
        own = dict(run.parameters)
        base = Parameters.from_mapping(own, base=parameters) if own else parameters
        rest = {k: v for k, v in plan.parameters.items() if k not in own}
        settings.append(_Setting(base, run.seed, rest))
    return tuple(settings)


@dataclass(frozen=True)
class _Measure:
    """What a coalition run reads (`_measure`): its outcome values, with their entries when
    ``entries`` (the first run fixes the outcome layout of every run).
    """

    step: int
    targets: tuple[str, ...]
    entries: bool = False

    def __call__(
        self, model: SoftPowerModel
    ) -> np.ndarray | tuple[list[tuple[str, str, str]], np.ndarray]:
        keys, values = _measure(model, self.step, self.targets)
        return (keys, values) if self.entries else values


def _task(
    job: _Job, key: tuple[frozenset[int], bool, bool], run_index: int, first: bool
) -> PlanTask:
    """The run of one coalition in one run setting."""
    members, placeholders, overrides = key
    setting = job.settings[run_index]
    plan = _coalition_plan(job.plan, members, placeholders, setting.overrides if overrides else {})
    return PlanTask(
        _Measure(job.step, job.targets, entries=first),
        plan=plan,
        parameters=setting.parameters,
        seed=setting.seed,
        steps=job.step,
    )


def _measure(
    model: SoftPowerModel, step: int, targets: Sequence[str]
) -> tuple[list[tuple[str, str, str]], np.ndarray]:
    """Outcome entries and values of a finished run at ``step``, from the run's tables."""
    from sim.batch.tables import run_tables

    tables = run_tables(model, list(targets))
    keys: list[tuple[str, str, str]] = []
    values: list[np.ndarray] = []
    scores = tables["soft_power"]
    scores = scores.filter(pc.equal(scores["step"], step))
    nations = [str(v) for v in scores["iso3"].to_pylist()]
    for metric in NATION_METRICS:
        if metric in scores.column_names:
            keys += [(nation, metric, "") for nation in nations]
            values.append(scores[metric].to_numpy().astype(float))
    for metric, name, column in PAIR_METRICS:
        table = tables.get(name)
        if table is None or column not in table.column_names:
            continue
        table = table.filter(
            pc.and_(
                pc.equal(table["step"], step),
                pc.is_in(table["target"], value_set=_string_array(targets)),
            )
        )
        frame = pd.DataFrame(
            {
                "observer": table["observer"].to_pylist(),
                "target": table["target"].to_pylist(),
                "value": table[column].to_numpy().astype(float),
            }
        )
        order = {iso: i for i, iso in enumerate(model.iso3)}
        frame["t"] = frame["target"].map(targets.index)
        frame["o"] = frame["observer"].map(order)
        frame = frame.sort_values(["t", "o"])
        keys += [(o, metric, t) for o, t in zip(frame["observer"], frame["target"], strict=True)]
        values.append(frame["value"].to_numpy())
    return keys, np.concatenate(values) if values else np.zeros(0)


def _string_array(values: Sequence[str]) -> Any:
    import pyarrow as pa

    return pa.array(list(values), pa.string())


class _Runner:
    """Runs coalitions (cached) on a `ModelService`, averaged over the runs."""

    def __init__(self, job: _Job, service: ModelService) -> None:
        self.job = job
        self.service = service
        self.workers = service.workers
        self.cache: dict[tuple[frozenset[int], bool, bool], np.ndarray] = {}
        self.runs = 0
        self.entries: list[tuple[str, str, str]] = []

    def ensure(self, keys: Iterable[tuple[frozenset[int], bool, bool]]) -> None:
        todo = [k for k in dict.fromkeys(keys) if k not in self.cache]
        if not todo:
            return
        n_runs = len(self.job.settings)
        pairs = [(k, s) for k in todo for s in range(n_runs)]
        first = not self.entries  # the first run ever fixes the outcome layout of every run
        tasks = [_task(self.job, k, s, first and i == 0) for i, (k, s) in enumerate(pairs)]
        results = self.service.run(tasks, chunksize=max(1, len(tasks) // (8 * self.workers)))
        if first:
            self.entries, results[0] = results[0]
        self.runs += len(tasks)
        for i, key in enumerate(todo):
            block = results[i * n_runs : (i + 1) * n_runs]
            self.cache[key] = np.mean(block, axis=0) if n_runs > 1 else block[0]

    def value(self, key: tuple[frozenset[int], bool, bool]) -> np.ndarray:
        self.ensure([key])
        return self.cache[key]


def _seed_label(seed: Seed) -> str:
    if isinstance(seed, np.random.SeedSequence):
        keys = ".".join(str(k) for k in seed.spawn_key)
        return f"{seed.entropy}:{keys}" if keys else str(seed.entropy)
    return str(seed)


def attribute(
    scenario: Scenario | Plan,
    *,
    world: World | None = None,
    parameters: Parameters | None = None,
    seeds: Sequence[Seed] = (0,),
    step: int | None = None,
    targets: Sequence[str] = ("USA", "CHN"),
    by: Literal["event", "file", "kind"] | str = "event",
    max_exact: int = 8,
    permutations: int = 16,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
    runs: Sequence[RunSetting] | None = None,
    service: ModelService | None = None,
) -> ScenarioAttribution:
    """Split a scenario's change at a step among its events as Shapley values.

    Args:
        scenario: A loaded scenario (`sim.scenario.load_scenario`) or a resolved `Plan`.
        world: The world (default: the bundled one).
        parameters: Base parameters for every run (the scenario's overrides go on top).
        seeds: One or more seeds (an int ``N`` is the seed of ``softpower run --seed N``);
            every coalition is averaged over them.
        step: The step to explain (default: the scenario's last).
        targets: Focus nations: pair outcomes (attraction, favourable) are kept toward these.
        by: Components: each ``event``, each source ``file``, or each event ``kind``.
        max_exact: Run all ``2**n`` coalitions when there are at most this many active
            components; sample ``permutations`` orderings otherwise.
        permutations: Orderings sampled in sampled mode (antithetic pairs).
        workers: Processes for the coalition runs (1 runs them in this process).
        progress: Called with a line of text before the runs start.
        runs: Instead of ``seeds``, the runs to average over, each with its seed and its own
            parameter values (a batch's runs: `sim.analysis.batch_attribution`).
        service: A running `ModelService` on ``world`` for the runs (its workers replace
            ``workers``; default: one of its own, stopped before returning).

    Returns:
        The attribution; its effects sum to scenario − baseline to 1e-9 for every outcome.

    Raises:
        SoftPowerError: Unknown focus nation or grouping, a step outside the horizon, no seed.

    Example:
        >>> from sim.scenario.scenario import load_scenario
        >>> result = attribute(load_scenario("scenarios/us_aid_cuts.yaml"), step=4)
        >>> [name.split()[1] for name in result.components]
        ['aid_policy', 'capacity', 'edge']
        >>> change = result.total[result.row("USA")]
        >>> bool(abs(result.effect("USA").sum() - change) < 1e-9)
        True

    """
    from sim.world.bundled import bundled_world, check_nations

    started = time.perf_counter()
    world = world if world is not None else bundled_world()
    plan = scenario.plan(world)
    step = plan.steps if step is None else int(step)
    if not 1 <= step <= plan.steps:
        raise SoftPowerError(
            f"step {step} is outside the run",
            key="--step",
            expected=f"a step from 1 to {plan.steps}",
        )
    targets = tuple(dict.fromkeys(str(t).upper() for t in targets))
    check_nations(targets, world, key="--nations", expected="ISO3 codes of the world's nations")
    runs = tuple(runs) if runs is not None else tuple(RunSetting(s) for s in seeds)
    if not runs:
        raise SoftPowerError("no seed", key="--replications", expected="at least one seed")
    settings = _settings(plan, parameters, runs)
    grouped = components_of(scenario, plan, by)
    active = [(n, m) for n, m in grouped if any(plan.events[i].step < step for i in m)]
    inactive = [n for n, m in grouped if (n, m) not in active]
    randoms = any(isinstance(e.event, RandomShock) and e.step < step for e in plan.events)
    overrides = any(s.overrides for s in settings)

    job = _Job(plan, settings, step, targets)
    own = service is None
    service = ModelService(world, workers) if service is None else service
    if service.worlds[0] is not world:
        raise ValueError("the service does not share this world")
    try:
        runner = _Runner(job, service)
        names = [n for n, _ in active]
        members = {n: m for n, m in active}

        def key_of(coalition: frozenset[str]) -> tuple[frozenset[int], bool, bool]:
            chosen = frozenset(i for name in coalition for i in members[name])
            return chosen, randoms, overrides

        # Pass 1 collects the coalitions the method needs (sampled orderings come from a fixed
        # seed, so pass 2 asks for the same ones); they then run in one batch, in parallel.
        needed: list[frozenset[str]] = []

        def collect(coalition: frozenset[str]) -> np.ndarray:
            needed.append(coalition)
            return np.zeros(1)

        shapley_values(
            names,
            collect,
            rng=np.random.default_rng(0),
            max_exact=max_exact,
            permutations=permutations,
        )
        base_key: tuple[frozenset[int], bool, bool] = (frozenset(), False, False)
        keys = [base_key]
        if overrides:
            keys.append((frozenset(), False, True))
        keys += [key_of(c) for c in needed]
        n_runs = len(dict.fromkeys(keys)) * len(settings)
        if progress is not None:
            mode = "exact" if len(names) <= max_exact else f"{permutations} sampled orderings"
            progress(
                f"{len(names)} components ({mode}), {n_runs} runs of {step} steps"
                f" on {runner.workers} worker{'s' if runner.workers > 1 else ''}"
            )
        runner.ensure(keys)
        result = shapley_values(
            names,
            lambda c: runner.value(key_of(c)),
            rng=np.random.default_rng(0),
            max_exact=max_exact,
            permutations=permutations,
        )
    finally:
        if own:
            service.close()

    entries = runner.entries
    baseline = runner.value(base_key)
    with_overrides = runner.value((frozenset(), False, True)) if overrides else baseline
    extra_names, extra_kinds, extra_effects = [], [], []
    notes = []
    if overrides:
        extra_names.append(OVERRIDES)
        extra_kinds.append("overrides")
        extra_effects.append(with_overrides - baseline)
        left = {k: v for s in settings for k, v in s.overrides.items()}
        listed = ", ".join(f"{k}={v}" for k, v in left.items())
        notes.append(
            f"the scenario overrides parameters ({listed}); their effect on the event-less run "
            f"is the component '{OVERRIDES}', the events are attributed with the overrides"
        )
    if randoms:
        extra_names.append(DRAWS)
        extra_kinds.append("draws")
        extra_effects.append(result.baseline - with_overrides)
        notes.append(
            "random events keep their draws in every coalition (common random numbers); "
            f"'{DRAWS}' is what those draws alone do to the decisions (sampling noise)"
        )
    if inactive:
        notes.append(
            f"{len(inactive)} component{'s' if len(inactive) > 1 else ''} act at or after step "
            f"{step} and cannot move it (effect 0)"
        )
    n_entries = len(entries)
    zero = np.zeros((len(inactive), n_entries))
    effects = np.vstack([np.array(extra_effects).reshape(-1, n_entries), result.effects, zero])
    stderr = np.full_like(effects, np.nan)
    if result.stderr is not None:
        stderr[len(extra_names) : len(extra_names) + len(names)] = result.stderr
    attribution = ScenarioAttribution(
        scenario=plan.name,
        step=step,
        date=plan.date(step),
        components=(*extra_names, *names, *inactive),
        kinds=(*extra_kinds, *["events"] * len(names), *["inactive"] * len(inactive)),
        entries=tuple(entries),
        effects=_frozen(effects),
        baseline=_frozen(baseline),
        scenario_value=_frozen(result.full),
        stderr=_frozen(stderr),
        exact=result.exact,
        runs=runner.runs,
        seconds=time.perf_counter() - started,
        seeds=tuple(_seed_label(r.seed) for r in runs),
        run_labels=tuple(r.label for r in runs),
        grouping=by,
        notes=tuple(notes),
    )
    attribution.check()
    return attribution


def _frozen(array: np.ndarray) -> np.ndarray:
    out = np.array(array, dtype=float)
    out.setflags(write=False)
    return out


def seeds_for(seed: int, replications: int) -> list[int]:
    """Seeds ``seed, seed+1, ...``: replication r is ``softpower run --seed seed+r``."""
    return [seed + r for r in range(max(1, replications))]


def console_line(result: ScenarioAttribution, nation: str, shown: int = 5) -> str:
    """One nation's score change and its components for the console, largest first.

    Every component is printed when there are at most ``shown + 1``; otherwise the ``shown``
    largest and how many more there are with their sum, so the printed figures add up to the
    change (to rounding).

    Args:
        result: An attribution.
        nation: ISO3 code.
        shown: Components printed by name when some are hidden.

    Returns:
        E.g. ``USA score -7.92: us_aid_cuts.yaml -4.64, america_first.yaml -3.16, ...``.

    """
    effects = result.effect(nation).sort_values(key=abs, ascending=False, kind="stable")
    change = result.total[result.row(nation)]
    named = effects if len(effects) <= shown + 1 else effects.head(shown)
    parts = [f"{name} {value:+.2f}" for name, value in named.items()]
    hidden = effects.iloc[len(named) :]
    if len(hidden):
        parts.append(f"and {len(hidden)} more {float(hidden.sum()):+.2f}")
    return f"{nation} score {change:+.2f}: {', '.join(parts)}"


def write_attribution(
    result: ScenarioAttribution, out: str | Path, regions: dict[str, str]
) -> list[Path]:
    """Write ``attribution.csv`` and ``regions.csv`` (region × component) into ``out``.

    Args:
        result: The attribution.
        out: An existing directory.
        regions: ISO3 → region, for the region table of the favourable share (or attraction).

    Returns:
        The files written.

    """
    out = Path(out)
    paths = [out / "attribution.csv"]
    result.table().to_csv(paths[0], index=False, float_format="%.12g")
    table = result.by_region(regions) if any(e[2] for e in result.entries) else None
    if table is not None and not table.empty:
        paths.append(out / "regions.csv")
        table.to_csv(paths[-1], index=False, float_format="%.12g")
    return paths
