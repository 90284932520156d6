"""The report's "Predicted polls" section: what a poll would find about the focus nations.

For each scenario, a small table of the predicted favourable share (0–100 %) of the focus nations
among the adults of a few large observer nations, at the start and at the last recorded step,
with the 5–95 % range over the runs at the end. It reads the batch summary's ``polls`` table
(`sim.analysis.summary`: the observation model of docs/ODD.md §7.6 applied to each run's
attraction toward the recorded perception targets).
"""

from __future__ import annotations

import pandas as pd

from sim.report.batch import Batch
from sim.report.document import Number, Paragraph, Section, Table

__all__ = ["OBSERVERS", "large_observers", "polls_section"]

#: How many observer nations each table shows (the most populous that the polls cover).
OBSERVERS = 6


def large_observers(batch: Batch, polls: pd.DataFrame, count: int = OBSERVERS) -> list[str]:
    """Return the ``count`` most populous observers in ``polls`` (ties by code)."""
    world = batch.world
    population = dict(zip(world.iso3, world.population, strict=True))
    present = sorted(set(polls["observer"]))
    return sorted(present, key=lambda c: (-population.get(c, 0.0), c))[:count]


def _share(value: float, column: str, step: int, scenario: str, observer: str, target: str):
    """A favourable share with its cell of the summary's polls table."""
    key = (("scenario", scenario), ("step", str(step)), ("observer", observer), ("target", target))
    return Number(float(value), "polls", column, key, decimals=0)


def polls_section(batch: Batch, focus: tuple[str, ...]) -> Section | None:
    """Return the "Predicted polls" section, or None when the batch has no polls summary."""
    polls = batch.tables.get("polls")
    if polls is None or polls.empty:
        return None
    targets = [c for c in focus if c in set(polls["target"])]
    if not targets:
        return None
    polls = polls[polls["target"].isin(targets)]
    observers = large_observers(batch, polls)
    world = batch.world
    names = dict(zip(world.iso3, world.name, strict=True))
    section = Section("predicted-polls", "Predicted polls")
    section.blocks.append(
        Paragraph(
            (
                "What a poll would find: the predicted share of adults with a favourable view of "
                f"{', '.join(targets)} in the {len(observers)} most populous observer nations, "
                "at the start and at the end of each scenario (mean over the runs; the 5–95 % "
                "range at the end). The shares come from the model's attraction through the "
                "observation model's logistic link, fitted to polls of the calibration period "
                "(docs/ODD.md §7.6); they are predictions, not survey data.",
            )
        )
    )
    for scenario in batch.scenarios:
        rows = polls[polls["scenario"] == scenario]
        if rows.empty:
            continue
        first, last = int(rows["step"].min()), int(rows["step"].max())
        start = rows[rows["step"] == first].set_index(["observer", "target"])
        end = rows[rows["step"] == last].set_index(["observer", "target"])
        body = []
        for observer in observers:
            for target in targets:
                if observer == target or (observer, target) not in end.index:
                    continue
                a, b = start.loc[(observer, target)], end.loc[(observer, target)]
                cell = (scenario, observer, target)
                body.append(
                    (
                        f"{names.get(observer, observer)} ({observer})",
                        target,
                        (_share(a["mean"], "mean", first, *cell), " %"),
                        (_share(b["mean"], "mean", last, *cell), " %"),
                        (
                            _share(b["q05"], "q05", last, *cell),
                            "–",
                            _share(b["q95"], "q95", last, *cell),
                            " %",
                        ),
                        f"{b['mean'] - a['mean']:+.1f}".replace("-", "−"),
                    )
                )
        if not body:
            continue
        section.blocks.append(
            Table(
                (
                    "observer",
                    "favourable view of",
                    f"start ({batch.date(first)})",
                    f"end ({batch.date(last)})",
                    "end, 5–95 %",
                    "change (points)",
                ),
                tuple(body),
                caption=f"{batch.title(scenario)}: predicted favourable share",
                numeric=(2, 3, 4, 5),
            )
        )
    return section if len(section.blocks) > 1 else None
