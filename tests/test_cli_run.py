"""`softpower run`: the output files of docs/architecture.md §3, determinism, one-line errors.

The command runs as a real subprocess through the installed console script, so exit codes and
stderr are those a user sees.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.model import SoftPowerModel, observe
from sim.params import Parameters
from sim.scenario import load_scenario
from sim.world import bundled_world

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SOFTPOWER = Path(sys.executable).with_name("softpower")
STEPS = 40
NATIONS = 60
COLUMNS = {
    "soft_power.csv": ["step", "date", "iso3", "score", "rank", "familiarity", "reputation"],
    "perception.csv": ["step", "date", "observer", "target", "value"],
    "polls.csv": ["step", "date", "observer", "target", "favourable"],
    "events.csv": ["step", "date", "kind", "actor", "target", "detail"],
}
MANIFEST_KEYS = {
    "scenario",
    "scenario_hash",
    "seed",
    "package_version",
    "parameters",
    "wall_time_seconds",
}


def softpower(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SOFTPOWER), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Baseline runs: seed 5 twice, and seed 5 with --record-every 7."""
    base = tmp_path_factory.mktemp("runs")
    out = {}
    for key, extra in (("a", ()), ("b", ()), ("thin", ("--record-every", "7"))):
        out[key] = base / key
        result = softpower(
            "run",
            BASELINE,
            "--out",
            out[key],
            "--seed",
            "5",
            "--quiet",
            "--world",
            "core60",
            *extra,
        )
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    return out


def test_console_script_is_installed():
    assert SOFTPOWER.is_file(), f"run `make venv`: {SOFTPOWER} is missing"


@pytest.mark.slow
def test_run_writes_the_contract_files_with_the_contract_columns(runs):
    out = runs["a"]
    assert {p.name for p in out.iterdir()} == {*COLUMNS, "manifest.json"}
    for name, columns in COLUMNS.items():
        header, _ = _read(out / name)
        assert header == columns, name


@pytest.mark.slow
def test_soft_power_has_every_nation_at_every_step_with_scores_in_range(runs):
    _, rows = _read(runs["a"] / "soft_power.csv")
    assert len(rows) == NATIONS * (STEPS + 1)
    steps = sorted({int(r["step"]) for r in rows})
    assert steps == list(range(STEPS + 1))
    for step in (0, STEPS):
        at = [r for r in rows if int(r["step"]) == step]
        assert len({r["iso3"] for r in at}) == NATIONS
        assert sorted(int(r["rank"]) for r in at) == list(range(1, NATIONS + 1))
    # the score is clipped to [0, 100] as it is computed, so a range check could not fail: the
    # ranks must follow the scores instead (rank 1 the highest score, at every step)
    for step in range(STEPS + 1):
        at = sorted((r for r in rows if int(r["step"]) == step), key=lambda r: int(r["rank"]))
        scores = [float(r["score"]) for r in at]
        assert scores == sorted(scores, reverse=True), step
    dates = {int(r["step"]): r["date"] for r in rows}
    assert dates[0] == "2025-Q1" and dates[1] == "2025-Q2" and dates[STEPS] == "2035-Q1"


@pytest.mark.slow
def test_perception_holds_every_pair_at_every_step(runs):
    _, rows = _read(runs["a"] / "perception.csv")
    steps = sorted({int(r["step"]) for r in rows})
    assert steps == list(range(STEPS + 1))
    last = [r for r in rows if int(r["step"]) == STEPS]
    pairs = {(r["observer"], r["target"]) for r in last}
    assert len(pairs) == len(last) == NATIONS * (NATIONS - 1)
    assert all(r["observer"] != r["target"] for r in last)
    assert all(-1.0 <= float(r["value"]) <= 1.0 for r in rows)


@pytest.mark.slow
def test_manifest_describes_the_run(runs):
    manifest = json.loads((runs["a"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest.keys() >= MANIFEST_KEYS
    assert manifest["seed"] == 5
    assert manifest["scenario"]["name"] == "baseline"
    assert len(manifest["scenario_hash"]) == 64
    assert manifest["parameters"]["stubbornness"] == pytest.approx(0.1)
    assert manifest["wall_time_seconds"] > 0


@pytest.mark.slow
def test_events_are_dated_steps_of_the_run(runs):
    _, rows = _read(runs["a"] / "events.csv")
    _, scores = _read(runs["a"] / "soft_power.csv")
    dates = {r["step"]: r["date"] for r in scores}
    for r in rows:
        assert 0 <= int(r["step"]) <= STEPS and r["date"] == dates[r["step"]]


@pytest.mark.slow
def test_record_every_thins_perception_and_keeps_the_last_step(runs):
    _, rows = _read(runs["thin"] / "perception.csv")
    assert sorted({int(r["step"]) for r in rows}) == [0, 7, 14, 21, 28, 35, 40]
    _, scores = _read(runs["thin"] / "soft_power.csv")
    assert len(scores) == NATIONS * (STEPS + 1)  # scores are still written every step


@pytest.mark.slow
def test_same_seed_gives_byte_identical_files(runs):
    a, b = runs["a"], runs["b"]
    for name in COLUMNS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ma = json.loads((a / "manifest.json").read_text(encoding="utf-8"))
    mb = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    ma.pop("wall_time_seconds")
    mb.pop("wall_time_seconds")
    assert ma == mb


def _assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.slow
def test_unknown_scenario_path_is_one_line_and_exit_2(tmp_path):
    result = softpower("run", "scenarios/baseline.yml", "--out", tmp_path / "x")
    _assert_one_line_error(result, "scenarios/baseline.yml", "not found")
    assert not (tmp_path / "x").exists()


def test_non_integer_seed_is_one_line_and_exit_2(tmp_path):
    result = softpower("run", BASELINE, "--out", tmp_path / "x", "--seed", "abc")
    _assert_one_line_error(result, "--seed", "abc")


@pytest.mark.slow
def test_unwritable_out_is_one_line_and_exit_2(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = softpower("run", BASELINE, "--out", blocker / "out")
    _assert_one_line_error(result, str(blocker / "out"), "--out")


@pytest.mark.slow
def test_polls_hold_the_favourable_share_of_every_pair_as_the_link_of_attraction(runs):
    _, polls = _read(runs["a"] / "polls.csv")
    _, perception = _read(runs["a"] / "perception.csv")
    assert len(polls) == len(perception)
    params = Parameters()
    for poll, view in zip(polls, perception, strict=True):
        assert (poll["step"], poll["observer"], poll["target"]) == (
            view["step"],
            view["observer"],
            view["target"],
        )
        assert 0.0 < float(poll["favourable"]) < 100.0
    values = np.array([float(r["value"]) for r in perception])
    shares = np.array([float(r["favourable"]) for r in polls])
    # the link of attraction plus the assimilated start's logit offset of each pair at its step
    model = SoftPowerModel(bundled_world("core60"), load_scenario(BASELINE, "core60"), rng=5)
    index = {code: i for i, code in enumerate(model.iso3)}
    offset = np.array(
        [
            np.broadcast_to(model.opinion_offset_at(int(r["step"])), (model.n, model.n))[
                index[r["observer"]], index[r["target"]]
            ]
            for r in polls
        ]
    )
    np.testing.assert_allclose(shares, observe.favourable(values, params, offset), rtol=1e-8)
    # pairs never surveyed keep the structural link; surveyed ones start from their polls
    assert (offset == 0).any() and (offset != 0).any()


@pytest.mark.slow
def test_soft_power_carries_familiarity_and_reputation_in_range(runs):
    _, rows = _read(runs["a"] / "soft_power.csv")
    for key in ("familiarity", "reputation"):
        values = np.array([float(r[key]) for r in rows])
        # clipped to [0, 100] as they are computed: the check is that the clip rarely binds
        assert ((values > 0.0) & (values < 100.0)).mean() > 0.9, key
    top = [r for r in rows if r["step"] == "0" and float(r["familiarity"]) == 100.0]
    assert len(top) == 1  # the most familiar nation at the start sets the scale


@pytest.mark.slow
def test_targets_option_keeps_the_chosen_targets_in_perception_and_polls(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-c", "from sim.cli import main; main()", "run",
         "scenarios/baseline.yaml", "--out", str(out), "--steps", "2", "--quiet",
         "--world", "core60", "--targets", "usa, chn"],
        cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name, value in (("perception.csv", "value"), ("polls.csv", "favourable")):
        with (out / name).open() as f:
            reader = csv.DictReader(f)
            assert reader.fieldnames == ["step", "date", "observer", "target", value]
            rows = list(reader)
        assert {r["target"] for r in rows} == {"USA", "CHN"}
        assert len(rows) == 3 * 2 * 59  # recorded steps x targets x other observers
    assert json.loads((out / "manifest.json").read_text())["perception_targets"] == ["USA", "CHN"]
    bad = subprocess.run(
        [sys.executable, "-c", "from sim.cli import main; main()", "run",
         "scenarios/baseline.yaml", "--out", str(out), "--world", "core60", "--targets", "USA,XXX"],
        cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert bad.returncode == 2 and "--targets: unknown nation 'XXX'" in bad.stderr


def test_run_targets_default_by_world_and_check_the_codes_given():
    from sim.cli.run import RUN_TARGETS, run_targets
    from sim.errors import SoftPowerError

    core60, un193 = bundled_world("core60"), bundled_world("un193")
    assert run_targets(None, core60) is None  # every actor of the 60-nation world
    assert run_targets(None, un193) == RUN_TARGETS["un193"]
    assert run_targets(" ALL ", un193) is None
    assert run_targets("usa, CHN,USA", core60) == ("USA", "CHN")
    with pytest.raises(SoftPowerError, match="unknown nation 'USX'") as caught:
        run_targets("CHN,USX", core60)
    assert caught.value.key == "--targets" and caught.value.suggestion == "did you mean USA?"
    with pytest.raises(SoftPowerError, match="no nation"):
        run_targets(" , ", core60)


def test_top_table_lists_the_top_nations_by_rank_with_their_change_since_the_start():
    from sim.cli.run import top_table
    from sim.model import Plan
    from sim.world import World

    world = World.synthetic(12, np.random.default_rng(1))
    model = SoftPowerModel(world, Plan(steps=4), rng=3).run()
    header, *lines = top_table(model, 5).splitlines()
    assert header.split() == ["rank", "nation", "score", "change", "rank", "Δ"]
    rec = model.recorder
    order = np.argsort(rec.rank[4])[:5]
    assert len(lines) == 5
    for line, i in zip(lines, order, strict=True):
        rank, nation, score, change, moved = line.split()
        assert (int(rank), nation) == (rec.rank[4, i], model.iso3[i])
        assert float(score) == pytest.approx(rec.score[4, i], abs=0.05)
        assert float(change) == pytest.approx(rec.score[4, i] - rec.score[0, i], abs=0.005)
        shift = int(rec.rank[0, i] - rec.rank[4, i])
        assert moved == (f"{shift:+d}" if shift else "=")
