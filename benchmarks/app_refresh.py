"""Benchmark how long one step of the app takes to refresh the page, without a browser.

Renders the whole app headless with ``solara.render`` (as the component tests do), clicks Step
``--steps`` times and prints, per step, the wall and CPU time from the click until every view has
been redrawn (model step, map, score chart, tables and the widget updates Solara sends). It also
times the parts on their own: the model's step, the world map's data and the score chart.

Target (issue 6): a step refreshes the page in well under half a second at 60 nations
(``--world core60``); the default, the app's own, is ``un193`` (196 nations). The
browser adds the websocket round trip and its own drawing: ``benchmarks/screenshot_app.py``
measures that end to end. On a shared machine times vary with its load: the load average is
printed next to them.

Run with ``.venv/bin/python benchmarks/app_refresh.py [--steps N] [--scenario NAME]
[--world un193|core60]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")

import ipyvuetify as v  # noqa: E402
import solara  # noqa: E402

from sim.viz.app import Layout, Page  # noqa: E402
from sim.viz.app_model import AppModel  # noqa: E402
from sim.viz.figures import ScoreChart, map_view  # noqa: E402
from sim.viz.wave import event_wave, fired_events  # noqa: E402
from sim.world.bundled import DEFAULT_WORLD  # noqa: E402

BUDGET = 0.5  # seconds


def timed(action, repeat: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def report(label: str, walls: list[float], cpus: list[float]) -> None:
    ms = [1000 * x for x in walls]
    print(
        f"{label:<34} wall median {statistics.median(ms):6.0f} ms  max {max(ms):6.0f} ms   "
        f"CPU median {1000 * statistics.median(cpus):6.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="steps to time (default 20)")
    parser.add_argument("--scenario", default="us_aid_cuts", help="scenario (default us_aid_cuts)")
    parser.add_argument(
        "--world", default=DEFAULT_WORLD, help=f"bundled world (default {DEFAULT_WORLD}, the app's)"
    )
    args = parser.parse_args()
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} CPUs"
    )

    model = AppModel(args.scenario, world_name=args.world)
    print(f"world {args.world}: {model.n} nations, scenario {args.scenario}")
    report("model step alone", *timed(model.step, args.steps))
    chart = ScoreChart()
    nations = ["USA", "CHN", "DEU", "GBR", "JPN", "IND"]
    report("world map data (colours, edges)", *timed(lambda: map_view(model), args.steps))
    report("score chart (SVG)", *timed(lambda: chart.draw(model, nations), args.steps))
    fired = fired_events(model)
    if fired:  # the wave of the latest event: the run without it, made off the page's thread
        report(
            "wave of an event (its run without it)",
            *timed(lambda: event_wave(model, fired[0][0]), 3),
        )

    box, rc = solara.render(Layout(children=[Page()]), handle_error=False)
    rc.find(v.Select, label="Scenario").widget.v_model = args.scenario
    rc.find(v.Select, label="World").widget.v_model = args.world
    # Reset and Step are drawn twice (the sidebar, and the bar of a narrow window): one Player
    rc.find(v.Btn, children=["Reset"]).widgets[0].click()
    step = rc.find(v.Btn, children=["Step"]).widgets[0]
    walls, cpus = timed(step.click, args.steps)
    report(f"whole page, Step → redrawn (×{args.steps})", walls, cpus)
    rc.close()
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    median = statistics.median(walls)
    print(
        f"page refresh per step: {1000 * median:.0f} ms median = {median / BUDGET:.2f} × the "
        f"{1000 * BUDGET:.0f} ms budget"
    )


if __name__ == "__main__":
    main()
