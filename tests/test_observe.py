"""The observation model: the link, the slow familiarity stock, reputation, and its calibration."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.observation_fit import PollTarget, fit_observation
from sim.analysis.targets import Target
from sim.axes import CHANNELS
from sim.model import Plan, PlannedEvent, SoftPowerModel, observe
from sim.model.plan import CapacityChange
from sim.params import Parameters
from sim.world import World


def test_the_link_is_monotone_and_maps_attraction_zero_to_its_midpoint():
    p = Parameters.from_mapping({"favourable_intercept": -0.4, "favourable_slope": 2.5})
    a = np.linspace(-1.0, 1.0, 201)
    share = observe.favourable(a, p)
    assert np.all(np.diff(share) > 0)
    assert share.min() > 0.0 and share.max() < 100.0
    midpoint = 100.0 / (1.0 + np.exp(0.4))
    assert observe.favourable(np.zeros(1), p)[0] == pytest.approx(midpoint, abs=1e-12)


def test_reputation_is_the_population_weighted_favourable_share_of_the_others():
    fav = np.array([[99.0, 40.0, 10.0], [60.0, 99.0, 30.0], [20.0, 80.0, 99.0]])
    population = np.array([1.0, 3.0, 6.0])
    rep = observe.reputation(fav, population)
    assert rep[0] == pytest.approx((3 * 60 + 6 * 20) / 9)
    assert rep[1] == pytest.approx((1 * 40 + 6 * 80) / 7)
    assert rep[2] == pytest.approx((1 * 10 + 3 * 30) / 4)


def test_familiarity_falls_by_at_most_one_memory_share_a_quarter_after_a_total_cut():
    world = World.synthetic(10, np.random.default_rng(4))
    memory = 8.0
    events = tuple(
        PlannedEvent(0, CapacityChange(actor=0, channel=d, set=0.0)) for d in range(len(CHANNELS))
    )
    model = SoftPowerModel(
        world,
        Plan(steps=12, events=events),
        parameters=Parameters.from_mapping({"familiarity_memory": memory}),
        rng=1,
    )
    stocks = [model.familiarity_stock[0]]
    for _ in range(12):
        model.step()
        stocks.append(model.familiarity_stock[0])
    stocks = np.array(stocks)
    assert stocks[-1] < 0.5 * stocks[0]  # the cut does lower familiarity, over quarters
    drops = (stocks[:-1] - stocks[1:]) / stocks[:-1]
    assert np.all(drops <= 1.0 / memory + 1e-12)
    assert drops[0] > 0.5 / memory  # and it moves from the first quarter


def test_the_score_reads_familiarity_reputation_and_influence_with_the_registry_weights():
    model = SoftPowerModel(World.synthetic(8, np.random.default_rng(2)), Plan(steps=1), rng=3)
    p = model.parameters
    expected = np.clip(
        p.score_weight_familiarity * model.familiarity()
        + p.score_weight_reputation * model.reputation()
        + p.score_weight_influence * model.influence(),
        0.0,
        100.0,
    )
    np.testing.assert_allclose(model.recorder.score[0], expected, rtol=0, atol=1e-12)
    assert model.familiarity().max() == pytest.approx(100.0)


def test_calibration_recovers_a_known_link_and_anchor_driver_on_a_synthetic_world():
    world = World.synthetic(24, np.random.default_rng(9))
    truth = {"prior_values_distance": 0.5, "favourable_intercept": -0.3, "favourable_slope": 2.0}
    model = SoftPowerModel(world, parameters=Parameters.from_mapping(truth), rng=0)
    fav = model.favourable()
    pairs = [(i, k) for i in range(world.n) for k in (0, 1) if i != k]
    obs, tgt = zip(*pairs, strict=True)
    polls = PollTarget(
        observer=tuple(world.iso3[i] for i in obs),
        target=tuple(world.iso3[k] for k in tgt),
        year=(2023,) * len(pairs),
        value=np.array([fav[i, k] for i, k in pairs]),
        previous=np.full(len(pairs), np.nan),
    )
    scores = dict(zip(world.iso3, model.scores(), strict=True))
    ranks = {c: r for r, c in enumerate(sorted(scores, key=scores.get, reverse=True), start=1)}
    fit = fit_observation(
        polls,
        Target("synthetic", "index", "score", True, scores),
        Target("synthetic", "index", "rank", False, ranks),
        world=world,
        grid={"prior_values_distance": (0.0, 0.25, 0.5, 0.75, 1.0)},
        folds=4,
    )
    assert fit.values["prior_values_distance"] == 0.5
    assert fit.values["favourable_intercept"] == pytest.approx(-0.3, abs=1e-3)
    assert fit.values["favourable_slope"] == pytest.approx(2.0, abs=1e-3)
    assert fit.polls_in_sample < 0.01
    assert fit.polls_out_of_sample < 0.5


@pytest.mark.slow
def test_the_registry_defaults_are_the_documented_observation_fit():
    """`softpower calibrate observation --polls ... --world core60 --folds 5 --seed 2024`
    (docs/validation.md)
    gives the registry's defaults: this fails until they are updated after a model change."""
    from sim.analysis.observation_fit import load_polls
    from sim.analysis.targets import load_target
    from sim.params import REGISTRY
    from sim.world.bundled import bundled_world
    from sim.world.world import DATA_DIR

    targets = DATA_DIR / "targets"
    world = bundled_world("core60")
    polls = [targets / "pew_us_favourability_2000_2017.csv"]
    polls.append(targets / "pew_favourability_2002_2024.csv")
    gspi = targets / "gspi_2024.csv"
    fit = fit_observation(
        load_polls(polls, world.iso3),
        load_target(gspi, metric="gspi_score", known=world.iso3),
        load_target(gspi, metric="gspi_rank", known=world.iso3),
        world=world,
        folds=5,
        seed=2024,
    )
    for name, value in fit.values.items():
        assert REGISTRY[name].default == pytest.approx(value, abs=1e-3), name


def test_the_score_is_the_weighted_sum_of_its_three_parts_within_0_and_100():
    params = Parameters.from_mapping(
        {
            "score_weight_familiarity": 0.5,
            "score_weight_reputation": 0.4,
            "score_weight_influence": 0.3,
        }
    )
    familiarity = np.array([100.0, 50.0, 0.0, 80.0])
    reputation = np.array([90.0, 40.0, 10.0, 60.0])
    influence = np.array([100.0, 20.0, 0.0, 0.0])
    score = observe.soft_power_score(familiarity, reputation, influence, params)
    np.testing.assert_allclose(score, [100.0, 47.0, 4.0, 64.0])  # 116 clipped to 100
    at_default = observe.soft_power_score(familiarity, reputation, influence, Parameters())
    p = Parameters()
    want = p.score_weight_familiarity * familiarity + p.score_weight_reputation * reputation
    np.testing.assert_allclose(at_default, want + p.score_weight_influence * influence)


def test_the_final_clip_of_the_score_moves_no_nation_of_a_bundled_world():
    from sim.world import bundled_world

    model = SoftPowerModel(bundled_world("core60"), rng=0, steps=1)
    p = model.parameters
    raw = (
        p.score_weight_familiarity * model.familiarity()
        + p.score_weight_reputation * model.reputation()
        + p.score_weight_influence * model.influence()
    )
    assert np.abs(model.scores() - raw).max() < 1e-12
