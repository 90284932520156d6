"""The vectorised perception and credibility kernel (docs/ODD.md §7.4-7.5).

Arrays always use the axis order (observer i, audience s, actor k, channel d). The kernel takes
arrays and parameters, not a model, so it can be tested against the plain reference in
``tests/reference.py``, benchmarked, and swapped alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from sim.model import compiled

__all__ = [
    "State",
    "Inputs",
    "KernelParameters",
    "signal_share",
    "pull",
    "anchored",
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
        pull: (observer, audience, actor, channel) ν·u, derived from capacity and exposure
            (`pull`); None computes it. A caller whose capacity and exposure did not change
            since the last step passes the one it kept (the model does).
        anchored: (observer, audience, actor, channel) θ·p0, derived from the anchor (`anchored`);
            None computes it. Kept by the model while the anchor stands.

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
    pull: np.ndarray | None = None
    anchored: np.ndarray | None = None


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
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Return u[i,s,k,d] = E / (κ_d + Σ_k' E[i,s,k',d]) with E = capacity[k,d] · exposure[i,s,k,d].

    Diminishing returns (κ) and competition between actors for the same audience.

    Args:
        capacity: (actor, channel).
        exposure: (observer, audience, actor, channel).
        saturation: (channel,).
        receptivity: (audience, channel) ν; when given, returns the pull ν·u instead of u
            (ν is folded into the per-(observer, audience, channel) factor: one pass fewer).
        out: An array of exposure's shape to write the result into (a new one when None).

    Returns:
        (observer, audience, actor, channel) in [0, 1).

    """
    done = compiled.pull(capacity, exposure, saturation, receptivity, out)
    if done is not None:  # the same numbers in one compiled pass
        return done
    signal = np.multiply(capacity[None, None, :, :], exposure, out=out)
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


def _keep(stubbornness: np.ndarray | float, n: int) -> np.ndarray | float:
    """Return 1 − θ: a float for one stubbornness (multiplying by it is three times faster than
    by a broadcast (observer, 1, 1, 1) array, with the same values), else (observer, 1, 1, 1).
    """
    if np.ndim(stubbornness) == 0:
        return 1.0 - float(stubbornness)
    return 1.0 - _theta(stubbornness, n)


def pull(
    capacity: np.ndarray,
    exposure: np.ndarray,
    params: KernelParameters,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Return the pull ν·u (observer, audience, actor, channel) of `signal_share`.

    It changes only with capacity and exposure, so a caller may keep it between steps and pass
    it as `Inputs.pull` (and reuse its memory, ``out``, when it is stale).
    """
    return signal_share(capacity, exposure, params.saturation, params.receptivity, out)


def anchored(anchor: np.ndarray, params: KernelParameters) -> np.ndarray:
    """Return θ·p0 (observer, audience, actor, channel), the anchor's share of every update.

    It changes only with the anchor, so a caller may keep it and pass it as `Inputs.anchored`.
    """
    if np.ndim(params.stubbornness) == 0:
        return float(params.stubbornness) * anchor
    return _theta(params.stubbornness, anchor.shape[0]) * anchor


def _pull_and_message(
    state: State, inputs: Inputs, params: KernelParameters
) -> tuple[np.ndarray, np.ndarray]:
    """Return ν·u and m, both (observer, audience, actor, channel), for `fixed_point`."""
    return _pull(inputs, params), _message(state.credibility, inputs, params)


def _pull(inputs: Inputs, params: KernelParameters) -> np.ndarray:
    if inputs.pull is not None:
        return inputs.pull
    return pull(inputs.capacity, inputs.exposure, params)


def _anchored(inputs: Inputs, params: KernelParameters) -> np.ndarray:
    return inputs.anchored if inputs.anchored is not None else anchored(inputs.anchor, params)


def _message(credibility: np.ndarray, inputs: Inputs, params: KernelParameters) -> np.ndarray:
    return message(
        credibility,
        inputs.valence,
        inputs.cut,
        inputs.exposure,
        params.loss_aversion,
        params.credibility_weight,
    )


@dataclass(frozen=True)
class _Message:
    """The message m[i,s,k,d] of `message` in parts, without writing every audience's copy.

    Attributes:
        common: (observer, 1, actor, channel) the message where no channel is cut, the same for
            every audience; or the whole (observer, audience, actor, channel) message.
        columns: (actor, channel, (observer, audience) message) of each cut channel.
    """

    common: np.ndarray
    columns: tuple[tuple[int, int, np.ndarray], ...]


def _message_parts(
    credibility: np.ndarray,
    inputs: Inputs,
    params: KernelParameters,
    dtype: np.dtype | type = np.float64,
) -> _Message:
    """Return `message` in parts: the same numbers (clipping is elementwise, so clipping the
    audience-free part once equals clipping each audience's copy of it), in ``dtype`` (that of
    perception: computed in float64 and rounded to float32 for a float32 kernel).
    """
    c = params.credibility_weight
    penalty = -params.loss_aversion * inputs.cut
    cut_channels = np.nonzero(penalty)
    if len(cut_channels[0]) > penalty.size // 8:
        return _Message(_message(credibility, inputs, params).astype(dtype, copy=False), ())
    # trust·valence = (1 − c_d + c_d·R[i,k])·valence[k,d], channel by channel: the same
    # products and sums as `message`, without broadcasting over the short channel axis.
    raw = np.empty(credibility.shape + (len(c),), dtype)  # (observer, actor, channel)
    for d, weight in enumerate(c.tolist()):
        column = raw[:, :, d]
        np.multiply(credibility, weight, out=column)
        np.add(1.0 - weight, column, out=column)
        column *= inputs.valence[:, d]
    columns = []
    for k, d in zip(*cut_channels, strict=True):
        column = raw[:, None, k, d] + inputs.exposure[:, :, k, d] * penalty[k, d]
        columns.append((int(k), int(d), np.clip(column, -1.0, 1.0, out=column)))
    common = np.clip(raw, -1.0, 1.0, out=raw)[:, None, :, :]
    return _Message(common, tuple(columns))


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
    new_p = _mix(
        p,
        _pull(inputs, params),
        _message_parts(state.credibility, inputs, params, p.dtype),
        inputs.ties,
        _keep(params.stubbornness, p.shape[0]),
        _anchored(inputs, params),
        np.empty_like(p),
    )
    new_r = update_credibility(
        state.credibility, inputs.credibility_target, inputs.good, inputs.bad, params
    )
    return State(perception=new_p, credibility=new_r)


def _mix(
    p: np.ndarray,
    pull: np.ndarray,
    m: _Message,
    ties: np.ndarray | sparse.sparray,
    keep: np.ndarray | float,
    anchored: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Return θ·p0 + (1 − θ)·[(1 − ν·u)·W·p + ν·u·m] in ``out`` (``keep`` = 1 − θ,
    ``anchored`` = θ·p0). The compiled loop (`sim.model.compiled.mix`) gives the same bits
    in one pass where it applies.
    """
    done = compiled.mix(p, pull, m.common, m.columns, ties, keep, anchored, out)
    if done is not None:
        return done
    n = p.shape[0]
    social = (ties @ p.reshape(n, -1)).reshape(p.shape)
    # (1 − pull)·social + pull·m, computed in place as social + pull·(m − social).
    new_p = np.subtract(m.common, social, out=out)
    for k, d, column in m.columns:
        np.subtract(column, social[:, :, k, d], out=new_p[:, :, k, d])
    new_p *= pull
    new_p += social
    new_p *= keep
    new_p += anchored
    return new_p


def spin_up(state: State, inputs: Inputs, params: KernelParameters, steps: int) -> State:
    """Return the state after ``steps`` calls of `step` with the same ``inputs``: the same
    numbers, faster.

    Frozen inputs leave the pull ν·u and θ·p0 the same every step, and the message too while
    credibility does not move (it starts at its target with no events, so it never does): they
    are computed once, and the message again only after credibility changed. Two perception
    arrays take turns as the step's input and output.
    """
    if steps <= 0:
        return state
    p, credibility = state.perception, state.credibility
    keep = _keep(params.stubbornness, p.shape[0])
    fixed_pull, fixed_anchored = _pull(inputs, params), _anchored(inputs, params)
    m = _message_parts(credibility, inputs, params, p.dtype)
    spare = np.empty_like(p)
    for _ in range(steps):
        new_r = update_credibility(
            credibility, inputs.credibility_target, inputs.good, inputs.bad, params
        )
        new_p = _mix(p, fixed_pull, m, inputs.ties, keep, fixed_anchored, spare)
        spare = p if p is not state.perception else np.empty_like(p)
        p = new_p
        if not np.array_equal(new_r, credibility):
            m = _message_parts(new_r, inputs, params, p.dtype)
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
