"""Each decision rule of a `Nation` tested directly (sim.model.nation, sim.model.structure)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import SoftPowerModel, structure
from sim.params import Parameters
from sim.world import bundled_world


def _model(**overrides) -> SoftPowerModel:
    return SoftPowerModel(
        bundled_world("core60"), parameters=Parameters.from_mapping(overrides), rng=0, steps=2
    )


def _nation(model: SoftPowerModel, iso3: str):
    return model.nations[model.iso3.index(iso3)]


def _bri(model: SoftPowerModel) -> int:
    return model.initiatives.index("BRI")


def _outsider(model: SoftPowerModel) -> str:
    """A nation outside the BRI whose trade partners are mostly outside it too."""
    context = model.decision_context
    j = _bri(model)
    for i, code in enumerate(model.iso3):
        count = context.partner_count[i]
        share = float(model.members[:, j] @ context.partners[i]) / count if count else 0.0
        if code != "CHN" and not model.members[i, j] and share < 0.4:
            return code
    raise AssertionError("no outsider in core60")


@pytest.mark.parametrize(
    ("attraction", "joins"),
    [(0.26, True), (0.24, False), (-0.5, False)],
)
def test_a_nation_joins_an_initiative_above_the_join_threshold(attraction, joins):
    model = _model(contagion_weight=0.0)
    code = _outsider(model)
    i, chn = model.iso3.index(code), model.iso3.index("CHN")
    model.current_attraction[i, chn] = attraction
    _nation(model, code).review_initiatives()
    assert bool(model.members[i, _bri(model)]) is joins
    logged = [e for e in model.recorder.events if e[1] == "decision_join"]
    assert (len(logged) == 1) is joins


@pytest.mark.parametrize(
    ("attraction", "stays"),
    [(-0.66, False), (-0.64, True), (0.0, True)],
)
def test_a_member_leaves_only_below_the_leave_threshold_hysteresis(attraction, stays):
    model = _model(contagion_weight=0.0)
    j = _bri(model)
    member = next(c for i, c in enumerate(model.iso3) if model.members[i, j] and c != "CHN")
    i, chn = model.iso3.index(member), model.iso3.index("CHN")
    model.current_attraction[i, chn] = attraction
    _nation(model, member).review_initiatives()
    assert bool(model.members[i, j]) is stays


def test_contagion_among_trade_partners_lowers_the_bar_to_join():
    model = _model(contagion_weight=0.2, contagion_threshold=0.0)
    code = _outsider(model)
    i, chn = model.iso3.index(code), model.iso3.index("CHN")
    model.current_attraction[i, chn] = 0.1  # below 0.25, above 0.25 - 0.2
    _nation(model, code).review_initiatives()
    assert model.members[i, _bri(model)] == 1.0
    without = _model(contagion_weight=0.0, contagion_threshold=0.0)
    without.current_attraction[i, chn] = 0.1
    _nation(without, code).review_initiatives()
    assert without.members[i, _bri(without)] == 0.0


def test_the_leader_never_reviews_its_own_initiative():
    model = _model()
    chn = model.iso3.index("CHN")
    before = model.members[chn, _bri(model)]
    model.current_attraction[chn, chn] = -1.0
    _nation(model, "CHN").review_initiatives()
    assert model.members[chn, _bri(model)] == before


def test_an_elite_that_sees_a_rival_as_a_threat_restricts_its_culture_and_tech():
    model = _model(restriction_threshold=-0.3, restriction_severity=0.5)
    i = next(i for i, r in enumerate(model.decision_context.rivals) if r)
    k = model.decision_context.rivals[i][0]
    model.current_elite_perception[i, k] = -0.31
    nation = model.nations[i]
    nation.review_restrictions()
    assert model.state.restricted_as_rival(i, k, 0.5)
    # youth and public lose half the rival's culture and tech; the elite and aid are untouched
    assert np.all(model.restriction[i, :2, k, :2] == 0.5)
    assert np.all(model.restriction[i, 2, k] == 1.0) and np.all(model.restriction[i, :, k, 2:] == 1)
    # reviewing again adds nothing: the restriction already reaches the severity
    events = len(model.recorder.events)
    nation.review_restrictions()
    assert len(model.recorder.events) == events
    assert np.all(model.restriction[i, :2, k, :2] == 0.5)


def test_no_restriction_while_the_elite_perception_is_above_the_threshold():
    model = _model(restriction_threshold=-0.3)
    i = next(i for i, r in enumerate(model.decision_context.rivals) if r)
    k = model.decision_context.rivals[i][0]
    model.current_elite_perception[i, k] = -0.29
    model.nations[i].review_restrictions()
    assert not model.state.restricted_as_rival(i, k, 0.5)
    assert np.all(model.restriction[i, :, k] == 1.0)


def test_a_donor_moves_its_aid_toward_its_strategy_at_the_reallocation_rate():
    model = _model(aid_reallocation_rate=0.25)
    donor = model.iso3.index("CHN")
    model.state.set_aid_strategy(donor, "retreat")
    before = model.aid_allocation[donor].copy()
    target = model.state.aid_target(donor, model.current_attraction)
    model.nations[donor].allocate_aid()
    np.testing.assert_allclose(model.aid_allocation[donor], before + 0.25 * (target - before))
    assert model.aid_allocation[donor].sum() == pytest.approx(1.0)


def test_a_nation_without_aid_capacity_allocates_nothing():
    model = _model()
    i = int(np.flatnonzero(model.capacity[:, 2] == 0)[0])
    before = model.aid_allocation[i].copy()
    model.nations[i].allocate_aid()
    np.testing.assert_array_equal(model.aid_allocation[i], before)


def test_aid_strategies_weigh_need_alliance_lean_and_partners():
    need = np.array([1.0, 2.0, 3.0, 4.0])
    alliance = np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=float)
    attraction = np.zeros((4, 4))
    attraction[2, 0] = 0.5  # recipient 2 leans to donor 0
    attraction[3, 0] = -0.5  # a negative lean counts as none
    params = Parameters.from_mapping({"aid_retreat_floor": 0.25})
    need_shares = structure.aid_target(0, "need", need, alliance, attraction, params)
    np.testing.assert_allclose(need_shares, [0, 2 / 9, 3 / 9, 4 / 9])
    partners = np.array([0.0, 0.0, 0.0, 1.0])
    strategic = structure.aid_target(0, "strategic", need, alliance, attraction, params, partners)
    weights = np.array([0, 2 * 2, 3 * 1.5, 4 * 2])
    np.testing.assert_allclose(strategic, weights / weights.sum())
    retreat = structure.aid_target(0, "retreat", need, alliance, attraction, params)
    weights = np.array([0, 2 * 1.25, 3 * 0.25, 4 * 0.25])
    np.testing.assert_allclose(retreat, weights / weights.sum())
    nothing = structure.aid_target(0, "need", np.zeros(4), alliance, attraction, params)
    np.testing.assert_array_equal(nothing, np.zeros(4))


@pytest.mark.parametrize(("draw", "reviews"), [(0.24, True), (0.25, False)])
def test_a_nation_reviews_its_choices_with_probability_decision_rate(draw, reviews):
    model = _model(decision_rate=0.25, contagion_weight=0.0)
    code = _outsider(model)
    i, chn = model.iso3.index(code), model.iso3.index("CHN")
    model.current_attraction[i, chn] = 0.9
    _nation(model, code).decide(draw)
    assert bool(model.members[i, _bri(model)]) is reviews
