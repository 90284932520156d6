"""The README's quick start shows what `softpower run` prints today."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_quick_start_output_is_the_commands_output(tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("## Quick start") :]
    block = block[block.index("```console\n") + len("```console\n") : block.index("```\n\n")]
    command, *shown = block.splitlines()
    assert command.startswith("$ .venv/bin/softpower run ")
    args = shlex.split(command.removeprefix("$ .venv/bin/softpower "))
    args[args.index("--out") + 1] = str(tmp_path / "out")
    done = subprocess.run(
        [sys.executable, "-c", "from sim.cli import main; main()", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    shown = [line for line in shown if line != "..."]
    printed = done.stdout.splitlines()
    assert len(shown) >= 4 and printed[: len(shown)] == shown
    assert re.match(r"rank\s+nation\s+score", shown[1])
