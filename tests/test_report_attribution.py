"""The report's attribution reconciles with its summary: the waterfall's total is the summary's
mean change over the same runs (each run's seed and parameters), or a seeded subset's, said so.

One small real batch (core60, four quarters, two design points of a Latin hypercube × two
replications with the parameter ensemble, so every run has its own parameters) is run through
the real ``softpower batch`` and ``softpower summarize``; the expected figures are read from its
``summary/differences.parquet`` and per-run tables, never typed in.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.batch_attribution import (
    attribute_batch,
    batch_plan,
    paired_runs,
    run_settings,
)
from sim.scenario.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
ENSEMBLE = ROOT / "experiments" / "ensemble" / "responses_ensemble.csv"


def softpower(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real ``softpower`` command line in a subprocess."""
    cmd = [sys.executable, "-c", "from sim.cli import main; main()", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
    if check and done.returncode != 0:
        raise AssertionError(f"{cmd} failed ({done.returncode}):\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    """Baseline, the aid cuts and a variant of them with a parameter override of its own:
    2 LHS points × 2 replications each, four quarters, core60; summarised.
    """
    base = tmp_path_factory.mktemp("attr-batch")
    text = (SCENARIOS / "us_aid_cuts.yaml").read_text()
    variant = base / "aid_cuts_stubborn.yaml"
    variant.write_text(
        text.replace("name: us_aid_cuts", "name: aid_cuts_stubborn")
        .replace("title: US foreign aid cuts, 2025", "title: Aid cuts among stubborn publics")
        .replace("parameters: {}", "parameters: {stubbornness: 0.2, event_persistence: 0.9}")
    )
    experiment = base / "experiment.yaml"
    experiment.write_text(
        f"""name: attr
title: Attribution over a batch
scenarios: [{SCENARIOS / "baseline.yaml"}, {SCENARIOS / "us_aid_cuts.yaml"}, {variant}]
baseline: baseline
replications: 2
seed: 7
world: core60
steps: 4
parameter_ensemble: {ENSEMBLE}
design:
  method: lhs
  samples: 2
  parameters:
    event_persistence: [0.0, 1.0]
"""
    )
    out = base / "batch"
    softpower("batch", experiment, "--out", out, "--workers", "1", "--no-progress")
    softpower("summarize", out)
    return out


def summary_change(root: Path, scenario: str, nation: str) -> float:
    """Page one's figure: the summary's mean paired change at the last step."""
    frame = pd.read_parquet(root / "summary" / "differences.parquet")
    frame = frame[(frame["scenario"].astype(str) == scenario) & (frame["iso3"] == nation)]
    return float(frame.loc[frame["step"].idxmax(), "mean_diff"])


def stored_changes(root: Path, runs: pd.DataFrame, nation: str) -> np.ndarray:
    """Per paired run, scenario minus baseline score at the last step, from the run tables."""
    scores = pd.concat(
        pd.read_parquet(p, columns=["run_id", "step", "iso3", "score"])
        for p in (root / "soft_power").rglob("*.parquet")
    )
    scores = scores[(scores["iso3"] == nation) & (scores["step"] == scores["step"].max())]
    by_run = scores.set_index("run_id")["score"]
    return by_run.loc[runs["run_id"]].to_numpy() - by_run.loc[runs["baseline_run"]].to_numpy()


@pytest.mark.slow  # the `batch` fixture: about 40 s
@pytest.mark.parametrize("scenario", ["us_aid_cuts", "aid_cuts_stubborn"])
def test_the_total_over_every_paired_run_is_the_summarys_mean_change(batch, scenario):
    found = attribute_batch(batch, scenario, targets=("USA", "CHN"), budget=None)
    runs = paired_runs(batch, scenario, "baseline")
    assert len(found.runs) == found.paired == len(runs) == 4 and not found.subset
    # every run has its own parameters (design point and ensemble member)
    assert len({tuple(sorted(s.parameters.items())) for s in run_settings(runs)}) == 4
    for nation in ("USA", "CHN"):
        expected = summary_change(batch, scenario, nation)
        assert found.attributed(nation) == pytest.approx(expected, abs=1e-9)
        assert found.result.effect(nation).sum() == pytest.approx(expected, abs=1e-9)
        assert found.summary_change[nation] == pytest.approx(expected, abs=1e-12)
    if scenario == "aid_cuts_stubborn":
        # the scenario's own override is a component; the design's event_persistence is not
        assert "parameter overrides" in found.result.components
        assert any("stubbornness=0.2" in note for note in found.result.notes)
        assert not any("event_persistence" in note for note in found.result.notes)


@pytest.mark.slow  # the `batch` fixture
def test_a_seeded_subset_is_the_mean_of_its_own_runs_and_says_the_gap(batch):
    found = attribute_batch(batch, "us_aid_cuts", targets=("USA",), count=2)
    again = attribute_batch(batch, "us_aid_cuts", targets=("USA",), count=2)
    assert found.runs == again.runs and len(found.runs) == 2 and found.subset
    runs = paired_runs(batch, "us_aid_cuts", "baseline")
    chosen = runs[runs["run_id"].isin(found.runs)]
    subset = float(stored_changes(batch, chosen, "USA").mean())
    whole = summary_change(batch, "us_aid_cuts", "USA")
    assert found.attributed("USA") == pytest.approx(subset, abs=1e-9)
    assert found.batch_change["USA"] == pytest.approx(subset, abs=1e-12)
    said = found.explanation("USA")
    assert "over 2 of the batch's 4 paired runs" in said
    assert f"{whole:+.2f}" in said and f"{subset:+.2f}" in said
    assert f"a gap of {subset - whole:+.2f}" in said


def test_the_budget_chooses_the_grouping_that_covers_the_most_runs(bundled_world):
    spec = load_scenario(SCENARIOS / "us_aid_cuts.yaml", bundled_world)
    plan = spec.plan(bundled_world)
    events = len(plan.events)  # each event active at the last step
    every = batch_plan(spec, plan, plan.steps, 14, budget=None)
    assert (every.by, every.runs, every.per_run) == ("event", 14, 2**events)
    tight = batch_plan(spec, plan, plan.steps, 14, budget=5 * 2**events + 3)
    assert tight.runs == 5 and tight.cost <= 5 * 2**events + 3
    assert batch_plan(spec, plan, plan.steps, 14, count=3).runs == 3
    # asked for, one component (the file) costs two runs per run averaged over
    grouped = batch_plan(spec, plan, plan.steps, 14, by="file", budget=None)
    assert grouped.per_run == 2 and grouped.runs == 14


@pytest.mark.slow
def test_cli_attribute_batch_reconciles_every_scenario(batch, tmp_path):
    out = tmp_path / "att"
    done = softpower("attribute", "--batch", batch, "--out", out, "--runs", "all", "--workers", 1)
    table = pd.read_csv(out / "reconciliation.csv")
    assert set(table["scenario"]) == {"us_aid_cuts", "aid_cuts_stubborn"}
    for row in table.itertuples():
        expected = summary_change(batch, row.scenario, row.nation)
        assert row.attributed == pytest.approx(expected, abs=1e-9)
        assert row.summary == pytest.approx(expected, abs=1e-9) and row.runs == row.paired == 4
        effects = pd.read_csv(out / row.scenario / "attribution.csv", keep_default_na=False)
        mine = effects[(effects["nation"] == row.nation) & (effects["metric"] == "score")]
        assert mine["effect"].sum() == pytest.approx(expected, abs=1e-9)
        assert (out / row.scenario / f"waterfall_{row.nation}.png").is_file()
        assert f"{row.nation} score {expected:+.2f}: " in done.stdout
    bad = softpower("attribute", "--batch", batch, "--out", out, "--seed", 3, check=False)
    assert bad.returncode == 2 and "--seed" in bad.stderr and bad.stderr.count("\n") == 1


@pytest.mark.slow
def test_report_waterfall_total_equals_page_ones_change(batch, tmp_path):
    out = tmp_path / "report.html"
    softpower("report", batch, "--out", out)
    text = re.sub(r"<[^>]+>", " ", out.read_text(encoding="utf-8"))
    text = re.sub(r"\s+", " ", html.unescape(text))
    titles = {
        "us_aid_cuts": "US foreign aid cuts, 2025",
        "aid_cuts_stubborn": "Aid cuts among stubborn publics",
    }
    for scenario, title in titles.items():
        for nation in ("USA", "CHN"):
            expected = summary_change(batch, scenario, nation)
            caption = re.search(
                rf"What moves {nation}'s score under {re.escape(title)}\. (.*?)Reproduce:", text
            )
            assert caption, f"no waterfall caption for {nation} under {scenario}"
            said = caption.group(1)
            assert said.startswith(f"{nation}'s score change of {expected:+.2f} points")
            assert f"Its total, {expected:+.2f}, is the mean over all 4 paired runs" in said
            assert f"the summary's change ({expected:+.2f})" in said
