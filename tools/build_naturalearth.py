"""Rebuild ``sim/data/naturalearth/countries_110m.geojson`` from Natural Earth files.

Natural Earth (https://www.naturalearthdata.com/) is in the public domain. This script reads
its 1:110m admin-0 countries (GeoJSON) and populated places (the point shapefile that
geopandas 0.14 bundled as ``naturalearth_cities``) and writes one compact FeatureCollection
with only what ``sim.plots.maps`` needs: an ISO 3166-1 alpha-3 code, a short name, the
polygons (rounded) and Natural Earth's label point. It needs only the standard
library; it is a data-preparation tool and is never imported at run time.

Usage (see ``sim/data/naturalearth/SOURCE.md`` for where the two inputs come from)::

    python tools/build_naturalearth.py \
        --countries ne_110m_admin_0_countries.geojson \
        --cities naturalearth_cities.shp \
        --out sim/data/naturalearth/countries_110m.geojson

Reductions, in order:

1. ISO3 code: ``ISO_A3``, else ``ISO_A3_EH``, else ``ADM0_A3`` (Natural Earth writes -99 in
   ``ISO_A3`` for France, Norway, Kosovo, Somaliland and Northern Cyprus). Natural Earth's
   own codes are then mapped: Kosovo ``KOS`` -> ``XKX`` (the code the EU, IMF and World Bank
   use), Somaliland ``SOL`` -> merged into ``SOM``, Northern Cyprus ``CYN`` -> merged into
   ``CYP`` (both as the UN recognises them).
2. Crimea, a separate ring of Russia's multipolygon in this edition, is moved to Ukraine
   (UN General Assembly resolution 68/262), as geopandas did for its bundled copy.
3. Coordinates are rounded to ``--decimals`` (3: about 100 m, far below the 1:110m
   generalisation), consecutive duplicate points dropped, degenerate rings (< 4 points)
   dropped; exteriors are written counter-clockwise and holes clockwise.
4. Sovereign states without a 1:110m polygon (Andorra, Malta, Singapore, the small island
   states, the Holy See) are written as Point features at their capital, taken by name
   from the populated places (``SMALL_STATES``), so every UN member has a location.
   Nauru has no official capital and none in that file: the CIA World Factbook's Yaren
   District coordinates (0 32 S, 166 55 E) are used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
from pathlib import Path

# Natural Earth ADM0_A3 codes that are not ISO 3166-1 alpha-3 codes.
NE_CODE_TO_ISO3 = {
    "KOS": "XKX",
    "SOL": "SOM",
    "CYN": "CYP",
    "SDS": "SSD",
    "SAH": "ESH",
    "PSX": "PSE",
}
# Sovereign states that have no polygon at 1:110m: iso3 -> (name, capital in the cities file).
SMALL_STATES = {
    "AND": ("Andorra", "Andorra"),
    "ATG": ("Antigua and Barbuda", "Saint John's"),
    "BHR": ("Bahrain", "Manama"),
    "BRB": ("Barbados", "Bridgetown"),
    "COM": ("Comoros", "Moroni"),
    "CPV": ("Cabo Verde", "Praia"),
    "DMA": ("Dominica", "Roseau"),
    "FSM": ("Micronesia", "Palikir"),
    "GRD": ("Grenada", "Saint George's"),
    "KIR": ("Kiribati", "Tarawa"),
    "KNA": ("St. Kitts and Nevis", "Basseterre"),
    "LCA": ("Saint Lucia", "Castries"),
    "LIE": ("Liechtenstein", "Vaduz"),
    "MCO": ("Monaco", "Monaco"),
    "MDV": ("Maldives", "Malé"),
    "MHL": ("Marshall Is.", "Majuro"),
    "MLT": ("Malta", "Valletta"),
    "MUS": ("Mauritius", "Port Louis"),
    "PLW": ("Palau", "Melekeok"),
    "SGP": ("Singapore", "Singapore"),
    "SMR": ("San Marino", "San Marino"),
    "STP": ("São Tomé and Principe", "São Tomé"),
    "SYC": ("Seychelles", "Victoria"),
    "TON": ("Tonga", "Nuku'alofa"),
    "TUV": ("Tuvalu", "Funafuti"),
    "VAT": ("Vatican", "Vatican City"),
    "VCT": ("St. Vin. and Gren.", "Kingstown"),
    "WSM": ("Samoa", "Apia"),
}
# Small states whose capital is not in the cities file: iso3 -> (name, capital, lon, lat).
EXTRA_CAPITALS = {
    # CIA World Factbook, Government > Capital: "0 32 S, 166 55 E" (no official capital).
    "NRU": ("Nauru", "Yaren District", 166.9167, -0.5333),
}
CRIMEA_BBOX = (32.2, 44.3, 36.7, 46.3)  # lon_min, lat_min, lon_max, lat_max


def iso3_of(props: dict) -> str:
    """Return the ISO3 code of a Natural Earth admin-0 feature (step 1 of the module doc)."""
    for key in ("ISO_A3", "ISO_A3_EH", "ADM0_A3"):
        code = props.get(key)
        if code and code != "-99":
            return NE_CODE_TO_ISO3.get(code, code)
    raise ValueError(f"no code for {props.get('NAME')}")


def signed_area(ring: list[list[float]]) -> float:
    """Shoelace area of a closed ring in degrees squared (positive if counter-clockwise)."""
    return 0.5 * sum(
        x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring[:-1], ring[1:], strict=True)
    )


def clean_ring(ring: list[list[float]], decimals: int, exterior: bool) -> list | None:
    """Round, drop repeated points, close and orient a ring; None if it degenerates."""
    out: list[list[float]] = []
    for x, y in ring:
        pt = [round(x, decimals), round(y, decimals)]
        if not out or pt != out[-1]:
            out.append(pt)
    if out[0] != out[-1]:
        out.append(out[0])
    if len(out) < 4 or signed_area(out) == 0.0:
        return None
    if (signed_area(out) > 0) != exterior:
        out.reverse()
    return out


def polygons_of(geometry: dict) -> list:
    """Return a geometry's polygons as a MultiPolygon coordinate list."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise ValueError(geometry["type"])


def in_bbox(polygon: list, bbox: tuple[float, float, float, float]) -> bool:
    """Whether a polygon's exterior lies wholly inside ``bbox``."""
    return all(bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3] for x, y in polygon[0])


def read_point_shapefile(shp: Path) -> dict[str, tuple[float, float]]:
    """Read a point shapefile and the ``name`` column of its .dbf (Latin-1) with the stdlib.

    Returns:
        Mapping of name to (lon, lat).
    """
    data = shp.read_bytes()
    points: list[tuple[float, float]] = []
    offset = 100  # fixed-length main header
    while offset < len(data):
        (length_words,) = struct.unpack(">i", data[offset + 4 : offset + 8])
        (shape_type,) = struct.unpack("<i", data[offset + 8 : offset + 12])
        if shape_type != 1:
            raise ValueError(f"not a point record: type {shape_type}")
        points.append(struct.unpack("<2d", data[offset + 12 : offset + 28]))
        offset += 8 + 2 * length_words
    dbf = shp.with_suffix(".dbf").read_bytes()
    n_records, header_len, record_len = struct.unpack("<IHH", dbf[4:12])
    fields: list[tuple[str, int]] = []
    pos = 32
    while dbf[pos] != 0x0D:
        name = dbf[pos : pos + 11].split(b"\0")[0].decode("ascii")
        fields.append((name, dbf[pos + 16]))
        pos += 32
    names = []
    for i in range(n_records):
        rec = dbf[header_len + i * record_len : header_len + (i + 1) * record_len]
        col = 1  # deletion flag
        for name, width in fields:
            if name.lower() == "name":
                names.append(rec[col : col + width].decode("latin-1").strip())
            col += width
    if len(names) != len(points):
        raise ValueError("shp and dbf disagree")
    return dict(zip(names, points, strict=True))


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(countries: Path, cities_shp: Path, decimals: int) -> dict:
    """Build the reduced FeatureCollection (see the module docstring)."""
    src = json.loads(countries.read_text(encoding="utf-8-sig"))
    shapes: dict[str, dict] = {}
    adm0_to_iso: dict[str, str] = {}
    for feature in src["features"]:
        props = feature["properties"]
        iso = iso3_of(props)
        adm0_to_iso[props["ADM0_A3"]] = iso
        entry = shapes.setdefault(
            iso, {"name": props["NAME"], "label": None, "polygons": [], "area": 0.0}
        )
        polys = polygons_of(feature["geometry"])
        area = sum(abs(signed_area(p[0])) for p in polys)
        # The label point and name come from the largest part (Somalia, not Somaliland).
        if area > entry["area"]:
            entry.update(
                name=props["NAME"],
                area=area,
                label=[round(props["LABEL_X"], 2), round(props["LABEL_Y"], 2)],
            )
        entry["polygons"].extend(polys)

    crimea = [p for p in shapes["RUS"]["polygons"] if in_bbox(p, CRIMEA_BBOX)]
    if len(crimea) != 1:
        raise SystemExit(f"expected one Crimean ring in Russia, found {len(crimea)}")
    shapes["RUS"]["polygons"].remove(crimea[0])
    shapes["UKR"]["polygons"].append(crimea[0])

    cities = read_point_shapefile(cities_shp)
    capitals: dict[str, tuple[str, str, float, float]] = {}
    for iso, (name, capital) in SMALL_STATES.items():
        if iso in shapes:
            raise SystemExit(f"{iso} has a polygon; drop it from SMALL_STATES")
        lon, lat = cities[capital]
        capitals[iso] = (name, capital, round(lon, 3), round(lat, 3))
    capitals.update(EXTRA_CAPITALS)

    features = []
    for iso in sorted(set(shapes) | set(capitals)):
        if iso in shapes:
            entry = shapes[iso]
            polys = []
            for poly in entry["polygons"]:
                rings = [clean_ring(r, decimals, exterior=i == 0) for i, r in enumerate(poly)]
                if rings[0] is None:
                    continue
                polys.append([r for r in rings if r is not None])
            props = {"iso3": iso, "name": entry["name"], "label": entry["label"]}
            geometry = {"type": "MultiPolygon", "coordinates": polys}
        else:
            name, capital, lon, lat = capitals[iso]
            props = {"iso3": iso, "name": name, "label": [lon, lat], "capital": capital}
            geometry = {"type": "Point", "coordinates": [lon, lat]}
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return {
        "type": "FeatureCollection",
        "source": {
            "countries": f"{countries.name} sha256={sha256(countries)}",
            "cities": f"{cities_shp.name} sha256={sha256(cities_shp)}",
            "licence": "Natural Earth, public domain (https://www.naturalearthdata.com/about/terms-of-use/)",
            "built_by": "tools/build_naturalearth.py",
            "decimals": decimals,
        },
        "features": features,
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", type=Path, required=True)
    parser.add_argument("--cities", type=Path, required=True, help="naturalearth_cities.shp")
    parser.add_argument("--decimals", type=int, default=3)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[1]
        / "sim/data/naturalearth/countries_110m.geojson",
    )
    args = parser.parse_args()
    collection = build(args.countries, args.cities, args.decimals)
    # One feature per line: compact, yet diffs stay readable.
    lines = [
        json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in collection["features"]
    ]
    head = {k: v for k, v in collection.items() if k != "features"}
    text = json.dumps(head, separators=(",", ":"), ensure_ascii=False)[:-1]
    text += ',"features":[\n' + ",\n".join(lines) + "\n]}\n"
    args.out.write_text(text, encoding="utf-8")
    n_shapes = sum(f["geometry"]["type"] == "MultiPolygon" for f in collection["features"])
    print(
        f"wrote {args.out} ({len(text.encode()):,} bytes): {n_shapes} shapes, "
        f"{len(collection['features']) - n_shapes} capital-only points"
    )


if __name__ == "__main__":
    main()
