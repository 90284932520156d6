"""The offline world map: bundled Natural Earth shapes, Equal Earth, choropleth, hit test."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from sim.plots import maps, palette

DATA = Path(__file__).resolve().parents[1] / "sim" / "data"

# The 193 UN member states (ISO3), as flagged in country_converter 1.3.2's ``UNmember``
# column (https://github.com/IndEcol/country_converter, country_data.tsv).
_UN_CODES = """
    AFG AGO ALB AND ARE ARG ARM ATG AUS AUT AZE BDI BEL BEN BFA BGD BGR BHR BHS BIH BLR BLZ
    BOL BRA BRB BRN BTN BWA CAF CAN CHE CHL CHN CIV CMR COD COG COL COM CPV CRI CUB CYP CZE
    DEU DJI DMA DNK DOM DZA ECU EGY ERI ESP EST ETH FIN FJI FRA FSM GAB GBR GEO GHA GIN GMB
    GNB GNQ GRC GRD GTM GUY HND HRV HTI HUN IDN IND IRL IRN IRQ ISL ISR ITA JAM JOR JPN KAZ
    KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAR MCO MDA MDG
    MDV MEX MHL MKD MLI MLT MMR MNE MNG MOZ MRT MUS MWI MYS NAM NER NGA NIC NLD NOR NPL NRU
    NZL OMN PAK PAN PER PHL PLW PNG POL PRK PRT PRY QAT ROU RUS RWA SAU SDN SEN SGP SLB SLE
    SLV SMR SOM SRB SSD STP SUR SVK SVN SWE SWZ SYC SYR TCD TGO THA TJK TKM TLS TON TTO TUN
    TUR TUV TZA UGA UKR URY USA UZB VCT VEN VNM VUT WSM YEM ZAF ZMB ZWE
"""
UN_MEMBERS = frozenset(_UN_CODES.split())


def _capitals() -> dict[str, tuple[float, float]]:
    with (DATA / "capitals.csv").open(encoding="utf-8") as f:
        return {r["iso3"]: (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(f)}


def _model_nations() -> set[str]:
    with (DATA / "countries.csv").open(encoding="utf-8") as f:
        return {r["iso3"] for r in csv.DictReader(f)}


def _draw(values, **kwargs):
    fig = Figure(figsize=(8, 4.2))
    ax = fig.add_subplot()
    return fig, ax, maps.draw_choropleth(ax, values, **kwargs)


# --- the bundled data -------------------------------------------------------------------


def test_bundled_file_is_small_and_coded_by_iso3():
    assert maps.DATA_FILE.stat().st_size < 1_000_000
    features = json.loads(maps.DATA_FILE.read_text(encoding="utf-8"))["features"]
    codes = [f["properties"]["iso3"] for f in features]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[A-Z]{3}", c) for c in codes), "a -99 or NE-only code slipped in"
    # Natural Earth's ISO_A3 is -99 for these; its own codes must not leak through
    assert {"FRA", "NOR", "XKX", "TWN", "PSE", "SOM", "CYP", "SSD"} <= set(codes)
    assert not {"KOS", "SOL", "CYN", "SDS", "SAH", "PSX"} & set(codes)
    assert (maps.DATA_FILE.parent / "SOURCE.md").is_file()


def test_every_un_member_and_model_nation_has_a_place():
    known = set(maps.nation_points())
    assert UN_MEMBERS - known == set()
    assert _model_nations() - known == set()
    # and most have a real polygon
    assert len(UN_MEMBERS & set(maps.country_shapes())) >= 160


def test_crimea_is_drawn_with_ukraine():
    assert maps.nation_at_lonlat(34.1, 44.95) == "UKR"
    assert maps.nation_at_lonlat(37.6, 55.75) == "RUS"


# --- projection -------------------------------------------------------------------------


def test_projection_origin_and_known_values():
    x, y = maps.equal_earth(0.0, 0.0)
    assert (float(x), float(y)) == (0.0, 0.0)
    # equator end: x = 2√3·π / (3·A1); pole: y = θ(A1 + A2θ² + A3θ⁶ + A4θ⁸) with θ = π/3
    x, _ = maps.equal_earth(180.0, 0.0)
    assert float(x) == pytest.approx(2 * math.sqrt(3) * math.pi / (3 * 1.340264))
    t = math.pi / 3
    _, y = maps.equal_earth(0.0, 90.0)
    assert float(y) == pytest.approx(
        t * (1.340264 - 0.081106 * t**2 + 0.000893 * t**6 + 0.003796 * t**8)
    )


def test_projection_is_monotone_in_lon_and_lat():
    lons = np.linspace(-180.0, 180.0, 361)
    lats = np.linspace(-89.5, 89.5, 180)
    for lat in (-80.0, -30.0, 0.0, 45.0, 85.0):
        x, y = maps.equal_earth(lons, lat)
        assert np.all(np.diff(x) > 0)
        assert np.allclose(y, y[0])  # parallels are straight
    for lon in (-179.0, -60.0, 0.0, 90.0, 180.0):
        _, y = maps.equal_earth(lon, lats)
        assert np.all(np.diff(y) > 0)
    # symmetric about both axes
    x1, y1 = maps.equal_earth(40.0, 30.0)
    x2, y2 = maps.equal_earth(-40.0, -30.0)
    assert (float(x1), float(y1)) == pytest.approx((-float(x2), -float(y2)))


def test_projection_is_equal_area_and_inverts():
    ring = maps.map_outline(721)
    x, y = ring[:, 0], ring[:, 1]
    area = 0.5 * abs(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))
    assert area == pytest.approx(4 * math.pi, rel=1e-4)
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(-180, 180, 500), rng.uniform(-89.9, 89.9, 500)
    back_lon, back_lat = maps.equal_earth_inverse(*maps.equal_earth(lon, lat))
    assert np.allclose(back_lon, lon, atol=1e-7) and np.allclose(back_lat, lat, atol=1e-7)
    assert np.isnan(maps.equal_earth_inverse(3.0, 0.0)[0])  # beyond the map's edge


def test_antimeridian_ring_is_cut_into_pieces_inside_the_map():
    lon = np.array([170.0, -170.0, -170.0, 170.0, 170.0])
    lat = np.array([-10.0, -10.0, 10.0, 10.0, -10.0])
    pieces = maps.split_antimeridian(lon, lat)
    assert len(pieces) == 2
    for piece in pieces:
        assert np.all(np.abs(piece[:, 0]) <= 180.0)
        assert np.array_equal(piece[0], piece[-1])
    spans = sorted((p[:, 0].min(), p[:, 0].max()) for p in pieces)
    assert spans == [(-180.0, -170.0), (170.0, 180.0)]
    # a ring that does not cross comes back as it was
    ok = maps.split_antimeridian(np.array([0.0, 10, 10, 0]), np.array([0.0, 0, 10, 0]))
    assert len(ok) == 1 and ok[0].shape == (4, 2)
    # projected rings of every shape stay within the globe's outline
    xmax = float(maps.equal_earth(180.0, 0.0)[0])
    for shape in maps.country_shapes().values():
        assert -xmax - 1e-9 <= shape.bbox[0] and shape.bbox[2] <= xmax + 1e-9, shape.iso3


# --- choropleth -------------------------------------------------------------------------


def test_every_un_member_gets_a_polygon_or_a_capital_dot():
    values = {iso: float(i) for i, iso in enumerate(sorted(UN_MEMBERS))}
    capitals = _capitals()
    _, _, art = _draw(values, capitals=capitals)
    assert art.unplaced == ()
    assert UN_MEMBERS - set(art.filled) - set(art.dotted) == set()
    shapes = maps.country_shapes()
    # shapeless states are dots; tiny polygons (Luxembourg) get a dot too, big ones do not
    assert {"SGP", "MLT", "NRU", "TUV", "BHR"} <= set(art.dotted)
    assert "LUX" in art.filled and "LUX" in art.dotted
    assert "FRA" in art.filled and "FRA" not in art.dotted
    assert all(iso in shapes for iso in art.filled)
    # the dot sits at the supplied capital: Singapore's from capitals.csv
    offsets = art.dots.get_offsets()
    lat, lon = capitals["SGP"]
    x, y = maps.equal_earth(lon, lat)
    assert np.allclose(offsets[art.dotted.index("SGP")], [float(x), float(y)])
    # dots are coloured by value like the polygons
    colours = art.dots.get_facecolors()
    expected = art.fills.cmap(art.fills.norm(values["SGP"]))
    assert np.allclose(colours[art.dotted.index("SGP")], expected)


def test_world_capitals_table_places_every_nation_and_agrees_with_bundled_points():
    path = DATA / "un193" / "capitals.csv"
    with path.open(encoding="utf-8") as f:
        capitals = {r["iso3"]: (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(f)}
    _, _, art = _draw(dict.fromkeys(capitals, 1.0), capitals=capitals)
    assert art.unplaced == ()
    assert set(capitals) - set(art.filled) - set(art.dotted) == set()
    # the bundled Natural Earth capitals of shapeless states sit within ~30 km of the table's
    shapes, points = maps.country_shapes(), maps.nation_points()
    for iso in set(capitals) & set(points) - set(shapes):
        assert np.hypot(*np.subtract(capitals[iso], points[iso])) < 0.3, iso


def test_missing_values_are_grey_and_unknown_codes_reported():
    values = {"USA": 1.0, "CHN": float("nan"), "ZZZ": 0.5}
    _, _, art = _draw(values)
    assert art.filled == ("USA",)
    assert art.unplaced == ("ZZZ",)
    n_shapes = len(maps.country_shapes()) - 1  # Antarctica is off by default
    assert len(art.missing.get_paths()) == n_shapes - 1
    assert np.allclose(art.missing.get_facecolors()[0][:3], [217 / 255] * 3)


def test_svg_has_one_filled_path_per_nation():
    values = {iso: float(i % 7 - 3) for i, iso in enumerate(sorted(maps.country_shapes()))}
    fig, ax, art = _draw(
        values,
        cmap=palette.DIVERGING,
        norm=maps.diverging_norm(values.values()),
        edges=[("USA", "GBR", 1.0), ("JPN", "USA", 0.5)],
        label="lean",
    )
    bar = maps.add_colorbar(fig, ax, art)
    assert bar.ax.get_xlabel() == "lean"
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    n_shaped = len(art.filled) + len(art.missing.get_paths())
    assert len(art.filled) >= 170
    assert svg.count("<path") >= n_shaped
    # one path filled with its value's colour per nation (7 values: 7 colours)
    fills = re.findall(r"<path [^>]*style=\"fill: (#[0-9a-f]{6})", svg)
    expected = {to_hex(art.fills.cmap(art.fills.norm(float(v)))) for v in range(-3, 4)}
    assert len(expected) == 7
    assert sum(f in expected for f in fills) >= len(art.filled)
    assert to_hex(art.fills.cmap(0.0)) in fills and to_hex(art.fills.cmap(1.0)) in fills
    assert art.network is not None and len(art.network.get_segments()) == 3  # JPN-USA is cut


# --- hit test ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat", "iso"),
    [
        (2.35, 48.86, "FRA"),  # Paris
        (-98.0, 38.5, "USA"),  # Kansas
        (28.2, -29.6, "LSO"),  # inside South Africa's hole
        (25.0, -30.0, "ZAF"),
        (-30.0, 0.0, None),  # mid-Atlantic
        (14.51, 35.9, "MLT"),  # no polygon: the capital's dot
        (178.0, -17.8, "FJI"),  # next to the antimeridian
    ],
)
def test_nation_at_lonlat(lon, lat, iso):
    assert maps.nation_at_lonlat(lon, lat) == iso


def test_nation_at_projected_click_and_extra_points():
    x, y = maps.country_shapes()["BRA"].label_xy
    assert maps.nation_at(x, y) == "BRA"
    x, y = maps.equal_earth(-150.0, -30.0)
    assert maps.nation_at(float(x), float(y)) is None
    assert maps.nation_at(float(x), float(y), points={"XXX": (-30.0, -150.0)}) == "XXX"


# --- norms and palette ------------------------------------------------------------------


@pytest.mark.parametrize(
    "values", [[-2.0, 0.5, 1.0], [0.1, 0.4, 3.0], [-5.0, -1.0], [0.0, 0.0], [np.nan, 2.0]]
)
def test_diverging_norm_centres_zero(values):
    norm = maps.diverging_norm(values)
    assert float(norm(0.0)) == pytest.approx(0.5)
    finite = [v for v in values if np.isfinite(v)]
    top = max(abs(v) for v in finite) or 1.0
    assert float(norm(top)) == pytest.approx(1.0)
    assert float(norm(-top)) == pytest.approx(0.0)


def test_diverging_norm_with_limit_saturates():
    norm = maps.diverging_norm([5.0], limit=0.6)
    assert float(norm(0.0)) == pytest.approx(0.5)
    assert float(norm(0.3)) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        maps.diverging_norm([1.0], limit=0.0)


def test_palette_lean_colours():
    centre = palette.lean_colour(0.0)
    blue, red = palette.lean_colour(0.6), palette.lean_colour(-0.6)
    assert int(blue[5:7], 16) > int(blue[1:3], 16)  # positive leans are blue
    assert int(red[1:3], 16) > int(red[5:7], 16)  # negative ones red
    assert palette.lean_colour(5.0) == blue  # saturates at the limit
    assert centre not in (blue, red)
    assert palette.text_colour_on(blue) == "#ffffff"
    assert palette.text_colour_on(centre) == "#111111"
    assert palette.sequential_colour(0.0, 0.0, 1.0) != palette.sequential_colour(1.0, 0.0, 1.0)
