"""The observation model: from the model's state to what surveys and indices measure.

- ``favourable[i,k]``: the predicted share (0–100) of observer i's adults with a favourable view
  of actor k, a logistic link of the audience-weighted attraction a[i,k];
- ``familiarity[k]`` (0–100): a slow stock of k's share of the attention of the index's publics,
  with a memory of ``familiarity_memory`` quarters, so that a budget cut moves it over years;
- ``reputation[k]`` (0–100): the favourable share of k among the index's publics other than k;
- ``influence[k]`` (0–100): k's diplomatic presence among the index's publics (alliances, shared
  memberships and diplomatic capacity as they reach each observer);
- the soft power score: a weighted sum of the three, fitted to the published index of the
  calibration period (docs/ODD.md §7.6, docs/validation.md).

The index's publics are the observers a survey of the opinion panel polled, each weighted by its
population (`index_weight`): the published index asks polled publics, and a nation no survey
has asked adds nothing to it. The three parts therefore do not change when unsurveyed nations are
added to a world, which is what lets one set of score weights serve every bundled world.

Every function takes arrays and parameters, not a model.
"""

from __future__ import annotations

import numpy as np

from sim.axes import CHANNELS
from sim.params import Parameters

__all__ = [
    "attention",
    "diplomatic_presence",
    "favourable",
    "index_scale",
    "index_weight",
    "link",
    "reputation",
    "soft_power_score",
    "update_stock",
]

_DIPLOMACY = CHANNELS.index("diplomacy")


def favourable(
    attraction: np.ndarray, params: Parameters, offset: np.ndarray | float = 0.0
) -> np.ndarray:
    """Return the predicted favourable share (0–100) of each observer for each actor.

    ``100 / (1 + exp(−(favourable_intercept + favourable_slope · a + offset)))``: monotone in
    attraction, and attraction 0 maps to the midpoint ``100 / (1 + exp(−favourable_intercept))``
    where the offset is 0.

    Args:
        attraction: (observer, actor) attraction in [-1, 1].
        params: The run's parameters.
        offset: (observer, actor) logit offset of the assimilated start
            (`sim.model.assimilation.OpinionStart.offset_at`), or 0 for structure alone.

    Returns:
        (observer, actor) shares in (0, 100).

    Example:
        >>> import numpy as np
        >>> from sim.params import Parameters
        >>> p = Parameters.from_mapping({"favourable_intercept": 0.0})
        >>> float(favourable(np.zeros((1, 1)), p)[0, 0])
        50.0

    """
    if np.ndim(offset) == 0 and offset == 0.0:
        return link(attraction, params.favourable_intercept, params.favourable_slope)
    x = params.favourable_intercept + params.favourable_slope * attraction + offset
    return 100.0 / (1.0 + np.exp(-x))


def link(attraction: np.ndarray, intercept: float, slope: float) -> np.ndarray:
    """Return ``100 / (1 + exp(−(intercept + slope · attraction)))``: the logistic link of
    `favourable` with explicit coefficients (what calibration fits).
    """
    return 100.0 / (1.0 + np.exp(-(intercept + slope * attraction)))


def index_weight(population: np.ndarray, surveyed: np.ndarray) -> np.ndarray:
    """Return (observer,) the weight of each observer in familiarity, reputation and influence.

    The population of the publics that a survey polled, 0 for the others; every nation's
    population when no observer of the world was polled (a synthetic world).

    Args:
        population: (observer,) population.
        surveyed: (observer,) True for the publics a survey of the panel polled.

    Example:
        >>> import numpy as np
        >>> index_weight(np.array([10.0, 5.0, 1.0]), np.array([True, False, True])).tolist()
        [10.0, 0.0, 1.0]

    """
    if not np.any(surveyed):
        return np.asarray(population, dtype=float).copy()
    return np.where(surveyed, population, 0.0).astype(float)


def reputation(favourable_ik: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Return (actor,) the weighted mean favourable share over observers i ≠ k.

    Args:
        favourable_ik: (observer, actor) favourable shares.
        weight: (observer,) observer weights (`index_weight`, or the population).

    An actor whose only weighted observer is itself (a world with one polled public) is read
    over every other observer alike, so that no actor is left without a reputation.
    """
    w = np.broadcast_to(np.asarray(weight, dtype=float)[:, None], favourable_ik.shape).copy()
    np.fill_diagonal(w, 0.0)
    total = w.sum(axis=0)
    if np.any(total <= 0):  # only k itself is weighted: read k over all the others
        others = 1.0 - np.eye(*favourable_ik.shape)
        w[:, total <= 0] = others[:, total <= 0]
        total = w.sum(axis=0)
    return (w * favourable_ik).sum(axis=0) / total


def attention(salience_ik: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Return (actor,) the weighted mean over observers of k's share of their attention.

    Args:
        salience_ik: (observer, actor) attention shares (`sim.model.metrics.salience`).
        weight: (observer,) observer weights (`index_weight`).

    """
    w = np.asarray(weight, dtype=float)
    return w @ salience_ik / w.sum()


def diplomatic_presence(
    capacity: np.ndarray,
    exposure: np.ndarray,
    audience_weight: np.ndarray,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    """Return (actor,) the weighted mean over observers of the diplomacy signal
    capacity · exposure.

    Args:
        capacity: (actor, channel).
        exposure: (observer, audience, actor, channel).
        audience_weight: (observer, audience).
        weight: (observer,) observer weights (`index_weight`); None: every observer alike.

    """
    signal = np.einsum("isk,is->ik", exposure[:, :, :, _DIPLOMACY], audience_weight)
    w = np.ones(signal.shape[0]) if weight is None else np.asarray(weight, dtype=float)
    return capacity[:, _DIPLOMACY] * (w @ signal) / w.sum()


def update_stock(stock: np.ndarray, inflow: np.ndarray, memory: float) -> np.ndarray:
    """Move a slow stock toward its inflow by 1 / ``memory`` of the gap (one quarter).

    A stock that loses its whole inflow therefore falls by at most 1 / ``memory`` of its value in
    a quarter.
    """
    return stock + (inflow - stock) / memory


def index_scale(value: np.ndarray, reference: float, curvature: float) -> np.ndarray:
    """Return 100 · (value / reference)^curvature, clipped to [0, 100].

    The reference is the best nation at the run's start, so that all steps and scenarios of a
    run share one scale; the curvature (< 1) gives diminishing returns, as the published index
    compresses the distance between the top nations and the rest.
    """
    if reference <= 0:
        return np.zeros_like(value)
    return np.clip(100.0 * np.power(np.clip(value, 0.0, None) / reference, curvature), 0.0, 100.0)


def soft_power_score(
    familiarity: np.ndarray, reputation_k: np.ndarray, influence: np.ndarray, params: Parameters
) -> np.ndarray:
    """Return score[k] = w_F · familiarity + w_R · reputation + w_I · influence, in [0, 100].

    The weights (``score_weight_*``) are fitted to the published index of the calibration
    period (GSPI 2024), so the score reads on that index's scale.
    """
    p = params
    score = (
        p.score_weight_familiarity * familiarity
        + p.score_weight_reputation * reputation_k
        + p.score_weight_influence * influence
    )
    return np.clip(score, 0.0, 100.0)
