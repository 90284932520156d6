"""Resolving validated events into the plain events of `sim.model.plan` for a world: one resolver
per kind of the registry of event kinds (`sim.model.kinds.KINDS`), registered by its name.
"""

from __future__ import annotations

from collections.abc import Callable
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

__all__ = ["RESOLVERS", "Resolver", "planned_event"]

#: How a validated event of the schema resolves to its plan event for a world.
Resolver = Callable[[Any, World], PlanEvent]

#: Each event kind's resolver, by the kind's name (`sim.model.kinds.KINDS`).
RESOLVERS: dict[str, Resolver] = {}


def _audience_indices(value: Any) -> tuple[int, ...]:
    if value == "all":
        return tuple(range(len(AUDIENCES)))
    return tuple(AUDIENCE_INDEX[a] for a in value)


def _channel_indices(value: str) -> tuple[int, ...]:
    return tuple(range(len(CHANNELS))) if value == "all" else (CHANNEL_INDEX[value],)


def planned_event(ev: Any, world: World) -> PlanEvent:
    """Resolve one validated event into the plain event a model applies (its kind's resolver).

    Args:
        ev: A validated event of the schema (`CapacityEvent`, `TariffEvent`, ...).
        world: The world whose nation indices targets resolve to.

    Returns:
        The event of `sim.model.plan` with nation indices.

    Raises:
        TypeError: An event of no registered kind (the schema admits none).

    """
    resolve = RESOLVERS.get(getattr(ev, "kind", ""))
    if resolve is None:
        raise TypeError(f"unknown event {ev!r}")
    return resolve(ev, world)


def _resolves(*kinds: str) -> Callable[[Resolver], Resolver]:
    """Register the decorated function as the resolver of ``kinds``."""

    def decorate(resolve: Resolver) -> Resolver:
        for kind in kinds:
            RESOLVERS[kind] = resolve
        return resolve

    return decorate


def _nations(value: Any, exclude: list[str], world: World) -> tuple[int, ...]:
    return resolve_targets(value, exclude, world)


@_resolves("capacity")
def _capacity(ev: CapacityEvent, world: World) -> CapacityChange:
    return CapacityChange(
        world.iso3.index(ev.actor), CHANNEL_INDEX[ev.channel], ev.scale, ev.add, ev.set, ev.ramp
    )


@_resolves("credibility_shock")
def _credibility_shock(ev: CredibilityShockEvent, world: World) -> CredibilityShock:
    return CredibilityShock(
        world.iso3.index(ev.actor),
        _nations(ev.observers, ev.exclude, world),
        ev.magnitude,
        ev.direction,
    )


@_resolves("news_shock")
def _news_shock(ev: NewsShockEvent, world: World) -> NewsShock:
    return NewsShock(
        world.iso3.index(ev.actor),
        _nations(ev.observers, ev.exclude, world),
        _audience_indices(ev.audiences),
        _channel_indices(ev.channel),
        ev.magnitude,
        ev.channel,
    )


@_resolves("tariff")
def _tariff(ev: TariffEvent, world: World) -> Tariff:
    return Tariff(
        world.iso3.index(ev.actor), _nations(ev.targets, ev.exclude, world), ev.rate, ev.both_ways
    )


@_resolves("join", "leave")
def _membership(ev: MembershipEvent, world: World) -> Membership:
    upper = ev.initiative.upper()
    return Membership(
        ev.kind,
        _nations(ev.nations, ev.exclude, world),
        group_names(world).get(upper, upper),
        ev.note or "",
    )


@_resolves("restriction")
def _restriction(ev: RestrictionEvent, world: World) -> Restriction:
    return Restriction(
        world.iso3.index(ev.actor),
        _nations(ev.observers, ev.exclude, world),
        _audience_indices(ev.audiences),
        _channel_indices(ev.channel),
        ev.severity,
        ev.channel,
    )


@_resolves("edge")
def _edge(ev: EdgeEvent, world: World) -> Edge:
    return Edge(
        ev.action,
        ev.layer,
        world.iso3.index(ev.source),
        _nations(ev.targets, ev.exclude, world),
        ev.weight,
    )


@_resolves("aid_policy")
def _aid_policy(ev: AidPolicyEvent, world: World) -> AidPolicy:
    return AidPolicy(world.iso3.index(ev.actor), ev.strategy)


@_resolves("threat")
def _threat(ev: ThreatEvent, world: World) -> Threat:
    return Threat(world.iso3.index(ev.actor), _nations(ev.targets, ev.exclude, world), ev.severity)


@_resolves("war")
def _war(ev: WarEvent, world: World) -> War:
    code = world.iso3.index
    return War(
        code(ev.actor),
        code(ev.target),
        tuple(sorted(code(c) for c in ev.coalition if c in world.iso3)),
        tuple(sorted(code(c) for c in ev.opponents if c in world.iso3)),
    )


@_resolves("leader_change")
def _leader_change(ev: LeaderChangeEvent, world: World) -> LeaderChange:
    return LeaderChange(world.iso3.index(ev.actor), ev.leader, ev.stance)


@_resolves("random")
def _random(ev: RandomEvent, world: World) -> RandomShock:
    size = "scale" if ev.event["kind"] == "capacity" else "magnitude"
    inner = EVENT_ADAPTER.validate_python({**ev.event, "at": 0, size: 0.0})
    dist = ev.magnitude
    template = planned_event(inner, world)
    # the schema admits only these inner kinds (`_RANDOMISABLE`)
    assert isinstance(template, CapacityChange | CredibilityShock | NewsShock), template
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
