"""The structural mathematics of the model as pure functions of arrays and parameters.

What a nation expects of another before any message (the anchor p⁰ and the credibility target
R̄), how far a channel has been cut, where a donor's aid goes, and what nations' decisions read
of the network (`DecisionContext`). `sim.model.state.WorldState` calls these whenever the
structure they read changes; tests can call them alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.axes import AUDIENCES, CHANNELS
from sim.params import Parameters
from sim.world.world import AID_STRATEGIES, INITIATIVE_LEADERS

__all__ = [
    "AID_STRATEGIES",
    "PARTNER_THRESHOLD",
    "DecisionContext",
    "aid_target",
    "anchor",
    "credibility_target",
    "cut",
    "led_initiatives",
    "trade_partners_and_rivals",
]

#: Two-way trade tie above which two nations count as trade partners for contagion.
PARTNER_THRESHOLD = 0.02


def anchor(
    alliance: np.ndarray,
    rivalry: np.ndarray,
    same_region: np.ndarray,
    trade: np.ndarray,
    params: Parameters,
    values_gap: np.ndarray | None = None,
    governance: np.ndarray | None = None,
) -> np.ndarray:
    """Return the structural perception p⁰ (observer, audience, actor, channel) in [-1, 1].

    p⁰[i,·,k,·] = clip(prior_alliance·alliance − prior_rivalry·rivalry + prior_region·region +
    prior_trade·(trade + tradeᵀ)/2 + prior_common_rival·[i and k share a rival] −
    prior_values_distance·d_ik + prior_governance·governance_k,
    −1, 1), the same for every audience and channel; 1 for self. The values distance d_ik is
    |freedom_i − freedom_k| where observer i is the freer, and (1 − prior_values_asymmetry) of
    it where the actor is: at asymmetry 1 a public holds only an actor's lesser freedom against
    it, not its greater freedom.

    Args:
        alliance: (nation, nation) 0/1.
        rivalry: (nation, nation) 0/1.
        same_region: (nation, nation) 0/1.
        trade: (nation, nation) trade ties (taxed).
        params: The run's parameters.
        values_gap: (observer, actor) freedom_i − freedom_k in [-1, 1], or None.
        governance: (actor,) governance quality in about [-1, 1], or None.

    """
    n = len(alliance)
    p = params
    mean_trade = (trade + trade.T) / 2.0
    base = (
        p.prior_alliance * alliance
        - p.prior_rivalry * rivalry
        + p.prior_region * same_region
        + p.prior_trade * mean_trade
    )
    if p.prior_common_rival:
        # the enemy of my enemy: an actor that shares a rival with the observer
        base = base + p.prior_common_rival * np.minimum(rivalry @ rivalry, 1.0)
    if values_gap is not None and p.prior_values_distance:
        distance = np.maximum(values_gap, 0.0)
        if p.prior_values_asymmetry < 1.0:
            distance = distance + (1.0 - p.prior_values_asymmetry) * np.maximum(-values_gap, 0.0)
        base = base - p.prior_values_distance * distance
    if governance is not None and p.prior_governance:
        base = base + p.prior_governance * governance[None, :]
    base = np.clip(base, -1.0, 1.0)
    np.fill_diagonal(base, 1.0)
    return np.broadcast_to(base[:, None, :, None], (n, len(AUDIENCES), n, len(CHANNELS))).copy()


def credibility_target(alliance: np.ndarray, rivalry: np.ndarray, params: Parameters) -> np.ndarray:
    """Return R̄ (observer, actor) in [0, 1]: base + alliance bonus − rivalry malus; 1 for self."""
    p = params
    target = (
        p.credibility_base + p.credibility_alliance * alliance - p.credibility_rivalry * rivalry
    )
    target = np.clip(target, 0.0, 1.0)
    np.fill_diagonal(target, 1.0)
    return target


def cut(reference: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Return (actor, channel) the share of the reference capacity that has been withdrawn."""
    return np.divide(
        np.maximum(reference - capacity, 0.0),
        reference,
        out=np.zeros_like(reference),
        where=reference > 0,
    )


def aid_target(
    donor: int,
    strategy: str,
    need: np.ndarray,
    alliance: np.ndarray,
    attraction: np.ndarray,
    params: Parameters,
    partners: np.ndarray | None = None,
) -> np.ndarray:
    """Return the shares of a donor's aid over recipients under a strategy (sum 1, or all 0).

    ``need`` weighs recipients by need; ``strategic`` multiplies by 1 + alliance + the
    recipient's positive attraction to the donor; ``retreat`` by ``aid_retreat_floor`` +
    alliance (what is left goes to allies first; the volume cut itself is a capacity event).

    Args:
        donor: Donor index.
        strategy: One of `AID_STRATEGIES`.
        need: (recipient,) need weights.
        alliance: (nation, nation) 0/1.
        attraction: (observer, actor) attraction now.
        params: The run's parameters.
        partners: (recipient,) 1 for members of an initiative the donor leads (a strategic
            donor favours them as it favours allies), or None.

    """
    weight = need.copy()
    weight[donor] = 0.0
    if strategy == "strategic":
        lean = np.clip(attraction[:, donor], 0.0, None)
        member = 0.0 if partners is None else partners
        weight = weight * (1.0 + alliance[donor] + lean + member)
    elif strategy == "retreat":
        weight = weight * (params.aid_retreat_floor + alliance[donor])
    total = weight.sum()
    return weight / total if total > 0 else weight


@dataclass(frozen=True)
class DecisionContext:
    """What nations' decisions read of the network (`WorldState.decision_context`).

    Decisions change memberships, restrictions and aid, never trade, rivalry or the list of
    initiatives, so one context serves every decision of a step; the trade partners and rivals
    are reused while trade and rivalry stand (`sim.model.state.READS`).

    Attributes:
        partners: (nation, nation) 1.0 where the trade tie is above the partner threshold.
        partner_count: Trade partners of each nation.
        rivals: Indices of each nation's rivals.
        led_initiatives: (initiative, membership column, leader index) of every leader-led
            initiative whose leader is in the world.

    """

    partners: np.ndarray
    partner_count: tuple[int, ...]
    rivals: tuple[tuple[int, ...], ...]
    led_initiatives: tuple[tuple[str, int, int], ...]

    @classmethod
    def of(
        cls,
        trade: np.ndarray,
        rivalry: np.ndarray,
        initiatives: list[str],
        iso3: tuple[str, ...],
    ) -> DecisionContext:
        """Build the context of a structure from scratch.

        Args:
            trade: (nation, nation) trade ties after tariffs.
            rivalry: (nation, nation) 0/1.
            initiatives: The membership columns' names.
            iso3: The nations' codes.
        """
        partners, partner_count, rivals = trade_partners_and_rivals(trade, rivalry)
        return cls(partners, partner_count, rivals, led_initiatives(initiatives, iso3))


def trade_partners_and_rivals(
    trade: np.ndarray, rivalry: np.ndarray
) -> tuple[np.ndarray, tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """Return (partners, partner_count, rivals) of `DecisionContext`: 1.0 where the trade tie is
    above `PARTNER_THRESHOLD`, the count of each nation's partners, and its rivals' indices.
    """
    partners = (trade > PARTNER_THRESHOLD).astype(float)
    # Every nation's rivals from one pass over the matrix (row-major, as row by row would give
    # them), split at the row boundaries: one `flatnonzero` per nation was the slow part of a
    # context at 196 nations.
    rows, cols = np.nonzero(rivalry)
    bounds = np.searchsorted(rows, np.arange(len(rivalry) + 1)).tolist()
    columns = cols.tolist()
    return (
        partners,
        tuple(np.count_nonzero(partners, axis=1).tolist()),
        tuple(tuple(columns[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)),
    )


def led_initiatives(
    initiatives: list[str], iso3: tuple[str, ...]
) -> tuple[tuple[str, int, int], ...]:
    """Return (initiative, column, leader index) of the leader-led initiatives in the world."""
    return tuple(
        (initiative, initiatives.index(initiative), iso3.index(leader))
        for initiative, leader in INITIATIVE_LEADERS.items()
        if leader in iso3 and initiative in initiatives
    )
