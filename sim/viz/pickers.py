"""The app's choices of what to look at: `ViewSettings`, the nation pickers and the toggles of the
map's colour, the chart's measure and the map's edge layers (Solara components).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import solara

from sim.model.model import SoftPowerModel
from sim.viz.figures import COLOUR_MODES, LAYERS, MEASURES

__all__ = [
    "MAP_COLOURS",
    "ColourToggle",
    "LayerToggles",
    "MeasureToggle",
    "NationSelect",
    "NationsSelect",
    "ViewSettings",
    "match_nation",
    "nation_labels",
    "nation_name",
    "update_view",
]


_DEFAULT_NATIONS = ("USA", "CHN", "DEU", "GBR", "JPN", "IND")

#: The map's colour choices (key → button label): `sim.viz.figures.COLOUR_MODES` and the wave
#: of one event against the same run without it (`sim.viz.wave`).
MAP_COLOURS: dict[str, str] = {**COLOUR_MODES, "wave": "wave of an event"}


@dataclass(frozen=True)
class ViewSettings:
    """What the student chose to look at (not part of the model: changing it needs no Reset).

    Attributes:
        pole_a: Nation whose side of the lean is blue on the map.
        pole_b: Nation whose side of the lean is red.
        layers: Edge layers shown on the map.
        nations: Nations in the score-over-time chart.
        actor: Nation whose perception by region and audience is shown.
        inspect: Nation shown in the inspector.
        colour: What the map's colour shows: ``lean`` (between the poles now), ``change``
            (attraction to ``map_actor`` since the start), ``favourable`` (the predicted share
            with a favourable view of ``map_actor``) or ``difference`` (attraction to
            ``map_actor``, this run − the comparison run).
        map_actor: Nation whose attraction the ``change``, ``favourable`` and ``difference``
            colours show.
        measure: What the chart over time shows: ``score``, ``familiarity`` or ``reputation``.
        wave_event: The event (its index in the run's plan) whose wave the ``wave`` colour
            shows; None: the latest event that has happened when the colour is chosen.

    """

    pole_a: str = "USA"
    pole_b: str = "CHN"
    layers: frozenset[str] = field(default_factory=lambda: frozenset({"rivalry"}))
    nations: tuple[str, ...] = _DEFAULT_NATIONS
    actor: str = "USA"
    inspect: str = "KEN"
    colour: str = "lean"
    map_actor: str = "USA"
    measure: str = "score"
    wave_event: int | None = None

    def fitted(self, iso3: tuple[str, ...] | list[str]) -> ViewSettings:
        """Return these settings with every nation replaced by one of ``iso3`` if missing."""
        codes = list(iso3)

        def pick(code: str, fallback: int) -> str:
            return code if code in codes else codes[min(fallback, len(codes) - 1)]

        nations = tuple(c for c in self.nations if c in codes) or tuple(codes[:5])
        return dataclasses.replace(
            self,
            pole_a=pick(self.pole_a, 0),
            pole_b=pick(self.pole_b, 1),
            nations=nations,
            actor=pick(self.actor, 0),
            inspect=pick(self.inspect, 0),
            map_actor=pick(self.map_actor, 0),
        )


def nation_labels(model: SoftPowerModel) -> tuple[tuple[str, str], ...]:
    """Return (label, ISO3) pairs with labels like ``Kenya (KEN)``, sorted by name."""
    pairs = sorted(zip(model.world.name, model.iso3, strict=True))
    return tuple((f"{name} ({code})", code) for name, code in pairs)


def nation_name(model: SoftPowerModel, code: str) -> str:
    """Return the name of the nation ``code`` in the model's world."""
    return model.world.name[model.iso3.index(code)]


def update_view(view: solara.Reactive[ViewSettings], **changes) -> None:
    """Set the session's view settings with ``changes`` (a new frozen value, so views redraw)."""
    view.set(dataclasses.replace(view.value, **changes))


# The controls are components of their own with arguments that do not change from step to step,
# so a step does not re-send their lists of 60 nations to the browser.


def match_nation(text: str | None, labels: tuple[tuple[str, str], ...]) -> str | None:
    """Return the ISO3 code a typed text means, or None when it means no nation.

    An exact label ("Kenya (KEN)") or code ("KEN") is that nation; otherwise the first
    nation whose label starts with the text, else the first that contains it ("United S" →
    the United States). An empty text means none: clearing the box picks nobody (never the
    first nation of the list).
    """
    typed = (text or "").strip().lower()
    if not typed:
        return None
    for label, code in labels:
        if typed in (label.lower(), code.lower()):
            return code
    starts = [code for label, code in labels if label.lower().startswith(typed)]
    contains = [code for label, code in labels if typed in label.lower()]
    return next(iter(starts or contains), None)


@solara.component
def NationSelect(
    label: str,
    view: solara.Reactive[ViewSettings],
    setting: str,
    labels: tuple[tuple[str, str], ...],
):
    """A searchable drop-down of nations (``labels``: (label, ISO3) pairs) bound to one setting.

    Typing filters the list by any part of the name or code; Enter picks what the text means
    (`match_nation`: "United S" is the United States, not the United Arab Emirates); an empty
    box or a text that names no nation changes nothing and says so under the box.
    """
    to_code = dict(labels)
    to_label = {code: text for text, code in labels}
    current = to_label[getattr(view.value, setting)]
    refused = solara.use_reactive("")

    def chosen(text):
        if text in to_code:
            refused.set("")
            update_view(view, **{setting: to_code[text]})
        else:  # cleared: keep the nation, show it again
            refused.set(f"No nation chosen: still {current}.")

    typed = solara.use_ref("")

    def typing(widget, event, data) -> None:  # Vuetify's update:search-input: the box's text
        typed.current = data if isinstance(data, str) else ""

    def entered(widget, event, data) -> None:
        text = typed.current
        if text == current:
            return
        code = match_nation(text, labels)
        if code is None:
            what = f"No nation matches “{text}”" if text.strip() else "No nation chosen"
            refused.set(f"{what}: still {current}.")
            widget.v_model = current
            return
        refused.set("")
        update_view(view, **{setting: code})

    box = solara.v.Autocomplete(
        label=label,
        items=list(to_code),
        v_model=current,
        on_v_model=chosen,
        auto_select_first=False,
        dense=True,
        hide_details=not refused.value,
        error_messages=[refused.value] if refused.value else [],
        style_="max-width:280px;min-width:200px",
    )
    solara.v.use_event(box, "update:search-input", typing)
    solara.v.use_event(box, "keydown.enter", entered)
    return box


@solara.component
def NationsSelect(
    label: str, view: solara.Reactive[ViewSettings], labels: tuple[tuple[str, str], ...]
):
    """A searchable multiple choice of nations for the score chart: tick or untick a nation in
    the list (Backspace in the box removes the last). The chips have no close icons: Vuetify
    draws those as buttons without an accessible name.
    """
    to_code = dict(labels)
    to_label = {code: text for text, code in labels}

    def chosen(texts):
        update_view(view, nations=tuple(to_code[t] for t in texts or [] if t in to_code))

    return solara.v.Autocomplete(
        label=label,
        items=list(to_code),
        v_model=[to_label[c] for c in view.value.nations],
        on_v_model=chosen,
        multiple=True,
        small_chips=True,
        dense=True,
        hide_details=True,
    )


@solara.component
def ColourToggle(view: solara.Reactive[ViewSettings], compare: bool = False):
    """What the map's colour shows: the lean now, the change since the start, the favourable
    view, the difference between the two runs (only when comparing) or the wave of an event.
    """
    modes = {k: v for k, v in MAP_COLOURS.items() if compare or k != "difference"}
    to_key = {v: k for k, v in modes.items()}
    current = view.value.colour if view.value.colour in modes else "lean"
    return solara.ToggleButtonsSingle(
        value=modes[current],
        values=list(to_key),
        on_value=lambda name: update_view(view, colour=to_key[name]),
        dense=True,
        # Four or five buttons can be wider than the map's card: wrap, never cut. In sentence
        # case with narrow padding (`sim.viz.layout.FIRST_SCREEN_CSS`) four fit one row at
        # 1024 px, so the map starts higher.
        style={"flex-wrap": "wrap", "height": "auto", "max-width": "100%"},
        classes=["softpower-colour"],
    )


@solara.component
def MeasureToggle(view: solara.Reactive[ViewSettings]):
    """What the chart over time shows: the score, familiarity or reputation."""
    current = view.value.measure if view.value.measure in MEASURES else "score"
    return solara.Select(
        "Show",
        values=list(MEASURES),
        value=current,
        on_value=lambda key: update_view(view, measure=key),
        style={"max-width": "160px"},
    )


@solara.component
def LayerToggles(view: solara.Reactive[ViewSettings]):
    """One checkbox per edge layer of the map."""
    layers = view.value.layers
    with solara.Row(gap="4px", style={"flex-wrap": "wrap"}) as main:
        for layer in LAYERS:
            solara.Checkbox(
                label=layer,
                value=layer in layers,
                # mypy infers no lambda with a default against solara's one-argument callback.
                on_value=lambda on, layer=layer: update_view(  # type: ignore[misc]
                    view, layers=layers | {layer} if on else layers - {layer}
                ),
            )
    return main
