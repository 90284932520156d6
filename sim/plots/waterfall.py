"""Waterfall chart of a scenario's change split among its events (e.g. Shapley effects).

The chart starts from the value with no event, adds each component's effect as a floating bar —
largest |effect| first, the smallest grouped as "other (k events)" when there are many — and ends
at the scenario's value. Rises are blue and falls orange (Okabe–Ito, colour-blind safe); the
start and end bars are grey. Drawing goes onto a caller's `matplotlib.axes.Axes`, so it works in
a pyplot-free `matplotlib.figure.Figure`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.container import BarContainer

__all__ = [
    "UP",
    "DOWN",
    "ENDS",
    "WaterfallSteps",
    "draw_waterfall",
    "waterfall_steps",
]

#: Okabe & Ito (2008) blue, for components that raise the value.
UP = "#0072B2"
#: Okabe & Ito (2008) orange, for components that lower it.
DOWN = "#E69F00"
#: Neutral grey for the start (no event) and end (scenario) bars.
ENDS = "#7F7F7F"


@dataclass(frozen=True)
class WaterfallSteps:
    """The bars of a waterfall, start and end included.

    Attributes:
        labels: One label per bar: the start label, the shown components, the end label.
        bottoms: Where each bar starts (0 for the start and end bars).
        heights: Each bar's signed height; ``bottoms[i] + heights[i]`` is the running value.
        kinds: ``"start"``, ``"up"``, ``"down"`` or ``"end"`` per bar.

    """

    labels: tuple[str, ...]
    bottoms: tuple[float, ...]
    heights: tuple[float, ...]
    kinds: tuple[str, ...]

    @property
    def end(self) -> float:
        """The scenario's value: the top of the last bar."""
        return self.bottoms[-1] + self.heights[-1]


def waterfall_steps(
    components: Sequence[str],
    effects: Sequence[float],
    *,
    start: float,
    max_shown: int = 10,
    start_label: str = "no events",
    end_label: str = "scenario",
) -> WaterfallSteps:
    """Order and group the effects into waterfall bars (no drawing).

    Components are sorted by |effect|, largest first (ties keep their given order). When there are
    more than ``max_shown``, the first ``max_shown − 1`` are kept and the rest are summed into one
    ``"other (k events)"`` bar, so at most ``max_shown`` component bars appear.

    Args:
        components: Component names.
        effects: Each component's effect, same length.
        start: The value with no component.
        max_shown: Most component bars to show (≥ 1).
        start_label: Label of the first bar.
        end_label: Label of the last bar.

    Returns:
        The bars, with the last one's top at ``start + sum(effects)``.

    Raises:
        ValueError: If lengths differ, a value is not finite or ``max_shown < 1``.

    Example:
        >>> steps = waterfall_steps(["a", "b"], [1.0, -3.0], start=10.0)
        >>> steps.labels, steps.end
        (('no events', 'b', 'a', 'scenario'), 8.0)

    """
    names = [str(c) for c in components]
    values = [float(e) for e in effects]
    if len(names) != len(values):
        raise ValueError(f"{len(names)} components but {len(values)} effects")
    if max_shown < 1:
        raise ValueError(f"max_shown is {max_shown}; expected ≥ 1")
    if not all(math.isfinite(v) for v in [*values, float(start)]):
        raise ValueError("start and effects must be finite")
    order = sorted(range(len(values)), key=lambda i: -abs(values[i]))
    shown = [(names[i], values[i]) for i in order]
    if len(shown) > max_shown:
        rest = shown[max_shown - 1 :]
        noun = "event" if len(rest) == 1 else "events"
        other = math.fsum(v for _, v in rest)
        shown = [*shown[: max_shown - 1], (f"other ({len(rest)} {noun})", other)]
    labels, bottoms, heights, kinds = [start_label], [0.0], [float(start)], ["start"]
    level = float(start)
    for name, effect in shown:
        labels.append(name)
        bottoms.append(level)
        heights.append(effect)
        kinds.append("up" if effect >= 0 else "down")
        level += effect
    # The end bar uses the exactly summed total, not the running sum, so it equals start + Σ.
    end = float(start) + math.fsum(values)
    labels.append(end_label)
    bottoms.append(0.0)
    heights.append(end)
    kinds.append("end")
    return WaterfallSteps(tuple(labels), tuple(bottoms), tuple(heights), tuple(kinds))


def draw_waterfall(
    ax: Axes,
    components: Sequence[str],
    effects: Sequence[float],
    *,
    start: float,
    title: str = "",
    unit: str = "points",
    max_shown: int = 10,
    decimals: int = 2,
    start_label: str = "no events",
    end_label: str = "scenario",
) -> BarContainer:
    """Draw a waterfall from the no-event value through each effect to the scenario's value.

    Args:
        ax: Axes to draw on (e.g. from ``Figure().subplots()``; no pyplot needed).
        components: Component names (events or groups of events).
        effects: Each component's effect on the value, same length.
        start: The value with no component.
        title: Axes title.
        unit: Unit of the value, shown on the y axis.
        max_shown: Most component bars; smaller effects are grouped as "other (k events)".
        decimals: Decimals in the value labels.
        start_label: Label of the first bar (the value with no component).
        end_label: Label of the last bar (the scenario's value).

    Returns:
        The bars: start, one per shown component, end. The last bar's top
        (``get_y() + get_height()``) is ``start + sum(effects)``.

    Raises:
        ValueError: As `waterfall_steps`.

    """
    steps = waterfall_steps(
        components,
        effects,
        start=start,
        max_shown=max_shown,
        start_label=start_label,
        end_label=end_label,
    )
    colours = {"start": ENDS, "end": ENDS, "up": UP, "down": DOWN}
    x = np.arange(len(steps.labels))
    bars = ax.bar(
        x,
        steps.heights,
        bottom=steps.bottoms,
        width=0.7,
        color=[colours[k] for k in steps.kinds],
        edgecolor="white",
        linewidth=0.5,
        zorder=2,
    )
    # Thin connectors from the top of each bar to the start of the next.
    levels = [b + h for b, h in zip(steps.bottoms, steps.heights, strict=True)]
    for i in range(len(levels) - 1):
        ax.plot(
            [x[i] + 0.35, x[i + 1] - 0.35],
            [levels[i], levels[i]],
            color="#555555",
            linewidth=0.6,
            linestyle=":",
            zorder=1,
        )
    texts = [
        f"{h:+.{decimals}f}" if kind in ("up", "down") else f"{h:.{decimals}f}"
        for h, kind in zip(steps.heights, steps.kinds, strict=True)
    ]
    ax.bar_label(bars, labels=texts, padding=2, fontsize=7)
    ax.set_xticks(x, [textwrap.shorten(label, width=28, placeholder="…") for label in steps.labels])
    for tick in ax.get_xticklabels():
        tick.set_rotation(35)
        tick.set_horizontalalignment("right")
    ax.set_ylabel(unit)
    if title:
        ax.set_title(title)
    _set_limits(ax, levels, unit)
    return bars


def _set_limits(ax: Axes, levels: Sequence[float], unit: str) -> None:
    """Fit the y axis to the running values, leaving out 0 when it would squash the steps."""
    low, high = min(levels), max(levels)
    span = high - low
    pad = 0.15 * span if span > 0 else 0.1 * max(abs(low), abs(high), 1.0)
    if (low > 0 and span < 0.3 * high) or (high < 0 and span < 0.3 * -low):
        ax.set_ylim(low - pad, high + pad)
        ax.set_ylabel(f"{unit} (axis does not include 0)")
    else:
        ax.set_ylim(min(low, 0.0) - pad, max(high, 0.0) + pad)
        ax.axhline(0.0, color="#333333", linewidth=0.6, zorder=1)
