"""The world map card: the map drawn in the browser (``worldmap.vue``), its colour choices, its
legend with the colour bar's units, the wave of one event, and the map as an SVG file.

The shapes are sent once, then only colours, tooltips and edges each step; a click (or a tap
on a touch screen) shows a small box with the country's name and the value its colour shows
and goes back to Python, where the map module's hit test finds the nation for the inspector.
The wave of an event (`sim.viz.wave`) needs a second run of the scenario without the event: it
is made in a thread of its own (a spinner meanwhile), so Play and the other views never wait.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import solara

from sim.model.model import SoftPowerModel
from sim.plots import maps, palette, svgmap
from sim.viz import figures, wave, words
from sim.viz.app_model import model_lock
from sim.viz.downloads import Download
from sim.viz.figures import LAYERS
from sim.viz.mapfile import map_file_name, map_svg
from sim.viz.pickers import (
    ColourToggle,
    LayerToggles,
    NationSelect,
    ViewSettings,
    nation_labels,
    update_view,
)
from sim.world.bundled import DEFAULT_WORLD

__all__ = ["WorldMap", "MapView", "WaveChoice", "map_legend", "WAVE_HELP"]

#: What the wave's colours mean, in a student's words.
WAVE_HELP = (
    "Each country is coloured by how much more (blue) or less (red) it likes the nation that "
    "acted than it would have if this one event had never happened: the same world, the same "
    "seed, run again without the event. White: no difference. Countries the event hit itself "
    "change first; the others change later, through their trade, alliances and groups."
)


@solara.component_vue("worldmap.vue", vuetify=False)
def WorldMap(
    shapes: list,
    outline: str,
    viewbox: str,
    fills: dict,
    titles: dict,
    tips: dict,
    dots: list,
    edges: list,
    labels: list,
    selected: str,
    alt: str,
    missing: str,
    event_pick: Callable[[dict], None],
):
    """The world map drawn in the browser (``worldmap.vue``); ``pick`` gets a click's point and
    a tap or click shows ``tips`` of the country in a box over the map.
    """


@solara.component
def WaveChoice(model: SoftPowerModel, step: int, view: solara.Reactive[ViewSettings]):
    """The event whose wave the map shows: the events that have happened so far, newest first."""
    with model_lock(model):
        fired = wave.fired_events(model)
    if not fired:
        return solara.Info("No event has happened yet: press Step.", dense=True)
    labels = dict(fired)
    chosen = view.value.wave_event if view.value.wave_event in labels else fired[0][0]
    to_index = {label: i for i, label in fired}
    return solara.Select(
        "Event",
        values=list(to_index),
        value=labels[chosen],
        on_value=lambda label: update_view(view, wave_event=to_index[label]),
        style={"min-width": "320px", "max-width": "560px"},
    )


def _use_wave(model: SoftPowerModel, step: int, view: solara.Reactive[ViewSettings], on: bool):
    """The chosen event's `sim.viz.wave.Wave` (None while it is being made or when the map shows
    something else), its task, and the event chosen. Waves are kept per run and event.
    """
    cache = solara.use_ref(dict[tuple[int, int | None], wave.Wave]())
    if on:
        with model_lock(model):
            fired = [i for i, _ in wave.fired_events(model)]
    else:
        fired = []
    chosen = view.value.wave_event if view.value.wave_event in fired else None
    if chosen is None and fired:
        chosen = fired[0]  # the latest event, kept once chosen (below) so Play does not move it

    def keep_choice() -> None:
        if on and chosen is not None and view.value.wave_event != chosen:
            update_view(view, wave_event=chosen)

    solara.use_effect(keep_choice, [on, chosen])
    key = (id(model), chosen)

    def make() -> wave.Wave | None:
        if not on or chosen is None:
            return None
        if key not in cache.current:
            cache.current[key] = wave.event_wave(model, chosen)
        return cache.current[key]

    task = solara.lab.use_task(make, dependencies=[model, on, chosen], raise_error=False)
    made = task.value if task.finished and task.value is not None else None
    if made is not None and (made.index != chosen or key not in cache.current):
        made = None
    return made, task, chosen


@solara.component
def MapView(model: SoftPowerModel, step: int, view: solara.Reactive[ViewSettings]):
    """The world map: countries coloured by lean, change, the favourable view, the difference
    between runs or the wave of one event; tap or hover a country for its numbers, click it for
    the inspector; download it as an SVG file.
    """
    settings = view.value
    labels = nation_labels(model)
    twin = getattr(model, "twin", None)
    colour = settings.colour if twin is not None or settings.colour != "difference" else "lean"
    layers = tuple(layer for layer in LAYERS if layer in settings.layers)
    made, task, chosen = _use_wave(model, step, view, colour == "wave")

    # The change, difference and wave scales only grow during a run (per colour mode, nation
    # and event), so a colour keeps its meaning from quarter to quarter.
    scales = solara.use_ref(dict[tuple[int, str, object], float]())
    scale_key = (id(model), colour, settings.map_actor if colour != "wave" else chosen)

    def draw() -> figures.MapView:
        floor = scales.current.get(scale_key, 0.0)
        with model_lock(model):
            if colour == "wave" and made is not None:
                return wave.wave_map(
                    model, made, settings.pole_a, settings.pole_b, layers, floor=floor
                )
            return figures.map_view(
                model,
                settings.pole_a,
                settings.pole_b,
                layers,
                "change" if colour == "wave" else colour,
                settings.map_actor,
                other=twin,
                floor=floor,
            )

    data = solara.use_memo(
        draw,
        [
            model,
            step,
            settings.pole_a,
            settings.pole_b,
            layers,
            colour,
            settings.map_actor,
            None if made is None else made.index,
        ],
    )
    if data.colour == colour and colour in ("change", "difference", "wave"):
        scales.current[scale_key] = max(scales.current.get(scale_key, 0.0), data.limit)
    shapes = solara.use_memo(lambda: [dict(s) for s in svgmap.shapes()], [])
    missed = solara.use_reactive("")

    def pick(point: dict) -> None:
        code = svgmap.nation_at_svg(point["x"], point["y"], points=data.points)
        if code in model.iso3:
            missed.set("")
            update_view(view, inspect=code)
        elif code is not None:
            shape = maps.country_shapes().get(code)
            name = shape.name if shape is not None else code
            world = getattr(model, "world_name", "this world")
            how = (
                "it is a territory, not one of the UN member states (with Taiwan, Kosovo and "
                "Palestine) the model holds"
                if world == DEFAULT_WORLD
                else f"choose World {DEFAULT_WORLD} and press Reset to include every UN member"
            )
            missed.set(
                f"{name} is not in the world of this run ({world}, {model.n} nations); {how}."
            )

    with solara.Card("World map", margin=0) as main:
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.Text("Colour:", style={"font-weight": "bold"})
            ColourToggle(view, compare=twin is not None)
            if colour == "lean":
                NationSelect("Pole A (blue)", view, "pole_a", labels)
                NationSelect("Pole B (red)", view, "pole_b", labels)
            elif colour == "favourable":
                NationSelect("Favourable view of", view, "map_actor", labels)
            elif colour == "wave":
                WaveChoice(model, step, view)
            else:
                NationSelect("Attraction to", view, "map_actor", labels)
        if colour == "lean" and settings.pole_a == settings.pole_b:
            solara.Warning("Choose two different poles: the lean is zero everywhere.")
        waiting = colour == "wave" and chosen is not None and made is None
        if waiting and task.error:
            solara.Error(
                f"The wave could not be made: {task.exception}".splitlines()[0],
                dense=True,
                classes=["softpower-wave-error"],
            )
        elif waiting:
            with solara.Row(classes=["softpower-wave-pending"], style={"align-items": "center"}):
                solara.SpinnerSolara(size="32px")
                solara.Text("Running the same world again without this event…")
        WorldMap(
            shapes=shapes,
            outline=svgmap.outline_path(),
            viewbox=svgmap.view_box(),
            fills=data.fills,
            titles=data.titles,
            tips=data.tips,
            dots=list(data.dots),
            edges=list(data.edges),
            labels=list(data.labels),
            selected=settings.inspect,
            alt=data.alt,
            missing=palette.MISSING,
            event_pick=pick,
        )
        if missed.value:
            solara.Info(missed.value, dense=True)
        if colour != "wave" or made is not None:
            solara.HTML(
                tag="div",
                unsafe_innerHTML=map_legend(
                    data, words.world_words(getattr(model, "world_name", None), model.n)
                ),
                style="font-size:12px",
                classes=["softpower-map-legend"],
            )
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            LayerToggles(view)
            title = f"{model.spec.title} · seed {getattr(model, 'seed', 0)} · " + words.world_words(
                getattr(model, "world_name", None), model.n
            )
            Download(
                lambda: map_svg(data, title, settings.inspect),
                filename=map_file_name(data, model.spec.name),
                label="Download the map (SVG)",
                mime_type="image/svg+xml",
            )
    return main


def map_legend(data: figures.MapView, world: str = "the model") -> str:
    """The map's legend as HTML: what the colour shows, the colour bar with its ticks and
    units, what each end means, the edges drawn (and, for a wave, what its colours mean).

    Args:
        data: What the map shows.
        world: The run's world in words (`sim.viz.words.world_words`), for "grey: not in …".
    """
    ticks = "".join(
        f'<span style="position:absolute;left:{100 * x:.0f}%;top:0;transform:translateX(-50%);'
        f'white-space:nowrap">{html.escape(text)}</span>'
        for x, text in data.ticks
    )
    gradient = data.gradient or figures.lean_gradient()
    bar = (
        '<span class="softpower-colour-bar" style="display:inline-block;vertical-align:top;'
        'width:220px;margin:0 18px 0 6px">'
        f'<span style="display:block;height:10px;background:{gradient};border:1px solid #999">'
        "</span>"
        f'<span class="softpower-ticks" style="display:block;position:relative;height:16px;'
        f'font-size:11px">{ticks}</span></span>'
    )
    if data.colour == "lean":
        scale = f"±{data.limit:g} and beyond at full colour"
    elif data.colour == "favourable":
        scale = "share of adults, 0 to 100 %; the nation itself grey"
    else:
        scale = (
            f"attraction from −1 to 1, ±{data.limit:g} at full colour, the largest move so far "
            "in this run (it only grows)"
        )
    colour = (
        f"<b>{html.escape(data.what)}</b>, {html.escape(data.date)}: "
        f"{html.escape(data.low)} ← {bar} → {html.escape(data.high)} ({scale}; grey: not in "
        f"{html.escape(world)}). Hover or tap a country for its numbers; click it to inspect it."
    )
    if data.colour == "wave":
        colour += f'<div class="softpower-wave-help">{html.escape(WAVE_HELP)}</div>'
    edges = " · ".join(
        f'<span style="display:inline-block;width:24px;border-top:2px {style["dash"]} '
        f'{style["color"]};vertical-align:middle"></span> {html.escape(style["label"])} '
        f"({data.edge_counts[layer]})"
        for layer in LAYERS
        if layer in data.edge_counts
        for style in [figures.layer_style(layer)]
    )
    return f"<div>{colour}</div><div>{edges or 'no edge layer shown'}</div>"
