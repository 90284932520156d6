"""The world map as the page shows it, as a standalone SVG file to download (issue 24, Deliver-4).

The same shapes, colours, edges, dots and labels the browser draws from `sim.viz.figures.MapView`
(``worldmap.vue``), with a title and the legend (the colour bar with its ticks and what each
end means) drawn into the file, so the picture explains itself in a slide or a report.
"""

from __future__ import annotations

import html
import re

from sim.plots import palette, svgmap
from sim.viz.figures import MapView

__all__ = ["map_svg", "map_file_name"]

_FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


def map_file_name(data: MapView, scenario: str) -> str:
    """Return the download's file name: ``softpower_map_<colour>_<scenario>_<quarter>.svg``."""
    return f"softpower_map_{data.colour}_{scenario or 'run'}_{data.date or 'now'}.svg"


def _gradient_stops(data: MapView) -> list[str]:
    """The colour bar's colours, low to high, from the legend's CSS gradient."""
    return re.findall(r"#[0-9a-fA-F]{6}", data.gradient or svgmap.gradient_css())


def map_svg(data: MapView, title: str, selected: str = "") -> bytes:
    """Return the map as SVG bytes: title, countries, edges, dots, labels and legend.

    Args:
        data: What the map shows (`sim.viz.figures.map_view`, or the wave's map).
        title: The first line (the scenario, seed and world).
        selected: ISO3 of the inspected nation (outlined in black), or "".

    Returns:
        A standalone SVG document (UTF-8).
    """
    x0, y0, width, height = (float(v) for v in svgmap.view_box().split())
    head, legend_h = 34.0, 64.0
    top, total = y0 - head, height + head + legend_h
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:.1f} {top:.1f} {width:.1f} '
        f'{total:.1f}" width="{width * 2:.0f}" height="{total * 2:.0f}" role="img">',
        f"<title>{html.escape(data.alt)}</title>",
        f'<rect x="{x0:.1f}" y="{top:.1f}" width="{width:.1f}" height="{total:.1f}" '
        'fill="#ffffff"/>',
        f'<text x="{x0 + 4:.1f}" y="{top + 12:.1f}" font-size="9" font-weight="bold" {_FONT}>'
        f"{html.escape(title)}</text>",
        f'<text x="{x0 + 4:.1f}" y="{top + 25:.1f}" font-size="7" {_FONT}>'
        f"{html.escape(data.what)}, {html.escape(data.date)}</text>",
        # the map itself, cut where the page's map is cut (south of 60° S)
        f'<clipPath id="softpower-map-frame"><rect x="{x0:.1f}" y="{y0:.1f}" '
        f'width="{width:.1f}" height="{height:.1f}"/></clipPath>',
        '<g clip-path="url(#softpower-map-frame)">',
        f'<path d="{svgmap.outline_path()}" fill="#ffffff" stroke="#9a9a9a" stroke-width="0.8"/>',
    ]
    for shape in svgmap.shapes():
        code = shape["iso3"]
        fill = data.fills.get(code, palette.MISSING)
        stroke, width_px = ("#000000", 1.6) if code == selected else ("#808080", 0.4)
        tip = html.escape(data.tips.get(code, shape["name"]))
        out.append(
            f'<path d="{shape["d"]}" fill="{fill}" stroke="{stroke}" stroke-width="{width_px}">'
            f"<title>{tip}</title></path>"
        )
    for e in data.edges:
        dash = f' stroke-dasharray="{e["dash"]}"' if e["dash"] else ""
        out.append(
            f'<line x1="{e["x1"]}" y1="{e["y1"]}" x2="{e["x2"]}" y2="{e["y2"]}" '
            f'stroke="{e["stroke"]}" stroke-width="{e["width"]}" '
            f'stroke-opacity="{e["opacity"]}"{dash}/>'
        )
    for d in data.dots:
        out.append(
            f'<circle cx="{d["x"]}" cy="{d["y"]}" r="2.6" fill="{d["fill"]}" stroke="#1a1a1a" '
            f'stroke-width="0.6"><title>{html.escape(data.tips.get(d["iso3"], d["iso3"]))}'
            "</title></circle>"
        )
    for label in data.labels:
        weight = ' font-weight="bold"' if label["bold"] else ""
        out.append(
            f'<text x="{label["x"]}" y="{label["y"]}" text-anchor="middle" font-size="7"{weight} '
            f'{_FONT} fill="#111111" stroke="#ffffff" stroke-width="2" paint-order="stroke">'
            f"{html.escape(label['text'])}</text>"
        )
    out.append("</g>")
    out.append(_legend(data, x0, y0 + height + 8, width))
    out.append("</svg>")
    return "\n".join(out).encode("utf-8")


def _legend(data: MapView, x0: float, y: float, width: float) -> str:
    """The colour bar with its ticks, what each end means and the grey of the missing."""
    stops = _gradient_stops(data)
    bar_x, bar_w, bar_h = x0 + width * 0.3, width * 0.4, 9.0
    gradient = "".join(
        f'<stop offset="{i / max(len(stops) - 1, 1):.3f}" stop-color="{c}"/>'
        for i, c in enumerate(stops)
    )
    parts = [
        f'<defs><linearGradient id="softpower-bar">{gradient}</linearGradient></defs>',
        f'<rect x="{bar_x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h}" '
        'fill="url(#softpower-bar)" stroke="#999999" stroke-width="0.5"/>',
        f'<text x="{bar_x - 4:.1f}" y="{y + 8:.1f}" text-anchor="end" font-size="7" {_FONT}>'
        f"{html.escape(data.low)}</text>",
        f'<text x="{bar_x + bar_w + 4:.1f}" y="{y + 8:.1f}" font-size="7" {_FONT}>'
        f"{html.escape(data.high)}</text>",
    ]
    for position, text in data.ticks:
        tx = bar_x + position * bar_w
        parts.append(
            f'<line x1="{tx:.1f}" y1="{y + bar_h:.1f}" x2="{tx:.1f}" y2="{y + bar_h + 3:.1f}" '
            'stroke="#333333" stroke-width="0.6"/>'
            f'<text x="{tx:.1f}" y="{y + bar_h + 12:.1f}" text-anchor="middle" font-size="7.5" '
            f"{_FONT}>{html.escape(text)}</text>"
        )
    parts.append(
        f'<rect x="{bar_x:.1f}" y="{y + bar_h + 20:.1f}" width="9" height="9" '
        f'fill="{palette.MISSING}" stroke="#999999" stroke-width="0.5"/>'
        f'<text x="{bar_x + 13:.1f}" y="{y + bar_h + 28:.1f}" font-size="7.5" {_FONT}>'
        "grey: not in the model's world, or the nation the colour is about</text>"
    )
    return "".join(parts)
