"""The report's analysis sections: "What flips the answer" and "What drives the change".

*What flips the answer* (batches with design parameters): scenario discovery
(`sim.analysis.outcomes.discover_batch`) of a default condition — the second focus nation's score
above the first's at the last step, e.g. ``score[CHN] > score[USA]`` — with the chosen PRIM box,
its coverage and density, the peeling tradeoff curve and the CART tree.

*What drives the change* (batches with scenarios besides the baseline): for each such scenario,
a Shapley attribution (`sim.analysis.attribution`) of the focus nations' score change at the
batch's last step among the scenario's events, drawn as waterfalls. It reruns the scenario's
coalitions at the default parameters with the seed of the batch's first replication, within a
budget of `ATTRIBUTION_BUDGET` runs per scenario: each event when few, else each included file
or event kind, else sampled orderings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import SoftPowerError
from sim.report.batch import Batch
from sim.report.document import Code, FigureBlock, Paragraph, Section, Table

if TYPE_CHECKING:
    from sim.analysis.attribution import ScenarioAttribution

__all__ = ["ATTRIBUTION_BUDGET", "analysis_sections", "default_condition"]

#: Most coalition runs per scenario for the report's attributions.
ATTRIBUTION_BUDGET = 64


def default_condition(focus: tuple[str, ...]) -> str:
    """The question the report asks of a design: does the second focus nation lead the first?

    Example:
        >>> default_condition(("USA", "CHN"))
        'score[CHN] > score[USA]'

    """
    if len(focus) >= 2:
        return f"score[{focus[1]}] > score[{focus[0]}]"
    return f"rank[{focus[0]}] > 1"


def analysis_sections(batch: Batch, focus: tuple[str, ...]) -> list[Section]:
    """Return the "What flips the answer" and "What drives the change" sections that apply."""
    sections = []
    flips = _flips_section(batch, focus)
    if flips is not None:
        sections.append(flips)
    drives = _drives_section(batch, focus)
    if drives is not None:
        sections.append(drives)
    return sections


def _design_parameters(batch: Batch) -> list[str]:
    from sim.analysis.outcomes import design_table

    design = design_table(batch.root)
    return [c for c in design.columns if c != "scenario" and design[c].nunique() > 1]


def _flips_section(batch: Batch, focus: tuple[str, ...]) -> Section | None:
    from matplotlib.figure import Figure

    from sim.analysis.outcomes import discover_batch

    parameters = _design_parameters(batch)
    if not parameters:
        return None
    section = Section("what-flips", "What flips the answer")
    condition = default_condition(focus)
    step = max(batch.last_step(s) for s in batch.scenarios)
    intro = (
        f"Which assumptions make “{condition}” true in {batch.date(step)}? Scenario discovery "
        f"over the design ({', '.join(parameters)}"
        f"{' and the scenario' if len(batch.scenarios) > 1 else ''}): PRIM peels the design "
        "space towards a box where such runs are dense; a CART tree gives a second view. "
        "Coverage is the share of all such runs inside the box, density the share of the box's "
        "runs that are such runs."
    )
    section.blocks.append(Paragraph((intro,)))
    try:
        found = discover_batch(batch.root, condition, step=step)
    except SoftPowerError as exc:
        section.blocks.append(Paragraph((f"Nothing to discover: {exc.message}.",)))
        return section
    result = found.discovery
    box = result.chosen_box
    section.blocks.append(
        Paragraph(
            (
                f"{result.n_interesting} of {result.n_runs} runs meet the condition. The chosen "
                f"box, {result.rule()}, holds {box['coverage']:.0%} of them (coverage) and "
                f"{box['density']:.0%} of its runs meet it (density); it covers "
                f"{box['mass']:.0%} of all runs.",
            ),
            kind="finding",
        )
    )
    for note in found.notes:
        section.blocks.append(Paragraph((f"Note: {note}.",)))
    rows = []
    for name, limits in result.restrictions().items():
        if isinstance(limits, set):
            rows.append((name, "in " + ", ".join(sorted(limits)), ""))
        else:
            low, high = limits
            rows.append((name, f"{low:.3g}", f"{high:.3g}"))
    if rows:
        section.blocks.append(
            Table(
                ("parameter", "from", "to"),
                tuple(rows),
                caption=f"Chosen box {result.chosen} (from the batch's boxes on PRIM's "
                "trajectory; reproduce with the command below).",
                numeric=(1, 2),
            )
        )
    tradeoff = Figure(figsize=(7, 5), layout="constrained")
    result.plot_tradeoff(tradeoff.subplots())
    section.blocks.append(
        FigureBlock(
            "prim-tradeoff",
            f"Where “{condition}” holds: PRIM's coverage–density tradeoff",
            "Each point is a box on PRIM's peeling trajectory (colour: number of restricted "
            "parameters); the ringed box is the chosen one, the dashed line the density "
            f"threshold ({result.threshold:.0%}).",
            tradeoff,
        )
    )
    tree = Figure(figsize=(11, 6), layout="constrained")
    result.plot_tree(tree.subplots())
    section.blocks.append(
        FigureBlock(
            "cart-tree",
            f"Where “{condition}” holds: CART decision tree",
            f"A decision tree of depth {result.tree.get_depth()} separating the runs that meet "
            f"the condition from the others; it classifies {result.tree_accuracy:.0%} of the "
            "runs correctly.",
            tree,
        )
    )
    section.blocks.append(
        Code(
            f"softpower discover {batch.root} --condition '{condition}' --step {step} "
            f"--out {batch.root / 'discovery' / 'boxes.csv'}"
        )
    )
    return section


def _drives_section(batch: Batch, focus: tuple[str, ...]) -> Section | None:
    others = [s for s in batch.scenarios if s != batch.baseline]
    if not others:
        return None
    from sim.plots.attribution import attribution_waterfall

    section = Section("what-drives", "What drives the change")
    for scenario in others:
        try:
            result = _attribution(batch, scenario, focus)
        except (SoftPowerError, OSError) as exc:
            message = exc.message if isinstance(exc, SoftPowerError) else str(exc)
            section.blocks.append(
                Paragraph((f"{batch.title(scenario)}: no attribution ({message}).",))
            )
            continue
        mode = "exact" if result.exact else "sampled orderings"
        grouping = {"event": "each event", "file": "each file", "kind": "each event kind"}
        for nation in focus:
            effects = result.effect(nation).sort_values(key=abs, ascending=False)
            change = result.total[result.row(nation)]
            lead = ", ".join(f"{name} ({value:+.2f})" for name, value in effects.head(2).items())
            figure = attribution_waterfall(
                result,
                nation,
                title=f"{nation} score, {result.date}: {batch.title(scenario)}",
            )
            section.blocks.append(
                FigureBlock(
                    f"attribution-{scenario}-{nation}",
                    f"What moves {nation}'s score under {batch.title(scenario)}",
                    f"{nation}'s score change of {change:+.2f} points by {result.date}, split "
                    f"among {grouping[result.grouping]} as Shapley values: each bar is the "
                    "average change a component makes when added, over every order of adding "
                    "them; the bars sum exactly to the scenario minus the same run with none of "
                    f"its events. Largest: {lead}. {len(result.components)} components, {mode}, "
                    f"{result.runs} runs at the default parameters with the seed of the batch's "
                    f"first replication ({result.seeds[0]}), the same in every run."
                    + "".join(f" Note: {note}." for note in result.notes),
                    figure,
                )
            )
    return section


def _attribution(batch: Batch, scenario: str, focus: tuple[str, ...]) -> ScenarioAttribution:
    from sim.analysis.attribution import attribute, choose_grouping, default_workers
    from sim.batch.experiment import seed_sequence
    from sim.scenario.scenario import load_scenario

    entry = batch.manifest["scenarios"].get(scenario, {})
    path = entry.get("path")
    if not path or not Path(path).is_file():
        raise SoftPowerError(f"scenario file {path!r} not found", file=str(path))
    world = batch.world
    spec = load_scenario(path, world)
    steps = batch.manifest.get("steps")
    if steps:
        spec = spec.with_steps(int(steps))
    runs = batch.ok_runs[batch.ok_runs["scenario"] == scenario].sort_values("replication")
    seed = seed_sequence(str(runs["seed"].iloc[0]))
    step = min(batch.last_step(scenario), spec.steps)
    plan = spec.plan(world)
    by, max_exact, permutations = choose_grouping(spec, plan, step, ATTRIBUTION_BUDGET)
    return attribute(
        spec,
        world=world,
        seeds=[seed],
        step=step,
        targets=focus,
        by=by,
        max_exact=max_exact,
        permutations=permutations,
        workers=default_workers(),
    )
