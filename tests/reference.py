"""A plain, slow, per-agent reference of the perception and credibility update (docs/ODD.md §2).

Written as explicit loops over observer i, audience s, actor k, channel d and neighbour j on plain
Python floats and lists, with no numpy in the update, so that it reads like the equations and can
check the vectorised kernel `sim.model.dynamics.step` (same arguments, same result to 1e-12).
numpy is
used only to turn the kernel's array arguments into lists and the result back into arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from sim.model.dynamics import Inputs, KernelParameters, State

__all__ = ["step", "neighbours", "perception_rows", "credibility_update"]


def _clip(x: float, low: float, high: float) -> float:
    return low if x < low else high if x > high else x


def _stubbornness(params: KernelParameters, n: int) -> list[float]:
    """θ of each observer (the kernel accepts a scalar or one value per observer)."""
    theta = params.stubbornness
    if np.ndim(theta) == 0:
        return [float(theta)] * n
    values = [float(t) for t in np.asarray(theta, dtype=float).ravel().tolist()]
    return values * n if len(values) == 1 else values


def neighbours(ties) -> list[list[tuple[int, float]]]:
    """Return, for each observer i, the (j, W[i][j]) it listens to: the stored entries of a sparse
    W in column order, or the nonzero entries of a dense one."""
    if sparse.issparse(ties):
        csr = sparse.csr_array(ties)
        csr.sort_indices()
        indptr, indices, data = csr.indptr.tolist(), csr.indices.tolist(), csr.data.tolist()
        return [
            [(indices[e], data[e]) for e in range(indptr[i], indptr[i + 1])]
            for i in range(csr.shape[0])
        ]
    return [[(j, w) for j, w in enumerate(row) if w != 0.0] for row in np.asarray(ties).tolist()]


def perception_rows(
    state: State,
    inputs: Inputs,
    params: KernelParameters,
    observers: Sequence[int] | None = None,
) -> dict[int, list]:
    """Return the updated perception p'[i] of each observer i, one agent at a time.

    For every observer i, audience s, actor k and channel d:

    - signal ``E = capacity[k][d] · exposure[i][s][k][d]``, share
      ``u = E / (κ[d] + Σ_k' E[i][s][k'][d])``, pull ``ν[s][d] · u``;
    - message ``m = clip(valence[k][d] · (1 − c[d] + c[d] · R[i][k])
      − λ_L · cut[k][d] · exposure[i][s][k][d], −1, 1)``, with c[d] how far channel d's message
      relies on credibility;
    - neighbours ``social = Σ_j W[i][j] · p[j][s][k][d]`` over the j that i listens to (its
      entries of W: tens of ties, `sim.model.exposure.social_ties`);
    - ``p' = θ_i · p0 + (1 − θ_i) · ((1 − pull) · social + pull · m)``, not clipped: a convex
      combination stays within the range of its terms, and events add on this latent scale.

    Args:
        state: perception (observer, audience, actor, channel) and credibility (observer, actor).
        inputs: the step's inputs, as for `sim.model.dynamics.step`.
        params: kernel parameters.
        observers: observers to update (all when None); each row costs the same, so timing a
            subset and scaling by N / len(subset) estimates a full step.

    Returns:
        observer index → nested list p'[s][k][d].

    """
    p = state.perception.tolist()
    credibility = state.credibility.tolist()
    capacity = inputs.capacity.tolist()
    exposure = inputs.exposure.tolist()
    anchor = inputs.anchor.tolist()
    ties = neighbours(inputs.ties)
    valence = inputs.valence.tolist()
    cut = inputs.cut.tolist()
    receptivity = np.asarray(params.receptivity, dtype=float).tolist()
    saturation = np.asarray(params.saturation, dtype=float).tolist()
    reliance = np.asarray(params.credibility_weight, dtype=float).tolist()
    loss_aversion = float(params.loss_aversion)
    n = len(p)
    n_audiences, n_actors, n_channels = len(p[0]), len(p[0][0]), len(p[0][0][0])
    theta = _stubbornness(params, n)

    rows = {}
    for i in range(n) if observers is None else observers:
        row = []
        for s in range(n_audiences):
            # Total signal reaching audience (i, s) on each channel, over all actors.
            total = []
            for d in range(n_channels):
                acc = 0.0
                for k2 in range(n_actors):
                    acc += capacity[k2][d] * exposure[i][s][k2][d]
                total.append(acc)
            per_actor = []
            for k in range(n_actors):
                per_channel = []
                for d in range(n_channels):
                    signal = capacity[k][d] * exposure[i][s][k][d]
                    share = signal / (saturation[d] + total[d])
                    pull = receptivity[s][d] * share
                    trust = 1.0 - reliance[d] + reliance[d] * credibility[i][k]
                    msg = _clip(
                        trust * valence[k][d] - loss_aversion * cut[k][d] * exposure[i][s][k][d],
                        -1.0,
                        1.0,
                    )
                    social = 0.0
                    for j, weight in ties[i]:
                        social += weight * p[j][s][k][d]
                    new = theta[i] * anchor[i][s][k][d] + (1.0 - theta[i]) * (
                        (1.0 - pull) * social + pull * msg
                    )
                    per_channel.append(new)
                per_actor.append(per_channel)
            row.append(per_actor)
        rows[i] = row
    return rows


def credibility_update(state: State, inputs: Inputs, params: KernelParameters) -> list[list[float]]:
    """Return R'[i][k] = clip(R + ε(R̄ − R) + r⁺(1 − R)·good − r⁻·R·bad, 0, 1), pair by pair."""
    credibility = state.credibility.tolist()
    target = inputs.credibility_target.tolist()
    good = inputs.good.tolist()
    bad = inputs.bad.tolist()
    eps = float(params.credibility_recovery)
    gain = float(params.credibility_gain)
    loss = float(params.credibility_loss)
    out = []
    for i in range(len(credibility)):
        row = []
        for k in range(len(credibility[i])):
            r = credibility[i][k]
            new = (
                r + eps * (target[i][k] - r) + gain * (1.0 - r) * good[i][k] - loss * r * bad[i][k]
            )
            row.append(_clip(new, 0.0, 1.0))
        out.append(row)
    return out


def step(state: State, inputs: Inputs, params: KernelParameters) -> State:
    """Advance perception and credibility by one quarter, like `sim.model.dynamics.step`.

    Args:
        state: perception (observer, audience, actor, channel) and credibility (observer, actor).
        inputs: the step's inputs.
        params: kernel parameters.

    Returns:
        The new `State` (arrays built from the per-agent lists).

    """
    rows = perception_rows(state, inputs, params)
    perception = np.array([rows[i] for i in range(len(rows))], dtype=float)
    credibility = np.array(credibility_update(state, inputs, params), dtype=float)
    return State(perception=perception, credibility=credibility)
