"""The app end to end in a real browser: ``softpower app`` on 127.0.0.1 and Debian's Chromium
driven by Playwright for Python. Where Chromium is missing the tests fail with the one-line
install instruction (never a skip).

The server and the page are shared by the tests of this module (the server takes seconds to
start); the tests run in file order, like a student's session.
"""

from __future__ import annotations

import re

import pytest

from sim.viz.browser import ChromiumMissing, chromium_path, launch_chromium
from sim.viz.server import AppServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

TIMEOUT_MS = 60_000  # a busy CI machine can take this long to render the first page


def require_chromium() -> None:
    """Fail the calling test with the install instruction when Chromium is not installed."""
    try:
        chromium_path()
        return
    except ChromiumMissing as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)  # outside `except`: one line, no chained traceback


@pytest.fixture(scope="module")
def session():
    """(server, page, outside requests) for the module; None if Chromium is missing."""
    try:
        chromium_path()
    except ChromiumMissing:
        yield None
        return
    from playwright.sync_api import sync_playwright

    with AppServer(timeout=180) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            outside: list[str] = []
            local = re.compile(rf"^(https?|wss?)://{re.escape(server.host)}:{server.port}/|^data:")
            page.on("request", lambda r: None if local.match(r.url) else outside.append(r.url))
            page.goto(server.url, timeout=TIMEOUT_MS)
            yield server, page, outside
        finally:
            browser.close()


def step_counter(page) -> float:
    """Mesa's "Time: N" counter in the sidebar."""
    text = page.get_by_text(re.compile(r"^Time: \d+\.\d+$")).inner_text(timeout=TIMEOUT_MS)
    return float(text.split(":")[1])


def test_page_renders_the_network_and_charts_offline(session):
    require_chromium()
    server, page, outside = session
    from playwright.sync_api import expect

    page.get_by_role("button", name="Step").wait_for(timeout=TIMEOUT_MS)
    network = page.locator("img.softpower-map")
    expect(network).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("img.softpower-scores")).to_be_visible(timeout=TIMEOUT_MS)
    assert network.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert page.locator("map[name=softpower-map] area").count() == 60  # a tooltip per nation
    usa = page.locator("map[name=softpower-map] area[data-iso3=USA]").get_attribute("title")
    assert re.match(r"United States \(USA\): score [\d.]+, rank \d+; lean", usa)
    assert "Top 10" in page.locator(".softpower-top10").inner_text()
    assert outside == []  # no CDN, fonts or telemetry: the app works offline


def test_step_advances_the_counter_and_redraws_the_chart(session):
    require_chromium()
    server, page, outside = session
    from playwright.sync_api import expect

    before = step_counter(page)
    chart = page.locator("img.softpower-scores")
    chart_before = chart.get_attribute("src", timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Step").click()
    expect(page.get_by_text(f"Time: {before + 1:.1f}", exact=True)).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(chart).not_to_have_attribute("src", chart_before, timeout=TIMEOUT_MS)
    expect(page.locator(".softpower-header")).to_contain_text(f"step {before + 1:.0f} of")


def test_selecting_a_scenario_and_reset_loads_it(session, tmp_path):
    require_chromium()
    server, page, outside = session
    from playwright.sync_api import expect

    page.get_by_role("button", name="Scenario").click()
    page.get_by_role("option", name="us_aid_cuts").click()
    page.get_by_role("button", name="Reset").click()
    header = page.locator(".softpower-header")
    expect(header).to_contain_text("US foreign aid cuts", timeout=TIMEOUT_MS)
    expect(header).to_contain_text("step 0 of 40")
    page.get_by_role("button", name="Step").click()
    expect(page.locator(".softpower-events")).to_contain_text("USA", timeout=TIMEOUT_MS)
    shot = tmp_path / "app.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 50_000
    assert outside == []
