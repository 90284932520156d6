"""Resolving validated events into the plain events of `sim.model.plan` for a world."""

from __future__ import annotations

from typing import Any

from sim.axes import AUDIENCES, CHANNELS
from sim.model.plan import (
    AidPolicy,
    CapacityChange,
    CredibilityShock,
    Edge,
    LeaderChange,
    Membership,
    NewsShock,
    PlanEvent,
    RandomShock,
    Restriction,
    Tariff,
    Threat,
    War,
)
from sim.scenario.schema import (
    AUDIENCE_INDEX,
    CHANNEL_INDEX,
    EVENT_ADAPTER,
    AidPolicyEvent,
    CapacityEvent,
    CredibilityShockEvent,
    EdgeEvent,
    LeaderChangeEvent,
    MembershipEvent,
    NewsShockEvent,
    RandomEvent,
    RestrictionEvent,
    TariffEvent,
    ThreatEvent,
    WarEvent,
)
from sim.scenario.targets import group_names, resolve_targets
from sim.world.world import World

__all__ = ["planned_event"]


def _audience_indices(value: Any) -> tuple[int, ...]:
    if value == "all":
        return tuple(range(len(AUDIENCES)))
    return tuple(AUDIENCE_INDEX[a] for a in value)


def _channel_indices(value: str) -> tuple[int, ...]:
    return tuple(range(len(CHANNELS))) if value == "all" else (CHANNEL_INDEX[value],)


def planned_event(ev: Any, world: World) -> PlanEvent:
    """Resolve one validated event into the plain event a model applies.

    Args:
        ev: A validated event of the schema (`CapacityEvent`, `TariffEvent`, ...).
        world: The world whose nation indices targets resolve to.

    Returns:
        The event of `sim.model.plan` with nation indices.

    """
    code = world.iso3.index

    def nations(value: Any, exclude: list[str]) -> tuple[int, ...]:
        return resolve_targets(value, exclude, world)

    if isinstance(ev, CapacityEvent):
        return CapacityChange(
            code(ev.actor), CHANNEL_INDEX[ev.channel], ev.scale, ev.add, ev.set, ev.ramp
        )
    if isinstance(ev, CredibilityShockEvent):
        return CredibilityShock(
            code(ev.actor), nations(ev.observers, ev.exclude), ev.magnitude, ev.direction
        )
    if isinstance(ev, NewsShockEvent):
        return NewsShock(
            code(ev.actor),
            nations(ev.observers, ev.exclude),
            _audience_indices(ev.audiences),
            _channel_indices(ev.channel),
            ev.magnitude,
            ev.channel,
        )
    if isinstance(ev, TariffEvent):
        return Tariff(code(ev.actor), nations(ev.targets, ev.exclude), ev.rate, ev.both_ways)
    if isinstance(ev, MembershipEvent):
        upper = ev.initiative.upper()
        return Membership(
            ev.kind,
            nations(ev.nations, ev.exclude),
            group_names(world).get(upper, upper),
            ev.note or "",
        )
    if isinstance(ev, RestrictionEvent):
        return Restriction(
            code(ev.actor),
            nations(ev.observers, ev.exclude),
            _audience_indices(ev.audiences),
            _channel_indices(ev.channel),
            ev.severity,
            ev.channel,
        )
    if isinstance(ev, EdgeEvent):
        return Edge(
            ev.action, ev.layer, code(ev.source), nations(ev.targets, ev.exclude), ev.weight
        )
    if isinstance(ev, AidPolicyEvent):
        return AidPolicy(code(ev.actor), ev.strategy)
    if isinstance(ev, ThreatEvent):
        return Threat(code(ev.actor), nations(ev.targets, ev.exclude), ev.severity)
    if isinstance(ev, WarEvent):
        return War(
            code(ev.actor),
            code(ev.target),
            tuple(sorted(code(c) for c in ev.coalition if c in world.iso3)),
            tuple(sorted(code(c) for c in ev.opponents if c in world.iso3)),
        )
    if isinstance(ev, LeaderChangeEvent):
        return LeaderChange(code(ev.actor), ev.leader, ev.stance)
    if isinstance(ev, RandomEvent):
        size = "scale" if ev.event["kind"] == "capacity" else "magnitude"
        inner = EVENT_ADAPTER.validate_python({**ev.event, "at": 0, size: 0.0})
        dist = ev.magnitude
        template = planned_event(inner, world)
        # The schema admits capacity, credibility and news events inside a random event.
        assert isinstance(template, CapacityChange | CredibilityShock | NewsShock)
        return RandomShock(
            ev.hazard,
            dist.distribution,
            template,
            dist.low,
            dist.high,
            dist.mean,
            dist.sd,
            dist.value,
        )
    raise TypeError(f"unknown event {ev!r}")  # pragma: no cover - the schema admits no other
