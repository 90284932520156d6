"""The Solara app: Mesa's model controller and the model's inputs in the sidebar, the soft power
views in the main area.

The page is laid out as Mesa's ``SolaraViz`` lays it out (app bar, a sidebar with Controls and
Model Parameters, the views beside it; in a window narrower than 1100 px the sidebar stays closed
and the play buttons sit above the map: `sim.viz.layout`); the controller is the
app's own (`sim.viz.controller`: it steps and the views read under one lock, and Reset refuses
invalid inputs) and so are the inputs (`sim.viz.controls`), so that they show values, units,
help and what waits for Reset.

Start it with ``softpower app`` (or ``solara run sim/viz/app.py``); see ``docs/app.md``.
"""

from __future__ import annotations

import html
import os
import warnings

# Before Solara reads its settings: no usage telemetry leaves the machine.
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
# Solara warns on every page load over plain http on 127.0.0.1 (cookies fall back to lax).
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

import solara  # noqa: E402
import solara.server.settings  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sim.viz.app_model import AppModel, model_params  # noqa: E402
from sim.viz.components import Dashboard, ViewSettings  # noqa: E402
from sim.viz.controller import PlayButtons, QuarterStatus, use_player  # noqa: E402
from sim.viz.controls import ParameterPanel, input_problems, pending_changes  # noqa: E402
from sim.viz.downloads import Download, run_zip, zip_name  # noqa: E402
from sim.viz.layout import FIRST_SCREEN_CSS, LAYOUT_CSS, Layout  # noqa: E402
from sim.viz.library import scenario_library  # noqa: E402
from sim.viz.share import parse_query, share_query  # noqa: E402

__all__ = ["Page", "page", "Layout", "TITLE", "CSS"]

#: Shown in the app bar and the browser tab.
TITLE = "softpower: how nations win and lose soft power"

# `solara run` may have imported Solara (and read the environment) before this module.
solara.server.settings.telemetry.mixpanel_enable = False
# Solara's "This website runs on Solara" badge sits over the bottom right of the page (the
# events list on a laptop screen).
solara.server.settings.theme.show_banner = False
# A light theme always: the map's and the chart's colours were chosen on white and read the
# same on every screen and projector (a dark page around white figures was issue 24's finding
# 14); there is no theme toggle.
solara.server.settings.theme.variant = solara.server.settings.ThemeVariant.light
# One BLAS thread, as in the CLI: the model's matrices are small, threads only add hand-offs.
threadpool_limits(limits=1)


#: Page styles: the map as wide as its card, the frame's (`sim.viz.layout.LAYOUT_CSS`) and the
#: first screen's (`sim.viz.layout.FIRST_SCREEN_CSS`).
CSS = (
    """
.softpower-worldmap svg { max-width: 100%; }
"""
    + LAYOUT_CSS
    + FIRST_SCREEN_CSS
)


def _slider_value(text: str) -> None:
    """The value of a sidebar slider, in words, under it (the slider itself shows none)."""
    solara.Text(
        text, style={"font-size": "12px", "opacity": "0.8"}, classes=["softpower-slider-value"]
    )


@solara.component
def Page():
    """The whole app for one browser session (each session gets its own model and view)."""
    library = solara.use_memo(scenario_library, [])
    params = solara.use_memo(lambda: model_params(library), [])
    router = solara.use_router()
    # A shared address (?scenario=...&seed=...&world=...&stubbornness=...) sets the first run.
    asked, refused = solara.use_memo(lambda: parse_query(router.search, params), [])
    start = solara.use_memo(
        lambda: {**{name: spec["value"] for name, spec in params.items()}, **asked}, []
    )
    first = solara.use_memo(lambda: AppModel(library=library, **start), [])
    model: solara.Reactive[AppModel] = solara.use_reactive(first)
    view = solara.use_reactive(ViewSettings().fitted(first.iso3))
    inputs = solara.use_reactive(start)
    link = "?" + share_query(model.value.inputs, params)

    def show_link_in_address() -> None:
        if router.set_path is not None and router.search != link[1:]:  # None: no browser
            router.push(f"{router.path or '/'}{link}")

    solara.use_effect(show_link_in_address, [link])
    play_interval = solara.use_reactive(150)
    render_interval = solara.use_reactive(1)
    problems = input_problems(params, inputs.value)
    solara.Title("softpower")
    solara.Style(CSS)
    player = use_player(
        model,
        inputs,
        play_interval,
        render_interval,
        validate=lambda values: "; ".join(input_problems(params, values).values()),
    )
    solara.AppBarTitle(TITLE)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            with solara.Div(classes=["softpower-sidebar-buttons"]):
                QuarterStatus(model.value)
                PlayButtons(player)
            solara.SliderInt(
                "Play speed",
                value=play_interval,
                min=1,
                max=500,
                step=10,
            )
            _slider_value(f"{play_interval.value} ms between two steps of Play")
            solara.SliderInt(  # any whole number of quarters up to the whole run
                "Quarters per step",
                value=render_interval,
                min=1,
                max=model.value.horizon,
                step=1,
            )
            _slider_value(
                f"{render_interval.value} quarter{'s' if render_interval.value != 1 else ''} "
                "per click of Step or beat of Play"
            )
            solara.HTML(
                tag="div",
                unsafe_innerHTML=(
                    f'<a href="{html.escape(link)}" class="softpower-share">Link to this run</a>'
                    " (the address bar carries it too: copy it to share the scenario, seed, "
                    "world and changed sliders)"
                ),
                style="font-size:12px;margin-top:6px",
            )
            running = model.value
            Download(
                lambda: run_zip(running),
                filename=zip_name(running),
                label="Download tables (zip)",
                mime_type="application/zip",
            )
            if refused:
                solara.Warning(
                    "Left out of the address: " + "; ".join(refused),
                    dense=True,
                    classes=["softpower-address-refused"],
                )
        with solara.Card("Model Parameters"):
            ParameterPanel(params, inputs, model.value, problems)
    Dashboard(
        model.value,
        view,
        library.errors,
        pending_changes(params, inputs.value, model.value),
        bar=[PlayButtons(player)],  # the narrow window's bar, with the quarter line
    )


#: Alias for ``solara run``-style lookups of a lower-case ``page``.
page = Page
