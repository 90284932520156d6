"""The app in a real browser, round 3 (issue 24 findings 6, 9 and 14; issue 25 item 3): the page
at 800 px, the names of its buttons, its language, a dark system theme, keyboard focus, the
map's tap tooltips, legend and download, and the wave of an event on the map.

Like ``tests/test_browser.py``, on the same ``softpower app`` server (started once per session,
``app_server`` in ``tests/conftest.py``) and Debian's Chromium driven by Playwright; where
Chromium is missing the tests fail with the install instruction.
"""

from __future__ import annotations

import re

import pytest

from sim.viz.browser import ChromiumMissing, chromium_path
from sim.viz.layout import MENU_LABEL, NARROW_PX

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser_session(app_browser):
    """(server, browser) for the module (`app_browser` in ``tests/conftest.py``; the server is
    shared with ``tests/test_browser.py``); None if Chromium is missing. Each test opens its own
    browser context, hence its own app session.
    """
    return app_browser


def open_page(browser_session, width: int, height: int = 900, query: str = "", **context):
    """A new page (its own app session) at ``width`` × ``height``, loaded and ready to Step."""
    if browser_session is None:
        pytest.fail(str(_missing()), pytrace=False)
    server, browser = browser_session
    page = browser.new_context(viewport={"width": width, "height": height}, **context).new_page()
    page.goto(server.url + (f"?{query}" if query else ""), timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Step").wait_for(timeout=TIMEOUT_MS)
    return page


def _missing() -> str:
    try:
        chromium_path()
    except ChromiumMissing as exc:
        return str(exc)
    return ""


#: The roles of what a student can press, type into or move: each needs a name to be spoken.
CONTROL_ROLES = (
    "button",
    "menuitem",
    "switch",
    "combobox",
    "textbox",
    "slider",
    "checkbox",
    "link",
)


def nameless_buttons(page) -> list[str]:
    """Buttons and other controls (`CONTROL_ROLES`) of the page's accessibility tree
    (Chromium's own computation of names, through the DevTools protocol) whose accessible name
    is empty, as ``role:node id``.
    """
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    cdp.detach()
    return [
        f"{node['role']['value']}:{node.get('backendDOMNodeId')}"
        for node in nodes
        if not node.get("ignored")
        and node.get("role", {}).get("value") in CONTROL_ROLES
        and not str(node.get("name", {}).get("value", "")).strip()
    ]


def point_is_on(page, selector: str, box: dict) -> bool:
    """Whether the element at the centre of ``box`` on screen is (inside) ``selector``: that
    nothing covers it there.
    """
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    return page.evaluate(
        "([x, y, sel]) => { const e = document.elementFromPoint(x, y);"
        " return !!(e && e.closest(sel)); }",
        [x, y, selector],
    )


def test_at_800_px_the_sidebar_stays_closed_and_the_map_shows_after_each_step(browser_session):
    """Finding 6: at 800 px the sidebar opened over the page and covered the map after each
    Step. Now the drawer starts closed, the play buttons sit above the map, and after each Step
    the map is on screen with nothing over it; the menu button still opens the parameters."""
    from playwright.sync_api import expect

    page = open_page(browser_session, 800, 900)
    drawer = page.locator("nav.softpower-drawer")
    box = drawer.bounding_box()
    assert box is None or box["x"] + box["width"] <= 0, box  # closed: off the left edge
    world = page.locator("svg.softpower-map")
    for step in (1, 2):
        page.get_by_role("button", name="Step").click()
        expect(page.locator(".softpower-quarter-narrow")).to_contain_text(
            f"step {step} of 40", timeout=TIMEOUT_MS
        )
        page.wait_for_timeout(400)  # any drawer animation would be under way by now
        expect(world).to_be_visible()
        shown = world.bounding_box()
        assert shown["width"] >= 700  # the map spans the window, not a sidebar's leftover
        assert shown["y"] + shown["height"] / 2 < 900  # at least half of it on the screen
        assert point_is_on(page, "svg.softpower-map", shown)  # and nothing lies over it
    page.get_by_role("button", name=MENU_LABEL).click()
    expect(page.get_by_text("Model Parameters")).to_be_visible(timeout=TIMEOUT_MS)
    assert not point_is_on(page, "svg.softpower-map", world.bounding_box())  # over the map now
    page.mouse.click(780, 600)  # beside the drawer, as a student closes it
    page.wait_for_timeout(600)
    assert point_is_on(page, "svg.softpower-map", world.bounding_box())
    page.context.close()


@pytest.mark.parametrize("width", [1400, 800])
def test_every_button_has_a_name_and_the_page_says_it_is_in_english(browser_session, width):
    """Finding 14: eight buttons had no accessible name (the menu, the theme toggle and the
    chips' close icons) and the page declared no language; the nation pickers' comboboxes had
    no name either (Vuetify labels only the text box inside them)."""
    page = open_page(browser_session, width)
    page.get_by_role("button", name="Step").click()
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("button").count() > 10  # the check below looks at a full page
    assert nameless_buttons(page) == []
    if width < NARROW_PX:  # the drawer's buttons too, once it is open
        page.get_by_role("button", name=MENU_LABEL).click()
        page.get_by_text("Model Parameters").wait_for(timeout=TIMEOUT_MS)
        assert nameless_buttons(page) == []
    page.context.close()


def test_a_dark_system_theme_keeps_the_page_light_and_its_figures_readable(browser_session):
    """Finding 14: in dark mode the page turned dark around a white map and chart. The app
    keeps its light theme whatever the system's (docs/app.md), so text, map and chart keep the
    colours they were chosen with."""
    page = open_page(browser_session, 1280, 800, color_scheme="dark")
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    assert page.locator(".v-application.theme--dark").count() == 0
    assert page.locator(".v-application.theme--light").count() >= 1
    colour = page.locator(".softpower-header").evaluate("e => getComputedStyle(e).color")
    red, green, blue = (int(c) for c in re.findall(r"\d+", colour)[:3])
    assert red + green + blue < 200  # dark text on the light card
    page.context.close()


def test_keyboard_focus_is_visible(browser_session):
    """Tabbing to a button draws a ring of at least 2 px around it."""
    page = open_page(browser_session, 1280, 800)
    for _ in range(40):
        page.keyboard.press("Tab")
        tag = page.evaluate("document.activeElement.tagName")
        if tag == "BUTTON":
            break
    assert tag == "BUTTON"
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert style[0] == "solid" and style[1] >= 2, style
    page.context.close()


def test_a_tap_on_a_country_shows_its_name_and_the_value_of_its_colour(browser_session):
    """Finding 9: native tooltips only, none on touch screens."""
    from playwright.sync_api import expect

    page = open_page(browser_session, 1280, 900, has_touch=True)
    page.get_by_role("button", name="favourable view").click()
    legend = page.locator(".softpower-map-legend")
    expect(legend).to_contain_text("Favourable view of United States", timeout=TIMEOUT_MS)
    page.locator("svg.softpower-map path[data-iso3=MEX]").tap()
    tip = page.locator(".softpower-map-tip")
    expect(tip).to_have_text(
        re.compile(r"^Mexico \(MEX\): \d+ % favourable view of USA$"), timeout=TIMEOUT_MS
    )
    assert tip.get_attribute("role") == "status"  # read out by screen readers
    share = int(re.search(r"(\d+) %", tip.inner_text()).group(1))
    title = page.locator("svg.softpower-map path[data-iso3=MEX] title").text_content()
    assert f"favourable view of USA: {share} %" in title  # the same number as the tooltip
    page.locator("svg.softpower-map path[data-iso3=BRA]").tap()
    expect(tip).to_contain_text("Brazil (BRA)", timeout=TIMEOUT_MS)
    page.context.close()


def test_no_two_code_labels_on_the_map_overlap(browser_session):
    """Finding 9: overlapping ISO codes over Europe. Chromium's own text boxes of the labels
    (in the map's units): no two of them share a stretch across while their baselines are
    closer than the font size (capitals are shorter than it)."""
    page = open_page(browser_session, 1280, 800)
    page.locator("svg.softpower-map text").nth(9).wait_for(timeout=TIMEOUT_MS)
    boxes = page.evaluate(
        "() => [...document.querySelectorAll('svg.softpower-map text')].map(t => {"
        " const b = t.getBBox(); return [t.textContent, b.x, b.x + b.width,"
        " +t.getAttribute('y'), +t.getAttribute('font-size')]; })"
    )
    assert len(boxes) >= 10 and {"USA", "CHN", "DEU", "JPN"} <= {b[0] for b in boxes}
    for n, (a, a_left, a_right, a_y, size) in enumerate(boxes):
        for b, b_left, b_right, b_y, _ in boxes[n + 1 :]:
            across = min(a_right, b_right) - max(a_left, b_left)
            assert across <= 0 or abs(a_y - b_y) >= size, (a, b, across, a_y - b_y)
    page.context.close()


def test_the_favourable_legend_has_its_units_and_the_map_downloads(browser_session, tmp_path):
    """Finding 9 (a scale without units) and Deliver-4 (a picture of the map to download)."""
    from playwright.sync_api import expect

    page = open_page(browser_session, 1280, 900)
    page.get_by_role("button", name="favourable view").click()
    ticks = page.locator(".softpower-map-legend .softpower-ticks")
    expect(ticks).to_contain_text("100 %", timeout=TIMEOUT_MS)
    assert ticks.locator("span").all_inner_texts() == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    with page.expect_download(timeout=TIMEOUT_MS) as caught:
        page.get_by_text("Download the map (SVG)").click()
    assert caught.value.suggested_filename.startswith("softpower_map_favourable_baseline_")
    saved = tmp_path / "map.svg"
    caught.value.save_as(saved)
    image = saved.read_text(encoding="utf-8")
    assert image.startswith("<?xml") and image.count("<path") > 150
    assert "100 %" in image and "Favourable view of United States" in image
    page.context.close()


def test_the_wave_of_an_event_shows_on_the_map_with_a_legend_in_words(browser_session):
    """Issue 25 item 3: after an event, the map coloured by each nation's view of its actor
    against the same run without it; the run without it is made off the page's thread."""
    from playwright.sync_api import expect

    page = open_page(browser_session, 1280, 900, query="scenario=soft_power_divide&seed=0")
    for n in (1, 2):
        page.get_by_role("button", name="Step").click()
        expect(page.locator(".softpower-quarter")).to_contain_text(
            f"step {n} of", timeout=TIMEOUT_MS
        )
    page.get_by_role("button", name="wave of an event").click()
    legend = page.locator(".softpower-map-legend")
    expect(legend).to_contain_text("The wave of one event", timeout=TIMEOUT_MS)
    expect(legend).to_contain_text("likes United States less")
    expect(page.locator(".softpower-wave-help")).to_contain_text("without the event")
    picker = page.get_by_role("button", name=re.compile(r"^Event \d{4}-Q\d · "))
    expect(picker).to_be_visible()  # the event picker, on the latest event
    title = page.locator("svg.softpower-map path[data-iso3=MEX] title").text_content()
    assert "against the same run without the event" in title
    picker.click()  # another event: made, then shown
    page.get_by_role("option", name=re.compile(r"· threat: United States → Mexico")).click()
    expect(legend).to_contain_text("threat: United States → Mexico", timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Step").click()  # the chosen event stays through steps
    expect(page.locator(".softpower-quarter")).to_contain_text("step 3 of", timeout=TIMEOUT_MS)
    expect(legend).to_contain_text("threat: United States → Mexico")
    assert page.locator(".softpower-view-error").count() == 0
    assert nameless_buttons(page) == []
    page.context.close()


def test_play_runs_to_the_end_while_waves_are_made_and_changed(browser_session):
    """The run without an event is made in a thread of its own: Play at its fastest goes on to
    the last quarter while the student picks one event after another, with no error."""
    from playwright.sync_api import expect

    page = open_page(browser_session, 1280, 900, query="scenario=soft_power_divide&seed=0")
    page.get_by_role("button", name="Step").click()
    expect(page.locator(".softpower-quarter")).to_contain_text("step 1 of", timeout=TIMEOUT_MS)
    page.get_by_role("button", name="wave of an event").click()
    legend = page.locator(".softpower-map-legend")
    expect(legend).to_contain_text("The wave of one event", timeout=TIMEOUT_MS)
    speed = page.get_by_role("slider").nth(0)
    speed.focus()
    speed.press("Home")
    expect(speed).to_have_attribute("aria-valuenow", "1")
    page.get_by_role("button", name="Play").click()
    picked = 0
    header = page.locator(".softpower-header")
    while "step 40 of 40" not in header.inner_text() and picked < 12:
        page.get_by_role("button", name=re.compile(r"^Event \d{4}-Q\d · ")).click()
        options = page.get_by_role("option")
        options.nth(picked % max(1, min(options.count(), 6))).click()
        picked += 1
        assert page.locator(".softpower-view-error").count() == 0
        assert page.locator(".softpower-wave-error").count() == 0
    expect(header).to_contain_text("step 40 of 40", timeout=3 * TIMEOUT_MS)
    expect(legend).to_contain_text("The wave of one event", timeout=TIMEOUT_MS)
    assert picked >= 2  # events were picked while Play ran
    assert page.locator(".softpower-view-error").count() == 0
    assert page.get_by_text("Traceback").count() == 0
    page.context.close()
