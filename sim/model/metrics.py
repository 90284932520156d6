"""Outputs of the model: attraction, salience, ranks, leans and polarisation (the soft power
score is in `sim.model.observe`).

Pure functions over the model's arrays, axes (observer, audience, actor, channel).
"""

from __future__ import annotations

import numpy as np

__all__ = ["attraction", "salience", "rank", "lean", "polarisation"]


def attraction(
    perception: np.ndarray, audience_weight: np.ndarray, channel_weight: np.ndarray
) -> np.ndarray:
    """Return a[i,k] = Σ_s w[i,s] Σ_d ω_d p[i,s,k,d], the favourability of actor k in observer i.

    Args:
        perception: (observer, audience, actor, channel) in [-1, 1].
        audience_weight: (observer, audience), rows summing to 1.
        channel_weight: (channel,), summing to 1.

    Returns:
        (observer, actor) in [-1, 1].

    """
    # Contract the channel axis first (a BLAS matrix-vector product), then the audience axis.
    by_audience = perception @ channel_weight
    return np.einsum("isk,is->ik", by_audience, audience_weight)


def salience(capacity: np.ndarray, exposure: np.ndarray, audience_weight: np.ndarray) -> np.ndarray:
    """Return f[i,k]: actor k's share of observer i's attention, Σ_d capacity·exposure over Σ_k'.

    Args:
        capacity: (actor, channel).
        exposure: (observer, audience, actor, channel).
        audience_weight: (observer, audience).

    Returns:
        (observer, actor), rows summing to 1 (or 0 for an observer exposed to nobody).

    """
    weighted = np.einsum("iskd,kd->isk", exposure, capacity)
    signal = np.einsum("isk,is->ik", weighted, audience_weight)
    total = signal.sum(axis=1, keepdims=True)
    return np.divide(signal, total, out=np.zeros_like(signal), where=total > 0)


def rank(score: np.ndarray) -> np.ndarray:
    """Return 1-based ranks (1 = highest score; ties broken by index, stable)."""
    order = np.argsort(-score, kind="stable")
    out = np.empty(len(score), dtype=np.int64)
    out[order] = np.arange(1, len(score) + 1)
    return out


def lean(attraction_ik: np.ndarray, pole_a: int, pole_b: int) -> np.ndarray:
    """Return each observer's lean a[i,A] − a[i,B] in [-2, 2] (positive: leans to A)."""
    return attraction_ik[:, pole_a] - attraction_ik[:, pole_b]


def polarisation(perception: np.ndarray, audience_weight: np.ndarray, actor: int) -> float:
    """Return the weighted spread (sd) of perceptions of ``actor`` over observers and audiences."""
    values = perception[:, :, actor, :].mean(axis=2)
    weights = audience_weight / audience_weight.sum()
    mean = float((values * weights).sum())
    return float(np.sqrt(((values - mean) ** 2 * weights).sum()))
