"""The wave of each event: how far from the nations it hits its effect on attraction travels.

For each scheduled event, the scenario is run with and without it (same world, parameters and
seed: common random numbers, as `sim.analysis.attribution` does; a random event left out keeps
a placeholder that makes the same draws). The *change* of an observer is its attraction to the
event's actor in the scenario minus in the run without the event. Observers are grouped by their
distance in hops, on the social mix W in force when the event acts (`sim.analysis.network`),
from the event's *hit* nations: those it names (a threat's or tariff's targets, a shock's
observers, a war's target and opponents, the fellow members a leaver leaves behind). Events
that name no observer (capacity changes, aid policy, edges, a change of leader) are measured
from the actor itself. Hop 0 holds the hit nations; `UNREACHED` (−1) the nations no path
reaches. The actor is never an observer of itself.

Some events also move nations beyond the hit ones at once: a threat moves the targets' allies
and region (``threat_spillover``), a war and a change of leader every nation. Column ``direct``
counts the observers at each distance that the event moved itself and ``indirect_change`` is the
mean change of the others, so that a reader can tell the wave through ties from the event's own
reach.

*Carriers* (`carriers`) are the nations through which the wave passes: for each nation c, the
share of the spread beyond the hit nations that is lost when c passes no change on (those who
listen to c hear no change from it: its column of W set to 0), in a linear diffusion on W with
the hit nations held at a unit change and the stubbornness θ of the run, ``x' = (1 − θ) W x``
over the run's quarters. It is an approximation (the channels' pull, which holds observers to
the actor's own messages, is left out) used to rank nations, not a re-run of the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.analysis.attribution import components_of
from sim.analysis.network import hops_from, social_matrix
from sim.batch.service import ModelService, PlanTask
from sim.errors import SoftPowerError
from sim.model.plan import (
    AidPolicy,
    CapacityChange,
    CredibilityShock,
    Edge,
    LeaderChange,
    Membership,
    NewsShock,
    Plan,
    PlannedEvent,
    RandomShock,
    Restriction,
    Tariff,
    Threat,
    War,
)

if TYPE_CHECKING:
    from sim.model.model import SoftPowerModel
    from sim.params import Parameters
    from sim.scenario.scenario import Scenario
    from sim.world.world import World

__all__ = [
    "COLUMNS",
    "CARRIER_COLUMNS",
    "EventSpread",
    "Spread",
    "carriers",
    "event_actor",
    "event_labels",
    "event_reach",
    "spread",
    "without_event",
    "write_spread",
]

#: Columns of ``spread.csv``.
COLUMNS: tuple[str, ...] = (
    "step",
    "date",
    "event",
    "actor",
    "hops",
    "observers",
    "mean_change",
    "direct",
    "indirect_change",
)
#: Columns of ``carriers.csv``.
CARRIER_COLUMNS: tuple[str, ...] = ("event", "actor", "rank", "iso3", "name", "share")


@dataclass(frozen=True)
class EventSpread:
    """One event's wave.

    Attributes:
        index: The event's position in the plan.
        label: ``file:line kind actor ...`` (as `softpower attribute --by event` names it).
        kind: Event kind (``threat``, ``tariff``, ...).
        actor: Index of the nation whose attraction is followed.
        step: The step during which it acts (its effect is first recorded at step + 1).
        hit: Indices of the hit nations (hop 0).
        direct: (nation,) True where the event moved the observer itself.
        hops: (nation,) distance from the hit nations on the social mix (−1: unreached).
        social: (nation, nation) the social mix W in force when it acted.
        change: (step, observer) attraction to the actor, scenario minus without the event,
            for every recorded step 0..horizon.

    """

    index: int
    label: str
    kind: str
    actor: int
    step: int
    hit: tuple[int, ...]
    direct: np.ndarray
    hops: np.ndarray
    social: np.ndarray
    change: np.ndarray


@dataclass(frozen=True)
class Spread:
    """The waves of a scenario's events.

    Attributes:
        scenario: Scenario name.
        title: Its title.
        iso3: Nations of the world.
        names: Their names.
        dates: ``YYYY-Qn`` of every step 0..horizon.
        events: One `EventSpread` per event followed.
        stubbornness: θ of the run (for `carriers`).
        seed: The seed (``ENTROPY:SPAWN_KEY`` for a batch run's seed sequence).
        seconds: Wall time.

    """

    scenario: str
    title: str
    iso3: tuple[str, ...]
    names: tuple[str, ...]
    dates: tuple[str, ...]
    events: tuple[EventSpread, ...]
    stubbornness: float
    seed: int | str
    seconds: float

    def table(self) -> pd.DataFrame:
        """Return ``spread.csv``: per event, step from the event on, and distance in hops, the
        number of observers, their mean change, how many of them the event moved directly, and
        the mean change of the others (the wave through ties alone; empty when there are none).
        """
        rows = []
        for ev in self.events:
            observers = np.arange(len(self.iso3)) != ev.actor
            groups = sorted(set(ev.hops[observers].tolist()), key=lambda h: (h < 0, h))
            masks = [(h, observers & (ev.hops == h)) for h in groups]
            for s in range(ev.step, len(self.dates)):
                for h, mask in masks:
                    rows.append(
                        (
                            s,
                            self.dates[s],
                            ev.label,
                            self.iso3[ev.actor],
                            int(h),
                            int(mask.sum()),
                            float(ev.change[s, mask].mean()),
                            int(ev.direct[mask].sum()),
                            _mean(ev.change[s, mask & ~ev.direct]),
                        )
                    )
        return pd.DataFrame(rows, columns=list(COLUMNS))

    def carriers(self, top: int = 5) -> pd.DataFrame:
        """Return ``carriers.csv``: per event whose wave has hops ≥ 1, the ``top`` nations whose
        removal from the social mix shrinks it most, with the share lost (`carriers`).
        """
        rows = []
        for ev in self.events:
            steps = len(self.dates) - 1 - ev.step
            share = carriers(ev.social, ev.hit, ev.actor, self.stubbornness, max(steps, 1))
            order = [int(i) for i in np.argsort(-share, kind="stable")[:top] if share[i] > 0]
            for rank, i in enumerate(order, start=1):
                rows.append(
                    (ev.label, self.iso3[ev.actor], rank, self.iso3[i], self.names[i], share[i])
                )
        return pd.DataFrame(rows, columns=list(CARRIER_COLUMNS))

    def profile(self, event: EventSpread) -> pd.DataFrame:
        """Return how far and how fast one event's wave went, one row per distance reached.

        Columns: ``hops``, ``observers``, ``direct`` (how many of them the event moved itself),
        ``end_change`` (their mean change at the last step), ``peak_change`` (the mean change
        of largest size), ``peak_quarters`` (quarters after the event acted until it), and
        ``half_quarters`` (until the mean change first reached half that size; NaN when it
        never moved).
        """
        observers = np.arange(len(self.iso3)) != event.actor
        rows = []
        for h in sorted({int(h) for h in event.hops[observers] if h >= 0}):
            mask = observers & (event.hops == h)
            path = event.change[event.step :, mask].mean(axis=1)
            size = np.abs(path)
            peak = int(np.argmax(size))
            half = np.flatnonzero(size >= 0.5 * size[peak]) if size[peak] > 0 else np.zeros(0)
            rows.append(
                (
                    h,
                    int(mask.sum()),
                    int(event.direct[mask].sum()),
                    float(path[-1]),
                    float(path[peak]),
                    peak if size[peak] > 0 else np.nan,
                    int(half[0]) if len(half) else np.nan,
                )
            )
        columns = [
            "hops", "observers", "direct", "end_change", "peak_change", "peak_quarters",
            "half_quarters",
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=columns)

    def tie_share(self, event: EventSpread) -> float | None:
        """Return the share of an event's change beyond its hit nations, at the last step, that
        is in nations the event did not move itself: the part that came through ties alone.

        None when the event moves every nation beyond the hit ones itself, or moves none.
        """
        beyond = (event.hops >= 1) & (np.arange(len(self.iso3)) != event.actor)
        change = event.change[-1]
        total = float(np.abs(change[beyond]).sum())
        through = beyond & ~event.direct
        if not through.any() or total == 0.0:
            return None
        return float(np.abs(change[through]).sum()) / total


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def event_reach(event: object, model: SoftPowerModel) -> tuple[int, tuple[int, ...], np.ndarray]:
    """Return an event's actor, hit nations and the observers it moves itself, for the model's
    state when it acts.

    Returns:
        ``(actor, hit, direct)``: ``hit`` the nations the event names (sorted; the actor alone
        when it names none), ``direct`` a (nation,) boolean mask.

    """
    if isinstance(event, RandomShock):
        return event_reach(event.template, model)
    n = model.n
    every = np.ones(n, dtype=bool)
    named: Iterable[int] = ()
    direct = None
    if isinstance(event, Threat):
        actor, named = event.actor, event.targets
        targets = [t for t in named if t != actor]
        near = (model.alliance[:, targets] + model.same_region[:, targets]).max(axis=1) > 0
        direct = near.copy()
        direct[targets] = True
    elif isinstance(event, Tariff):
        actor, named = event.actor, event.targets
    elif isinstance(event, CredibilityShock | NewsShock | Restriction):
        actor, named = event.actor, event.observers
    elif isinstance(event, War):
        actor, named = event.actor, (event.target, *event.opponents)
        direct = every.copy()
    elif isinstance(event, Membership):
        actor = event.nations[0]
        if event.kind == "leave":
            column = model.initiatives.index(event.initiative)
            named = [int(i) for i in np.flatnonzero(model.members[:, column])]
            named = [i for i in named if i not in event.nations]
    elif isinstance(event, LeaderChange):
        actor = event.actor
        direct = every.copy()
    elif isinstance(event, Edge):
        actor = event.source
        direct = np.zeros(n, dtype=bool)
        direct[list(event.targets)] = True
    elif isinstance(event, CapacityChange | AidPolicy):
        actor = event.actor
        direct = every.copy()  # a channel's capacity reaches every observer it is exposed to
    else:  # pragma: no cover - plans hold no other kinds
        raise TypeError(f"unknown event {event!r}")
    hit = tuple(sorted({int(i) for i in named if int(i) != actor})) or (int(actor),)
    if direct is None:
        direct = np.zeros(n, dtype=bool)
        direct[[i for i in hit if i != actor]] = True
    direct = direct.copy()
    direct[actor] = False
    return int(actor), hit, direct


def without_event(plan: Plan, index: int) -> Plan:
    """Return the plan without its event ``index`` (a random event becomes a placeholder that
    draws the same numbers and does nothing, so every other draw is the same).
    """
    events = list(plan.events)
    removed = events.pop(index)
    if isinstance(removed.event, RandomShock):
        shock = removed.event
        idle = CredibilityShock(
            actor=getattr(shock.template, "actor", 0), observers=(), magnitude=0.0
        )
        events.insert(index, replace(removed, event=replace(shock, template=idle)))
    return replace(plan, events=tuple(events))


def carriers(
    social: np.ndarray, hit: Iterable[int], actor: int, stubbornness: float, steps: int
) -> np.ndarray:
    """Return, per nation, the share of a wave beyond the hit nations that passes through it.

    Linear diffusion on the social mix W: the hit nations held at 1, every other nation
    ``x' = (1 − θ) Σ_j W[i, j] x_j`` from 0 for ``steps`` quarters; the spread is the mean of
    x over the nations at hops ≥ 1 and all quarters. A nation c is taken out by holding it at 0
    (those who listen to it hear no change from it); its share is 1 − the spread without it /
    the spread with it, both over the same nations (c, the actor and the hit ones excluded).

    Returns:
        (nation,) shares in [0, 1]; 0 for the hit nations and the actor.

    """
    n = social.shape[0]
    w = np.array(social, dtype=float)
    sources = sorted({int(h) for h in hit})
    beyond = hops_from(w, sources) >= 1
    beyond[actor] = False
    out = np.zeros(n)
    cand = np.array([c for c in range(n) if c not in sources and c != actor], dtype=int)
    if not beyond.any() or not len(cand):
        return out
    # One diffusion per candidate (rows 0..k-1, candidate held at 0) and the intact one (row k).
    k = len(cand)
    free = np.ones((k + 1, n), dtype=bool)
    free[:, sources] = False
    free[np.arange(k), cand] = False
    x = np.zeros((k + 1, n))
    x[:, sources] = 1.0
    total = np.zeros((k + 1, n))
    keep = 1.0 - stubbornness
    for _ in range(steps):
        x = np.where(free, keep * (x @ w.T), x)
        total += x
    for r, c in enumerate(cand):
        mask = beyond.copy()
        mask[c] = False
        intact = total[k, mask].mean() if mask.any() else 0.0
        if intact > 0:
            out[c] = min(1.0, max(0.0, 1.0 - total[r, mask].mean() / intact))
    return out


def event_actor(event: object) -> int:
    """Return the index of the nation an event is about: its actor (a membership's first
    nation, an edge's source, a random event's template's actor).
    """
    if isinstance(event, RandomShock):
        return event_actor(event.template)
    if isinstance(event, Membership):
        return int(event.nations[0])
    if isinstance(event, Edge):
        return int(event.source)
    return int(getattr(event, "actor"))  # noqa: B009 (every other kind has an actor)


@dataclass(frozen=True)
class _Waves:
    """What the scenario's own run reads: at each followed event's step, the social mix and
    each event's reach (`event_reach`); at the horizon, the attraction to each event's actor
    over the steps and the run's stubbornness.
    """

    events: tuple[tuple[int, int, object], ...]  # (step, index, event)
    horizon: int
    actors: tuple[int, ...]

    def __call__(self, model: SoftPowerModel) -> dict[str, object]:
        t = model.steps
        reading: dict[str, object] = {}
        due = [(i, event) for step, i, event in self.events if step == t]
        if due:
            reach = {i: event_reach(event, model) for i, event in due}
            reading["reach"] = (social_matrix(model), reach)
        if t == self.horizon:
            reading["attraction"] = {
                a: model.recorder.attraction[:, :, a].copy() for a in self.actors
            }
            reading["stubbornness"] = float(model.parameters.stubbornness)
        return reading


@dataclass(frozen=True)
class _AttractionTo:
    """What a run without an event reads: the attraction to the event's actor over the steps."""

    actor: int

    def __call__(self, model: SoftPowerModel) -> np.ndarray:
        return model.recorder.attraction[:, :, self.actor].copy()


def event_labels(scenario: Scenario | Plan, plan: Plan) -> dict[int, tuple[str, str, str]]:
    """Per event index: (label as `softpower attribute --by event` names it, kind, kind and year
    as `softpower attribute --by kind` names it).
    """
    kinds = {i: kind for kind, members in components_of(scenario, plan, "kind") for i in members}
    return {
        i: (name, kinds[i].split()[0], kinds[i])
        for name, members in components_of(scenario, plan, "event")
        for i in members
    }


def spread(
    scenario: Scenario | Plan,
    *,
    world: World,
    seed: int | np.random.SeedSequence = 0,
    parameters: Parameters | None = None,
    steps: int | None = None,
    kinds: Iterable[str] = (),
    progress: Callable[[str], None] | None = None,
    events: Iterable[int] | None = None,
    workers: int = 1,
) -> Spread:
    """Run a scenario and, for each event, the same run without it; return each event's wave.

    Args:
        scenario: A loaded scenario (`sim.scenario.load_scenario`) or a `Plan`.
        world: The world the scenario was resolved for.
        seed: Seed of every run (as ``softpower run --seed``, or a batch run's seed sequence).
        parameters: Base parameters (the scenario's overrides go on top).
        steps: Horizon override (default: the scenario's).
        kinds: Follow only events of these kinds (`threat`, or `threat 2025` for one year;
            default: every event).
        progress: Called with a line of text before the runs.
        events: Follow only the events at these positions of the plan (and of ``kinds``).
        workers: Processes for the runs (`sim.batch.service`); the result does not depend on it.

    Raises:
        SoftPowerError: No event (of the kinds asked for) acts within the horizon.

    """
    started = time.perf_counter()
    plan = scenario.plan(world)
    if steps is not None:
        plan = plan.with_steps(int(steps))
    labels = event_labels(scenario, plan)
    wanted = {str(k) for k in kinds}
    chosen = [
        i
        for i, ev in enumerate(plan.events)
        if ev.step < plan.steps and (not wanted or {labels[i][1], labels[i][2]} & wanted)
    ]
    if events is not None:
        picked = {int(i) for i in events}
        chosen = [i for i in chosen if i in picked]
    if not chosen:
        # a kind is asked for as `threat`, or with its year as `softpower attribute --by kind`
        # names it (`threat 2025`)
        known = sorted({kind for _, kind, _ in labels.values()})
        raise SoftPowerError(
            "no event to follow" + (f" of kind {', '.join(sorted(wanted))}" if wanted else ""),
            key="--kind",
            expected="kinds of the scenario's events: " + (", ".join(known) or "none"),
        )
    if progress is not None:
        progress(f"{len(chosen)} events: {len(chosen) + 1} runs of {plan.steps} steps")
    actors = {i: event_actor(plan.events[i].event) for i in chosen}
    looks = (*sorted({plan.events[i].step for i in chosen}), plan.steps)
    waves_of = _Waves(
        tuple((plan.events[i].step, i, plan.events[i].event) for i in chosen),
        plan.steps,
        tuple(sorted(set(actors.values()))),
    )
    tasks = [PlanTask(waves_of, plan=plan, parameters=parameters, seed=seed, at=looks)]
    tasks += [
        PlanTask(
            _AttractionTo(actors[i]),
            plan=without_event(plan, i),
            parameters=parameters,
            seed=seed,
        )
        for i in chosen
    ]
    with ModelService(world, workers) as service:
        scenario_run, *without = service.run(tasks, chunksize=1)
    attraction = scenario_run[plan.steps]["attraction"]
    waves: list[EventSpread] = []
    for i, other in zip(chosen, without, strict=True):
        planned: PlannedEvent = plan.events[i]
        social, reach = scenario_run[planned.step]["reach"]
        actor, hit, direct = reach[i]
        change = attraction[actor] - other
        waves.append(
            EventSpread(
                index=i,
                label=labels[i][0],
                kind=labels[i][1],
                actor=actor,
                step=planned.step,
                hit=hit,
                direct=direct,
                hops=hops_from(social, hit),
                social=social,
                change=change,
            )
        )
    return Spread(
        scenario=plan.name,
        title=getattr(scenario, "title", plan.name),
        iso3=tuple(world.iso3),
        names=tuple(world.name),
        dates=tuple(plan.date(s) for s in range(plan.steps + 1)),
        events=tuple(waves),
        stubbornness=scenario_run[plan.steps]["stubbornness"],
        seed=seed if isinstance(seed, int) else _seed_label(seed),
        seconds=time.perf_counter() - started,
    )


def _seed_label(seed: np.random.SeedSequence) -> str:
    from sim.batch.experiment import seed_label

    return seed_label(seed)


def write_spread(result: Spread, out: str | Path, *, top: int = 5) -> list[Path]:
    """Write ``spread.csv`` and ``carriers.csv`` into ``out`` (created if needed).

    Raises:
        SoftPowerError: ``out`` cannot be written.

    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SoftPowerError(
            f"cannot write to output directory ({exc.strerror})",
            file=str(out),
            expected="a writable directory",
        ) from None
    paths = [out / "spread.csv", out / "carriers.csv"]
    result.table().to_csv(paths[0], index=False, float_format="%.9g")
    result.carriers(top).to_csv(paths[1], index=False, float_format="%.6g")
    return paths
