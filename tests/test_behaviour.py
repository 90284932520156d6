"""Stylised facts the scenario library must show against the baseline (docs/scenarios.md).

Each scenario is run with the same seeds as the baseline, so differences are paired.
"""

from pathlib import Path

import numpy as np
import pytest

from sim.model import observe
from sim.model.model import SoftPowerModel
from sim.params import Parameters
from sim.scenario.scenario import load_scenario
from sim.world.bundled import WORLDS
from sim.world.world import World

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def world():
    return World.load(WORLDS["core60"])


@pytest.fixture(scope="module")
def runs(world):
    cache = {}

    def get(name: str, seed: int, **overrides: float) -> SoftPowerModel:
        key = (name, seed, tuple(sorted(overrides.items())))
        if key not in cache:
            spec = load_scenario(SCENARIOS / f"{name}.yaml", world)
            params = Parameters.from_mapping(overrides)
            cache[key] = SoftPowerModel(world, spec, params, rng=seed).run()
        return cache[key]

    return get


def _idx(world, code):
    return world.iso3.index(code)


@pytest.mark.parametrize("seed", SEEDS)
def test_us_aid_cuts_lower_the_us_score(world, runs, seed):
    usa = _idx(world, "USA")
    base, cut = runs("baseline", seed), runs("us_aid_cuts", seed)
    assert cut.recorder.score[-1, usa] < base.recorder.score[-1, usa] - 1.0


@pytest.mark.parametrize("seed", SEEDS)
def test_us_aid_cuts_raise_china_relative_standing_most_in_former_recipients(world, runs, seed):
    usa, chn = _idx(world, "USA"), _idx(world, "CHN")
    base, cut = runs("baseline", seed), runs("us_aid_cuts", seed)
    # Former recipients: the quarter of observers most exposed to US aid at the start.
    # (US need-based aid allocation does not move in the baseline, so its end state will do.)
    reach = base.exposure[:, :, usa, 2].mean(axis=1)
    recipients = reach >= np.quantile(reach, 0.75)
    recipients[usa] = False
    lean_base = base.recorder.attraction[:, :, chn] - base.recorder.attraction[:, :, usa]
    lean_cut = cut.recorder.attraction[:, :, chn] - cut.recorder.attraction[:, :, usa]
    change = (lean_cut - lean_base).mean(axis=0)  # over the run
    others = ~recipients
    others[usa] = others[chn] = False
    assert change[recipients].mean() > 0.0
    assert change[recipients].mean() > change[others].mean()


@pytest.mark.parametrize("seed", SEEDS)
def test_belt_and_road_raises_china_favourability_more_in_members(world, runs, seed):
    """In poll units (predicted favourable %), as surveys measure it (docs/scenarios.md)."""
    chn = _idx(world, "CHN")
    base, bri = runs("baseline", seed), runs("belt_and_road_expansion", seed)
    members = base.recorder.members[0].astype(bool)
    members[chn] = False
    non = ~base.recorder.members[0].astype(bool)
    non[chn] = False
    p = base.parameters
    before = observe.favourable(base.recorder.attraction[:, :, chn], p)
    after = observe.favourable(bri.recorder.attraction[:, :, chn], p)
    change = (after - before).mean(axis=0)
    assert change[members].mean() > 0.0
    assert change[members].mean() > change[non].mean()


@pytest.mark.parametrize("seed", SEEDS)
def test_tiktok_restriction_lowers_china_among_us_youth_more_than_elites(world, runs, seed):
    """With nations' own restriction decisions switched off in both runs: with them on, the US
    elite restricts China's platforms by its own decision in the baseline too (docs/scenarios.md).
    """
    usa, chn = _idx(world, "USA"), _idx(world, "CHN")
    no_decision = {"restriction_threshold": -1.0}  # perception is never below -1
    base = runs("baseline", seed, **no_decision)
    ban = runs("tiktok_restriction", seed, **no_decision)
    targets = base.recorder.targets
    t = targets.index("CHN")
    # audience array: (recorded step, observer, audience, target); mean over the run.
    diff = (ban.recorder.audience[:, usa, :, t] - base.recorder.audience[:, usa, :, t]).mean(axis=0)
    youth, elite = diff[0], diff[2]
    assert youth < 0.0
    assert youth < elite
    assert chn != usa


@pytest.mark.parametrize("seed", SEEDS)
def test_soft_power_divide_narrows_the_us_china_gap(world, runs, seed):
    usa, chn = _idx(world, "USA"), _idx(world, "CHN")
    base, divide = runs("baseline", seed), runs("soft_power_divide", seed)
    gap_base = base.recorder.score[-1, usa] - base.recorder.score[-1, chn]
    gap_divide = divide.recorder.score[-1, usa] - divide.recorder.score[-1, chn]
    assert gap_divide < gap_base - 1.0
