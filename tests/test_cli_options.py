"""The command line as a package (`sim.cli`): every command registered, the shared options
declared once (a parameter file is ``--params-file`` everywhere, ``--params`` a hidden alias),
every declared option read, and ``python -m sim.cli``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from sim.cli import cli

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"

#: The commands with a parameter-file option, and the arguments they need besides it.
PARAMETER_FILE_COMMANDS = {
    "run": ("run", BASELINE, "--out", "OUT"),
    "attribute": ("attribute", BASELINE, "--out", "OUT"),
    "test-2025": ("test-2025", BASELINE),
}


def softpower(*args: str | Path) -> Result:
    """Run the CLI in this process; return click's result (exit code, stdout, stderr)."""
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="softpower")


def _commands(group: click.Group, prefix: str = "softpower"):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", command


def test_every_command_is_registered_once():
    assert sorted(path for path, _ in _commands(cli)) == [
        f"softpower {name}"
        for name in (
            "app", "attribute", "backtest", "batch", "calibrate observation", "calibrate ranks",
            "calibrate responses", "discover", "network", "params", "profile", "report", "run",
            "scenarios check", "scenarios list", "spread", "summarize", "test-2025", "validate",
        )
    ]  # fmt: skip


def test_a_parameter_file_is_params_file_on_every_command_and_nothing_else_is():
    named = {
        path: [p for p in command.params if "--params-file" in getattr(p, "opts", ())]
        for path, command in _commands(cli)
    }
    assert sorted(path for path, found in named.items() if found) == sorted(
        f"softpower {c}" for c in PARAMETER_FILE_COMMANDS
    )
    for path, command in _commands(cli):
        for param in command.params:
            if "--params" in getattr(param, "opts", ()):
                assert param.opts == ["--params-file", "--params"], path
                assert param.name == "params_file", path


@pytest.mark.parametrize("name", sorted(PARAMETER_FILE_COMMANDS))
def test_help_shows_params_file_and_hides_its_old_name(name):
    result = softpower(name, "--help")
    assert result.exit_code == 0
    assert "--params-file FILE" in result.stdout
    assert "--params " not in result.stdout and "--params," not in result.stdout


@pytest.mark.parametrize("name", sorted(PARAMETER_FILE_COMMANDS))
@pytest.mark.parametrize("option", ["--params-file", "--params"])
def test_params_file_and_its_hidden_alias_read_the_same_file(tmp_path, name, option):
    args = [tmp_path / "out" if a == "OUT" else a for a in PARAMETER_FILE_COMMANDS[name]]
    result = softpower(*args, option, BASELINE)  # a scenario given as a parameter file
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert f"{BASELINE}:" in line and "this is a scenario file, not a parameter file" in line
    assert "not as --params-file" in line
    assert not (tmp_path / "out").exists()


def test_a_run_with_the_old_option_name_records_the_file_s_parameters(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("parameters:\n  stubbornness: 0.31\n", encoding="utf-8")
    for option in ("--params", "--params-file"):
        out = tmp_path / option.strip("-")
        result = softpower(
            "run", BASELINE, "--world", "core60", "--steps", "1", "--quiet", "--out", out,
            option, params,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["parameters"]["stubbornness"] == 0.31


def test_every_option_a_command_declares_is_read_by_it():
    """An unused callback argument is an option that would be silently ignored."""
    ruff = Path(sys.executable).with_name("ruff")
    done = subprocess.run(
        [str(ruff), "check", "--no-cache", "--select", "ARG", "sim/cli"],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout


def test_python_dash_m_sim_cli_is_the_softpower_command():
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli", "--version"],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("softpower, version ")


def test_attribute_of_a_batch_refuses_a_parameter_file_under_either_name(tmp_path):
    for option in ("--params-file", "--params"):
        result = softpower(
            "attribute", "--batch", tmp_path, "--out", tmp_path / "o", option, BASELINE
        )
        assert result.exit_code == 2
        (line,) = result.stderr.splitlines()
        assert "--params-file: does not go with --batch" in line
    assert not (tmp_path / "o").exists()


def test_a_batch_with_a_failed_run_exits_1_as_its_help_says(tmp_path, monkeypatch):
    """`ctx.exit(1)` used to end in exit code 0: outside click's standalone mode the code is
    returned, not raised, and the group dropped it."""
    from sim.batch.runner import FAIL_RUN_ENV

    experiment = tmp_path / "e.yaml"
    experiment.write_text(
        f"name: e\nscenarios: [{BASELINE}]\nreplications: 2\nseed: 1\nworld: core60\n", "utf-8"
    )
    args = ("batch", experiment, "--workers", "1", "--no-progress", "--no-summary")
    monkeypatch.setenv(FAIL_RUN_ENV, "baseline-d0-r1")
    failed = softpower(*args, "--out", tmp_path / "failed")
    assert failed.exit_code == 1, failed.output
    assert "1 runs failed" in failed.stdout
    monkeypatch.delenv(FAIL_RUN_ENV)
    assert softpower(*args, "--out", tmp_path / "ok").exit_code == 0


def test_every_command_whose_runs_can_spread_over_processes_takes_the_shared_workers_option():
    with_workers = {
        path
        for path, command in _commands(cli)
        if any("--workers" in getattr(p, "opts", ()) for p in command.params)
    }
    assert with_workers == {
        f"softpower {name}"
        for name in (
            "attribute", "batch", "calibrate observation", "calibrate ranks",
            "calibrate responses", "spread",
        )
    }  # fmt: skip
    declared = [
        path.name
        for path in sorted((REPO / "sim" / "cli").glob("*.py"))
        if '"--workers"' in path.read_text(encoding="utf-8")
    ]
    assert declared == ["options.py"]  # declared once: `sim.cli.options.workers_option`
    for name in ("0", "-1", "two"):
        result = softpower("spread", BASELINE, "--out", "unused", "--workers", name)
        assert result.exit_code == 2 and "--workers" in result.stderr
