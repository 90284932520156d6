"""Experiment files: runs, seeds, designs and one-line errors for bad files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.batch.experiment import Design, load_experiment, seed_label, seed_sequence
from sim.cli import cli
from sim.errors import ExperimentError, ScenarioError

SCENARIO = """\
name: {name}
title: {name}
start: 2025-Q1
steps: 4
"""


def write(folder: Path, body: str, scenarios=("base", "shock")) -> Path:
    for name in scenarios:
        (folder / f"{name}.yaml").write_text(SCENARIO.format(name=name))
    path = folder / "exp.yaml"
    path.write_text(body)
    return path


GOOD = """\
name: good
scenarios: [base.yaml, shock.yaml]
replications: 3
seed: 2025
design:
  method: grid
  parameters:
    stubbornness: [0.1, 0.2, 0.3]
    loss_aversion: [1, 2]
record: {every: 2, perception_targets: [USA, CHN, DEU]}
steps: 3
baseline: shock
"""


def test_runs_cover_scenarios_design_points_and_replications_in_order(bundled_world, tmp_path):
    exp = load_experiment(write(tmp_path, GOOD), bundled_world)
    runs = exp.runs()
    assert len(runs) == 2 * 6 * 3
    assert [r.run_id for r in runs[:4]] == ["base-d0-r0", "base-d0-r1", "base-d0-r2", "base-d1-r0"]
    assert runs[-1].run_id == "shock-d5-r2"
    assert runs[3].parameters == {"stubbornness": 0.1, "loss_aversion": 2.0}
    assert [p["stubbornness"] for p in exp.design.points()] == [0.1, 0.1, 0.2, 0.2, 0.3, 0.3]
    assert (exp.baseline, exp.steps, exp.record_every) == ("shock", 3, 2)
    assert exp.perception_targets == ("USA", "CHN", "DEU")
    assert len(exp.sha256) == 64


def test_replication_seeds_are_spawned_from_the_root_and_shared_across_scenarios(
    bundled_world, tmp_path
):
    exp = load_experiment(write(tmp_path, GOOD), bundled_world)
    spawned = np.random.SeedSequence(2025).spawn(3)
    by_replication: dict[int, set[str]] = {}
    for run in exp.runs():
        by_replication.setdefault(run.replication, set()).add(seed_label(run.seed))
        expected = spawned[run.replication]
        assert run.seed.generate_state(4).tolist() == expected.generate_state(4).tolist()
    assert by_replication == {r: {f"2025:{r}"} for r in range(3)}
    rebuilt = seed_sequence("2025:2")
    assert rebuilt.generate_state(4).tolist() == spawned[2].generate_state(4).tolist()


def test_grid_without_parameters_is_a_single_point(bundled_world, tmp_path):
    body = "name: one\nscenarios: [base.yaml]\nreplications: 2\nseed: 1\n"
    exp = load_experiment(write(tmp_path, body, ("base",)), bundled_world)
    assert exp.design.points() == [{}]
    assert [r.run_id for r in exp.runs()] == ["base-d0-r0", "base-d0-r1"]
    assert exp.baseline == "base"


def test_latin_hypercube_is_seeded_stratified_and_typed():
    design = Design(
        "lhs", {"stubbornness": (0.1, 0.5), "spinup_steps": (10.0, 50.0)}, samples=8, seed=3
    )
    x = design.sample()
    assert np.array_equal(x, design.sample())
    assert not np.array_equal(x, Design("lhs", dict(design.parameters), 8, seed=4).sample())
    strata = np.floor((x[:, 0] - 0.1) / 0.4 * 8).astype(int)
    assert sorted(strata) == list(range(8))  # one point per stratum
    points = design.points()
    assert all(isinstance(p["spinup_steps"], int) for p in points)
    assert all(0.1 <= p["stubbornness"] <= 0.5 for p in points)


def test_sobol_and_morris_samples_are_salibs_own():
    params = {"stubbornness": (0.0, 0.5), "saturation": (0.1, 2.0), "loss_aversion": (0.0, 3.0)}
    sobol = Design("sobol", params, samples=16, seed=9)
    problem = sobol.problem
    assert problem["bounds"] == [[0.0, 0.5], [0.1, 2.0], [0.0, 3.0]]
    expected = sobol_sample.sample(problem, 16, calc_second_order=False, seed=9)
    assert np.array_equal(sobol.sample(), expected)
    assert len(sobol.points()) == 16 * (3 + 2)
    morris = Design("morris", params, samples=5, levels=4, seed=9)
    assert np.array_equal(morris.sample(), morris_sample.sample(problem, 5, num_levels=4, seed=9))
    assert len(morris.points()) == 5 * (3 + 1)
    # The manifest is written with sorted keys; the design order must survive.
    assert Design.from_dict(json.loads(json.dumps(sobol.to_dict(), sort_keys=True))) == sobol


BAD = {
    "unknown_key": (
        "name: x\nscenarios: [base.yaml]\nreplications: 1\nseed: 1\nreplication: 3\n",
        5,
        ["unknown key 'replication'", "did you mean replications?"],
    ),
    "unknown_parameter": (
        "name: x\nscenarios: [base.yaml]\nreplications: 1\nseed: 1\ndesign:\n  method: grid\n"
        "  parameters:\n    stubborness: [0.1]\n",
        8,
        ["design.parameters.stubborness", "unknown parameter", "did you mean stubbornness?"],
    ),
    "grid_value_out_of_range": (
        "name: x\nscenarios: [base.yaml]\nreplications: 1\nseed: 1\ndesign:\n"
        "  parameters:\n    stubbornness:\n      - 0.2\n      - 1.5\n",
        9,
        ["design.parameters.stubbornness[1]", "out of range", "[0.0, 1.0]"],
    ),
    "range_outside_registry": (
        "name: x\nscenarios: [base.yaml]\nreplications: 1\nseed: 1\ndesign:\n  method: lhs\n"
        "  samples: 4\n  parameters: {saturation: [0.0, 3.0]}\n",
        8,
        ["design.parameters.saturation", "leaves the valid range", "use [0.01, 3.0]"],
    ),
    "sobol_not_power_of_two": (
        "name: x\nscenarios: [base.yaml]\nreplications: 1\nseed: 1\ndesign:\n  method: sobol\n"
        "  samples: 100\n  parameters: {saturation: [0.1, 3.0]}\n",
        7,
        ["design.samples", "not a power of two", "use 64 or 128"],
    ),
    "lhs_without_samples": (
        "name: x\nscenarios: [base.yaml]\nreplications: 1\nseed: 1\ndesign:\n  method: lhs\n"
        "  parameters: {saturation: [0.1, 3.0]}\n",
        6,
        ["samples is required for a lhs design"],
    ),
    "bad_method": (
        "name: x\nscenarios: [base.yaml]\nreplications: 1\nseed: 1\ndesign: {method: sobl}\n",
        5,
        ["design.method", "did you mean sobol?"],
    ),
    "missing_scenario_file": (
        "name: x\nscenarios:\n  - base.yaml\n  - shok.yaml\nreplications: 1\nseed: 1\n",
        4,
        ["scenarios[1]", "'shok.yaml' not found", "shock.yaml?"],
    ),
    "unknown_baseline": (
        "name: x\nscenarios: [base.yaml, shock.yaml]\nreplications: 1\nseed: 1\nbaseline: bsae\n",
        5,
        ["baseline", "did you mean base?"],
    ),
    "unknown_target": (
        "name: x\nscenarios: [base.yaml]\nreplications: 1\nseed: 1\n"
        "record:\n  perception_targets: [USA, CHNA]\n",
        6,
        ["record.perception_targets[1]", "unknown nation 'CHNA'", "did you mean CHN?"],
    ),
    "zero_replications": (
        "name: x\nscenarios: [base.yaml]\nreplications: 0\nseed: 1\n",
        3,
        ["replications", "a number ≥ 1"],
    ),
    "yaml_syntax": (
        "name: x\nscenarios: [base.yaml\nreplications: 1\n",
        3,
        ["YAML syntax error"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_experiment_file_gives_one_line_error_with_file_and_line(case, bundled_world, tmp_path):
    body, line, fragments = BAD[case]
    path = write(tmp_path, body)
    with pytest.raises(ExperimentError) as info:
        load_experiment(path, bundled_world)
    message = info.value.one_line()
    assert message.startswith(f"{path}:{line}: "), message
    for fragment in fragments:
        assert fragment in message, message
    assert "\n" not in message


def test_bad_experiment_file_exits_2_with_one_stderr_line(tmp_path):
    path = write(tmp_path, BAD["unknown_parameter"][0])
    result = CliRunner().invoke(cli, ["batch", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("softpower: error: ")
    assert "did you mean stubbornness?" in lines[0]
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_bad_scenario_named_by_an_experiment_is_reported_in_the_scenario_file(
    bundled_world, tmp_path
):
    path = write(tmp_path, "name: x\nscenarios: [base.yaml]\nreplications: 1\nseed: 1\n")
    (tmp_path / "base.yaml").write_text("name: base\ntitle: b\nsteps: 4\nparameters: {zz: 1}\n")
    with pytest.raises(ScenarioError, match=r"base\.yaml:4: parameters\.zz"):
        load_experiment(path, bundled_world)


def test_missing_experiment_file_is_an_experiment_error(tmp_path):
    with pytest.raises(ExperimentError, match="experiment file not found"):
        load_experiment(tmp_path / "nope.yaml")


def test_design_analysis_of_a_grid_is_refused():
    with pytest.raises(ValueError, match="no sensitivity analysis"):
        Design("grid", {"a": (1.0, 2.0)}).analyze(np.zeros((2, 1)), np.zeros(2))
    assert math.isclose(Design("grid").sample().shape[0], 1)


def test_shipped_experiments_load_and_say_what_their_comments_say(bundled_world):
    from sim.params import KEY_PARAMETERS

    folder = Path(__file__).resolve().parents[1] / "experiments"
    thesis = load_experiment(folder / "seed_thesis.yaml", bundled_world)
    assert list(thesis.scenarios) == [
        "baseline",
        "us_aid_cuts",
        "belt_and_road_expansion",
        "soft_power_divide",
    ]
    assert (thesis.baseline, thesis.design.points()) == ("baseline", [{}])
    demo = load_experiment(folder / "demo.yaml", bundled_world)
    assert list(demo.scenarios) == list(thesis.scenarios)
    assert demo.ensemble is not None and thesis.ensemble is not None
    # "one per member" (demo) and "each of its members twice" (seed thesis)
    members = len(demo.ensemble.members)
    assert (demo.replications, demo.record_every, thesis.replications) == (members, 2, 2 * members)
    assert f"{members} replications" in (folder / "demo.yaml").read_text()
    assert f"each of its {members} members twice" in (folder / "seed_thesis.yaml").read_text()
    assert sorted(demo.members()) == list(range(len(demo.ensemble.members)))
    sensitivity = load_experiment(folder / "sensitivity.yaml", bundled_world)
    assert sensitivity.design.method == "sobol"
    assert tuple(sensitivity.design.names) == KEY_PARAMETERS
    assert len(sensitivity.runs()) == 64 * (len(KEY_PARAMETERS) + 2)
