"""Summaries: ensemble statistics, paired differences with bootstrap CIs, sensitivity indices."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from SALib.test_functions import Ishigami

from sim.analysis.summary import SENSITIVITY_OUTPUTS, sensitivity, summarize
from sim.batch.experiment import Design, load_experiment
from sim.batch.runner import run_batch
from sim.cli import cli

SCENARIO = """\
name: {name}
title: {name}
start: 2025-Q1
steps: 3
parameters: {{spinup_steps: 3}}
{events}
"""

SHOCK_EVENTS = """\
events:
  - at: 2025-Q1
    kind: credibility_shock
    actor: USA
    observers: all
    magnitude: 0.5
  - at: 2025-Q2
    kind: capacity
    actor: CHN
    channel: culture
    scale: 2.0
"""


def write(folder: Path, experiment: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, events in (("base", ""), ("twin", ""), ("shock", SHOCK_EVENTS)):
        (folder / f"{name}.yaml").write_text(SCENARIO.format(name=name, events=events))
    path = folder / "exp.yaml"
    path.write_text(experiment)
    return path


GRID = """\
name: grid
scenarios: [base.yaml, shock.yaml, twin.yaml]
replications: 3
seed: 99
world: core60
design:
  method: grid
  parameters: {decision_rate: [0.25, 0.75]}
record: {every: 2}
"""


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("grid")
    out = folder / "out"
    run_batch(load_experiment(write(folder, GRID)), out, workers=1, progress=False)
    summarize(out, bootstrap=200)
    return out


def _raw(out: Path, table: str) -> pd.DataFrame:
    frame = pd.read_parquet(out / table)
    return frame.astype({"scenario": str})


@pytest.mark.slow
def test_score_and_rank_statistics_equal_a_direct_computation(grid):
    raw = _raw(grid, "soft_power")
    for value, file in (("score", "scores"), ("rank", "ranks")):
        summary = pd.read_parquet(grid / "summary" / f"{file}.parquet")
        assert list(summary.columns) == [
            *["scenario", "step", "date", "iso3", "n", "mean", "sd", "q05", "q50", "q95"]
        ]
        assert len(summary) == 3 * 4 * 60
        direct = raw.groupby(["scenario", "step", "iso3"])[value].agg(
            n="size",
            mean=lambda v: np.mean(v.to_numpy(dtype=float)),
            sd=lambda v: np.std(v.to_numpy(dtype=float), ddof=1),
            q05=lambda v: np.quantile(v.to_numpy(dtype=float), 0.05),
            q50=lambda v: np.quantile(v.to_numpy(dtype=float), 0.5),
            q95=lambda v: np.quantile(v.to_numpy(dtype=float), 0.95),
        )
        got = summary.set_index(["scenario", "step", "iso3"])
        direct = direct.loc[got.index]
        assert (got["n"] == 6).all() and (direct["n"] == 6).all()
        columns = ["mean", "sd", "q05", "q50", "q95"]
        np.testing.assert_allclose(
            got[columns].to_numpy(), direct[columns].to_numpy(), rtol=1e-12, atol=1e-12
        )


def test_differences_are_paired_by_seed_with_a_bootstrap_interval(grid):
    raw = _raw(grid, "soft_power")
    diffs = pd.read_parquet(grid / "summary" / "differences.parquet")
    assert list(diffs.columns) == [
        *["scenario", "baseline", "step", "date", "iso3", "n", "mean_diff", "ci_low", "ci_high"]
    ]
    assert set(diffs["scenario"]) == {"shock", "twin"} and set(diffs["baseline"]) == {"base"}
    keys = ["design_point", "seed", "step", "iso3"]
    base = raw[raw["scenario"] == "base"][[*keys, "score"]]
    shock = raw[raw["scenario"] == "shock"][[*keys, "score"]]
    merged = shock.merge(base, on=keys, suffixes=("", "_base"))
    assert len(merged) == len(shock)  # every shock run has a baseline run with its seed
    direct = (
        (merged["score"] - merged["score_base"]).groupby([merged["step"], merged["iso3"]]).mean()
    )
    got = diffs[diffs["scenario"] == "shock"].set_index(["step", "iso3"])
    np.testing.assert_allclose(got["mean_diff"], direct.loc[got.index], rtol=1e-10, atol=1e-12)
    assert (got["n"] == 6).all()
    assert (got["ci_low"] <= got["mean_diff"] + 1e-12).all()
    assert (got["mean_diff"] <= got["ci_high"] + 1e-12).all()
    usa_last = got.loc[(3, "USA")]
    assert usa_last["ci_high"] < 0  # a credibility shock to the USA lowers its score
    # Common random numbers: a scenario identical to the baseline differs by exactly zero.
    twin = diffs[diffs["scenario"] == "twin"]
    assert (twin[["mean_diff", "ci_low", "ci_high"]].to_numpy() == 0.0).all()


def test_bootstrap_is_seeded_and_summaries_are_reproducible(grid):
    first = pd.read_parquet(grid / "summary" / "differences.parquet")
    summarize(grid, bootstrap=200)
    again = pd.read_parquet(grid / "summary" / "differences.parquet")
    pd.testing.assert_frame_equal(first, again, check_exact=True)


def test_attraction_and_membership_summaries_equal_a_direct_computation(grid):
    raw = _raw(grid, "perception")
    assert set(raw["target"]) == {"USA", "CHN"} and sorted(set(raw["step"])) == [0, 2, 3]
    attraction = pd.read_parquet(grid / "summary" / "attraction.parquet")
    assert list(attraction.columns) == [
        *["scenario", "step", "date", "observer", "target", "mean", "q05", "q95"]
    ]
    keys = ["scenario", "step", "observer", "target"]
    direct = raw.groupby(keys)["value"].agg(
        mean="mean", q05=lambda v: np.quantile(v, 0.05), q95=lambda v: np.quantile(v, 0.95)
    )
    got = attraction.set_index(keys)[["mean", "q05", "q95"]]
    np.testing.assert_allclose(got.to_numpy(), direct.loc[got.index].to_numpy(), rtol=1e-12)
    members = pd.read_parquet(grid / "summary" / "membership.parquet")
    assert list(members.columns) == [
        *["scenario", "step", "date", "initiative", "mean", "q05", "q95"]
    ]
    raw_members = _raw(grid, "membership")
    direct_mean = raw_members.groupby(["scenario", "step"])["members"].mean()
    np.testing.assert_allclose(
        members.set_index(["scenario", "step"])["mean"],
        direct_mean.loc[members.set_index(["scenario", "step"]).index],
    )
    assert not (grid / "summary" / "sensitivity.parquet").exists()  # a grid has none


def test_sobol_indices_of_ishigami_match_salibs_own_analysis():
    bounds = (-math.pi, math.pi)
    design = Design("sobol", {"x1": bounds, "x2": bounds, "x3": bounds}, samples=1024, seed=42)
    table = sensitivity(design, Ishigami.evaluate).set_index("parameter")

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [list(bounds)] * 3}
    x = sobol_sample.sample(problem, 1024, calc_second_order=False, seed=42)
    own = sobol_analyze.analyze(problem, Ishigami.evaluate(x), calc_second_order=False, seed=42)
    for column in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_allclose(table[column].to_numpy(), own[column], rtol=1e-12)
    # And both are near the analytic indices of Ishigami (a = 7, b = 0.1).
    np.testing.assert_allclose(table["S1"], [0.3139, 0.4424, 0.0], atol=0.05)
    np.testing.assert_allclose(table["ST"], [0.5576, 0.4424, 0.2437], atol=0.05)
    assert table[["mu_star", "mu_star_conf", "sigma"]].isna().all().all()


def test_morris_screening_matches_salibs_own_analysis():
    design = Design("morris", {"a": (0.0, 1.0), "b": (0.0, 1.0), "c": (0.0, 1.0)}, 20, seed=3)

    def model(x):
        return 4.0 * x[:, 0] + x[:, 1] ** 2 + 0.0 * x[:, 2]

    table = sensitivity(design, model).set_index("parameter")
    problem = design.problem
    x = morris_sample.sample(problem, 20, num_levels=4, seed=3)
    own = morris_analyze.analyze(problem, x, model(x), num_levels=4, seed=3)
    for column in ("mu_star", "mu_star_conf", "sigma"):
        np.testing.assert_allclose(table[column].to_numpy(), own[column], rtol=1e-12)
    assert table.loc["a", "mu_star"] > table.loc["b", "mu_star"] > table.loc["c", "mu_star"]


SOBOL = """\
name: sobol
scenarios: [shock.yaml]
replications: 2
seed: 4
world: core60
design:
  method: sobol
  samples: 4
  parameters:
    stubbornness: [0.05, 0.5]
    credibility_loss: [0.2, 0.9]
"""


@pytest.mark.slow
def test_sobol_batch_writes_indices_of_the_usa_score_and_gap(tmp_path):
    out = tmp_path / "out"
    experiment = load_experiment(write(tmp_path / "exp", SOBOL))
    report = run_batch(experiment, out, workers=2, progress=False)
    assert report.ok == 4 * (2 + 2) * 2
    summarize(out, bootstrap=0)
    table = pd.read_parquet(out / "summary" / "sensitivity.parquet")
    assert list(table.columns) == [
        *["scenario", "method", "output", "parameter", "S1", "S1_conf", "ST", "ST_conf"],
        *["mu_star", "mu_star_conf", "sigma"],
    ]
    assert set(table["output"]) == set(SENSITIVITY_OUTPUTS)
    assert set(table["parameter"]) == {"stubbornness", "credibility_loss"}

    raw = _raw(out, "soft_power")
    last = raw[raw["step"] == 3].pivot_table(
        index=["design_point", "replication"], columns="iso3", values="score"
    )
    usa = last["USA"].groupby(level=0).mean().to_numpy()
    gap = (last["USA"] - last["CHN"]).groupby(level=0).mean().to_numpy()
    problem = experiment.design.problem
    for name, y in zip(SENSITIVITY_OUTPUTS, (usa, gap), strict=True):
        own = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=4)
        got = table[table["output"] == name].set_index("parameter").loc[problem["names"]]
        np.testing.assert_allclose(got["S1"], own["S1"], rtol=1e-12)
        np.testing.assert_allclose(got["ST"], own["ST"], rtol=1e-12)


def test_summarize_command_takes_another_baseline_and_rejects_unknown_ones(grid):
    result = CliRunner().invoke(
        cli, ["summarize", str(grid), "--baseline", "shock", "--bootstrap", "20"]
    )
    assert result.exit_code == 0, result.output
    assert "summary:" in result.stdout
    diffs = pd.read_parquet(grid / "summary" / "differences.parquet")
    assert set(diffs["baseline"]) == {"shock"} and set(diffs["scenario"]) == {"base", "twin"}
    summarize(grid, bootstrap=200)  # restore for the other tests

    result = CliRunner().invoke(cli, ["summarize", str(grid), "--baseline", "shok"])
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("did you mean shock?")
    result = CliRunner().invoke(cli, ["summarize", str(grid.parent)])
    assert result.exit_code == 2 and "no batch results here" in result.stderr


def test_familiarity_reputation_and_polls_are_described_like_scores(grid):
    raw = _raw(grid, "soft_power")
    keys = ["scenario", "step", "iso3"]
    for column in ("familiarity", "reputation"):
        table = pd.read_parquet(grid / "summary" / f"{column}.parquet")
        assert list(table.columns) == [
            *["scenario", "step", "date", "iso3", "n", "mean", "sd", "q05", "q50", "q95"]
        ]
        direct = raw.groupby(keys)[column].agg(
            mean="mean", q05=lambda v: np.quantile(v, 0.05), q95=lambda v: np.quantile(v, 0.95)
        )
        got = table.set_index(keys)[["mean", "q05", "q95"]]
        np.testing.assert_allclose(got.to_numpy(), direct.loc[got.index].to_numpy(), rtol=1e-12)
        assert (table["n"] == 6).all()  # 2 design points x 3 replications
    polls = pd.read_parquet(grid / "summary" / "polls.parquet")
    assert list(polls.columns) == [
        *["scenario", "step", "date", "observer", "target", "mean", "q05", "q50", "q95"]
    ]
    raw_polls = _raw(grid, "polls")
    assert set(polls["target"]) == {"USA", "CHN"}
    keys = ["scenario", "step", "observer", "target"]
    direct = raw_polls.groupby(keys)["favourable"].median()
    got = polls.set_index(keys)["q50"]
    np.testing.assert_allclose(got.to_numpy(), direct.loc[got.index].to_numpy(), rtol=1e-12)
    assert ((polls["q05"] <= polls["mean"] + 1e-9) & (polls["mean"] <= polls["q95"] + 1e-9)).all()
    assert polls["mean"].between(0, 100).all()
