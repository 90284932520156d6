"""Validation: agreement metrics, target files, baselines and the `softpower validate` command."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.analysis.agreement import _average_ranks, bootstrap_agreement, kendall, spearman
from sim.analysis.baselines import INDICATOR_LABELS, index_baselines
from sim.analysis.targets import ISO3_CODES, MIN_OVERLAP, load_target
from sim.analysis.validation import validate_run
from sim.errors import DataError
from sim.world.world import CAPACITY_INDICATORS

#: Slow as a whole (each test runs the model or the CLI in a subprocess):
#: `make test` runs it, `make test-fast` does not.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
GSPI = ROOT / "sim" / "data" / "targets" / "gspi_2024.csv"
SOFTPOWER = [sys.executable, "-c", "from sim.cli import main; main()"]


def softpower(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SOFTPOWER, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("baseline")
    done = softpower(
        "run",
        "scenarios/baseline.yaml",
        "--out",
        str(out),
        "--steps",
        "4",
        "--quiet",
        "--world",
        "core60",
    )
    assert done.returncode == 0, done.stderr
    return out


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------- metrics


@pytest.mark.parametrize("seed", range(6))
def test_spearman_and_kendall_agree_with_scipy_including_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 40))
    x = rng.integers(0, 6, size=n).astype(float)  # many ties
    y = x + rng.normal(0, 2, size=n).round()
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert kendall(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)


def test_spearman_and_kendall_agree_with_scipy_on_continuous_data():
    rng = np.random.default_rng(42)
    x, y = rng.normal(size=57), rng.normal(size=57)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert kendall(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)


def test_agreement_of_a_constant_predictor_is_undefined():
    assert np.isnan(spearman([1, 1, 1, 1], [1, 2, 3, 4]))
    assert np.isnan(kendall([1, 1, 1, 1], [1, 2, 3, 4]))


def test_average_ranks_equal_scipy_rankdata_row_by_row():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 5, size=(20, 13)).astype(float)
    np.testing.assert_array_equal(_average_ranks(a), stats.rankdata(a, axis=1))


def test_bootstrap_is_seeded_and_paired():
    rng = np.random.default_rng(0)
    observed = rng.normal(size=30)
    good = observed + rng.normal(0, 0.3, size=30)
    noise = rng.normal(size=30)
    predictors = {"model": good, "noise": noise}
    first = bootstrap_agreement(observed, predictors, reps=300, seed=7)
    again = bootstrap_agreement(observed, predictors, reps=300, seed=7)
    other = bootstrap_agreement(observed, predictors, reps=300, seed=8)
    assert first == again
    assert first[0].spearman_ci != other[0].spearman_ci
    model, baseline = first
    assert model.spearman_ci[0] <= model.spearman <= model.spearman_ci[1]
    assert model.model_better is None
    assert baseline.model_better > 0.95  # a good predictor beats noise in nearly every resample


def test_a_perfect_predictor_has_a_degenerate_interval_at_one():
    observed = np.arange(12.0)
    (a,) = bootstrap_agreement(observed, {"model": observed * 3 + 1}, reps=200, seed=0)
    assert a.spearman == pytest.approx(1.0)
    assert a.spearman_ci == pytest.approx((1.0, 1.0))
    assert a.kendall_ci == pytest.approx((1.0, 1.0))


# ---------------------------------------------------------------------- targets


def test_long_format_target_uses_the_score_metric_by_default():
    target = load_target(GSPI)
    assert target.metric == "gspi_score" and target.higher_is_better
    assert target.values["USA"] == 78.8
    assert len(target.values) == 16


def test_rank_metrics_count_one_as_the_best():
    target = load_target(GSPI, metric="gspi_rank")
    assert not target.higher_is_better
    oriented = target.oriented
    assert oriented["USA"] > oriented["GBR"] > oriented["BTN"]


def test_repeated_rows_with_the_same_value_are_accepted_but_conflicts_are_not(tmp_path):
    ok = write(tmp_path / "ok.csv", "iso3,value\nUSA,3\nUSA,3\nCHN,2\n")
    assert load_target(ok).values == {"USA": 3.0, "CHN": 2.0}
    bad = write(tmp_path / "bad.csv", "iso3,value\nUSA,3\nCHN,2\nUSA,4\n")
    with pytest.raises(DataError, match=r"bad\.csv:4: .*USA has two values"):
        load_target(bad)


def test_unknown_iso3_code_is_reported_with_line_and_suggestion(tmp_path):
    path = write(tmp_path / "t.csv", "iso3,value\nUSA,1\nCHNA,2\n")
    with pytest.raises(DataError) as err:
        load_target(path, known=("USA", "CHN"))
    line = err.value.one_line()
    assert "t.csv:3" in line and "unknown ISO3 code 'CHNA'" in line and "did you mean CHN?" in line


def test_iso3_list_is_the_full_iso_3166_set():
    assert len(ISO3_CODES) == 250  # 249 ISO 3166-1 alpha-3 codes + XKX
    assert {"USA", "CHN", "BTN", "TWN", "PSE", "XKX"} <= ISO3_CODES


def test_poll_files_are_recognised(tmp_path):
    path = write(tmp_path / "p.csv", "observer,target,value\nDEU,USA,40\nDEU,CHN,30\n")
    target = load_target(path)
    assert target.kind == "poll"
    assert target.values[("DEU", "USA")] == 40.0


def test_a_file_with_unknown_columns_is_rejected(tmp_path):
    path = write(tmp_path / "x.csv", "country,score\nUSA,1\n")
    with pytest.raises(DataError, match="unrecognised columns"):
        load_target(path)


# ---------------------------------------------------------------------- baselines


def test_indicator_baselines_are_the_model_inputs(bundled_world):
    """Rebuilding each capacity channel from the baseline indicators gives the world's capacity."""
    baselines = index_baselines(bundled_world)
    labels = INDICATOR_LABELS
    for channel in ("culture", "tech", "diplomacy"):
        names = CAPACITY_INDICATORS[channel]
        parts = [np.sqrt(baselines[labels[n]] / baselines[labels[n]].max()) for n in names]
        rebuilt = np.mean(parts, axis=0)
        rebuilt /= rebuilt.max()
        column = ("culture", "tech", "aid", "diplomacy").index(channel)
        np.testing.assert_allclose(rebuilt, bundled_world.capacity[:, column], atol=1e-12)
    np.testing.assert_allclose(
        baselines["equal-weight capacity composite"], bundled_world.capacity.mean(axis=1)
    )


# ---------------------------------------------------------------------- validate


def test_validate_reports_model_and_baselines_for_a_baseline_run(baseline_run):
    done = softpower("validate", "--run", str(baseline_run), "--target", str(GSPI))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "nations compared: 16" in out
    assert "Spearman" in out and "Kendall" in out
    assert "equal-weight capacity composite" in out and "capacity: culture" in out
    assert "universities in ARWU top 500" in out and "GDP" in out
    assert "largest rank misses" in out
    misses = out.split("largest rank misses")[1].strip().splitlines()[2:]
    assert len(misses) == 10


def test_validate_json_matches_scipy_on_the_run_files(baseline_run):
    report = validate_run(baseline_run, GSPI, step=2, reps=200)
    data = json.loads(report.to_json())
    with (baseline_run / "soft_power.csv").open() as fh:
        scores = {r["iso3"]: float(r["score"]) for r in csv.DictReader(fh) if r["step"] == "2"}
    target = load_target(GSPI)
    codes = [c for c in target.values if c in scores]
    expected = stats.spearmanr([scores[c] for c in codes], [target.values[c] for c in codes])
    assert data["n"] == len(codes) == 16
    assert data["model"]["spearman"] == pytest.approx(expected.statistic, abs=1e-6)
    assert data["subject"].startswith("soft power score at step 2")
    assert {b["name"] for b in data["baselines"]} >= {"GDP", "capacity: tech"}
    assert all(0.0 <= b["model_better"] <= 1.0 for b in data["baselines"])


def test_validate_compares_polls_as_the_lean_between_two_actors(baseline_run, tmp_path):
    """A poll that is a monotone function of the model's own lean agrees perfectly."""
    with (baseline_run / "perception.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["step"] == "4" and r["target"] in ("USA", "CHN")]
    lines = ["observer,target,value"]
    for r in rows:
        lines.append(f"{r['observer']},{r['target']},{50 + 40 * float(r['value']):.12f}")
    poll = write(tmp_path / "poll.csv", "\n".join(lines) + "\n")
    report = validate_run(baseline_run, poll, reps=200)
    assert report.poles == ("USA", "CHN")
    assert report.model.spearman == pytest.approx(1.0)
    assert len(report.compared) == 58  # every observer but the two poles
    swapped = validate_run(baseline_run, poll, poles=["CHN", "USA"], reps=200)
    assert swapped.model.spearman == pytest.approx(1.0)
    assert "structural anchor p0 (no dynamics)" in {a.name for a in report.agreements}


def test_validate_rejects_unknown_iso3_codes_with_one_line_and_exit_2(baseline_run, tmp_path):
    target = write(tmp_path / "bad.csv", "iso3,value\nUSA,10\nZZX,9\n")
    done = softpower("validate", "--run", str(baseline_run), "--target", str(target))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown ISO3 code 'ZZX'" in lines[0] and "bad.csv:3" in lines[0]


def test_validate_rejects_too_few_overlapping_nations_with_one_line_and_exit_2(
    baseline_run, tmp_path
):
    rows = ["USA,9", "CHN,8", "DEU,7", "JPN,6", "GBR,5", "FRA,4", "EST,3", "LVA,2", "MLT,1"]
    target = write(tmp_path / "few.csv", "iso3,value\n" + "\n".join(rows) + "\n")
    done = softpower("validate", "--run", str(baseline_run), "--target", str(target))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "only 6 nations" in lines[0] and f"at least {MIN_OVERLAP}" in lines[0]


def test_validate_rejects_a_missing_run_directory_with_one_line_and_exit_2(tmp_path):
    done = softpower("validate", "--run", str(tmp_path / "nope"), "--target", str(GSPI))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "run directory not found" in lines[0]


def test_validate_names_the_recorded_steps_when_the_step_is_absent(baseline_run):
    with pytest.raises(DataError, match=r"step 9 is not in the run.*from 0 to 4"):
        validate_run(baseline_run, GSPI, step=9)


def test_a_directory_without_run_files_is_rejected(tmp_path):
    with pytest.raises(DataError, match="no soft_power.csv"):
        validate_run(tmp_path, GSPI)


@pytest.fixture(scope="module")
def world_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("un193")
    done = softpower(
        "run", "scenarios/baseline.yaml", "--out", str(out), "--steps", "2", "--quiet",
        "--world", "core60",
        "--world", "un193",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def test_validation_compares_every_nation_the_target_ranks_in_the_runs_world(world_run):
    from sim.cli.run import RUN_TARGETS
    from sim.world.bundled import bundled_world

    manifest = json.loads((world_run / "manifest.json").read_text())
    assert manifest["world"] == "un193"
    # un193 records the default targets only: 196 observers x 12 targets, not all pairs
    assert manifest["perception_targets"] == list(RUN_TARGETS["un193"])
    with (world_run / "polls.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {r["target"] for r in rows} == set(RUN_TARGETS["un193"])
    world = bundled_world("un193")
    target = load_target(GSPI, metric="gspi_rank", known=world.iso3)
    report = validate_run(world_run, GSPI, metric="gspi_rank", reps=100)
    assert set(report.compared) == set(target.values) and not report.not_modelled
    assert len(report.compared) > 30  # core60 compares only the ranked nations it has
