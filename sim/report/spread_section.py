"""The report's "How it spread" section: how far and how fast the focus events of each scenario
travelled from the nations they hit, and which nations carried them.

For each scenario besides the baseline, a few *focus events* (`focus_events`: events of the focus
nations, one of each kind in turn — threats, capacity changes such as aid cuts, wars, tariffs,
withdrawals, … — up to `EVENTS` per scenario) are followed by `sim.analysis.spread.spread`: the
scenario is rerun with and without each of them in the batch's first paired run (its seed and
parameters). The section draws the wave (`sim.plots.spread.wave_figure`: the change of attraction
to the event's actor by distance in hops over time) and tells each event in a sentence: the hit
nations, how many nations each distance holds, how large the change is there at the end and how
soon it got there, the part that came through ties alone, and the carriers
(`sim.analysis.spread.Spread.carriers`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

from sim.errors import SoftPowerError
from sim.report.batch import Batch
from sim.report.document import FigureBlock, Heading, Paragraph, Section

if TYPE_CHECKING:
    from sim.analysis.spread import EventSpread, Spread
    from sim.model.plan import Plan

__all__ = ["EVENTS", "KIND_ORDER", "event_sentence", "focus_events", "spread_section"]

#: Most events followed per scenario (each costs one more run of the scenario).
EVENTS = 8

#: Kinds in the order they are picked, one of each in turn; kinds not listed come last.
KIND_ORDER: tuple[str, ...] = (
    "threat",
    "capacity",
    "war",
    "tariff",
    "leave",
    "restriction",
    "news",
    "credibility",
    "leader_change",
    "join",
    "aid_policy",
)

#: Kinds whose effect is not followed: an edge event moves next to nothing in this model.
SKIPPED: tuple[str, ...] = ("edge",)

_HOPS = {0: "among the hit nations", 1: "one hop away", 2: "two hops away", 3: "three hops away"}


def focus_events(
    scenario: Any, plan: Plan, focus: tuple[str, ...], iso3: tuple[str, ...], count: int = EVENTS
) -> list[int]:
    """Return the plan positions of the events to follow, in plan order.

    Events that act within the horizon and whose actor is a focus nation (any nation's, when
    none is), edges left out and of events alike in kind, actor and targets the first, taken one
    of each kind in turn in `KIND_ORDER` (then plan order), up to ``count``.

    Args:
        scenario: The loaded scenario (for the events' kinds and labels).
        plan: Its resolved plan.
        focus: Focus nations (ISO3).
        iso3: The world's nations, in index order.
        count: Most events.

    Returns:
        Positions in ``plan.events``.

    """
    from sim.analysis.spread import event_actor, event_labels

    labels = event_labels(scenario, plan)
    live = [
        i
        for i, planned in enumerate(plan.events)
        if planned.step < plan.steps and labels[i][1] not in SKIPPED
    ]
    mine = [i for i in live if iso3[event_actor(plan.events[i].event)] in focus] or live
    by_kind: dict[str, list[int]] = {}
    seen: set[str] = set()
    for i in mine:  # one event of the same kind, actor and targets (a tariff raised twice)
        what = labels[i][0].split(" ", 1)[-1]
        if what not in seen:
            seen.add(what)
            by_kind.setdefault(labels[i][1], []).append(i)
    rank = {kind: n for n, kind in enumerate(KIND_ORDER)}
    kinds = sorted(by_kind, key=lambda k: (rank.get(k, len(rank)), min(by_kind[k])))
    chosen: list[int] = []
    while len(chosen) < count and any(by_kind[k] for k in kinds):
        for kind in kinds:
            if by_kind[kind] and len(chosen) < count:
                chosen.append(by_kind[kind].pop(0))
    return sorted(chosen)


def _size(value: float) -> str:
    """A change of attraction (−1..1) to the precision it needs."""
    if abs(value) < 0.0005:
        return "less than 0.001" if value != 0 else "0"
    return f"{value:+.3f}".replace("-", "−")


def _quarters(value: float) -> str:
    if math.isnan(value):
        return ""
    n = int(value)
    return "at once" if n == 0 else f"within {n} quarter{'s' if n > 1 else ''}"


def _count(n: int) -> str:
    return f"{n} nation{'s' if n != 1 else ''}"


def _names(codes: list[str], names: dict[str, str], most: int = 3) -> str:
    shown = [names.get(c, c) for c in codes[:most]]
    if len(codes) > most:
        return f"{', '.join(shown)} and {len(codes) - most} more"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def event_sentence(result: Spread, event: EventSpread, carriers: Any = None) -> str:
    """Tell one event's wave in words: how far and how fast it went, and who carried it.

    Args:
        result: The scenario's `sim.analysis.spread.Spread`.
        event: One of its events.
        carriers: ``result.carriers()`` (computed once for every event), or None.

    Returns:
        A few sentences, numbers from `sim.analysis.spread.Spread.profile`.

    """
    names = dict(zip(result.iso3, result.names, strict=True))
    actor = names[result.iso3[event.actor]]
    profile = result.profile(event)
    if event.hit == (event.actor,):
        text = f"{event.label} ({result.dates[event.step]}) names no nation: measured from {actor}."
    else:
        hit = _names([result.iso3[i] for i in event.hit], names)
        text = f"{event.label} ({result.dates[event.step]}) hit {hit}."
    far = profile[profile["hops"] >= 1]
    if far.empty:
        return text + " No other nation listens to them: it went no further."
    if not profile["peak_change"].any():
        return text + f" It changed no nation's attraction to {actor} in this run."
    where = [_HOPS.get(int(h), f"{int(h)} hops away") for h in profile["hops"]]
    beyond = [_HOPS.get(int(h), f"{int(h)} hops away") for h in far["hops"]]
    counts = ", ".join(f"{int(n)} {w}" for n, w in zip(far["observers"], beyond, strict=True))
    whose = "Its" if len(event.hit) == 1 else "Their"
    text += f" {whose} ties lead to {_count(int(far['observers'].sum()))} ({counts})"
    unreached = len(result.iso3) - 1 - int(profile["observers"].sum())
    text += f"; none to {_count(unreached)}." if unreached > 0 else "."
    changes = [f"{_size(c)} {w}" for c, w in zip(profile["end_change"], where, strict=True)]
    listed = f"{', '.join(changes[:-1])} and {changes[-1]}" if len(changes) > 1 else changes[0]
    text += f" By {result.dates[-1]} attraction to {actor} had changed by {listed}."
    speed = [
        f"{w} {_quarters(q)}"
        for q, w in zip(far["half_quarters"], beyond, strict=True)
        if not math.isnan(q)
    ]
    if speed:
        text += f" The change reached half its largest size {', '.join(speed)}."
    share = result.tie_share(event)
    if share is None:
        text += " The event moves every other nation itself: this is its own reach, not a wave."
    else:
        direct = int(far["direct"].sum())
        text += (
            f" Of the {_count(int(far['observers'].sum()))} beyond the hit ones the event moved "
            f"{direct} itself (allies, region); {share:.0%} of the change beyond them at the end "
            "came through ties alone."
        )
        mine = carriers[carriers["event"] == event.label] if carriers is not None else None
        if mine is not None and (mine["share"] >= 0.01).any():
            listed = ", ".join(
                f"{r.name} {r.share:.0%}" for r in mine.head(3).itertuples() if r.share >= 0.01
            )
            text += f" Its carriers (the share of that spread lost without each): {listed}."
    return text


def _scenario_spread(batch: Batch, scenario: str, focus: tuple[str, ...]) -> Spread | None:
    from sim.analysis.batch_attribution import paired_runs, run_settings, scenario_file
    from sim.analysis.spread import spread
    from sim.scenario.scenario import load_scenario

    path = scenario_file(batch.root, batch.manifest["scenarios"].get(scenario, {}))
    runs = paired_runs(batch.root, scenario, batch.baseline)
    if runs.empty:
        return None
    world = batch.world
    spec = load_scenario(path, world)
    if batch.manifest.get("steps"):
        spec = spec.with_steps(int(batch.manifest["steps"]))
    run = run_settings(runs.head(1))[0]
    # The batch sets the run's own values over the scenario's parameters (sim.batch.runner).
    spec = dataclasses.replace(spec, parameters={**spec.parameters, **run.parameters})
    plan = spec.plan(world)
    chosen = focus_events(spec, plan, focus, tuple(world.iso3))
    if not chosen:
        return None
    return spread(spec, world=world, seed=run.seed, events=chosen)


def spread_section(batch: Batch, focus: tuple[str, ...]) -> Section | None:
    """Return the "How it spread" section, or None when no scenario besides the baseline has
    an event to follow.
    """
    from sim.plots.spread import wave_figure

    others = [s for s in batch.scenarios if s != batch.baseline]
    if not others:
        return None
    section = Section("how-it-spread", "How it spread")
    section.blocks.append(
        Paragraph(
            (
                "How far the focus events travelled from the nations they hit. Each event is "
                "followed by running the scenario with and without it in the batch's first "
                "paired run (its seed and parameters: common random numbers), and the change "
                "of each nation's attraction to the event's actor (−1 to 1) is grouped by its "
                "distance in hops, on the ties through which nations hear each other's views "
                "when the event acts, from the hit nations (those the event names; its actor "
                "when it names none). The carriers are the nations whose silence would shrink "
                "the spread most, in a linear diffusion on those ties. "
                "`softpower spread SCENARIO` writes the same tables for any scenario.",
            )
        )
    )
    for scenario in others:
        try:
            result = _scenario_spread(batch, scenario, focus)
        except (SoftPowerError, OSError) as exc:
            message = exc.message if isinstance(exc, SoftPowerError) else str(exc)
            section.blocks.append(Paragraph((f"{batch.title(scenario)}: no spread ({message}).",)))
            continue
        if result is None:
            continue
        section.blocks.append(Heading(batch.title(scenario)))
        figure = wave_figure(result, panels=len(result.events))
        # Figure-level texts sit at the figure's edge, which a PDF page moves to the page's:
        # the title and caption say what they said, and each row's first plot its axis.
        figure.suptitle("")
        figure.supylabel("")
        columns = min(3, len(result.events))
        for ax in figure.axes[::columns]:
            ax.set_ylabel("change of attraction", fontsize=8)
        section.blocks.append(
            FigureBlock(
                f"spread-{scenario}",
                f"How the focus events of {batch.title(scenario)} spread",
                "The change of attraction to each event's actor (scenario minus the same run "
                "without the event), averaged over the nations at each distance in hops from "
                "the hit nations (dark: near, light: far; the legend gives the nations at each), "
                f"from the quarter the event acts to {result.dates[-1]}. One run: seed "
                f"{result.seed} with its parameters, {len(result.events) + 1} runs in all.",
                figure,
            )
        )
        table = result.carriers(top=3)
        for event in result.events:
            section.blocks.append(Paragraph((event_sentence(result, event, table),)))
    return section if len(section.blocks) > 1 else None
