"""What the app shows, as data and matplotlib figures, independent of Solara.

Every function reads a running model (`sim.model.model.SoftPowerModel` or the app's subclass) and
returns plain data or an SVG image drawn with matplotlib's object interface (no pyplot, so
figures can be drawn from the threads Solara plays the model in). Array axes follow the model:
(observer, audience, actor, channel).
"""

from __future__ import annotations

import base64
import functools
import html
import io
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps, rc_context
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.axes import AUDIENCES, CHANNELS
from sim.model.model import SoftPowerModel

__all__ = [
    "LAYERS",
    "LEAN_CMAP",
    "LEAN_LIMIT",
    "Hotspot",
    "MapImage",
    "NetworkMap",
    "ScoreChart",
    "TopRow",
    "FeedItem",
    "NationView",
    "layer_edges",
    "lean",
    "lean_change",
    "change_limit",
    "network_map",
    "map_html",
    "layer_style",
    "lean_gradient",
    "score_figure",
    "perception_by_region",
    "top_table",
    "event_feed",
    "inspect_nation",
    "svg",
    "data_uri",
]

#: Edge layers of the network view, in the order of the toggles.
LAYERS: tuple[str, ...] = ("trade", "alliance", "rivalry", "aid", "BRI")

#: Diverging, colour-blind-safe map for the lean (ColorBrewer RdBu: pole A blue, pole B red).
LEAN_CMAP = "RdBu"

#: Leans beyond ± this value are drawn at full colour (typical leans lie within ±0.6).
LEAN_LIMIT = 0.6

# Okabe-Ito colours (colour-blind safe) with distinct dash patterns, so no layer relies on hue.
# "css" is the matching border style of the HTML legend.
_LAYER_STYLE = {
    "trade": {"color": "#7f7f7f", "linestyle": "solid", "css": "solid", "label": "trade (≥ 10%)"},
    "alliance": {"color": "#009E73", "linestyle": "solid", "css": "solid", "label": "alliance"},
    "rivalry": {"color": "#D55E00", "linestyle": (0, (4, 2)), "css": "dashed", "label": "rivalry"},
    "aid": {"color": "#E69F00", "linestyle": "solid", "css": "solid", "label": "aid flow"},
    "BRI": {
        "color": "#CC79A7",
        "linestyle": (0, (1, 1.2)),
        "css": "dotted",
        "label": "BRI membership",
    },
}
_LINE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_LINE_STYLES = ("solid", "dashed", "dashdot", "dotted")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")

_TRADE_MIN = 0.10  # share of either partner's trade
_AID_MIN = 0.015  # aid capacity × allocation share (about 90 flows in the 2024 world)


def data_uri(image: bytes) -> str:
    """Return SVG bytes as a ``data:`` URI for an ``<img>`` (the app embeds its figures)."""
    return "data:image/svg+xml;base64," + base64.b64encode(image).decode("ascii")


def svg(fig: Figure, extra: str = "") -> bytes:
    """Return the figure as SVG bytes, text kept as text (no glyph outlines, no raster).

    Smaller and quicker to make than a PNG of the same figure, and sharp at any zoom.

    Args:
        fig: The figure.
        extra: SVG elements to add on top, in points from the top left corner.

    """
    buf = io.BytesIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "softpower"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    image = buf.getvalue()
    if extra:
        end = image.rindex(b"</svg>")
        image = image[:end] + extra.encode() + image[end:]
    return image


def _svg_label(
    text: str, x: float, y: float, *, size: float = 6.5, bold: bool = False, anchor="middle"
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{weight} '
        f'font-family="DejaVu Sans, Arial, sans-serif" fill="#222222">{html.escape(text)}</text>'
    )


def lean(model: SoftPowerModel, pole_a: str, pole_b: str) -> np.ndarray:
    """Return each nation's lean a[i,A] − a[i,B] in [-2, 2] (positive: toward ``pole_a``)."""
    a = model.attraction()
    return a[:, model.iso3.index(pole_a)] - a[:, model.iso3.index(pole_b)]


def lean_change(model: SoftPowerModel, pole_a: str, pole_b: str) -> np.ndarray:
    """Return how far each nation's lean moved since step 0 (positive: toward ``pole_a``)."""
    a0 = model.recorder.attraction[0]  # step 0 is always recorded
    start = a0[:, model.iso3.index(pole_a)] - a0[:, model.iso3.index(pole_b)]
    return lean(model, pole_a, pole_b) - start


def change_limit(change: np.ndarray, floor: float = 0.02) -> float:
    """Return a round colour-scale limit that covers ``change`` (at least ``floor``)."""
    top = max(float(np.max(np.abs(change))), floor)
    scale = 10.0 ** np.floor(np.log10(top))
    return float(np.ceil(top / scale * 2.0) / 2.0 * scale)


def layer_edges(model: SoftPowerModel, layer: str) -> list[tuple[int, int, float]]:
    """Return the edges ``(i, j, weight)`` of one layer as the model has them now.

    Args:
        model: The model.
        layer: One of `LAYERS`: ``trade`` (pairs where either partner sends ≥ 10% of its trade
            to the other; weight = the larger share), ``alliance`` and ``rivalry`` (weight 1),
            ``aid`` (donor → recipient flows of aid capacity × allocation share ≥ 0.015) or
            ``BRI`` (CHN → each BRI member).

    Returns:
        Edges with array indices; undirected layers list each pair once (i < j).

    Raises:
        ValueError: Unknown layer.

    """
    if layer == "trade":
        share = np.triu(np.maximum(model.trade, model.trade.T), 1)
        i, j = np.nonzero(share >= _TRADE_MIN)
        return [(a, b, float(share[a, b])) for a, b in zip(i, j, strict=True)]
    if layer in ("alliance", "rivalry"):
        tie = np.triu(getattr(model, layer), 1)
        i, j = np.nonzero(tie > 0)
        return [(a, b, 1.0) for a, b in zip(i, j, strict=True)]
    if layer == "aid":
        flow = model.capacity[:, CHANNELS.index("aid")][:, None] * model.aid_allocation
        np.fill_diagonal(flow, 0.0)
        i, j = np.nonzero(flow >= _AID_MIN)
        return [(a, b, float(flow[a, b])) for a, b in zip(i, j, strict=True)]
    if layer == "BRI":
        if "BRI" not in model.initiatives or "CHN" not in model.iso3:
            return []
        hub = model.iso3.index("CHN")
        members = np.flatnonzero(model.member_of("BRI"))
        return [(hub, int(j), 1.0) for j in members if j != hub]
    raise ValueError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")


@dataclass(frozen=True)
class Hotspot:
    """A nation's circle on the map image, in image pixels, with its tooltip text."""

    iso3: str
    x: float
    y: float
    r: float
    title: str


@dataclass(frozen=True)
class MapImage:
    """The network map as an SVG image, with the nations' positions (in image pixels) for
    tooltips and the number of edges drawn per layer.
    """

    image: bytes
    width: int
    height: int
    hotspots: tuple[Hotspot, ...]
    edge_counts: dict[str, int]
    alt: str
    colour: str = "lean"  # what the colour shows: "lean" now or its "change" since step 0
    limit: float = LEAN_LIMIT  # values beyond ± this get the full colour


def _sizes(score: np.ndarray) -> np.ndarray:
    return 12.0 + 3.2 * np.asarray(score)


class NetworkMap:
    """The world network view: built once per session, redrawn for each step.

    Nations sit at their capitals (longitude, latitude), coloured by their lean between two
    poles and sized by their soft power score; edges are drawn per layer. Building a figure's
    axes costs more than drawing it, so the figure is kept and only its data change.

    Args:
        width: Image width in pixels.
        height: Image height in pixels.
        dpi: Pixels per inch: the image is ``width`` × ``height`` pixels at this resolution.
        labels: How many of the highest-ranked nations get a code label (poles always do).

    Example:
        >>> drawer = NetworkMap()
        >>> image = drawer.draw(model, "USA", "CHN", ("alliance", "aid"))  # doctest: +SKIP

    """

    def __init__(self, width: int = 860, height: int = 390, dpi: int = 100, labels: int = 15):
        self.width, self.height, self.dpi, self.labels = width, height, dpi, labels
        self.figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        ax = self.figure.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(-180.0, 180.0)
        ax.set_ylim(-58.0, 75.0)
        ax.set_facecolor("#f4f7fa")
        ax.set_xticks([])
        ax.set_yticks([])
        graticule = [((x, -90.0), (x, 90.0)) for x in range(-150, 181, 30)]
        graticule += [((-180.0, y), (180.0, y)) for y in range(-30, 61, 30)]
        ax.add_collection(LineCollection(graticule, colors="#dde3ea", linewidths=0.6, zorder=0))
        self.ax = ax
        self._nations: tuple[str, ...] = ()
        self._points = None
        self._poles = None
        self._edges: list[LineCollection] = []

    def _place(self, model: SoftPowerModel) -> None:
        """Create the nation artists for ``model``'s world (again only if the nations change)."""
        if self._nations == tuple(model.iso3):
            return
        for artist in [self._points, self._poles]:
            if artist is not None:
                artist.remove()
        w = model.world
        xy = np.column_stack([np.asarray(w.lon, float), np.asarray(w.lat, float)])
        self._xy = xy
        kwargs = {"cmap": LEAN_CMAP, "norm": Normalize(-1.0, 1.0, clip=True), "zorder": 3}
        self._points = self.ax.scatter(
            xy[:, 0], xy[:, 1], c=np.zeros(len(xy)), edgecolors="#404040", linewidths=0.4, **kwargs
        )
        self._poles = self.ax.scatter(
            xy[:2, 0], xy[:2, 1], c=np.zeros(2), edgecolors="black", linewidths=2.0, **kwargs
        )
        self._nations = tuple(model.iso3)

    def draw(
        self,
        model: SoftPowerModel,
        pole_a: str = "USA",
        pole_b: str = "CHN",
        layers: tuple[str, ...] | frozenset[str] = ("rivalry", "aid", "BRI"),
        colour: str = "lean",
    ) -> MapImage:
        """Draw the model's current step.

        Args:
            model: The model.
            pole_a: Nation whose side of the lean is blue.
            pole_b: Nation whose side of the lean is red.
            layers: Edge layers to draw (see `layer_edges`).
            colour: ``"lean"`` (the lean now, on a fixed ±`LEAN_LIMIT` scale) or ``"change"``
                (how far the lean moved since step 0, on a scale that fits the largest move).

        Returns:
            The `MapImage`.

        """
        if colour not in ("lean", "change"):
            raise ValueError(f"unknown colour {colour!r}; expected lean or change")
        self._place(model)
        w, xy, step = model.world, self._xy, model.steps
        score, rank = model.recorder.score[step], model.recorder.rank[step]
        leans = lean(model, pole_a, pole_b)
        moved = lean_change(model, pole_a, pole_b)
        values, limit = (leans, LEAN_LIMIT) if colour == "lean" else (moved, change_limit(moved))
        sizes = _sizes(score)
        ends = [model.iso3.index(pole_a), model.iso3.index(pole_b)]
        for points, chosen in ((self._points, slice(None)), (self._poles, ends)):
            points.set_sizes(sizes[chosen])
            points.set_array(values[chosen])
            points.set_clim(-limit, limit)
        self._poles.set_offsets(xy[ends])

        for collection in self._edges:
            collection.remove()
        self._edges = []
        counts = {}
        for layer in LAYERS:
            if layer not in layers:
                continue
            edges = layer_edges(model, layer)
            counts[layer] = len(edges)
            if not edges:
                continue
            weights = np.array([wt for *_, wt in edges])
            scale = {"aid": 60.0, "trade": 4.0}.get(layer)
            # A few width classes, one collection each: per-segment widths are slow to draw.
            widths = (
                np.round(np.clip(weights * scale, 0.5, 2.5) * 2.0) / 2.0
                if scale
                else np.full(len(edges), 1.2 if layer == "BRI" else 0.8)
            )
            style = _LAYER_STYLE[layer]
            for width in np.unique(widths):
                segments = [
                    (xy[i], xy[j])
                    for (i, j, _), keep in zip(edges, widths == width, strict=True)
                    if keep
                ]
                collection = LineCollection(
                    segments,
                    colors=style["color"],
                    linestyles=style["linestyle"],
                    linewidths=float(width),
                    alpha=0.8 if layer == "BRI" else 0.55,
                    zorder=1,
                )
                self.ax.add_collection(collection)
                self._edges.append(collection)

        pixels = self.ax.transData.transform(xy)
        # Labels go into the SVG as plain <text>: laying text out is what matplotlib is slowest
        # at. The poles and the leaders get one; the tooltips name every nation.
        pt = 72.0 / self.dpi  # the SVG's user unit is the point
        labels = [
            _svg_label(
                model.iso3[i],
                pixels[i, 0] * pt,
                (self.height - pixels[i, 1]) * pt - 2.5 - np.sqrt(sizes[i]) / 2.0,
                bold=i in ends,
            )
            for i in sorted(set(np.argsort(rank)[: self.labels].tolist()) | set(ends))
        ]
        labels.append(
            _svg_label(f"{model.spec.date(step)} · step {step}", 4, 12, size=9, anchor="start")
        )
        image = svg(self.figure, extra="".join(labels))
        radius = np.maximum(np.sqrt(sizes) / 2.0 * self.dpi / 72.0, 5.0)
        hotspots = tuple(
            Hotspot(
                iso3=code,
                x=float(pixels[i, 0]),
                y=float(self.height - pixels[i, 1]),
                r=float(radius[i]),
                title=(
                    f"{w.name[i]} ({code}): score {score[i]:.1f}, rank {rank[i]}; "
                    f"lean {leans[i]:+.2f} toward {pole_a if leans[i] >= 0 else pole_b} "
                    f"({moved[i]:+.3f} since the start)"
                ),
            )
            for i, code in enumerate(model.iso3)
        )
        toward_a = int((leans > 0).sum())
        alt = (
            f"Map of {model.n} nations at their capitals, {model.spec.date(step)}: "
            f"{toward_a} lean toward {pole_a}, {model.n - toward_a} toward {pole_b}; "
            f"{int((moved < 0).sum())} moved toward {pole_b} since the start; "
            f"edges: {', '.join(counts) or 'none'}."
        )
        return MapImage(image, self.width, self.height, hotspots, counts, alt, colour, limit)


def network_map(
    model: SoftPowerModel,
    pole_a: str = "USA",
    pole_b: str = "CHN",
    layers: tuple[str, ...] | frozenset[str] = ("rivalry", "aid", "BRI"),
    colour: str = "lean",
) -> MapImage:
    """Draw the network view of ``model`` once (see `NetworkMap` to redraw step after step)."""
    return NetworkMap().draw(model, pole_a, pole_b, layers, colour)


def layer_style(layer: str) -> dict[str, str]:
    """Return the legend of a layer: its colour, CSS dash style and label."""
    style = _LAYER_STYLE[layer]
    return {"color": style["color"], "dash": style["css"], "label": style["label"]}


@functools.cache
def lean_gradient(stops: int = 9) -> str:
    """Return a CSS ``linear-gradient`` of the lean colours, pole B (left) to pole A (right)."""
    cmap = colormaps[LEAN_CMAP]
    colours = [to_hex(cmap(x)) for x in np.linspace(0.0, 1.0, stops)]
    return f"linear-gradient(to right, {', '.join(colours)})"


def map_html(image: MapImage, name: str = "softpower-map") -> str:
    """Return HTML showing the map with a native tooltip (``<area title>``) over each nation."""
    areas = "".join(
        f'<area shape="circle" coords="{h.x:.0f},{h.y:.0f},{h.r:.0f}" '
        f'title="{html.escape(h.title)}" alt="{html.escape(h.title)}" data-iso3="{h.iso3}">'
        for h in image.hotspots
    )
    return (
        f'<img src="{data_uri(image.image)}" usemap="#{name}" width="{image.width}" '
        f'height="{image.height}" alt="{html.escape(image.alt)}" class="softpower-map" '
        f'style="max-width:none">'
        f'<map name="{name}">{areas}</map>'
    )


def _year_ticks(model: SoftPowerModel) -> tuple[list[int], list[str]]:
    start = model.spec.start
    first = (4 - (start.q - 1)) % 4  # steps until the next Q1
    ticks = list(range(first, model.horizon + 1, 4))
    return ticks, [model.spec.date(t)[:4] for t in ticks]


class ScoreChart:
    """Soft power score over time for chosen nations: built once, redrawn for each step.

    Args:
        dpi: Resolution.

    """

    def __init__(self, dpi: int = 100):
        self.dpi = dpi
        self.size = (6.4, 3.3)  # inches
        self.figure = Figure(figsize=self.size, dpi=dpi)
        # Fixed axes: a layout engine costs more than the drawing itself.
        self.box = (0.09, 0.09, 0.74, 0.82)
        self.ax = self.figure.add_axes(self.box)
        self.ax.grid(True, color="#e5e5e5", lw=0.6)
        self.ax.tick_params(labelsize=7)
        self.ax.set_ylabel("soft power score (0–100)", fontsize=8)
        self.ax.yaxis.set_major_locator(MaxNLocator(5))
        self._now = self.ax.axvline(0, color="#999999", lw=0.8, linestyle="dotted")
        self._key: tuple = ()
        self._lines: dict[str, Line2D] = {}

    def draw(self, model: SoftPowerModel, nations: tuple[str, ...] | list[str]) -> bytes:
        """Draw the scores of ``nations`` from step 0 to now; return SVG bytes."""
        ax = self.ax
        nations = [code for code in nations if code in model.iso3]
        key = (id(model.spec), model.horizon, tuple(nations))
        if key != self._key:
            for line in self._lines.values():
                line.remove()
            self._lines = {}
            for n, code in enumerate(nations):
                (self._lines[code],) = ax.plot(
                    [],
                    [],
                    color=_LINE_COLOURS[n % len(_LINE_COLOURS)],
                    linestyle=_LINE_STYLES[(n // len(_LINE_COLOURS)) % len(_LINE_STYLES)],
                    marker=_MARKERS[n % len(_MARKERS)],
                    markersize=4,
                    lw=1.6,
                )
            ax.set_xlim(0, model.horizon)
            ticks, labels = _year_ticks(model)
            every = max(1, len(ticks) // 6)  # tick labels are the costliest part of the chart
            ax.set_xticks(ticks[::every], labels[::every])
            self._key = key
        steps = np.arange(model.steps + 1)
        scores = model.recorder.score[: model.steps + 1]
        for code, line in self._lines.items():
            line.set_data(steps, scores[:, model.iso3.index(code)])
            line.set_markevery([len(steps) - 1])
        if self._lines:
            shown = scores[:, [model.iso3.index(c) for c in self._lines]]
            low, high = float(shown.min()), float(shown.max())
            pad = max(2.0, 0.08 * (high - low))
            ax.set_ylim(max(0.0, low - pad), min(100.0, high + pad))
        self._now.set_xdata([model.steps, model.steps])
        return svg(self.figure, extra=self._legend(model, scores[-1]))

    def _legend(self, model: SoftPowerModel, now: np.ndarray) -> str:
        """Title and legend as SVG text in points (cheaper than matplotlib's text layout)."""
        width, height = (72.0 * x for x in self.size)
        left, bottom, w, h = self.box
        top = height * (1.0 - bottom - h)
        parts = [
            _svg_label(
                model.spec.date(model.steps), width * (left + w / 2), top - 5, size=9, bold=True
            )
        ]
        x = width * (left + w) + 8.0
        for n, (code, line) in enumerate(self._lines.items()):
            y = top + 10.0 + 13.0 * n
            dash = {"-": "", "--": "4,2", "-.": "4,2,1,2", ":": "1,2"}
            parts.append(
                f'<line x1="{x:.1f}" y1="{y - 2.5:.1f}" x2="{x + 14:.1f}" y2="{y - 2.5:.1f}" '
                f'stroke="{line.get_color()}" stroke-width="1.6" '
                f'stroke-dasharray="{dash.get(line.get_linestyle(), "")}"/>'
            )
            score = float(now[model.iso3.index(code)])
            parts.append(_svg_label(f"{code} {score:.1f}", x + 18, y, size=7, anchor="start"))
        return "".join(parts)


def score_figure(model: SoftPowerModel, nations: tuple[str, ...] | list[str]) -> bytes:
    """Draw the score chart once as SVG bytes (see `ScoreChart` to redraw step after step)."""
    return ScoreChart().draw(model, nations)


def perception_by_region(
    model: SoftPowerModel, actor: str
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return how each region's audiences see ``actor`` now and the change since step 0.

    Perception is weighted over channels as attraction is (ω), then averaged over the nations
    of each UN region (the actor itself left out).

    Returns:
        ``(regions, now, change)`` with ``now`` and ``change`` of shape (region, audience).

    """
    k = model.iso3.index(actor)
    weights = np.asarray(model.parameters.channel_weights)
    now = model.perception[:, :, k, :] @ weights  # (observer, audience)
    start = getattr(model, "initial_perception", None)
    before = start[:, :, k, :] @ weights if start is not None else now
    region = np.array(model.world.region)
    keep = np.arange(model.n) != k
    regions = sorted(set(region[keep]))
    values = np.array([now[keep & (region == r)].mean(axis=0) for r in regions])
    change = np.array([(now - before)[keep & (region == r)].mean(axis=0) for r in regions])
    return regions, values, change


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


@dataclass(frozen=True)
class NationView:
    """What the inspector shows about one nation."""

    iso3: str
    name: str
    region: str
    score: float
    rank: int
    score_change: float
    capacity: dict[str, tuple[float, float]]  # channel -> (now, at the start)
    leans_to: list[tuple[str, float]]  # (actor, attraction), strongest first, itself left out
    lean: float  # toward pole A (positive) or pole B
    audiences: dict[str, dict[str, float]]  # audience -> actor -> perception (ω-weighted)
    credibility: dict[str, float]  # actor -> how far this nation believes it
    memberships: list[str]


def inspect_nation(
    model: SoftPowerModel, iso3: str, pole_a: str = "USA", pole_b: str = "CHN", top: int = 5
) -> NationView:
    """Return the inspector's view of one nation, read through its `Nation` agent."""
    i = model.iso3.index(iso3)
    nation = model.nations[i]
    step = model.steps
    now = model.attraction()[i]
    attraction = now.copy()
    attraction[i] = -np.inf
    order = [int(k) for k in np.argsort(-attraction, kind="stable")[:top]]
    shown = list(dict.fromkeys([pole_a, pole_b, *(model.iso3[k] for k in order[:1])]))
    weights = np.asarray(model.parameters.channel_weights)
    audiences = {
        audience: {actor: float(nation.perception_of(actor)[s] @ weights) for actor in shown}
        for s, audience in enumerate(AUDIENCES)
    }
    return NationView(
        iso3=iso3,
        name=model.world.name[i],
        region=model.world.region[i],
        score=float(model.recorder.score[step, i]),
        rank=int(model.recorder.rank[step, i]),
        score_change=float(model.recorder.score[step, i] - model.recorder.score[0, i]),
        capacity={
            c: (float(nation.capacity[d]), float(model.world.capacity[i, d]))
            for d, c in enumerate(CHANNELS)
        },
        leans_to=[(model.iso3[k], float(now[k])) for k in order],
        lean=float(lean(model, pole_a, pole_b)[i]),
        audiences=audiences,
        credibility={actor: nation.credibility_of(actor) for actor in shown if actor != iso3},
        memberships=nation.memberships,
    )
