"""Outputs: attraction, salience, the soft power index, ranks, leans and polarisation."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import metrics

N, S, D = 5, 3, 4


def _weights(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    audience = rng.random((N, S)) + 0.1
    audience /= audience.sum(axis=1, keepdims=True)
    channel = rng.random(D) + 0.1
    return audience, channel / channel.sum()


def test_attraction_is_the_weighted_sum_over_audiences_and_channels():
    rng = np.random.default_rng(0)
    p = rng.uniform(-1, 1, size=(N, S, N, D))
    w_aud, w_ch = _weights(rng)
    got = metrics.attraction(p, w_aud, w_ch)
    assert got.shape == (N, N)
    for i in range(N):
        for k in range(N):
            want = sum(w_aud[i, s] * w_ch[d] * p[i, s, k, d] for s in range(S) for d in range(D))
            assert got[i, k] == pytest.approx(want, abs=1e-14)
    assert (np.abs(got) <= 1.0).all()


def test_uniform_perception_gives_that_attraction():
    rng = np.random.default_rng(1)
    w_aud, w_ch = _weights(rng)
    got = metrics.attraction(np.full((N, S, N, D), -0.4), w_aud, w_ch)
    np.testing.assert_allclose(got, -0.4)


def test_salience_is_each_actors_share_of_attention():
    rng = np.random.default_rng(2)
    capacity = rng.random((N, D))
    exposure = rng.random((N, S, N, D))
    exposure[3] = 0.0  # observer 3 is exposed to nobody
    w_aud, _ = _weights(rng)
    f = metrics.salience(capacity, exposure, w_aud)
    np.testing.assert_allclose(np.delete(f, 3, axis=0).sum(axis=1), 1.0)
    np.testing.assert_array_equal(f[3], 0.0)
    signal = np.einsum("kd,skd,s->k", capacity, exposure[0], w_aud[0])
    np.testing.assert_allclose(f[0], signal / signal.sum())
    doubled = capacity.copy()
    doubled[1] *= 2.0
    assert (metrics.salience(doubled, exposure, w_aud)[[0, 1, 2, 4], 1] > f[[0, 1, 2, 4], 1]).all()


def _random_outputs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, size=(N, N))
    f = rng.random((N, N))
    return a, f / f.sum(axis=1, keepdims=True)


def test_rank_is_one_based_highest_first_with_stable_ties():
    score = np.array([10.0, 50.0, 10.0, 70.0])
    np.testing.assert_array_equal(metrics.rank(score), [3, 2, 4, 1])


def test_lean_is_the_difference_of_attraction_to_two_poles():
    a, _ = _random_outputs(11)
    np.testing.assert_array_equal(metrics.lean(a, 0, 2), a[:, 0] - a[:, 2])
    np.testing.assert_array_equal(metrics.lean(a, 0, 0), 0.0)


def test_polarisation_is_zero_for_agreement_and_grows_with_a_split():
    rng = np.random.default_rng(12)
    w_aud, _ = _weights(rng)
    same = np.full((N, S, N, D), 0.3)
    assert metrics.polarisation(same, w_aud, actor=1) == pytest.approx(0.0, abs=1e-15)
    split = same.copy()
    split[:2, :, 1, :], split[2:, :, 1, :] = 1.0, -1.0
    # Two camps at ±1 holding 2/5 and 3/5 of the weight: sd = 2·sqrt(0.4·0.6).
    uniform = np.full((N, S), 1.0 / S)
    assert metrics.polarisation(split, uniform, actor=1) == pytest.approx(2 * np.sqrt(0.24))
    assert metrics.polarisation(split, uniform, actor=1) > metrics.polarisation(same, w_aud, 1)
