"""Events add on a latent scale that does not saturate (issue 22, item 1; docs/ODD.md §7.8).

Perception is not clipped after an event: an event's jump of m in a pair's perception moves the
pair's attraction by m (every audience and channel moves) and the logit of its favourable share
by ``favourable_slope`` × m, whatever the level it starts from.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import SoftPowerModel
from sim.model.effects import apply_event
from sim.model.plan import Threat
from sim.params import Parameters
from sim.world import bundled_world


def _model(**overrides) -> SoftPowerModel:
    return SoftPowerModel(
        bundled_world("core60"), parameters=Parameters.from_mapping(overrides), rng=0, steps=2
    )


def _logit(share: np.ndarray) -> np.ndarray:
    return np.log(share / (100.0 - share))


def _pair(model: SoftPowerModel, observer: str, actor: str) -> tuple[int, int]:
    return model.iso3.index(observer), model.iso3.index(actor)


@pytest.mark.parametrize("level", [-1.0, -0.2, 1.0])
def test_an_observer_at_any_level_moves_by_the_whole_jump(level):
    model = _model()
    i, k = _pair(model, "PHL", "CHN")
    model.perception[i, :, k, :] = level
    before_a = model.attraction()[i, k]
    before = _logit(model.favourable())[i, k]
    model.event_jump(np.array([i]), k, -0.5)
    after_a = model.attraction()[i, k]
    after = _logit(model.favourable())[i, k]
    assert after_a - before_a == pytest.approx(-0.5, abs=1e-12)
    assert after - before == pytest.approx(-0.5 * model.parameters.favourable_slope, abs=1e-9)


def test_several_events_add_and_an_opposite_event_undoes_them():
    model = _model(event_persistence=0.6)
    i, k = _pair(model, "DEU", "USA")
    start_p = model.perception[i, :, k, :].copy()
    start_anchor = model.state.anchor_in_force[i, :, k, :].copy()
    for _ in range(3):
        model.event_jump(np.array([i]), k, -0.7)  # 2.1 in all: far past the old floor of -1
    assert np.allclose(model.perception[i, :, k, :], start_p - 2.1, atol=1e-12)
    assert np.allclose(
        model.state.anchor_in_force[i, :, k, :], start_anchor - 0.6 * 2.1, atol=1e-12
    )
    model.event_jump(np.array([i]), k, 2.1)
    assert np.allclose(model.perception[i, :, k, :], start_p, atol=1e-12)
    assert np.allclose(model.state.anchor_in_force[i, :, k, :], start_anchor, atol=1e-12)


def test_a_threatened_nation_moves_at_least_as_much_as_its_bystanders():
    model = _model(threat_perception=0.7, threat_spillover=0.5)
    phl, chn = _pair(model, "PHL", "CHN")
    before = _logit(model.favourable())
    model.perception[phl, :, chn, :] = -1.0  # the threatened already at the old floor
    floor = _logit(model.favourable())
    apply_event(model, Threat(actor=chn, targets=(phl,), severity=1.0))
    after = _logit(model.favourable())
    bystanders = np.flatnonzero(model.same_region[phl] > 0)
    bystanders = bystanders[(bystanders != phl) & (bystanders != chn)]
    assert len(bystanders) > 0
    threatened = after[phl, chn] - floor[phl, chn]
    moved = after[bystanders, chn] - before[bystanders, chn]
    assert threatened == pytest.approx(-0.7 * model.parameters.favourable_slope, abs=1e-9)
    assert np.all(moved < 0) and threatened <= moved.min()


def test_threats_give_the_same_result_as_one_event_or_several():
    """A bystander allied to two threatened nations feels the quarter's threat once."""
    together, apart = _model(), _model()
    usa, dnk, can = (together.iso3.index(c) for c in ("USA", "DNK", "CAN"))
    apply_event(together, Threat(actor=usa, targets=(dnk, can), severity=1.0))
    apply_event(apart, Threat(actor=usa, targets=(dnk,), severity=1.0))
    apply_event(apart, Threat(actor=usa, targets=(can,), severity=1.0))
    assert np.array_equal(together.perception, apart.perception)
    assert np.array_equal(together.state.anchor_in_force, apart.state.anchor_in_force)
    # a stronger threat in the same quarter adds only its excess; the next quarter counts anew
    model = _model(threat_perception=0.7, threat_spillover=0.5)
    deu = model.iso3.index("DEU")
    before = model.attraction()[deu, usa]
    apply_event(model, Threat(actor=usa, targets=(dnk,), severity=0.5))
    apply_event(model, Threat(actor=usa, targets=(can,), severity=1.0))
    assert model.attraction()[deu, usa] - before == pytest.approx(-0.35, abs=1e-12)
    model.step()
    moved = model.attraction()[deu, usa]
    apply_event(model, Threat(actor=usa, targets=(dnk,), severity=1.0))
    assert model.attraction()[deu, usa] - moved == pytest.approx(-0.35, abs=1e-12)
