"""`softpower scenarios list|check` and `softpower run` through the real console script: bad
scenario files give one stderr line ``softpower: error: FILE:LINE: ...; expected ...`` and exit 2.

The bad inputs are those of tests/test_scenario.py marked ``cli``; their subprocesses run
concurrently in one module fixture, since each pays the interpreter and import start-up.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from test_scenario import BAD_INPUTS, BadInput

REPO = Path(__file__).resolve().parents[1]
CLI_CASES = [c for c in BAD_INPUTS if c.cli]
COMMANDS = ("check", "run")
LINE = re.compile(r"^softpower: error: (?P<file>[^\n:]+):(?P<line>\d+): (?P<rest>.*; expected .*)$")


def softpower() -> Path:
    """The console script of the environment running the tests (the project's .venv)."""
    here = Path(sys.executable).with_name("softpower")
    return here if here.exists() else REPO / ".venv" / "bin" / "softpower"


def call(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(softpower()), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def command(which: str, case: BadInput) -> tuple[str, ...]:
    if which == "check":
        return ("scenarios", "check", case.entry_file)
    return ("run", case.entry_file, "--out", "out", "--quiet")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[tuple[str, str], tuple[Path, subprocess.CompletedProcess]]:
    """Run every bad input through both commands, four processes at a time."""
    jobs = []
    for case in CLI_CASES:
        for which in COMMANDS:
            folder = tmp_path_factory.mktemp(f"{case.id}-{which}")
            case.write(folder)
            jobs.append((case.id, which, folder, command(which, case)))
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = pool.map(lambda job: (job, call(*job[3], cwd=job[2])), jobs)
        return {(cid, which): (folder, proc) for (cid, which, folder, _), proc in done}


def test_softpower_console_script_is_installed() -> None:
    assert softpower().exists(), f"no console script at {softpower()}"


@pytest.mark.slow
@pytest.mark.parametrize("which", COMMANDS)
@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_bad_scenario_gives_one_error_line_and_exit_code_2(
    case: BadInput, which: str, results
) -> None:
    folder, proc = results[(case.id, which)]
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    shape = LINE.match(lines[0])
    assert shape, f"not 'softpower: error: FILE:LINE: ...; expected ...': {lines[0]!r}"
    assert Path(shape["file"]).name == case.named_file
    assert int(shape["line"]) == case.line, lines[0]
    assert case.says in lines[0]
    if case.suggestion:
        assert lines[0].endswith(f"; {case.suggestion}"), lines[0]
    assert not (folder / "out").exists(), "a bad scenario must not leave an output directory"


GOOD = """\
name: good
title: A good scenario
start: 2025-Q1
steps: 4
include: [aid.yaml]
events:
  - at: 2025-Q2
    kind: tariff
    actor: USA
    targets: [CHN]
    rate: 0.25
"""
AID = """\
name: aid
title: Aid cut
events:
  - at: 0
    kind: capacity
    actor: USA
    channel: aid
    scale: 0.43
"""


@pytest.fixture
def good(tmp_path: Path) -> Path:
    (tmp_path / "aid.yaml").write_text(AID, encoding="utf-8")
    (tmp_path / "good.yaml").write_text(GOOD, encoding="utf-8")
    return tmp_path


@pytest.mark.slow
def test_check_prints_ok_for_each_valid_file_and_stops_at_the_first_bad_one(good: Path) -> None:
    (good / "bad.yaml").write_text("name: bad\ntitle: Bad\nstepz: 4\n", encoding="utf-8")
    proc = call("scenarios", "check", "good.yaml", "aid.yaml", "bad.yaml", "good.yaml", cwd=good)
    assert proc.returncode == 2
    assert proc.stdout.splitlines() == [
        "ok  good.yaml  (good: 2 events, 4 steps)",
        "ok  aid.yaml  (aid: 1 events, 40 steps)",
    ]
    assert proc.stderr.startswith("softpower: error: bad.yaml:3: stepz: unknown key")
    assert len(proc.stderr.splitlines()) == 1


@pytest.mark.slow
def test_list_shows_name_steps_events_and_title(good: Path) -> None:
    proc = call("scenarios", "list", "--dir", good, cwd=good)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split(maxsplit=3) for line in proc.stdout.splitlines()]
    assert rows[0] == ["name", "steps", "events", "title"]
    assert ["aid", "40", "1", "Aid cut"] in rows
    assert ["good", "4", "2", "A good scenario"] in rows


@pytest.mark.slow
def test_list_of_a_folder_without_scenarios_is_a_one_line_error(tmp_path: Path) -> None:
    proc = call("scenarios", "list", "--dir", tmp_path, cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert "no scenario files" in proc.stderr and "expected" in proc.stderr


@pytest.mark.slow
def test_run_applies_included_and_own_events_in_order(good: Path) -> None:
    proc = call("run", "good.yaml", "--out", "out", "--seed", "3", "--quiet", cwd=good)
    assert proc.returncode == 0, proc.stderr
    out = good / "out"
    assert {p.name for p in out.iterdir()} >= {
        "soft_power.csv",
        "perception.csv",
        "events.csv",
        "manifest.json",
    }
    scheduled = [
        row.split(",")[:4]
        for row in (out / "events.csv").read_text().splitlines()[1:]
        if not row.split(",")[2].startswith("decision_")
    ]
    # Acting at step t, an event is listed at t + 1 with that step's date.
    assert scheduled == [["1", "2025-Q2", "capacity", "USA"], ["2", "2025-Q3", "tariff", "USA"]]


@pytest.mark.slow
def test_every_library_scenario_passes_check() -> None:
    files = sorted((REPO / "scenarios").glob("*.yaml"))
    assert files
    proc = call("scenarios", "check", *files, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == len(files)
