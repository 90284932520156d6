"""Effect attribution: effects sum to the scenario's change, equal to `run` minus `baseline`."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.attribution import (
    DRAWS,
    OVERRIDES,
    attribute,
    choose_grouping,
    components_of,
)
from sim.errors import SoftPowerError
from sim.model.model import SoftPowerModel
from sim.scenario.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
LIBRARY = sorted(p for p in SCENARIOS.glob("*.yaml") if p.name != "baseline.yaml")
STEP = 3


def run_at(world, scenario, seed: int, step: int) -> np.ndarray:
    """Scores at ``step`` of a full-horizon run, as `softpower run --seed` computes them."""
    model = SoftPowerModel(world, scenario, rng=seed).run()
    return model.recorder.score[step]


def assert_sums_exactly(result) -> None:
    gap = np.abs(result.effects.sum(axis=0) - result.total)
    assert gap.max() <= 1e-9
    table = result.table()
    sums = table.groupby(["nation", "metric", "target"], sort=False).agg(
        effect=("effect", "sum"), change=("change", "first")
    )
    assert len(sums) == len(result.entries)
    assert np.abs(sums["effect"] - sums["change"]).max() <= 1e-9


def write_scenario(folder: Path, text: str) -> Path:
    path = folder / "scenario.yaml"
    path.write_text(text)
    return path


def test_the_event_less_scenario_is_the_baseline_run(bundled_world):
    divide = load_scenario(SCENARIOS / "soft_power_divide.yaml", bundled_world)
    empty = replace(divide.plan(bundled_world), events=())
    baseline = load_scenario(SCENARIOS / "baseline.yaml", bundled_world)
    a = SoftPowerModel(bundled_world, empty, rng=4).run().recorder
    b = SoftPowerModel(bundled_world, baseline, rng=4).run().recorder
    assert np.array_equal(a.score, b.score) and np.array_equal(a.attraction, b.attraction)


@pytest.mark.slow
@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_effects_sum_to_run_minus_baseline_for_every_library_scenario(path, bundled_world):
    spec = load_scenario(path, bundled_world)
    result = attribute(spec, world=bundled_world, seeds=[7], step=STEP, by="file")
    assert_sums_exactly(result)
    baseline = load_scenario(SCENARIOS / "baseline.yaml", bundled_world)
    change = run_at(bundled_world, spec, 7, STEP) - run_at(bundled_world, baseline, 7, STEP)
    rows = [result.row(iso) for iso in bundled_world.iso3]
    assert np.abs(result.total[rows] - change).max() <= 1e-12
    assert set(result.metrics) >= {"score", "rank", "attraction"}


@pytest.mark.parametrize("max_exact", [8, 0], ids=["exact", "sampled"])
def test_effects_sum_exactly_for_every_nation_and_metric(max_exact, bundled_world):
    spec = load_scenario(SCENARIOS / "us_aid_cuts.yaml", bundled_world)
    result = attribute(spec, world=bundled_world, step=STEP, max_exact=max_exact, permutations=4)
    assert result.exact is (max_exact > 0)
    assert_sums_exactly(result)
    if not result.exact:
        assert np.isfinite(
            result.stderr[: len(components_of(spec, spec.plan(bundled_world)))]
        ).all()


def test_sampled_and_exact_agree_when_orderings_cover_all(bundled_world):
    spec = load_scenario(SCENARIOS / "us_aid_cuts.yaml", bundled_world)
    exact = attribute(spec, world=bundled_world, step=STEP)
    sampled = attribute(spec, world=bundled_world, step=STEP, max_exact=0, permutations=24)
    # 3 components have 6 orderings; 24 antithetic draws cover them unevenly but closely.
    assert np.abs(exact.effects - sampled.effects).max() < 0.05 * np.abs(exact.total).max() + 1e-9


def test_an_event_with_no_effect_gets_zero(tmp_path, bundled_world):
    path = write_scenario(
        tmp_path,
        """name: null-event
title: An aid cut and a news shock of size zero
start: 2025-Q1
steps: 6
events:
  - {at: 2025-Q1, kind: capacity, actor: USA, channel: aid, scale: 0.5}
  - {at: 2025-Q1, kind: news_shock, actor: CHN, observers: all, magnitude: 0.0}
""",
    )
    result = attribute(load_scenario(path, bundled_world), world=bundled_world, step=STEP)
    assert_sums_exactly(result)
    null = [c for c in result.components if "news_shock" in c]
    assert len(null) == 1
    assert np.abs(result.effects[result.components.index(null[0])]).max() <= 1e-9
    assert np.abs(result.total).max() > 0.01


@pytest.mark.slow
def test_random_events_keep_their_draws_in_every_coalition(bundled_world):
    spec = load_scenario(SCENARIOS / "random_shocks.yaml", bundled_world)
    result = attribute(spec, world=bundled_world, step=6, seeds=[1, 2])
    assert result.components[0] == DRAWS and result.kinds[0] == "draws"
    assert_sums_exactly(result)
    assert result.seeds == ("1", "2")


def test_parameter_overrides_are_their_own_component(tmp_path, bundled_world):
    path = write_scenario(
        tmp_path,
        """name: overrides
title: Stubborner audiences and an aid cut
start: 2025-Q1
steps: 5
parameters: {stubbornness: 0.3}
events:
  - {at: 2025-Q1, kind: capacity, actor: USA, channel: aid, scale: 0.5}
""",
    )
    spec = load_scenario(path, bundled_world)
    result = attribute(spec, world=bundled_world, step=STEP, seeds=[3])
    assert result.components[0] == OVERRIDES
    assert_sums_exactly(result)
    plan = spec.plan(bundled_world)
    no_events = run_at(bundled_world, replace(plan, events=()), 3, STEP)
    baseline = run_at(bundled_world, replace(plan, events=(), parameters={}), 3, STEP)
    usa = bundled_world.iso3.index("USA")
    expected = no_events[usa] - baseline[usa]
    assert result.effect("USA")[OVERRIDES] == pytest.approx(expected, abs=1e-12)


def test_events_after_the_step_are_listed_with_zero_effect(bundled_world, tmp_path):
    path = tmp_path / "late.yaml"
    path.write_text(
        "name: late\ntitle: An early cut and a late threat\nsteps: 8\nevents:\n"
        "  - {at: 2025-Q1, kind: capacity, actor: USA, channel: aid, scale: 0.5}\n"
        "  - {at: 2025-Q3, kind: threat, actor: USA, targets: [DNK], severity: 1.0}\n",
        encoding="utf-8",
    )
    spec = load_scenario(path, bundled_world)
    result = attribute(spec, world=bundled_world, step=1)  # the threat is at step 2
    (late,) = [c for c, k in zip(result.components, result.kinds, strict=True) if k == "inactive"]
    assert "threat" in late
    assert not result.effects[result.components.index(late)].any()
    assert_sums_exactly(result)


def test_groupings_and_a_budget_choose_few_components(bundled_world):
    spec = load_scenario(SCENARIOS / "soft_power_divide.yaml", bundled_world)
    plan = spec.plan(bundled_world)
    assert [n for n, _ in components_of(spec, plan, "file")] == [
        "us_aid_cuts.yaml",
        "america_first.yaml",
        "belt_and_road_expansion.yaml",
        "china_cultural_wave.yaml",
        "deepseek_breakthrough.yaml",
    ]
    assert len(components_of(spec, plan, "event")) == len(plan.events)
    assert choose_grouping(spec, plan, 40, budget=64) == ("file", 5, 2)
    bri = load_scenario(SCENARIOS / "belt_and_road_expansion.yaml", bundled_world)
    # seven events are too many to run exactly and one file says nothing: by kind
    assert choose_grouping(bri, bri.plan(bundled_world), 40, budget=64)[0] == "kind"
    # nothing fits 4 runs: sample the fewest orderings (an antithetic pair)
    assert choose_grouping(spec, plan, 40, budget=4) == ("event", 0, 2)
    with pytest.raises(SoftPowerError, match="did you mean file"):
        components_of(spec, plan, "fil")


def test_region_table_rows_sum_to_the_mean_change(bundled_world):
    spec = load_scenario(SCENARIOS / "us_aid_cuts.yaml", bundled_world)
    result = attribute(spec, world=bundled_world, step=STEP, targets=["USA"])
    regions = dict(zip(bundled_world.iso3, bundled_world.region, strict=True))
    table = result.by_region(regions)
    assert set(table["target"]) == {"USA"} and table["observers"].sum() == bundled_world.n - 1
    components = table[list(result.components)].sum(axis=1)
    assert np.abs(components - table["change"]).max() <= 1e-9


def test_unknown_focus_nation_is_an_error_with_a_suggestion(bundled_world):
    spec = load_scenario(SCENARIOS / "us_aid_cuts.yaml", bundled_world)
    with pytest.raises(SoftPowerError, match="did you mean USA"):
        attribute(spec, world=bundled_world, step=STEP, targets=["USX"])


def softpower(*args, check=True):
    cmd = [sys.executable, "-c", "from sim.cli import main; main()", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.mark.slow
def test_cli_writes_attribution_regions_and_waterfalls(tmp_path):
    out = tmp_path / "att"
    done = softpower(
        "attribute", SCENARIOS / "us_aid_cuts.yaml", "--out", out, "--step", STEP,
        "--seed", 5, "--workers", 2, "--nations", "USA,CHN",
    )  # fmt: skip
    assert "split among 3 components (exact" in done.stdout
    table = pd.read_csv(out / "attribution.csv", keep_default_na=False)
    assert list(table.columns[:5]) == ["nation", "metric", "target", "component", "effect"]
    sums = table.groupby(["nation", "metric", "target"]).agg(
        effect=("effect", "sum"), change=("change", "first")
    )
    assert np.abs(sums["effect"] - sums["change"]).max() <= 1e-9
    regions = pd.read_csv(out / "regions.csv")
    assert set(regions["target"]) == {"USA", "CHN"}
    for nation in ("USA", "CHN"):
        assert (out / f"waterfall_{nation}.png").stat().st_size > 10_000
        assert (out / f"waterfall_{nation}.svg").read_text().startswith("<?xml")


@pytest.mark.slow
def test_cli_attributes_in_the_chosen_world_with_a_parameter_file(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("parameters:\n  aid_cut_perception: 0.0\n")
    runs = {}
    for label, extra in (("core60", ()), ("no-response", ("--params-file", params))):
        out = tmp_path / label
        softpower(
            "attribute", SCENARIOS / "us_aid_cuts.yaml", "--out", out, "--step", 2,
            "--workers", 1, "--nations", "USA", "--by", "file", "--world", "core60", *extra,
        )  # fmt: skip
        runs[label] = pd.read_csv(out / "attribution.csv", keep_default_na=False)
    table = runs["core60"]
    assert table["nation"].nunique() == 60  # the 60-nation world, not the default un193
    fav = table[(table["metric"] == "favourable") & (table["target"] == "USA")]
    muted = runs["no-response"]
    muted_fav = muted[(muted["metric"] == "favourable") & (muted["target"] == "USA")]
    # the parameter file reaches every run: with no response to aid cuts, opinion moves less
    assert muted_fav["effect"].abs().sum() < fav["effect"].abs().sum()


@pytest.mark.slow
def test_cli_bad_nation_is_one_line_and_exit_2(tmp_path):
    done = softpower(
        "attribute", SCENARIOS / "us_aid_cuts.yaml", "--out", tmp_path, "--nations", "USA,CHX",
        check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "did you mean CHN" in done.stderr


@pytest.mark.slow
def test_docstring_examples_run(monkeypatch):
    import doctest

    from sim.analysis import attribution

    monkeypatch.chdir(ROOT)
    result = doctest.testmod(attribution)
    assert result.attempted >= 4 and result.failed == 0


def test_by_kind_keeps_the_years_apart(bundled_world):
    spec = load_scenario(SCENARIOS / "us_reengagement.yaml", bundled_world)
    plan = spec.plan(bundled_world)
    groups = components_of(spec, plan, "kind")
    names = [name for name, _ in groups]
    # the 2025 and the 2029 change of US leader are two components, not one netted to ~0
    assert "leader_change 2025" in names and "leader_change 2029" in names
    for name, members in groups:
        kind, year = name.rsplit(" ", 1)
        assert {plan.date(plan.events[i].step)[:4] for i in members} == {year}
    assert sorted(i for _, members in groups for i in members) == list(range(len(plan.events)))


def test_console_line_shows_every_component_or_counts_the_hidden_and_their_sum(bundled_world):
    import re

    from sim.analysis.attribution import console_line

    spec = load_scenario(SCENARIOS / "us_aid_cuts.yaml", bundled_world)
    result = attribute(spec, world=bundled_world, step=STEP, targets=["USA"])
    change = result.total[result.row("USA")]
    n = len(result.components)
    full = console_line(result, "USA")
    assert full.startswith(f"USA score {change:+.2f}: ") and "more" not in full
    assert all(name in full for name in result.components)
    short = console_line(result, "USA", shown=1)
    assert f"and {n - 1} more " in short
    printed = [float(v) for v in re.findall(r" ([+-]\d+\.\d+)", short.split(": ", 1)[1])]
    assert len(printed) == 2
    assert sum(printed) == pytest.approx(change, abs=0.011)  # the figures add up
