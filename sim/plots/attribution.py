"""Figures of an effect attribution (`sim.analysis.attribution`): a waterfall per nation.

Used by ``softpower attribute`` (PNG and SVG per focus nation) and by the report's "What drives
the change" section. Figures are pyplot-free `matplotlib.figure.Figure` objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from sim.plots.waterfall import draw_waterfall

if TYPE_CHECKING:
    from sim.analysis.attribution import ScenarioAttribution

__all__ = ["UNITS", "attribution_waterfall"]

#: Unit of each metric on the waterfall's axis.
UNITS: dict[str, str] = {
    "score": "score (0-100)",
    "rank": "rank (1 = first)",
    "familiarity": "familiarity (0-100)",
    "reputation": "reputation (0-100)",
    "attraction": "attraction (-1 to 1)",
    "favourable": "favourable share (%)",
}


def attribution_waterfall(
    result: ScenarioAttribution,
    nation: str,
    metric: str = "score",
    target: str = "",
    *,
    max_shown: int = 10,
    title: str | None = None,
    start_label: str = "no events",
    end_label: str = "scenario",
) -> Figure:
    """Return a waterfall of one outcome: baseline, each component's effect, the scenario.

    Args:
        result: An attribution.
        nation: The nation (the observer for pair metrics).
        metric: ``score``, ``rank``, ``familiarity``, ``reputation``, ``attraction`` or
            ``favourable``.
        target: The focus nation of a pair metric.
        max_shown: Most component bars; the smallest are grouped as "other".
        title: Axes title (default: what, where and when).
        start_label: Label of the first bar (the event-less value).
        end_label: Label of the last bar (the scenario's value).

    Returns:
        The figure (8 × 4.5 inches).

    """
    row = result.row(nation, metric, target)
    effects = result.effects[:, row]
    shown = [(c, float(e)) for c, e in zip(result.components, effects, strict=True) if e != 0.0]
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    ax = figure.subplots()
    what = f"{metric} of {nation}" if not target else f"{metric} of {target} in {nation}"
    draw_waterfall(
        ax,
        [c for c, _ in shown],
        [e for _, e in shown],
        start=float(result.baseline[row]),
        title=title or f"{what}, {result.date}: {result.scenario} vs no events",
        unit=UNITS.get(metric, metric),
        max_shown=max_shown,
        decimals=3 if metric == "attraction" else 2,
        start_label=start_label,
        end_label=end_label,
    )
    return figure
