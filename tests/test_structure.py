"""The structural anchor's terms: each moves the pairs it should, by its parameter."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import structure
from sim.params import Parameters

# four nations: 0 and 1 rivals, 1 and 2 rivals (so 0 and 2 share the rival 1), 3 alone
RIVALRY = np.array(
    [
        [0, 1, 0, 0],
        [1, 0, 1, 0],
        [0, 1, 0, 0],
        [0, 0, 0, 0],
    ],
    dtype=float,
)
FREEDOM = np.array([0.9, 0.1, 0.5, 0.5])
ZEROS = np.zeros((4, 4))


def anchor(**values: float) -> np.ndarray:
    """(observer, actor) anchor of the small world, every other driver at 0 unless given."""
    base = {
        "prior_alliance": 0.0,
        "prior_rivalry": 0.0,
        "prior_region": 0.0,
        "prior_trade": 0.0,
        "prior_values_distance": 0.0,
        "prior_governance": 0.0,
        "prior_common_rival": 0.0,
        "prior_values_asymmetry": 0.0,
    }
    params = Parameters.from_mapping({**base, **values})
    gap = FREEDOM[:, None] - FREEDOM[None, :]
    full = structure.anchor(ZEROS, RIVALRY, ZEROS, ZEROS, params, gap, np.zeros(4))
    assert np.all(full == full[:, :1, :, :1])  # the same for every audience and channel
    return full[:, 0, :, 0]


def test_the_enemy_of_my_enemy_is_seen_better():
    a = anchor(prior_common_rival=0.4)
    assert a[0, 2] == a[2, 0] == pytest.approx(0.4)  # 0 and 2 share the rival 1
    off = ~np.eye(4, dtype=bool)
    off[0, 2] = off[2, 0] = False
    assert np.all(a[off] == 0.0)  # rivals themselves and the outsider are not moved
    assert np.all(np.diag(a) == 1.0)
    assert np.all(anchor()[~np.eye(4, dtype=bool)] == 0.0)


def test_values_distance_both_ways_or_only_against_a_less_free_actor():
    both = anchor(prior_values_distance=1.0)
    np.testing.assert_allclose(both[0, 1], -0.8)  # a free public sees an unfree actor
    np.testing.assert_allclose(both[1, 0], -0.8)  # and the reverse, at asymmetry 0
    one_way = anchor(prior_values_distance=1.0, prior_values_asymmetry=1.0)
    np.testing.assert_allclose(one_way[0, 1], -0.8)
    assert one_way[1, 0] == 0.0  # an actor's greater freedom is not held against it
    half = anchor(prior_values_distance=1.0, prior_values_asymmetry=0.5)
    np.testing.assert_allclose(half[1, 0], -0.4)
