"""What scenario events do to a running model (three paths: capacities and exposure, credibility,
and perception directly), each kind's effect declared with its kind (`sim.model.kinds.register`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.axes import CHANNELS
from sim.model.kinds import effect_of, register
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
    lost = model.state.aid_allocation[donor] * volume * (now - target) / now
    share = np.clip(100.0 * lost / model.world.gdp, 0.0, 5.0)
    share[donor] = 0.0
    hit = np.flatnonzero(share)
    if len(hit):
        model.event_jump(hit, donor, -p.aid_cut_perception * share[hit])


def apply_event(model: SoftPowerModel, ev: PlanEvent) -> None:
    """Apply one planned event to the model and log it: the effect its kind registers
    (`sim.model.kinds`).

    Args:
        model: The running model.
        ev: A resolved event of `sim.model.plan`.

    Raises:
        TypeError: A random shock (drawn when the run starts, see `draw_random`) or an object
            of no registered kind.

    """
    effect_of(ev)(model, ev)


# Each kind's effect, declared with its name, plan event and row of docs/ODD.md §7.8 in the
# order scenario documentation and error messages list the kinds.


@register(
    "capacity",
    CapacityChange,
    """Scale, add to or set an actor's channel capacity, at once or ramped linearly over `ramp`
    quarters (cuts are then penalised through `cut` and loss aversion). A cut of `aid`: each
    recipient's perception of the donor falls by `aid_cut_perception` × the aid withdrawn from it
    in % of its GDP (capped at 5 %).""",
)
def _capacity(model: SoftPowerModel, ev: CapacityChange) -> None:
    """Change one channel capacity of the actor, now or over a ramp (an aid cut costs it)."""
    k, d = ev.actor, ev.channel
    now = float(model.state.capacity[k, d])
    target = now * ev.scale if ev.scale is not None else None
    if ev.add is not None:
        target = now + ev.add
    if ev.set is not None:
        target = ev.set
    assert target is not None, "exactly one of scale, add and set is given (the schema's rule)"
    target = max(0.0, float(target))
    if d == _AID and target < now:
        _aid_withdrawn(model, k, now, target)
    if ev.ramp <= 1:
        model.state.set_capacity(k, d, target)
    else:
        model.add_ramp(Ramp(k, d, now, target, ev.ramp))
    model.recorder.log(
        "capacity",
        model.iso3[k],
        CHANNELS[d],
        f"{now:.3f} -> {target:.3f} over {ev.ramp} quarter(s)",
    )


@register(
    "credibility_shock",
    CredibilityShock,
    """A good or bad event of a magnitude in [0, 1] for chosen observers; it enters
    `good`/`bad` for the credibility update of that step.""",
)
def _credibility_shock(model: SoftPowerModel, ev: CredibilityShock) -> None:
    """Register a good or bad event of the actor among the observers for this step."""
    k = ev.actor
    obs = _others(ev.observers, k)
    model.state.shock_credibility(obs, k, ev.magnitude, good=ev.direction == "good")
    model.recorder.log(
        "credibility_shock", model.iso3[k], _names(model, obs), f"{ev.direction} {ev.magnitude:.2f}"
    )


@register(
    "news_shock",
    NewsShock,
    """Adds a magnitude in [−1, 1] to the perception of the actor by chosen observers, audiences
    and channels (not clipped: the latent scale of §7.4); it decays through the update.""",
)
def _news_shock(model: SoftPowerModel, ev: NewsShock) -> None:
    """Move the observers' perception of the actor in the chosen audiences and channels."""
    k = ev.actor
    obs = _others(ev.observers, k)
    model.shift_perception(obs, list(ev.audiences), k, list(ev.channels), ev.magnitude)
    model.recorder.log(
        "news_shock", model.iso3[k], _names(model, obs), f"{ev.magnitude:+.2f} on {ev.channel}"
    )


@register(
    "tariff",
    Tariff,
    """Sets the tariff rate in force between an actor and targets (one way or both); trade and
    import ties and the anchor are recomputed (§7.2). Each target's perception of the actor
    moves by −`tariff_perception` × (new rate − old rate) × the target's trade share with the
    actor.""",
)
def _tariff(model: SoftPowerModel, ev: Tariff) -> None:
    """Set the tariff rate in force; the targets' view of the actor moves with its change."""
    k = ev.actor
    tgt = _others(ev.targets, k)
    # The rate is the level in force from now on (it replaces, not compounds, earlier ones).
    # Targets' view of the actor moves with the change of rate × their trade share with it.
    rise = ev.rate - model.state.tariff[k, tgt]
    hit = -model.parameters.tariff_perception * rise * model.state.untaxed_trade[tgt, k]
    if hit.any():
        model.event_jump(tgt, k, hit)
    model.state.set_tariff(k, tgt, ev.rate, both_ways=ev.both_ways)
    way = "both ways" if ev.both_ways else "one way"
    model.recorder.log(
        "tariff", model.iso3[k], _names(model, tgt), f"rate {ev.rate:.0%} in force, {way}"
    )


@register(
    "leave",
    Membership,
    """Nations leave an initiative, agreement or group: a bad event of magnitude
    `withdrawal_credibility_cost` for the leaver among the remaining members, whose perception
    of the leaver falls by `withdrawal_perception`.""",
)  # (decorators apply bottom-up: join first)
@register(
    "join",
    Membership,
    """Nations join an initiative, agreement or group (one the world lacks is added).""",
)
def _membership(model: SoftPowerModel, ev: Membership) -> None:
    """Let nations join or leave; those who stay think less of each leaver."""
    who = np.array(ev.nations, dtype=int)
    model.state.set_membership(who, ev.initiative, ev.kind == "join")
    cost = model.parameters.withdrawal_perception
    if ev.kind == "leave" and cost:
        # Those who stay in the agreement value it: their view of each leaver falls.
        stay = np.flatnonzero(model.state.member_of(ev.initiative))
        for k in who:
            model.event_jump(stay[stay != k], int(k), -cost)
    model.recorder.log(ev.kind, _names(model, who), ev.initiative, ev.note)


@register(
    "restriction",
    Restriction,
    """Observers restrict an actor's channel in chosen audiences by a severity: their exposure
    to it is multiplied by 1 − severity.""",
)
def _restriction(model: SoftPowerModel, ev: Restriction) -> None:
    """Multiply the observers' exposure to the actor's channels by 1 − severity."""
    k = ev.actor
    obs = _others(ev.observers, k)
    model.state.restrict(obs, list(ev.audiences), k, list(ev.channels), ev.severity)
    model.recorder.log(
        "restriction", model.iso3[k], _names(model, obs), f"{ev.channel} -{ev.severity:.0%}"
    )


@register(
    "edge",
    Edge,
    """Add or remove a tie of the trade, alliance, rivalry or aid layer (alliance and rivalry
    changes recompute the anchor and structural credibility; trade changes the untaxed ties).""",
    logs=("edge_add", "edge_remove"),
)
def _edge(model: SoftPowerModel, ev: Edge) -> None:
    """Add or remove ties of a network layer between the source and the targets."""
    s = ev.source
    tgt = _others(ev.targets, s)
    model.state.set_tie(ev.layer, s, tgt, ev.weight if ev.action == "add" else None)
    model.recorder.log(
        f"edge_{ev.action}", model.iso3[s], _names(model, tgt), f"{ev.layer} {ev.weight:g}"
    )


@register(
    "aid_policy",
    AidPolicy,
    """A donor switches strategy (need, strategic, retreat); its allocation moves toward the
    new strategy's target as it reallocates (§7.7).""",
)
def _aid_policy(model: SoftPowerModel, ev: AidPolicy) -> None:
    """Switch the donor's aid allocation strategy."""
    model.state.set_aid_strategy(ev.actor, ev.strategy)
    model.recorder.log("aid_policy", model.iso3[ev.actor], "", ev.strategy)


@register(
    "threat",
    Threat,
    """The targets' perception of the actor falls by `threat_perception` × severity, their
    allies' and region's by `threat_spillover` of that, each observer feeling the largest
    threat of a quarter once (one event with several targets or several events: the same);
    the targets' credibility of the actor takes a bad event of `threat_credibility` ×
    severity.""",
)
def _threat(model: SoftPowerModel, ev: Threat) -> None:
    """The threatened nations' view of the actor falls by ``threat_perception`` × severity;
    their allies and region feel ``threat_spillover`` of it, once a quarter
    (`SoftPowerModel.threat_jump`); the threatened trust the actor less.
    """
    p, k = model.parameters, ev.actor
    targets = _others(ev.targets, k)
    size = p.threat_perception * ev.severity
    state = model.state
    near = (state.alliance[:, targets] + state.same_region[:, targets]).max(axis=1) > 0
    near[targets] = False
    near[k] = False
    spill = np.flatnonzero(near)
    if size:
        model.threat_jump(targets, k, size)
        if len(spill):
            model.threat_jump(spill, k, size * p.threat_spillover)
    state.shock_credibility(targets, k, min(1.0, p.threat_credibility * ev.severity))
    model.recorder.log(
        "threat", model.iso3[k], _names(model, targets), f"severity {ev.severity:.2f}"
    )


@register(
    "war",
    War,
    """Every other nation's perception of the actor falls by `war_perception`, the coalition's
    by `war_coalition_factor` of it, the opponents' and the attacked nation's by
    `war_opponent_factor` times it (the attacked nation also by `threat_perception`, and its
    credibility of the actor takes a bad event of `threat_credibility`).""",
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
    model.state.shock_credibility(np.array([ev.target]), k, min(1.0, p.threat_credibility))
    model.recorder.log(
        "war",
        model.iso3[k],
        model.iso3[ev.target],
        f"coalition {len(ev.coalition)}, opponents {len(ev.opponents)}",
    )


@register(
    "leader_change",
    LeaderChange,
    """Observer i's perception of the actor moves by −`leader_perception` × stance ×
    (freedom_i − `leader_pivot`): a nationalist turn (stance +1) costs most among free publics
    (observer heterogeneity from data: Freedom House).""",
)
def _leader_change(model: SoftPowerModel, ev: LeaderChange) -> None:
    """Each other nation's view of the actor moves with the new leader's stance and its
    public's freedom.
    """
    k, p = ev.actor, model.parameters
    obs = _others(tuple(range(model.n)), k)
    shift = -p.leader_perception * ev.stance * (model.world.freedom[obs] - p.leader_pivot)
    model.event_jump(obs, k, shift)
    model.recorder.log(
        "leader_change", model.iso3[k], "", f"{ev.leader}, nationalist stance {ev.stance:+.1f}"
    )


@register(
    "random",
    RandomShock,
    """Each quarter of a window an inner capacity, credibility-shock or news-shock event fires
    with a probability (hazard), its magnitude drawn from a uniform, normal or fixed
    distribution; both are drawn when the run starts (`effects.draw_random`), from a child of
    the run's generator per random event.""",
    logs=(),
)
def _random_shock(model: SoftPowerModel, ev: RandomShock) -> None:
    """Refuse: a random shock is drawn when the run starts and fires as its inner event
    (`apply_due`, `draw_random`).
    """
    raise TypeError("a random shock is drawn at the start of the run; see draw_random")
