"""`SoftPowerModel`: determinism, randomness only where it is used, Mesa structure and bounds."""

from __future__ import annotations

import textwrap
from pathlib import Path

import mesa
import numpy as np
import pytest

import sim.model.model
from sim.axes import AUDIENCES, CHANNELS
from sim.model.model import SoftPowerModel
from sim.model.nation import Nation
from sim.params import Parameters
from sim.scenario.scenario import load_scenario
from sim.world.bundled import WORLDS
from sim.world.world import World

STEPS = 8


def _outputs(model: SoftPowerModel) -> dict[str, np.ndarray]:
    rec = model.recorder
    return {
        "perception": model.perception,
        "credibility": model.credibility,
        "capacity": model.capacity,
        "members": model.members,
        "aid_allocation": model.aid_allocation,
        "score": rec.score,
        "rank": rec.rank,
        "attraction": rec.attraction,
    }


def _assert_identical(a: SoftPowerModel, b: SoftPowerModel) -> None:
    for name, value in _outputs(a).items():
        np.testing.assert_array_equal(value, _outputs(b)[name], err_msg=name)
    assert a.recorder.events == b.recorder.events


def _differs(a: SoftPowerModel, b: SoftPowerModel) -> bool:
    out_a, out_b = _outputs(a), _outputs(b)
    return any(not np.array_equal(out_a[k], out_b[k]) for k in out_a)


@pytest.fixture(scope="module")
def bundled_runs(bundled_world):
    """Three 8-quarter runs of the bundled world: seed 1 twice, seed 2 once (default parameters)."""
    return {
        key: SoftPowerModel(bundled_world, rng=np.random.SeedSequence(seed), steps=STEPS).run()
        for key, seed in (("a", 1), ("b", 1), ("c", 2))
    }


# ---------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_arrays(bundled_runs):
    _assert_identical(bundled_runs["a"], bundled_runs["b"])


def test_different_seeds_differ_where_nations_decide(bundled_runs):
    a, c = bundled_runs["a"], bundled_runs["c"]
    assert a.parameters.decision_rate > 0
    assert a.recorder.events and c.recorder.events
    assert a.recorder.events != c.recorder.events
    assert _differs(a, c)


def test_without_decisions_or_random_events_the_seed_does_not_matter(bundled_world):
    still = Parameters(decision_rate=0.0)
    a = SoftPowerModel(bundled_world, parameters=still, rng=1, steps=STEPS).run()
    b = SoftPowerModel(bundled_world, parameters=still, rng=2, steps=STEPS).run()
    _assert_identical(a, b)
    assert not a.recorder.events


def _random_event_scenario(tmp_path: Path, world: World):
    path = tmp_path / "random.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            name: random-only
            title: Random credibility shocks, no decisions
            start: 2025-Q1
            steps: {STEPS}
            parameters: {{decision_rate: 0.0}}
            events:
              - at: 2025-Q1
                kind: random
                hazard: 0.5
                magnitude: {{distribution: uniform, low: 0.1, high: 0.5}}
                event: {{kind: credibility_shock, actor: {world.iso3[0]}, observers: all}}
            """
        ),
        encoding="utf-8",
    )
    return load_scenario(path, world)


def test_random_events_follow_the_seed(tmp_path):
    world = World.synthetic(10, np.random.default_rng(5))
    scenario = _random_event_scenario(tmp_path, world)
    a = SoftPowerModel(world, scenario=scenario, rng=1).run()
    b = SoftPowerModel(world, scenario=scenario, rng=1).run()
    c = SoftPowerModel(world, scenario=scenario, rng=2).run()
    _assert_identical(a, b)
    assert a.recorder.events, "a hazard of 0.5 over 8 quarters fired no event"
    assert a.recorder.events != c.recorder.events and _differs(a, c)


# ---------------------------------------------------------------------- Mesa structure


def test_nations_are_thin_mesa_agents_indexed_like_the_arrays(bundled_runs):
    model = bundled_runs["a"]
    nations = list(model.agents_by_type[Nation])
    assert len(nations) == model.n == 60
    for nation in nations:
        assert isinstance(nation, mesa.Agent)
        assert nation.iso3 == model.iso3[nation.index]
        assert model.nations[nation.index] is nation
    # The network lives in the model's arrays (no Mesa space that could go stale after events).
    assert not hasattr(model, "space")


def test_nation_views_read_the_model_arrays(bundled_runs):
    model = bundled_runs["a"]
    usa, chn = (model.nations[model.iso3.index(c)] for c in ("USA", "CHN"))
    np.testing.assert_array_equal(usa.capacity, model.capacity[usa.index])
    view = usa.perception_of("CHN")
    assert view.shape == (len(AUDIENCES), len(CHANNELS))
    np.testing.assert_array_equal(view, model.perception[usa.index, :, chn.index, :])
    assert usa.credibility_of(chn) == model.credibility[usa.index, chn.index]
    assert "NATO" in usa.memberships


def test_time_advances_by_one_per_step():
    model = SoftPowerModel(World.synthetic(8, np.random.default_rng(0)), rng=0, steps=5)
    assert model.time == 0 and model.steps == 0
    for expected in range(1, 6):
        model.step()
        assert model.time == expected and model.steps == expected
    assert not model.running
    model.run()  # already at the horizon: no further steps
    assert model.steps == 5


def test_run_stops_at_the_horizon(bundled_runs):
    model = bundled_runs["a"]
    assert model.steps == STEPS and model.time == STEPS and not model.running


# ---------------------------------------------------------------------- bounds


@pytest.mark.parametrize("key", ["a", "c"])
def test_perception_credibility_and_scores_stay_in_range(bundled_runs, key):
    """Perception is not clipped (a convex combination), so its range is a real check; the
    score and credibility are clipped as they are computed, so for them the check is that the
    clip does not bind: the score equals its unclipped weighted sum, and credibility stays
    inside (0, 1) for almost every pair instead of piling up at a bound."""
    model = bundled_runs[key]
    assert np.isfinite(model.perception).all() and (np.abs(model.perception) <= 1.0).all()
    inside = (model.credibility > 0) & (model.credibility < 1)
    assert inside.mean() > 0.9, inside.mean()
    rec, p = model.recorder, model.parameters
    scores = rec.score[: STEPS + 1]
    unclipped = (
        p.score_weight_familiarity * rec.familiarity
        + p.score_weight_reputation * rec.reputation
        + p.score_weight_influence * rec.influence
    )[: STEPS + 1]
    assert np.abs(scores - unclipped).max() < 1e-12  # the final clip to [0, 100] moves nothing
    assert scores.max() > 50  # not a degenerate all-zero index
    ranks = model.recorder.rank[: STEPS + 1]
    for row in ranks:
        assert sorted(row) == list(range(1, model.n + 1))


def test_scores_method_matches_the_recorded_last_step(bundled_runs):
    model = bundled_runs["a"]
    np.testing.assert_allclose(model.scores(), model.recorder.score[model.steps], rtol=0, atol=1e-9)


def test_int_seed_gives_the_same_run_as_the_cli_seed_sequence(bundled_world):
    a = SoftPowerModel(bundled_world, rng=3, steps=6).run()
    b = SoftPowerModel(bundled_world, rng=np.random.SeedSequence(3), steps=6).run()
    np.testing.assert_array_equal(a.perception, b.perception)
    assert a.recorder.events == b.recorder.events


def test_cached_spin_up_gives_the_same_run_as_a_fresh_one(bundled_world):

    sim.model.model._SPIN_UP_CACHE.clear()
    first = SoftPowerModel(bundled_world, rng=5, steps=4)
    ((entry_perception, entry_credibility),) = sim.model.model._SPIN_UP_CACHE.values()
    kept = entry_perception.copy(), entry_credibility.copy()
    first.run()
    shocked = SoftPowerModel(bundled_world, rng=5, steps=4)
    # a news shock writes into the model's perception in place, as events do
    shocked.shift_perception(np.arange(shocked.n), [0, 1, 2], 0, [0, 1, 2, 3], -0.5)
    shocked.run()
    cached = SoftPowerModel(bundled_world, rng=5, steps=4).run()
    sim.model.model._SPIN_UP_CACHE.clear()
    fresh = SoftPowerModel(bundled_world, rng=5, steps=4).run()
    np.testing.assert_array_equal(first.recorder.score, cached.recorder.score)
    np.testing.assert_array_equal(first.recorder.score, fresh.recorder.score)
    np.testing.assert_array_equal(first.perception, fresh.perception)
    # A cached spin-up hands out copies: a model that shocked its perception in place left the
    # cached arrays as they were.
    np.testing.assert_array_equal(entry_perception, kept[0])
    np.testing.assert_array_equal(entry_credibility, kept[1])


def test_the_model_refuses_to_step_past_its_horizon_and_keeps_its_clock():
    from sim.model import Plan, StepPastEndError

    world = World.synthetic(6, np.random.default_rng(0))
    model = SoftPowerModel(world, Plan(steps=2), rng=1).run()
    scores = model.recorder.score.copy()
    for _ in range(2):  # every further call says so, none advances anything
        with pytest.raises(StepPastEndError, match="last quarter"):
            model.step()
        assert (model.steps, model.time, model.running) == (2, 2.0, False)
    np.testing.assert_array_equal(model.recorder.score, scores)


def test_random_shocks_are_drawn_at_the_start_from_their_own_streams():
    from sim.model import Plan, PlannedEvent
    from sim.model.plan import CredibilityShock, RandomShock

    world = World.load(WORLDS["core60"])
    idle = CredibilityShock(actor=0, observers=(1, 2), magnitude=0.0)
    shock = RandomShock(hazard=0.5, distribution="fixed", template=idle, value=0.0)
    plan = Plan(steps=12, events=(PlannedEvent(0, shock, until=11),))
    with_shock = SoftPowerModel(world, plan, rng=4)
    drawn = [with_shock.random_draws[id(plan.events[0]), t] for t in range(12)]
    assert 0 < sum(d is not None for d in drawn) < 12  # fired in some quarters, not all
    with_shock.run()
    without = SoftPowerModel(world, Plan(steps=12), rng=4).run()
    # the decisions draw the same numbers with and without the shock (a zero-size shock)
    decisions = [e for e in with_shock.recorder.events if e[1].startswith("decision_")]
    assert decisions == [e for e in without.recorder.events if e[1].startswith("decision_")]
    np.testing.assert_array_equal(with_shock.recorder.score, without.recorder.score)


def test_decision_context_follows_changes_of_trade_and_rivalry_only():
    model = SoftPowerModel(World.synthetic(9, np.random.default_rng(3)), rng=3, steps=2)

    state = model.state

    def fresh():
        from sim.model.structure import DecisionContext

        return DecisionContext.of(state.trade, state.rivalry, state.initiatives, state.iso3)

    first = model.decision_context
    state.set_membership_of(0, 0, not model.members[0, 0])  # reads no membership value
    assert model.decision_context is first
    state.set_membership(np.array([0]), "NEW_CLUB", True)  # a new column: the context goes
    second = model.decision_context
    assert second is not first and second.rivals is first.rivals
    assert second.led_initiatives == fresh().led_initiatives
    free = next(k for k in range(1, model.n) if not model.rivalry[0, k])
    state.set_tie("rivalry", 0, np.array([free]), 1.0)
    assert free in model.decision_context.rivals[0]
    assert model.decision_context.rivals == fresh().rivals
    state.set_tariff(0, np.arange(1, model.n), 5.0)
    np.testing.assert_array_equal(model.decision_context.partners, fresh().partners)
    assert model.decision_context.partner_count == fresh().partner_count


#: A float32 run's stated tolerance against the float64 run of the same seed, when both take
#: the same decisions (docs/batch.md, "Precision"): perception (latent scale) and soft power
#: scores (0-100).
FLOAT32_PERCEPTION_TOLERANCE = 1e-5
FLOAT32_SCORE_TOLERANCE = 1e-4


@pytest.mark.parametrize("seed", [1, 2])
def test_a_float32_run_is_reproducible_and_within_its_tolerance_of_float64(bundled_world, seed):
    scenario = load_scenario(
        Path(__file__).resolve().parents[1] / "scenarios" / "soft_power_divide.yaml", "core60"
    )
    wide = SoftPowerModel(bundled_world, scenario, rng=seed).run()
    narrow = SoftPowerModel(bundled_world, scenario, rng=seed, precision="float32").run()
    again = SoftPowerModel(bundled_world, scenario, rng=seed, precision="float32").run()
    assert wide.perception.dtype == np.float64 and narrow.perception.dtype == np.float32
    assert narrow.state.ties.dtype == np.float32 and narrow.state.pull.dtype == np.float32
    assert narrow.perception.tobytes() == again.perception.tobytes()
    assert narrow.recorder.score.tobytes() == again.recorder.score.tobytes()
    assert narrow.recorder.events == wide.recorder.events
    np.testing.assert_allclose(
        narrow.perception, wide.perception, rtol=0, atol=FLOAT32_PERCEPTION_TOLERANCE
    )
    np.testing.assert_allclose(
        narrow.recorder.score, wide.recorder.score, rtol=0, atol=FLOAT32_SCORE_TOLERANCE
    )
    assert not np.array_equal(narrow.recorder.score, wide.recorder.score)


def test_an_unknown_precision_is_refused(bundled_world):
    with pytest.raises(ValueError, match="float16"):
        SoftPowerModel(bundled_world, rng=0, steps=1, precision="float16")
