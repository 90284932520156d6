"""The world map of `sim.plots.maps` as SVG geometry, for pages that draw it in the browser.

The app recolours the map at every step; sending path data once and only colours afterwards is
far cheaper than redrawing a matplotlib figure. This module turns the same projected Natural
Earth shapes the report's choropleths fill (`sim.plots.maps.country_shapes`, Equal Earth) into
SVG path strings, maps values to the shared palette (`sim.plots.palette`) and converts between
the SVG's coordinates and the projection's, so a click on the map goes through the one hit test,
`sim.plots.maps.nation_at`.

SVG coordinates are the projected ones times `SCALE`, with y pointing down.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

import numpy as np
from matplotlib.colors import to_hex

from sim.plots import maps, palette

__all__ = [
    "SCALE",
    "SOUTH_LIMIT",
    "MapShape",
    "shapes",
    "outline_path",
    "view_box",
    "to_svg",
    "from_svg",
    "needs_dot",
    "nation_at_svg",
    "diverging_hex",
    "sequential_hex",
    "gradient_css",
]

#: SVG units per projected unit (the map is about 540 units wide).
SCALE = 100.0

#: Southern edge of the map (degrees): Antarctica is left out, as in the report.
SOUTH_LIMIT = -60.0


@functools.cache
def _lut(cmap: str, levels: int = 255) -> tuple[str, ...]:
    colours = palette.colormap(cmap)
    return tuple(to_hex(colours(x)) for x in np.linspace(0.0, 1.0, levels))


def diverging_hex(
    values: Iterable[float],
    limit: float,
    *,
    centre: float = 0.0,
    cmap: str = palette.DIVERGING,
) -> list[str]:
    """Return the hex colours of values on a diverging map centred on ``centre``.

    Args:
        values: The values (NaN gives the missing colour).
        limit: Half-range: ``centre ± limit`` and beyond get the full colours.
        centre: The value drawn at the map's pale centre.
        cmap: Colour map name.

    Returns:
        One ``#rrggbb`` per value.
    """
    lut = _lut(cmap)
    arr = np.asarray(list(values), dtype=float)
    x = np.clip((arr - centre) / (2.0 * limit) + 0.5, 0.0, 1.0)
    idx = np.rint(np.nan_to_num(x, nan=0.5) * (len(lut) - 1)).astype(int)
    return [palette.MISSING if np.isnan(v) else lut[i] for v, i in zip(arr, idx, strict=True)]


def sequential_hex(
    values: Iterable[float], low: float, high: float, *, cmap: str = palette.SEQUENTIAL
) -> list[str]:
    """Return the hex colours of values on a sequential map from ``low`` to ``high``.

    Values outside the range get the end colours; NaN gives the missing colour.
    """
    lut = _lut(cmap)
    arr = np.asarray(list(values), dtype=float)
    x = np.clip((arr - low) / (high - low), 0.0, 1.0)
    idx = np.rint(np.nan_to_num(x, nan=0.0) * (len(lut) - 1)).astype(int)
    return [palette.MISSING if np.isnan(v) else lut[i] for v, i in zip(arr, idx, strict=True)]


@functools.cache
def gradient_css(cmap: str = palette.DIVERGING, stops: int = 9) -> str:
    """Return a CSS ``linear-gradient`` of a colour map, low (left) to high (right)."""
    lut = _lut(cmap)
    picks = [lut[round(i * (len(lut) - 1) / (stops - 1))] for i in range(stops)]
    return f"linear-gradient(to right, {', '.join(picks)})"


def to_svg(x: float | np.ndarray, y: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return SVG coordinates of projected (x, y)."""
    return np.asarray(x) * SCALE, -np.asarray(y) * SCALE


def from_svg(sx: float, sy: float) -> tuple[float, float]:
    """Return projected (x, y) of a point in SVG coordinates."""
    return float(sx) / SCALE, -float(sy) / SCALE


def _ring_d(ring: np.ndarray) -> str:
    sx, sy = to_svg(ring[:, 0], ring[:, 1])
    points = np.round(np.column_stack([sx, sy]), 1)
    # drop repeated points after rounding: shorter paths, same drawing
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.any(np.diff(points, axis=0) != 0, axis=1)
    points = points[keep]
    body = " ".join(f"{x:g},{y:g}" for x, y in points.tolist())
    return f"M{body}Z"


class MapShape(dict):
    """One nation's outline for the browser: ``{"iso3", "name", "d"}`` (a JSON-ready dict)."""


@functools.cache
def shapes() -> tuple[MapShape, ...]:
    """Return every nation with a polygon (Antarctica left out) as SVG path data (cached)."""
    out = []
    for iso, shape in maps.country_shapes().items():
        if iso == "ATA":
            continue
        d = "".join(_ring_d(ring) for ring in shape.rings)
        out.append(MapShape(iso3=iso, name=shape.name, d=d))
    return tuple(out)


@functools.cache
def outline_path() -> str:
    """Return the globe's edge as SVG path data (the map's frame)."""
    return _ring_d(maps.map_outline())


@functools.cache
def view_box(pad: float = 2.0) -> str:
    """Return the SVG ``viewBox`` of the map, from the north pole down to `SOUTH_LIMIT`."""
    outline = maps.map_outline()
    x0, x1 = outline[:, 0].min() * SCALE - pad, outline[:, 0].max() * SCALE + pad
    top = -outline[:, 1].max() * SCALE - pad
    bottom = -float(maps.equal_earth(0.0, SOUTH_LIMIT)[1]) * SCALE + pad
    return f"{x0:.1f} {top:.1f} {x1 - x0:.1f} {bottom - top:.1f}"


def needs_dot(iso3: str) -> bool:
    """Return True if a nation has no polygon or one too small to see (below `MIN_AREA_KM2`)."""
    shape = maps.country_shapes().get(iso3)
    return shape is None or shape.area_km2 < maps.MIN_AREA_KM2


def nation_at_svg(
    sx: float,
    sy: float,
    *,
    points: Mapping[str, tuple[float, float]] | None = None,
    tolerance: float = 0.03,
) -> str | None:
    """Return the nation under a point of the SVG map (a click), through `maps.nation_at`.

    The dots of ``points`` are drawn above the polygons (Singapore's dot lies on the coarse
    outline of Malaysia), so a point on a dot is that dot's nation.

    Args:
        sx: x in SVG coordinates.
        sy: y in SVG coordinates.
        points: ISO3 → (lat, lon) of the dots drawn (small states at their capitals).
        tolerance: Largest distance to a dot, in projected units.

    Returns:
        ISO3 code, or None over the sea.
    """
    x, y = from_svg(sx, sy)
    if points:
        codes = list(points)
        latlon = np.array([points[c] for c in codes], dtype=float)
        px, py = maps.equal_earth(latlon[:, 1], latlon[:, 0])
        dist = np.hypot(px - x, py - y)
        best = int(np.argmin(dist))
        if dist[best] <= tolerance:
            return codes[best]
    return maps.nation_at(x, y, points=points, tolerance=tolerance)
