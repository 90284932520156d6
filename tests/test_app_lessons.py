"""The classroom lesson of docs/app.md reads numbers in the app: they must be what the app shows
now, on the world it opens on (issue 20, item 7; issue 24, item 3).

Each number is read from the lesson's text and compared with the app's model run as the lesson
runs it (`AppModel`, the default world, seed 0); none is written into the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.viz import figures
from sim.viz.app_model import AppModel, advance
from sim.world.bundled import DEFAULT_WORLD

LESSON = (Path(__file__).resolve().parents[1] / "docs" / "app.md").read_text(encoding="utf-8")
SCENARIO = "soft_power_divide"
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")


def lesson_text() -> str:
    """The lesson's section, its lines joined (a number may follow a line break)."""
    start = LESSON.index("## A 45-minute lesson")
    return " ".join(LESSON[start : LESSON.index("\n## ", start + 1)].split())


def number(pattern: str) -> float:
    """The one number the lesson gives where ``pattern`` (a regex with one group) matches."""
    found = re.findall(pattern, lesson_text())
    assert len(found) == 1, (pattern, found)
    return float(found[0])


@pytest.fixture(scope="module")
def quarter_4() -> tuple[AppModel, dict, dict]:
    """The lesson's run at 2026-Q1 (four Steps), with the inspector of Mexico and of Brazil."""
    model = AppModel(SCENARIO, seed=0)
    start = {code: figures.inspect_nation(model, code).favourable for code in ("MEX", "BRA")}
    advance(model, 4)
    now = {code: figures.inspect_nation(model, code).favourable for code in ("MEX", "BRA")}
    return model, start, now


def test_the_lesson_runs_on_the_default_world_at_2026_q1(quarter_4):
    model, _, _ = quarter_4
    assert model.world_name == DEFAULT_WORLD
    assert model.spec.date(model.steps) == "2026-Q1"
    assert f"world={DEFAULT_WORLD}" in lesson_text() and "world=core60" not in lesson_text()


def test_mexicos_favourable_view_of_the_us_is_the_inspectors(quarter_4):
    _, start, now = quarter_4
    shown = number(r"the United States is (\d+) % in the inspector")
    assert shown == round(now["MEX"]["USA"])
    assert number(r"in the inspector \((\d+) % at the start\)") == round(start["MEX"]["USA"])


def test_brazils_favourable_views_of_the_poles_are_the_inspectors(quarter_4):
    _, start, now = quarter_4
    assert number(r"in Brazil the inspector shows (\d+) % for the United States") == round(
        now["BRA"]["USA"]
    )
    assert number(r"for the United States \((\d+) % at the start\)") == round(start["BRA"]["USA"])
    assert number(r"and (\d+) % for China") == round(now["BRA"]["CHN"])
    assert number(r"for China \((\d+) % at the start\)") == round(start["BRA"]["CHN"])


@pytest.mark.slow
@pytest.mark.parametrize("persistence", [None, 0.0])
def test_the_2035_scores_of_question_3_are_the_apps(persistence):
    kwargs = {} if persistence is None else {"event_persistence": persistence}
    model = AppModel(SCENARIO, seed=0, **kwargs)
    advance(model, model.horizon)
    score = {code: model.recorder.score[model.steps, model.iso3.index(code)] for code in model.iso3}
    ranked = sorted(score, key=score.get, reverse=True)
    if persistence is None:  # each event's effect lasts
        place = re.findall(r"the United States is (\w+) with \d", lesson_text())
        assert place and ORDINALS.index(place[0]) + 1 == ranked.index("USA") + 1
        assert ranked[0] == "CHN" and ranked[1] == "DEU"
        assert number(r"China leads with (\d+\.\d) and the United") == round(score["CHN"], 1)
        assert number(r"the United States is \w+ with (\d+\.\d)") == round(score["USA"], 1)
        assert number(r"\(Germany (\d+\.\d) second") == round(score["DEU"], 1)
    else:  # nothing lasts
        assert ranked[:2] == ["CHN", "USA"]
        assert number(r"climbs back to second with (\d+\.\d)") == round(score["USA"], 1)
        assert number(r"still behind China's (\d+\.\d)") == round(score["CHN"], 1)
