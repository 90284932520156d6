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
    """Baseline and US aid cuts over a 10-point LHS of two parameters, four quarters (core60:
    un193 made this fixture about 16 s of the fast suite)."""
    folder = tmp_path_factory.mktemp("lhs")
    exp = folder / "experiment.yaml"
    exp.write_text(
        f"""name: tiny-lhs
title: Tiny LHS
scenarios: [{SCENARIOS / "baseline.yaml"}, {SCENARIOS / "us_aid_cuts.yaml"}]
replications: 1
seed: 5
steps: {STEPS}
world: core60
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


@pytest.mark.slow
def test_design_table_has_the_parameters_and_scenario_of_every_run(lhs_batch):
    design = design_table(lhs_batch)
    assert list(design.columns) == ["stubbornness", "credibility_loss", "scenario"]
    assert len(design) == 20 and set(design["scenario"]) == {"baseline", "us_aid_cuts"}


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_pair_not_recorded_is_an_error(lhs_batch):
    with pytest.raises(SoftPowerError, match="not recorded"):
        discover_batch(lhs_batch, "attraction[MEX,BRA] > 0")


@pytest.mark.slow
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
    assert all(s.startswith("cart-") for s in slugs)
    waterfalls = [b for b in drives.blocks if isinstance(b, FigureBlock)]
    assert [b.slug for b in waterfalls] == [
        "attribution-us_aid_cuts-USA",
        "attribution-us_aid_cuts-CHN",
    ]
    assert "exact" in waterfalls[0].caption
    assert report.sections[-1].id == "methods"


@pytest.mark.slow
def test_page_one_answer_is_decided_per_scenario_by_discovery_on_its_runs(lhs_batch):
    from sim.report.answer import answer_paragraphs, answer_questions

    batch = load_batch(lhs_batch)
    scores = run_outcomes(lhs_batch, ["score[USA]"])
    design = design_table(lhs_batch)
    aid = design["scenario"] == "us_aid_cuts"
    median = float(scores.loc[aid, "score[USA]"].median())
    condition = f"score[USA] < {median:.6f}"
    answers = answer_questions(batch, [condition], ("USA", "CHN"))
    by = {a.scenario: a for a in answers}
    a = by["us_aid_cuts"]
    flags = (scores.loc[aid, "score[USA]"] < float(f"{median:.6f}")).to_numpy()
    assert (a.holds, a.runs) == (int(flags.sum()), 10)
    assert a.varies == ("stubbornness", "credibility_loss")
    # discovery ran on this scenario's runs alone: the box restricts parameters, not scenarios
    assert a.discovery is not None and a.discovery.n_runs == 10
    assert "scenario" not in a.discovery.parameters
    d = a.driver
    assert d is not None and d.runs_in + d.runs_out == 10 and d.holds_in + d.holds_out == a.holds
    inside = a.discovery.in_box(design[aid])
    assert (d.runs_in, d.holds_in) == (int(inside.sum()), int(flags[inside].sum()))
    assert "_" not in d.rule and (
        "is at most" in d.rule or "is at least" in d.rule or "between" in d.rule
    )
    text = " ".join(str(p.parts[0]) for p in answer_paragraphs(batch, answers))
    assert f"when {d.rule}" in text
    # the baseline's runs all lie above or below: no discovery, said in words
    base = by["baseline"]
    if base.holds in (0, base.runs):
        assert base.driver is None and "whatever the 2 parameters varied" in base.note


@pytest.mark.slow  # two `softpower discover` processes: about 45 s on a loaded machine
def test_cli_discover_on_one_scenarios_runs(lhs_batch, tmp_path):
    scores = run_outcomes(lhs_batch, ["score[USA]"])
    aid = (design_table(lhs_batch)["scenario"] == "us_aid_cuts").to_numpy()
    median = float(np.median(scores["score[USA]"].to_numpy()[aid]))
    condition = f"score[USA] < {median:.6f}"
    holds = int((scores["score[USA]"].to_numpy()[aid] < float(f"{median:.6f}")).sum())
    out = tmp_path / "boxes.csv"
    done = softpower(
        "discover", lhs_batch, "--condition", condition, "--scenario", "us_aid_cuts",
        "--out", out, "--no-figures",
    )  # fmt: skip
    assert f"{holds} of 10 runs meet" in done.stdout
    assert "scenario" not in done.stdout.split("chosen box", 1)[1]  # one scenario: not a parameter
    assert "runs meet the condition" in done.stdout and "value" not in done.stdout
    bad = softpower(
        "discover", lhs_batch, "--condition", condition, "--scenario", "us_aid_cut",
        "--out", out, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "--scenario: unknown scenario 'us_aid_cut'" in bad.stderr
    assert "did you mean us_aid_cuts?" in bad.stderr
