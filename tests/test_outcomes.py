"""A batch as one row per run (design and outcomes): `softpower discover`, EMA interoperability,
and the report's analysis sections.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.outcomes import (
    available_metrics,
    batch_to_ema,
    design_table,
    discover_batch,
    run_outcomes,
)
from sim.batch.experiment import load_experiment
from sim.batch.runner import run_batch
from sim.batch.store import read_table
from sim.errors import SoftPowerError
from sim.report.batch import load_batch
from sim.report.document import FigureBlock
from sim.report.report import build_report

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
STEPS = 4


def softpower(*args, check=True):
    cmd = [sys.executable, "-c", "from sim.cli import main; main()", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def lhs_batch(tmp_path_factory) -> Path:
    """Baseline and US aid cuts over a 10-point LHS of two parameters, four quarters."""
    folder = tmp_path_factory.mktemp("lhs")
    exp = folder / "experiment.yaml"
    exp.write_text(
        f"""name: tiny-lhs
title: Tiny LHS
scenarios: [{SCENARIOS / "baseline.yaml"}, {SCENARIOS / "us_aid_cuts.yaml"}]
replications: 1
seed: 5
steps: {STEPS}
design:
  method: lhs
  samples: 10
  parameters: {{stubbornness: [0.02, 0.3], credibility_loss: [0.3, 0.9]}}
record: {{every: 2, perception_targets: [USA, CHN]}}
"""
    )
    out = folder / "batch"
    run_batch(load_experiment(exp), out, workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def median_condition(lhs_batch) -> str:
    scores = run_outcomes(lhs_batch, ["score[USA]"])
    return f"score[USA] < {float(scores['score[USA]'].median()):.6f}"


def test_design_table_has_the_parameters_and_scenario_of_every_run(lhs_batch):
    design = design_table(lhs_batch)
    assert list(design.columns) == ["stubbornness", "credibility_loss", "scenario"]
    assert len(design) == 20 and set(design["scenario"]) == {"baseline", "us_aid_cuts"}


def test_outcomes_are_the_tables_values_at_the_step(lhs_batch):
    outcomes = run_outcomes(lhs_batch, ["score[CHN]", "rank[USA]", "attraction[MEX,USA]"])
    assert outcomes.shape == (20, 3)
    table = read_table(lhs_batch, "perception")
    row = table[(table["step"] == STEPS) & (table["observer"] == "MEX")]
    row = row[row["target"] == "USA"].set_index("run_id")["value"]
    assert np.allclose(outcomes["attraction[MEX,USA]"], row.reindex(outcomes.index))
    assert {"score", "rank", "attraction"} <= set(available_metrics(lhs_batch))


@pytest.mark.slow
def test_discover_finds_boxes_with_coverage_and_density(lhs_batch, median_condition):
    found = discover_batch(lhs_batch, median_condition)
    boxes = found.discovery.boxes
    assert {"box", "coverage", "density", "chosen"} <= set(boxes.columns)
    assert boxes["chosen"].sum() == 1 and found.flags.sum() == 10


@pytest.mark.slow
def test_cli_discover_writes_boxes_and_figures(lhs_batch, median_condition, tmp_path):
    out = tmp_path / "boxes.csv"
    done = softpower("discover", lhs_batch, "--condition", median_condition, "--out", out)
    boxes = pd.read_csv(out)
    assert {"box", "coverage", "density", "mass", "chosen"} <= set(boxes.columns)
    assert boxes["chosen"].sum() == 1
    assert ((boxes["coverage"] >= 0) & (boxes["coverage"] <= 1)).all()
    assert "10 of 20 runs meet" in done.stdout and "chosen box" in done.stdout
    for name in ("boxes_tradeoff", "boxes_tree"):
        assert (tmp_path / f"{name}.png").stat().st_size > 5_000
        assert (tmp_path / f"{name}.svg").is_file()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("condition", "hint"),
    [
        ("scor[CHN] > score[USA]", "did you mean score?"),
        ("score[CHN] > score[USX]", "did you mean USA?"),
        ("score[CHN] = score[USA]", "did you mean ==?"),
        ("score[CHN] +", "found the end of the condition"),
    ],
)
def test_cli_bad_condition_is_one_line_and_exit_2(lhs_batch, tmp_path, condition, hint):
    done = softpower(
        "discover", lhs_batch, "--condition", condition, "--out", tmp_path / "b.csv", check=False
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and hint in done.stderr
    assert done.stderr.startswith("softpower: error:")


def test_a_pair_not_recorded_is_an_error(lhs_batch):
    with pytest.raises(SoftPowerError, match="not recorded"):
        discover_batch(lhs_batch, "attraction[MEX,BRA] > 0")


def test_batch_loads_into_ema_workbench_results(lhs_batch):
    experiments, outcomes = batch_to_ema(lhs_batch, ["score[CHN]", "score[USA]"])
    assert len(experiments) == 20 and str(experiments["scenario"].dtype) == "category"
    assert outcomes["score[CHN]"].shape == (20,)
    from ema_workbench.analysis import feature_scoring

    scores = feature_scoring.get_feature_scores_all(experiments, outcomes)
    # EMA treats a column named scenario as its own run label and leaves it out of the scores.
    assert set(scores.index) == {"stubbornness", "credibility_loss"}
    renamed = experiments.rename(columns={"scenario": "scenario_file"})
    scores = feature_scoring.get_feature_scores_all(renamed, outcomes)
    assert "scenario_file" in scores.index


@pytest.mark.slow
def test_report_of_a_design_batch_has_both_analysis_sections(lhs_batch):
    report = build_report(load_batch(lhs_batch), focus=["USA", "CHN"])
    flips, drives = report.section("what-flips"), report.section("what-drives")
    assert flips is not None and drives is not None
    slugs = {b.slug for b in flips.blocks if isinstance(b, FigureBlock)}
    assert slugs == {"prim-tradeoff", "cart-tree"} or "Nothing to discover" in str(flips.blocks)
    waterfalls = [b for b in drives.blocks if isinstance(b, FigureBlock)]
    assert [b.slug for b in waterfalls] == [
        "attribution-us_aid_cuts-USA",
        "attribution-us_aid_cuts-CHN",
    ]
    assert "exact" in waterfalls[0].caption
    assert report.sections[-1].id == "methods"
