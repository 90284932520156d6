"""Time a class of students playing the app at once, against one student alone.

Starts ``softpower app`` (``--servers K``) on free ports of 127.0.0.1, opens one page in a
headless Chromium (a browser context of its own, as a student's browser) and times ▶ from the
first press to "step 40 of 40"; then opens ``--students`` pages, presses ▶ on all of them and
times each until it reaches the last quarter. Prints the fastest and the slowest student, their
ratio to the student alone, the app servers' CPU time per step (one server: its own process;
several: the sum of the server processes behind the front door) and the load average.

Issue 24 (finding 14) measured the slowest of eight students at 43 s against 17 s alone, on
core60, with one server. The browsers run on this machine too (in a classroom they run on the
students' machines): on a machine with few cores they take CPU from the servers, so the times
here are an upper bound of a class's; the servers' CPU per step is what a class costs the
teacher's machine. Times vary with the machine's load, printed next to them.

Run with ``.venv/bin/python benchmarks/class_app.py [--students 8] [--servers K]
[--world core60|un193] [--scenario NAME]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from sim.viz.browser import ChromiumMissing, chromium_path, launch_chromium
from sim.viz.server import AppServer
from sim.world.bundled import DEFAULT_WORLD

TIMEOUT_MS = 300_000


def _cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of these processes so far, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _server_pids(server: AppServer, servers: int) -> list[int]:
    """The app server processes: the process `AppServer` started (``softpower app`` execs the
    server) or, with ``--servers`` above 1, the front door's children (the servers)."""
    assert server.process is not None
    root = server.process.pid
    out = subprocess.run(["pgrep", "-P", str(root)], capture_output=True, text=True).stdout
    children = [int(p) for p in out.split()]
    return children if servers > 1 else [root, *children]


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _play(pages, started: float) -> list[float]:
    from playwright.sync_api import expect

    for page in pages:
        page.get_by_role("button", name="Play").first.click()
    done = []
    for page in pages:
        last = page.locator(".softpower-quarter").first
        expect(last).to_contain_text("step 40 of 40", timeout=TIMEOUT_MS)
        done.append(time.perf_counter() - started)
    return done


def _open(browser, url: str, n: int) -> list:
    pages = []
    for _ in range(n):
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(url, timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Step").first.wait_for(timeout=TIMEOUT_MS)
        pages.append(page)
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8, help="pages at once (default 8)")
    parser.add_argument("--servers", type=int, default=1, help="softpower app --servers")
    parser.add_argument("--world", default=DEFAULT_WORLD, help=f"default {DEFAULT_WORLD}")
    parser.add_argument("--scenario", default="us_aid_cuts", help="default us_aid_cuts")
    args = parser.parse_args()
    try:
        chromium_path()
    except ChromiumMissing as exc:
        sys.exit(str(exc))
    from playwright.sync_api import sync_playwright

    query = f"?scenario={args.scenario}&world={args.world}"
    print(f"load average before: {_load()} on {os.cpu_count()} CPUs")
    with (
        AppServer(timeout=180, servers=args.servers) as server,
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(playwright)
        (alone,) = _open(browser, server.url + query, 1)
        pids = _server_pids(server, args.servers)
        cpu = _cpu_seconds(pids)
        (one,) = _play([alone], time.perf_counter())
        alone_cpu = _cpu_seconds(pids) - cpu
        alone.context.close()
        pages = _open(browser, server.url + query, args.students)
        cpu = _cpu_seconds(pids)
        times = _play(pages, time.perf_counter())
        class_cpu = _cpu_seconds(pids) - cpu
        browser.close()
    steps = 40 * args.students
    print(
        f"world {args.world}, {args.scenario}, --servers {args.servers}: one student alone "
        f"{one:.1f} s ({1000 * alone_cpu / 40:.0f} ms of server CPU a step)"
    )
    print(
        f"{args.students} students at once: fastest {min(times):.1f} s, slowest {max(times):.1f} "
        f"s = {max(times) / one:.1f} × alone ({1000 * class_cpu / steps:.0f} ms of server CPU "
        f"a step, {class_cpu:.1f} s in all)"
    )
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
