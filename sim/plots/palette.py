"""Colour-blind-safe colours shared by the report's and the app's maps and charts.

The diverging map is ColorBrewer's RdBu (Harrower & Brewer 2003), which stays readable under
the common colour-vision deficiencies: a positive lean (toward pole A) is blue, a negative
one red, and zero the pale centre. PuOr is the alternative diverging map. Sequential
quantities use cividis (Nuñez, Anderton & Renslow 2018), designed to look the same to readers
with and without deuteranomaly, or viridis.
"""

from __future__ import annotations

from matplotlib import colormaps
from matplotlib.colors import Colormap, Normalize, to_hex, to_rgb

__all__ = [
    "DIVERGING",
    "DIVERGING_ALT",
    "SEQUENTIAL",
    "SEQUENTIAL_ALT",
    "LEAN_LIMIT",
    "MISSING",
    "OUTLINE",
    "OCEAN",
    "FRAME",
    "NETWORK",
    "DOT_EDGE",
    "colormap",
    "lean_colour",
    "sequential_colour",
    "text_colour_on",
]

#: Diverging colour map for signed quantities centred on 0 (positive: blue, negative: red).
DIVERGING = "RdBu"
#: Alternative diverging colour map (positive: purple, negative: orange).
DIVERGING_ALT = "PuOr"
#: Sequential colour map for quantities of one sign (scores, capacities).
SEQUENTIAL = "cividis"
#: Alternative sequential colour map.
SEQUENTIAL_ALT = "viridis"
#: Leans beyond ± this value are drawn at full colour (typical leans lie within ±0.6).
LEAN_LIMIT = 0.6

#: Fill of a nation that has no value.
MISSING = "#d9d9d9"
#: Thin outline between nations.
OUTLINE = "#808080"
#: Fill of the sea inside the map's frame.
OCEAN = "#ffffff"
#: The map's frame (the projected edge of the globe).
FRAME = "#9a9a9a"
#: Lines of the network drawn between capitals.
NETWORK = "#333333"
#: Edge of the dot drawn at a small nation's capital.
DOT_EDGE = "#1a1a1a"


def colormap(cmap: str | Colormap) -> Colormap:
    """Return a colour map given by name or as an object.

    Args:
        cmap: A matplotlib colour map or its registered name.

    Returns:
        The colour map (a fresh copy when given by name).
    """
    return colormaps[cmap] if isinstance(cmap, str) else cmap


def lean_colour(lean: float, *, limit: float = LEAN_LIMIT, cmap: str | Colormap = DIVERGING) -> str:
    """Return the hex colour of a lean on the diverging map, 0 at its centre.

    Args:
        lean: Signed value; positive leans toward pole A (blue on `DIVERGING`).
        limit: Values beyond ± this are drawn at full colour.
        cmap: Diverging colour map.

    Returns:
        A ``#rrggbb`` colour.

    Raises:
        ValueError: If ``limit`` is not positive.
    """
    if not limit > 0:
        raise ValueError(f"limit must be positive, got {limit}")
    x = min(max((float(lean) + limit) / (2.0 * limit), 0.0), 1.0)
    return to_hex(colormap(cmap)(x))


def sequential_colour(
    value: float, vmin: float, vmax: float, *, cmap: str | Colormap = SEQUENTIAL
) -> str:
    """Return the hex colour of a value on a sequential map scaled to [vmin, vmax].

    Args:
        value: The value (clipped to the range).
        vmin: Value at the map's start.
        vmax: Value at the map's end.
        cmap: Sequential colour map.

    Returns:
        A ``#rrggbb`` colour.
    """
    return to_hex(colormap(cmap)(Normalize(vmin, vmax, clip=True)(value)))


def text_colour_on(background: str) -> str:
    """Return black or white, whichever reads better on a background colour.

    Args:
        background: Any matplotlib colour.

    Returns:
        ``"#111111"`` on light backgrounds, ``"#ffffff"`` on dark ones (WCAG relative
        luminance below 0.18).
    """

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in to_rgb(background))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if luminance < 0.18 else "#111111"
