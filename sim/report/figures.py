"""Matplotlib figures of a batch's results, made for the report: readable in print, labelled, with
colour-blind-safe palettes (Okabe–Ito for categories, viridis for sequences, and for leans and
changes the diverging map of `sim.plots.palette`, which the maps of the report and the app share).

Every function takes tidy tables (as `sim.analysis.summary` writes them) and returns a
`matplotlib.figure.Figure` built without pyplot, so nothing here touches global backend state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

from sim.plots import maps, palette

__all__ = [
    "OKABE_ITO",
    "DIVERGING",
    "STYLE",
    "alignment_and_membership",
    "focus_trajectories",
    "MapPanel",
    "centred_norm",
    "world_maps",
    "perception_heatmap",
    "rank_bump",
    "sensitivity_bars",
    "top_trajectories",
]

#: Okabe & Ito (2008) colour-blind-safe palette, most legible in print first (yellow last).
OKABE_ITO: tuple[str, ...] = (
    "#000000",
    "#E69F00",
    "#0072B2",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
)

#: Diverging colour map for leans and changes, the app's too (blue: positive, red: negative).
DIVERGING = palette.DIVERGING

#: Matplotlib settings used for every figure (pass to `matplotlib.rc_context`).
STYLE: dict[RcKeyType, Any] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "pdf.fonttype": 42,
    "svg.hashsalt": "softpower",
}

_LINESTYLES = ("-", "--", "-.", ":")
_SCORE_LABEL = "Soft power score (0–100)"


def _colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def _quarter_axis(ax, steps: Sequence[int] | np.ndarray, dates: Sequence[str]) -> None:
    """Label the x axis with ``YYYY-Qn`` dates, at most about eight ticks (whole years if long)."""
    steps = np.asarray(steps)
    n = len(steps)
    stride = 1 if n <= 9 else 4 * int(np.ceil(n / 32))
    idx = list(range(0, n, stride))
    ax.set_xticks(steps[idx], [dates[i] for i in idx])
    ax.set_xlabel("Quarter")
    if n > 1:
        ax.set_xlim(steps[0], steps[-1])


def _spread(values: Sequence[float], gap: float) -> list[float]:
    """Return label positions near ``values``, at least ``gap`` apart and in the same order;
    labels that would collide are spread evenly around their mean.
    """
    order = np.argsort(values, kind="stable")
    clusters: list[list[float]] = []
    for v in np.asarray(values, dtype=float)[order]:
        clusters.append([v])
        while len(clusters) > 1:
            a, b = clusters[-2], clusters[-1]
            top_a = np.mean(a) + (len(a) - 1) * gap / 2
            bottom_b = np.mean(b) - (len(b) - 1) * gap / 2
            if bottom_b - top_a >= gap:
                break
            clusters[-2:] = [a + b]
    placed = [np.mean(c) + (k - (len(c) - 1) / 2) * gap for c in clusters for k in range(len(c))]
    out = np.empty(len(placed))
    out[order] = placed
    return out.tolist()


def _end_labels(ax, x: float, items: Sequence[tuple[float, str, str, bool]], gap: float) -> None:
    """Write (y, text, colour, bold) labels just right of ``x``, spread so they do not overlap."""
    if not items:
        return
    ys = _spread([y for y, *_ in items], gap)
    for (_, text, colour, bold), y in zip(items, ys, strict=True):
        ax.annotate(
            text,
            (x, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7.5,
            color=colour if colour != OKABE_ITO[-1] else "#8a7d00",
            fontweight="bold" if bold else "normal",
            annotation_clip=False,
        )


def _band_lines(ax, frame: pd.DataFrame, scenarios, titles) -> None:
    """Draw each scenario's mean line over its 5–95% band (one colour and dash per scenario)."""
    for j, name in enumerate(scenarios):
        s = frame[frame["scenario"] == name].sort_values("step")
        if s.empty:
            continue
        colour, style = _colour(j), _LINESTYLES[j % len(_LINESTYLES)]
        ax.fill_between(s["step"], s["q05"], s["q95"], color=colour, alpha=0.15, lw=0)
        ax.plot(s["step"], s["mean"], color=colour, ls=style, lw=1.8, label=titles[name])


def _steps_dates(frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    sd = frame[["step", "date"]].drop_duplicates().sort_values("step")
    return sd["step"].to_numpy(), sd["date"].astype(str).tolist()


def focus_trajectories(
    scores: pd.DataFrame,
    focus: Sequence[str],
    scenarios: Sequence[str],
    titles: Mapping[str, str],
) -> Figure:
    """Score of each focus nation over time, one panel per nation, one line per scenario.

    Args:
        scores: The ``scores`` summary table (scenario, step, date, iso3, mean, q05, q95).
        focus: ISO3 codes, one panel each.
        scenarios: Scenarios in display order (the baseline first).
        titles: Scenario name → label.

    Returns:
        The figure: mean with the 5–95% band over replications.

    """
    cols = min(len(focus), 2)
    rows = int(np.ceil(len(focus) / cols))
    fig = Figure(figsize=(10, 3.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False, sharex=True)).ravel()
    for ax, code in zip(axes, focus, strict=False):
        sub = scores[scores["iso3"] == code]
        _band_lines(ax, sub, scenarios, titles)
        steps, dates = _steps_dates(sub)
        _quarter_axis(ax, steps, dates)
        ax.set_title(code)
        ax.set_ylabel(_SCORE_LABEL)
    for ax in axes[len(focus) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)))
    return fig


def top_trajectories(
    scores: pd.DataFrame,
    scenarios: Sequence[str],
    titles: Mapping[str, str],
    focus: Sequence[str] = (),
    top: int = 10,
) -> Figure:
    """Score trajectories of the top nations (by mean score in the last quarter), per scenario.

    Args:
        scores: The ``scores`` summary table.
        scenarios: One panel each.
        titles: Scenario name → label.
        focus: Nations drawn thicker.
        top: How many nations per panel.

    Returns:
        The figure; each line is labelled at its end.

    """
    cols = min(len(scenarios), 2)
    rows = int(np.ceil(len(scenarios) / cols))
    fig = Figure(figsize=(10, 4.0 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False, sharey=True)).ravel()
    leaders: dict[str, list[str]] = {}
    for name in scenarios:
        sub = scores[scores["scenario"] == name]
        last = sub[sub["step"] == sub["step"].max()].sort_values("mean", ascending=False)
        leaders[name] = last["iso3"].head(top).tolist()
    # One colour and line style per nation in every panel.
    nations = list(dict.fromkeys(c for name in scenarios for c in leaders[name]))
    style = {c: (_colour(j), _LINESTYLES[(j // len(OKABE_ITO)) % 4]) for j, c in enumerate(nations)}
    shown = scores[scores["scenario"].isin(scenarios) & scores["iso3"].isin(nations)]
    gap = 0.035 * float(shown["q95"].max() - shown["q05"].min() or 1.0)
    for ax, name in zip(axes, scenarios, strict=False):
        sub = scores[scores["scenario"] == name]
        labels = []
        for code in leaders[name]:
            s = sub[sub["iso3"] == code].sort_values("step")
            colour, ls = style[code]
            width = 2.4 if code in focus else 1.3
            ax.fill_between(s["step"], s["q05"], s["q95"], color=colour, alpha=0.12, lw=0)
            ax.plot(s["step"], s["mean"], color=colour, ls=ls, lw=width)
            labels.append((float(s["mean"].iloc[-1]), code, colour, code in focus))
        _end_labels(ax, float(sub["step"].max()), labels, gap)
        steps, dates = _steps_dates(sub)
        _quarter_axis(ax, steps, dates)
        ax.set_title(titles[name])
        ax.set_ylabel(_SCORE_LABEL)
        ax.margins(x=0.08)
    for ax in axes[len(scenarios) :]:
        ax.set_visible(False)
    return fig


def rank_bump(
    ranks: pd.DataFrame,
    title: str,
    focus: Sequence[str] = (),
    top: int = 15,
) -> Figure:
    """Bump chart of the mean rank of the top nations over time in one scenario.

    Args:
        ranks: The ``ranks`` summary table of one scenario (step, date, iso3, mean).
        title: Panel title.
        focus: Nations drawn in colour (by their place in ``focus``); the others are grey.
        top: Nations whose mean rank in the last quarter is at most ``top``.

    Returns:
        The figure; rank 1 at the top, each line labelled at its end.

    """
    fig = Figure(figsize=(10, 5.2), layout="constrained")
    ax = fig.subplots()
    last = ranks[ranks["step"] == ranks["step"].max()].sort_values("mean")
    leaders = last["iso3"].head(top).tolist()
    labels = []
    marker = "o" if ranks["step"].nunique() <= 13 else None
    for code in leaders:
        s = ranks[ranks["iso3"] == code].sort_values("step")
        if code in focus:
            colour = _colour(list(focus).index(code) + 1)
            kw: dict[str, Any] = {"lw": 2.6, "color": colour, "zorder": 3}
        else:
            colour = "#7a7a7a"
            kw = {"lw": 1.1, "color": colour, "alpha": 0.8, "zorder": 2}
        ax.plot(s["step"], s["mean"], marker=marker, ms=3, **kw)
        labels.append((float(s["mean"].iloc[-1]), code, colour, code in focus))
    _end_labels(ax, float(ranks["step"].max()), labels, 0.75)
    steps, dates = _steps_dates(ranks)
    _quarter_axis(ax, steps, dates)
    ax.margins(x=0.06)
    low = max(top, float(ranks[ranks["iso3"].isin(leaders)]["mean"].max()))
    ax.set_ylim(low + 0.7, 0.3)
    ax.set_yticks(range(1, int(np.ceil(low)) + 1))
    ax.set_ylabel("Mean rank over replications (1 = highest score)")
    ax.set_title(title)
    ax.grid(axis="x", visible=False)
    return fig


@dataclass(frozen=True)
class MapPanel:
    """One choropleth of `world_maps`.

    Attributes:
        title: Panel title.
        values: ISO3 → value; nations without a value are grey.
        label: Colour bar label (what the colour means, with its direction).
        norm: Maps values to colours; diverging quantities are centred on a meaningful
            midpoint (0 for leans and changes, 50 for a favourable share).
        cmap: Colour map name (`sim.plots.palette`).
        extend: Colour bar arrows for values beyond the norm (``neither``, ``both``, ...).
    """

    title: str
    values: Mapping[str, float]
    label: str
    norm: mcolors.Normalize
    cmap: str = palette.DIVERGING
    extend: str = "neither"


def centred_norm(values: Iterable[float] | np.ndarray, centre: float = 0.0, floor: float = 1e-3):
    """Return a symmetric norm around ``centre`` that covers ``values`` (at least ± ``floor``)."""
    arr = np.asarray(list(values), dtype=float)
    arr = arr[np.isfinite(arr)]
    half = max(floor, float(np.max(np.abs(arr - centre)))) if arr.size else 1.0
    return mcolors.CenteredNorm(vcenter=centre, halfrange=half)


def world_maps(
    panels: Sequence[MapPanel],
    *,
    capitals: Mapping[str, tuple[float, float]] | None = None,
    edges: Sequence[tuple[str, str, float]] | None = None,
    poles: Sequence[str] = (),
) -> Figure:
    """Choropleths of nations' values on the shared world map, one panel above the other.

    Drawn with `sim.plots.maps.draw_choropleth` (Natural Earth shapes, Equal Earth
    projection, small states as a dot at their capital), the same module as the app's map.
    Each panel has its own horizontal colour bar.

    Args:
        panels: The maps to draw, top to bottom.
        capitals: ISO3 → (lat, lon) of the nations' capitals (dots and edges).
        edges: Thin network lines drawn on every panel: (ISO3, ISO3, weight).
        poles: Nations marked with a black star at their capital (the focus actors).

    Returns:
        The figure.
    """
    fig = Figure(figsize=(9.0, 4.15 * len(panels)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(panels), 1, squeeze=False)).ravel()
    for ax, panel in zip(axes, panels, strict=True):
        art = maps.draw_choropleth(
            ax,
            panel.values,
            cmap=panel.cmap,
            norm=panel.norm,
            capitals=capitals,
            edges=edges,
            edge_width=(0.2, 0.8),
            edge_alpha=0.35,
        )
        marks = [capitals[p] for p in poles if capitals and p in capitals]
        if marks:
            x, y = maps.equal_earth([lon for _, lon in marks], [lat for lat, _ in marks])
            ax.scatter(x, y, marker="*", s=90, c="black", edgecolors="white", lw=0.6, zorder=6)
        ax.set_title(panel.title)
        maps.add_colorbar(fig, ax, art, panel.label, extend=panel.extend, shrink=0.6)
    return fig


def perception_heatmap(change: pd.DataFrame, title: str, targets: Sequence[str]) -> Figure:
    """Heatmap of perception change by observer region (rows) and target × audience (columns).

    Args:
        change: Columns region, target, audience, value (the change, on the −1…1 scale).
        title: Figure title.
        targets: Target nations in column order.

    Returns:
        The figure with annotated cells and a diverging colour bar centred on zero.

    """
    audiences = list(dict.fromkeys(change["audience"]))
    table = change.pivot_table(
        index="region", columns=["target", "audience"], values="value", observed=True
    )
    columns = [(t, a) for t in targets for a in audiences if (t, a) in table.columns]
    table = table.reindex(columns=pd.MultiIndex.from_tuples(columns)).sort_index()
    data = table.to_numpy()
    fig = Figure(figsize=(10, 0.32 * len(table) + 2.2), layout="constrained")
    ax = fig.subplots()
    finite = data[np.isfinite(data)]
    limit = max(1e-3, float(np.max(np.abs(finite)))) if finite.size else 1.0
    image = ax.imshow(data, cmap=DIVERGING, vmin=-limit, vmax=limit, aspect="auto")
    ax.set_yticks(range(len(table)), table.index)
    ax.set_xticks(range(len(columns)), [f"{t}\n{a}" for t, a in columns])
    ax.tick_params(axis="x", top=True, labeltop=True, bottom=False, labelbottom=False)
    ax.grid(False)
    for r in range(data.shape[0]):
        for c in range(data.shape[1]):
            v = data[r, c]
            if np.isfinite(v):
                dark = abs(v) > 0.6 * limit
                ax.text(
                    c,
                    r,
                    f"{v:+.3f}",
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if dark else "black",
                )
    for k in range(1, len(targets)):
        ax.axvline(k * len(audiences) - 0.5, color="black", lw=1.2)
    bar = fig.colorbar(image, ax=ax, shrink=0.9, pad=0.01)
    bar.set_label("Change in perception (scale −1 to 1)")
    ax.set_ylabel("Observer region (UN)")
    ax.set_title(title)
    return fig


def alignment_and_membership(
    alignment: pd.DataFrame,
    membership: pd.DataFrame,
    scenarios: Sequence[str],
    titles: Mapping[str, str],
    poles: tuple[str, str] | None,
) -> Figure:
    """Share of nations leaning to pole A, and initiative membership, over time per scenario.

    Args:
        alignment: Columns scenario, step, date, mean, q05, q95 (share in [0, 1]); may be empty.
        membership: The ``membership`` summary table (scenario, step, date, initiative, mean,
            q05, q95).
        scenarios: Display order.
        titles: Scenario name → label.
        poles: (A, B) of the alignment panel, or None to leave it out.

    Returns:
        The figure (one panel per initiative, plus the alignment panel).

    """
    initiatives = sorted(set(membership["initiative"])) if not membership.empty else []
    panels: list[tuple[str, pd.DataFrame, str, str]] = []
    if poles is not None and not alignment.empty:
        a = alignment.assign(
            mean=alignment["mean"] * 100, q05=alignment["q05"] * 100, q95=alignment["q95"] * 100
        )
        panels.append(
            (
                f"Alignment: nations leaning to {poles[0]} rather than {poles[1]}",
                a,
                f"Nations leaning to {poles[0]} (% of observers)",
                "",
            )
        )
    for init in initiatives:
        panels.append(
            (
                f"{init} membership",
                membership[membership["initiative"] == init],
                f"{init} members (nations)",
                init,
            )
        )
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(1, len(panels)), squeeze=False)).ravel()
    for ax, (title, frame, ylabel, _) in zip(axes, panels, strict=False):
        _band_lines(ax, frame, scenarios, titles)
        steps, dates = _steps_dates(frame)
        _quarter_axis(ax, steps, dates)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
    if not panels:
        axes[0].text(
            0.5,
            0.5,
            "no alignment or membership recorded",
            ha="center",
            transform=axes[0].transAxes,
        )
        return fig
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)))
    return fig


def sensitivity_bars(table: pd.DataFrame, method: str, title: str) -> Figure:
    """Sensitivity indices per parameter with their confidence intervals, one panel per output.

    Args:
        table: Rows of one method and scenario (output, parameter, S1, S1_conf, ST, ST_conf,
            mu_star, mu_star_conf, sigma).
        method: ``sobol`` (first-order S1 and total ST) or ``morris`` (μ* and σ).
        title: Figure title.

    Returns:
        Horizontal bars with 95% interval whiskers.

    """
    outputs = list(dict.fromkeys(table["output"]))
    fig = Figure(figsize=(10, 0.45 * table["parameter"].nunique() + 2.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(outputs), squeeze=False)).ravel()
    bars: tuple[tuple[str, str | None, str], ...]
    if method == "sobol":
        bars = (("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total ST"))
        xlabel = "Sobol index (share of output variance)"
    else:
        bars = (
            ("mu_star", "mu_star_conf", "μ* (mean |elementary effect|)"),
            ("sigma", None, "σ (interactions, non-linearity)"),
        )
        xlabel = "Elementary effect (output units)"
    for ax, output in zip(axes, outputs, strict=True):
        rows = table[table["output"] == output].reset_index(drop=True)
        y = np.arange(len(rows))
        height = 0.38
        for k, (col, conf, label) in enumerate(bars):
            err = rows[conf].to_numpy() if conf else None
            ax.barh(
                y + (k - 0.5) * height,
                rows[col],
                height,
                xerr=err,
                capsize=2,
                color=_colour(k + 2),
                label=label,
                error_kw={"lw": 0.8},
            )
        ax.set_yticks(y, rows["parameter"])
        ax.invert_yaxis()
        ax.axvline(0, color="black", lw=0.6)
        ax.set_xlabel(xlabel)
        ax.set_title(output)
    axes[0].legend(loc="lower right")
    fig.suptitle(title)
    return fig
