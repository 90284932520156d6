"""Per-step recording into preallocated arrays, turned into tidy tables at the end of a run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim import metrics
from sim.dynamics import AUDIENCES

if TYPE_CHECKING:
    from sim.model import SoftPowerModel

__all__ = ["Recorder", "recorded_steps"]


def recorded_steps(horizon: int, every: int) -> list[int]:
    """Return the steps at which attraction is recorded: 0, K, 2K, ... and always the last."""
    steps = list(range(0, horizon + 1, max(1, every)))
    if steps[-1] != horizon:
        steps.append(horizon)
    return steps


class Recorder:
    """Collects scores every step and attraction every K steps.

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
        self.attraction = np.zeros((len(self.steps), n, n))
        self.targets = tuple(t for t in audience_targets if t in model.iso3)
        self._target_idx = [model.iso3.index(t) for t in self.targets]
        self.audience = np.zeros((len(self.steps), n, len(AUDIENCES), len(self.targets)))
        self.members = np.zeros((horizon + 1, n), dtype=np.int8)
        self.events: list[tuple[int, str, str, str, str]] = []
        #: (observer, actor) attraction at the last recorded step.
        self.last_attraction: np.ndarray | None = None

    def log(self, kind: str, actor: str, target: str, detail: str) -> None:
        """Record an event or decision at the current step."""
        self.events.append((self.model.steps, kind, actor, target, detail))

    def record(self, step: int) -> None:
        """Record the model's outputs for ``step``."""
        m = self.model
        a = m.attraction()
        self.last_attraction = a
        score = metrics.soft_power_score(
            a, m.salience(), m.parameters.salience_alpha, m.familiarity_reference
        )
        self.score[step] = score
        self.rank[step] = metrics.rank(score)
        if "BRI" in m.initiatives:
            self.members[step] = m.member_of("BRI")
        if step in self._slot:
            slot = self._slot[step]
            self.attraction[slot] = a
            w = np.array(m.parameters.channel_weights)
            self.audience[slot] = np.einsum(
                "iskd,d->isk", m.perception[:, :, self._target_idx, :], w
            )

    # ------------------------------------------------------------------ tables
    def _dates(self, steps) -> list[str]:
        return [self.model.spec.date(int(s)) for s in steps]

    def soft_power_table(self) -> pd.DataFrame:
        """Return ``step,date,iso3,score,rank`` for every step and nation."""
        m = self.model
        last = m.steps
        steps = np.repeat(np.arange(last + 1), m.n)
        return pd.DataFrame(
            {
                "step": steps,
                "date": np.repeat(self._dates(range(last + 1)), m.n),
                "iso3": np.tile(m.iso3, last + 1),
                "score": self.score[: last + 1].ravel(),
                "rank": self.rank[: last + 1].ravel(),
            }
        )

    def perception_table(self) -> pd.DataFrame:
        """Return ``step,date,observer,target,value`` (value = attraction a[i,k]) for all pairs
        i ≠ k at the recorded steps.
        """
        m = self.model
        slots = [(i, s) for i, s in enumerate(self.steps) if s <= m.steps]
        off = ~np.eye(m.n, dtype=bool)
        obs, tgt = np.nonzero(off)
        frames = []
        for i, s in slots:
            frames.append(
                pd.DataFrame(
                    {
                        "step": s,
                        "date": m.spec.date(s),
                        "observer": np.array(m.iso3)[obs],
                        "target": np.array(m.iso3)[tgt],
                        "value": self.attraction[i][obs, tgt],
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def audience_table(self) -> pd.DataFrame:
        """Return ``step,date,observer,audience,target,value``: perception by audience segment."""
        m = self.model
        rows = []
        for i, s in enumerate(self.steps):
            if s > m.steps:
                continue
            for t, code in enumerate(self.targets):
                for a, aud in enumerate(AUDIENCES):
                    rows.append(
                        pd.DataFrame(
                            {
                                "step": s,
                                "date": m.spec.date(s),
                                "observer": m.iso3,
                                "audience": aud,
                                "target": code,
                                "value": self.audience[i, :, a, t],
                            }
                        )
                    )
        return pd.concat(rows, ignore_index=True)

    def membership_table(self) -> pd.DataFrame:
        """Return ``step,date,initiative,members`` (number of BRI members per step)."""
        last = self.model.steps
        return pd.DataFrame(
            {
                "step": np.arange(last + 1),
                "date": self._dates(range(last + 1)),
                "initiative": "BRI",
                "members": self.members[: last + 1].sum(axis=1),
            }
        )

    def events_table(self) -> pd.DataFrame:
        """Return ``step,date,kind,actor,target,detail`` of scheduled events and decisions."""
        cols = ["step", "date", "kind", "actor", "target", "detail"]
        rows = [(s, self.model.spec.date(s), k, a, t, d) for s, k, a, t, d in self.events]
        return pd.DataFrame(rows, columns=cols).astype({"step": "int64"})
