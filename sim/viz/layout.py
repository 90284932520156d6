"""The page's frame: the app bar, the sidebar drawer and the main area, usable from 800 px wide,
with names for every button and the page's language.

Solara's own ``AppLayout`` opens its drawer over the page in a window narrower than 960 px and
keeps it open, so at 800 px the sidebar covered the map after each Step (issue 24, finding 6),
and its menu button has no accessible name. `Layout` is the same frame (app bar, drawer,
content; the page still fills it with ``solara.AppBar``, ``solara.AppBarTitle`` and
``solara.Sidebar``) with a drawer that Vuetify opens beside the page in a wide window and leaves
closed in a narrow one, and a named menu button. In a narrow window the Reset, Play and Step
buttons sit in a bar above the map (`NarrowBar`, shown by CSS below `NARROW_PX`), so a student steps
and watches the map without opening the drawer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import reacton.ipyvuetify as v
import solara
from solara.components.applayout import appbar_portal, apptitle_portal, sidebar_portal

__all__ = [
    "NARROW_PX",
    "DRAWER_PX",
    "LAYOUT_CSS",
    "SIDE_BY_SIDE_PX",
    "FIRST_SCREEN_CSS",
    "Layout",
    "NarrowBar",
    "PageLanguage",
    "ComboboxNames",
    "MENU_LABEL",
]

#: Below this window width (px) the drawer closes and the controls move above the map
#: (Vuetify's breakpoint of a mobile drawer). At 1024 px the drawer would leave the views
#: 600 px, too little for the map and the chart side by side (`FIRST_SCREEN_CSS`).
NARROW_PX = 1100

#: The drawer's width (px) in a wide window: the controls' and parameters' cards.
DRAWER_PX = 360

#: The views' main area is at least this wide (px) when the map and the chart sit side by side
#: (896 px at 1280 with the drawer open, 1000 at 1024 with it closed; 776 at 800: one column).
SIDE_BY_SIDE_PX = 840

#: The map and the score chart side by side where the main area is `SIDE_BY_SIDE_PX` or wider
#: (a CSS container query on the main area's width, not the window's), one above the other
#: below it: both on the first screen at 1280x800 and 1024x768 (issue 24). The chart's column
#: is never narrower than 340 px, where its text is still 12 px (`sim.viz.scorechart.ScoreChart`).
FIRST_SCREEN_CSS = f"""
.softpower-first {{ container-type: inline-size; }}
.softpower-first-grid {{ display: grid; grid-template-columns: minmax(0, 1fr); gap: 12px; }}
.softpower-colour .v-btn.v-btn {{ padding: 0 8px; text-transform: none; letter-spacing: 0; }}
@container (min-width: {SIDE_BY_SIDE_PX}px) {{
  .softpower-first-grid {{
    grid-template-columns: minmax(0, 3fr) minmax(340px, 2fr); align-items: start;
  }}
}}
"""

#: The accessible name of the app bar's menu button.
MENU_LABEL = "Open or close the sidebar of controls and parameters"

#: Styles of the frame: the narrow bar, the drawer's copy of the buttons hidden where the bar
#: shows them, and a keyboard focus ring that stands out on every background.
LAYOUT_CSS = f"""
.softpower-narrow-bar {{ display: none; }}
@media (max-width: {NARROW_PX - 1}px) {{
  .softpower-narrow-bar {{
    display: flex; flex-wrap: wrap; align-items: center; gap: 8px;
    position: sticky; top: 0; z-index: 4; padding: 6px 8px; margin-bottom: 8px;
    background: #ffffff; border-bottom: 1px solid #cccccc;
  }}
  .softpower-sidebar-buttons {{ display: none; }}
}}
.v-application a:focus-visible, .v-application button:focus-visible,
.v-application input:focus-visible, .v-application [tabindex]:focus-visible,
.v-application summary:focus-visible, .v-application .v-slider__thumb-container:focus-within {{
  outline: 3px solid #1a5fb4 !important; outline-offset: 2px;
  box-shadow: 0 0 0 5px #ffffff !important;
}}
"""


@solara.component_vue("language.vue", vuetify=False)
def PageLanguage(lang: str = "en"):
    """Sets the ``lang`` attribute of the page's ``<html>`` element (Solara's page template
    leaves it empty), so screen readers speak the page in English.
    """


@solara.component_vue("combobox_names.vue", vuetify=False)
def ComboboxNames():
    """Names every combobox of the page (the nation pickers) after its label, as the page
    changes: Vuetify's autocompletes label only the text box inside their combobox, so screen
    readers announced a combobox without a name.
    """


@solara.component
def NarrowBar(children: list | None = None):
    """A bar above the views, shown only in a window narrower than `NARROW_PX` (CSS): the
    quarter and the play buttons, always at hand while the drawer stays closed.
    """
    return solara.Div(children=children or [], classes=["softpower-narrow-bar"])


@solara.component
def Layout(children: list | None = None):
    """The page's frame: app bar, sidebar drawer and content (what ``solara run`` wraps the
    page in, as the module-level ``Layout`` of `sim.viz.app`).

    The drawer's ``v_model`` starts undecided (None), so Vuetify opens it in a wide window and
    leaves it closed in a narrow one; the menu button (named `MENU_LABEL`) opens and closes it.
    """
    sidebar = sidebar_portal.use_portal()
    appbar = appbar_portal.use_portal()
    titles = apptitle_portal.use_portal()
    drawer_open, set_drawer_open = solara.use_state(cast(bool | None, None))

    def toggle(*_ignored) -> None:
        set_drawer_open(not drawer_open)

    with v.Html(tag="div", style_="height: 100vh") as main:
        with (
            solara.HBox(),
            v.NavigationDrawer(
                width="min-content",
                v_model=drawer_open,
                on_v_model=set_drawer_open,
                style_=f"min-width: min({DRAWER_PX}px, 92vw); max-width: 600px",
                clipped=True,
                app=True,
                disable_route_watcher=True,
                mobile_break_point=str(NARROW_PX),
                class_="solara-content-main softpower-drawer",
            ),
        ):
            v.Html(tag="div", children=sidebar, style_="padding: 12px; height: 100%")
        with v.AppBar(color="primary", dark=True, app=True, clipped_left=True).key("appbar"):
            _menu_button(toggle)
            v.ToolbarTitle(children=titles)
            v.Spacer()
            for i, child in enumerate(appbar):
                solara.display(child.key(f"softpower-appbar-{i}") if child._key is None else child)
        with v.Content(class_="solara-content-main", style_="height: 100%;").key("content"):
            solara.Div(
                style={"height": "100%", "overflow": "auto", "padding": "12px"},
                children=[PageLanguage(lang="en"), ComboboxNames(), *(children or [])],
            )
    return main


def _menu_button(on_click: Callable[..., None]) -> Any:
    """The app bar's menu button, with its accessible name."""
    icon = v.AppBarNavIcon(attributes={"aria-label": MENU_LABEL, "title": MENU_LABEL})
    v.use_event(icon, "click", on_click)
    return icon
