"""What the app shows, as data and SVG, independent of Solara.

Every function reads a running model (`sim.model.model.SoftPowerModel` or the app's subclass) and
returns plain data (the map's colours, lines and labels; the tables) or SVG text (the score
chart, `sim.viz.scorechart`, re-exported here), safe to call from the threads Solara plays the
model in. Array axes follow the model: (observer, audience, actor, channel).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from sim.axes import AUDIENCES, CHANNELS
from sim.model.model import SoftPowerModel
from sim.plots import maps, palette, svgmap
from sim.viz.scorechart import MEASURES, TEXT_PT, ScoreChart, score_figure
from sim.viz.tables import CompareRow, FeedItem, TopRow, compare_table, event_feed, top_table

__all__ = [
    "LAYERS",
    "LEAN_CMAP",
    "LEAN_LIMIT",
    "FAVOURABLE_CMAP",
    "TEXT_PT",
    "COLOUR_MODES",
    "MEASURES",
    "MapView",
    "ScoreChart",
    "TopRow",
    "CompareRow",
    "compare_table",
    "FeedItem",
    "NationView",
    "layer_edges",
    "lean",
    "lean_change",
    "change_limit",
    "attraction_change",
    "attraction_now",
    "run_difference",
    "map_view",
    "layer_style",
    "lean_gradient",
    "score_figure",
    "perception_by_region",
    "top_table",
    "event_feed",
    "inspect_nation",
    "data_uri",
]

#: Edge layers of the network view, in the order of the toggles.
LAYERS: tuple[str, ...] = ("trade", "alliance", "rivalry", "aid", "BRI")

#: Diverging, colour-blind-safe map for the lean, shared with the report (pole A blue, B red).
LEAN_CMAP = palette.DIVERGING

#: Sequential, colour-blind-safe map of the favourable share (0-100 %): viridis has no grey in
#: its middle, where cividis's 30-65 % looked like the grey of nations outside the model.
FAVOURABLE_CMAP = palette.SEQUENTIAL_ALT


#: Leans beyond ± this value are drawn at full colour (typical leans lie within ±0.6).
LEAN_LIMIT = palette.LEAN_LIMIT

# Okabe-Ito colours (colour-blind safe) with distinct dash patterns, so no layer relies on hue.
# "css" is the matching border style of the HTML legend.
_LAYER_STYLE = {
    "trade": {"color": "#7f7f7f", "svgdash": "", "css": "solid", "label": "trade (≥ 10%)"},
    "alliance": {"color": "#009E73", "svgdash": "", "css": "solid", "label": "alliance"},
    "rivalry": {"color": "#D55E00", "svgdash": "5,3", "css": "dashed", "label": "rivalry"},
    "aid": {"color": "#E69F00", "svgdash": "", "css": "solid", "label": "aid flow"},
    "BRI": {"color": "#CC79A7", "svgdash": "1.5,2", "css": "dotted", "label": "BRI membership"},
}

_TRADE_MIN = 0.10  # share of either partner's trade
# The least distance (SVG units) between two code labels' centres across and down: three capitals
# at font size 7 are up to 17.1 wide in bold (Chromium's text boxes), plus their white halos;
# at 14 across, GBR and DEU, KOR and JPN overlapped (issue 24, finding 9).
_LABEL_W, _LABEL_H = 18.0, 7.5
# An aid flow (aid capacity × allocation share) is drawn from this fraction of what a donor of
# full capacity gives each recipient when it spreads its aid evenly: shares shrink as the world
# grows, so a fixed floor (0.015, this at 60 nations) drew no aid line at all on un193.
_AID_MIN_EVEN = 0.885


def data_uri(image: bytes) -> str:
    """Return SVG bytes as a ``data:`` URI for an ``<img>`` (the app embeds its figures)."""
    return "data:image/svg+xml;base64," + base64.b64encode(image).decode("ascii")


def attraction_now(model: SoftPowerModel) -> np.ndarray:
    """Return a[i,k] (observer, actor) now: the array the model's recorder computed at the end
    of the last step (``model.attraction()`` on the same perception, so the same bits), read by
    every view of a step instead of computed again by each (a step's map, inspector and lean
    each computed it: a tenth of the app server's CPU). Read-only: never modify it.
    """
    return model.recorder.last_attraction


def lean(model: SoftPowerModel, pole_a: str, pole_b: str) -> np.ndarray:
    """Return each nation's lean a[i,A] − a[i,B] in [-2, 2] (positive: toward ``pole_a``)."""
    a = attraction_now(model)
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
            ``aid`` (donor → recipient flows of aid capacity × allocation share of at least
            0.885 / (N − 1), 0.015 at 60 nations: 88 flows in 2025 on core60, 203 on un193) or
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
        i, j = np.nonzero(flow >= _AID_MIN_EVEN / max(model.n - 1, 1))
        return [(int(a), int(b), float(flow[a, b])) for a, b in zip(i, j, strict=True)]
    if layer == "BRI":
        if "BRI" not in model.initiatives or "CHN" not in model.iso3:
            return []
        hub = model.iso3.index("CHN")
        members = np.flatnonzero(model.member_of("BRI"))
        return [(hub, int(j), 1.0) for j in members if j != hub]
    raise ValueError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")


#: What the map's colour can show (key → button label); ``difference`` needs a comparison run.
COLOUR_MODES: dict[str, str] = {
    "lean": "lean now",
    "change": "change since start",
    "favourable": "favourable view",
    "difference": "difference between runs",
}


@dataclass(frozen=True)
class MapView:
    """What the world map shows at one step, ready for the browser (SVG coordinates).

    Attributes:
        fills: ISO3 → fill colour of the nations of the model.
        titles: ISO3 → tooltip (name, score, rank, lean, attraction to the map's actor).
        dots: Small states drawn at their capital: ``{"iso3", "x", "y", "fill"}``.
        edges: Lines of the edge layers: ``{"x1", "y1", "x2", "y2", "stroke", "width",
            "dash", "opacity"}``.
        labels: Code labels of the leaders and poles: ``{"x", "y", "text", "bold"}``.
        edge_counts: Layer → number of edges drawn.
        values: ISO3 → the value the colour shows.
        colour: The colour mode (a key of `COLOUR_MODES`).
        limit: Values beyond ``centre ± limit`` get the full colour.
        centre: The value at the pale centre of the colour bar.
        low: What the low (red) end means.
        high: What the high (blue) end means.
        what: One line saying what the colour shows.
        alt: Text alternative of the whole map.
        points: ISO3 → (lat, lon) of the dots, for the hit test of a click.
        gradient: CSS gradient of the colour bar, low (left) to high (right): diverging, or
            sequential for the favourable share.
        date: The quarter shown (``2026-Q3``).
        tips: ISO3 → the country's name and the value its colour shows, for the box a tap
            (or click) on the map opens.
        ticks: (position from 0 to 1 along the colour bar, label with its unit) of the legend.
    """

    fills: dict[str, str]
    titles: dict[str, str]
    dots: tuple[dict, ...]
    edges: tuple[dict, ...]
    labels: tuple[dict, ...]
    edge_counts: dict[str, int]
    values: dict[str, float]
    colour: str
    limit: float
    centre: float
    low: str
    high: str
    what: str
    alt: str
    points: dict[str, tuple[float, float]]
    gradient: str = ""
    date: str = ""
    tips: dict[str, str] = dataclasses.field(default_factory=dict)
    ticks: tuple[tuple[float, str], ...] = ()


def attraction_change(model: SoftPowerModel, actor: str) -> np.ndarray:
    """Return how each nation's attraction to ``actor`` moved since step 0 (NaN for itself).

    This is the side that moved: when the US falls, nations turn cooler toward the US, whatever
    happened to anyone else (a change of the lean would paint them "toward" the other pole).
    """
    k = model.iso3.index(actor)
    moved = attraction_now(model)[:, k] - model.recorder.attraction[0][:, k]
    moved[k] = np.nan
    return moved


def run_difference(model: SoftPowerModel, other: SoftPowerModel, actor: str) -> np.ndarray:
    """Return each nation's attraction to ``actor`` in ``model`` minus that in ``other``."""
    k = model.iso3.index(actor)
    diff = attraction_now(model)[:, k] - attraction_now(other)[:, other.iso3.index(actor)]
    diff[k] = np.nan
    return diff


def _name(model: SoftPowerModel, code: str) -> str:
    return model.world.name[model.iso3.index(code)]


def map_view(
    model: SoftPowerModel,
    pole_a: str = "USA",
    pole_b: str = "CHN",
    layers: tuple[str, ...] | frozenset[str] = ("rivalry", "aid", "BRI"),
    colour: str = "lean",
    actor: str = "USA",
    other: SoftPowerModel | None = None,
    labels: int = 15,
    floor: float = 0.0,
) -> MapView:
    """Return what the world map shows for the model's current step.

    Args:
        model: The model.
        pole_a: Nation whose side of the lean is blue.
        pole_b: Nation whose side of the lean is red.
        layers: Edge layers to draw (see `layer_edges`).
        colour: ``lean`` (lean between the poles now, fixed ±`LEAN_LIMIT` scale), ``change``
            (each nation's attraction to ``actor`` since step 0), ``favourable`` (the predicted
            share of each nation's adults with a favourable view of ``actor``, 0–100 % on a
            sequential scale) or ``difference`` (attraction to ``actor`` in this run minus the
            comparison run ``other``).
        actor: The nation whose attraction the ``change``, ``favourable`` and ``difference``
            modes show.
        other: The comparison run (same seed, another scenario), for ``difference``.
        labels: How many of the highest-ranked nations get a code label (poles always do;
            a label that would overlap another is left out).
        floor: Smallest colour-scale limit of the ``change`` and ``difference`` modes: the app
            passes the largest limit shown so far in the run, so the scale only grows and a
            colour means the same later in the run.

    Returns:
        The `MapView`.

    Raises:
        ValueError: Unknown colour mode, or ``difference`` without a comparison run.
    """
    if colour not in COLOUR_MODES:
        raise ValueError(f"unknown colour {colour!r}; expected one of {', '.join(COLOUR_MODES)}")
    if colour == "difference" and other is None:
        raise ValueError("the difference between runs needs a comparison run")
    w, step = model.world, model.steps
    score, rank = model.recorder.score[step], model.recorder.rank[step]
    leans = lean(model, pole_a, pole_b)
    moved = attraction_change(model, actor)
    k = model.iso3.index(actor)
    now = attraction_now(model)
    attraction = now[:, k]
    favourable = model.favourable(now)[:, k]
    gradient = lean_gradient()
    centre = 0.0
    if colour == "lean":
        values, limit = leans, LEAN_LIMIT
        low, high = f"toward {pole_b}", f"toward {pole_a}"
        what = f"Lean now: attraction to {pole_a} − attraction to {pole_b}"
    elif colour == "change":
        values = moved
        limit = max(change_limit(np.nan_to_num(moved)), floor)
        low, high = f"cooler toward {actor}", f"warmer toward {actor}"
        what = (
            f"Change since the start in each nation's attraction to {_name(model, actor)} ({actor})"
        )
    elif colour == "favourable":
        values = favourable.copy()
        values[k] = np.nan
        limit, centre = 50.0, 50.0
        low, high = "0 % favourable", f"100 % favourable of {actor}"
        what = (
            f"Favourable view of {_name(model, actor)} ({actor}): the predicted share of each "
            "nation's adults, as a poll would measure it"
        )
        gradient = svgmap.gradient_css(FAVOURABLE_CMAP)
    else:
        assert other is not None  # a difference without a comparison run was refused above
        values = run_difference(model, other, actor)
        limit = max(change_limit(np.nan_to_num(values)), floor)
        other_title = other.spec.title
        low, high = "cooler in this run", "warmer in this run"
        what = (
            f"Attraction to {_name(model, actor)} ({actor}): this run − the comparison run "
            f"({other_title}), same seed"
        )
    colours = (
        svgmap.sequential_hex(values, 0.0, 100.0, cmap=FAVOURABLE_CMAP)
        if colour == "favourable"
        else svgmap.diverging_hex(values, limit)
    )
    fills = dict(zip(model.iso3, colours, strict=True))
    lat = np.asarray(w.lat, dtype=float)
    lon = np.asarray(w.lon, dtype=float)
    cx, cy = svgmap.to_svg(*maps.equal_earth(lon, lat))
    titles = {}
    for i, code in enumerate(model.iso3):
        toward = pole_a if leans[i] >= 0 else pole_b
        line = (
            f"{w.name[i]} ({code}): score {score[i]:.1f}, rank {rank[i]}; "
            f"lean {leans[i]:+.2f} toward {toward}"
        )
        if i != k:
            line += (
                f"; attraction to {actor} {attraction[i]:+.2f} ({moved[i]:+.3f} since the start)"
                f"; favourable view of {actor}: {favourable[i]:.0f} %"
            )
        if colour == "difference" and np.isfinite(values[i]):
            line += f"; {values[i]:+.3f} against the comparison run"
        titles[code] = line + ". Click for details."
    tips = _tips(model, values, colour, actor, pole_a, pole_b)
    if colour == "favourable":
        ticks = tuple((x / 100, f"{x} %") for x in (0, 25, 50, 75, 100))
    else:
        unit = "" if colour == "lean" else " attraction"
        ticks = tuple(
            (0.5 + x / 2, f"{_number(x * limit)}{unit if x == 0 else ''}") for x in (-1, 0, 1)
        )
    small = [i for i, code in enumerate(model.iso3) if svgmap.needs_dot(code)]
    dots = tuple(
        {
            "iso3": model.iso3[i],
            "x": round(float(cx[i]), 1),
            "y": round(float(cy[i]), 1),
            "fill": colours[i],
        }
        for i in small
    )
    points = {model.iso3[i]: (float(lat[i]), float(lon[i])) for i in small}
    ends = {model.iso3.index(pole_a), model.iso3.index(pole_b)}
    shapes = maps.country_shapes()
    label_list: list[dict] = []
    # Poles first, then by rank; a label that would overlap one already placed (Europe's
    # crowded codes) is left out, the poles' never: the tooltip still names the country.
    for i in [*sorted(ends), *(int(k) for k in np.argsort(rank)[:labels] if k not in ends)]:
        shape = shapes.get(model.iso3[i])
        if shape is not None and i not in small:
            x, y = svgmap.to_svg(*shape.label_xy)
        else:
            x, y = cx[i], cy[i] - 4.0
        crowded = any(abs(x - o["x"]) < _LABEL_W and abs(y - o["y"]) < _LABEL_H for o in label_list)
        if crowded and i not in ends:  # the poles are always labelled
            continue
        label_list.append(
            {
                "x": round(float(x), 1),
                "y": round(float(y), 1),
                "text": model.iso3[i],
                "bold": i in ends,
            }
        )
    edges, counts = _map_edges(model, layers, lon, lat)
    toward_a = int((leans > 0).sum())
    finite = values[np.isfinite(values)]
    alt = (
        f"World map of {model.n} nations, {model.spec.date(step)}, coloured by {what.lower()}: "
        f"{int((finite > 0).sum())} {high}, {int((finite < 0).sum())} {low}; "
        f"{toward_a} lean toward {pole_a}, {model.n - toward_a} toward {pole_b}; "
        f"edges: {', '.join(counts) or 'none'}."
    )
    return MapView(
        fills=fills,
        titles=titles,
        dots=dots,
        edges=edges,
        labels=tuple(label_list),
        edge_counts=counts,
        values={c: float(v) for c, v in zip(model.iso3, values, strict=True)},
        colour=colour,
        limit=float(limit),
        centre=centre,
        low=low,
        high=high,
        what=what,
        alt=alt,
        points=points,
        gradient=gradient,
        date=model.spec.date(step),
        tips=tips,
        ticks=ticks,
    )


def _number(value: float) -> str:
    """A signed number with a true minus (``+0.6``, ``−0.05``, ``0``)."""
    return "0" if value == 0 else f"{value:+.3g}".replace("-", "−")


def _tips(model, values, colour: str, actor: str, pole_a: str, pole_b: str) -> dict[str, str]:
    """ISO3 → "Kenya (KEN): 74 % favourable view of USA": the name and the value shown."""
    tips = {}
    for i, code in enumerate(model.iso3):
        value = float(values[i])
        name = f"{model.world.name[i]} ({code})"
        if not np.isfinite(value):
            tips[code] = f"{name}: the nation itself"
        elif colour == "favourable":
            tips[code] = f"{name}: {value:.0f} % favourable view of {actor}"
        elif colour == "lean":
            toward = pole_a if value >= 0 else pole_b
            tips[code] = f"{name}: lean {_number(round(value, 2))} toward {toward}"
        elif colour == "change":
            tips[code] = f"{name}: attraction to {actor} {_number(round(value, 3))} since the start"
        else:
            tips[code] = (
                f"{name}: attraction to {actor} {_number(round(value, 3))} against the "
                "comparison run"
            )
    return tips


@functools.lru_cache(maxsize=8192)
def _edge_lines(
    lon_a: float, lat_a: float, lon_b: float, lat_b: float
) -> tuple[tuple[float, float, float, float], ...]:
    """The SVG line(s) (x1, y1, x2, y2) between two capitals, cut at the map's edge when they
    wrap: the same at every step, so projected once (a step's edges cost the app server more
    than its map colours when the trade or BRI lines were on).
    """
    lines = []
    for seg in maps.edge_segments((lon_a, lat_a), (lon_b, lat_b)):
        (x1, x2), (y1, y2) = svgmap.to_svg(seg[:, 0], seg[:, 1])
        lines.append(
            (round(float(x1), 1), round(float(y1), 1), round(float(x2), 1), round(float(y2), 1))
        )
    return tuple(lines)


def _map_edges(
    model: SoftPowerModel, layers, lon: np.ndarray, lat: np.ndarray
) -> tuple[tuple[dict, ...], dict[str, int]]:
    """The edge layers as SVG lines between capitals (cut at the map's edge when they wrap)."""
    lines: list[dict] = []
    counts: dict[str, int] = {}
    for layer in LAYERS:
        if layer not in layers:
            continue
        edges = layer_edges(model, layer)
        counts[layer] = len(edges)
        style = _LAYER_STYLE[layer]
        scale = {"aid": 60.0, "trade": 4.0}.get(layer)
        for i, j, weight in edges:
            width = float(np.clip(weight * scale, 0.5, 2.5)) if scale else 1.0
            ends = (float(lon[i]), float(lat[i]), float(lon[j]), float(lat[j]))
            for x1, y1, x2, y2 in _edge_lines(*ends):
                lines.append(
                    {
                        "x1": x1,
                        "y1": y1,
                        "x2": x2,
                        "y2": y2,
                        "stroke": style["color"],
                        "width": round(width, 1),
                        "dash": style["svgdash"],
                        "opacity": 0.85 if layer == "BRI" else 0.6,
                    }
                )
    return tuple(lines), counts


def layer_style(layer: str) -> dict[str, str]:
    """Return the legend of a layer: its colour, CSS dash style and label."""
    style = _LAYER_STYLE[layer]
    return {"color": style["color"], "dash": style["css"], "label": style["label"]}


def lean_gradient() -> str:
    """Return a CSS ``linear-gradient`` of the diverging colours, low (left) to high (right)."""
    return svgmap.gradient_css()


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
class NationView:
    """What the inspector shows about one nation."""

    iso3: str
    name: str
    region: str
    score: float
    rank: int
    score_change: float
    capacity: dict[str, tuple[float, float]]  # channel -> (now, at the start)
    leans_to: list[tuple[str, float]]  # (actor, attraction > 0), strongest first, not itself
    lean: float  # toward pole A (positive) or pole B
    audiences: dict[str, dict[str, float]]  # audience -> actor -> perception (ω-weighted)
    credibility: dict[str, float]  # actor -> how far this nation believes it
    memberships: list[str]
    #: actor -> predicted share (0-100) of this nation's adults with a favourable view of it
    favourable: dict[str, float] = dataclasses.field(default_factory=dict)
    familiarity: float = float("nan")  # of this nation, 0-100
    reputation: float = float("nan")  # of this nation, 0-100
    #: (actor, attraction < 0), most negative first: the nations it is repelled by
    leans_away: list[tuple[str, float]] = dataclasses.field(default_factory=list)


def inspect_nation(
    model: SoftPowerModel, iso3: str, pole_a: str = "USA", pole_b: str = "CHN", top: int = 5
) -> NationView:
    """Return the inspector's view of one nation, read through its `Nation` agent."""
    i = model.iso3.index(iso3)
    nation = model.nations[i]
    step = model.steps
    now = attraction_now(model)[i]
    attraction = now.copy()
    attraction[i] = -np.inf
    order = [int(k) for k in np.argsort(-attraction, kind="stable")[:top]]
    away = [int(k) for k in np.argsort(np.where(attraction == -np.inf, np.inf, attraction))[:3]]
    shown = list(dict.fromkeys([pole_a, pole_b, *(model.iso3[k] for k in order[:1])]))
    favourable = model.favourable()[i]
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
        leans_to=[(model.iso3[k], float(now[k])) for k in order if now[k] > 0],
        leans_away=[(model.iso3[k], float(now[k])) for k in away if now[k] < 0],
        lean=float(lean(model, pole_a, pole_b)[i]),
        audiences=audiences,
        credibility={actor: nation.credibility_of(actor) for actor in shown if actor != iso3},
        memberships=nation.memberships,
        favourable={
            actor: float(favourable[model.iso3.index(actor)]) for actor in shown if actor != iso3
        },
        familiarity=float(model.recorder.familiarity[step, i]),
        reputation=float(model.recorder.reputation[step, i]),
    )
