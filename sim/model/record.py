"""Per-step recording into preallocated arrays (`sim.batch.tables` turns them into tables)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.axes import AUDIENCES
from sim.model import metrics, observe

if TYPE_CHECKING:
    from sim.model.model import SoftPowerModel

__all__ = ["Recorder", "recorded_steps"]


def recorded_steps(horizon: int, every: int) -> list[int]:
    """Return the steps at which attraction is recorded: 0, K, 2K, ... and always the last."""
    steps = list(range(0, horizon + 1, max(1, every)))
    if steps[-1] != horizon:
        steps.append(horizon)
    return steps


class Recorder:
    """Collects scores, familiarity, reputation and influence every step, attraction every K.

    Args:
        model: The model to read.
        record_every: K.
        audience_targets: Actors whose perception by audience is kept (default USA and CHN).

    """

    def __init__(
        self,
        model: SoftPowerModel,
        record_every: int = 1,
        audience_targets: tuple[str, ...] = ("USA", "CHN"),
    ) -> None:
        self.model = model
        n, horizon = model.n, model.horizon
        self.steps = recorded_steps(horizon, record_every)
        self._slot = {s: i for i, s in enumerate(self.steps)}
        self.score = np.zeros((horizon + 1, n))
        self.rank = np.zeros((horizon + 1, n), dtype=np.int64)
        self.familiarity = np.zeros((horizon + 1, n))
        self.reputation = np.zeros((horizon + 1, n))
        self.influence = np.zeros((horizon + 1, n))
        self.attraction = np.zeros((len(self.steps), n, n))
        self.targets = tuple(t for t in audience_targets if t in model.iso3)
        self._target_idx = [model.iso3.index(t) for t in self.targets]
        self.audience = np.zeros((len(self.steps), n, len(AUDIENCES), len(self.targets)))
        self.members = np.zeros((horizon + 1, n), dtype=np.int8)
        self.events: list[tuple[int, str, str, str, str]] = []
        #: (observer, actor) attraction at the last recorded step (the model records step 0
        #: as it starts).
        self.last_attraction = np.zeros((n, n))

    def log(self, kind: str, actor: str, target: str, detail: str) -> None:
        """Record an event or decision at the current step."""
        self.events.append((self.model.steps, kind, actor, target, detail))

    def record(self, step: int) -> None:
        """Record the model's outputs for ``step``."""
        m = self.model
        a = m.attraction()
        self.last_attraction = a
        familiarity, influence = m.familiarity(), m.influence()
        reputation = m.reputation(m.favourable(a))
        score = observe.soft_power_score(familiarity, reputation, influence, m.parameters)
        self.score[step] = score
        self.familiarity[step] = familiarity
        self.reputation[step] = reputation
        self.influence[step] = influence
        self.rank[step] = metrics.rank(score)
        if "BRI" in m.state.initiatives:
            self.members[step] = m.member_of("BRI")
        if step in self._slot:
            slot = self._slot[step]
            self.attraction[slot] = a
            w = np.array(m.parameters.channel_weights)
            self.audience[slot] = np.einsum(
                "iskd,d->isk", m.perception[:, :, self._target_idx, :], w
            )
