"""Identification of the event responses: profiles, folds by observer region, pooling."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.analysis.episodes import Episode, _solve
from sim.analysis.profiles import (
    REGION_GROUPS,
    fit_pooled,
    fold_errors,
    fold_masks,
    observer_groups,
    profile_episodes,
    solve_fixed,
)
from sim.params import REGISTRY

# Surveyed countries in all five region groups (un193 codes).
OBSERVERS = ("DEU", "FRA", "GBR", "POL", "USA", "CAN", "BRA", "MEX", "JPN", "KOR", "IND", "IDN",
             "NGA", "KEN", "ZAF", "EGY", "TUR", "ISR")  # fmt: skip
# war, T·(1 − s), T·s, withdrawal, L·(1 − p), L·p for war 0.8, T 1.5, s 0.3, W 0.2, L 1, p 0.2
TRUTH = np.array([0.8, 1.05, 0.45, 0.2, 0.8, 0.2])


def _episodes(rng: np.random.Generator, scenarios: int = 4, withdrawal: bool = True):
    """Planted episodes: persistence 0.5 is the share whose columns made the changes."""
    shares = (0.0, 0.5, 1.0)
    designs: dict[float, list[np.ndarray]] = {s: [] for s in shares}
    episodes = []
    for k in range(scenarios):
        for s in shares:
            x = rng.normal(0.0, 10.0, size=(len(OBSERVERS), 6))
            if not withdrawal:
                x[:, 3] = 0.0
            designs[s].append(x)
        change = designs[0.5][-1] @ TRUTH + rng.normal(0.0, 0.1, len(OBSERVERS))
        scenario = SimpleNamespace(name=f"s{k}", world="un193")
        episodes.append(Episode(f"s{k}", scenario, "USA", 2000, 2001, 1, OBSERVERS, change))
    return episodes, designs


def test_with_nothing_fixed_the_solution_is_the_episode_fit():
    rng = np.random.default_rng(3)
    episodes, designs = _episodes(rng)
    blocks, changes = designs[0.5], [ep.change for ep in episodes]
    flags = [False, True, False, False]
    assert np.allclose(solve_fixed(blocks, changes, flags), _solve(blocks, changes, flags))


def test_a_fixed_parameter_holds_its_value_and_the_others_stay_in_range():
    rng = np.random.default_rng(4)
    episodes, designs = _episodes(rng)
    blocks, changes = designs[0.5], [ep.change for ep in episodes]
    flags = [False] * len(blocks)
    theta = solve_fixed(blocks, changes, flags, ("threat_perception", 2.5))
    assert theta[1] + theta[2] == pytest.approx(2.5)
    theta = solve_fixed(blocks, changes, flags, ("leader_pivot", 0.9))
    assert theta[5] / (theta[4] + theta[5]) == pytest.approx(0.9)
    theta = solve_fixed(blocks, changes, flags, ("war_perception", 1.7))
    assert theta[0] == 1.7 and np.all(theta >= 0.0)


def test_the_profile_recovers_a_planted_minimum_and_pins_it():
    rng = np.random.default_rng(5)
    episodes, designs = _episodes(rng)
    profile = profile_episodes(episodes, designs)
    best = {s["parameter"]: s for s in profile.summary}
    planted = {"event_persistence": 0.5, "war_perception": 0.8, "threat_perception": 1.5,
               "threat_spillover": 0.3, "withdrawal_perception": 0.2, "leader_perception": 1.0,
               "leader_pivot": 0.2}  # fmt: skip
    for name, value in planted.items():
        assert best[name]["best"] == pytest.approx(value), name
        assert best[name]["pinned"], name
        assert best[name]["plausible_low"] <= value <= best[name]["plausible_high"], name
    rows = [r for r in profile.rows if r["parameter"] == "war_perception"]
    assert len(rows) == 11 and all(r["rmse_loo"] >= r["rmse_in"] - 1e-9 for r in rows)
    away = next(r for r in rows if r["value"] == pytest.approx(2.0))
    assert away["rmse_loo"] > 2 * best["war_perception"]["rmse_loo"]  # a real minimum


def test_a_parameter_no_episode_informs_is_not_pinned():
    rng = np.random.default_rng(6)
    episodes, designs = _episodes(rng, withdrawal=False)
    profile = profile_episodes(episodes, designs, parameters=["withdrawal_perception"])
    (summary,) = profile.summary
    spec = REGISTRY["withdrawal_perception"]
    assert not summary["pinned"]
    assert (summary["plausible_low"], summary["plausible_high"]) == (spec.low, spec.high)
    assert "not pinned" in profile.to_text()


def test_each_observer_is_held_out_once_by_scenario_and_once_by_region():
    rng = np.random.default_rng(7)
    episodes, designs = _episodes(rng)
    for by in ("scenario", "region"):
        folds = fold_masks(episodes, by)
        counts = sum(np.concatenate(m).astype(int) for m in folds.values())
        assert np.all(counts == 1), by
    assert set(fold_masks(episodes, "region")) == set(REGION_GROUPS.values())
    assert list(observer_groups(episodes[0])[:2]) == ["Europe", "Europe"]
    rows = fold_errors(episodes, designs, 0.5)
    assert all(r["rmse_out"] < r["rmse_no_change"] for r in rows)  # the planted truth travels


def test_pooling_finds_a_region_that_responds_more_and_shrinks_the_others_to_one():
    rng = np.random.default_rng(8)
    episodes, designs = _episodes(rng, scenarios=6)
    europe = observer_groups(episodes[0]) == "Europe"
    scaled = []
    for ep, x in zip(episodes, designs[0.5], strict=True):
        change = x @ TRUTH * np.where(europe, 1.6, 1.0) + rng.normal(0.0, 0.1, len(europe))
        scaled.append(Episode(ep.name, ep.scenario, "USA", 2000, 2001, 1, OBSERVERS, change))
    pooled = fit_pooled(scaled, designs, 0.5, prior_sd=0.5)
    assert pooled.multipliers["Europe"] > 1.4
    others = [m for g, m in pooled.multipliers.items() if g != "Europe"]
    assert all(abs(m - 1.0) < 0.15 for m in others)
    assert pooled.rmse_in < pooled.rmse_in_shared and pooled.rmse_loo < pooled.rmse_loo_shared


def test_the_profile_writes_its_table_summary_and_figure(tmp_path):
    import csv

    from sim.plots.files import save_figure
    from sim.plots.profiles import profile_figure

    rng = np.random.default_rng(9)
    episodes, designs = _episodes(rng)
    profile = profile_episodes(episodes, designs, parameters=["event_persistence", "leader_pivot"])
    with profile.write(tmp_path / "profiles.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["parameter"] for r in rows] == ["event_persistence"] * 3 + ["leader_pivot"] * 11
    assert {"value", "rmse_in", "rmse_loo", "rmse_loo_region"} <= set(rows[0])
    with profile.write_summary(tmp_path / "summary.csv").open(encoding="utf-8") as fh:
        assert fh.readline().startswith("parameter,low,high,best,rmse_loo,")
    figure = profile_figure(profile)
    assert [ax.get_title().split("\n")[0] for ax in figure.axes if ax.get_visible()] == [
        "event_persistence",
        "leader_pivot",
    ]
    assert all(p.stat().st_size > 0 for p in save_figure(figure, tmp_path / "profiles"))
