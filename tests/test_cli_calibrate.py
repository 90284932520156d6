"""`softpower calibrate`: three subcommands, each with only the options it uses, and the flag
form of before translated to them (the fits themselves are replaced by recorders here; the real
fits run in tests/test_calibration.py, tests/test_observe.py and tests/test_episodes.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sim.cli import cli
from sim.cli.calibrate import legacy_arguments
from sim.parameter_file import load_parameter_file

REPO = Path(__file__).resolve().parents[1]
TARGETS = REPO / "sim" / "data" / "targets"
GSPI = TARGETS / "gspi_2024.csv"
POLLS = TARGETS / "pew_favourability_2002_2024.csv"
EPISODES = TARGETS / "episodes.csv"


def softpower(*args: str | Path) -> Result:
    """Run the CLI in this process; return click's result (exit code, stdout, stderr)."""
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="softpower")


class _Fit:
    """What a fit returns, as far as the command reads it."""

    def parameter_values(self) -> dict[str, float]:
        return {"stubbornness": 0.3}

    def to_dict(self) -> dict[str, Any]:
        return {"recorded": True}

    def to_text(self) -> str:
        return "the recorded fit"

    def write_ensemble(self, path: Path) -> Path:
        path.write_text("member,source,stubbornness\n0,full,0.3\n", encoding="utf-8")
        return path


@pytest.fixture
def calls(monkeypatch) -> dict[str, tuple[tuple[Any, ...], dict[str, Any]]]:
    """Replace the three fits (and the episodes loader) by recorders of their arguments."""
    import sim.analysis.calibration
    import sim.analysis.episodes
    import sim.analysis.observation_fit

    seen: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}

    def recorder(name: str, returns: Any):
        def record(*args: Any, **kwargs: Any) -> Any:
            seen[name] = (args, kwargs)
            return returns

        return record

    monkeypatch.setattr(sim.analysis.calibration, "calibrate", recorder("ranks", _Fit()))
    monkeypatch.setattr(
        sim.analysis.observation_fit, "fit_observation", recorder("observation", _Fit())
    )
    monkeypatch.setattr(sim.analysis.episodes, "fit_episodes", recorder("responses", _Fit()))
    monkeypatch.setattr(sim.analysis.episodes, "load_episodes", recorder("episodes", "EPISODES"))
    return seen


def _wrote_the_parameter_file(result: Result, out: Path) -> None:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "the recorded fit" in result.stdout
    assert load_parameter_file(out).stubbornness == 0.3


def test_ranks_fits_the_names_after_fit_space_or_comma_separated(tmp_path, calls):
    out = tmp_path / "p.yaml"
    result = softpower(
        "calibrate", "ranks", "--target", GSPI, "--metric", "gspi_rank",
        "--fit", "score_weight_reputation,index_curvature", "exposure_global_reach",
        "--budget", "7", "--folds", "0", "--seed", "3", "--world", "core60", "--out", out,
    )  # fmt: skip
    _wrote_the_parameter_file(result, out)
    (target, names), options = calls["ranks"]
    assert names == ["score_weight_reputation", "index_curvature", "exposure_global_reach"]
    assert len(target.values) == 38 and options["world"].n == 60
    assert (options["budget"], options["folds"], options["seed"]) == (7, 0, 3)
    assert result.stderr == ""
    assert f"softpower run SCENARIO --params-file {out}" in result.stdout


def test_observation_fits_the_named_anchor_drivers_on_their_grid(tmp_path, calls):
    from sim.analysis.observation_fit import DEFAULT_GRID

    out = tmp_path / "p.yaml"
    result = softpower(
        "calibrate", "observation", "--target", GSPI, "--polls", POLLS,
        "--fit", "prior_governance", "--folds", "3", "--seed", "5", "--world", "core60",
        "--workers", "2", "--out", out,
    )  # fmt: skip
    _wrote_the_parameter_file(result, out)
    (polls, scores, ranks), options = calls["observation"]
    assert options["grid"] == {"prior_governance": DEFAULT_GRID["prior_governance"]}
    assert (options["folds"], options["seed"], options["workers"]) == (3, 5, 2)
    assert scores.metric == "gspi_score" and ranks.metric == "gspi_rank"
    softpower("calibrate", "observation", "--target", GSPI, "--polls", POLLS, "--out", out)
    assert calls["observation"][1]["grid"] is None  # the default grid of every driver


def test_responses_fits_on_the_episodes_and_writes_the_plausible_sets_beside(tmp_path, calls):
    out = tmp_path / "fit.yaml"
    result = softpower(
        "calibrate", "responses", "--episodes", EPISODES, "--polls", POLLS, "--out", out
    )
    _wrote_the_parameter_file(result, out)
    assert calls["episodes"][0][0] == EPISODES
    assert calls["responses"] == (("EPISODES",), {"seed": 1, "workers": 1})
    softpower(
        "calibrate", "responses", "--episodes", EPISODES, "--polls", POLLS, "--out", out,
        "--workers", "2", "--seed", "4",
    )  # fmt: skip
    assert calls["responses"] == (("EPISODES",), {"seed": 4, "workers": 2})
    assert (tmp_path / "fit_ensemble.csv").read_text().startswith("member,source")
    assert f"wrote {out} and {tmp_path / 'fit_ensemble.csv'}" in result.stdout


@pytest.mark.parametrize(
    "fit, extra",
    [
        ("responses", ("--target", GSPI)),
        ("responses", ("--world", "core60")),
        ("responses", ("--budget", "50")),
        ("responses", ("--folds", "3")),
        ("observation", ("--budget", "50")),
        ("observation", ("--metric", "gspi_rank")),
        ("observation", ("--steps", "4")),
        ("observation", ("--episodes", EPISODES)),
        ("ranks", ("--polls", POLLS)),
        ("ranks", ("--episodes", EPISODES)),
    ],
    ids=lambda v: str(v[0]) if isinstance(v, tuple) else v,
)
def test_each_fit_refuses_an_option_it_would_not_use(tmp_path, calls, fit, extra):
    needs = {
        "ranks": ("--target", GSPI),
        "observation": ("--target", GSPI, "--polls", POLLS),
        "responses": ("--episodes", EPISODES, "--polls", POLLS),
    }[fit]
    result = softpower("calibrate", fit, *needs, *extra, "--out", tmp_path / "p.yaml")
    assert result.exit_code == 2 and not calls
    (line,) = result.stderr.splitlines()
    assert f"No such option '{extra[0]}'" in line and f"softpower calibrate {fit} --help" in line


def test_observation_refuses_fewer_than_two_folds_instead_of_raising_them(tmp_path, calls):
    result = softpower(
        "calibrate", "observation", "--target", GSPI, "--polls", POLLS, "--folds", "1"
    )
    assert result.exit_code == 2 and "--folds" in result.stderr and not calls


def test_calibrate_without_a_subcommand_shows_the_three_fits():
    result = softpower("calibrate")
    assert result.exit_code == 2
    for fit in ("ranks", "observation", "responses"):
        assert f"  {fit} " in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["--target", "t.csv", "--params", "a", "b", "--budget", "9"],
            ("ranks", ["--target", "t.csv", "--fit", "a", "b", "--budget", "9"]),
        ),
        (
            ["--target=t.csv", "--params=a,b", "--polls", "p.csv"],
            ("observation", ["--target=t.csv", "--fit=a,b", "--polls", "p.csv"]),
        ),
        (
            ["--target", "t.csv", "--polls", "p.csv", "--episodes", "e.csv", "--seed", "2"],
            ("responses", ["--polls", "p.csv", "--episodes", "e.csv", "--seed", "2"]),
        ),
        (
            ["--polls=p.csv", "--target=t.csv", "--episodes=e.csv"],
            ("responses", ["--polls=p.csv", "--episodes=e.csv"]),
        ),
        (
            ["--target", "t.csv", "--episodes", "e.csv"],
            ("ranks", ["--target", "t.csv", "--episodes", "e.csv"]),
        ),
        (["ranks", "--target", "t.csv"], None),
        (["--target", "t.csv", "--help"], None),
        ([], None),
    ],
)
def test_the_flag_form_of_before_maps_to_the_fit_its_flags_chose(args, expected):
    assert legacy_arguments(args) == expected


def test_the_flag_form_of_before_still_runs_with_one_note_once_the_fit_is_done(tmp_path, calls):
    out = tmp_path / "p.yaml"
    result = softpower(
        "calibrate", "--target", GSPI, "--polls", POLLS, "--episodes", EPISODES, "--out", out
    )
    _wrote_the_parameter_file(result, out)
    assert calls["responses"][1] == {"seed": 1, "workers": 1}  # the old default 0 became 1
    (note,) = result.stderr.splitlines()
    assert note.startswith("softpower: note: ") and "`softpower calibrate responses`" in note
    result = softpower(
        "calibrate", "--target", GSPI, "--metric", "gspi_rank", "--params", "index_curvature",
        "--world", "core60", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0 and calls["ranks"][0][1] == ["index_curvature"]
    assert "`softpower calibrate ranks`" in result.stderr


def test_the_flag_form_of_before_with_bad_input_still_gives_one_line(tmp_path, calls):
    result = softpower("calibrate", "--target", GSPI, "--params", "a", "--seed", "-1")
    assert result.exit_code == 2 and not calls
    (line,) = result.stderr.splitlines()
    assert "--seed" in line and "softpower calibrate ranks --help" in line
