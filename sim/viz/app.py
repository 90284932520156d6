"""The Solara app: Mesa's SolaraViz controls in the sidebar, the soft power views in the main area.

Start it with ``softpower app`` (or ``solara run sim/viz/app.py``); see ``docs/app.md``.
"""

from __future__ import annotations

import os
import warnings

# Before Solara reads its settings: no usage telemetry leaves the machine.
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
# Solara warns on every page load over plain http on 127.0.0.1 (cookies fall back to lax).
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

import solara  # noqa: E402
import solara.server.settings  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sim.viz.components import Dashboard, ViewSettings  # noqa: E402
from sim.viz.library import scenario_library  # noqa: E402
from sim.viz.model import AppModel, model_params  # noqa: E402

__all__ = ["Page", "page", "TITLE"]

#: Shown in the app bar and the browser tab.
TITLE = "softpower: how nations win and lose soft power"

# `solara run` may have imported Solara (and read the environment) before this module.
solara.server.settings.telemetry.mixpanel_enable = False
# One BLAS thread, as in the CLI: the model's matrices are small, threads only add hand-offs.
threadpool_limits(limits=1)


@solara.component
def Page():
    """The whole app for one browser session (each session gets its own model and view)."""
    library = solara.use_memo(scenario_library, [])
    first = solara.use_memo(lambda: AppModel(library=library), [])
    model = solara.use_reactive(first)
    view = solara.use_reactive(ViewSettings().fitted(first.iso3))
    solara.Title("softpower")
    with solara.Column(style={"padding": "0"}) as main:
        SolaraViz(model, components=[], model_params=model_params(library), name=TITLE)
        Dashboard(model.value, view, library.errors)
    return main


#: Alias for ``solara run``-style lookups of a lower-case ``page``.
page = Page
