"""Figure of the profiles of the event responses (`sim.analysis.profiles`): one panel per
parameter, the fit error over its registry range with the others refitted.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from sim.analysis.profiles import Profile
from sim.plots.palette import SEQUENTIAL

__all__ = ["profile_figure"]


def profile_figure(profile: Profile) -> Figure:
    """Return one panel per profiled parameter: RMSE in sample, leaving out each scenario and
    leaving out each observer region, against the parameter's value; the plausible range
    (within the profile's tolerance of the best out-of-scenario RMSE) shaded, the best marked.
    """
    names = list(dict.fromkeys(r["parameter"] for r in profile.rows))
    cols = min(4, len(names))
    rows = -(-len(names) // cols)
    fig = Figure(figsize=(3.6 * cols, 2.8 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    cmap = colormaps[SEQUENTIAL]
    lines = (
        ("rmse_in", "in sample", cmap(0.75), "-"),
        ("rmse_loo", "scenario left out", cmap(0.1), "-"),
        ("rmse_loo_region", "region left out", cmap(0.45), "--"),
    )
    summary = {s["parameter"]: s for s in profile.summary}
    for ax, name in zip(axes, names, strict=False):
        block = [r for r in profile.rows if r["parameter"] == name]
        x = [r["value"] for r in block]
        for key, label, colour, style in lines:
            ax.plot(x, [r[key] for r in block], style, color=colour, label=label, marker=".")
        s = summary[name]
        ax.axvspan(s["plausible_low"], s["plausible_high"], color="0.9", zorder=0)
        ax.axvline(s["best"], color="0.3", lw=0.8)
        pinned = "pinned" if s["pinned"] else "not pinned"
        ax.set_title(f"{name}\n({pinned})", fontsize=9)
        ax.set_xlabel("value", fontsize=8)
        ax.set_ylabel("RMSE (points)", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, frameon=False)
    return fig
