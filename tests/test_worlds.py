"""The bundled worlds by name (core60, un193): selection, caching, the whole world's data, and a
193-nation run."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.batch.experiment import load_experiment
from sim.cli import cli
from sim.errors import WorldError
from sim.scenario.scenario import load_scenario
from sim.world.bundled import DEFAULT_WORLD, WORLDS, bundled_world, loaded_name, world_name

ROOT = Path(__file__).resolve().parents[1]
UN193 = ROOT / "sim" / "data" / "un193" / "countries.csv"


@pytest.fixture(scope="module")
def un193():
    return bundled_world("un193")


def _un_members() -> set[str]:
    with UN193.open(newline="") as f:
        return {r["iso3"] for r in csv.DictReader(f) if r["un_member"] == "1"}


def test_each_world_is_loaded_once_and_the_default_is_a_named_world():
    assert DEFAULT_WORLD in WORLDS
    assert bundled_world() is bundled_world(DEFAULT_WORLD)
    assert bundled_world("core60") is bundled_world("core60")
    assert bundled_world("core60").n == 60
    assert loaded_name(bundled_world("core60")) == "core60"


def test_an_unknown_world_name_suggests_the_closest():
    with pytest.raises(WorldError, match="did you mean un193"):
        world_name("un913")


def test_un193_holds_every_un_member_state_and_flags_the_others(un193):
    members = _un_members()
    assert len(members) == 193
    assert members <= set(un193.iso3)
    assert set(un193.iso3) - members <= {"TWN", "XKX", "PSE", "KOS"}


def test_un193_capacities_and_layers_are_finite(un193):
    assert un193.capacity.shape == (un193.n, 4)
    assert np.isfinite(un193.capacity).all() and (un193.capacity >= 0).all()
    for layer in (un193.trade, un193.alliance, un193.rivalry):
        assert np.isfinite(layer).all()


def test_a_193_nation_run_is_deterministic_per_seed(un193):
    from sim.model.model import SoftPowerModel
    from sim.params import Parameters

    fast = Parameters.from_mapping({"spinup_steps": 2})

    def scores(seed: int) -> np.ndarray:
        model = SoftPowerModel(un193, parameters=fast, rng=seed, steps=3).run()
        return model.recorder.score

    a, b = scores(1), scores(1)
    assert a.shape[1] == un193.n
    np.testing.assert_array_equal(a, b)


def _scenario(tmp_path: Path, world: str | None, observer: str = "TUV") -> Path:
    lines = ["name: w", "title: W"] + ([f"world: {world}"] if world else [])
    lines += [
        "events:",
        "  - {at: 2025-Q2, kind: credibility_shock, actor: USA,"
        f" observers: [{observer}], magnitude: 0.2}}",
    ]
    path = tmp_path / "w.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_scenario_names_its_world_and_the_caller_can_override_it(tmp_path):
    path = _scenario(tmp_path, "un193")
    assert load_scenario(path).world == "un193"
    with pytest.raises(Exception, match="TUV"):  # Tuvalu is not among the 60
        load_scenario(path, "core60")
    plain = _scenario(tmp_path, None, observer="FRA")
    assert load_scenario(plain).world == DEFAULT_WORLD
    assert "world" not in load_scenario(plain).as_loaded  # old files keep their hash


def test_a_bad_world_in_a_scenario_file_names_file_line_and_suggestion(tmp_path):
    path = _scenario(tmp_path, "core06", observer="FRA")
    with pytest.raises(WorldError) as info:
        load_scenario(path)
    assert info.value.line == 3 and "did you mean core60" in str(info.value)


def test_an_experiment_names_its_world_for_every_scenario_and_its_manifest(tmp_path):
    scenario = _scenario(tmp_path, None, observer="FRA")
    path = tmp_path / "e.yaml"
    path.write_text(
        f"name: e\nscenarios: [{scenario.name}]\nreplications: 1\nseed: 1\nworld: un193\n"
    )
    experiment = load_experiment(path)
    assert experiment.world == "un193"
    assert experiment.scenarios["w"].world == "un193"
    assert load_experiment(path, "core60").world == "core60"


def test_cli_names_the_world_in_the_manifest_and_refuses_an_unknown_one(tmp_path):
    scenario = ROOT / "scenarios" / "baseline.yaml"
    runner = CliRunner()
    bad = runner.invoke(cli, ["run", str(scenario), "--out", str(tmp_path), "--world", "un913"])
    assert bad.exit_code == 2 and "did you mean un193" in bad.output
    ok = runner.invoke(
        cli,
        ["run", str(scenario), "--out", str(tmp_path), "--world", "core60", "--steps", "2"],
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads((tmp_path / "manifest.json").read_text())["world"] == "core60"
    tuvalu = _scenario(tmp_path, None)  # names TUV, one of the 193 only
    check = runner.invoke(cli, ["scenarios", "check", "--world", "un193", str(tuvalu)])
    assert check.exit_code == 0, check.output
    assert (
        runner.invoke(cli, ["scenarios", "check", "--world", "core60", str(tuvalu)]).exit_code == 2
    )


@pytest.mark.parametrize("name", ["unlisted_trade_share", "loan_aid_equivalence"])
def test_a_world_building_parameter_set_in_a_run_is_refused_in_one_line(tmp_path, name):
    """Set in a scenario, it would be recorded in the manifest and change nothing (the bundled
    world is built once, from the defaults): refused with exit 2 instead."""
    text = (ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8")
    path = tmp_path / "world_param.yaml"
    path.write_text(text.replace("parameters: {}", f"parameters:\n  {name}: 0.2"), "utf-8")
    result = CliRunner().invoke(cli, ["run", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert f"{name}: acts only when a world is built" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "soft_power.csv").exists()


_BASELINE = ROOT / "scenarios" / "baseline.yaml"
_EXPERIMENT = f"name: e\nscenarios: [{_BASELINE}]\nreplications: 1\nseed: 1\nworld: core60\n"

#: An experiment file or a parameter file that sets a world parameter, and the file and key the
#: refusal names (the parameter file, the experiment's design, or its ensemble CSV).
_WORLD_PARAMETER_FILES = {
    "parameter file": ({"params.yaml": "parameters:\n  loan_aid_equivalence: 0.3\n"}, "params"),
    "grid design": (
        {
            "e.yaml": _EXPERIMENT
            + "design:\n  method: grid\n  parameters:\n    unlisted_trade_share: [0.5, 0.2]\n"
        },
        "design.parameters.unlisted_trade_share[1]",
    ),
    "lhs design": (
        {
            "e.yaml": _EXPERIMENT + "design:\n  method: lhs\n  samples: 4\n  parameters:\n"
            "    loan_aid_equivalence: [0.5, 0.6]\n"
        },
        "design.parameters.loan_aid_equivalence",
    ),
    "parameter ensemble": (
        {
            "e.yaml": _EXPERIMENT + "parameter_ensemble: ens.csv\n",
            "ens.csv": "member,source,war_perception,unlisted_trade_share\n0,a,0.3,0.5\n"
            "1,b,0.3,0.4\n",
        },
        "ens.csv:3: unlisted_trade_share",
    ),
}


@pytest.mark.parametrize("case", list(_WORLD_PARAMETER_FILES))
def test_a_world_building_parameter_in_an_experiment_or_parameter_file_is_refused(tmp_path, case):
    """Before the fix an experiment's design or ensemble took the value, and every run with it
    failed inside the batch (exit 0, the error in runs.parquet)."""
    files, where = _WORLD_PARAMETER_FILES[case]
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    if "params.yaml" in files:
        args = ["run", str(_BASELINE), "--world", "core60", "--steps", "1"]
        args += ["--params-file", str(tmp_path / "params.yaml")]
    else:
        args = ["batch", str(tmp_path / "e.yaml"), "--workers", "1", "--no-progress"]
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert "acts only when a world is built" in line and where in line
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_a_world_building_parameter_takes_effect_where_a_world_is_built():
    from sim.params import Parameters
    from sim.world import read_world

    default = read_world(WORLDS["core60"])
    params = dataclasses.replace(Parameters(), unlisted_trade_share=0.2)
    built = read_world(WORLDS["core60"], params)
    assert not np.allclose(built.trade, default.trade)
    assert Parameters.from_mapping({"unlisted_trade_share": 0.5}) == Parameters()


def test_one_default_world_for_world_load_the_api_and_the_bundle():
    import sim
    from sim.world import DEFAULT_WORLD, World, bundled_world

    assert DEFAULT_WORLD == "un193"
    read = World.load()
    assert read.iso3 == bundled_world().iso3 == sim.load_world().iso3
    assert read.n == bundled_world(DEFAULT_WORLD).n == 196
