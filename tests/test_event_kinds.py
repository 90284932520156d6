"""The registry of event kinds (`sim.model.kinds.KINDS`): every kind has each of its parts — a
schema class, a resolver, a sentence, a row of docs/ODD.md — and a case that asserts the
direction and the size of what it does on a tiny world of six nations.

Each case writes the event as a scenario file does, resolves it through the registry and
applies it (`sim.model.effects.apply_event`). Where a kind moves opinion, its size is stated in
the favourable logit (`sim.model.observe.favourable`): a jump of m in perception on every
audience and channel moves the logit by ``favourable_slope`` × m. Perception starts at 0.1
everywhere and no jump here reaches ±1, so no clip is involved in any exact size.

A kind added to the registry without a case here fails `test_every_kind_has_a_case`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from sim.axes import AUDIENCES, CHANNELS
from sim.model import Plan, PlannedEvent, SoftPowerModel, effects, structure
from sim.model.kinds import KINDS
from sim.params import Parameters
from sim.scenario.resolve import RESOLVERS, planned_event
from sim.scenario.schema import _RANDOMISABLE, EVENT_ADAPTER, EVENT_CLASSES
from sim.world import World

RESPONSES = {
    "tariff_perception": 2.0,
    "aid_cut_perception": 0.3,
    "withdrawal_perception": 0.2,
    "withdrawal_credibility_cost": 0.15,
    "threat_perception": 0.4,
    "threat_spillover": 0.5,
    "threat_credibility": 0.5,
    "war_perception": 0.2,
    "war_coalition_factor": 0.25,
    "war_opponent_factor": 2.0,
    "leader_perception": 0.4,
    "leader_pivot": 0.5,
}
START = 0.1  # perception of every pair at the start of each case
CULTURE, TECH, AID = (CHANNELS.index(c) for c in ("culture", "tech", "aid"))
YOUTH = AUDIENCES.index("youth")


def tiny_world() -> World:
    """Six nations N000..N005: N000 a donor allied to N001 and rival of N004, N002 and N003
    allies; regions A (N000, N001), B (N002, N003, N004), C (N005); BRI = N001, N002, N003.
    """
    n = 6
    base = World.synthetic(n, np.random.default_rng(7))
    iso3 = base.iso3
    trade = np.zeros((n, n))
    trade[[1, 2, 3, 4, 5], 0] = [0.3, 0.2, 0.1, 0.05, 0.0]
    trade[0, [1, 2, 3]] = [0.2, 0.1, 0.1]
    trade[2, 3] = trade[3, 2] = 0.2
    trade[4, 5] = trade[5, 4] = 0.1
    alliance = np.zeros((n, n))
    alliance[0, 1] = alliance[1, 0] = alliance[2, 3] = alliance[3, 2] = 1.0
    rivalry = np.zeros((n, n))
    rivalry[0, 4] = rivalry[4, 0] = 1.0
    capacity = np.full((n, len(CHANNELS)), 0.5)
    capacity[1:, AID] = 0.0
    capacity[0, AID] = 1.0
    return replace(
        base,
        region=("A", "A", "B", "B", "B", "C"),
        gdp=np.full(n, 1e12),
        population=np.array([3e8, 5e7, 4e7, 3e7, 2e8, 1e7]),
        capacity=capacity,
        aid_usd=capacity[:, AID] * 1e10,
        trade=trade,
        imports=trade.copy(),
        alliance=alliance,
        rivalry=rivalry,
        groups={"BRI": frozenset(iso3[1:4]), "PARIS": frozenset(iso3)},
        aid_strategy={"N000": "need"},
        freedom=np.array([0.9, 0.2, 0.8, 0.6, 0.3, 0.5]),
    )


WORLD = tiny_world()


def new_model(plan: Plan | None = None) -> SoftPowerModel:
    """A model of the tiny world with every perception at `START`."""
    model = SoftPowerModel(WORLD, plan or Plan(steps=3), Parameters.from_mapping(RESPONSES), rng=1)
    model.perception[:] = START
    return model


def logit(model: SoftPowerModel) -> np.ndarray:
    """(observer, actor) favourable share on the logit scale."""
    f = model.favourable()
    return np.log(f / (100.0 - f))


def resolve(kind: str, event: dict[str, Any]) -> Any:
    """Validate an event as written in a scenario file and resolve it through the registry."""
    ev = planned_event(EVENT_ADAPTER.validate_python({"kind": kind, "at": 0, **event}), WORLD)
    assert type(ev) is KINDS[kind].plan
    return ev


def apply(model: SoftPowerModel, kind: str, event: dict[str, Any]) -> Any:
    """Resolve and apply one event; it must log one of its kind's logged names."""
    ev = resolve(kind, event)
    logged = len(model.recorder.events)
    effects.apply_event(model, ev)
    assert len(model.recorder.events) == logged + 1
    assert model.recorder.events[-1][1] in KINDS[kind].logs
    return ev


def moved(model: SoftPowerModel, kind: str, event: dict[str, Any]) -> np.ndarray:
    """(observer, actor) change of the favourable logit at the event."""
    before = logit(model)
    apply(model, kind, event)
    return logit(model) - before


def expect_jumps(change: np.ndarray, model: SoftPowerModel, actor: int, jumps: dict) -> None:
    """The logit toward ``actor`` moves by slope × jump for the observers in ``jumps`` and not
    at all elsewhere (nor toward any other actor).
    """
    expected = np.zeros_like(change)
    for observer, jump in jumps.items():
        expected[observer, actor] = model.parameters.favourable_slope * jump
    np.testing.assert_allclose(change, expected, atol=1e-9)


# ---------------------------------------------------------------------- the cases


def case_capacity(model: SoftPowerModel) -> None:
    # A cut of culture halves it at once and moves no opinion.
    change = moved(model, "capacity", {"actor": "N001", "channel": "culture", "scale": 0.5})
    assert model.capacity[1, CULTURE] == pytest.approx(0.25)
    np.testing.assert_allclose(change, 0.0, atol=1e-12)
    # An aid cut: each recipient's view of the donor falls by aid_cut_perception × the aid
    # withdrawn from it in % of its GDP.
    share = model.aid_allocation[0].copy()
    assert (share[1:] > 0).sum() >= 2
    lost_pct = 100.0 * share * 1e10 * 0.5 / 1e12
    change = moved(model, "capacity", {"actor": "N000", "channel": "aid", "scale": 0.5})
    assert model.capacity[0, AID] == pytest.approx(0.5)
    jumps = {i: -RESPONSES["aid_cut_perception"] * lost_pct[i] for i in range(1, 6) if share[i]}
    assert all(j < 0 for j in jumps.values())
    expect_jumps(change, model, 0, jumps)
    # A raise of aid costs nothing; a ramp adds a quarter of the change each quarter.
    change = moved(model, "capacity", {"actor": "N000", "channel": "aid", "set": 0.9})
    np.testing.assert_allclose(change, 0.0, atol=1e-12)
    apply(model, "capacity", {"actor": "N002", "channel": "tech", "add": 0.4, "ramp": 4})
    assert model.capacity[2, TECH] == pytest.approx(0.5)
    model.advance_ramps()
    assert model.capacity[2, TECH] == pytest.approx(0.6)
    for _ in range(3):
        model.advance_ramps()
    assert model.capacity[2, TECH] == pytest.approx(0.9)


def case_credibility_shock(model: SoftPowerModel) -> None:
    # Credibility moves by the update rule: a bad event of magnitude m takes
    # credibility_loss × R × m off what the same step gives without it; a good one adds
    # credibility_gain × (1 − R) × m.
    control = new_model()
    r = model.credibility.copy()
    np.testing.assert_array_equal(r, control.credibility)
    assert ((r[[1, 2, 3], 0] > 0.05) & (r[[1, 2, 3], 0] < 0.95)).all()  # away from the clips
    apply(
        model,
        "credibility_shock",
        {"actor": "N000", "observers": ["N001", "N002"], "magnitude": 0.4},
    )
    apply(
        model,
        "credibility_shock",
        {"actor": "N000", "observers": "N003", "direction": "good", "magnitude": 0.5},
    )
    np.testing.assert_array_equal(model.perception, START)  # no jump of perception
    model.step()
    control.step()
    delta = model.credibility - control.credibility
    p = model.parameters
    expected = np.zeros_like(delta)
    expected[[1, 2], 0] = -p.credibility_loss * r[[1, 2], 0] * 0.4
    expected[3, 0] = p.credibility_gain * (1.0 - r[3, 0]) * 0.5
    np.testing.assert_allclose(delta, expected, atol=1e-12)


def case_news_shock(model: SoftPowerModel) -> None:
    # A jump of m in one audience and channel moves perception there by m, and the logit by
    # slope × m × the audience's weight × the channel's weight.
    event = {
        "actor": "N000",
        "observers": ["N001", "N002"],
        "audiences": ["youth"],
        "channel": "culture",
        "magnitude": 0.3,
    }
    before = model.perception.copy()
    change = moved(model, "news_shock", event)
    jump = np.zeros_like(before)
    jump[[1, 2], YOUTH, 0, CULTURE] = 0.3
    np.testing.assert_allclose(model.perception - before, jump, atol=1e-12)
    omega = model.parameters.channel_weights[CULTURE]
    weight = model.audience_weight[:, YOUTH]
    expect_jumps(change, model, 0, {i: 0.3 * weight[i] * omega for i in (1, 2)})
    # On every audience and channel, a fall of 0.2 moves the logit by −slope × 0.2.
    change = moved(model, "news_shock", {"actor": "N005", "observers": "all", "magnitude": -0.2})
    expect_jumps(change, model, 5, dict.fromkeys(range(5), -0.2))


def case_tariff(model: SoftPowerModel) -> None:
    share = model.untaxed_trade[:, 0].copy()
    change = moved(model, "tariff", {"actor": "N000", "targets": ["N001", "N002"], "rate": 0.25})
    hit = -RESPONSES["tariff_perception"] * 0.25
    expect_jumps(change, model, 0, {1: hit * share[1], 2: hit * share[2]})
    assert model.tariff[0, 1] == model.tariff[1, 0] == 0.25
    elasticity = model.parameters.tariff_elasticity
    assert model.trade[1, 0] == pytest.approx(share[1] / (1.0 + elasticity * 0.25))
    assert model.trade[3, 0] == share[3]
    # Rolled back to 0, the rate gives the view back by the same rule.
    change = moved(model, "tariff", {"actor": "N000", "targets": ["N001", "N002"], "rate": 0.0})
    expect_jumps(change, model, 0, {1: -hit * share[1], 2: -hit * share[2]})
    assert model.trade[1, 0] == pytest.approx(share[1])


def case_join(model: SoftPowerModel) -> None:
    change = moved(model, "join", {"nations": ["N004", "N005"], "initiative": "bri"})
    np.testing.assert_array_equal(model.member_of("BRI"), [0, 1, 1, 1, 1, 1])
    np.testing.assert_allclose(change, 0.0, atol=1e-12)
    assert not model.bad.any()
    apply(model, "join", {"nations": "N000", "initiative": "new_club"})
    np.testing.assert_array_equal(model.member_of("NEW_CLUB"), [1, 0, 0, 0, 0, 0])


def case_leave(model: SoftPowerModel) -> None:
    # The stayers' view of the leaver falls by withdrawal_perception; they trust it less by
    # withdrawal_credibility_cost; non-members are unmoved.
    change = moved(model, "leave", {"nations": "N001", "initiative": "BRI"})
    np.testing.assert_array_equal(model.member_of("BRI"), [0, 0, 1, 1, 0, 0])
    expect_jumps(change, model, 1, dict.fromkeys((2, 3), -RESPONSES["withdrawal_perception"]))
    expected_bad = np.zeros_like(model.bad)
    expected_bad[[2, 3], 1] = RESPONSES["withdrawal_credibility_cost"]
    np.testing.assert_array_equal(model.bad, expected_bad)


def case_restriction(model: SoftPowerModel) -> None:
    # The observers' exposure to the actor's channel, in the audiences named, is multiplied by
    # 1 − severity (twice: by its square); nothing else changes.
    model.salience()  # exposure as computed now
    before = model.exposure.copy()
    assert before[1, YOUTH, 0, CULTURE] > 0
    event = {
        "actor": "N000",
        "channel": "culture",
        "observers": "N001",
        "audiences": ["youth"],
        "severity": 0.4,
    }
    change = moved(model, "restriction", event)
    np.testing.assert_allclose(change, 0.0, atol=1e-12)
    model.salience()
    factor = np.ones_like(before)
    factor[1, YOUTH, 0, CULTURE] = 0.6
    np.testing.assert_allclose(model.exposure, before * factor, rtol=1e-12)
    apply(model, "restriction", event)
    model.salience()
    np.testing.assert_allclose(model.exposure, before * factor**2, rtol=1e-12)


def case_edge(model: SoftPowerModel) -> None:
    # A trade tie grows by the weight toward the source and half of it back; removed, it is 0.
    trade = model.untaxed_trade.copy()
    apply(model, "edge", {"action": "add", "layer": "trade", "source": "N003", "targets": "N005"})
    assert model.untaxed_trade[5, 3] == pytest.approx(trade[5, 3] + 0.05)
    assert model.untaxed_trade[3, 5] == pytest.approx(trade[3, 5] + 0.025)
    assert model.trade[5, 3] == pytest.approx(trade[5, 3] + 0.05)  # no tariff in force
    apply(
        model,
        "edge",
        {"action": "remove", "layer": "trade", "source": "N000", "targets": "N001"},
    )
    assert model.untaxed_trade[1, 0] == model.untaxed_trade[0, 1] == model.trade[1, 0] == 0.0
    # An alliance is 1 both ways and raises the credibility target of the pair; removed, 0.
    target = model.credibility_target.copy()
    apply(
        model,
        "edge",
        {"action": "add", "layer": "alliance", "source": "N004", "targets": "N005"},
    )
    assert model.alliance[4, 5] == model.alliance[5, 4] == 1.0
    assert model.credibility_target[5, 4] > target[5, 4]
    apply(
        model,
        "edge",
        {"action": "remove", "layer": "alliance", "source": "N004", "targets": "N005"},
    )
    assert model.alliance[4, 5] == model.alliance[5, 4] == 0.0
    np.testing.assert_allclose(model.credibility_target, target, atol=1e-12)
    # An aid link sets the donor's allocation to the weight; removed, 0.
    edge = {"layer": "aid", "source": "N000", "targets": "N005", "weight": 0.2}
    apply(model, "edge", {"action": "add", **edge})
    assert model.aid_allocation[0, 5] == 0.2
    apply(model, "edge", {"action": "remove", **edge})
    assert model.aid_allocation[0, 5] == 0.0
    assert {e[1] for e in model.recorder.events} == {"edge_add", "edge_remove"}


def case_aid_policy(model: SoftPowerModel) -> None:
    # The strategy is set; the donor's next reallocation moves its allocation by
    # aid_reallocation_rate toward the new strategy's target, which differs from the old one.
    state = model.state
    old = state.aid_target(0, model.current_attraction)
    allocation = model.aid_allocation[0].copy()
    change = moved(model, "aid_policy", {"actor": "N000", "strategy": "retreat"})
    np.testing.assert_allclose(change, 0.0, atol=1e-12)
    assert structure.AID_STRATEGIES[model.aid_strategy[0]] == "retreat"
    new = state.aid_target(0, model.current_attraction)
    np.testing.assert_allclose(new, state.aid_target(0, model.current_attraction, "retreat"))
    assert np.abs(new - old).max() > 0.01
    state.reallocate_aid(0, model.current_attraction)
    rate = model.parameters.aid_reallocation_rate
    np.testing.assert_allclose(model.aid_allocation[0], allocation + rate * (new - allocation))


def case_threat(model: SoftPowerModel) -> None:
    # N002 threatened at severity 0.5: its view falls by threat_perception × 0.5, its ally N003
    # and its region's N004 by threat_spillover of that; it trusts N000 less.
    change = moved(model, "threat", {"actor": "N000", "targets": "N002", "severity": 0.5})
    size = RESPONSES["threat_perception"] * 0.5
    spill = -size * RESPONSES["threat_spillover"]
    expect_jumps(change, model, 0, {2: -size, 3: spill, 4: spill})
    expected_bad = np.zeros_like(model.bad)
    expected_bad[2, 0] = RESPONSES["threat_credibility"] * 0.5
    np.testing.assert_array_equal(model.bad, expected_bad)


def case_war(model: SoftPowerModel) -> None:
    # N000 attacks N004 with N001 in its coalition and N005 opposed: every other view falls
    # by war_perception, the coalition's by a share of it, the opponents' and the attacked
    # nation's by a multiple, the attacked nation's also by threat_perception.
    war = {"actor": "N000", "target": "N004", "coalition": ["N001"], "opponents": ["N005"]}
    change = moved(model, "war", war)
    w, r = RESPONSES["war_perception"], RESPONSES
    jumps = {
        1: -w * r["war_coalition_factor"],
        2: -w,
        3: -w,
        4: -w * r["war_opponent_factor"] - r["threat_perception"],
        5: -w * r["war_opponent_factor"],
    }
    expect_jumps(change, model, 0, jumps)
    expected_bad = np.zeros_like(model.bad)
    expected_bad[4, 0] = r["threat_credibility"]
    np.testing.assert_array_equal(model.bad, expected_bad)


def case_leader_change(model: SoftPowerModel) -> None:
    # A nationalist turn (+1) moves observer i's view by −leader_perception × (freedom_i −
    # leader_pivot): free publics think worse, unfree ones better; −1 undoes it.
    change = moved(model, "leader_change", {"actor": "N000", "leader": "X", "stance": 1.0})
    freedom = WORLD.freedom
    pivot, size = RESPONSES["leader_pivot"], RESPONSES["leader_perception"]
    jumps = {i: -size * (freedom[i] - pivot) for i in range(1, 6)}
    assert jumps[2] < 0 < jumps[1]  # freedom 0.8 against 0.2
    expect_jumps(change, model, 0, jumps)
    change = moved(model, "leader_change", {"actor": "N000", "leader": "Y", "stance": -1.0})
    expect_jumps(change, model, 0, {i: -j for i, j in jumps.items()})


def case_random(model: SoftPowerModel) -> None:
    # A random news shock of fixed size 0.2 and hazard 1 fires in every quarter of its window
    # with that size; with hazard 0 it never fires. Alone, it cannot be applied.
    event = {
        "hazard": 1.0,
        "magnitude": {"distribution": "fixed", "value": 0.2},
        "event": {"kind": "news_shock", "actor": "N000", "observers": ["N001", "N002"]},
    }
    shock = resolve("random", event)
    with pytest.raises(TypeError, match="drawn at the start"):
        effects.apply_event(model, shock)
    never = resolve("random", {**event, "hazard": 0.0})
    planned = (PlannedEvent(0, shock, until=1), PlannedEvent(0, never, until=1))
    model = new_model(Plan(steps=3, events=planned))
    assert [model.random_draws[id(planned[0]), t] for t in range(2)] == [0.2, 0.2]
    assert [model.random_draws[id(planned[1]), t] for t in range(2)] == [None, None]
    before = logit(model)
    effects.apply_due(model, 0)
    expect_jumps(logit(model) - before, model, 0, dict.fromkeys((1, 2), 0.2))
    assert [e[1] for e in model.recorder.events] == ["news_shock"]


CASES: dict[str, Callable[[SoftPowerModel], None]] = {
    "capacity": case_capacity,
    "credibility_shock": case_credibility_shock,
    "news_shock": case_news_shock,
    "tariff": case_tariff,
    "join": case_join,
    "leave": case_leave,
    "restriction": case_restriction,
    "edge": case_edge,
    "aid_policy": case_aid_policy,
    "threat": case_threat,
    "war": case_war,
    "leader_change": case_leader_change,
    "random": case_random,
}


# ---------------------------------------------------------------------- the tests


def test_every_kind_has_a_case():
    assert set(CASES) == set(KINDS)


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_moves_what_it_should_by_its_size(kind: str):
    CASES[kind](new_model())


def test_every_kind_has_a_schema_class_and_a_resolver():
    assert set(EVENT_CLASSES) == set(KINDS)
    assert set(RESOLVERS) == set(KINDS)
    assert set(KINDS) >= _RANDOMISABLE


def test_every_kind_has_its_sentence_in_the_app():
    from sim.viz import narrative

    missing = [
        name for kind in KINDS.values() for name in kind.logs if name not in narrative.SENTENCES
    ]
    assert not missing, f"no sentence in sim.viz.narrative for: {missing}"
    # a random shock logs as the kind it fires
    assert KINDS["random"].logs == ()
    assert all(KINDS[inner].logs for inner in _RANDOMISABLE)


def test_a_kind_cannot_be_registered_twice():
    from sim.model.kinds import register

    with pytest.raises(ValueError, match="registered twice"):
        register("tariff", KINDS["tariff"].plan, "again")(KINDS["tariff"].effect)


def test_an_object_of_no_kind_is_refused():
    with pytest.raises(TypeError, match="unknown event"):
        effects.apply_event(new_model(), object())
