"""Events as mechanisms: each event kind moves what it should, by its formula's amount."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.model import Plan, PlannedEvent, SoftPowerModel, effects
from sim.model.plan import CapacityChange, LeaderChange, Membership, Tariff, Threat, War
from sim.params import Parameters
from sim.world import World, bundled_world

ROOT = Path(__file__).resolve().parents[1]
RESPONSES = {
    "tariff_perception": 2.0,
    "aid_cut_perception": 0.3,
    "withdrawal_perception": 0.2,
    "threat_perception": 0.5,
    "threat_spillover": 0.4,
    "war_perception": 0.3,
    "leader_perception": 0.4,
    "leader_pivot": 0.5,
}


@pytest.fixture
def model() -> SoftPowerModel:
    world = bundled_world("core60")
    return SoftPowerModel(world, Plan(steps=4), Parameters.from_mapping(RESPONSES), rng=1)


def _jump(model: SoftPowerModel, event) -> np.ndarray:
    """(observer, actor) change of perception (mean over audiences and channels) at the event."""
    before = model.perception.mean(axis=(1, 3))
    effects.apply_event(model, event)
    return model.perception.mean(axis=(1, 3)) - before


def test_a_tariff_lowers_the_targets_view_by_rate_times_trade_share(model):
    usa, mex, can, fra = (model.iso3.index(c) for c in ("USA", "MEX", "CAN", "FRA"))
    share = model.untaxed_trade[[mex, can], usa].copy()
    jump = _jump(model, Tariff(usa, (mex, can), 0.25))
    expected = -RESPONSES["tariff_perception"] * 0.25 * share
    # clipping at -1 may only make a fall smaller, never larger
    np.testing.assert_allclose(jump[[mex, can], usa], expected, atol=1e-12)
    assert jump[mex, usa] < jump[fra, usa] == 0.0
    # a rollback to 0 gives it back by the same rule
    back = _jump(model, Tariff(usa, (mex, can), 0.0))
    np.testing.assert_allclose(back[[mex, can], usa], -expected, atol=1e-12)


def test_a_tariff_lowers_the_targets_attraction_more_than_the_others_after_a_quarter():
    world = bundled_world("core60")
    usa, mex = world.iso3.index("USA"), world.iso3.index("MEX")
    plan = Plan(steps=2, events=(PlannedEvent(0, Tariff(usa, (mex,), 0.3)),))
    params = Parameters.from_mapping(RESPONSES)
    hit = SoftPowerModel(world, plan, params, rng=5).run()
    base = SoftPowerModel(world, Plan(steps=2), params, rng=5).run()
    change = hit.recorder.attraction[-1][:, usa] - base.recorder.attraction[-1][:, usa]
    others = np.delete(change, [usa, mex])
    assert change[mex] < 0.0
    assert change[mex] < others.min()


def test_a_threat_hits_the_target_more_than_its_neighbours_and_those_more_than_the_rest(model):
    usa, dnk = model.iso3.index("USA"), model.iso3.index("DNK")
    jump = _jump(model, Threat(usa, (dnk,), 1.0))
    near = (model.alliance[:, dnk] + model.same_region[:, dnk]) > 0
    near[[usa, dnk]] = False
    far = ~near
    far[[usa, dnk]] = False
    size = RESPONSES["threat_perception"]
    assert jump[dnk, usa] == pytest.approx(-size, abs=1e-12)
    np.testing.assert_allclose(jump[near, usa], -size * RESPONSES["threat_spillover"], atol=1e-12)
    assert np.all(jump[far, usa] == 0.0)
    assert model.bad[dnk, usa] == pytest.approx(Parameters().threat_credibility)


def test_a_war_hits_opponents_more_than_bystanders_and_the_coalition_least(model):
    usa, ukr = model.iso3.index("USA"), model.iso3.index("UKR")
    gbr, fra, bra = (model.iso3.index(c) for c in ("GBR", "FRA", "BRA"))
    jump = _jump(model, War(usa, ukr, coalition=(gbr,), opponents=(fra,)))
    p = Parameters.from_mapping(RESPONSES)
    assert jump[bra, usa] == pytest.approx(-p.war_perception)
    assert jump[gbr, usa] == pytest.approx(-p.war_perception * p.war_coalition_factor)
    assert jump[fra, usa] == pytest.approx(-p.war_perception * p.war_opponent_factor)
    assert jump[ukr, usa] < jump[fra, usa] < jump[bra, usa] < jump[gbr, usa] < 0.0


def test_a_nationalist_leader_costs_most_among_free_publics(model):
    usa = model.iso3.index("USA")
    jump = _jump(model, LeaderChange(usa, "a nationalist", 1.0))
    freedom = model.world.freedom
    others = np.array([i for i in range(model.n) if i != usa])
    expected = -RESPONSES["leader_perception"] * (freedom[others] - RESPONSES["leader_pivot"])
    np.testing.assert_allclose(jump[others, usa], expected, atol=1e-12)
    swe, rus = model.iso3.index("SWE"), model.iso3.index("RUS")
    assert jump[swe, usa] < 0.0 < jump[rus, usa]


def test_an_aid_cut_hits_recipients_by_the_share_of_their_gdp_withdrawn(model):
    usa, aid = model.iso3.index("USA"), 2
    now = model.capacity[usa, aid]
    volume = model.world.aid_usd[usa] * now / model.world.capacity[usa, aid]
    lost = model.aid_allocation[usa] * volume * 0.5
    share = np.clip(100.0 * lost / model.world.gdp, 0.0, 5.0)
    share[usa] = 0.0
    jump = _jump(model, CapacityChange(usa, aid, scale=0.5))
    np.testing.assert_allclose(jump[:, usa], -RESPONSES["aid_cut_perception"] * share, atol=1e-12)
    assert jump[:, usa].min() < 0.0


def test_leaving_an_agreement_lowers_the_remaining_members_view_of_the_leaver(model):
    usa = model.iso3.index("USA")
    members = np.flatnonzero(model.member_of("WHO"))
    jump = _jump(model, Membership("leave", (usa,), "WHO"))
    stay = members[members != usa]
    np.testing.assert_allclose(jump[stay, usa], -RESPONSES["withdrawal_perception"], atol=1e-12)


def test_with_zero_responses_the_mechanisms_leave_perception_alone():
    world = World.synthetic(8, np.random.default_rng(0))
    model = SoftPowerModel(world, Plan(steps=1), Parameters(), rng=1)
    before = model.perception.copy()
    zero = Parameters.from_mapping({k: 0.0 for k in RESPONSES if "perception" in k})
    model.parameters = zero
    for ev in (Tariff(0, (1, 2), 0.3), Threat(0, (1,), 1.0), LeaderChange(0, "x", 1.0)):
        effects.apply_event(model, ev)
    np.testing.assert_array_equal(model.perception, before)


POLL_WORDS = re.compile(
    r"pew|yougov|gallup|ipsos|favourab|favorab|opinion poll|survey", flags=re.IGNORECASE
)


def test_no_scenario_file_cites_a_poll():
    files = sorted((ROOT / "scenarios").rglob("*.yaml"))
    assert files
    cited = {
        str(f.relative_to(ROOT)): sorted(set(POLL_WORDS.findall(f.read_text(encoding="utf-8"))))
        for f in files
    }
    assert not {f: w for f, w in cited.items() if w}


# ---------------------------------------------------------------------- what lasts


def test_a_policy_events_jump_leaves_its_persistent_share_in_the_standing(model):
    usa = model.iso3.index("USA")
    share = model.parameters.event_persistence
    assert share > 0  # the fitted default
    jump = _jump(model, LeaderChange(usa, "X", 1.0))
    moved = np.flatnonzero(jump[:, usa])
    assert len(moved) > 30
    np.testing.assert_allclose(model.standing[moved, usa], share * jump[moved, usa], atol=1e-12)
    anchor = model.state.anchor_in_force
    np.testing.assert_allclose(
        anchor[:, 0, usa, 0], np.clip(model.anchor[:, 0, usa, 0] + model.standing[:, usa], -1, 1)
    )
    # a leader of the opposite stance undoes it (as far as clipping of perception allows)
    effects.apply_event(model, LeaderChange(usa, "Y", -1.0))
    np.testing.assert_allclose(model.standing[:, usa], 0.0, atol=1e-12)


def test_news_passes_and_policy_stays():
    """Ten years after a leader change, the fall lasts with event_persistence and fades
    without it; a news shock of the same size fades either way."""
    from sim.model.plan import NewsShock

    world = bundled_world("core60")
    usa, deu = world.iso3.index("USA"), world.iso3.index("DEU")
    leader = PlannedEvent(0, LeaderChange(usa, "X", 1.0))
    news = PlannedEvent(0, NewsShock(usa, tuple(range(world.n)), (0, 1, 2), (0, 1, 2, 3), -0.5))
    falls = {}
    for share in (0.0, 0.9):
        params = Parameters.from_mapping({"event_persistence": share})
        base = SoftPowerModel(world, Plan(steps=40), params, rng=2).run()
        for name, event in (("leader", leader), ("news", news)):
            run = SoftPowerModel(world, Plan(steps=40, events=(event,)), params, rng=2).run()
            step1 = run.recorder.attraction[1][deu, usa] - base.recorder.attraction[1][deu, usa]
            last = run.recorder.attraction[-1][deu, usa] - base.recorder.attraction[-1][deu, usa]
            falls[name, share] = (step1, last)
    assert falls["leader", 0.9][1] < 0.5 * falls["leader", 0.9][0] < 0  # most of it lasts
    assert abs(falls["leader", 0.0][1]) < 0.1 * abs(falls["leader", 0.0][0])  # it fades
    assert falls["news", 0.9][1] == pytest.approx(falls["news", 0.0][1], abs=1e-12)
    assert abs(falls["news", 0.9][1]) < 0.1 * abs(falls["news", 0.9][0])
