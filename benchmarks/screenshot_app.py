"""Take the README's screenshot of the app and time a step in a real browser.

Starts ``softpower app`` on a free port of 127.0.0.1 (as the browser test does), opens it in
Debian's Chromium through Playwright, loads ``us_aid_cuts``, presses Step ``--steps`` times and
prints, for each press, the time until the browser shows the new step (the controller's
"Quarter 2025-Q3 · step N of 40" line)
and the redrawn network map. Then it colours the map by the change of lean since the start and
saves a screenshot (default ``docs/img/app.png``).

Target (issue 6): a step refreshes the page in well under half a second at 60 nations. The page
opens on the app's world, un193 (196 nations), unless ``--query`` names another
(``world=core60``). On a shared machine times vary with its load: the load average is printed
next to them.

Run with ``.venv/bin/python benchmarks/screenshot_app.py [--out PATH] [--steps N]``; the
classroom guide's pictures (docs/app.md) with ``--query`` (a shared address's setup, such as
``scenario=soft_power_divide&event_persistence=0``), ``--inspect``, ``--colour`` and, for the
wave of an event, ``--event``.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

from sim.viz.browser import ChromiumMissing, chromium_path, launch_chromium
from sim.viz.server import AppServer

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_MS = 120_000

# Notes the time of every click as the page receives it (Playwright's own checks before it
# clicks take tens of milliseconds a student's click does not).
CLICKS = "document.addEventListener('click', () => { window.clickedAt = performance.now(); }, true)"

# Once the page shows the step counter ``arg[0]`` and a map other than ``arg[1]``: the
# milliseconds since the click, else false. Checked at every animation frame.
# The map's colours and tooltips (the colours alone may not change in a quiet quarter).
FILLS = """() => Array.from(document.querySelectorAll("svg.softpower-map path[data-iso3]"))
    .map((p) => p.getAttribute("fill") + p.textContent).join()"""
REDRAWN = """([counter, before]) => {
    const fills = Array.from(document.querySelectorAll("svg.softpower-map path[data-iso3]"))
        .map((p) => p.getAttribute("fill") + p.textContent).join();
    const done = document.body.innerText.includes(counter) && fills !== before;
    return done ? performance.now() - window.clickedAt : false;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img" / "app.png")
    parser.add_argument("--steps", type=int, default=12, help="steps before the screenshot")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1450)
    parser.add_argument(
        "--colour",
        choices=["lean now", "change since start", "favourable view", "wave of an event"],
        default="change since start",
        help="what the map's colour shows in the screenshot",
    )
    parser.add_argument(
        "--query",
        default=None,
        help="a shared address's setup (scenario=...&seed=...&<parameter>=...) instead of the "
        "aid cuts chosen in the picker",
    )
    parser.add_argument("--inspect", default="KEN", help="the nation shown in the inspector")
    parser.add_argument(
        "--event",
        default=None,
        help="with --colour 'wave of an event': the event to show, part of its label in the "
        "picker (such as 'threat: United States → Mexico'); default the latest",
    )
    args = parser.parse_args()
    try:
        chromium_path()
    except ChromiumMissing as exc:
        sys.exit(str(exc))
    from playwright.sync_api import expect, sync_playwright

    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with AppServer(timeout=180) as server, sync_playwright() as playwright:
        print(f"server answered after {server.seconds_to_answer:.1f} s")
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.add_init_script(CLICKS)
        began = time.perf_counter()
        page.goto(server.url + (f"?{args.query}" if args.query else ""), timeout=TIMEOUT_MS)
        expect(page.locator("svg.softpower-map")).to_be_visible(timeout=TIMEOUT_MS)
        print(f"page with map shown {time.perf_counter() - began:.1f} s after opening it")
        if not args.query:
            page.get_by_role("button", name="Scenario").click()
            page.get_by_role("option", name="US foreign aid cuts, 2025").click()
            page.get_by_role("button", name="Reset").click()
            expect(page.locator(".softpower-header")).to_contain_text("US foreign aid cuts")
        times = []
        button = page.get_by_role("button", name="Step")
        for step in range(1, args.steps + 1):
            before = page.evaluate(FILLS)
            button.click()
            done = page.wait_for_function(
                REDRAWN, arg=[f"· step {step} of", before], polling="raf", timeout=TIMEOUT_MS
            )
            times.append(done.json_value())
        ms = sorted(times)
        print(
            f"click on Step → new counter and map on screen: median {statistics.median(ms):.0f} "
            f"ms, min {ms[0]:.0f} ms, max {ms[-1]:.0f} ms over {len(ms)} steps (budget 500 ms)"
        )
        page.get_by_role("button", name=args.colour).click()
        legend = {
            "lean now": "Lean now",
            "change since start": "Change since the start",
            "wave of an event": "The wave of one event",
        }
        expect(page.locator(".softpower-map-legend")).to_contain_text(
            legend.get(args.colour, "favourable"), timeout=TIMEOUT_MS
        )
        if args.event:
            page.get_by_role("button", name=re.compile(r"^Event \d{4}-Q\d · ")).click()
            page.get_by_role("option", name=re.compile(re.escape(args.event))).first.click()
            expect(page.locator(".softpower-map-legend")).to_contain_text(
                args.event, timeout=TIMEOUT_MS
            )
        page.locator(f"svg.softpower-map path[data-iso3={args.inspect}]").click()  # the inspector
        expect(page.locator(".softpower-inspector")).to_contain_text(f"({args.inspect})")
        page.mouse.move(0, 0)
        page.evaluate("document.activeElement && document.activeElement.blur()")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shot = Image.open(io.BytesIO(page.screenshot()))
        browser.close()
    # 256 colours look the same here and make the committed file about a third of the size
    shot.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(args.out, optimize=True)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
