"""Exposure, audience reach and the social mix: how each actor's channels reach each audience.

Pure functions from the world's ties (which events change during a run) to the arrays the kernel
uses. Axes (observer, audience, actor, channel).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from sim.axes import AUDIENCES, CHANNELS
from sim.params import Parameters

__all__ = [
    "base_reach",
    "audience_weights",
    "audience_reach",
    "shared_membership",
    "exposure",
    "aid_exposure",
    "social_ties",
]

_CULTURE, _TECH, _AID, _DIPLOMACY = (CHANNELS.index(c) for c in CHANNELS)


def base_reach(params: Parameters) -> np.ndarray:
    """Return (audience, channel): how far each channel reaches each audience before internet
    use is taken into account (the ``reach_<audience>_<channel>`` parameters; youth live on
    culture and tech, elites on diplomacy).
    """
    return np.array(
        [[getattr(params, f"reach_{a}_{d}") for d in CHANNELS] for a in AUDIENCES], dtype=float
    )


def audience_weights(median_age: np.ndarray, params: Parameters) -> np.ndarray:
    """Return (observer, audience) population weights of youth, public and elite.

    Youth weigh ``youth_share_reference`` × 30 / median age, clipped to [``youth_share_min``,
    ``youth_share_max``] (a younger nation has a larger youth audience); elites a fixed
    ``elite_share``; the public the rest. A modelling rule, not data: the share aged 15-29 is not
    in the bundled data (see sim/data/README.md). Youth never take more than 1 − ``elite_share``,
    so the three weights are shares that sum to 1 for any valid parameters (with the defaults the
    cap never binds).
    """
    p = params
    youth = np.clip(
        p.youth_share_reference * 30.0 / median_age, p.youth_share_min, p.youth_share_max
    )
    youth = np.minimum(youth, 1.0 - p.elite_share)
    elite = np.full_like(youth, p.elite_share)
    # The maximum only removes a rounding residue of order 1e-17 when the cap binds.
    return np.column_stack([youth, np.maximum(1.0 - youth - elite, 0.0), elite])


def audience_reach(internet: np.ndarray, params: Parameters) -> np.ndarray:
    """Return (observer, audience, channel) reach: `base_reach`, with culture and tech scaled by
    ``offline_reach`` + (1 − ``offline_reach``) × the share online, for youth and public.
    """
    reach = np.broadcast_to(
        base_reach(params), (len(internet), len(AUDIENCES), len(CHANNELS))
    ).copy()
    offline = params.offline_reach
    online = offline + (1.0 - offline) * np.clip(internet, 0.0, 1.0)
    for s in (0, 1):
        reach[:, s, _CULTURE] *= online
        reach[:, s, _TECH] *= online
    return reach


def shared_membership(members: np.ndarray) -> np.ndarray:
    """Return (nation, nation) Jaccard similarity of group memberships (zero diagonal)."""
    both = members @ members.T
    count = members.sum(axis=1)
    either = count[:, None] + count[None, :] - both
    out = np.divide(both, either, out=np.zeros_like(both), where=either > 0)
    np.fill_diagonal(out, 0.0)
    return out


def exposure(
    *,
    same_region: np.ndarray,
    trade: np.ndarray,
    imports: np.ndarray,
    alliance: np.ndarray,
    shared: np.ndarray,
    aid_allocation: np.ndarray,
    need: np.ndarray,
    reach: np.ndarray,
    restriction: np.ndarray,
    initiative_boost: np.ndarray,
    params: Parameters,
) -> np.ndarray:
    """Return exposure[i,s,k,d] in [0, 1].

    - culture: global reach + region + trade intensity (both directions);
    - tech: ``exposure_tech_global_share`` × the global reach + ``exposure_tech_imports`` × i's
      import share from k;
    - aid: k's allocation to i × the number of recipients × i's need;
    - diplomacy: global reach + ``exposure_diplomacy_alliance`` × alliance +
      ``exposure_diplomacy_membership`` × shared membership.
    Then × initiative boost (aid, diplomacy), × audience reach, × restrictions; zero diagonal.

    Args:
        same_region: (observer, actor) 0/1.
        trade: (observer, actor) trade share.
        imports: (observer, actor) import share.
        alliance: (observer, actor) 0/1.
        shared: (observer, actor) Jaccard of memberships.
        aid_allocation: (donor, recipient) shares, rows summing to ≤ 1.
        need: (observer,) aid need in [0, 1].
        reach: (observer, audience, channel).
        restriction: (observer, audience, actor, channel) multipliers in [0, 1].
        initiative_boost: (observer, actor) ≥ 1, from initiative membership.
        params: model parameters.

    Returns:
        (observer, audience, actor, channel).

    """
    n = trade.shape[0]
    g = params.exposure_global_reach
    base = np.empty((n, n, len(CHANNELS)))
    base[:, :, _CULTURE] = g + params.exposure_region * same_region + (trade + trade.T) / 2.0
    base[:, :, _TECH] = (
        params.exposure_tech_global_share * g + params.exposure_tech_imports * imports
    )
    base[:, :, _AID] = 0.0
    base[:, :, _DIPLOMACY] = (
        g
        + params.exposure_diplomacy_alliance * alliance
        + params.exposure_diplomacy_membership * shared
    )
    base[:, :, _DIPLOMACY] *= initiative_boost
    np.clip(base, 0.0, 1.0, out=base)
    idx = np.arange(n)
    base[idx, idx, :] = 0.0
    # base·reach·restriction, with reach spread over actors first: multiplying by a contiguous
    # array is several times faster than by one broadcast over the short channel axis (the
    # same products, in the same order).
    out = np.repeat(reach[:, :, None, :], n, axis=2)
    np.multiply(base[:, None, :, :], out, out=out)
    out *= restriction
    out[:, :, :, _AID] = aid_exposure(aid_allocation, need, initiative_boost, reach, restriction)
    return out


def aid_exposure(
    aid_allocation: np.ndarray,
    need: np.ndarray,
    initiative_boost: np.ndarray,
    reach: np.ndarray,
    restriction: np.ndarray,
) -> np.ndarray:
    """Return the aid slice exposure[i,s,k,aid] (see `exposure`).

    Donors reallocate aid every quarter, so the model refreshes this slice alone when nothing
    else changed.

    Args:
        aid_allocation: (donor, recipient) shares.
        need: (observer,) aid need.
        initiative_boost: (observer, actor) ≥ 1.
        reach: (observer, audience, channel).
        restriction: (observer, audience, actor, channel).

    Returns:
        (observer, audience, actor).
    """
    recipients = max(int((aid_allocation > 0).sum(axis=1).max(initial=0)), 1)
    base = aid_allocation.T * recipients * need[:, None]
    base *= initiative_boost
    np.clip(base, 0.0, 1.0, out=base)
    np.fill_diagonal(base, 0.0)
    return base[:, None, :] * reach[:, :, None, _AID] * restriction[:, :, :, _AID]


def social_ties(
    trade: np.ndarray, alliance: np.ndarray, shared: np.ndarray, params: Parameters
) -> sparse.csr_array:
    """Return the row-stochastic social mix W (observer, observer) of self, trade, alliance and
    membership ties, sparse: each observer listens to itself and its ``social_tie_count``
    strongest ties.

    The raw weight of a tie is ``trade_tie_weight`` × the two-way trade share +
    ``alliance_tie_weight`` × alliance + ``membership_tie_weight`` × shared memberships (each
    layer scaled by its largest row sum); a nation's own weight is ``self_tie_weight``. Each
    observer keeps its ``social_tie_count`` strongest ties (equal weights: the lower index
    first) and spreads the weight of all its ties over them, so the share that others have in
    its mix, and its own share, are those of the full mix: only who it listens to is cut to tens
    of ties. With ``social_tie_count`` ≥ N − 1 this is the dense mix of every tie. Products with
    W then cost O(N · ties) per column instead of O(N²) (docs/ODD.md §7.3).

    Args:
        trade: (nation, nation) trade ties.
        alliance: (nation, nation) 0/1 alliances.
        shared: (nation, nation) shared memberships.
        params: model parameters.

    Returns:
        (observer, observer) CSR array, rows summing to 1, column indices sorted.
    """
    n = trade.shape[0]
    sym_trade = (trade + trade.T) / 2.0
    raw = (
        params.trade_tie_weight * sym_trade / max(sym_trade.sum(axis=1).max(), 1e-12)
        + params.alliance_tie_weight * alliance / max(alliance.sum(axis=1).max(), 1.0)
        + params.membership_tie_weight * shared / max(shared.sum(axis=1).max(), 1e-12)
    )
    np.fill_diagonal(raw, 0.0)
    others = raw.sum(axis=1)
    keep = min(int(params.social_tie_count), n - 1)
    strongest = np.argsort(-raw, axis=1, kind="stable")[:, :keep]
    rows = np.arange(n)[:, None]
    kept = np.zeros_like(raw)
    kept[rows, strongest] = raw[rows, strongest]
    kept_total = kept.sum(axis=1)
    kept *= np.divide(others, kept_total, out=np.zeros(n), where=kept_total > 0)[:, None]
    kept += params.self_tie_weight * np.eye(n)
    total = kept.sum(axis=1, keepdims=True)
    # A nation with no ties and no self weight listens to itself alone.
    mix = np.where(total > 0, kept / np.where(total > 0, total, 1.0), np.eye(n))
    return sparse.csr_array(mix)
