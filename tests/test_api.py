"""The notebook API: every docstring example of sim.api runs, and sim.run equals softpower run."""

from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
import sim.api

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_every_docstring_example_of_the_api_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "batch"
    sim.run_experiment("tests/data/tiny_experiment.yaml", out)
    failures, tried = doctest.testmod(sim.api, extraglobs={"out": out}, verbose=False)
    assert tried >= 8
    assert failures == 0


@pytest.mark.slow
def test_run_gives_the_same_table_as_the_command(tmp_path):
    result = sim.run(ROOT / "scenarios" / "us_aid_cuts.yaml", seed=3, steps=5)
    args = ["run", "scenarios/us_aid_cuts.yaml", "--out", str(tmp_path), "--seed", "3"]
    done = subprocess.run(
        [sys.executable, "-c", "from sim.cli import main; main()", *args, "--steps", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(tmp_path / "soft_power.csv")
    assert list(written["iso3"]) == list(result.soft_power["iso3"])
    assert (abs(written["score"] - result.soft_power["score"]) < 1e-8).all()
    assert list(written["rank"]) == list(result.soft_power["rank"])


def test_the_docs_name_every_api_function():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in sim.api.__all__:
        assert f"`{name}" in text or f"sim.{name}" in text, name
