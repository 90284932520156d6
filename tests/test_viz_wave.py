"""The app's map, round 3: the wave of one event against the same run without it (issue 25,
item 3), the favourable share's legend with its units and the map as an SVG file (issue 24).

Expected values come from the model and from ``softpower spread`` run here, never written in.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.spread import spread
from sim.viz import figures, wave
from sim.viz.app_model import AppModel
from sim.viz.mapfile import map_file_name, map_svg
from sim.viz.worldmap import WAVE_HELP, map_legend
from sim.world.bundled import DEFAULT_WORLD

ROOT = Path(__file__).resolve().parents[1]
SOFTPOWER = Path(sys.executable).with_name("softpower")
SCENARIO = "soft_power_divide"
STEP = 5
KIND = "war 2025"  # one event of its kind and year: spread follows it alone, quickly


@pytest.fixture(scope="module")
def run() -> AppModel:
    """soft_power_divide on the default world, seed 0, after STEP quarters, as the app opens
    and runs it."""
    model = AppModel(SCENARIO, seed=0)
    assert model.world_name == DEFAULT_WORLD
    for _ in range(STEP):
        model.step()
    return model


@pytest.fixture(scope="module")
def followed(run):
    """``sim.analysis.spread.spread`` (what ``softpower spread`` runs) for the KIND events."""
    return spread(run.spec, world=run.world, seed=run.seed, kinds=[KIND])


@pytest.mark.slow
def test_the_events_that_have_acted_are_offered_newest_first_in_words(run, followed):
    fired = wave.fired_events(run)
    steps = [run.plan.events[i].step for i, _ in fired]
    assert steps == sorted(steps, reverse=True)  # newest first
    assert all(s < run.steps for s in steps)  # only events that have acted
    acted = sum(1 for e in run.plan.events if e.step < run.steps)
    assert len(fired) == acted
    labels = dict(fired)
    (war,) = (ev.index for ev in followed.events)
    assert labels[war].startswith(run.plan.date(run.plan.events[war].step) + " · war: ")
    assert not any(".yaml" in label for label in labels.values())  # no file names
    assert wave.fired_events(AppModel(SCENARIO, seed=0)) == []


def test_the_wave_on_the_map_is_softpower_spreads_change_at_that_step(run, followed):
    """The colours are `softpower spread`'s counterfactual for the same scenario, seed and step:
    each nation's attraction to the actor, this run minus the run without the event."""
    (event,) = followed.events
    made = wave.event_wave(run, event.index)
    assert made.actor == followed.iso3[event.actor] and made.step == event.step
    assert set(made.hit) == {followed.iso3[h] for h in event.hit}
    shown = wave.wave_change(run, made)
    k = run.iso3.index(made.actor)
    assert np.isnan(shown[k])
    others = np.arange(run.n) != k
    np.testing.assert_allclose(shown[others], event.change[run.steps, others], rtol=0, atol=1e-12)
    assert np.abs(shown[others]).max() > 0  # the event moved someone by now
    drawn = wave.wave_map(run, made)
    assert drawn.colour == "wave"
    assert drawn.values["MEX"] == pytest.approx(shown[run.iso3.index("MEX")], abs=1e-12)
    assert np.nanmax(np.abs(list(drawn.values.values()))) <= drawn.limit


@pytest.mark.slow
def test_the_wave_equals_the_softpower_spread_command_at_that_step(run, tmp_path):
    """The command line's spread.csv, its mean change over every observer at the app's step,
    equals the mean of the values the app's map colours by (both on the default world)."""
    out = tmp_path / "spread"
    done = subprocess.run(
        [str(SOFTPOWER), "spread", str(ROOT / "scenarios" / f"{SCENARIO}.yaml"),
         "--seed", "0", "--kind", KIND, "--out", str(out), "--no-maps"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "spread.csv")
    at = table[table["step"] == run.steps]
    assert len(at) > 0
    mean = float((at["observers"] * at["mean_change"]).sum() / at["observers"].sum())
    index = next(i for i, label in wave.fired_events(run) if " · war: " in label)
    shown = wave.wave_change(run, wave.event_wave(run, index))
    assert np.nanmean(shown) == pytest.approx(mean, rel=1e-6, abs=1e-9)
    assert int(at["observers"].sum()) == run.n - 1  # every nation but the actor


def test_the_waves_legend_says_in_words_what_its_colours_mean(run, followed):
    (event,) = followed.events
    drawn = wave.wave_map(run, wave.event_wave(run, event.index))
    actor = run.world.name[event.actor]
    assert drawn.low == f"likes {actor} less" and drawn.high == f"likes {actor} more"
    legend = map_legend(drawn)
    assert "The wave of one event" in legend and WAVE_HELP.split(":")[0] in legend
    assert [text for _, text in drawn.ticks][1] == "no difference"
    tip = drawn.tips["MEX"]
    assert tip.startswith("Mexico (MEX): attraction to") and "without the event" in tip


def test_the_favourable_legend_runs_from_0_to_100_percent_on_a_scale_without_grey(run):
    drawn = figures.map_view(run, colour="favourable", actor="USA")
    assert [text for _, text in drawn.ticks] == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    assert [x for x, _ in drawn.ticks] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert "0 to 100 %" in map_legend(drawn)
    share = run.favourable()[:, run.iso3.index("USA")]
    kenya = run.iso3.index("KEN")
    assert drawn.tips["KEN"] == f"Kenya (KEN): {share[kenya]:.0f} % favourable view of USA"
    from sim.plots import palette

    middle = figures.svgmap.sequential_hex([50.0], 0, 100, cmap=figures.FAVOURABLE_CMAP)[0]
    r, g, b = (int(middle[i : i + 2], 16) for i in (1, 3, 5))
    assert max(r, g, b) - min(r, g, b) > 60  # a colour, not a grey like palette.MISSING
    assert middle != palette.MISSING


def test_the_map_downloads_as_an_svg_file_with_its_colours_and_legend(run):
    drawn = figures.map_view(run, colour="favourable", actor="USA", layers=("rivalry",))
    image = map_svg(drawn, "Soft power divide · seed 0", selected="KEN")
    root = ET.fromstring(image)
    ns = "{http://www.w3.org/2000/svg}"
    paths = {p.get("d"): p for p in root.iter(f"{ns}path")}
    assert len(paths) > 150  # every country shape
    fills = [p.get("fill") for p in root.iter(f"{ns}path") if p.get("stroke") == "#000000"]
    assert fills == [drawn.fills["KEN"]]  # Kenya outlined, in its colour
    texts = [t.text for t in root.iter(f"{ns}text")]
    for expected in ("Soft power divide · seed 0", "0 %", "100 %", drawn.low, drawn.high):
        assert expected in texts
    assert len([e for e in root.iter(f"{ns}line") if e.get("stroke-dasharray")]) >= len(drawn.edges)
    assert map_file_name(drawn, SCENARIO) == (
        f"softpower_map_favourable_{SCENARIO}_{run.spec.date(run.steps)}.svg"
    )
