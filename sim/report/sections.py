"""The figure sections of a report: trajectories, ranks, maps, perception change, sensitivity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

if TYPE_CHECKING:  # matplotlib is imported when figures are drawn, so bad input fails fast
    pass
from sim.report.batch import Batch
from sim.report.document import Block, FigureBlock, Paragraph, Section, Table
from sim.report.findings import SCORE_MEANING, TRADE_TIE_SHARE
from sim.world.bundled import bundled_world

__all__ = ["figure_sections"]


def _alignment(batch: Batch, poles: tuple[str, str]) -> pd.DataFrame:
    """Share of nations (other than the poles) whose attraction to A exceeds that to B, per run
    and step, summarised over runs.
    """
    frame = batch.read(
        "perception",
        ["scenario", "design_point", "replication", "step", "date", "observer", "target", "value"],
        filter=ds.field("target").isin(list(poles)),
    )
    frame = frame[~frame["observer"].isin(poles)]
    if frame.empty:
        return pd.DataFrame(columns=["scenario", "step", "date", "mean", "q05", "q95"])
    keys = ["scenario", "design_point", "replication", "step", "date", "observer"]
    wide = frame.pivot_table(index=keys, columns="target", values="value", observed=True)
    wide["lean_a"] = (wide[poles[0]] > wide[poles[1]]).astype(float)
    share = wide.groupby(level=keys[:-1], observed=True)["lean_a"].mean().reset_index()
    grouped = share.groupby(["scenario", "step", "date"], observed=True)["lean_a"]
    out = grouped.mean().rename("mean").to_frame()
    out["q05"] = grouped.quantile(0.05)
    out["q95"] = grouped.quantile(0.95)
    return out.reset_index()


def _perception_change(
    batch: Batch, scenario: str, targets: Sequence[str]
) -> tuple[pd.DataFrame, str]:
    """Audience perception change by region: scenario − baseline paired by seed at the common
    last step (or, for the baseline alone, last step − first step).
    """
    world = bundled_world()
    region = dict(zip(world.iso3, world.region, strict=True))
    base = batch.baseline
    if scenario == base:
        steps = (int(batch.tables["scores"]["step"].min()), batch.last_step(base))
    else:
        step = min(batch.last_step(scenario), batch.last_step(base))
        steps = (step, step)
    frame = batch.read(
        "audience",
        ["scenario", "design_point", "replication", "step", "observer", "audience", "target"]
        + ["value"],
        filter=ds.field("scenario").isin(list({scenario, base}))
        & ds.field("step").isin(list(set(steps)))
        & ds.field("target").isin(list(targets)),
    )
    frame = frame[frame["observer"] != frame["target"]]
    keys = ["design_point", "replication", "observer", "audience", "target"]
    if scenario == base:
        new = frame[frame["step"] == steps[1]].set_index(keys)["value"]
        old = frame[frame["step"] == steps[0]].set_index(keys)["value"]
        label = f"{batch.date(steps[0])} to {batch.date(steps[1])}"
    else:
        new = frame[frame["scenario"] == scenario].set_index(keys)["value"]
        old = frame[frame["scenario"] == base].set_index(keys)["value"]
        label = batch.date(steps[1])
    diff = (new - old).dropna().rename("value").reset_index()
    per_nation = diff.groupby(["observer", "audience", "target"], sort=False)["value"].mean()
    per_nation = per_nation.reset_index()
    per_nation["region"] = per_nation["observer"].map(region).fillna("(unknown)")
    change = per_nation.groupby(["region", "target", "audience"], sort=False)["value"].mean()
    return change.reset_index(), label


def figure_sections(batch: Batch, focus: tuple[str, ...]) -> list[Section]:
    """The figure sections: trajectories, ranks, maps, perception change, sensitivity."""
    from sim.report import figures

    scores, ranks = batch.tables["scores"], batch.tables["ranks"]
    titles = {s: batch.title(s) for s in batch.scenarios}
    others = [s for s in batch.scenarios if s != batch.baseline]
    base = batch.baseline
    runs_per = batch.ok_runs.groupby("scenario").size()
    counts = [int(runs_per.get(s, 0)) for s in batch.scenarios]
    n_text = (
        f"{counts[0]} per scenario"
        if len(set(counts)) == 1
        else ", ".join(f"{titles[s]}: {n}" for s, n in zip(batch.scenarios, counts, strict=True))
    )
    sections = []

    trajectories = Section("trajectories", "Score trajectories")
    trajectories.blocks.append(
        FigureBlock(
            "focus-scores",
            f"Soft power score of {', '.join(focus)} by scenario",
            f"Soft power score of {', '.join(focus)} per quarter under each scenario. Lines: mean "
            f"over runs ({n_text}); bands: "
            f"5th–95th percentile over runs. {SCORE_MEANING}",
            figures.focus_trajectories(scores, focus, batch.scenarios, titles),
        )
    )
    trajectories.blocks.append(
        FigureBlock(
            "top10-scores",
            "Score trajectories of the ten leading nations",
            "The ten nations with the highest mean score in the final quarter of each scenario. "
            "Lines: mean over runs; bands: 5th–95th percentile; focus nations drawn thicker. "
            "Each line is labelled at its end.",
            figures.top_trajectories(scores, batch.scenarios, titles, focus),
        )
    )
    sections.append(trajectories)

    bump = Section("ranks", "Rankings")
    for s in batch.scenarios:
        bump.blocks.append(
            FigureBlock(
                f"ranks-{s}",
                f"Rank of the top 15 nations: {titles[s]}",
                f"Mean rank over runs (1 = highest score) of the 15 nations ranked highest in the "
                f"final quarter of {titles[s]}, from {batch.date(0)} to "
                f"{batch.date(batch.last_step(s))}. Focus nations ({', '.join(focus)}) in "
                "colour, the others in grey.",
                figures.rank_bump(ranks[ranks["scenario"] == s], titles[s], focus),
            )
        )
    sections.append(bump)

    attraction = batch.tables["attraction"]
    targets = set(attraction["target"])
    world = bundled_world()
    poles = (focus[0], focus[1]) if len(focus) > 1 else None
    if poles is not None and not set(poles) <= targets:
        poles = None
    lean = Section("lean", f"Lean between {focus[0]} and {focus[1]}" if poles else "Lean")
    if poles is None:
        lean.blocks.append(
            Paragraph(
                (
                    "No lean map: it needs two focus nations whose attraction was recorded "
                    f"(recorded targets: {', '.join(sorted(targets)) or 'none'}; set "
                    "record.perception_targets in the experiment or --focus).",
                )
            )
        )
    else:
        lean.blocks += _lean_figures(batch, poles, others, titles, world)
    sections.append(lean)

    perception = Section("perception", "Perception by region and audience")
    audience_targets = [c for c in focus if c in targets]
    if not audience_targets:
        perception.blocks.append(
            Paragraph(("No focus nation has recorded perceptions, so no heatmap.",))
        )
    for s in others or [base]:
        change, label = _perception_change(batch, s, audience_targets)
        if change.empty:
            continue
        against = "against the baseline, paired by seed" if s != base else "in the baseline"
        perception.blocks.append(
            FigureBlock(
                f"perception-{s}",
                f"Perception change of {', '.join(audience_targets)}: {titles[s]}",
                f"Change in how each audience segment (youth, public, elite) sees "
                f"{', '.join(audience_targets)}, {label}, {against}; mean over runs and over the "
                "nations of each UN region (the target's own public left out). Perception runs "
                "from −1 (hostile) to 1 (favourable); purple: better, orange: worse.",
                figures.perception_heatmap(
                    change, f"{titles[s]}: change in perception ({label})", audience_targets
                ),
            )
        )
    sections.append(perception)

    alignment = _alignment(batch, poles) if poles else pd.DataFrame()
    membership = batch.tables["membership"]
    inits = ", ".join(sorted(set(membership["initiative"]))) or "none recorded"
    align_text = (
        f"Left: share of nations (other than {poles[0]} and {poles[1]}) whose attraction to "
        f"{poles[0]} exceeds their attraction to {poles[1]}, computed per run; "
        if poles
        else ""
    )
    sections.append(
        Section(
            "alignment",
            "Alignment and initiative membership",
            [
                FigureBlock(
                    "alignment-membership",
                    "Alignment and initiative membership over time",
                    f"{align_text}initiative membership ({inits}): number of member nations. "
                    "Lines: mean over runs; bands: 5th–95th percentile over runs.",
                    figures.alignment_and_membership(
                        alignment, membership, batch.scenarios, titles, poles
                    ),
                )
            ],
        )
    )

    if "sensitivity" in batch.tables:
        sections.append(_sensitivity_section(batch))
    return sections


def _lean_figures(
    batch: Batch, poles: tuple[str, str], others: list[str], titles: Mapping[str, str], world
) -> list[Block]:
    from sim.report import figures

    attraction = batch.tables["attraction"]
    base = batch.baseline
    trade = np.maximum(world.trade, world.trade.T)
    edges = {
        "trade": list(zip(*np.nonzero(np.triu(trade >= TRADE_TIE_SHARE, 1)), strict=True)),
        "alliance": list(zip(*np.nonzero(np.triu(world.alliance > 0, 1)), strict=True)),
    }
    scores = batch.tables["scores"]
    base_last = batch.last_step(base)
    last_scores = scores[(scores["scenario"] == base) & (scores["step"] == base_last)]
    size = {r.iso3: 6.0 + 1.1 * float(r.mean) for r in last_scores.itertuples()}

    def lean(scenario: str, step: int) -> dict[str, float]:
        sub = attraction[(attraction["scenario"] == scenario) & (attraction["step"] == step)]
        wide = sub.pivot_table(index="observer", columns="target", values="mean", observed=True)
        return (wide[poles[0]] - wide[poles[1]]).dropna().to_dict()

    blocks: list[Block] = []
    for s in others or [base]:
        step = min(batch.last_step(s), base_last)
        leans = {f"Baseline: {titles[base]} · {batch.date(step)}": lean(base, step)}
        if s != base:
            leans[f"Scenario: {titles[s]} · {batch.date(step)}"] = lean(s, step)
        blocks.append(
            FigureBlock(
                f"lean-{s}",
                f"Lean between {poles[0]} and {poles[1]}: "
                + (f"baseline vs {titles[s]}" if s != base else "baseline"),
                f"Nations at their capitals (longitude/latitude, equirectangular). Colour: lean = "
                f"mean attraction to {poles[0]} − mean attraction to {poles[1]} over runs in "
                f"{batch.date(step)} (purple: leans to {poles[0]}, orange: to {poles[1]}); "
                "marker area grows with the baseline score. Grey lines: trade ties where one "
                f"partner has at least {TRADE_TIE_SHARE:.0%} of the other's goods trade; dashed "
                "blue: alliances. "
                + (
                    "Top: baseline; middle: the scenario (same colour scale); bottom: the change "
                    "in lean, scenario minus baseline, on its own scale."
                    if s != base
                    else ""
                ),
                figures.lean_network(
                    list(world.iso3), world.lat, world.lon, edges, leans, poles, size
                ),
            )
        )
    return blocks


def _sensitivity_section(batch: Batch) -> Section:
    from sim.report import figures

    table = batch.tables["sensitivity"]
    section = Section("sensitivity", "Sensitivity analysis")
    method = str(table["method"].iloc[0])
    design = batch.manifest.get("design", {})
    section.blocks.append(
        Paragraph(
            (
                f"{method.capitalize()} design over {', '.join(design.get('parameters', {}))} "
                f"({design.get('points', '?')} design points); outputs averaged over "
                "replications per design point. "
                + (
                    "S1: share of the output's variance due to the parameter alone; ST: including "
                    "its interactions. Whiskers: 95% bootstrap intervals."
                    if method == "sobol"
                    else "μ*: mean absolute elementary effect (importance); σ: spread of the "
                    "effects (interactions or non-linearity). Whiskers: 95% bootstrap intervals."
                ),
            )
        )
    )
    groups = table.groupby(["scenario", "method"], sort=False) if "scenario" in table else None
    items = list(groups) if groups is not None else [(("all", method), table)]
    for (scenario, meth), rows in items:
        title = batch.title(scenario) if scenario != "all" else "all runs"
        section.blocks.append(
            FigureBlock(
                f"sensitivity-{scenario}",
                f"Sensitivity ({meth}): {title}",
                f"{meth.capitalize()} sensitivity indices of each output for {title}, per "
                "parameter, with 95% confidence intervals.",
                figures.sensitivity_bars(rows, meth, f"{meth.capitalize()} indices: {title}"),
            )
        )
        cols = (
            ("S1", "S1_conf", "ST", "ST_conf")
            if meth == "sobol"
            else ("mu_star", "mu_star_conf", "sigma")
        )
        section.blocks.append(
            Table(
                ("Output", "Parameter", *cols),
                tuple(
                    (r["output"], r["parameter"], *(f"{r[c]:.3f}" for c in cols))
                    for _, r in rows.iterrows()
                ),
                numeric=tuple(range(2, 2 + len(cols))),
            )
        )
    return section
