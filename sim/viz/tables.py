"""The app's tables as data: the top 10, the comparison of two runs, the events feed.

Each function reads a running model and returns plain rows (no Solara, no drawing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.model import SoftPowerModel

__all__ = ["CompareRow", "FeedItem", "TopRow", "compare_table", "event_feed", "top_table"]


@dataclass(frozen=True)
class TopRow:
    """A row of the top-10 table."""

    rank: int
    iso3: str
    name: str
    score: float
    score_change: float  # since step 0
    moved_last_step: int  # positive: climbed
    moved_since_start: int
    familiarity: float = float("nan")  # 0-100, the slow stock of attention
    reputation: float = float(
        "nan"
    )  # 0-100, the favourable share over polled publics, by population


def top_table(model: SoftPowerModel, n: int = 10) -> list[TopRow]:
    """Return the ``n`` highest-scoring nations now, with score and rank changes."""
    rec, step = model.recorder, model.steps
    rank, score = rec.rank[step], rec.score[step]
    previous = rec.rank[max(step - 1, 0)]
    rows = []
    for i in np.argsort(rank)[:n]:
        rows.append(
            TopRow(
                rank=int(rank[i]),
                iso3=model.iso3[i],
                name=model.world.name[i],
                score=float(score[i]),
                score_change=float(score[i] - rec.score[0, i]),
                moved_last_step=int(previous[i] - rank[i]),
                moved_since_start=int(rec.rank[0, i] - rank[i]),
                familiarity=float(rec.familiarity[step, i]),
                reputation=float(rec.reputation[step, i]),
            )
        )
    return rows


@dataclass(frozen=True)
class CompareRow:
    """A row of the comparison table: a nation's score and rank in both runs."""

    iso3: str
    name: str
    score: float
    rank: int
    other_score: float
    other_rank: int


def compare_table(model: SoftPowerModel, other: SoftPowerModel, n: int = 10) -> list[CompareRow]:
    """Return the ``n`` nations leading either run now, with score and rank in both runs."""
    score, rank = model.recorder.score[model.steps], model.recorder.rank[model.steps]
    their_score = other.recorder.score[other.steps]
    their_rank = other.recorder.rank[other.steps]
    leaders = list(dict.fromkeys([*np.argsort(rank)[:n].tolist()]))
    rows = []
    for i in leaders:
        j = other.iso3.index(model.iso3[i])
        rows.append(
            CompareRow(
                iso3=model.iso3[i],
                name=model.world.name[i],
                score=float(score[i]),
                rank=int(rank[i]),
                other_score=float(their_score[j]),
                other_rank=int(their_rank[j]),
            )
        )
    return rows


@dataclass(frozen=True)
class FeedItem:
    """One scheduled event or nation's decision, as logged by the model."""

    step: int
    date: str
    kind: str
    actor: str
    target: str
    detail: str

    @property
    def is_decision(self) -> bool:
        """True for a nation's own decision (join, leave, restrict), False for a scheduled event."""
        return self.kind.startswith("decision_")


def event_feed(model: SoftPowerModel, limit: int | None = 15) -> list[FeedItem]:
    """Return the latest ``limit`` events and decisions, newest first (all if None)."""
    events = model.recorder.events
    chosen = events if limit is None else events[-limit:] if limit > 0 else []
    return [
        FeedItem(s, model.spec.date(s), kind, actor, target, detail)
        for s, kind, actor, target, detail in reversed(chosen)
    ]
