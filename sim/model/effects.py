"""What scenario events do to a running model (three paths: capacities and exposure, credibility,
and perception directly as news shocks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.axes import CHANNELS
from sim.model.plan import (
    AidPolicy,
    CapacityChange,
    CredibilityShock,
    Edge,
    LeaderChange,
    Membership,
    NewsShock,
    PlanEvent,
    PlannedEvent,
    RandomShock,
    Restriction,
    Tariff,
    Threat,
    War,
)

if TYPE_CHECKING:
    from sim.model.model import SoftPowerModel

__all__ = ["Ramp", "apply_due", "apply_event", "draw_random"]

_AID = CHANNELS.index("aid")


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

    def advance(self) -> float:
        """Count one more quarter and return the capacity it sets now."""
        self.done += 1
        return self.start + self.done / self.total * (self.target - self.start)


def apply_due(model: SoftPowerModel, t: int) -> None:
    """Apply the events due at step ``t`` (in file order) and advance capacity ramps.

    A random shock fires with the size drawn for it at the start of the run (`draw_random`).
    """
    for ev in model.due_events.get(t, ()):
        if isinstance(ev.event, RandomShock):
            size = model.random_draws[id(ev), t]
            if size is not None:
                apply_event(model, ev.event.sized(size))
        else:
            apply_event(model, ev.event)
    model.advance_ramps()


def draw_random(
    events: tuple[PlannedEvent, ...], steps: int, rng: np.random.Generator
) -> dict[tuple[int, int], float | None]:
    """Draw every random shock of a run when it starts: for each quarter of its window, whether
    it fires (probability ``hazard``) and its size.

    Each random shock draws from its own child of the run's generator (``rng.spawn``, which does
    not advance the run's own stream), in the order the shocks appear: the nations' decisions
    draw the same numbers with or without random shocks, and removing an event changes no other
    shock's draws (common random numbers for attribution).

    Returns:
        ``{(id(planned event), step): size, or None if it does not fire}``.

    """
    shocks = [(ev, ev.event) for ev in events if isinstance(ev.event, RandomShock)]
    draws: dict[tuple[int, int], float | None] = {}
    for (ev, shock), child in zip(shocks, rng.spawn(len(shocks)) if shocks else [], strict=True):
        last = ev.until if ev.until is not None else steps - 1
        for t in range(ev.step, min(last, steps - 1) + 1):
            fires = child.random() < shock.hazard
            # The scenario schema gives each distribution its fields (None would raise anyway).
            if shock.distribution == "uniform":
                assert shock.low is not None and shock.high is not None
                size = float(child.uniform(shock.low, shock.high))
            elif shock.distribution == "normal":
                assert shock.mean is not None and shock.sd is not None
                size = float(child.normal(shock.mean, shock.sd))
            else:
                assert shock.value is not None
                size = float(shock.value)
            draws[id(ev), t] = size if fires else None
    return draws


def _others(nations: tuple[int, ...], k: int) -> np.ndarray:
    """Return the nations as an index array, without the actor itself."""
    idx = np.array(nations, dtype=int)
    return idx[idx != k]


def _names(model: SoftPowerModel, idx: np.ndarray) -> str:
    codes = [model.iso3[i] for i in idx]
    return "all" if len(codes) == model.n else " ".join(codes)


def apply_event(model: SoftPowerModel, ev: PlanEvent) -> None:
    """Apply one planned event to the model and log it.

    Args:
        model: The running model.
        ev: A resolved event of `sim.model.plan`.

    """
    log = model.recorder.log
    iso = model.iso3
    if isinstance(ev, CapacityChange):
        k, d = ev.actor, ev.channel
        now = float(model.capacity[k, d])
        target = now * ev.scale if ev.scale is not None else None
        if ev.add is not None:
            target = now + ev.add
        if ev.set is not None:
            target = ev.set
        assert target is not None, "exactly one of scale, add and set is given"
        target = max(0.0, float(target))
        if d == _AID and target < now:
            _aid_withdrawn(model, k, now, target)
        if ev.ramp <= 1:
            model.set_capacity(k, d, target)
        else:
            model.add_ramp(Ramp(k, d, now, target, ev.ramp))
        log(
            "capacity",
            iso[k],
            CHANNELS[d],
            f"{now:.3f} -> {target:.3f} over {ev.ramp} quarter(s)",
        )
    elif isinstance(ev, CredibilityShock):
        k = ev.actor
        obs = _others(ev.observers, k)
        model.shock_credibility(obs, k, ev.magnitude, good=ev.direction == "good")
        log("credibility_shock", iso[k], _names(model, obs), f"{ev.direction} {ev.magnitude:.2f}")
    elif isinstance(ev, NewsShock):
        k = ev.actor
        obs = _others(ev.observers, k)
        model.shift_perception(obs, list(ev.audiences), k, list(ev.channels), ev.magnitude)
        log("news_shock", iso[k], _names(model, obs), f"{ev.magnitude:+.2f} on {ev.channel}")
    elif isinstance(ev, Tariff):
        k = ev.actor
        tgt = _others(ev.targets, k)
        # The rate is the level in force from now on (it replaces, not compounds, earlier ones).
        # Targets' view of the actor moves with the change of rate × their trade share with it.
        rise = ev.rate - model.tariff[k, tgt]
        hit = -model.parameters.tariff_perception * rise * model.untaxed_trade[tgt, k]
        if hit.any():
            model.event_jump(tgt, k, hit)
        model.set_tariff(k, tgt, ev.rate, both_ways=ev.both_ways)
        way = "both ways" if ev.both_ways else "one way"
        log("tariff", iso[k], _names(model, tgt), f"rate {ev.rate:.0%} in force, {way}")
    elif isinstance(ev, Membership):
        _membership(model, ev)
    elif isinstance(ev, Restriction):
        k = ev.actor
        obs = _others(ev.observers, k)
        model.restrict(obs, list(ev.audiences), k, list(ev.channels), ev.severity)
        log("restriction", iso[k], _names(model, obs), f"{ev.channel} -{ev.severity:.0%}")
    elif isinstance(ev, Edge):
        _edge(model, ev)
    elif isinstance(ev, AidPolicy):
        model.set_aid_strategy(ev.actor, ev.strategy)
        log("aid_policy", iso[ev.actor], "", ev.strategy)
    elif isinstance(ev, Threat):
        _threat(model, ev)
    elif isinstance(ev, War):
        _war(model, ev)
    elif isinstance(ev, LeaderChange):
        k, p = ev.actor, model.parameters
        obs = _others(tuple(range(model.n)), k)
        shift = -p.leader_perception * ev.stance * (model.world.freedom[obs] - p.leader_pivot)
        model.event_jump(obs, k, shift)
        log("leader_change", iso[k], "", f"{ev.leader}, nationalist stance {ev.stance:+.1f}")
    elif isinstance(ev, RandomShock):
        raise TypeError("a random shock is drawn at the start of the run; see draw_random")
    else:  # pragma: no cover - plans hold no other kinds
        raise TypeError(f"unknown event {ev!r}")
    model.mark_dirty()


def _membership(model: SoftPowerModel, ev: Membership) -> None:
    who = np.array(ev.nations, dtype=int)
    model.set_membership(who, ev.initiative, ev.kind == "join")
    cost = model.parameters.withdrawal_perception
    if ev.kind == "leave" and cost:
        # Those who stay in the agreement value it: their view of each leaver falls.
        stay = np.flatnonzero(model.member_of(ev.initiative))
        for k in who:
            model.event_jump(stay[stay != k], int(k), -cost)
    model.recorder.log(ev.kind, _names(model, who), ev.initiative, ev.note)


def _edge(model: SoftPowerModel, ev: Edge) -> None:
    s = ev.source
    tgt = _others(ev.targets, s)
    model.set_tie(ev.layer, s, tgt, ev.weight if ev.action == "add" else None)
    model.recorder.log(
        f"edge_{ev.action}", model.iso3[s], _names(model, tgt), f"{ev.layer} {ev.weight:g}"
    )


def _aid_withdrawn(model: SoftPowerModel, donor: int, now: float, target: float) -> None:
    """Recipients' view of a donor falls with the aid withdrawn from them, in % of their GDP.

    The donor's aid volume is taken as proportional to its aid capacity (``World.aid_usd`` at
    the world's capacity); what a recipient loses is its allocation share of the cut.
    """
    p = model.parameters
    base = model.world.capacity[donor, _AID]
    if not p.aid_cut_perception or base <= 0 or now <= 0:
        return
    volume = model.world.aid_usd[donor] * now / base
    lost = model.aid_allocation[donor] * volume * (now - target) / now
    share = np.clip(100.0 * lost / model.world.gdp, 0.0, 5.0)
    share[donor] = 0.0
    hit = np.flatnonzero(share)
    if len(hit):
        model.event_jump(hit, donor, -p.aid_cut_perception * share[hit])


def _threat(model: SoftPowerModel, ev: Threat) -> None:
    """The threatened nations' view of the actor falls by ``threat_perception`` × severity;
    their allies and region feel ``threat_spillover`` of it; the threatened trust the actor less.
    """
    p, k = model.parameters, ev.actor
    targets = _others(ev.targets, k)
    size = p.threat_perception * ev.severity
    near = (model.alliance[:, targets] + model.same_region[:, targets]).max(axis=1) > 0
    near[targets] = False
    near[k] = False
    spill = np.flatnonzero(near)
    if size:
        model.event_jump(targets, k, -size)
        if len(spill):
            model.event_jump(spill, k, -size * p.threat_spillover)
    model.shock_credibility(targets, k, min(1.0, p.threat_credibility * ev.severity))
    model.recorder.log(
        "threat", model.iso3[k], _names(model, targets), f"severity {ev.severity:.2f}"
    )


def _war(model: SoftPowerModel, ev: War) -> None:
    """Every other nation's view of the actor falls by ``war_perception``: the coalition's by
    ``war_coalition_factor`` of it, the opponents' by ``war_opponent_factor`` times it, and the
    attacked nation's by the opponents' amount plus a threat of severity 1.
    """
    p, k = model.parameters, ev.actor
    factor = np.ones(model.n)
    factor[list(ev.coalition)] = p.war_coalition_factor
    factor[list(ev.opponents)] = p.war_opponent_factor
    factor[ev.target] = p.war_opponent_factor
    shift = -p.war_perception * factor
    shift[ev.target] -= p.threat_perception
    obs = _others(tuple(range(model.n)), k)
    if p.war_perception or p.threat_perception:
        model.event_jump(obs, k, shift[obs])
    model.shock_credibility(np.array([ev.target]), k, min(1.0, p.threat_credibility))
    model.recorder.log(
        "war",
        model.iso3[k],
        model.iso3[ev.target],
        f"coalition {len(ev.coalition)}, opponents {len(ev.opponents)}",
    )
