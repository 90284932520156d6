"""The report's "How it spread" section (issue 25 item 3): the wave figure and a paragraph per
focus event, in HTML and PDF, every number from `sim.analysis.spread` on the batch's own run.

A small real batch (core60, six quarters, one replication with a member of the parameter
ensemble) of the baseline and a scenario with a threat to Denmark, a US aid cut and an aid edge
is run through ``softpower batch`` and reported through ``softpower report``; the expected
figures are computed in the test by `sim.analysis.spread.spread` with the seed and parameters
read from the batch's ``runs.parquet``.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_report import assert_clean_layout

from sim.analysis.spread import spread
from sim.batch.experiment import seed_sequence
from sim.report.spread_section import focus_events
from sim.scenario.scenario import load_scenario
from sim.world.bundled import bundled_world

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
ENSEMBLE = ROOT / "experiments" / "ensemble" / "responses_ensemble.csv"

SCENARIO = """name: greenland
title: Greenland and aid
start: 2025-Q1
steps: 6
events:
  - at: 2025-Q1
    kind: threat
    actor: USA
    targets: [DNK]
    severity: 1.0
  - at: 2025-Q2
    kind: capacity
    actor: USA
    channel: aid
    scale: 0.43
  - at: 2025-Q1
    kind: edge
    action: remove
    layer: aid
    source: USA
    targets: [ZAF]
"""


def softpower(*args: str | Path) -> subprocess.CompletedProcess:
    """Run the real ``softpower`` command line in a subprocess."""
    cmd = [sys.executable, "-c", "from sim.cli import main; main()", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("spread-report")
    scenario = base / "greenland.yaml"
    scenario.write_text(SCENARIO)
    experiment = base / "experiment.yaml"
    experiment.write_text(
        f"""name: spreadtest
title: Spread in the report
scenarios: [{SCENARIOS / "baseline.yaml"}, {scenario}]
baseline: baseline
replications: 1
seed: 4
world: core60
steps: 6
parameter_ensemble: {ENSEMBLE}
"""
    )
    out = base / "batch"
    softpower("batch", experiment, "--out", out, "--workers", "1", "--no-progress")
    report = base / "report"
    softpower("report", out, "--out", report / "report.html", "--pdf", report / "report.pdf")
    text = re.sub(r"<[^>]+>", " ", (report / "report.html").read_text(encoding="utf-8"))
    return {
        "batch": out,
        "scenario": scenario,
        "html": (report / "report.html").read_text(encoding="utf-8"),
        "text": re.sub(r"\s+", " ", html.unescape(text)),
        "pdf": report / "report.pdf",
    }


def expected_spread(reported: dict):
    """The waves of the scenario's run in the batch, computed here from runs.parquet."""
    runs = pd.read_parquet(reported["batch"] / "runs.parquet")
    run = runs[runs["scenario"] == "greenland"].iloc[0]
    world = bundled_world("core60")
    spec = load_scenario(reported["scenario"], world)
    own = json.loads(run["parameters"])
    assert own, "the run has its ensemble member's parameters"
    spec = dataclasses.replace(spec, parameters={**spec.parameters, **own})
    return spread(spec, world=world, seed=seed_sequence(run["seed"]))


@pytest.mark.slow  # the `reported` batch and report: about 4 minutes on a loaded machine
def test_the_section_has_the_wave_figure_and_a_paragraph_per_focus_event(reported):
    page = reported["html"]
    assert '<section id="how-it-spread">' in page and "How it spread" in page
    figure = re.search(r'<figure id="fig-spread-greenland"><img src="data:image/png;base64,', page)
    assert figure and page.index('<section id="how-it-spread">') < figure.start()
    text = reported["text"]
    section = text[text.index("How it spread") :]
    labels = re.findall(r"(greenland\.yaml:\d+ \w+ [^()]+?) \(2025-Q\d\)", section)
    kinds = [label.split()[1] for label in labels]
    assert sorted(kinds) == ["capacity", "threat"]  # the edge is not followed


@pytest.mark.slow  # the `reported` batch and report
def test_each_paragraph_tells_the_numbers_of_the_batch_run(reported):
    result = expected_spread(reported)
    table = result.table()
    last = table[table["step"] == table["step"].max()]
    carriers = result.carriers(top=3)
    text = reported["text"]
    (threat,) = [ev for ev in result.events if ev.kind == "threat"]
    said = re.search(
        rf"{re.escape(threat.label)} \(2025-Q1\) hit Denmark\. (.*?)(?= greenland\.)", text
    )
    assert said, "no paragraph for the threat to Denmark"
    said = said.group(1)
    rows = last[(last["event"] == threat.label) & (last["hops"] >= 1)]
    assert f"{int(rows['observers'].sum())} nations (" in said
    for row in rows.itertuples():
        words = {1: "one hop away", 2: "two hops away", 3: "three hops away"}[row.hops]
        assert f"{row.observers} {words}" in said
    hit = float(
        last.loc[(last["event"] == threat.label) & (last["hops"] == 0), "mean_change"].iloc[0]
    )
    assert f"{hit:+.3f} among the hit nations".replace("-", "−") in said
    top = carriers[carriers["event"] == threat.label].iloc[0]
    assert f"{top['name']} {top['share']:.0%}" in said


@pytest.mark.slow  # the `reported` batch and report
def test_the_pdf_has_the_section_with_every_word_inside_its_page(reported):
    assert_clean_layout(reported["pdf"], (595, 842))
    done = subprocess.run(
        ["pdftotext", "-layout", str(reported["pdf"]), "-"], capture_output=True, text=True
    )
    assert "How it spread" in done.stdout and "threat USA→DNK" in done.stdout


def test_focus_events_take_one_of_each_kind_in_turn_without_edges_or_repeats(bundled_world):
    spec = load_scenario(SCENARIOS / "america_first.yaml", bundled_world)
    plan = spec.plan(bundled_world)
    chosen = focus_events(spec, plan, ("USA", "CHN"), tuple(bundled_world.iso3), count=8)
    from sim.analysis.spread import event_labels

    labels = event_labels(spec, plan)
    kinds = [labels[i][1] for i in chosen]
    assert len(chosen) == 8 and chosen == sorted(chosen)
    assert "edge" not in kinds
    whats = [labels[i][0].split(" ", 1)[1] for i in chosen]
    assert len(set(whats)) == len(whats)  # no tariff on China twice
    every_kind = {labels[i][1] for i in range(len(plan.events))} - {"edge"}
    assert every_kind <= set(kinds)  # every kind once before any twice
    assert {"threat USA→DNK", "threat USA→CAN"} <= set(whats)
