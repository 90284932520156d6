"""Event responses learned from past episodes, and the 2025 out-of-sample test."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.episodes import (
    _solve,
    _values,
    fit_episodes,
    load_episodes,
    poll_table,
    response_designs,
)
from sim.errors import DataError
from sim.params import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "sim" / "data" / "targets"
POLLS = [
    TARGETS / "pew_us_favourability_2000_2017.csv",
    TARGETS / "pew_favourability_2002_2024.csv",
    ROOT / "sim" / "data" / "opinion" / "panel.csv",  # views of Russia are in the panel only
]


def _design(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random response columns (negative, like the jumps of hostile events)."""
    return -rng.uniform(0.0, 20.0, size=(n, 6))


def test_an_episode_with_a_common_shock_is_fitted_about_its_mean():
    rng = np.random.default_rng(7)
    truth = np.array([0.5, 1.2, 0.4, 0.0, 1.0, 0.25])
    blocks = [_design(rng, 12) for _ in range(4)]
    changes = [x @ truth for x in blocks]
    changes[3] = changes[3] - 9.0  # a shock every country of episode 3 felt, not in the model
    with_term = _solve(blocks, changes, [False, False, False, True])
    without = _solve(blocks, changes)
    assert np.allclose(with_term, truth, atol=1e-8)
    assert not np.allclose(without, truth, atol=1e-2)  # the shock is blamed on the events


def test_shares_are_the_ratio_of_their_two_columns_and_stay_in_range():
    # coefficients: war, T·(1 − spillover), T·spillover, withdrawal, L·(1 − pivot), L·pivot
    values = _values(np.array([0.5, 0.84, 0.36, 0.0, 0.75, 0.25]))
    assert values["threat_perception"] == pytest.approx(1.2)
    assert values["threat_spillover"] == pytest.approx(0.3)
    assert values["leader_perception"] == pytest.approx(1.0)
    assert values["leader_pivot"] == pytest.approx(0.25)
    assert values["tariff_perception"] == values["threat_perception"]  # the stated rule
    none = _values(np.array([0.5, 0.0, 0.0, 0.0, 0.0, 0.0]))
    assert none["threat_spillover"] == REGISTRY["threat_spillover"].default
    assert none["leader_pivot"] == REGISTRY["leader_pivot"].default
    for name, value in _values(np.array([2.0, 4.9, 4.9, 1.0, 2.9, 2.9])).items():  # solver bounds
        assert REGISTRY[name].low <= value <= REGISTRY[name].high, name


def test_the_bundled_episodes_name_their_common_shocks_with_sources():
    episodes = load_episodes(TARGETS / "episodes.csv", poll_table(POLLS), root=ROOT)
    shocks = {ep.name: ep.common_shock for ep in episodes}
    assert shocks["america_first_2017 (USA)"] is None
    for name in ("china_2020 (CHN)", "china_2020 (USA)"):
        assert "COVID-19" in shocks[name] and "https://" in shocks[name]
    assert all(ep.after <= 2024 and len(ep.observers) >= 6 for ep in episodes)


def test_the_opinion_panel_holds_the_waves_of_the_episodes_of_russia():
    panel = ROOT / "sim" / "data" / "opinion" / "panel.csv"
    with panel.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["target"] == "RUS"]
    pew = {
        (r["observer"], int(r["year"])): float(r["value"])
        for r in rows
        if r["survey"] == "pew_global_attitudes"
    }
    polls = poll_table([panel])
    # Pew's favourable shares only: Gallup's approval of Russia (2021, 2022) is not read
    assert {(o, y): v for (o, t, y), v in polls.items() if t == "RUS"} == pew
    episodes = load_episodes(TARGETS / "episodes.csv", poll_table(POLLS), root=ROOT)
    by = {(ep.name, ep.after): ep for ep in episodes}
    crimea = by["crimea_2014 (RUS)", 2014]
    assert len(crimea.observers) >= 30
    i = crimea.observers.index("POL")
    assert crimea.change[i] == pew["POL", 2014] - pew["POL", 2013]
    assert len(by["ukraine_2022 (RUS)", 2022].observers) >= 10
    assert by["us_president_2021 (USA)", 2021].common_shock is not None


def test_an_episode_with_no_polls_of_its_target_is_refused_and_the_panel_suggested():
    polls = poll_table(POLLS[:2])  # views of the US and China only
    with pytest.raises(DataError, match="no surveyed country has RUS.*opinion/panel.csv"):
        load_episodes(TARGETS / "episodes.csv", polls, root=ROOT)


@pytest.mark.parametrize("name", ["crimea_2014", "ukraine_2022", "us_president_2021"])
def test_the_added_history_files_load_and_resolve_every_nation(name):
    import yaml

    from sim.scenario.scenario import load_scenario
    from sim.world.bundled import bundled_world

    path = ROOT / "scenarios" / "history" / f"{name}.yaml"
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    scenario = load_scenario(path)
    plan = scenario.plan(bundled_world(scenario.world))
    assert len(plan.events) == len(written["events"]) >= 1
    assert all(e.get("note") for e in written["events"]) and written["sources"]
    for planned, event in zip(plan.events, written["events"], strict=True):
        for key in ("coalition", "opponents"):  # a code the world lacks would be dropped
            assert len(getattr(planned.event, key, ())) == len(event.get(key, ())), key


def test_a_wave_after_2024_is_refused_as_test_data(tmp_path):
    with (TARGETS / "episodes.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["after_year"] = "2025"
    path = tmp_path / "episodes.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DataError, match="episodes.csv:2.*up to 2024"):
        load_episodes(path, poll_table(POLLS), root=ROOT)


@pytest.mark.slow  # about 15 s: seven un193 runs of a history scenario, twice
def test_the_response_columns_are_the_same_on_one_and_two_workers():
    """What `softpower calibrate responses --workers N` changes: only where the runs go."""
    episodes = load_episodes(TARGETS / "episodes.csv", poll_table(POLLS), root=ROOT)
    chosen = [ep for ep in episodes if ep.scenario.name == "us_president_2021"]
    one = response_designs(chosen, seed=1, persistence=(0.5,), workers=1)
    two = response_designs(chosen, seed=1, persistence=(0.5,), workers=2)
    assert list(one) == list(two) == [0.5] and len(one[0.5]) == len(chosen) == 1
    for a, b in zip(one[0.5], two[0.5], strict=True):
        np.testing.assert_array_equal(a, b)
        assert np.abs(a).max() > 0  # the events move the observers


@pytest.mark.slow
def test_the_registry_defaults_are_the_episode_fit():
    """If the model changes, the responses must be refitted (docs/validation.md) and the
    registry's defaults updated: this test fails until they are. (The persistence grid is
    narrowed to the registry's value and its neighbours, to keep the test short.)"""
    episodes = load_episodes(TARGETS / "episodes.csv", poll_table(POLLS), root=ROOT)
    share = REGISTRY["event_persistence"].default
    grid = sorted({max(0.0, round(share - 0.1, 1)), share, min(1.0, round(share + 0.1, 1))})
    fit = fit_episodes(episodes, seed=1, bootstrap=2, persistence=grid)
    for name, value in fit.values.items():
        assert REGISTRY[name].default == pytest.approx(value, abs=2e-3), name
    scenarios = list(dict.fromkeys(ep.scenario.name for ep in episodes))
    assert fit.left_out == scenarios and len(fit.folds) == len(scenarios) == 7
    assert len(fit.bootstrap) == 2
    shocked = [r for r in fit.rows if "common_shock" in r]
    assert {r["episode"] for r in shocked} == {
        "china_2020 (CHN)",
        "china_2020 (USA)",
        "us_president_2021 (USA)",
    }
    published = np.concatenate([ep.change for ep in episodes])
    predicted_error = np.array([r["rmse_in"] ** 2 * r["countries"] for r in fit.rows]).sum()
    assert predicted_error < (published**2).sum()  # better than "no change" overall


@pytest.mark.slow
def test_the_2025_test_command_compares_with_the_published_changes():
    done = subprocess.run(
        [sys.executable, "-c", "from sim.cli import main; main()", "test-2025",
         "scenarios/soft_power_divide.yaml", "--world", "core60"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert "| DEU | USA | 49 | 33 | -16 |" in "\n".join(lines)
    pairs = [line.split("|") for line in lines if line.startswith(("| DEU", "| MEX", "| SWE"))]
    published = np.array([float(cells[5]) for cells in pairs])
    model = np.array([float(cells[6]) for cells in pairs])
    assert np.all(np.isfinite(model)) and np.all(model != 0.0)  # the US events move them
    # the naive baseline is computed from the published changes (test data, never an input)
    rows = [line.split("|") for line in lines if line.startswith(("| KEN", "| NGA"))]
    published = np.concatenate([published, [float(cells[5]) for cells in rows]])
    # the index published in Feb 2025 tests the starting world, and says so
    assert "fieldwork of Sept-Nov 2024" in done.stdout
    rho = next(line for line in lines if line.startswith("| model at the start (2025-Q1) |"))
    assert -1.0 <= float(rho.split("|")[2]) <= 1.0
    no_change = next(line for line in lines if line.startswith("| no change"))
    assert float(no_change.split("|")[2]) == pytest.approx(np.sqrt(np.mean(published**2)), abs=0.05)
