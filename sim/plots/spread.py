"""Figures of the waves of events (`sim.analysis.spread`): the mean change by distance in hops
over time, one panel per event, and small-multiple world maps of one event's wave.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from sim.analysis.spread import EventSpread, Spread
from sim.plots.maps import add_colorbar, diverging_norm, draw_choropleth
from sim.plots.palette import DIVERGING, SEQUENTIAL

__all__ = ["largest_events", "wave_figure", "wave_maps"]


def largest_events(result: Spread, count: int) -> list[EventSpread]:
    """Return the ``count`` events with the largest mean |change| over observers and steps, in
    plan order.
    """
    size = [float(np.abs(ev.change[ev.step :]).mean()) for ev in result.events]
    order = sorted(np.argsort(size, kind="stable")[::-1][:count])
    return [result.events[i] for i in order]


def wave_figure(result: Spread, *, panels: int = 12) -> Figure:
    """Return the wave of each of the largest ``panels`` events: the mean change of attraction
    to the actor (scenario minus the run without the event) over time, one line per distance
    in hops from the hit nations (dark: near, light: far).
    """
    events = largest_events(result, panels)
    cols = min(3, len(events))
    rows = -(-len(events) // cols)
    fig = Figure(figsize=(4.2 * cols, 2.9 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    table = result.table()
    cmap = colormaps[SEQUENTIAL]
    for ax, ev in zip(axes, events, strict=False):
        rows_of = table[table["event"] == ev.label]
        reached = sorted(h for h in rows_of["hops"].unique() if h >= 0)
        for h in reached:
            line = rows_of[rows_of["hops"] == h]
            colour = cmap(0.05 + 0.85 * h / max(1, max(reached)))
            n_obs = int(line["observers"].iloc[0])
            ax.plot(line["step"], line["mean_change"], color=colour, lw=1.6, label=f"{h} ({n_obs})")
        ax.axhline(0.0, color="#888888", lw=0.6)
        ax.set_title(ev.label, fontsize=8)
        ticks = list(range(ev.step, len(result.dates), max(1, (len(result.dates) - ev.step) // 4)))
        ax.set_xticks(ticks, [result.dates[t] for t in ticks], fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(title="hops (nations)", fontsize=6, title_fontsize=6, loc="best")
    for ax in axes[len(events) :]:
        ax.set_axis_off()
    fig.supylabel("change of attraction to the actor", fontsize=9)
    fig.suptitle(
        f"{result.title}: how each event's effect spreads (seed {result.seed})", fontsize=10
    )
    return fig


def wave_maps(
    result: Spread, event: EventSpread | None = None, offsets: Sequence[int] = (1, 2, 4, 8)
) -> Figure:
    """Return small-multiple maps of one event's wave (default: the largest event): each
    observer's change of attraction to the actor at ``offsets`` quarters after it acted, on one
    diverging colour scale; the hit nations are named in the title.
    """
    ev = event if event is not None else largest_events(result, 1)[0]
    last = len(result.dates) - 1
    steps = sorted({min(ev.step + o, last) for o in offsets})
    values = ev.change[steps]
    observers = np.arange(len(result.iso3)) != ev.actor
    norm = diverging_norm(values[:, observers].ravel())
    fig = Figure(figsize=(9.0, 2.6 * -(-len(steps) // 2) + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(-(-len(steps) // 2), 2, squeeze=False)).ravel()
    art = None
    for ax, s, row in zip(axes, steps, values, strict=False):
        data = {c: float(v) for c, v, o in zip(result.iso3, row, observers, strict=True) if o}
        art = draw_choropleth(ax, data, cmap=DIVERGING, norm=norm)
        ax.set_title(f"{result.dates[s]} (+{s - ev.step} quarters)", fontsize=8)
    for ax in axes[len(steps) :]:
        ax.set_axis_off()
    if art is not None:
        add_colorbar(fig, axes[: len(steps)].tolist(), art, "change of attraction to the actor")
    hit = ", ".join(result.iso3[i] for i in ev.hit[:8]) + ("…" if len(ev.hit) > 8 else "")
    fig.suptitle(f"{ev.label}: the wave (hit: {hit})", fontsize=10)
    return fig
