"""The sparse social mix W (sim.model.exposure.social_ties)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from sim.model.exposure import shared_membership, social_ties
from sim.params import Parameters
from sim.world.world import World


def _layers(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    world = World.synthetic(n, np.random.default_rng(seed))
    groups = sorted(world.groups)
    members = np.array([[c in world.groups[g] for g in groups] for c in world.iso3], dtype=float)
    return world.trade, world.alliance, shared_membership(members)


def _mix(n: int, seed: int, tie_count: int) -> np.ndarray:
    trade, alliance, shared = _layers(n, seed)
    params = Parameters.from_mapping({"social_tie_count": tie_count})
    w = social_ties(trade, alliance, shared, params)
    assert sparse.issparse(w)
    return w.toarray()


@pytest.mark.parametrize("tie_count", [1, 4, 10])
def test_each_observer_listens_to_itself_and_at_most_its_tie_count_strongest_ties(tie_count):
    w = _mix(24, 3, tie_count)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    off = w - np.diag(np.diag(w))
    assert ((off > 0).sum(axis=1) <= tie_count).all()
    full = _mix(24, 3, 23)
    full_off = full - np.diag(np.diag(full))
    for i in range(24):
        kept = np.flatnonzero(off[i])
        dropped = np.setdiff1d(np.flatnonzero(full_off[i]), kept)
        if len(kept) and len(dropped):
            assert full_off[i, kept].min() >= full_off[i, dropped].max()


def test_pruning_keeps_each_observers_own_share_and_the_share_of_others():
    pruned, full = _mix(24, 5, 4), _mix(24, 5, 23)
    np.testing.assert_allclose(np.diag(pruned), np.diag(full), rtol=0, atol=1e-14)


def test_with_a_tie_for_every_other_nation_the_mix_is_the_dense_mix():
    trade, alliance, shared = _layers(12, 7)
    p = Parameters()
    w = social_ties(trade, alliance, shared, Parameters.from_mapping({"social_tie_count": 11}))
    sym = (trade + trade.T) / 2.0
    raw = (
        p.trade_tie_weight * sym / sym.sum(axis=1).max()
        + p.alliance_tie_weight * alliance / max(alliance.sum(axis=1).max(), 1.0)
        + p.membership_tie_weight * shared / shared.sum(axis=1).max()
    )
    np.fill_diagonal(raw, 0.0)
    raw += p.self_tie_weight * np.eye(12)
    np.testing.assert_allclose(w.toarray(), raw / raw.sum(axis=1, keepdims=True), atol=1e-14)
