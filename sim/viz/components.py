"""The app's views as Solara components: world map, this quarter, scores, top 10, perception,
events, inspector, comparison.

Each view takes the model, its current step and the session's `ViewSettings` (a reactive value);
`Dashboard` re-renders them when the app's controller steps the model (it bumps
`sim.viz.controller.step_counter`). The world map is an SVG drawn in the browser from
the shared map module's shapes (`sim.plots.svgmap`, a Vue template): the shapes are sent once,
then only colours, tooltips and edges each step; a click goes back to Python, where the map
module's hit test finds the nation. The score chart is SVG text written by
`sim.viz.scorechart`; tables are plain HTML, so screen readers and the browser's find work on
them.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import solara

from sim.axes import AUDIENCES
from sim.model.model import SoftPowerModel
from sim.params import KEY_PARAMETERS
from sim.plots import palette, svgmap
from sim.viz import figures, narrative, words
from sim.viz.app_model import model_lock
from sim.viz.controller import QuarterStatus, step_counter
from sim.viz.downloads import Download
from sim.viz.figures import MEASURES, ScoreChart
from sim.viz.layout import NarrowBar
from sim.viz.pickers import (
    ColourToggle,
    LayerToggles,
    MeasureToggle,
    NationSelect,
    NationsSelect,
    ViewSettings,
    match_nation,
    nation_labels,
    nation_name,
)
from sim.viz.worldmap import MapView, WorldMap
from sim.world.bundled import DEFAULT_WORLD

__all__ = [
    "ViewSettings",
    "Dashboard",
    "Guarded",
    "NationSelect",
    "match_nation",
    "NationsSelect",
    "ColourToggle",
    "MeasureToggle",
    "LayerToggles",
    "ScenarioHeader",
    "LookingAt",
    "WHAT_AM_I_LOOKING_AT",
    "world_text",
    "WorldMap",
    "MapView",
    "QuarterStory",
    "CompareView",
    "TopTen",
    "ScoreView",
    "PerceptionView",
    "EventsFeed",
    "NationInspector",
]


def _colour(value: float, limit: float = 1.0) -> tuple[str, str]:
    """Return (background, text colour) of a value in [-limit, limit] on the shared palette."""
    (background,) = svgmap.diverging_hex([value], limit)
    return background, palette.text_colour_on(background)


def _signed(value: float, digits: int = 2) -> str:
    """Format with a sign and a true minus; values that round to zero show as ``0.0``."""
    value = round(float(value), digits)
    if value == 0:
        return f"{0:.{digits}f}"
    return f"{value:+.{digits}f}".replace("-", "−")


_TABLE = "width:100%;border-collapse:collapse;font-size:12px"
_CELL = "padding:2px 6px;border-bottom:1px solid rgba(128,128,128,0.3)"
# Captions inherit the theme's text colour (a fixed grey is unreadable in dark mode).
_CAPTION = "text-align:left;font-size:12px;opacity:0.8"


def _table(headers: list[str], rows: list[list[str]], caption: str) -> str:
    head = "".join(f'<th scope="col" style="{_CELL};text-align:left">{h}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{cell}</td>' for cell in row) + "</tr>"
        for row in rows
    )
    return (
        f'<table style="{_TABLE}"><caption style="{_CAPTION}">'
        f"{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
        "</table>"
    )


def _world(model: SoftPowerModel) -> str:
    """The run's world in a caption's words: ``world un193 (196 nations)``."""
    return words.world_words(getattr(model, "world_name", None), model.n)


def world_text(model: SoftPowerModel) -> str:
    """Say which world the run shows and how to get the same numbers on the command line."""
    name = getattr(model, "world_name", DEFAULT_WORLD)
    seed = getattr(model, "seed", 0)
    scenario = getattr(model, "scenario_name", model.spec.name)
    why = (
        f"{model.n} nations (a less crowded map, quicker steps), not the default world of the "
        f"app and the command line, {DEFAULT_WORLD}"
        if name != DEFAULT_WORLD
        else f"the whole world, {model.n} nations, the default of the app and the command line"
    )
    return (
        f"World {name}: {why}. The same numbers: softpower run scenarios/{scenario}.yaml "
        f"--seed {seed} --world {name}."
    )


#: What the page's numbers mean, for the "What am I looking at?" panel: (term, meaning).
WHAT_AM_I_LOOKING_AT = (
    (
        "Soft power score (0–100)",
        "how much a nation attracts the rest of the world: 100 is the most attractive "
        "possible, 0 none. It mixes familiarity and reputation.",
    ),
    (
        "Familiarity (0–100)",
        "how much the world hears of the nation (its films, products, students, aid, "
        "diplomats); it moves slowly.",
    ),
    (
        "Reputation (0–100)",
        "the share of the world's people, weighted by population, who would say they have a "
        "favourable view of it; it moves fast.",
    ),
    (
        "Favourable view (%)",
        "what a poll in one country would find: the share of its adults with a favourable "
        "view of another nation.",
    ),
    (
        "Attraction and lean",
        "attraction runs from −1 (repelled) to 1 (drawn); the lean between two nations is the "
        "attraction to the first minus that to the second (−2 to 2).",
    ),
)


@solara.component
def LookingAt():
    """A short "What am I looking at?" panel: what the page's numbers mean."""
    body = "".join(
        f"<li><b>{html.escape(term)}</b>: {html.escape(meaning)}</li>"
        for term, meaning in WHAT_AM_I_LOOKING_AT
    )
    text = (
        "<p style='margin:0 0 4px 0'>Each quarter (three months) the people of every nation "
        "(the young, the public and the elite) update their view of every other nation from "
        "what reaches them. Press Step or ▶ to play the quarters; click a country to inspect "
        f"it.</p><ul style='margin:0;padding-left:1.2em'>{body}</ul>"
    )
    return solara.Details(
        summary="What am I looking at?",
        children=[
            solara.HTML(
                tag="div",
                unsafe_innerHTML=text,
                style="font-size:13px",
                classes=["softpower-looking-at"],
            )
        ],
    )


@solara.component
def ScenarioHeader(
    model: SoftPowerModel,
    step: int,
    errors: dict[str, str] | None = None,
    pending: tuple[str, ...] = (),
):
    """Title, description, current date and step of the running scenario, its parameters, and
    the choices that wait for Reset.
    """
    with model_lock(model):
        return _scenario_header(model, errors, pending)


def _scenario_header(model: SoftPowerModel, errors, pending):
    step = model.steps
    spec = model.spec
    seed = getattr(model, "seed", None)
    overrides = getattr(model, "overrides", {})
    world = getattr(model, "world_name", None)
    status = f"{spec.date(step)} · step {step} of {model.horizon}"
    if seed is not None:
        status += f" · seed {seed}"
    if world is not None:
        status += f" · {words.world_words(world, model.n)}"
    if not model.running:
        status += " · finished: the last quarter is reached; press Reset to run again"
    values = model.parameters.to_dict()
    parameters = " · ".join(
        f"<b>{html.escape(words.parameter_label(name))}</b> {values[name]:g}"
        if name in overrides
        else f"{html.escape(words.parameter_label(name))} {values[name]:g}"
        for name in KEY_PARAMETERS
    )
    twin = getattr(model, "twin", None)
    compare = (
        f'<div class="softpower-compare-status">Comparing with <b>{html.escape(twin.spec.title)}'
        f"</b> (same seed and sliders): step {twin.steps} of {twin.horizon}</div>"
        if twin is not None
        else ""
    )
    world_note = (
        f'<div class="softpower-world" style="{_CAPTION}">{html.escape(world_text(model))}</div>'
        if world is not None
        else ""
    )
    body = (
        f'<h2 style="margin:0 0 4px 0;font-size:20px">{html.escape(spec.title)}</h2>'
        f'<div class="softpower-step" style="font-weight:bold">{html.escape(status)}</div>'
        f"{compare}"
        '<details class="softpower-about"><summary>About this scenario, its world and its '
        f'parameters</summary>{world_note}<div style="margin:4px 0">'
        f"{html.escape(words.plain_description(spec.description))}</div>"
        f'<div style="{_CAPTION}">Parameters of this run: {parameters} '
        "(bold: set by a slider).</div></details>"
    )
    with solara.Card(margin=0) as main:
        solara.HTML(tag="div", unsafe_innerHTML=body, classes=["softpower-header"])
        if pending:
            solara.Warning(
                "Pending until you press Reset: " + "; ".join(pending) + ".",
                classes=["softpower-pending"],
                dense=True,
            )
        if errors:
            solara.Warning(
                "Scenario files left out of the list: "
                + "; ".join(f"{name}: {msg}" for name, msg in errors.items())
            )
    return main


def _period_start(shown: dict[str, int], step: int) -> int:
    """Return the step the story's period starts after: the step shown before this one (a
    render interval of 7 tells all 7 quarters), or the quarter before after a Reset.
    """
    if step != shown["step"]:
        before = shown["step"]
        shown["since"] = before if 0 <= before < step else max(step - 1, 0)
        shown["step"] = step
    return shown["since"]


@solara.component
def QuarterStory(model: SoftPowerModel, step: int):
    """What happened since the last picture, in plain sentences: one quarter, or all the
    quarters one click of Step or beat of Play went through.
    """
    shown = solara.use_ref({"step": step, "since": max(step - 1, 0)})
    shown_for = solara.use_ref(model)
    if shown_for.current is not model:  # a new run (Reset): start afresh
        shown_for.current = model
        shown.current = {"step": step, "since": max(step - 1, 0)}
    with model_lock(model):
        step = model.steps
        since = _period_start(shown.current, step)
        lines = narrative.quarter_story(model, step, since=since)
        first, last = model.spec.date(since + 1), model.spec.date(step)
    if not step:
        title = "Before the first quarter"
    elif step - since > 1:
        title = f"What happened from {first} to {last} ({step - since} quarters)"
    else:
        title = f"What happened in {last}"
    title += f", {_world(model)}"
    body = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    with solara.Card(title, margin=0) as main:
        solara.HTML(
            tag="ul",
            unsafe_innerHTML=body,
            style="margin:0;padding-left:1.2em;font-size:14px",
            classes=["softpower-story"],
        )
    return main


@solara.component
def CompareView(model: SoftPowerModel, step: int, view: solara.Reactive[ViewSettings]):
    """The two runs side by side: scores of the leading nations in each, and the difference."""
    twin = model.twin
    with model_lock(model):
        return _compare_view(model, twin)


def _compare_view(model: SoftPowerModel, twin: SoftPowerModel):
    rows = figures.compare_table(model, twin, 10)
    cells = [
        [
            f"<b>{r.iso3}</b> <small>{html.escape(r.name)}</small>",
            f"{r.score:.1f} ({r.rank})",
            f"{r.other_score:.1f} ({r.other_rank})",
            _signed(r.score - r.other_score, 1),
        ]
        for r in rows
    ]
    table = _table(
        ["nation", "this run (rank)", "comparison (rank)", "difference"],
        cells,
        f"Soft power score at {model.spec.date(model.steps)} (step {model.steps}) in "
        f"{model.spec.title} and at step {twin.steps} in {twin.spec.title}, same seed, "
        f"{_world(model)}",
    )
    with solara.Card("Compare the two runs", margin=0) as main:
        solara.HTML(tag="div", unsafe_innerHTML=table, classes=["softpower-compare"])
    return main


@solara.component
def TopTen(model: SoftPowerModel, step: int):
    """The ten highest soft power scores now, with score and rank changes."""
    with model_lock(model):
        rows = figures.top_table(model, 10)
        date = model.spec.date(model.steps)
        world = _world(model)

    def moved(n: int) -> str:
        if n > 0:
            return f'<span style="color:#0072B2">▲{n}</span>'
        if n < 0:
            return f'<span style="color:#D55E00">▼{-n}</span>'
        return "="

    cells = [
        [
            str(r.rank),
            f'<abbr title="{html.escape(r.name)}"><b>{r.iso3}</b></abbr> '
            f'<small style="opacity:0.8">{html.escape(r.name)}</small>',
            f"{r.score:.1f}",
            _signed(r.score_change, 1),
            f"{r.familiarity:.0f}",
            f"{r.reputation:.0f}",
            moved(r.moved_last_step),
            moved(r.moved_since_start),
        ]
        for r in rows
    ]
    table = _table(
        ["#", "nation", "score", "Δ score", "famil.", "reput.", "Δ rank step", "Δ rank start"],
        cells,
        f"Top 10 of {world} at {date}; changes since the last step and the start; "
        "familiarity (how much the world hears of it) and reputation (the share with a favourable "
        "view of it, over the publics surveys have polled, by population), each 0–100",
    )
    with solara.Card("Top 10", margin=0) as main:
        solara.HTML(tag="div", unsafe_innerHTML=table, classes=["softpower-top10"])
    return main


@solara.component
def ScoreView(model: SoftPowerModel, step: int, view: solara.Reactive[ViewSettings]):
    """Soft power score over time for the chosen nations."""
    settings = view.value
    chart = solara.use_memo(ScoreChart, [])
    twin = getattr(model, "twin", None)
    measure = settings.measure if settings.measure in MEASURES else "score"

    def draw() -> tuple[bytes, str]:
        with model_lock(model):  # one step's tables: Play cannot add a row halfway
            now = model.steps
            values = getattr(model.recorder, measure)
            alt = f"{MEASURES[measure]} over time, {_world(model)}: " + ", ".join(
                f"{c} {values[now, model.iso3.index(c)]:.1f}"
                for c in settings.nations
                if c in model.iso3
            )
            return chart.draw(model, settings.nations, twin, measure), alt

    image, alt = solara.use_memo(draw, [model, step, settings.nations, measure])
    with solara.Card("Soft power over time", margin=0) as main:
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            MeasureToggle(view)
            NationsSelect("Nations", view, nation_labels(model))
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f'<img src="{figures.data_uri(image)}" alt="{html.escape(alt)}" '
                'class="softpower-scores" style="width:100%;height:auto">'
            ),
            classes=["softpower-scores-box"],
        )
        Download(
            lambda: image,
            filename=f"softpower_{measure}_{model.spec.name or 'run'}_step{step}.svg",
            label="Download the chart (SVG)",
            mime_type="image/svg+xml",
        )
    return main


@solara.component
def PerceptionView(model: SoftPowerModel, step: int, view: solara.Reactive[ViewSettings]):
    """How each region's youth, public and elite see a chosen actor, and the change since start."""
    settings = view.value
    with model_lock(model):
        regions, now, change = figures.perception_by_region(model, settings.actor)
        date = model.spec.date(model.steps)
        world = _world(model)
    rows = []
    for r, region in enumerate(regions):
        cells = [html.escape(region)]
        for s in range(len(AUDIENCES)):
            background, colour = _colour(float(now[r, s]))
            cells.append(
                f'<span style="display:block;background:{background};color:{colour};'
                f'padding:1px 4px;white-space:nowrap">{_signed(now[r, s])} '
                f"<small>({_signed(change[r, s])})</small></span>"
            )
        rows.append(cells)
    table = _table(
        ["region", *AUDIENCES],
        rows,
        f"Perception of {settings.actor} in [−1, 1] at {date} "
        f"(change since the start), mean over the region's nations in {world}",
    )
    with solara.Card("Perception by region and audience", margin=0) as main:
        NationSelect("Perception of", view, "actor", nation_labels(model))
        solara.HTML(tag="div", unsafe_innerHTML=table, classes=["softpower-perception"])
    return main


@solara.component
def EventsFeed(model: SoftPowerModel, step: int, limit: int = 15):
    """Scheduled events and nations' decisions, newest first."""
    with model_lock(model):
        return _events_feed(model, limit)


def _events_feed(model: SoftPowerModel, limit: int):
    items = figures.event_feed(model, limit)
    total = len(model.recorder.events)
    decisions = sum(1 for e in model.recorder.events if e[1].startswith("decision_"))
    lines = []
    for item in items:
        badge = (
            '<span style="background:#E69F00;color:#000;border-radius:3px;padding:0 4px">'
            "decision</span>"
            if item.is_decision
            else '<span style="background:#56B4E9;color:#000;border-radius:3px;padding:0 4px">'
            "event</span>"
        )
        sentence = narrative.event_sentence(model, item.kind, item.actor, item.target, item.detail)
        lines.append(f"<li>{item.date} {badge} {html.escape(sentence)}</li>")
    summary = f"{total} so far ({decisions} decisions by nations, {total - decisions} scheduled)"
    body = (
        f'<ol reversed style="padding-left:1.2em;margin:0;font-size:13px">{"".join(lines)}</ol>'
        if lines
        else "<p>No events yet: press Step or Play.</p>"
    )
    with solara.Card("Events", margin=0) as main:
        solara.Text(summary)
        solara.HTML(tag="div", unsafe_innerHTML=body, classes=["softpower-events"])
    return main


@solara.component
def NationInspector(model: SoftPowerModel, step: int, view: solara.Reactive[ViewSettings]):
    """One nation: score, capacities, who it leans to, its audiences' perceptions, memberships."""
    settings = view.value
    with model_lock(model):
        n = figures.inspect_nation(model, settings.inspect, settings.pole_a, settings.pole_b)
        world = _world(model)
    capacity = _table(
        ["channel", "now", "start"],
        [[c, f"{now:.3f}", f"{start:.3f}"] for c, (now, start) in n.capacity.items()],
        "Capacity to project soft power (1 = the best nation at the start)",
    )
    leans = _table(
        ["nation", "attraction"],
        [[html.escape(nation_name(model, a)), _signed(v)] for a, v in n.leans_to]
        or [["none", "no attraction above 0"]],
        "Drawn to: the nations it is most attracted to (attraction from −1, repelled, to 1, drawn)",
    )
    away = _table(
        ["nation", "attraction"],
        [[html.escape(nation_name(model, a)), _signed(v)] for a, v in n.leans_away]
        or [["none", "no attraction below 0"]],
        "Leans away from: the nations it is most repelled by",
    )
    lean_line = (
        f'<p class="softpower-lean">Lean between {html.escape(settings.pole_a)} and '
        f"{html.escape(settings.pole_b)}: <b>{_signed(n.lean)}</b> "
        f'<span style="{_CAPTION}">(attraction to {html.escape(settings.pole_a)} − attraction '
        f"to {html.escape(settings.pole_b)}, from −2 to 2; above 0 it leans to "
        f"{html.escape(settings.pole_a)})</span></p>"
    )
    members = ", ".join(words.group_name(g, article=False) for g in n.memberships)
    actors = list(next(iter(n.audiences.values())))
    audiences = _table(
        ["audience", *actors],
        [[a, *(_signed(n.audiences[a][k]) for k in actors)] for a in AUDIENCES],
        "How its audiences see the poles and its favourite",
    )
    credibility = ", ".join(f"{k} {v:.2f}" for k, v in n.credibility.items())
    polls = " ".join(
        f'<li class="softpower-favourable">favourable view of {html.escape(nation_name(model, k))} '
        f"in {html.escape(n.name)}: <b>{v:.0f} %</b></li>"
        for k, v in n.favourable.items()
    )
    help_text = html.escape(narrative.CREDIBILITY_HELP)
    with solara.Card("Nation inspector", margin=0) as main:
        NationSelect("Nation", view, "inspect", nation_labels(model))
        solara.HTML(
            tag="div",
            classes=["softpower-inspector"],
            unsafe_innerHTML=(
                f"<p><b>{html.escape(n.name)} ({n.iso3})</b>, {html.escape(n.region)}: "
                f"score {n.score:.1f} ({_signed(n.score_change, 1)} since the start), "
                f"rank {n.rank} of {world}; familiarity {n.familiarity:.0f}, "
                f"reputation {n.reputation:.0f} (0–100).</p>"
                f'<p style="margin-bottom:0"><b>What a poll would find</b> '
                f'<span style="{_CAPTION}">(predicted share of adults)</span>:</p>'
                f'<ul style="margin-top:0">{polls}</ul>'
                f'<p class="softpower-credibility"><b>Credibility it gives:</b> {credibility}. '
                f'<span style="{_CAPTION}">{help_text}</span></p>'
                f"{capacity}{lean_line}{leans}{away}{audiences}"
                f"<p>Member of: {html.escape(members or 'none')}</p>"
            ),
        )
    return main


@solara.component
def Guarded(title: str, step: int, child: Callable[[], solara.Element]):
    """An error boundary: the view ``child()`` makes, or, if drawing it raised, one line in its
    own box (the rest of the page keeps working; the next step or "Try again" redraws it).

    Args:
        title: The view's name, for the message.
        step: The model's step (a new step clears the error and tries again).
        child: Makes the view's element.
    """
    error, clear = solara.use_exception()
    solara.use_effect(lambda: clear() if error is not None else None, [step])
    if error is None:
        return child()
    reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
    with solara.Card(title, margin=0) as main:
        solara.Error(
            f"{title} could not be drawn this time: {reason}",
            dense=True,
            classes=["softpower-view-error"],
        )
        solara.Button("Try again", on_click=clear, small=True, outlined=True)
    return main


@solara.component
def Dashboard(
    model: SoftPowerModel,
    view: solara.Reactive[ViewSettings],
    errors: dict[str, str] | None = None,
    pending: tuple[str, ...] = (),
    bar: list | None = None,
):
    """All views of the running model, laid out for a laptop screen, each in its own
    error boundary (`Guarded`), under the bar of a narrow window.

    The only view that listens to the controller's step counter (`step_counter`), with the
    sidebar's quarter line: it hands the step to the others, so one step re-renders the page
    once (each listener is one more pass over every widget of the page). Each view reads the
    model holding its lock.

    Args:
        model: The running model.
        view: What the page shows (the views' choices).
        errors: Scenario files that did not load, with their errors.
        pending: The inputs that wait for Reset.
        bar: The play buttons of the narrow window's bar (`sim.viz.layout.NarrowBar`), drawn
            after its quarter line.
    """
    step_counter.get()
    with model_lock(model):
        step = model.steps
    twin = getattr(model, "twin", None)
    # A model of another world (the World input) may lack nations the views had chosen.
    fitted = view.value.fitted(model.iso3)
    solara.use_effect(lambda: None if fitted == view.value else view.set(fitted), [fitted])
    if fitted != view.value:
        return solara.Column()
    with solara.Column(gap="12px", style={"padding": "0"}) as main:
        # A narrow window: the quarter and the buttons above the map, the drawer closed.
        NarrowBar(children=[QuarterStatus(model, narrow=True, step=step), *(bar or [])])
        Guarded("Scenario", step, lambda: ScenarioHeader(model, step, errors, pending))
        # The map and the chart side by side where the main area is wide enough (CSS
        # `FIRST_SCREEN_CSS`), so both are on the first screen of a laptop or projector.
        with (
            solara.Div(classes=["softpower-first"]),
            solara.Div(classes=["softpower-first-grid"]),
        ):
            Guarded("World map", step, lambda: MapView(model, step, view))
            Guarded("Soft power over time", step, lambda: ScoreView(model, step, view))
        Guarded("What happened", step, lambda: QuarterStory(model, step))
        LookingAt()
        if twin is not None:
            Guarded("Compare the two runs", step, lambda: CompareView(model, step, view))
        with solara.Columns([6, 6]):
            Guarded("Top 10", step, lambda: TopTen(model, step))
            Guarded("Events", step, lambda: EventsFeed(model, step))
        with solara.Columns([6, 6]):
            Guarded("Perception", step, lambda: PerceptionView(model, step, view))
            Guarded("Nation inspector", step, lambda: NationInspector(model, step, view))
    return main
