"""The assimilated start (sim.model.assimilation) and the backtest (sim.analysis.backtest)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.model import SoftPowerModel, assimilation
from sim.model.assimilation import OpinionSettings, SurveyLink
from sim.model.plan import Plan
from sim.params import Parameters
from sim.world import bundled_world, load_panel

ROOT = Path(__file__).resolve().parents[1]
SOFTPOWER = Path(sys.executable).with_name("softpower")
SETTINGS = OpinionSettings(persistence=0.8, drift=0.05, noise=0.02, pooling=2.0)


def _reference_filter(prior, observations, start, s):
    """A plain Kalman filter for one pair, one observation at a time, written out in full."""
    if not observations:
        return prior, None
    values = [v for _, v, _ in observations]
    n = len(values)
    level = prior + n / (n + s.pooling) * (sum(values) / n - prior)
    years = sorted({y for y, _, _ in observations})
    x, p = level, s.drift / (1 - s.persistence**2)
    for j, y in enumerate(years):
        if j > 0:
            for _ in range(y - years[j - 1]):
                x = level + s.persistence * (x - level)
                p = s.persistence**2 * p + s.drift
        z = [(v, r) for yy, v, r in observations if yy == y]
        precision = sum(1 / r for _, r in z)
        mean_z = sum(v / r for v, r in z) / precision
        gain = p / (p + 1 / precision)
        x, p = x + gain * (mean_z - x), (1 - gain) * p
    h = start - (years[-1] + 0.25)
    decay = s.persistence**h
    stationary = s.drift / (1 - s.persistence**2)
    return level + decay * (x - level), decay**2 * p + (1 - decay**2) * stationary


def test_vectorised_filter_equals_a_plain_per_pair_reference():
    rng = np.random.default_rng(3)
    n = 4
    prior = rng.normal(0, 0.5, (n, n))
    rows = 40
    observer = rng.integers(0, n, rows)
    actor = (observer + rng.integers(1, n, rows)) % n
    year = rng.integers(2005, 2020, rows)
    latent = rng.normal(0, 1, rows)
    noise = rng.uniform(0.01, 0.1, rows)
    state = assimilation.assimilate(prior, observer, actor, year, latent, noise, 2021.0, SETTINGS)
    for i in range(n):
        for k in range(n):
            obs = [
                (int(year[r]), float(latent[r]), float(noise[r]))
                for r in range(rows)
                if observer[r] == i and actor[r] == k
            ]
            mean, variance = _reference_filter(prior[i, k], obs, 2021.0, SETTINGS)
            assert state.mean[i, k] == pytest.approx(mean, abs=1e-12)
            if obs:
                assert state.variance[i, k] == pytest.approx(variance, abs=1e-12)
                assert state.observations[i, k] == len(obs)
            else:  # never surveyed: the structural prior, unchanged
                assert state.mean[i, k] == prior[i, k] and state.long_run[i, k] == prior[i, k]


def test_offset_relaxes_to_the_long_run_level_at_the_persistence_rate():
    prior = np.zeros((2, 2))
    state = assimilation.assimilate(
        prior,
        np.array([0, 0]),
        np.array([1, 1]),
        np.array([2022, 2024]),
        np.array([1.0, 2.0]),
        np.array([0.02, 0.02]),
        2025.0,
        SETTINGS,
    )
    gap = state.mean[0, 1] - state.long_run[0, 1]
    assert state.offset_at(0)[0, 1] == pytest.approx(state.mean[0, 1])
    assert state.offset_at(1.0)[0, 1] == pytest.approx(state.long_run[0, 1] + 0.8 * gap)
    assert state.offset_at(200.0)[0, 1] == pytest.approx(state.long_run[0, 1], abs=1e-12)
    # pair by pair, the same forecast and the variance of `variance_at`
    mean, var = state.forecast(np.array([0]), np.array([1]), np.array([1.0]), SETTINGS)
    assert mean[0] == pytest.approx(state.offset_at(1.0)[0, 1] + prior[0, 1])
    assert var[0] == pytest.approx(state.variance_at(1.0, SETTINGS)[0, 1])
    # a later poll counts more than an earlier one: the start lies nearer 2.0 than 1.0
    assert state.mean[0, 1] > 1.5


def test_survey_links_recover_a_known_observation_model():
    rng = np.random.default_rng(1)
    pairs = np.arange(30)
    x = rng.normal(0, 1, 30)
    family = np.array(["pew_global_attitudes:favourable"] * 30 + ["other:approval"] * 30)
    measured = np.concatenate([x, 0.5 + 0.8 * x])
    links = assimilation.fit_survey_links(
        family, np.concatenate([pairs, pairs]), np.full(60, 2010), measured
    )
    other = links["other:approval"]
    assert other.intercept == pytest.approx(0.5) and other.slope == pytest.approx(0.8)
    assert other.to_latent(other.to_measured(np.array([0.3])))[0] == pytest.approx(0.3)
    assert links["pew_global_attitudes:favourable"] == SurveyLink(
        "pew_global_attitudes:favourable", 0.0, 1.0, 30
    )


def test_model_starts_from_the_latest_polls_and_relaxes_to_the_long_run():
    world = bundled_world("core60")
    model = SoftPowerModel(world, rng=1, steps=8)
    structural = SoftPowerModel(
        world, parameters=Parameters.from_mapping({"opinion_start": 0}), rng=1, steps=8
    )
    i, k = world.iso3.index("DEU"), world.iso3.index("USA")
    panel = load_panel()
    pew = (
        (panel.observer == "DEU")
        & (panel.target == "USA")
        & (panel.survey == "pew_global_attitudes")
    )
    recent = panel.value[pew & (panel.year >= 2021)]
    latest = panel.value[pew & (panel.year == 2024)]
    assert len(latest) == 1 and len(recent) >= 3
    start = model.favourable()[i, k]
    # the start lies among the recent polls, nearer the latest one than structure alone
    assert recent.min() <= start <= recent.max()
    assert abs(structural.favourable()[i, k] - latest[0]) > abs(start - latest[0])
    assert start == pytest.approx(assimilation.share(model.opinion.mean[i, k]))
    # attraction, decisions and the kernel are those of the structural run
    np.testing.assert_array_equal(model.attraction(), structural.attraction())
    model.run()
    structural.run()
    np.testing.assert_array_equal(model.recorder.attraction, structural.recorder.attraction)
    # a nation never surveyed about another starts from structure alone
    never = np.argwhere(model.opinion.observations == 0)
    a, b = never[1]
    assert model.opinion_offset_at(0)[a, b] == 0.0


def test_a_run_reads_no_poll_fielded_after_its_start():
    world = bundled_world("core60")
    model = SoftPowerModel(world, Plan(start=(2017, 1), steps=1), rng=0)
    assert model.opinion.last_year.max() == 2016
    sources = model.opinion_sources()
    assert sources["fieldwork_until"] == 2016
    assert all(
        y <= 2016 for pair in sources["by_pair"].values() for ys in pair.values() for y in ys
    )


def _run(*args):
    return subprocess.run(
        [str(SOFTPOWER), *map(str, args)], capture_output=True, text=True, cwd=ROOT, check=False
    )


@pytest.fixture(scope="module")
def backtest_2019(tmp_path_factory):
    out = tmp_path_factory.mktemp("backtest")
    history = ROOT / "scenarios" / "history" / "world_2020_2024.yaml"
    result = _run("backtest", "--until", 2019, "--scenario", history, "--out", out)
    assert result.returncode == 0, result.stderr
    return out, result.stdout


@pytest.mark.slow
def test_backtest_writes_the_table_with_model_persistence_and_anchor(backtest_2019):
    out, stdout = backtest_2019
    with (out / "backtest.csv").open(newline="") as fh:
        rows = {r["predictor"]: r for r in csv.DictReader(fh)}
    assert list(next(iter(rows.values()))) == ["predictor", "rmse", "mae", "n", "coverage"]
    assert set(rows) == {"model", "persistence", "anchor"}
    assert len({r["n"] for r in rows.values()}) == 1 and int(rows["model"]["n"]) > 100
    assert 0.0 < float(rows["model"]["coverage"]) <= 1.0
    assert "| model |" in stdout
    with (out / "predictions.csv").open(newline="") as fh:
        predictions = list(csv.DictReader(fh))
    assert len(predictions) == int(rows["model"]["n"])
    assert all(2019 < int(p["year"]) <= 2024 for p in predictions)
    errors = np.array([float(p["model"]) - float(p["published"]) for p in predictions])
    assert float(rows["model"]["rmse"]) == pytest.approx(np.sqrt((errors**2).mean()), rel=1e-9)


@pytest.mark.slow
def test_the_model_beats_carrying_the_last_poll_forward_from_2019(backtest_2019):
    out, _ = backtest_2019
    with (out / "backtest.csv").open(newline="") as fh:
        rmse = {r["predictor"]: float(r["rmse"]) for r in csv.DictReader(fh)}
    assert rmse["model"] < rmse["persistence"] < rmse["anchor"]


@pytest.mark.slow  # a `softpower backtest` process that loads the history: about 12 s
def test_backtest_refuses_a_history_that_does_not_start_after_until(tmp_path):
    history = ROOT / "scenarios" / "history" / "america_first_2017.yaml"
    result = _run("backtest", "--until", 2019, "--scenario", history, "--out", tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "2020-Q1" in result.stderr and "Traceback" not in result.stderr


def _panel(rows):
    from sim.world.opinion import OpinionPanel

    cols = list(zip(*rows, strict=True))
    return OpinionPanel(
        survey=np.array(["pew_global_attitudes"] * len(rows)),
        question=np.array(["favourable"] * len(rows)),
        observer=np.array(cols[0]),
        target=np.array(cols[1]),
        year=np.array(cols[2]),
        value=np.array(cols[3], dtype=float),
        source_url=np.array(["test"] * len(rows)),
    )


def test_comovement_recovers_a_planted_contrast_net_of_year_shocks():
    from sim.analysis.comovement import rival_comovement

    rng = np.random.default_rng(4)
    rows = []
    for o in range(30):
        us, cn = rng.normal(0, 0.5), rng.normal(0, 0.5)
        for year in range(2010, 2020):
            shock = 0.4 * (year % 3 - 1)  # moves every public's view of both at once
            step = rng.normal(0, 0.3)
            us, cn = us + step + shock, cn - 0.5 * step + shock
            for target, x in (("USA", us), ("CHN", cn)):
                rows.append((f"O{o:02d}", target, year, 100 / (1 + np.exp(-x))))
    estimate = rival_comovement(_panel(rows), "USA", "CHN", bootstrap=200)
    assert estimate.slope == pytest.approx(-0.5, abs=0.02)
    assert estimate.low < -0.45 and estimate.high < 0 and estimate.changes == 30 * 9
    assert "a contrast effect" in estimate.to_text()
