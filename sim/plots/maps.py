"""An offline world map of nations: Equal Earth projection, choropleth, capitals and hit test.

The country shapes are Natural Earth's 1:110m admin-0 countries (public domain), bundled in
``sim/data/naturalearth/countries_110m.geojson`` (see ``SOURCE.md`` there; rebuilt by
``tools/build_naturalearth.py``); nothing is downloaded at run time. Sovereign states too
small to have a polygon at that scale (Malta, Singapore, the small island states...) are
bundled as a point at their capital, so every UN member has a place on the map.

Only numpy and matplotlib are used. Coordinates are projected with the Equal Earth
projection (Šavrič, Patterson & Jenny 2018) on a sphere of radius 1 unless stated, so
projected areas are in steradians (the whole map covers 4π) and `EARTH_RADIUS_KM` converts
them to km².

Typical use::

    fig = Figure(figsize=(9, 4.8))
    ax = fig.add_subplot()
    art = draw_choropleth(ax, {"USA": 0.4, "CHN": -0.3}, cmap=DIVERGING,
                          norm=diverging_norm([0.4, -0.3]), capitals=capitals)
    add_colorbar(fig, ax, art, "lean toward USA")
    nation_at_lonlat(2.35, 48.86)  # "FRA"
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection, PatchCollection, PathCollection
from matplotlib.colorbar import Colorbar
from matplotlib.colors import CenteredNorm, Colormap, Normalize, TwoSlopeNorm
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from sim.plots.palette import (
    DOT_EDGE,
    FRAME,
    MISSING,
    NETWORK,
    OCEAN,
    OUTLINE,
    SEQUENTIAL,
    colormap,
)

__all__ = [
    "DATA_FILE",
    "EARTH_RADIUS_KM",
    "MIN_AREA_KM2",
    "CountryShape",
    "ChoroplethArtists",
    "equal_earth",
    "equal_earth_inverse",
    "split_antimeridian",
    "project_ring",
    "country_shapes",
    "nation_points",
    "nation_names",
    "map_outline",
    "draw_choropleth",
    "add_colorbar",
    "diverging_norm",
    "nation_at",
    "nation_at_lonlat",
    "edge_segments",
]

#: The bundled Natural Earth file (see ``SOURCE.md`` beside it).
DATA_FILE = (
    Path(__file__).resolve().parent.parent / "data" / "naturalearth" / "countries_110m.geojson"
)

#: Mean Earth radius (IUGG), to turn projected areas (steradians) into km².
EARTH_RADIUS_KM = 6371.0088

#: Nations whose polygons cover less than this also get a dot, so they stay visible.
MIN_AREA_KM2 = 20_000.0

# Equal Earth coefficients (Šavrič, Patterson & Jenny 2018, eq. 2).
_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3.0) / 2.0

_Coords = float | Sequence[float] | np.ndarray


def equal_earth(
    lon: _Coords, lat: _Coords, *, radius: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Project longitudes and latitudes (degrees) with the Equal Earth projection.

    Šavrič, B., Patterson, T. & Jenny, B. (2018). The Equal Earth map projection.
    International Journal of Geographical Information Science 33(3), 454-465,
    doi:10.1080/13658816.2018.1504949. With θ = asin(√3/2 · sin φ)::

        x = 2√3 λ cos θ / (3 (9 A4 θ⁸ + 7 A3 θ⁶ + 3 A2 θ² + A1))
        y = A4 θ⁹ + A3 θ⁷ + A2 θ³ + A1 θ

    Args:
        lon: Longitude(s) λ in degrees (any shape; broadcast with ``lat``).
        lat: Latitude(s) φ in degrees.
        radius: Sphere radius; 1 gives areas in steradians.

    Returns:
        (x, y) arrays, with (0, 0) at lon 0, lat 0; x grows eastward and y northward.
    """
    lon_arr, lat_arr = np.broadcast_arrays(
        np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    )
    lam = np.radians(lon_arr)
    theta = np.arcsin(_M * np.sin(np.radians(lat_arr)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = 2.0 * math.sqrt(3.0) * lam * np.cos(theta)
    x = x / (3.0 * (9.0 * _A4 * t6 * t2 + 7.0 * _A3 * t6 + 3.0 * _A2 * t2 + _A1))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return radius * x, radius * y


def equal_earth_inverse(
    x: _Coords, y: _Coords, *, radius: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Invert `equal_earth`: projected (x, y) back to (lon, lat) in degrees.

    θ is found from y by Newton's method (as in the paper's reference code), then
    λ = 3 x (9 A4 θ⁸ + 7 A3 θ⁶ + 3 A2 θ² + A1) / (2√3 cos θ) and φ = asin(sin θ / (√3/2)).

    Args:
        x: Projected x (same radius as given here).
        y: Projected y.
        radius: Sphere radius used for the forward projection.

    Returns:
        (lon, lat) arrays in degrees; NaN where the point lies outside the map.
    """
    xs, ys = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    xs, ys = xs / radius, ys / radius
    theta = ys / _A1
    for _ in range(12):
        t2 = theta * theta
        t6 = t2 * t2 * t2
        f = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2)) - ys
        fprime = _A1 + 3.0 * _A2 * t2 + t6 * (7.0 * _A3 + 9.0 * _A4 * t2)
        theta = theta - f / fprime
    t2 = theta * theta
    t6 = t2 * t2 * t2
    with np.errstate(invalid="ignore", divide="ignore"):
        lam = (
            3.0
            * xs
            * (9.0 * _A4 * t6 * t2 + 7.0 * _A3 * t6 + 3.0 * _A2 * t2 + _A1)
            / (2.0 * math.sqrt(3.0) * np.cos(theta))
        )
        phi = np.arcsin(np.sin(theta) / _M)
    lon, lat = np.degrees(lam), np.degrees(phi)
    outside = ~(np.abs(lon) <= 180.0 + 1e-9) | ~(np.abs(lat) <= 90.0 + 1e-9)
    return np.where(outside, np.nan, lon), np.where(outside, np.nan, lat)


def _clip(points: np.ndarray, x0: float, keep_below: bool) -> np.ndarray:
    """Sutherland-Hodgman clip of a closed ring (n, 2) to one side of the line lon = x0."""
    if len(points) == 0:
        return points
    inside = points[:, 0] <= x0 if keep_below else points[:, 0] >= x0
    out: list[np.ndarray] = []
    n = len(points)
    for i in range(n):
        cur, nxt = points[i], points[(i + 1) % n]
        cur_in, nxt_in = inside[i], inside[(i + 1) % n]
        if cur_in:
            out.append(cur)
        if cur_in != nxt_in:
            t = (x0 - cur[0]) / (nxt[0] - cur[0])
            out.append(np.array([x0, cur[1] + t * (nxt[1] - cur[1])]))
    return np.array(out) if out else np.empty((0, 2))


def split_antimeridian(lon: np.ndarray, lat: np.ndarray) -> list[np.ndarray]:
    """Cut a lon/lat ring that crosses the ±180° meridian into pieces within [-180, 180].

    A ring crosses where consecutive longitudes jump by more than 180° (an edge running
    along the antimeridian itself, from -180 to +180, does not count). Its longitudes are
    unwrapped into one continuous range, closed over the pole if the ring goes round it
    (e.g. Antarctica written as one ring), then clipped to each 360°-wide window and shifted
    back. Rings that do not cross are returned unchanged.

    Args:
        lon: Longitudes in degrees of a ring (closed or not).
        lat: Latitudes in degrees.

    Returns:
        One or more (n, 2) arrays of (lon, lat), each within [-180, 180].
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    jump = np.abs(np.diff(lon)) > 180.0
    on_edge = (np.abs(lon[:-1]) == 180.0) & (np.abs(lon[1:]) == 180.0)
    if not np.any(jump & ~on_edge):
        return [np.column_stack([lon, lat])]
    if lon[0] == lon[-1] and lat[0] == lat[-1]:
        lon, lat = lon[:-1], lat[:-1]
    unwrapped = np.unwrap(lon, period=360.0)
    # closing edge, unwrapped too: a ring round a pole does not come back to its start
    end = unwrapped[-1] + (((lon[0] - lon[-1]) + 180.0) % 360.0 - 180.0)
    ring = np.column_stack([unwrapped, lat])
    if abs(end - unwrapped[0]) > 180.0:
        pole = 90.0 if np.mean(lat) > 0 else -90.0
        ring = np.vstack([ring, [[end, lat[0]], [end, pole], [unwrapped[0], pole]]])
    pieces = []
    lo, hi = ring[:, 0].min(), ring[:, 0].max()
    for k in range(math.floor((lo + 180.0) / 360.0), math.ceil((hi - 180.0) / 360.0) + 1):
        left, right = -180.0 + 360.0 * k, 180.0 + 360.0 * k
        piece = _clip(_clip(ring, right, keep_below=True), left, keep_below=False)
        if len(piece) >= 3:
            piece = piece - [360.0 * k, 0.0]
            pieces.append(np.vstack([piece, piece[:1]]))
    return pieces


def _densify(ring: np.ndarray, max_step: float) -> np.ndarray:
    """Insert points so that no edge of a lon/lat ring is longer than ``max_step`` degrees."""
    seg = np.diff(ring, axis=0)
    counts = np.maximum(1, np.ceil(np.abs(seg).max(axis=1) / max_step).astype(int))
    if np.all(counts == 1):
        return ring
    parts = [ring[i] + seg[i] * (np.arange(c)[:, None] / c) for i, c in enumerate(counts.tolist())]
    return np.vstack([*parts, ring[-1:]])


def project_ring(lon: np.ndarray, lat: np.ndarray, *, max_step: float = 2.0) -> list[np.ndarray]:
    """Project a lon/lat ring, cut at the antimeridian and densified, to closed (n, 2) rings.

    Args:
        lon: Longitudes (degrees).
        lat: Latitudes (degrees).
        max_step: Longest edge, in degrees, before points are inserted (meridians are curves
            in Equal Earth).

    Returns:
        Projected closed rings.
    """
    out = []
    for piece in split_antimeridian(lon, lat):
        dense = _densify(piece, max_step)
        x, y = equal_earth(dense[:, 0], dense[:, 1])
        xy = np.column_stack([x, y])
        if not np.array_equal(xy[0], xy[-1]):
            xy = np.vstack([xy, xy[:1]])
        out.append(xy)
    return out


def _signed_area(xy: np.ndarray) -> float:
    """Shoelace area of a closed ring (positive if counter-clockwise)."""
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


@dataclass(frozen=True)
class CountryShape:
    """One nation's projected polygons.

    Attributes:
        iso3: ISO 3166-1 alpha-3 code (Kosovo: XKX).
        name: Short English name (Natural Earth ``NAME``).
        rings: Closed (n, 2) projected rings: exteriors counter-clockwise, holes clockwise.
        path: The rings as one compound matplotlib path (for filling and hit tests).
        label_lonlat: Natural Earth's label point (lon, lat), inside the main polygon.
        label_xy: The label point projected.
        area: Projected area on the unit sphere (steradians).
        bbox: (xmin, ymin, xmax, ymax) of the rings.
    """

    iso3: str
    name: str
    rings: tuple[np.ndarray, ...]
    path: MplPath
    label_lonlat: tuple[float, float]
    label_xy: tuple[float, float]
    area: float
    bbox: tuple[float, float, float, float]

    @property
    def area_km2(self) -> float:
        """Area in km² (Equal Earth is equal-area)."""
        return self.area * EARTH_RADIUS_KM**2


def _compound_path(rings: Iterable[np.ndarray]) -> MplPath:
    """Join closed rings into one path (MOVETO, LINETO..., CLOSEPOLY per ring)."""
    verts, codes = [], []
    for ring in rings:
        ring_codes = np.full(len(ring), MplPath.LINETO, dtype=MplPath.code_type)
        ring_codes[0] = MplPath.MOVETO
        ring_codes[-1] = MplPath.CLOSEPOLY
        verts.append(ring)
        codes.append(ring_codes)
    return MplPath(np.vstack(verts), np.concatenate(codes))


@functools.cache
def _features() -> tuple[dict, ...]:
    return tuple(json.loads(DATA_FILE.read_text(encoding="utf-8"))["features"])


@functools.cache
def country_shapes() -> Mapping[str, CountryShape]:
    """Return every nation that has a polygon in the bundled file, by ISO3 (cached).

    Returns:
        Read-only mapping of ISO3 to `CountryShape`, projected with `equal_earth` (radius 1),
        cut at the antimeridian, with holes (e.g. Lesotho in South Africa) kept as holes.
    """
    shapes: dict[str, CountryShape] = {}
    for feature in _features():
        if feature["geometry"]["type"] != "MultiPolygon":
            continue
        props = feature["properties"]
        rings: list[np.ndarray] = []
        for polygon in feature["geometry"]["coordinates"]:
            for i, ring in enumerate(polygon):
                lonlat = np.asarray(ring, dtype=float)
                for xy in project_ring(lonlat[:, 0], lonlat[:, 1]):
                    area = _signed_area(xy)
                    if area == 0.0:
                        continue
                    if (area > 0) != (i == 0):  # exterior CCW, holes CW
                        xy = xy[::-1]
                    rings.append(xy)
        if not rings:
            continue
        allxy = np.vstack(rings)
        label = (float(props["label"][0]), float(props["label"][1]))
        lx, ly = equal_earth(*label)
        shapes[props["iso3"]] = CountryShape(
            iso3=props["iso3"],
            name=props["name"],
            rings=tuple(rings),
            path=_compound_path(rings),
            label_lonlat=label,
            label_xy=(float(lx), float(ly)),
            area=sum(_signed_area(r) for r in rings),
            bbox=(*allxy.min(axis=0).tolist(), *allxy.max(axis=0).tolist()),
        )
    return MappingProxyType(shapes)


@functools.cache
def nation_points() -> Mapping[str, tuple[float, float]]:
    """Return a (lat, lon) point for every nation in the bundled file (cached).

    Nations with a polygon get Natural Earth's label point (inside the polygon); the small
    states without one get their capital.

    Returns:
        Read-only mapping of ISO3 to (lat, lon) in degrees, the order `draw_choropleth`'s
        ``capitals`` use.
    """
    return MappingProxyType(
        {
            f["properties"]["iso3"]: (f["properties"]["label"][1], f["properties"]["label"][0])
            for f in _features()
        }
    )


@functools.cache
def nation_names() -> Mapping[str, str]:
    """Return the short English name of every nation in the bundled file, by ISO3 (cached)."""
    return MappingProxyType({f["properties"]["iso3"]: f["properties"]["name"] for f in _features()})


def map_outline(n: int = 181) -> np.ndarray:
    """Return the projected edge of the globe (the ±180° meridians) as a closed (m, 2) ring.

    Args:
        n: Points per meridian.

    Returns:
        Counter-clockwise closed ring.
    """
    lat = np.linspace(-90.0, 90.0, n)
    lon = np.concatenate([np.full(n, 180.0), np.full(n, -180.0), [180.0]])
    lats = np.concatenate([lat, lat[::-1], [-90.0]])
    x, y = equal_earth(lon, lats)
    return np.column_stack([x, y])


@dataclass
class ChoroplethArtists:
    """What `draw_choropleth` drew.

    Attributes:
        fills: Polygons of the nations with a value; the colour-mapped artist (its array holds
            the values, in the order of ``filled``).
        missing: Polygons of the nations without a value (grey).
        dots: Capital dots of small or shapeless nations, coloured by value (None if none).
        network: Lines between capitals (None if no edges were given).
        frame: The globe's outline patch (None if not drawn).
        mappable: What a colour bar should show (``fills``, or a bare ScalarMappable with
            the same colour map and norm when no polygon has a value).
        filled: ISO3 codes whose polygons are coloured, in the order of ``fills``.
        dotted: ISO3 codes drawn as a dot, in the order of ``dots``' offsets.
        unplaced: ISO3 codes in ``values`` that have neither polygon nor known point.
    """

    fills: PatchCollection
    missing: PatchCollection
    dots: PathCollection | None
    network: LineCollection | None
    frame: PathPatch | None
    mappable: ScalarMappable
    filled: tuple[str, ...]
    dotted: tuple[str, ...]
    unplaced: tuple[str, ...]

    def artists(self) -> list:
        """Return every matplotlib artist drawn, in drawing order (None skipped)."""
        return [
            a
            for a in (self.frame, self.missing, self.fills, self.network, self.dots)
            if a is not None
        ]


def diverging_norm(values: Iterable[float], *, limit: float | None = None) -> Normalize:
    """Return a norm for signed values with 0 at the colour map's centre (0.5).

    Args:
        values: The values to be drawn (non-finite ones ignored).
        limit: Fixed half-range; values beyond ± limit saturate. Default: the largest
            absolute value, so the scale is symmetric and 0 stays meaningful.

    Returns:
        A `CenteredNorm` (symmetric) when ``limit`` is given or the values have both signs
        or are all zero; otherwise a `TwoSlopeNorm` spanning the values' one side and
        centred on 0. Either maps 0 to 0.5.
    """
    if limit is not None:
        if not limit > 0:
            raise ValueError(f"limit must be positive, got {limit}")
        return CenteredNorm(vcenter=0.0, halfrange=float(limit))
    arr = np.asarray(list(values), dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0 or not np.any(arr):
        return CenteredNorm(vcenter=0.0, halfrange=1.0)
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 < hi:
        return CenteredNorm(vcenter=0.0, halfrange=max(-lo, hi))
    # one-signed values: keep 0 at the centre, the other side as wide, so that the
    # colours say "all positive" rather than stretching the palette over the values
    bound = max(abs(lo), abs(hi))
    return TwoSlopeNorm(vcenter=0.0, vmin=-bound, vmax=bound)


def edge_segments(a: tuple[float, float], b: tuple[float, float]) -> list[np.ndarray]:
    """Projected line(s) from lon/lat ``a`` to ``b`` the short way round.

    A line whose longitudes differ by more than 180° leaves the map at one edge and comes
    back at the other, so it is cut in two there.
    """
    (lon_a, lat_a), (lon_b, lat_b) = a, b
    if abs(lon_b - lon_a) <= 180.0:
        x, y = equal_earth([lon_a, lon_b], [lat_a, lat_b])
        return [np.column_stack([x, y])]
    edge = 180.0 if lon_a > 0 else -180.0
    lon_b_shifted = lon_b + 2.0 * edge
    t = (edge - lon_a) / (lon_b_shifted - lon_a)
    lat_c = lat_a + t * (lat_b - lat_a)
    x1, y1 = equal_earth([lon_a, edge], [lat_a, lat_c])
    x2, y2 = equal_earth([-edge, lon_b], [lat_c, lat_b])
    return [np.column_stack([x1, y1]), np.column_stack([x2, y2])]


def _value_norm(values: Iterable[float]) -> Normalize:
    arr = np.asarray(list(values), dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return Normalize(0.0, 1.0)
    return Normalize(float(arr.min()), float(arr.max()))


def draw_choropleth(
    ax: Axes,
    values: Mapping[str, float],
    *,
    cmap: str | Colormap = SEQUENTIAL,
    norm: Normalize | None = None,
    capitals: Mapping[str, tuple[float, float]] | None = None,
    edges: Iterable[tuple[str, str, float]] | None = None,
    label: str | None = None,
    min_area_km2: float = MIN_AREA_KM2,
    missing_colour: str = MISSING,
    outline_colour: str = OUTLINE,
    linewidth: float = 0.25,
    dot_size: float = 14.0,
    edge_colour: str = NETWORK,
    edge_width: tuple[float, float] = (0.3, 2.0),
    edge_alpha: float = 0.55,
    antarctica: bool = False,
    frame: bool = True,
) -> ChoroplethArtists:
    """Draw a world choropleth: each nation's polygons filled by its value.

    Nations without a value are light grey with the same thin outline. Every nation in
    ``values`` stays visible: one with no polygon at 1:110m, or whose polygons cover less than
    ``min_area_km2``, also gets a dot coloured by its value at its capital (from
    ``capitals``, else the bundled capital or label point). Optional network edges are thin
    straight lines between the capitals, their width growing with |weight|.

    Args:
        ax: Axes to draw on; its aspect is set equal, its axis hidden, its limits fitted.
        values: ISO3 → value; non-finite values count as missing.
        cmap: Colour map (name or object); see `sim.plots.palette`.
        norm: Maps values to [0, 1]; default spans the finite values (use `diverging_norm`
            for signed quantities).
        capitals: ISO3 → (lat, lon) in degrees of capitals, for dots and edges.
        edges: (iso3_a, iso3_b, weight) network edges drawn between capitals.
        label: Name of the quantity; set as the fills' label (used by `add_colorbar`).
        min_area_km2: Polygons smaller than this in total also get a dot.
        missing_colour: Fill of nations without a value.
        outline_colour: Colour of the outlines.
        linewidth: Outline width in points.
        dot_size: Dot area in points².
        edge_colour: Colour of network lines.
        edge_width: (thinnest, thickest) network line width in points.
        edge_alpha: Opacity of network lines.
        antarctica: Draw Antarctica (off by default: it has no soft power).
        frame: Draw the globe's outline and sea colour.

    Returns:
        The artists drawn and which nations were filled, dotted or could not be placed.
    """
    shapes = country_shapes()
    points = nation_points()
    cmap = colormap(cmap)
    finite = {k: float(v) for k, v in values.items() if v is not None and np.isfinite(v)}
    if norm is None:
        norm = _value_norm(finite.values())

    frame_patch = None
    if frame:
        frame_patch = PathPatch(
            MplPath(map_outline(), closed=True),
            facecolor=OCEAN,
            edgecolor=FRAME,
            linewidth=0.6,
            zorder=0,
        )
        ax.add_patch(frame_patch)

    filled: list[str] = []
    fill_patches: list[PathPatch] = []
    grey_patches: list[PathPatch] = []
    for iso, shape in shapes.items():
        if iso == "ATA" and not antarctica:
            continue
        patch = PathPatch(shape.path)
        if iso in finite:
            filled.append(iso)
            fill_patches.append(patch)
        else:
            grey_patches.append(patch)

    missing = PatchCollection(
        grey_patches,
        facecolor=missing_colour,
        edgecolor=outline_colour,
        linewidth=linewidth,
        zorder=1,
    )
    ax.add_collection(missing, autolim=False)
    fills = PatchCollection(
        fill_patches, cmap=cmap, norm=norm, edgecolor=outline_colour, linewidth=linewidth, zorder=2
    )
    fills.set_array(np.array([finite[i] for i in filled], dtype=float))
    if label is not None:
        fills.set_label(label)
    ax.add_collection(fills, autolim=False)

    def lonlat(iso: str) -> tuple[float, float] | None:
        """(lon, lat) of a nation's capital, else of its bundled point."""
        latlon = (capitals or {}).get(iso) or points.get(iso)
        return None if latlon is None else (float(latlon[1]), float(latlon[0]))

    def place(iso: str) -> tuple[float, float] | None:
        """Projected (x, y) of `lonlat`."""
        ll = lonlat(iso)
        if ll is None:
            return None
        x, y = equal_earth(*ll)
        return float(x), float(y)

    dotted: list[str] = []
    unplaced: list[str] = []
    dot_xy: list[tuple[float, float]] = []
    min_area = min_area_km2 / EARTH_RADIUS_KM**2
    for iso in sorted(finite):
        found = shapes.get(iso)
        if found is not None and found.area >= min_area:
            continue
        xy = place(iso)
        if xy is None:
            unplaced.append(iso)
            continue
        dotted.append(iso)
        dot_xy.append(xy)
    # nations with values but no number (NaN) and no polygon are still placed, in grey
    grey_dots = [
        iso
        for iso in sorted(values)
        if iso not in finite and iso not in shapes and place(iso) is not None
    ]
    dots = None
    if dotted or grey_dots:
        centres = np.array(dot_xy + [place(i) for i in grey_dots], dtype=float).reshape(-1, 2)
        colours = [cmap(norm(finite[i])) for i in dotted] + [missing_colour] * len(grey_dots)
        dots = ax.scatter(
            centres[:, 0],
            centres[:, 1],
            s=dot_size,
            c=colours,
            edgecolors=DOT_EDGE,
            linewidths=0.5,
            zorder=4,
        )
        dotted += grey_dots
    unplaced += [
        i for i in sorted(values) if i not in finite and i not in shapes and i not in dotted
    ]

    network = None
    if edges is not None:
        segments, weights = [], []
        for a, b, w in edges:
            pa, pb = lonlat(a), lonlat(b)
            if pa is None or pb is None:
                continue
            for segment in edge_segments(pa, pb):
                segments.append(segment)
                weights.append(abs(float(w)))
        wmax = max(weights, default=0.0) or 1.0
        widths = [edge_width[0] + (edge_width[1] - edge_width[0]) * w / wmax for w in weights]
        network = LineCollection(
            segments, colors=edge_colour, linewidths=widths, alpha=edge_alpha, zorder=3
        )
        ax.add_collection(network, autolim=False)

    mappable: ScalarMappable = fills
    if not filled:
        mappable = ScalarMappable(norm=norm, cmap=cmap)
        mappable.set_array(np.array(list(finite.values()), dtype=float))
    outline = map_outline()
    ymin = -outline[:, 1].max() if antarctica else float(equal_earth(0.0, -60.0)[1])
    pad = 0.02
    ax.set_xlim(outline[:, 0].min() - pad, outline[:, 0].max() + pad)
    ax.set_ylim(ymin - pad, outline[:, 1].max() + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ChoroplethArtists(
        fills=fills,
        missing=missing,
        dots=dots,
        network=network,
        frame=frame_patch,
        mappable=mappable,
        filled=tuple(filled),
        dotted=tuple(dotted),
        unplaced=tuple(unplaced),
    )


def add_colorbar(
    fig: Figure | SubFigure,
    ax: Axes,
    mappable: ScalarMappable | ChoroplethArtists,
    label: str | None = None,
    *,
    orientation: str = "horizontal",
    shrink: float = 0.55,
    pad: float = 0.02,
    aspect: float = 35.0,
    extend: str = "neither",
    **kwargs: Any,
) -> Colorbar:
    """Add a colour bar for a choropleth below (or beside) its map.

    Args:
        fig: Figure (or subfigure) holding ``ax``.
        ax: The map's axes; room for the bar is taken from it.
        mappable: The colour-mapped artist, or `draw_choropleth`'s result.
        label: Bar label; default the mappable's label if it has one.
        orientation: ``"horizontal"`` (below the map) or ``"vertical"``.
        shrink: Fraction of the axes' length the bar spans.
        pad: Gap between map and bar, as a fraction of the axes.
        aspect: Ratio of the bar's length to its thickness.
        extend: ``"neither"``, ``"both"``, ``"min"`` or ``"max"`` (arrows for saturated
            values, e.g. leans beyond ± a limit).
        **kwargs: Passed on to `matplotlib.figure.Figure.colorbar`.

    Returns:
        The colour bar.
    """
    if isinstance(mappable, ChoroplethArtists):
        mappable = mappable.mappable
    if label is None:
        own = mappable.get_label() if hasattr(mappable, "get_label") else ""
        label = own if own and not own.startswith("_") else None
    bar = fig.colorbar(
        mappable,
        ax=ax,
        orientation=orientation,
        shrink=shrink,
        pad=pad,
        aspect=aspect,
        extend=extend,
        **kwargs,
    )
    if label:
        bar.set_label(label)
    bar.outline.set_linewidth(0.5)
    return bar


@functools.cache
def _small_points_xy() -> tuple[tuple[str, ...], np.ndarray]:
    """ISO3 and projected points of the nations that have no polygon."""
    shapes = country_shapes()
    isos = tuple(i for i in nation_points() if i not in shapes)
    latlon = np.array([nation_points()[i] for i in isos], dtype=float).reshape(-1, 2)
    x, y = equal_earth(latlon[:, 1], latlon[:, 0])
    return isos, np.column_stack([x, y])


def nation_at(
    x: float,
    y: float,
    *,
    tolerance: float = 0.02,
    points: Mapping[str, tuple[float, float]] | None = None,
) -> str | None:
    """Return the ISO3 code of the nation at a projected point (a click on the map).

    Polygons are tested first (bounding box, then `matplotlib.path.Path.contains_point`,
    so a point in a hole, such as Lesotho inside South Africa, belongs to the hole's
    nation). Failing that, the nearest dot within ``tolerance`` is taken: the bundled points
    of the nations without a polygon, plus ``points``.

    Args:
        x: Projected x (`equal_earth`, radius 1; the map's data coordinates).
        y: Projected y.
        tolerance: Largest distance to a dot, in projected units (0.02 ≈ 130 km).
        points: Further ISO3 → (lat, lon) dots to test, e.g. the capitals drawn.

    Returns:
        ISO3 code, or None over the sea or outside the map.
    """
    for iso, shape in country_shapes().items():
        xmin, ymin, xmax, ymax = shape.bbox
        if xmin <= x <= xmax and ymin <= y <= ymax and shape.path.contains_point((x, y)):
            return iso
    isos, xy = _small_points_xy()
    if points:
        extra = tuple(points)
        latlon = np.array([points[i] for i in extra], dtype=float).reshape(-1, 2)
        ex, ey = equal_earth(latlon[:, 1], latlon[:, 0])
        isos = isos + extra
        xy = np.vstack([xy, np.column_stack([ex, ey])])
    if not isos:
        return None
    dist = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
    best = int(np.argmin(dist))
    return isos[best] if dist[best] <= tolerance else None


def nation_at_lonlat(lon: float, lat: float, **kwargs: Any) -> str | None:
    """Return the ISO3 code of the nation at a longitude and latitude (degrees).

    Args:
        lon: Longitude in degrees.
        lat: Latitude in degrees.
        **kwargs: Passed on to `nation_at` (``tolerance``, ``points``).

    Returns:
        ISO3 code, or None over the sea.
    """
    x, y = equal_earth(lon, lat)
    return nation_at(float(x), float(y), **kwargs)
