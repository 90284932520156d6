"""Matplotlib figures of a batch's results, made for the report: readable in print, labelled, with
colour-blind-safe palettes (Okabe–Ito for categories, viridis for sequences, PuOr for leans).

Every function takes tidy tables (as `sim.analysis.summary` writes them) and returns a
`matplotlib.figure.Figure` built without pyplot, so nothing here touches global backend state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = [
    "OKABE_ITO",
    "DIVERGING",
    "STYLE",
    "alignment_and_membership",
    "focus_trajectories",
    "lean_network",
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

#: Diverging colour map for leans and changes (purple: positive, orange: negative).
DIVERGING = "PuOr"

#: Matplotlib settings used for every figure (pass to `matplotlib.rc_context`).
STYLE: dict[str, object] = {
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


def _quarter_axis(ax, steps: Sequence[int], dates: Sequence[str]) -> None:
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
            kw = {"lw": 2.6, "color": colour, "zorder": 3}
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


def _wrapped_segments(lon0: float, lat0: float, lon1: float, lat1: float) -> list[list[tuple]]:
    """Return the segments ``[(x0, y0), (x1, y1)]`` of a straight tie on an equirectangular map,
    split at the date line when going across it is shorter than the direct line.
    """
    if abs(lon1 - lon0) <= 180:
        return [[(lon0, lat0), (lon1, lat1)]]
    if lon0 > lon1:
        (lon0, lat0), (lon1, lat1) = (lon1, lat1), (lon0, lat0)
    # lon0 < lon1 and the short way goes west from lon0 through −180.
    span = (lon0 + 360) - lon1
    lat_edge = lat0 + (lat1 - lat0) * ((lon0 + 180) / span)
    return [[(lon0, lat0), (-180, lat_edge)], [(180, lat_edge), (lon1, lat1)]]


def lean_network(
    iso3: Sequence[str],
    lat: np.ndarray,
    lon: np.ndarray,
    edges: Mapping[str, Sequence[tuple[int, int]]],
    leans: Mapping[str, Mapping[str, float]],
    poles: tuple[str, str],
    size: Mapping[str, float] | None = None,
) -> Figure:
    """Map-like network: nations at their capitals, ties as lines, coloured by their lean.

    Args:
        iso3: Nation codes (the node order of ``lat``, ``lon`` and ``edges``).
        lat: Capital latitudes (degrees).
        lon: Capital longitudes (degrees).
        edges: Layer name (``trade``, ``alliance``) → pairs of node indices.
        leans: Panel title → {ISO3: attraction to pole A − attraction to pole B}; one panel
            each. With two panels (baseline, scenario) a third shows the change between them.
        poles: (A, B), the focus actors; drawn as black stars.
        size: ISO3 → marker size (e.g. from the score); constant when None.

    Returns:
        The figure (purple: leans to A or moved towards A; orange: towards B).

    """
    panels = [(title, dict(lean)) for title, lean in leans.items()]
    values = [v for _, lean in panels for v in lean.values() if np.isfinite(v)]
    limit = max(0.05, float(np.max(np.abs(values)))) if values else 1.0
    shared = mcolors.TwoSlopeNorm(vmin=-limit, vcenter=0.0, vmax=limit)
    norms = [shared] * len(panels)
    if len(panels) == 2:
        (_, before), (_, after) = panels
        change = {c: after[c] - before[c] for c in after if c in before}
        biggest = max((abs(v) for v in change.values() if np.isfinite(v)), default=0.0)
        top = max(1e-3, biggest)
        panels.append((f"Change in lean: {poles[0]} − {poles[1]}, scenario − baseline", change))
        norms.append(mcolors.TwoSlopeNorm(vmin=-top, vcenter=0.0, vmax=top))
    fig = Figure(figsize=(10, 3.9 * len(panels) + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(panels), 1, squeeze=False)).ravel()
    edge_style = {
        "trade": {"colors": "#9a9a9a", "linewidths": 0.45, "linestyles": "-", "alpha": 0.55},
        "alliance": {"colors": "#3a5f8a", "linewidths": 0.5, "linestyles": "--", "alpha": 0.45},
    }
    mappables = []
    for ax, (title, lean), norm in zip(axes, panels, norms, strict=True):
        for layer, pairs in edges.items():
            style = edge_style.get(layer, edge_style["trade"])
            segments = [
                seg for i, j in pairs for seg in _wrapped_segments(lon[i], lat[i], lon[j], lat[j])
            ]
            ax.add_collection(LineCollection(segments, zorder=1, **style))
        codes = [c for c in iso3 if c in lean]
        idx = [iso3.index(c) for c in codes]
        mappables.append(
            ax.scatter(
                lon[idx],
                lat[idx],
                c=[lean[c] for c in codes],
                s=[(size or {}).get(c, 30.0) for c in codes],
                cmap=DIVERGING,
                norm=norm,
                edgecolors="#333333",
                linewidths=0.5,
                zorder=3,
            )
        )
        pole_idx = [iso3.index(p) for p in poles if p in iso3]
        ax.scatter(lon[pole_idx], lat[pole_idx], marker="*", s=160, c="black", zorder=4)
        for i, code in enumerate(iso3):
            ax.annotate(
                code,
                (lon[i], lat[i]),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                fontsize=5.5,
                color="#222222",
                zorder=5,
            )
        ax.set_xlim(-180, 180)
        ax.set_ylim(-60, 80)
        ax.set_aspect("equal")
        ax.set_xticks(range(-180, 181, 60))
        ax.set_yticks(range(-60, 81, 30))
        ax.set_xlabel("Longitude (°)")
        ax.set_ylabel("Latitude (°)")
        ax.set_title(title)
    legend = [
        Line2D([], [], color=edge_style["trade"]["colors"], lw=1.2, label="trade tie"),
        Line2D([], [], color=edge_style["alliance"]["colors"], lw=1.2, ls="--", label="alliance"),
        Line2D([], [], marker="*", color="black", ls="", ms=10, label=f"{poles[0]}, {poles[1]}"),
    ]
    axes[0].legend(handles=legend, loc="lower left", framealpha=0.9)
    lean_axes = list(axes[: len(leans)])
    bar = fig.colorbar(mappables[0], ax=lean_axes, shrink=0.8, pad=0.01)
    bar.set_label(f"Lean: attraction to {poles[0]} − attraction to {poles[1]}")
    if len(panels) > len(leans):
        bar = fig.colorbar(mappables[-1], ax=axes[-1], shrink=0.8, pad=0.01)
        bar.set_label(f"Change in lean (towards {poles[0]} +, towards {poles[1]} −)")
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
