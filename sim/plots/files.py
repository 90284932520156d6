"""Writing figures as files: PNG and SVG side by side, identical on every rerun."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

__all__ = ["save_figure", "write_discovery_figures", "write_waterfalls"]


def save_figure(figure: Figure, stem: Path) -> list[Path]:
    """Write a figure as ``stem.png`` and ``stem.svg`` (no dates or software tags).

    Returns:
        The two paths written.

    """
    figure.savefig(stem.with_suffix(".png"), dpi=150, metadata={"Software": None})
    figure.savefig(stem.with_suffix(".svg"), metadata={"Date": None})
    return [stem.with_suffix(".png"), stem.with_suffix(".svg")]


def write_waterfalls(result: Any, nations: Sequence[str], out: Path) -> list[Path]:
    """Write a waterfall of each nation's score change by component (`softpower attribute`)."""
    from sim.plots.attribution import attribution_waterfall

    files: list[Path] = []
    for nation in nations:
        files += save_figure(attribution_waterfall(result, nation), out / f"waterfall_{nation}")
    return files


def write_discovery_figures(result: Any, out: Path) -> list[Path]:
    """Write the coverage-density tradeoff and the CART tree next to a boxes CSV ``out``."""
    tradeoff = Figure(figsize=(7, 5), layout="constrained")
    result.plot_tradeoff(tradeoff.subplots())
    tree = Figure(figsize=(11, 6), layout="constrained")
    result.plot_tree(tree.subplots())
    return save_figure(tradeoff, out.with_name(f"{out.stem}_tradeoff")) + save_figure(
        tree, out.with_name(f"{out.stem}_tree")
    )
