"""The figure sections of a report: trajectories, ranks, maps, perception change, sensitivity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow.dataset as ds

if TYPE_CHECKING:  # matplotlib is imported when figures are drawn, so bad input fails fast
    pass
from sim.report.batch import Batch
from sim.report.document import Block, FigureBlock, Paragraph, Section, Table
from sim.report.findings import SCORE_MEANING
from sim.report.uncertainty import interval_caption

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
    world = batch.world
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
            f"over runs ({n_text}); bands: 5th–95th percentile over runs, the "
            f"{interval_caption(batch.manifest)} {SCORE_MEANING}",
            figures.focus_trajectories(scores, focus, batch.scenarios, titles),
        )
    )
    trajectories.blocks.append(
        FigureBlock(
            "top10-scores",
            "Score trajectories of the ten leading nations",
            "The ten nations with the highest mean score in the final quarter of each scenario. "
            "Lines: mean over runs; bands: 5th–95th percentile; focus nations drawn thicker. "
            f"Each line is labelled at its end. Bands: {interval_caption(batch.manifest)}",
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
    world = batch.world
    poles = (focus[0], focus[1]) if len(focus) > 1 else None
    if poles is not None and not set(poles) <= targets:
        poles = None
    lean = Section(
        "lean", f"Maps: lean between {focus[0]} and {focus[1]}, image, score" if poles else "Maps"
    )
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
                "from −1 (hostile) to 1 (favourable); blue: better, red: worse.",
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
                    "Lines: mean over runs; bands: 5th–95th percentile over runs, the "
                    + interval_caption(batch.manifest),
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


def _favourable(batch: Batch, actor: str) -> tuple[pd.DataFrame, bool]:
    """Mean over runs of each observer's view of ``actor`` per scenario and step.

    Returns:
        (frame with columns scenario, step, observer, value; True if the values are the
        predicted favourable share 0–100 of the ``polls`` table, False if they are attraction
        in [−1, 1] because the batch has no polls).
    """
    try:
        polls = batch.read(
            "polls",
            ["scenario", "step", "observer", "target", "favourable"],
            filter=ds.field("target") == actor,
        )
    except (KeyError, ValueError, OSError):  # an older batch without the polls table
        polls = pd.DataFrame()
    if not polls.empty and "favourable" in polls:
        frame = polls.groupby(["scenario", "step", "observer"], observed=True)["favourable"]
        return frame.mean().rename("value").reset_index(), True
    attraction = batch.tables["attraction"]
    sub = attraction[attraction["target"] == actor]
    frame = sub[["scenario", "step", "observer", "mean"]].rename(columns={"mean": "value"})
    return frame.astype({"scenario": str}), False


def _lean_figures(
    batch: Batch, poles: tuple[str, str], others: list[str], titles: Mapping[str, str], world
) -> list[Block]:
    """The map figures per scenario: lean, favourable view of the first pole, score."""
    from matplotlib import colors as mcolors

    from sim.plots import palette
    from sim.report import figures

    attraction = batch.tables["attraction"]
    scores = batch.tables["scores"]
    base = batch.baseline
    places = zip(world.iso3, world.lat, world.lon, strict=True)
    capitals = {c: (float(la), float(lo)) for c, la, lo in places}
    base_last = batch.last_step(base)
    favourable, is_poll = _favourable(batch, poles[0])

    def lean(scenario: str, step: int) -> dict[str, float]:
        sub = attraction[(attraction["scenario"] == scenario) & (attraction["step"] == step)]
        wide = sub.pivot_table(index="observer", columns="target", values="mean", observed=True)
        return (wide[poles[0]] - wide[poles[1]]).dropna().to_dict()

    def view(scenario: str, step: int) -> dict[str, float]:
        sub = favourable[(favourable["scenario"] == scenario) & (favourable["step"] == step)]
        return {o: float(v) for o, v in zip(sub["observer"], sub["value"], strict=True)}

    def score(scenario: str, step: int) -> dict[str, float]:
        sub = scores[(scores["scenario"] == scenario) & (scores["step"] == step)]
        return {c: float(v) for c, v in zip(sub["iso3"], sub["mean"], strict=True)}

    def change(after: Mapping[str, float], before: Mapping[str, float]) -> dict[str, float]:
        return {c: after[c] - before[c] for c in after if c in before}

    a, b = poles
    towards = f"blue: towards {a}, red: towards {b}"
    blocks: list[Block] = []
    for s in others or [base]:
        step = min(batch.last_step(s), base_last)
        when = batch.date(step)
        versus = s != base
        base_title = f"Baseline: {titles[base]} · {when}"
        scen_title = f"Scenario: {titles[s]} · {when}"

        # lean between the poles
        leans = {base_title: lean(base, step)}
        if versus:
            leans[scen_title] = lean(s, step)
        both = [v for values in leans.values() for v in values.values()]
        shared = figures.centred_norm(both, floor=0.05)
        label = f"Lean: attraction to {a} − attraction to {b} ({towards})"
        panels = [figures.MapPanel(t, v, label, shared) for t, v in leans.items()]
        if versus:
            moved = change(leans[scen_title], leans[base_title])
            panels.append(
                figures.MapPanel(
                    f"Change in lean, scenario − baseline · {when}",
                    moved,
                    f"Change in lean (blue: moved towards {a}, red: towards {b})",
                    figures.centred_norm(moved.values()),
                )
            )
        blocks.append(
            FigureBlock(
                f"lean-{s}",
                f"Lean between {a} and {b}: "
                + (f"baseline vs {titles[s]}" if versus else "baseline"),
                f"Each nation coloured by its lean = mean attraction to {a} − mean attraction "
                f"to {b} over runs in {when} ({towards}; white: no lean), on a world map of "
                "country shapes (Natural Earth, Equal Earth projection; small states as a dot at "
                f"their capital; grey: not in the model). Stars: {a} and {b}. "
                + (
                    "Top: baseline; middle: the scenario (same colour scale); bottom: the change "
                    "in lean, scenario minus baseline, on its own scale centred on no change."
                    if versus
                    else ""
                ),
                figures.world_maps(panels, capitals=capitals, poles=poles),
            )
        )

        # the first pole's image abroad
        views = {base_title: view(base, step)}
        if versus:
            views[scen_title] = view(s, step)
        if is_poll:
            what = f"Predicted favourable view of {a} (% of the public; 50: as many for as against)"
            norm = mcolors.TwoSlopeNorm(vmin=0.0, vcenter=50.0, vmax=100.0)
            source = "the predicted favourable share of each nation's public (polls table)"
        else:
            what = f"Attraction to {a} (−1 hostile … +1 favourable; 0: neutral)"
            values = [v for vs in views.values() for v in vs.values()]
            norm = figures.centred_norm(values, floor=0.05)
            source = (
                "attraction (this batch has no predicted favourable shares, so the map shows "
                "the audience-weighted attraction in [−1, 1])"
            )
        panels = [figures.MapPanel(t, v, what, norm) for t, v in views.items()]
        if versus:
            moved = change(views[scen_title], views[base_title])
            unit = "points" if is_poll else "attraction"
            panels.append(
                figures.MapPanel(
                    f"Change in the view of {a}, scenario − baseline · {when}",
                    moved,
                    f"Change ({unit}; blue: warmer towards {a}, red: cooler)",
                    figures.centred_norm(moved.values()),
                )
            )
        blocks.append(
            FigureBlock(
                f"favourable-{s}",
                f"How the world sees {a}: "
                + (f"baseline vs {titles[s]}" if versus else "baseline"),
                f"Each nation coloured by {source}, mean over runs in {when}; blue: favourable, "
                "red: unfavourable, centred on the neutral point. "
                + (
                    "Bottom: the change under the scenario against the baseline, centred on no "
                    "change."
                    if versus
                    else ""
                ),
                figures.world_maps(panels, capitals=capitals, poles=(a,)),
            )
        )

        # soft power score
        level = score(base, step)
        panels = [
            figures.MapPanel(
                base_title,
                level,
                "Soft power score (0–100, mean over runs)",
                mcolors.Normalize(0.0, 100.0),
                cmap=palette.SEQUENTIAL,
            )
        ]
        if versus:
            moved = change(score(s, step), level)
            panels.append(
                figures.MapPanel(
                    f"Change in score, scenario − baseline · {when}",
                    moved,
                    "Change in score (points; blue: gains, red: losses)",
                    figures.centred_norm(moved.values(), floor=0.1),
                )
            )
        blocks.append(
            FigureBlock(
                f"score-map-{s}",
                "Soft power score by nation: " + (titles[s] if versus else titles[base]),
                f"Top: each nation's soft power score in the baseline, {when}, mean over runs "
                "(cividis, dark: low, yellow: high; legible in grey and to colour-blind readers)."
                + (
                    " Bottom: the change under the scenario against the baseline (mean over "
                    "runs), blue for gains and red for losses, centred on no change."
                    if versus
                    else ""
                )
                + f" {SCORE_MEANING}",
                figures.world_maps(panels, capitals=capitals, poles=poles),
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
