"""The vectorised perception and credibility kernel (docs/ODD.md §7.4-7.5).

Arrays always use the axis order (observer i, audience s, actor k, channel d). The kernel takes
arrays and parameters, not a model, so it can be tested against the plain reference in
``tests/reference.py``, benchmarked, and swapped alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = [
    "State",
    "Inputs",
    "KernelParameters",
    "signal_share",
    "message",
    "step",
    "spin_up",
    "update_credibility",
    "fixed_point",
]


@dataclass(frozen=True)
class State:
    """The dynamic state.

    Attributes:
        perception: (observer, audience, actor, channel): a latent scale, in [-1, 1] when
            anchor and state are (the update is a convex combination), beyond it after events.
        credibility: (observer, actor) in [0, 1].

    """

    perception: np.ndarray
    credibility: np.ndarray


@dataclass(frozen=True)
class Inputs:
    """What drives one step; held fixed during it.

    Attributes:
        capacity: (actor, channel) ≥ 0.
        exposure: (observer, audience, actor, channel) in [0, 1], restrictions applied.
        anchor: (observer, audience, actor, channel) perception p0 it is pulled toward: the
            structural one in [-1, 1] plus the lasting shifts of events.
        ties: (observer, observer) row-stochastic social mix W: a scipy sparse array (the
            model's, tens of ties per observer; `sim.model.exposure.social_ties`) or a dense one.
        valence: (actor, channel) tone of each actor's projection in [-1, 1].
        cut: (actor, channel) share of capacity withdrawn against the reference, in [0, 1].
        credibility_target: (observer, actor) structural credibility R̄ in [0, 1].
        good: (observer, actor) good-event magnitudes this step in [0, 1].
        bad: (observer, actor) bad-event magnitudes this step in [0, 1].

    """

    capacity: np.ndarray
    exposure: np.ndarray
    anchor: np.ndarray
    ties: np.ndarray
    valence: np.ndarray
    cut: np.ndarray
    credibility_target: np.ndarray
    good: np.ndarray
    bad: np.ndarray


@dataclass(frozen=True)
class KernelParameters:
    """The numbers the kernel needs, already shaped.

    Attributes:
        stubbornness: θ, scalar or (observer,) in [0, 1].
        receptivity: ν, (audience, channel) in [0, 1].
        saturation: κ, (channel,) > 0.
        loss_aversion: λ_L ≥ 0.
        credibility_recovery: ε in [0, 1].
        credibility_gain: r⁺ in [0, 1].
        credibility_loss: r⁻ in [0, 1].
        credibility_weight: c, (channel,) in [0, 1]: how far each channel's message depends on
            credibility (a film needs less trust than a diplomatic promise).
    """

    stubbornness: np.ndarray | float
    receptivity: np.ndarray
    saturation: np.ndarray
    loss_aversion: float
    credibility_recovery: float
    credibility_gain: float
    credibility_loss: float
    credibility_weight: np.ndarray


def signal_share(
    capacity: np.ndarray,
    exposure: np.ndarray,
    saturation: np.ndarray,
    receptivity: np.ndarray | None = None,
) -> np.ndarray:
    """Return u[i,s,k,d] = E / (κ_d + Σ_k' E[i,s,k',d]) with E = capacity[k,d] · exposure[i,s,k,d].

    Diminishing returns (κ) and competition between actors for the same audience.

    Args:
        capacity: (actor, channel).
        exposure: (observer, audience, actor, channel).
        saturation: (channel,).
        receptivity: (audience, channel) ν; when given, returns the pull ν·u instead of u
            (ν is folded into the per-(observer, audience, channel) factor: one pass fewer).

    Returns:
        (observer, audience, actor, channel) in [0, 1).

    """
    signal = capacity[None, None, :, :] * exposure
    total = _sum_over_actors(signal)
    total += saturation
    factor = 1.0 / total if receptivity is None else receptivity[None, :, :] / total
    signal *= _spread_over_actors(factor, signal.shape[2])
    return signal


def _sum_over_actors(x: np.ndarray) -> np.ndarray:
    """Return Σ_k x[i,s,k,d] as (observer, audience, channel).

    The same sums, in the same order, as ``x.sum(axis=2)``, four times faster: NumPy's reduction
    over a middle axis loops over the short channel axis innermost.
    """
    return np.einsum("iskd->isd", x)


def _spread_over_actors(x: np.ndarray, n_actor: int) -> np.ndarray:
    """Return (observer, audience, channel) ``x`` repeated along a new actor axis, contiguous.

    Multiplying by a contiguous array is five times faster than by a broadcast view whose
    innermost axis (channel) is short; the values are the same.
    """
    return np.repeat(x[:, :, None, :], n_actor, axis=2)


def message(
    credibility: np.ndarray,
    valence: np.ndarray,
    cut: np.ndarray,
    exposure: np.ndarray,
    loss_aversion: float,
    credibility_weight: np.ndarray,
) -> np.ndarray:
    """Return the message m[i,s,k,d] in [-1, 1].

    ``m = clip(valence[k,d]·(1 − c_d + c_d·R[i,k]) − λ_L·cut[k,d]·exposure[i,s,k,d], −1, 1)``:
    credibility discounts a message in proportion c_d to how much its channel relies on trust
    (c_d = 1 gives the v1 formulation's ``R · valence``, docs/ODD.md §7.4); a withdrawn channel is
    penalised where it reached.

    Args:
        credibility: (observer, actor).
        valence: (actor, channel).
        cut: (actor, channel).
        exposure: (observer, audience, actor, channel).
        loss_aversion: λ_L.
        credibility_weight: (channel,) c_d in [0, 1].

    Returns:
        (observer, audience, actor, channel) in [-1, 1].
    """
    # (observer, actor, channel), contiguous: broadcasting over a short innermost axis is slow.
    trust = 1.0 - credibility_weight + credibility_weight * credibility[:, :, None]
    raw = np.empty_like(exposure)
    raw[...] = (trust * valence[None, :, :])[:, None, :, :]
    penalty = -loss_aversion * cut
    cut_channels = np.nonzero(penalty)
    if len(cut_channels[0]) > penalty.size // 8:
        raw += exposure * penalty[None, None, :, :]
    else:  # few actors cut a channel: only their columns need the exposure (same sums)
        for k, d in zip(*cut_channels, strict=True):
            raw[:, :, k, d] += exposure[:, :, k, d] * penalty[k, d]
    return np.clip(raw, -1.0, 1.0, out=raw)


def update_credibility(
    credibility: np.ndarray,
    target: np.ndarray,
    good: np.ndarray,
    bad: np.ndarray,
    params: KernelParameters,
) -> np.ndarray:
    """Return R + ε(R̄ − R) + r⁺(1 − R)·good − r⁻·R·bad, clipped to [0, 1].

    Trust is lost faster than it is won when r⁻ > r⁺.

    Args:
        credibility: (observer, actor) current R.
        target: (observer, actor) structural R̄.
        good: (observer, actor) good-event magnitudes.
        bad: (observer, actor) bad-event magnitudes.
        params: kernel parameters.

    Returns:
        (observer, actor) in [0, 1].

    """
    new = (
        credibility
        + params.credibility_recovery * (target - credibility)
        + params.credibility_gain * (1.0 - credibility) * good
        - params.credibility_loss * credibility * bad
    )
    return np.clip(new, 0.0, 1.0)


def _theta(stubbornness: np.ndarray | float, n: int) -> np.ndarray:
    theta = np.broadcast_to(np.asarray(stubbornness, dtype=float), (n,))
    return theta[:, None, None, None]


def _pull_and_message(
    state: State, inputs: Inputs, params: KernelParameters
) -> tuple[np.ndarray, np.ndarray]:
    """Return ν·u and m, both (observer, audience, actor, channel), shared by `step` and
    `fixed_point`.
    """
    pull = signal_share(inputs.capacity, inputs.exposure, params.saturation, params.receptivity)
    return pull, _message(state.credibility, inputs, params)


def _message(credibility: np.ndarray, inputs: Inputs, params: KernelParameters) -> np.ndarray:
    return message(
        credibility,
        inputs.valence,
        inputs.cut,
        inputs.exposure,
        params.loss_aversion,
        params.credibility_weight,
    )


def step(state: State, inputs: Inputs, params: KernelParameters) -> State:
    """Advance perception and credibility by one quarter.

    ``p' = θ·p0 + (1 − θ)·[(1 − ν·u)·Σ_j W[i,j]·p[j] + ν·u·m]``, a convex combination, so
    perception stays within the range of the anchor, the state and the messages: [-1, 1] until
    events move it beyond (nothing is clipped; events add on this latent scale). With a sparse
    W the social mix costs O(N · ties) per (audience, actor, channel) column, so a step grows
    as N², not N³.

    Args:
        state: perception (observer, audience, actor, channel) and credibility (observer, actor).
        inputs: the fixed inputs of this step.
        params: kernel parameters.

    Returns:
        The new `State`; the arguments are not modified.

    """
    p = state.perception
    theta = _theta(params.stubbornness, p.shape[0])
    pull, m = _pull_and_message(state, inputs, params)
    new_p = _mix(p, pull, m, inputs.ties, theta, theta * inputs.anchor)
    new_r = update_credibility(
        state.credibility, inputs.credibility_target, inputs.good, inputs.bad, params
    )
    return State(perception=new_p, credibility=new_r)


def _mix(
    p: np.ndarray,
    pull: np.ndarray,
    m: np.ndarray,
    ties: np.ndarray | sparse.sparray,
    theta: np.ndarray,
    anchored: np.ndarray,
) -> np.ndarray:
    """Return θ·p0 + (1 − θ)·[(1 − ν·u)·W·p + ν·u·m] in ``m``'s memory (``anchored`` = θ·p0)."""
    n = p.shape[0]
    social = (ties @ p.reshape(n, -1)).reshape(p.shape)
    # (1 − pull)·social + pull·m, computed in place as social + pull·(m − social).
    new_p = m
    new_p -= social
    new_p *= pull
    new_p += social
    new_p *= 1.0 - theta
    new_p += anchored
    return new_p


def spin_up(state: State, inputs: Inputs, params: KernelParameters, steps: int) -> State:
    """Return the state after ``steps`` calls of `step` with the same ``inputs``: the same
    numbers, faster.

    Frozen inputs leave the pull ν·u and θ·p0 the same every step, and the message too while
    credibility does not move (it starts at its target with no events, so it never does): they
    are computed once, and the message again only after credibility changed.
    """
    if steps <= 0:
        return state
    p, credibility = state.perception, state.credibility
    theta = _theta(params.stubbornness, p.shape[0])
    anchored = theta * inputs.anchor
    pull, m = _pull_and_message(state, inputs, params)
    for _ in range(steps):
        new_r = update_credibility(
            credibility, inputs.credibility_target, inputs.good, inputs.bad, params
        )
        p = _mix(p, pull, m.copy(), inputs.ties, theta, anchored)
        if not np.array_equal(new_r, credibility):
            m = _message(new_r, inputs, params)
        credibility = new_r
    return State(perception=p, credibility=credibility)


def _dense(ties: np.ndarray | sparse.sparray) -> np.ndarray:
    return np.asarray(ties) if isinstance(ties, np.ndarray) else ties.toarray()


def fixed_point(state: State, inputs: Inputs, params: KernelParameters) -> np.ndarray:
    """Return the closed-form perception fixed point p* = (I − A)⁻¹ b for frozen inputs.

    With credibility held at ``state.credibility`` the update is linear in p, separately for each
    (audience, actor, channel) slice: ``p' = A p + b`` with
    ``A = (1 − θ)(1 − ν u) W`` (row-scaled) and ``b = θ p0 + (1 − θ) ν u m``.

    Args:
        state: supplies the (frozen) credibility.
        inputs: frozen inputs.
        params: kernel parameters (θ > 0 somewhere or ν·u > 0 makes I − A invertible).

    Returns:
        (observer, audience, actor, channel) fixed point.

    """
    n, n_aud, n_act, n_ch = inputs.anchor.shape
    pull, m = _pull_and_message(state, inputs, params)
    theta = _theta(params.stubbornness, n)
    b = theta * inputs.anchor + (1.0 - theta) * pull * m
    scale = (1.0 - theta) * (1.0 - pull)
    out = np.empty_like(b)
    eye = np.eye(n)
    ties = _dense(inputs.ties)
    for s in range(n_aud):
        for k in range(n_act):
            for d in range(n_ch):
                a = scale[:, s, k, d][:, None] * ties
                out[:, s, k, d] = np.linalg.solve(eye - a, b[:, s, k, d])
    return out
