"""The report's "Hindcast" section: a history scenario's predicted polls against the real series.

A batch scenario is a history episode when its name is the file stem of a scenario listed in
``sim/data/targets/episodes.csv`` (``scenarios/history/*.yaml`` with the target nation and the
poll waves that bracket the episode). For each such scenario and target, one figure of small
multiples, a panel per surveyed country (every country with both bracketing waves that the batch
recorded): a line for the model's predicted favourable share over the quarters of the run (mean
over the runs, with the 5–95 % band) and points for the published waves from the earlier wave to
the end of the run (Pew Research Center; `sim.analysis.episodes.poll_table`). Batches without a
history scenario have no such section.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.report.batch import Batch
from sim.report.document import FigureBlock, Paragraph, Section
from sim.report.uncertainty import interval_caption

if TYPE_CHECKING:  # matplotlib is imported when figures are drawn
    from matplotlib.figure import Figure

__all__ = ["HistoryEpisode", "batch_episodes", "hindcast_figure", "hindcast_section"]

#: Poll files of the real series (``sim/data/targets/``).
POLL_FILES = ("pew_us_favourability_2000_2017.csv", "pew_favourability_2002_2024.csv")


@dataclass(frozen=True)
class HistoryEpisode:
    """A batch scenario that is a history episode, with the target and its bracketing waves."""

    scenario: str
    target: str
    before: int
    after: int
    step: int
    #: A shock in the window that the model does not have (``episodes.csv``), or None.
    common_shock: str | None = None


def _targets_dir() -> Path:
    from sim.world.world import DATA_DIR

    return DATA_DIR / "targets"


def batch_episodes(batch: Batch, episodes_file: Path | None = None) -> list[HistoryEpisode]:
    """Return the episodes of ``episodes.csv`` whose scenario is in the batch (matched by name)."""
    path = episodes_file or _targets_dir() / "episodes.csv"
    if not path.is_file():
        return []
    names = set(batch.scenarios)
    found = []
    seen: set[tuple[str, str]] = set()
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            name = Path(r["scenario"]).stem
            # one figure per scenario and target, placed by its first (bracketing) wave; the
            # later waves of the file are drawn as points all the same
            if name in names and (name, r["target"]) not in seen:
                seen.add((name, r["target"]))
                found.append(
                    HistoryEpisode(
                        name,
                        r["target"],
                        int(r["before_year"]),
                        int(r["after_year"]),
                        int(r["step"]),
                        (r.get("common_shock") or "").strip() or None,
                    )
                )
    return found


def _year(date: str) -> float:
    """``2017-Q2`` → 2017.25 (the start of the quarter, in years)."""
    year, _, quarter = str(date).partition("-Q")
    return int(year) + (int(quarter or 1) - 1) / 4


def hindcast_figure(
    predicted: pd.DataFrame,
    published: Mapping[str, Sequence[tuple[float, float, int]]],
    names: Mapping[str, str],
    target: str,
) -> Figure:
    """Small multiples: per observer, the predicted favourable share and the published waves.

    Args:
        predicted: Rows of the summary ``polls`` table for one scenario and target (observer,
            date, mean, q05, q95).
        published: Observer → (x in years, favourable %, wave year) of each published wave.
        names: ISO3 → country name.
        target: The nation asked about.

    Returns:
        The figure: in each panel one line (gid ``hindcast-<ISO3>``) and one set of points (gid
        ``published-<ISO3>``).

    """
    from matplotlib.figure import Figure

    from sim.report.figures import OKABE_ITO

    observers = list(published)
    cols = min(5, max(len(observers), 1))
    rows = max(1, math.ceil(len(observers) / cols))
    fig = Figure(figsize=(2.3 * cols + 0.6, 2.0 * rows + 0.9), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False, sharey=True)).ravel()
    for ax, code in zip(axes, observers, strict=False):
        sub = predicted[predicted["observer"] == code].sort_values("step")
        x = np.array([_year(d) for d in sub["date"]])
        ax.fill_between(x, sub["q05"], sub["q95"], color=OKABE_ITO[1], alpha=0.25, lw=0)
        (line,) = ax.plot(x, sub["mean"], color=OKABE_ITO[1], lw=1.6, label="model (mean)")
        line.set_gid(f"hindcast-{code}")
        px = [p[0] for p in published[code]]
        py = [p[1] for p in published[code]]
        points = ax.scatter(
            px, py, s=22, color="black", marker="o", zorder=3, label="published (Pew)"
        )
        points.set_gid(f"published-{code}")
        for xi, yi, year in published[code]:
            ax.annotate(f"{year}", (xi, yi), textcoords="offset points", xytext=(3, 3), fontsize=6)
        ax.set_title(f"{names.get(code, code)} ({code})", fontsize=8)
        ax.set_ylim(0, 100)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(_year_locator())
    for ax in axes[len(observers) :]:
        ax.set_visible(False)
    fig.supylabel(f"favourable view of {target} (%)", fontsize=8)
    if observers:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8)
    return fig


def _year_locator():
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins=3, integer=True)


def _published(
    episode: HistoryEpisode,
    polls: Mapping[tuple[str, str, int], float],
    observers: Sequence[str],
    offset: float,
    last: float,
) -> dict[str, list[tuple[float, float, int]]]:
    """Observer → published waves from the earlier wave to the end of the run (x, %, year)."""
    out: dict[str, list[tuple[float, float, int]]] = {}
    for code in observers:
        if (code, episode.target, episode.before) not in polls:
            continue
        if (code, episode.target, episode.after) not in polls:
            continue
        waves = []
        for year in range(episode.before, int(math.floor(last)) + 1):
            if (code, episode.target, year) in polls:
                waves.append((year + offset, polls[code, episode.target, year], year))
        out[code] = waves
    return out


def hindcast_section(batch: Batch, episodes_file: Path | None = None) -> Section | None:
    """Return the "Hindcast" section, or None when the batch runs no history scenario."""
    from sim.analysis.episodes import poll_table

    episodes = batch_episodes(batch, episodes_file)
    if not episodes:
        return None
    section = Section("hindcast", "Hindcast: predicted polls against the published series")
    section.blocks.append(
        Paragraph(
            (
                "For each history scenario of the batch (an episode of "
                "sim/data/targets/episodes.csv), the model's predicted favourable share per "
                "surveyed country over the quarters of the run (line: mean over runs; band: "
                f"5th–95th percentile, the {interval_caption(batch.manifest)[:-1]}) against the "
                "published Pew Research Center waves (points, labelled by year; the wave of each "
                "year placed at the quarter of the later bracketing wave). The runs start from "
                "the bundled world of the scenario (the world of 2024, with the differences "
                "stated in the scenario), so the level can sit apart from the published one; "
                "the calibration fits the change between the bracketing waves "
                "(docs/validation.md).",
            )
        )
    )
    polls_summary = batch.tables.get("polls")
    real = poll_table([_targets_dir() / f for f in POLL_FILES])
    world = batch.world
    names = dict(zip(world.iso3, world.name, strict=True))
    for ep in episodes:
        predicted = (
            polls_summary[
                (polls_summary["scenario"] == ep.scenario) & (polls_summary["target"] == ep.target)
            ]
            if polls_summary is not None
            else pd.DataFrame()
        )
        title = batch.title(ep.scenario)
        if predicted.empty:
            section.blocks.append(
                Paragraph(
                    (
                        f"{title}: the batch recorded no polls of {ep.target}; add it to "
                        "record.perception_targets to see the hindcast.",
                    )
                )
            )
            continue
        first = predicted.loc[predicted["step"].idxmin()]
        start = _year(first["date"]) - int(first["step"]) / 4
        at_wave = start + ep.step / 4
        offset = at_wave - math.floor(at_wave)
        last = float(max(_year(d) for d in predicted["date"]))
        observers = sorted(set(predicted["observer"]) - {ep.target})
        published = _published(ep, real, observers, offset, last)
        if not published:
            continue
        section.blocks.append(
            FigureBlock(
                f"hindcast-{ep.scenario}-{ep.target}",
                f"{title}: predicted favourable view of {ep.target} against the published polls",
                f"Favourable view of {ep.target} in the {len(published)} countries surveyed in "
                f"both {ep.before} and {ep.after}. Line: the model's predicted share under "
                f"{ep.scenario}; points: the published waves from {ep.before} on."
                + (
                    f" The model does not have a shock of this window that every country felt "
                    f"({ep.common_shock.split(':')[0]}); the calibration fits the differences "
                    "between countries here, so a common fall of the points is not in the line."
                    if ep.common_shock
                    else ""
                ),
                hindcast_figure(predicted, published, names, ep.target),
            )
        )
    return section if len(section.blocks) > 1 else None
