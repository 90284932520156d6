"""The app's chart of scores over time, written directly as SVG text.

A step of the app used to redraw this chart with matplotlib, which took about a third of the
server's CPU per step (text layout and the SVG backend; issue 24, finding 14: eight students
on one server). The chart is simple (lines over a few year ticks), so it is written here as
SVG elements in points: the same size, axes box, colours, line styles, markers and 12 pt text
as the matplotlib chart had, about fifty times quicker, and the same bytes for the same run.
"""

from __future__ import annotations

import html
import math
import textwrap

import numpy as np

from sim.model.model import SoftPowerModel

__all__ = ["MEASURES", "TEXT_PT", "ScoreChart", "nice_ticks", "score_figure"]

#: Text size of the score chart in points: 12 px or more on screen at the card's full width.
TEXT_PT = 12

#: What the score chart can show: the score, or one of its two parts (docs/ODD.md).
MEASURES: dict[str, str] = {
    "score": "soft power score (0–100)",
    "familiarity": "familiarity (0–100)",
    "reputation": "reputation (0–100)",
}

# Okabe-Ito colours (colour-blind safe); past seven nations the dash pattern changes too, and
# each line ends in its own marker, so no line relies on hue alone.
_LINE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_DASHES = ("", "5.9,2.6", "10.2,2.6,1.6,2.6", "1.6,2.6")  # solid, dashed, dash-dot, dotted
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_FONT = "DejaVu Sans, Arial, sans-serif"
_INK = "#222222"


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Return round tick values inside [low, high]: multiples of 1, 2, 2.5 or 5 × 10^k, the
    finest step that gives at most ``most`` ticks (as matplotlib's ``MaxNLocator(5)``).

    Args:
        low: Bottom of the axis.
        high: Top of the axis.
        most: Largest number of ticks.

    Returns:
        The ticks, ascending (``[low]`` when the axis has no height).
    """
    if not high > low:
        return [low]
    exponent = math.floor(math.log10((high - low) / most)) - 1
    while True:
        for mantissa in (1.0, 2.0, 2.5, 5.0):
            step = mantissa * 10.0**exponent
            first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
            if last - first + 1 <= most:
                return [round(k * step, 10) for k in range(first, last + 1)]
        exponent += 1


def _text(
    text: str, x: float, y: float, *, size: float = TEXT_PT, anchor: str = "middle", extra=""
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="{_FONT}" fill="{_INK}"{extra}>{html.escape(text)}</text>'
    )


def _marker(shape: str, x: float, y: float, colour: str, size: float = 6.0) -> str:
    """A filled marker of ``size`` points centred on (x, y), as matplotlib draws them."""
    r = size / 2
    if shape == "o":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}"/>'
    outlines = {
        "s": [(-r, -r), (r, -r), (r, r), (-r, r)],
        "^": [(0, -r), (r, r), (-r, r)],
        "v": [(0, r), (r, -r), (-r, -r)],
        "D": [(0, -r), (r, 0), (0, r), (-r, 0)],
        "P": [
            (-r / 3, -r),
            (r / 3, -r),
            (r / 3, -r / 3),
            (r, -r / 3),
            (r, r / 3),
            (r / 3, r / 3),
            (r / 3, r),
            (-r / 3, r),
            (-r / 3, r / 3),
            (-r, r / 3),
            (-r, -r / 3),
            (-r / 3, -r / 3),
        ],  # fmt: skip
        "X": [
            (-r, -r + r / 3),
            (-r + r / 3, -r),
            (0, -r / 3),
            (r - r / 3, -r),
            (r, -r + r / 3),
            (r / 3, 0),
            (r, r - r / 3),
            (r - r / 3, r),
            (0, r / 3),
            (-r + r / 3, r),
            (-r, r - r / 3),
            (-r / 3, 0),
        ],  # fmt: skip
    }
    points = " ".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in outlines[shape])
    return f'<polygon points="{points}" fill="{colour}"/>'


def _polyline(xs: np.ndarray, ys: np.ndarray, colour: str, width: float, dash: str) -> str:
    keep = np.isfinite(ys)
    if keep.sum() < 1:
        return ""
    points = " ".join(f"{x:.2f},{y:.2f}" for x, y in zip(xs[keep], ys[keep], strict=True))
    pattern = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="{width}" '
        f'stroke-linejoin="round" stroke-linecap="butt"{pattern}/>'
    )


def _year_ticks(model: SoftPowerModel) -> tuple[list[int], list[str]]:
    quarter = model.plan.start[1]
    first = (4 - (quarter - 1)) % 4  # steps until the next Q1
    ticks = list(range(first, model.horizon + 1, 4))
    return ticks, [model.spec.date(t)[:4] for t in ticks]


class ScoreChart:
    """Scores over time for chosen nations, one SVG per step.

    Drawn for a column of 340 px or more beside the map (`sim.viz.layout`): 4.2 in is 403 px
    in the browser, so its 12 pt (16 px) text is 12 px or more on screen wherever the chart is
    302 px wide or more (issue 24: 3-4 px in a half card).

    Attributes:
        size: Width and height in inches.
        box: The axes' left, bottom, width and height as fractions of the chart.
    """

    def __init__(self) -> None:
        self.size = (4.2, 3.1)  # inches
        self.box = (0.17, 0.13, 0.55, 0.76)

    def draw(
        self,
        model: SoftPowerModel,
        nations: tuple[str, ...] | list[str],
        other: SoftPowerModel | None = None,
        measure: str = "score",
    ) -> bytes:
        """Draw the scores of ``nations`` from step 0 to now; return SVG bytes.

        Args:
            model: The model.
            nations: ISO3 codes of the nations to draw (codes outside the world are left out).
            other: A comparison run: its scores are drawn thin and dashed in the same colours.
            measure: What to draw (a key of `MEASURES`): the score, or its familiarity or
                reputation part.

        Raises:
            ValueError: An unknown measure.
        """
        if measure not in MEASURES:
            raise ValueError(f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
        nations = [code for code in nations if code in model.iso3]
        width, height = (72.0 * x for x in self.size)
        left, bottom, w, h = self.box
        x0, x1 = width * left, width * (left + w)
        y0, y1 = height * (1 - bottom - h), height * (1 - bottom)  # top and bottom of the axes
        horizon = max(model.horizon, 1)
        steps = np.arange(model.steps + 1)
        values = getattr(model.recorder, measure)[: model.steps + 1]
        mine = values[:, [model.iso3.index(c) for c in nations]]
        shown = [mine]
        theirs = None
        if other is not None:
            theirs = getattr(other.recorder, measure)[: other.steps + 1]
            shown.append(theirs[:, [other.iso3.index(c) for c in nations if c in other.iso3]])
        finite = np.concatenate([x[np.isfinite(x)] for x in shown if x.size] or [np.zeros(0)])
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            pad = max(2.0, 0.08 * (high - low))
            bottom_value, top_value = max(0.0, low - pad), min(100.0, high + pad)
        else:
            bottom_value, top_value = 0.0, 100.0

        def sx(step: np.ndarray | float) -> np.ndarray:
            return x0 + (x1 - x0) * np.asarray(step, dtype=float) / horizon

        def sy(value: np.ndarray | float) -> np.ndarray:
            share = (np.asarray(value, dtype=float) - bottom_value) / (top_value - bottom_value)
            return y1 - (y1 - y0) * share

        parts = [
            '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.1f}pt" '
            f'height="{height:.1f}pt" viewBox="0 0 {width:.1f} {height:.1f}" version="1.1">',
            f'<rect width="{width:.1f}" height="{height:.1f}" fill="#ffffff"/>',
        ]
        grid = 'stroke="#e5e5e5" stroke-width="0.6"'
        ticks, labels = _year_ticks(model)
        every = max(1, -(-len(ticks) // 4))  # four year labels at most
        for step, label in zip(ticks[::every], labels[::every], strict=True):
            x = float(sx(step))
            parts.append(f'<line x1="{x:.1f}" y1="{y0:.1f}" x2="{x:.1f}" y2="{y1:.1f}" {grid}/>')
            parts.append(f'<line x1="{x:.1f}" y1="{y1:.1f}" x2="{x:.1f}" y2="{y1 + 3.5:.1f}" '
                         f'stroke="{_INK}" stroke-width="0.8"/>')  # fmt: skip
            parts.append(_text(label, x, y1 + 3.5 + TEXT_PT))
        for value in nice_ticks(bottom_value, top_value):
            y = float(sy(value))
            parts.append(f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" {grid}/>')
            parts.append(f'<line x1="{x0 - 3.5:.1f}" y1="{y:.1f}" x2="{x0:.1f}" y2="{y:.1f}" '
                         f'stroke="{_INK}" stroke-width="0.8"/>')  # fmt: skip
            parts.append(_text(f"{value:g}", x0 - 6, y + 0.35 * TEXT_PT, anchor="end"))
        label_x, label_y = x0 - 3.5 - 2.6 * TEXT_PT, (y0 + y1) / 2
        parts.append(
            _text(
                MEASURES[measure],
                label_x,
                label_y,
                extra=f' transform="rotate(-90 {label_x:.1f} {label_y:.1f})"',
            )
        )
        now = float(sx(model.steps))
        parts.append(
            f'<line x1="{now:.1f}" y1="{y0:.1f}" x2="{now:.1f}" y2="{y1:.1f}" stroke="#999999" '
            'stroke-width="0.8" stroke-dasharray="0.8,1.3"/>'
        )
        legend_x = x1 + 8.0
        for n, code in enumerate(nations):
            colour = _LINE_COLOURS[n % len(_LINE_COLOURS)]
            dash = _DASHES[(n // len(_LINE_COLOURS)) % len(_DASHES)]
            marker = _MARKERS[n % len(_MARKERS)]
            if theirs is not None and other is not None and code in other.iso3:
                column = theirs[:, other.iso3.index(code)]
                parts.append(_polyline(sx(np.arange(len(column))), sy(column), colour, 1.0, "2,2"))
            ys = sy(mine[:, n])
            parts.append(_polyline(sx(steps), ys, colour, 1.6, dash))
            if np.isfinite(ys[-1]):
                parts.append(_marker(marker, float(sx(steps[-1])), float(ys[-1]), colour))
            y = y0 + 12.0 + 1.5 * TEXT_PT * n  # the legend: line, marker, code and value now
            pattern = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="{legend_x:.1f}" y1="{y - 3.5:.1f}" x2="{legend_x + 14:.1f}" '
                f'y2="{y - 3.5:.1f}" stroke="{colour}" stroke-width="2"{pattern}/>'
            )
            parts.append(_marker(marker, legend_x + 7, y - 3.5, colour, size=4.5))
            parts.append(_text(f"{code} {mine[-1, n]:.1f}", legend_x + 18, y, anchor="start"))
        parts.append(
            f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
            f'fill="none" stroke="{_INK}" stroke-width="0.8"/>'
        )
        parts.append(
            _text(
                model.spec.date(model.steps),
                (x0 + x1) / 2,
                y0 - 5,
                size=TEXT_PT + 1,
                extra=' font-weight="bold"',
            )
        )
        if other is not None:
            parts.append(
                _text(
                    textwrap.shorten(f"dashed: {other.spec.title}", width=34, placeholder="…"),
                    x0 + 4,
                    y1 - 6,
                    anchor="start",
                )
            )
        parts.append("</svg>\n")
        return "\n".join(part for part in parts if part).encode()


def score_figure(model: SoftPowerModel, nations: tuple[str, ...] | list[str]) -> bytes:
    """Draw the score chart once as SVG bytes."""
    return ScoreChart().draw(model, nations)
