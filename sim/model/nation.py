"""`Nation`: a Mesa agent that views the model's arrays and makes a nation's decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.axes import CHANNELS
from sim.model.structure import PARTNER_THRESHOLD, DecisionContext

if TYPE_CHECKING:
    from sim.model.model import SoftPowerModel

# The decision context and its threshold live with the structure they are read from; they are
# still importable from here.
__all__ = ["PARTNER_THRESHOLD", "DecisionContext", "Nation"]

_AID = CHANNELS.index("aid")


class Nation(mesa.Agent):
    """One nation, observer and actor at once.

    Args:
        model: The model.
        index: Row of this nation in every array.

    Attributes:
        index: Array index.
        iso3: ISO3 code.

    """

    model: SoftPowerModel

    def __init__(self, model: SoftPowerModel, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.iso3 = model.iso3[index]

    def __repr__(self) -> str:
        return f"Nation({self.iso3})"

    # ------------------------------------------------------------------ views
    @property
    def capacity(self) -> np.ndarray:
        """(channel,) view of this nation's capacity."""
        return self.model.state.capacity[self.index]

    def perception_of(self, other: Nation | str) -> np.ndarray:
        """(audience, channel) view of how this nation's audiences see ``other``."""
        k = other.index if isinstance(other, Nation) else self.model.iso3.index(other)
        return self.model.perception[self.index, :, k, :]

    def attraction_to(self, other: Nation | str) -> float:
        """Attraction a[self, other] in [-1, 1]."""
        k = other.index if isinstance(other, Nation) else self.model.iso3.index(other)
        return float(self.model.current_attraction[self.index, k])

    def credibility_of(self, other: Nation | str) -> float:
        """How far this nation believes ``other``, in [0, 1]."""
        k = other.index if isinstance(other, Nation) else self.model.iso3.index(other)
        return float(self.model.credibility[self.index, k])

    @property
    def memberships(self) -> list[str]:
        """Initiatives and groups this nation belongs to."""
        state = self.model.state
        return [g for j, g in enumerate(state.initiatives) if state.members[self.index, j]]

    # ------------------------------------------------------------------ decisions
    def decide(self, draw: float | None = None) -> None:
        """Review, with probability ``decision_rate``, initiatives, restrictions and aid.

        Args:
            draw: A uniform draw in [0, 1) that decides whether this nation reviews now; drawn
                from the model's ``rng`` when None. The model draws all nations' at once, in
                the order they act, which is the same stream as one draw per call.

        """
        m = self.model
        if draw is None:
            draw = m.rng.random()
        if draw >= m.parameters.decision_rate:
            return
        self.review_initiatives()
        self.review_restrictions()
        self.allocate_aid()

    def review_initiatives(self) -> None:
        """Join or leave leader-led initiatives: a threshold on attraction to the leader, relieved
        by complex contagion among trade partners, with hysteresis between join and leave.
        """
        m, p = self.model, self.model.parameters
        state = m.state
        context = state.decision_context
        i = self.index
        partners = context.partners[i]
        count = context.partner_count[i]
        for initiative, j, leader in context.led_initiatives:
            if leader == i:
                continue
            member = bool(state.members[i, j])
            # Share of trade partners in the initiative (np.mean is slow on this hot path).
            share = float(np.dot(state.members[:, j], partners)) / count if count else 0.0
            relief = p.contagion_weight if share >= p.contagion_threshold else 0.0
            a = float(m.current_attraction[i, leader])
            if not member and a > p.join_threshold - relief:
                state.set_membership_of(i, j, True)
                m.recorder.log(
                    "decision_join",
                    self.iso3,
                    initiative,
                    f"attraction {a:.2f}, partners {share:.0%}",
                )
            elif member and a < p.leave_threshold - relief:
                state.set_membership_of(i, j, False)
                m.recorder.log(
                    "decision_leave",
                    self.iso3,
                    initiative,
                    f"attraction {a:.2f}, partners {share:.0%}",
                )

    def review_restrictions(self) -> None:
        """Restrict a rival's culture and tech channels for youth and public when the elite
        perceives it as a threat (mean elite perception below the threshold), to at least
        ``restriction_severity`` on each of them.
        """
        m, p = self.model, self.model.parameters
        state = m.state
        rivals = list(state.decision_context.rivals[self.index])
        if not rivals:
            return
        # Restricting one rival changes only this nation's restrictions of that rival, so every
        # rival's threat and restrictions in force can be read at once, before any of them.
        threats = m.current_elite_perception[self.index, rivals].tolist()
        already = state.restricted_as_rivals(self.index, rivals, p.restriction_severity).tolist()
        for k, threat, closed in zip(rivals, threats, already, strict=True):
            # A restriction already in force (a law, a scenario's ban) counts only as far as it
            # reaches: the nation still restricts what is not yet as closed as it wants.
            if threat < p.restriction_threshold and not closed:
                state.restrict_rival(self.index, k, p.restriction_severity)
                m.recorder.log(
                    "decision_restrict", self.iso3, m.iso3[k], f"elite perception {threat:.2f}"
                )

    def allocate_aid(self) -> None:
        """Move this donor's aid allocation toward the target of its strategy."""
        m = self.model
        if m.state.capacity[self.index, _AID] <= 0.0:
            return
        m.state.reallocate_aid(self.index, m.current_attraction)
