"""What the app shows, as data and matplotlib figures, independent of Solara.

Every function reads a running model (`sim.model.SoftPowerModel` or the app's subclass) and
returns plain data or a `matplotlib.figure.Figure` (no pyplot, so figures can be drawn from the
threads Solara plays the model in). Array axes follow the model: (observer, audience, actor,
channel).
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.dynamics import AUDIENCES, CHANNELS
from sim.model import SoftPowerModel

__all__ = [
    "LAYERS",
    "LEAN_CMAP",
    "LEAN_LIMIT",
    "Hotspot",
    "MapImage",
    "TopRow",
    "FeedItem",
    "NationView",
    "layer_edges",
    "lean",
    "network_map",
    "map_html",
    "score_figure",
    "perception_by_region",
    "perception_figure",
    "top_table",
    "event_feed",
    "inspect_nation",
    "png",
]

#: Edge layers of the network view, in the order of the toggles.
LAYERS: tuple[str, ...] = ("trade", "alliance", "rivalry", "aid", "BRI")

#: Diverging, colour-blind-safe map for the lean (ColorBrewer RdBu: pole A blue, pole B red).
LEAN_CMAP = "RdBu"

#: Leans beyond ± this value are drawn at full colour (typical leans lie within ±0.6).
LEAN_LIMIT = 0.6

# Okabe-Ito colours (colour-blind safe) with distinct dash patterns, so no layer relies on hue.
_LAYER_STYLE = {
    "trade": {"color": "#7f7f7f", "linestyle": "solid", "label": "trade (≥ 10% of trade)"},
    "alliance": {"color": "#009E73", "linestyle": "solid", "label": "alliance"},
    "rivalry": {"color": "#D55E00", "linestyle": (0, (4, 2)), "label": "rivalry"},
    "aid": {"color": "#E69F00", "linestyle": "solid", "label": "aid flow"},
    "BRI": {"color": "#CC79A7", "linestyle": (0, (1, 1.5)), "label": "BRI membership"},
}
_LINE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_LINE_STYLES = ("solid", "dashed", "dashdot", "dotted")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")

_TRADE_MIN = 0.10  # share of either partner's trade
_AID_MIN = 0.004  # aid capacity × allocation share


def png(fig: Figure, dpi: int = 100) -> bytes:
    """Return the figure as PNG bytes at ``dpi`` (the figure's own size, no tight cropping)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def lean(model: SoftPowerModel, pole_a: str, pole_b: str) -> np.ndarray:
    """Return each nation's lean a[i,A] − a[i,B] in [-2, 2] (positive: toward ``pole_a``)."""
    a = model.attraction()
    return a[:, model.iso3.index(pole_a)] - a[:, model.iso3.index(pole_b)]


def layer_edges(model: SoftPowerModel, layer: str) -> list[tuple[int, int, float]]:
    """Return the edges ``(i, j, weight)`` of one layer as the model has them now.

    Args:
        model: The model.
        layer: One of `LAYERS`: ``trade`` (pairs where either partner sends ≥ 10% of its trade
            to the other; weight = the larger share), ``alliance`` and ``rivalry`` (weight 1),
            ``aid`` (donor → recipient flows of aid capacity × allocation share ≥ 0.004) or
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
    """The network map as a PNG with the nations' positions for tooltips."""

    png: bytes
    width: int
    height: int
    hotspots: tuple[Hotspot, ...]
    alt: str


def _sizes(score: np.ndarray) -> np.ndarray:
    return 12.0 + 3.2 * np.asarray(score)


def network_map(
    model: SoftPowerModel,
    pole_a: str = "USA",
    pole_b: str = "CHN",
    layers: tuple[str, ...] | frozenset[str] = ("alliance", "rivalry", "aid"),
    *,
    width: int = 960,
    height: int = 470,
    dpi: int = 100,
) -> MapImage:
    """Draw nations at their capitals, coloured by lean, sized by score, with edge layers.

    Args:
        model: The model (its current step is drawn).
        pole_a: Nation whose side of the lean is blue.
        pole_b: Nation whose side of the lean is red.
        layers: Edge layers to draw (see `layer_edges`).
        width: Image width in pixels.
        height: Image height in pixels.
        dpi: Resolution used to lay the figure out.

    Returns:
        The `MapImage`.

    """
    w = model.world
    lon, lat = np.asarray(w.lon, float), np.asarray(w.lat, float)
    step = model.steps
    score = model.recorder.score[step]
    rank = model.recorder.rank[step]
    leans = lean(model, pole_a, pole_b)

    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    ax = fig.add_axes((0.005, 0.13, 0.99, 0.86))
    ax.set_xlim(-180.0, 180.0)
    ax.set_ylim(-58.0, 75.0)
    ax.set_facecolor("#f4f7fa")
    for x in range(-150, 181, 30):
        ax.axvline(x, color="#dde3ea", lw=0.6, zorder=0)
    for y in range(-30, 61, 30):
        ax.axhline(y, color="#c9d2dc" if y == 0 else "#dde3ea", lw=0.6, zorder=0)
    ax.set_xticks([])
    ax.set_yticks([])

    handles = []
    for layer in LAYERS:
        if layer not in layers:
            continue
        edges = layer_edges(model, layer)
        style = _LAYER_STYLE[layer]
        if edges:
            segments = [((lon[i], lat[i]), (lon[j], lat[j])) for i, j, _ in edges]
            weights = np.array([wt for *_, wt in edges])
            if layer == "aid":
                widths = np.clip(weights * 60.0, 0.3, 2.5)
            elif layer == "trade":
                widths = np.clip(weights * 4.0, 0.4, 2.0)
            else:
                widths = np.full(len(edges), 0.8)
            ax.add_collection(
                LineCollection(
                    segments,
                    colors=style["color"],
                    linestyles=style["linestyle"],
                    linewidths=widths,
                    alpha=0.55,
                    zorder=1,
                )
            )
        handles.append(
            Line2D(
                [],
                [],
                color=style["color"],
                linestyle=style["linestyle"],
                label=f"{style['label']} ({len(edges)})",
            )
        )

    norm = Normalize(-LEAN_LIMIT, LEAN_LIMIT, clip=True)
    poles = np.array([c in (pole_a, pole_b) for c in model.iso3])
    sizes = _sizes(score)
    points = ax.scatter(
        lon,
        lat,
        s=sizes,
        c=leans,
        cmap=LEAN_CMAP,
        norm=norm,
        edgecolors=np.where(poles, "black", "#404040"),
        linewidths=np.where(poles, 2.0, 0.4),
        zorder=3,
    )
    for i, code in enumerate(model.iso3):
        ax.annotate(
            code,
            (lon[i], lat[i]),
            xytext=(0, 4 + np.sqrt(sizes[i]) / 2),
            textcoords="offset points",
            ha="center",
            fontsize=6.5,
            fontweight="bold" if poles[i] else "normal",
            color="#222222",
            zorder=4,
        )
    ax.text(
        -177,
        72,
        f"{model.spec.date(step)} · step {step}",
        fontsize=9,
        va="top",
        color="#333333",
    )
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.85, title_fontsize=7)
    cax = fig.add_axes((0.30, 0.06, 0.40, 0.025))
    bar = fig.colorbar(points, cax=cax, orientation="horizontal", extend="both")
    bar.ax.tick_params(labelsize=7)
    bar.set_label(f"lean: ← toward {pole_b}   |   toward {pole_a} →   (size: soft power)", size=8)

    xy = ax.transData.transform(np.column_stack([lon, lat]))
    radius = np.maximum(np.sqrt(sizes) / 2.0 * dpi / 72.0, 5.0)
    hotspots = tuple(
        Hotspot(
            iso3=code,
            x=float(xy[i, 0]),
            y=float(height - xy[i, 1]),
            r=float(radius[i]),
            title=(
                f"{w.name[i]} ({code}): score {score[i]:.1f}, rank {rank[i]}; "
                f"lean {leans[i]:+.2f} toward {pole_a if leans[i] >= 0 else pole_b}"
            ),
        )
        for i, code in enumerate(model.iso3)
    )
    toward_a = int((leans > 0).sum())
    alt = (
        f"Map of {model.n} nations at their capitals, {model.spec.date(step)}: "
        f"{toward_a} lean toward {pole_a}, {model.n - toward_a} toward {pole_b}; "
        f"edges: {', '.join(layer for layer in LAYERS if layer in layers) or 'none'}."
    )
    return MapImage(png(fig, dpi), width, height, hotspots, alt)


def map_html(image: MapImage, name: str = "softpower-map") -> str:
    """Return HTML showing the map with a native tooltip (``<area title>``) over each nation."""
    data = base64.b64encode(image.png).decode("ascii")
    areas = "".join(
        f'<area shape="circle" coords="{h.x:.0f},{h.y:.0f},{h.r:.0f}" '
        f'title="{html.escape(h.title)}" alt="{html.escape(h.title)}" data-iso3="{h.iso3}">'
        for h in image.hotspots
    )
    return (
        f'<img src="data:image/png;base64,{data}" usemap="#{name}" width="{image.width}" '
        f'height="{image.height}" alt="{html.escape(image.alt)}" class="softpower-map" '
        f'style="max-width:none">'
        f'<map name="{name}">{areas}</map>'
    )


def _year_ticks(model: SoftPowerModel) -> tuple[list[int], list[str]]:
    start = model.spec.start
    first = (4 - (start.q - 1)) % 4  # steps until the next Q1
    ticks = list(range(first, model.horizon + 1, 4))
    return ticks, [model.spec.date(t)[:4] for t in ticks]


def score_figure(
    model: SoftPowerModel, nations: tuple[str, ...] | list[str], *, dpi: int = 100
) -> Figure:
    """Plot the soft power score of ``nations`` from step 0 to now (x axis: the whole horizon)."""
    fig = Figure(figsize=(6.4, 3.4), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    steps = np.arange(model.steps + 1)
    scores = model.recorder.score[: model.steps + 1]
    for n, code in enumerate(nations):
        if code not in model.iso3:
            continue
        k = model.iso3.index(code)
        ax.plot(
            steps,
            scores[:, k],
            color=_LINE_COLOURS[n % len(_LINE_COLOURS)],
            linestyle=_LINE_STYLES[(n // len(_LINE_COLOURS)) % len(_LINE_STYLES)],
            marker=_MARKERS[n % len(_MARKERS)],
            markevery=[len(steps) - 1],
            markersize=4,
            lw=1.6,
            label=f"{code} {scores[-1, k]:.1f}",
        )
    ax.axvline(model.steps, color="#999999", lw=0.8, linestyle="dotted")
    ax.set_xlim(0, model.horizon)
    ticks, labels = _year_ticks(model)
    ax.set_xticks(ticks, labels, fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel("soft power score (0–100)", fontsize=8)
    ax.set_title(f"Soft power over time — {model.spec.date(model.steps)}", fontsize=9)
    ax.grid(True, color="#e5e5e5", lw=0.6)
    if nations:
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return fig


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


def perception_figure(model: SoftPowerModel, actor: str, *, dpi: int = 100) -> Figure:
    """Heatmap: perception of ``actor`` by region (rows) and audience segment (columns)."""
    regions, values, change = perception_by_region(model, actor)
    fig = Figure(figsize=(5.6, 0.22 * len(regions) + 1.2), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap=LEAN_CMAP, vmin=-1.0, vmax=1.0, aspect="auto")
    for r in range(len(regions)):
        for s in range(len(AUDIENCES)):
            v, d = values[r, s], change[r, s]
            ax.text(
                s,
                r,
                f"{v:+.2f} ({d:+.2f})",
                ha="center",
                va="center",
                fontsize=6.5,
                color="white" if abs(v) > 0.55 else "black",
            )
    ax.set_xticks(range(len(AUDIENCES)), AUDIENCES, fontsize=7)
    ax.set_yticks(range(len(regions)), regions, fontsize=7)
    ax.xaxis.set_ticks_position("top")
    ax.set_title(
        f"How each region sees {actor} — {model.spec.date(model.steps)} (change since start)",
        fontsize=8,
    )
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.ax.tick_params(labelsize=7)
    return fig


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
