"""Calibration: recovery of known parameters, cross-validation, parameter files and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.analysis.agreement import spearman
from sim.analysis.calibration import calibrate, de_settings, model_scores, write_parameter_file
from sim.analysis.targets import Target
from sim.errors import ParameterError, SoftPowerError
from sim.parameter_file import load_parameter_file
from sim.params import Parameters
from sim.world.world import World

ROOT = Path(__file__).resolve().parent.parent
GSPI = ROOT / "sim" / "data" / "targets" / "gspi_2024.csv"
SOFTPOWER = [sys.executable, "-c", "from sim.cli import main; main()"]


def softpower(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SOFTPOWER, *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def synthetic_target(world: World, values: dict, *, base: Parameters | None = None) -> Target:
    """The model's own step-0 scores under ``values``, as an index target."""
    scores = model_scores(Parameters.from_mapping(values, base=base), world)
    return Target("synthetic", "index", "score", True, dict(zip(world.iso3, scores, strict=True)))


@pytest.fixture(scope="module")
def small_world() -> World:
    return World.synthetic(16, np.random.default_rng(3))


@pytest.mark.parametrize("budget", [5, 12, 60, 200, 1000])
@pytest.mark.parametrize("dimensions", [1, 2, 4, 7])
def test_differential_evolution_settings_stay_within_the_budget(budget, dimensions):
    popsize, maxiter = de_settings(budget, dimensions)
    members = popsize * dimensions
    assert members >= 5 and maxiter >= 1
    if budget >= 2 * members:
        assert members * (maxiter + 1) <= budget


@pytest.mark.slow
def test_calibrate_recovers_known_parameters_from_a_target_the_model_made(bundled_world):
    """Tolerance: ±0.1 for score_weight_reputation and ±0.15 for exposure_global_reach (the two
    trade off along a ridge of near-equal rank agreement), with a budget of 60 evaluations.

    stubbornness is not used here: rank agreement hardly depends on it (ranks are flat over
    most of its range at step 0), so no rank-based calibration can recover it.
    """
    truth = {"score_weight_reputation": 1.2, "exposure_global_reach": 0.7}
    target = synthetic_target(bundled_world, truth)
    result = calibrate(target, list(truth), world=bundled_world, budget=60, folds=0, seed=1)
    assert result.fit.values["score_weight_reputation"] == pytest.approx(1.2, abs=0.1)
    assert result.fit.values["exposure_global_reach"] == pytest.approx(0.7, abs=0.15)
    assert result.fit.spearman > 0.98
    assert result.default_spearman < result.fit.spearman
    assert result.fit.evaluations <= 60


def test_calibration_result_does_not_depend_on_the_number_of_workers(small_world):
    target = synthetic_target(small_world, {"score_weight_reputation": 0.3})
    names = ["score_weight_reputation", "exposure_global_reach"]
    serial = calibrate(target, names, world=small_world, budget=20, folds=0, seed=5)
    parallel = calibrate(target, names, world=small_world, budget=20, folds=0, seed=5, workers=2)
    assert serial.fit == parallel.fit


def test_cross_validation_holds_out_every_nation_exactly_once(small_world):
    target = synthetic_target(small_world, {"score_weight_reputation": 0.8})
    result = calibrate(
        target, ["score_weight_reputation"], world=small_world, budget=10, folds=4, seed=2
    )
    held = [c for fold in result.folds for c in fold.held_out]
    assert len(result.folds) == 4
    assert sorted(held) == sorted(small_world.iso3)
    assert all(len(f.held_out) >= 3 for f in result.folds)
    mean, sd = result.out_of_sample
    assert -1.0 <= mean <= 1.0 and sd >= 0.0
    assert -1.0 <= result.pooled_out_of_sample <= 1.0
    baseline = result.best_baseline
    assert set(result.folds[0].baseline_spearman) == set(result.baselines)
    assert result.baselines[baseline] == max(result.baselines.values())


def test_held_out_figures_are_computed_on_held_out_nations_only(small_world):
    target = synthetic_target(small_world, {"score_weight_reputation": 0.2})
    result = calibrate(
        target, ["score_weight_reputation"], world=small_world, budget=10, folds=4, seed=2
    )
    scores = model_scores(Parameters.from_mapping(result.folds[1].fit.values), small_world)
    held = [small_world.iso3.index(c) for c in result.folds[1].held_out]
    observed = [target.values[c] for c in result.folds[1].held_out]
    assert result.folds[1].spearman == pytest.approx(spearman(scores[held], observed))


def test_calibration_rejects_unknown_parameters_polls_and_too_many_folds(small_world):
    target = synthetic_target(small_world, {})
    with pytest.raises(ParameterError, match="did you mean score_weight_reputation"):
        calibrate(target, ["score_weight_reputaton"], world=small_world, budget=5, folds=0)
    poll = Target("p.csv", "poll", "value", True, {("N001", "N000"): 1.0})
    with pytest.raises(SoftPowerError, match="index target"):
        calibrate(poll, ["score_weight_reputation"], world=small_world, budget=5, folds=0)
    with pytest.raises(SoftPowerError, match="at most 5 folds"):
        calibrate(target, ["score_weight_reputation"], world=small_world, budget=5, folds=6)


def test_parameter_file_round_trips_through_load_parameter_file(small_world, tmp_path):
    target = synthetic_target(small_world, {"score_weight_reputation": 0.6})
    result = calibrate(
        target, ["score_weight_reputation"], world=small_world, budget=10, folds=0, seed=0
    )
    path = write_parameter_file(result, tmp_path / "calibrated.yaml")
    loaded = load_parameter_file(path)
    assert loaded.score_weight_reputation == result.fit.values["score_weight_reputation"]
    assert loaded.stubbornness == Parameters().stubbornness
    record = yaml.safe_load(path.read_text())["calibration"]
    assert record["spearman_in_sample"] == pytest.approx(result.fit.spearman, abs=1e-4)
    assert record["other_parameters"]["stubbornness"] == Parameters().stubbornness


@pytest.mark.slow
def test_calibrate_runs_end_to_end_through_the_cli(tmp_path):
    out = tmp_path / "params.yaml"
    done = softpower(
        "calibrate",
        "ranks",
        "--target",
        str(GSPI),
        "--metric",
        "gspi_rank",
        "--fit",
        "score_weight_reputation",
        "exposure_global_reach",
        "--budget",
        "6",
        "--folds",
        "2",
        "--seed",
        "4",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert "38 nations compared" in done.stdout
    assert "in-sample" in done.stdout and "2-fold out-of-sample" in done.stdout
    fitted = yaml.safe_load(out.read_text())["parameters"]
    assert set(fitted) == {"score_weight_reputation", "exposure_global_reach"}

    run_dir = tmp_path / "run"
    done = softpower(
        "run",
        "scenarios/baseline.yaml",
        "--params-file",
        str(out),
        "--out",
        str(run_dir),
        "--steps",
        "1",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for name, value in fitted.items():
        assert manifest["parameters"][name] == value


@pytest.mark.slow
def test_calibrate_cli_rejects_an_unknown_parameter_with_one_line_and_exit_2(tmp_path):
    done = softpower(
        "calibrate", "ranks", "--target", str(GSPI), "--fit", "stubborness",
        "--out", str(tmp_path / "p"),
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "did you mean stubbornness?" in lines[0]
