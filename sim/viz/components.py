"""The app's views as Solara components: network map, scores, top 10, perception, events, inspector.

Each view takes the model, its current step and the session's `ViewSettings` (a reactive value);
`Dashboard` re-renders them when Mesa's controller steps the model (it bumps
``mesa.visualization.utils.update_counter``). Figures are matplotlib SVGs embedded as ``<img>``
with alt text; tables are plain HTML, so screen readers and the browser's find work on them.
"""

from __future__ import annotations

import dataclasses
import functools
import html
from dataclasses import dataclass, field

import numpy as np
import solara
from matplotlib import colormaps
from matplotlib.colors import to_hex
from mesa.visualization.utils import update_counter

from sim.axes import AUDIENCES
from sim.model.model import SoftPowerModel
from sim.params import KEY_PARAMETERS
from sim.viz import figures
from sim.viz.figures import LAYERS, LEAN_CMAP, NetworkMap, ScoreChart

__all__ = [
    "ViewSettings",
    "Dashboard",
    "NationSelect",
    "NationsSelect",
    "ColourToggle",
    "LayerToggles",
    "ScenarioHeader",
    "NetworkView",
    "TopTen",
    "ScoreView",
    "PerceptionView",
    "EventsFeed",
    "NationInspector",
]

_DEFAULT_NATIONS = ("USA", "CHN", "DEU", "GBR", "JPN", "IND")


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
        colour: What the map's colour shows: ``lean`` (now) or ``change`` (since the start).

    """

    pole_a: str = "USA"
    pole_b: str = "CHN"
    layers: frozenset[str] = field(default_factory=lambda: frozenset({"rivalry", "aid", "BRI"}))
    nations: tuple[str, ...] = _DEFAULT_NATIONS
    actor: str = "USA"
    inspect: str = "KEN"
    colour: str = "lean"

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
        )


def _nation_labels(model: SoftPowerModel) -> tuple[tuple[str, str], ...]:
    """Return (label, ISO3) pairs with labels like ``Kenya (KEN)``, sorted by name."""
    pairs = sorted(zip(model.world.name, model.iso3, strict=True))
    return tuple((f"{name} ({code})", code) for name, code in pairs)


def _update(view: solara.Reactive[ViewSettings], **changes) -> None:
    view.set(dataclasses.replace(view.value, **changes))


# The controls are components of their own with arguments that do not change from step to step,
# so a step does not re-send their lists of 60 nations to the browser.


@solara.component
def NationSelect(
    label: str,
    view: solara.Reactive[ViewSettings],
    setting: str,
    labels: tuple[tuple[str, str], ...],
):
    """A drop-down of nations (``labels``: (label, ISO3) pairs) bound to one view setting."""
    to_code = dict(labels)
    to_label = {code: text for text, code in labels}
    return solara.Select(
        label,
        values=list(to_code),
        value=to_label[getattr(view.value, setting)],
        on_value=lambda text: _update(view, **{setting: to_code[text]}),
        style={"max-width": "280px", "min-width": "200px"},
    )


@solara.component
def NationsSelect(
    label: str, view: solara.Reactive[ViewSettings], labels: tuple[tuple[str, str], ...]
):
    """A multiple choice of nations for the score chart."""
    to_code = dict(labels)
    to_label = {code: text for text, code in labels}
    return solara.SelectMultiple(
        label,
        values=[to_label[c] for c in view.value.nations],
        all_values=list(to_code),
        on_value=lambda texts: _update(view, nations=tuple(to_code[t] for t in texts)),
    )


_COLOURS = {"lean now": "lean", "change since start": "change"}


@solara.component
def ColourToggle(view: solara.Reactive[ViewSettings]):
    """What the map's colour shows: the lean now or how far it moved since the start."""
    names = {v: k for k, v in _COLOURS.items()}
    return solara.ToggleButtonsSingle(
        value=names[view.value.colour],
        values=list(_COLOURS),
        on_value=lambda name: _update(view, colour=_COLOURS[name]),
        dense=True,
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
                on_value=lambda on, layer=layer: _update(
                    view, layers=layers | {layer} if on else layers - {layer}
                ),
            )
    return main


@functools.cache
def _palette(levels: int = 101) -> tuple[str, ...]:
    cmap = colormaps[LEAN_CMAP]  # a fresh copy on every lookup: take it once
    return tuple(to_hex(cmap(x)) for x in np.linspace(0.0, 1.0, levels))


def _colour(value: float, limit: float = 1.0) -> tuple[str, str]:
    """Return (background, text colour) of a value in [-limit, limit] on the lean colour map."""
    x = min(max((value + limit) / (2 * limit), 0.0), 1.0)
    palette = _palette()
    background = palette[round(x * (len(palette) - 1))]
    return background, "#ffffff" if abs(x - 0.5) > 0.33 else "#111111"


def _signed(value: float, digits: int = 2) -> str:
    """Format with a sign and a true minus; values that round to zero show as ``0.0``."""
    value = round(float(value), digits)
    if value == 0:
        return f"{0:.{digits}f}"
    return f"{value:+.{digits}f}".replace("-", "−")


_TABLE = "width:100%;border-collapse:collapse;font-size:12px"
_CELL = "padding:2px 6px;border-bottom:1px solid #e0e0e0"


def _table(headers: list[str], rows: list[list[str]], caption: str) -> str:
    head = "".join(f'<th scope="col" style="{_CELL};text-align:left">{h}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{cell}</td>' for cell in row) + "</tr>"
        for row in rows
    )
    return (
        f'<table style="{_TABLE}"><caption style="text-align:left;font-size:12px;color:#555">'
        f"{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
        "</table>"
    )


@solara.component
def ScenarioHeader(model: SoftPowerModel, step: int, errors: dict[str, str] | None = None):
    """Title, description, current date and step of the running scenario, and its parameters."""
    spec = model.spec
    seed = getattr(model, "seed", None)
    overrides = getattr(model, "overrides", {})
    status = f"{spec.date(step)} · step {step} of {model.horizon}"
    if seed is not None:
        status += f" · seed {seed}"
    if not model.running:
        status += " · finished: press Reset to run again"
    values = model.parameters.to_dict()
    parameters = " · ".join(
        f"<b>{name}</b> {values[name]:g}" if name in overrides else f"{name} {values[name]:g}"
        for name in KEY_PARAMETERS
    )
    body = (
        f'<h2 style="margin:0 0 4px 0;font-size:20px">{html.escape(spec.title)}</h2>'
        f'<div class="softpower-step" style="font-weight:bold">{html.escape(status)}</div>'
        f'<div style="margin:4px 0">{html.escape(spec.description)}</div>'
        f'<div style="font-size:12px;color:#555">Parameters of this run: {parameters}. '
        "Change the scenario, seed or sliders on the left, then press Reset.</div>"
    )
    with solara.Card(margin=0) as main:
        solara.HTML(tag="div", unsafe_innerHTML=body, classes=["softpower-header"])
        if errors:
            solara.Warning(
                "Scenario files left out of the list: "
                + "; ".join(f"{name}: {msg}" for name, msg in errors.items())
            )
    return main


@solara.component
def NetworkView(model: SoftPowerModel, step: int, view: solara.Reactive[ViewSettings]):
    """The world network: nations at their capitals, coloured by lean, sized by score."""
    settings = view.value
    labels = _nation_labels(model)
    drawer = solara.use_memo(NetworkMap, [])
    layers = tuple(layer for layer in LAYERS if layer in settings.layers)
    image = solara.use_memo(
        lambda: drawer.draw(model, settings.pole_a, settings.pole_b, layers, settings.colour),
        [model, step, settings.pole_a, settings.pole_b, layers, settings.colour],
    )
    with solara.Card("World network", margin=0) as main:
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            NationSelect("Pole A (blue)", view, "pole_a", labels)
            NationSelect("Pole B (red)", view, "pole_b", labels)
            ColourToggle(view)
            LayerToggles(view)
        if settings.pole_a == settings.pole_b:
            solara.Warning("Choose two different poles: the lean is zero everywhere.")
        solara.HTML(
            tag="div",
            unsafe_innerHTML=figures.map_html(image),
            style="overflow-x:auto",
            classes=["softpower-map-box"],
        )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=_map_legend(image, settings),
            style="font-size:12px",
            classes=["softpower-map-legend"],
        )
    return main


def _map_legend(image: figures.MapImage, settings: ViewSettings) -> str:
    bar = (
        f'<span style="display:inline-block;width:220px;height:10px;vertical-align:middle;'
        f'background:{figures.lean_gradient()};border:1px solid #999"></span>'
    )
    a, b = html.escape(settings.pole_a), html.escape(settings.pole_b)
    what = "lean" if image.colour == "lean" else "change in lean since the start"
    lean = (
        f"<b>{b}</b> ← {what} → <b>{a}</b> {bar} (±{image.limit:g} and beyond at full colour; "
        "circle size: soft power score; hover a nation for its name, score and rank)"
    )
    edges = " · ".join(
        f'<span style="display:inline-block;width:24px;border-top:2px {style["dash"]} '
        f'{style["color"]};vertical-align:middle"></span> {html.escape(style["label"])} '
        f"({image.edge_counts[layer]})"
        for layer in LAYERS
        if layer in image.edge_counts
        for style in [figures.layer_style(layer)]
    )
    return f"<div>{lean}</div><div>{edges or 'no edge layer shown'}</div>"


@solara.component
def TopTen(model: SoftPowerModel, step: int):
    """The ten highest soft power scores now, with score and rank changes."""
    rows = figures.top_table(model, 10)

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
            f'<small style="color:#555">{html.escape(r.name)}</small>',
            f"{r.score:.1f}",
            _signed(r.score_change, 1),
            moved(r.moved_last_step),
            moved(r.moved_since_start),
        ]
        for r in rows
    ]
    table = _table(
        ["#", "nation", "score", "Δ score", "Δ rank step", "Δ rank start"],
        cells,
        f"Top 10 at {model.spec.date(model.steps)}; changes since the last step and the start",
    )
    with solara.Card("Top 10", margin=0) as main:
        solara.HTML(tag="div", unsafe_innerHTML=table, classes=["softpower-top10"])
    return main


@solara.component
def ScoreView(model: SoftPowerModel, step: int, view: solara.Reactive[ViewSettings]):
    """Soft power score over time for the chosen nations."""
    settings = view.value
    chart = solara.use_memo(ScoreChart, [])
    image = solara.use_memo(
        lambda: chart.draw(model, settings.nations), [model, step, settings.nations]
    )
    alt = "Soft power score over time: " + ", ".join(
        f"{c} {model.recorder.score[step, model.iso3.index(c)]:.1f}" for c in settings.nations
    )
    with solara.Card("Soft power over time", margin=0) as main:
        NationsSelect("Nations", view, _nation_labels(model))
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f'<img src="{figures.data_uri(image)}" alt="{html.escape(alt)}" '
                'class="softpower-scores" style="max-width:100%">'
            ),
            classes=["softpower-scores-box"],
        )
    return main


@solara.component
def PerceptionView(model: SoftPowerModel, step: int, view: solara.Reactive[ViewSettings]):
    """How each region's youth, public and elite see a chosen actor, and the change since start."""
    settings = view.value
    regions, now, change = figures.perception_by_region(model, settings.actor)
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
        f"Perception of {settings.actor} in [−1, 1] at {model.spec.date(model.steps)} "
        "(change since the start), mean over the region's nations",
    )
    with solara.Card("Perception by region and audience", margin=0) as main:
        NationSelect("Perception of", view, "actor", _nation_labels(model))
        solara.HTML(tag="div", unsafe_innerHTML=table, classes=["softpower-perception"])
    return main


@solara.component
def EventsFeed(model: SoftPowerModel, step: int, limit: int = 15):
    """Scheduled events and nations' decisions, newest first."""
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
        kind = item.kind.removeprefix("decision_").replace("_", " ")
        target = f" → {html.escape(item.target)}" if item.target else ""
        lines.append(
            f"<li>{item.date} {badge} <b>{html.escape(kind)}</b> {html.escape(item.actor)}"
            f"{target} <small>{html.escape(item.detail)}</small></li>"
        )
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
    n = figures.inspect_nation(model, settings.inspect, settings.pole_a, settings.pole_b)
    capacity = _table(
        ["channel", "now", "start"],
        [[c, f"{now:.3f}", f"{start:.3f}"] for c, (now, start) in n.capacity.items()],
        "Capacity to project soft power (1 = the best nation at the start)",
    )
    leans = _table(
        ["actor", "attraction"],
        [[a, _signed(v)] for a, v in n.leans_to],
        f"Leans to (attraction in [−1, 1]); lean {settings.pole_a} vs {settings.pole_b}: "
        f"{_signed(n.lean)}",
    )
    actors = list(next(iter(n.audiences.values())))
    audiences = _table(
        ["audience", *actors],
        [[a, *(_signed(n.audiences[a][k]) for k in actors)] for a in AUDIENCES],
        "How its audiences see the poles and its favourite",
    )
    credibility = ", ".join(f"{k} {v:.2f}" for k, v in n.credibility.items())
    with solara.Card("Nation inspector", margin=0) as main:
        NationSelect("Nation", view, "inspect", _nation_labels(model))
        solara.HTML(
            tag="div",
            classes=["softpower-inspector"],
            unsafe_innerHTML=(
                f"<p><b>{html.escape(n.name)} ({n.iso3})</b>, {html.escape(n.region)}: "
                f"score {n.score:.1f} ({_signed(n.score_change, 1)} since the start), "
                f"rank {n.rank} of {model.n}. Credibility it gives: {credibility}.</p>"
                f"{capacity}{leans}{audiences}"
                f"<p>Member of: {html.escape(', '.join(n.memberships) or 'none')}</p>"
            ),
        )
    return main


@solara.component
def Dashboard(
    model: SoftPowerModel,
    view: solara.Reactive[ViewSettings],
    errors: dict[str, str] | None = None,
):
    """All views of the running model, laid out for a laptop screen.

    The only view that listens to Mesa's step counter: it hands the step to the others, so one
    step re-renders the page once (a listener per view would re-render it once per view).
    """
    update_counter.get()
    step = model.steps
    with solara.Column(gap="12px", style={"padding": "0"}) as main:
        ScenarioHeader(model, step, errors)
        NetworkView(model, step, view)
        with solara.Columns([6, 6]):
            TopTen(model, step)
            ScoreView(model, step, view)
        with solara.Columns([6, 6]):
            PerceptionView(model, step, view)
            EventsFeed(model, step)
        NationInspector(model, step, view)
    return main
