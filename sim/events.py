"""What scenario events do to a running model (three paths: capacities and exposure, credibility,
and perception directly as news shocks).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.dynamics import AUDIENCES, CHANNELS
from sim.scenario import (
    _EVENT_ADAPTER,
    AUDIENCE_INDEX,
    CHANNEL_INDEX,
    AidPolicyEvent,
    CapacityEvent,
    CredibilityShockEvent,
    EdgeEvent,
    MembershipEvent,
    NewsShockEvent,
    RandomEvent,
    RestrictionEvent,
    Scenario,
    ScheduledEvent,
    TariffEvent,
    group_names,
    resolve_targets,
)

if TYPE_CHECKING:
    from sim.model import SoftPowerModel

__all__ = ["Ramp", "schedule", "apply_due", "apply_event"]


@dataclass
class Ramp:
    """A capacity change spread over several quarters.

    Attributes:
        actor: Actor index.
        channel: Channel index.
        start: Capacity when the ramp began.
        target: Capacity at its end.
        total: Number of quarters.
        done: Quarters applied so far.

    """

    actor: int
    channel: int
    start: float
    target: float
    total: int
    done: int = 0


def schedule(scenario: Scenario) -> dict[int, list[ScheduledEvent]]:
    """Return events by the step at which they act (random events at every step of their window)."""
    due: dict[int, list[ScheduledEvent]] = defaultdict(list)
    for ev in scenario.events:
        if isinstance(ev.event, RandomEvent):
            last = ev.until if ev.until is not None else scenario.steps - 1
            for t in range(ev.step, last + 1):
                due[t].append(ev)
        else:
            due[ev.step].append(ev)
    return dict(due)


def apply_due(model: SoftPowerModel, t: int) -> None:
    """Apply the events due at step ``t`` (in file order) and advance capacity ramps."""
    for ev in model.schedule_events.get(t, ()):
        apply_event(model, ev.event)
    if not model._pending_ramps:
        return
    still = []
    for ramp in model._pending_ramps:
        ramp.done += 1
        frac = ramp.done / ramp.total
        model.capacity[ramp.actor, ramp.channel] = ramp.start + frac * (ramp.target - ramp.start)
        if ramp.done < ramp.total:
            still.append(ramp)
    model._pending_ramps = still
    model.mark_dirty()


def _targets(model: SoftPowerModel, value: Any, exclude: list[str]) -> np.ndarray:
    return np.array(resolve_targets(value, exclude, model.world), dtype=int)


def _audiences(value: Any) -> list[int]:
    return list(range(len(AUDIENCES))) if value == "all" else [AUDIENCE_INDEX[a] for a in value]


def _channels(value: str) -> list[int]:
    return list(range(len(CHANNELS))) if value == "all" else [CHANNEL_INDEX[value]]


def _names(model: SoftPowerModel, idx: np.ndarray) -> str:
    codes = [model.iso3[i] for i in idx]
    return "all" if len(codes) == model.n else " ".join(codes)


def apply_event(model: SoftPowerModel, ev: Any) -> None:
    """Apply one validated event to the model and log it.

    Args:
        model: The running model.
        ev: An event of `sim.scenario` (already resolved to a step).

    """
    log = model.recorder.log
    iso = model.iso3
    if isinstance(ev, CapacityEvent):
        k, d = iso.index(ev.actor), CHANNEL_INDEX[ev.channel]
        now = float(model.capacity[k, d])
        target = now * ev.scale if ev.scale is not None else None
        if ev.add is not None:
            target = now + ev.add
        if ev.set is not None:
            target = ev.set
        target = max(0.0, float(target))
        if ev.ramp <= 1:
            model.capacity[k, d] = target
        else:
            model._pending_ramps.append(Ramp(k, d, now, target, ev.ramp))
        log(
            "capacity", ev.actor, ev.channel, f"{now:.3f} -> {target:.3f} over {ev.ramp} quarter(s)"
        )
    elif isinstance(ev, CredibilityShockEvent):
        k = iso.index(ev.actor)
        obs = _targets(model, ev.observers, ev.exclude)
        obs = obs[obs != k]
        arr = model.bad if ev.direction == "bad" else model.good
        arr[obs, k] = np.maximum(arr[obs, k], ev.magnitude)
        log("credibility_shock", ev.actor, _names(model, obs), f"{ev.direction} {ev.magnitude:.2f}")
    elif isinstance(ev, NewsShockEvent):
        k = iso.index(ev.actor)
        obs = _targets(model, ev.observers, ev.exclude)
        obs = obs[obs != k]
        sel = np.ix_(obs, _audiences(ev.audiences), [k], _channels(ev.channel))
        model.perception[sel] = np.clip(model.perception[sel] + ev.magnitude, -1.0, 1.0)
        log("news_shock", ev.actor, _names(model, obs), f"{ev.magnitude:+.2f} on {ev.channel}")
    elif isinstance(ev, TariffEvent):
        k = iso.index(ev.actor)
        tgt = _targets(model, ev.targets, ev.exclude)
        tgt = tgt[tgt != k]
        # The rate is the level in force from now on (it replaces, not compounds, earlier ones).
        model.tariff[k, tgt] = ev.rate
        if ev.both_ways:
            model.tariff[tgt, k] = ev.rate
        model.apply_tariffs()
        way = "both ways" if ev.both_ways else "one way"
        log("tariff", ev.actor, _names(model, tgt), f"rate {ev.rate:.0%} in force, {way}")
    elif isinstance(ev, MembershipEvent):
        _membership(model, ev)
    elif isinstance(ev, RestrictionEvent):
        k = iso.index(ev.actor)
        obs = _targets(model, ev.observers, ev.exclude)
        obs = obs[obs != k]
        sel = np.ix_(obs, _audiences(ev.audiences), [k], _channels(ev.channel))
        model.restriction[sel] *= 1.0 - ev.severity
        log("restriction", ev.actor, _names(model, obs), f"{ev.channel} -{ev.severity:.0%}")
    elif isinstance(ev, EdgeEvent):
        _edge(model, ev)
    elif isinstance(ev, AidPolicyEvent):
        model.aid_strategy[iso.index(ev.actor)] = ("need", "strategic", "retreat").index(
            ev.strategy
        )
        log("aid_policy", ev.actor, "", ev.strategy)
    elif isinstance(ev, RandomEvent):
        if model.rng.random() < ev.hazard:
            dist = ev.magnitude
            if dist.distribution == "uniform":
                value = float(model.rng.uniform(dist.low, dist.high))
            elif dist.distribution == "normal":
                value = float(model.rng.normal(dist.mean, dist.sd))
            else:
                value = float(dist.value)
            data = dict(ev.event, at=0)
            if data["kind"] == "capacity":
                data["scale"] = max(0.0, value)
            elif data["kind"] == "credibility_shock":
                data["magnitude"] = float(np.clip(value, 0.0, 1.0))
            else:
                data["magnitude"] = float(np.clip(value, -1.0, 1.0))
            apply_event(model, _EVENT_ADAPTER.validate_python(data))
    else:  # pragma: no cover - the schema admits no other kinds
        raise TypeError(f"unknown event {ev!r}")
    model.mark_dirty()


def _membership(model: SoftPowerModel, ev: MembershipEvent) -> None:
    names = group_names(model.world)
    initiative = names.get(ev.initiative.upper(), ev.initiative.upper())
    if initiative not in model.initiatives:
        model.initiatives.append(initiative)
        model.members = np.column_stack([model.members, np.zeros(model.n)])
    j = model.initiatives.index(initiative)
    who = _targets(model, ev.nations, ev.exclude)
    joining = ev.kind == "join"
    model.members[who, j] = 1.0 if joining else 0.0
    if not joining:
        # Leaving an agreement costs credibility among those who stay in it.
        stay = np.flatnonzero(model.members[:, j])
        cost = model.parameters.withdrawal_credibility_cost
        for k in who:
            model.bad[stay, k] = np.maximum(model.bad[stay, k], cost)
    model.recorder.log(ev.kind, _names(model, who), initiative, ev.note or "")


def _edge(model: SoftPowerModel, ev: EdgeEvent) -> None:
    s = model.iso3.index(ev.source)
    tgt = _targets(model, ev.targets, ev.exclude)
    tgt = tgt[tgt != s]
    add = ev.action == "add"
    if ev.layer == "trade":
        for arr in (model.untaxed_trade, model.untaxed_imports):
            if add:
                arr[tgt, s] = np.minimum(arr[tgt, s] + ev.weight, 1.0)
                arr[s, tgt] = np.minimum(arr[s, tgt] + ev.weight / 2.0, 1.0)
            else:
                arr[tgt, s] = 0.0
                arr[s, tgt] = 0.0
        model.apply_tariffs()
    elif ev.layer in ("alliance", "rivalry"):
        arr = model.alliance if ev.layer == "alliance" else model.rivalry
        arr[s, tgt] = arr[tgt, s] = 1.0 if add else 0.0
        model.anchor = model._anchor()
        model.credibility_target = model._credibility_target()
    else:  # aid
        model.aid_allocation[s, tgt] = ev.weight if add else 0.0
    model.recorder.log(
        f"edge_{ev.action}", ev.source, _names(model, tgt), f"{ev.layer} {ev.weight:g}"
    )
