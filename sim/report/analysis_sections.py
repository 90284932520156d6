"""The report's analysis sections: "What flips the answer" and "What drives the change".

*What flips the answer* (batches whose runs vary parameters): the page-one questions
(`sim.report.answer`) told in full — for each condition and each scenario whose runs vary
parameters and whose answer is mixed, the chosen PRIM box of the discovery on that scenario's
runs, its coverage and density, and the pruned CART tree in words.

*What drives the change* (batches with scenarios besides the baseline): for each such scenario,
a Shapley attribution of the focus nations' score change at the batch's last step among the
scenario's events, drawn as waterfalls, over the runs the summary averages
(`sim.analysis.batch_attribution`): each coalition is rerun with every paired run's seed and
parameters, so the waterfall's total is the summary's mean change. Within a budget of
`ATTRIBUTION_BUDGET` model runs per scenario it groups the events coarsely enough to cover the
most runs (each event, else each file, else each event kind and year), and takes a subset of the
runs drawn with the batch's seed when even that is too many; the caption then gives both totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim.analysis.batch_attribution import REPORT_BUDGET
from sim.errors import SoftPowerError
from sim.report.answer import Answer, parameter_words
from sim.report.batch import Batch
from sim.report.document import Code, FigureBlock, Heading, Paragraph, Section, Table

if TYPE_CHECKING:
    from sim.analysis.batch_attribution import BatchAttribution

__all__ = ["ATTRIBUTION_BUDGET", "analysis_sections"]

#: Most model runs per scenario for the report's attributions (coalitions × runs).
ATTRIBUTION_BUDGET = REPORT_BUDGET


def analysis_sections(
    batch: Batch, focus: tuple[str, ...], answers: Sequence[Answer] = ()
) -> list[Section]:
    """Return the "What flips the answer" and "What drives the change" sections that apply."""
    sections = []
    flips = _flips_section(batch, answers)
    if flips is not None:
        sections.append(flips)
    drives = _drives_section(batch, focus)
    if drives is not None:
        sections.append(drives)
    return sections


def _flips_section(batch: Batch, answers: Sequence[Answer]) -> Section | None:
    """Discovery per scenario and condition: the page-one answers, told in full."""
    from matplotlib.figure import Figure

    if not any(a.varies for a in answers):
        return None
    section = Section("what-flips", "What flips the answer")
    section.blocks.append(
        Paragraph(
            (
                "For each question of page one and each scenario whose runs vary parameters, "
                "scenario discovery on that scenario's runs alone: PRIM peels the parameter "
                "space towards a box where the runs meeting the condition are dense, and a CART "
                "decision tree, pruned of splits that change no prediction, gives a second "
                "view. Coverage is the share of the runs meeting the condition that lie inside "
                "the box, density the share of the box's runs that meet it.",
            )
        )
    )
    for a in answers:
        title = f"{batch.title(a.scenario)}: “{a.condition}” in {a.at}"
        if not a.varies:
            continue
        section.blocks.append(Heading(title))
        if a.discovery is None or a.driver is None:
            verdict = (
                "in every run"
                if a.holds == a.runs
                else "in no run"
                if a.holds == 0
                else f"in {a.holds} of {a.runs} runs"
            )
            section.blocks.append(
                Paragraph((f"It holds {verdict}, {a.note or 'nothing to discover'}.",))
            )
            continue
        found, driver = a.discovery, a.driver
        box = found.chosen_box
        section.blocks.append(
            Paragraph(
                (
                    f"It holds in {a.holds} of {a.runs} runs. The chosen box, where "
                    f"{driver.rule}, holds {box['coverage']:.0%} of them (coverage) and "
                    f"{box['density']:.0%} of its runs meet it (density); the condition holds "
                    f"{driver.sentence()}." + (f" Note: {a.note}." if a.note else ""),
                ),
                kind="finding",
            )
        )
        rows = []
        for name, limits in driver.restrictions.items():
            if isinstance(limits, set):
                rows.append((parameter_words(name), "one of " + ", ".join(sorted(limits)), ""))
            else:
                low, high = limits
                rows.append(
                    (
                        parameter_words(name),
                        f"{low:.3g}" if low > -float("inf") else "(any)",
                        f"{high:.3g}" if high < float("inf") else "(any)",
                    )
                )
        section.blocks.append(
            Table(
                ("parameter", "from", "to"),
                tuple(rows),
                caption=f"The chosen box {found.chosen} on PRIM's trajectory.",
                numeric=(1, 2),
            )
        )
        tree = Figure(figsize=(10, 5), layout="constrained")
        found.plot_tree(tree.subplots())
        section.blocks.append(
            FigureBlock(
                f"cart-{a.scenario}-{answers.index(a)}",
                f"What decides “{a.condition}” under {batch.title(a.scenario)}",
                "A decision tree of the scenario's runs (pruned: no split whose two sides "
                "predict the same); each question sends the runs that answer yes to the left, "
                "each leaf counts its runs that meet the condition (blue: most do; orange: "
                f"most do not). It classifies {found.tree_accuracy:.0%} of the runs correctly.",
                tree,
            )
        )
        section.blocks.append(
            Code(
                f"softpower discover {batch.root} --condition '{a.condition}' --step {a.step} "
                f"--scenario {a.scenario} --out {batch.root / 'discovery' / 'boxes.csv'}"
            )
        )
    return section


def _drives_section(batch: Batch, focus: tuple[str, ...]) -> Section | None:
    others = [s for s in batch.scenarios if s != batch.baseline]
    if not others:
        return None
    from sim.plots.attribution import attribution_waterfall

    section = Section("what-drives", "What drives the change")
    section.blocks.append(
        Paragraph(
            (
                "Each scenario's change of the focus nations' scores against the baseline, "
                "split among its events as Shapley values, over the batch's own runs: every "
                "coalition of events is rerun with each run's seed and parameters (common "
                "random numbers) and averaged, so the bars add up to the mean change the "
                "summary reports. When that costs more than "
                f"{ATTRIBUTION_BUDGET} model runs, a subset of the runs drawn with the batch's "
                "seed is taken and the caption gives both totals.",
            )
        )
    )
    for scenario in others:
        try:
            found = _attribution(batch, scenario, focus)
        except (SoftPowerError, OSError) as exc:
            message = exc.message if isinstance(exc, SoftPowerError) else str(exc)
            section.blocks.append(
                Paragraph((f"{batch.title(scenario)}: no attribution ({message}).",))
            )
            continue
        result = found.result
        mode = "exact" if result.exact else f"{found.plan.permutations} sampled orderings"
        grouping = {"event": "each event", "file": "each file", "kind": "each event kind and year"}
        over = (
            f"{found.paired} paired runs"
            if not found.subset
            else f"{len(found.runs)} runs (of {found.paired})"
        )
        for nation in focus:
            effects = result.effect(nation).sort_values(key=abs, ascending=False)
            change = found.attributed(nation)
            lead = ", ".join(f"{name} ({value:+.2f})" for name, value in effects.head(2).items())
            figure = attribution_waterfall(
                result,
                nation,
                title=f"{nation} score, {result.date}: {batch.title(scenario)}",
                start_label=f"{batch.baseline} (mean)",
                end_label=f"scenario ({change:+.2f})",
            )
            section.blocks.append(
                FigureBlock(
                    f"attribution-{scenario}-{nation}",
                    f"What moves {nation}'s score under {batch.title(scenario)}",
                    f"{nation}'s score change of {change:+.2f} points by {result.date}, split "
                    f"among {grouping[result.grouping]} as Shapley values: each bar is the "
                    "average change a component makes when added, over every order of adding "
                    "them; the bars sum exactly to the scenario minus the same runs with none "
                    f"of its events. Largest: {lead}. {len(result.components)} components, "
                    f"{mode}; {result.runs} model runs, each coalition rerun with the seed and "
                    f"parameters of each of the {over} averaged over. "
                    + found.explanation(nation)
                    + "".join(f" Note: {note}." for note in result.notes)
                    + f" Reproduce: {found.command()}",
                    figure,
                )
            )
    return section


def _attribution(batch: Batch, scenario: str, focus: tuple[str, ...]) -> BatchAttribution:
    from sim.analysis.attribution import default_workers
    from sim.analysis.batch_attribution import attribute_batch

    return attribute_batch(
        batch.root,
        scenario,
        baseline=batch.baseline,
        targets=focus,
        budget=ATTRIBUTION_BUDGET,
        workers=default_workers(),
        world=batch.world,
    )
