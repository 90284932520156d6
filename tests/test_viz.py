"""The Solara app without a browser: its scenario library, its model, what its views show, and the
whole page rendered headless with ``solara.render`` (Mesa's own approach), driven through the same
widgets a student clicks.
"""

from __future__ import annotations

import dataclasses
import html
import os
import re
import socket
import sys
from pathlib import Path

import ipyvue
import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest
import solara
import solara.widgets
from click.testing import CliRunner

from sim.batch.tables import run_tables
from sim.cli import cli
from sim.errors import ParameterError, ScenarioError
from sim.model.model import SoftPowerModel, StepPastEndError
from sim.params import KEY_PARAMETERS, REGISTRY
from sim.plots import maps, palette, svgmap
from sim.viz import components, figures, narrative, words
from sim.viz.app_model import AppModel, advance, model_lock, model_params
from sim.viz.components import Dashboard, Guarded, ViewSettings, match_nation
from sim.viz.controls import parse_seed
from sim.viz.library import BASELINE, SCENARIOS_ENV, scenario_folder, scenario_library
from sim.viz.pickers import nation_labels
from sim.world.bundled import DEFAULT_WORLD

REPO = Path(__file__).resolve().parents[1]

SCENARIO = """\
name: {name}
title: {title}
description: A test scenario.
sources: ["test"]
start: 2025-Q1
steps: 8
parameters: {parameters}
events: []
"""


def write_scenario(folder: Path, name: str, parameters: str = "{}", title: str = "T") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SCENARIO.format(name=name, title=title, parameters=parameters))
    return path


# Models take a moment to build (40 spin-up quarters): tests share these two and do not step them.


@pytest.fixture(scope="module")
def fresh() -> AppModel:
    """The US aid cuts at step 0."""
    return AppModel("us_aid_cuts", seed=1)


@pytest.fixture(scope="module")
def stepped() -> AppModel:
    """The US aid cuts, 6 quarters in."""
    model = AppModel("us_aid_cuts", seed=1)
    for _ in range(6):
        model.step()
    return model


# ---------------------------------------------------------------------- library


def test_library_offers_every_bundled_scenario_file_with_the_baseline_first():
    library = scenario_library()
    stems = {p.stem for p in (REPO / "scenarios").glob("*.yaml")}
    assert library.folder == REPO / "scenarios"
    assert library.names[0] == BASELINE
    assert set(library.names) | {f.split(".")[0] for f in library.errors} >= stems
    assert "us_aid_cuts" in library.names


def test_library_lists_a_broken_file_as_an_error_instead_of_failing(tmp_path, monkeypatch):
    write_scenario(tmp_path, "good")
    (tmp_path / "broken.yaml").write_text("name: broken\nsteps: many\n")
    monkeypatch.setenv(SCENARIOS_ENV, str(tmp_path))
    library = scenario_library()
    assert library.names == [BASELINE, "good"]  # no baseline file: the built-in one
    assert list(library.errors) == ["broken.yaml"]
    assert "broken.yaml" in library.errors["broken.yaml"]
    assert library.load(BASELINE).name == "baseline"


def test_library_folder_without_scenarios_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv(SCENARIOS_ENV, str(tmp_path))
    with pytest.raises(ScenarioError) as err:
        scenario_folder()
    assert str(tmp_path) in err.value.one_line() and "\n" not in err.value.one_line()


def test_unknown_scenario_name_suggests_the_closest_one():
    with pytest.raises(ScenarioError, match="did you mean us_aid_cuts"):
        scenario_library().load("us_aid_cut")


def test_app_command_with_a_busy_port_prints_one_line_and_exits_2():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["app", "--port", str(port)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"softpower: error: --port: cannot listen on 127.0.0.1:{port}")


def test_app_command_with_an_empty_scenario_folder_prints_one_line_and_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["app", "--scenarios", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"softpower: error: {tmp_path}: --scenarios: no scenario files in this folder; "
        "expected a folder of *.yaml scenario files; "
        "leave out --scenarios to use the bundled scenarios\n"
    )


# ---------------------------------------------------------------------- model


@pytest.mark.slow
def test_app_model_runs_as_softpower_run_with_the_same_scenario_and_seed(tmp_path):
    # Issue 20, item 7: the app and the command line open on the same world, so the same
    # scenario and seed give the same numbers with no --world on either side.
    scenario = REPO / "scenarios" / "us_aid_cuts.yaml"
    args = ["run", str(scenario), "--out", str(tmp_path), "--seed", "3", "--steps", "5", "--quiet"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    written = pd.read_csv(tmp_path / "soft_power.csv")
    app = AppModel("us_aid_cuts", seed=3)
    assert app.world_name == DEFAULT_WORLD == "un193" and app.n == written["iso3"].nunique()
    for _ in range(5):
        app.step()
    shown = run_tables(app)["soft_power"].to_pandas()
    assert list(shown["iso3"]) == list(written["iso3"])
    np.testing.assert_allclose(shown["score"], written["score"], rtol=1e-9)  # CSV: 10 digits
    assert list(shown["rank"]) == list(written["rank"])
    events = pd.read_csv(tmp_path / "events.csv", keep_default_na=False)
    assert list(events["kind"]) == [e[1] for e in app.recorder.events]


def test_a_moved_slider_overrides_the_scenario_and_an_unmoved_one_keeps_it(tmp_path):
    write_scenario(tmp_path, "stubborn", parameters="{stubbornness: 0.3}")
    library = dataclasses.replace(
        scenario_library(), files={"stubborn": tmp_path / "stubborn.yaml"}
    )
    default = REGISTRY["stubbornness"].default
    kept = AppModel("stubborn", library=library, stubbornness=default)
    moved = AppModel("stubborn", library=library, stubbornness=0.5)
    assert kept.parameters.stubbornness == 0.3 and kept.overrides == {}
    assert moved.parameters.stubbornness == 0.5 and moved.overrides == {"stubbornness": 0.5}


def test_app_model_rejects_an_unknown_parameter_with_a_suggestion():
    with pytest.raises(ParameterError, match="stubbornness"):
        AppModel(stubborness=0.2)


def test_reset_rebuilds_the_model_from_the_inputs(fresh):
    # The app's controller (sim.viz.controller) builds the model from the inputs' values alone.
    inputs = {name: spec["value"] for name, spec in model_params().items()}
    inputs.update(scenario_name="us_aid_cuts", seed=7, stubbornness=0.25)
    rebuilt = type(fresh)(**inputs)
    assert rebuilt.spec.name == "us_aid_cuts"
    assert rebuilt.seed == 7 and rebuilt.parameters.stubbornness == 0.25


def test_sliders_are_the_key_parameters_with_their_registry_ranges():
    params = model_params()
    assert list(params)[:2] == ["scenario_name", "seed"]
    assert params["scenario_name"]["values"] == scenario_library().names
    for name in KEY_PARAMETERS:
        p = REGISTRY[name]
        assert (params[name]["min"], params[name]["max"], params[name]["value"]) == (
            p.low,
            p.high,
            p.default,
        )
        assert 0 < params[name]["step"] <= (p.high - p.low) / 50
        # a browser slider snaps to its steps: a default between two would change on its own
        units = (p.default - p.low) / params[name]["step"]
        assert units == pytest.approx(round(units), abs=1e-6), name


# ---------------------------------------------------------------------- what the views show


def test_us_aid_edges_thin_out_after_the_aid_cut(fresh, stepped):
    before = fresh
    usa = before.iso3.index("USA")

    def us_flows(model):
        return sum(1 for i, _, _ in figures.layer_edges(model, "aid") if i == usa)

    assert us_flows(before) > 10
    assert us_flows(stepped) < us_flows(before) / 2


@pytest.mark.parametrize("world_name", ["core60", "un193"])
def test_aid_lines_show_on_every_world(world_name):
    # On un193 a fixed floor of 0.015 drew no aid line at all (shares shrink as the world grows).
    model = AppModel("us_aid_cuts", seed=1, world_name=world_name)
    edges = figures.layer_edges(model, "aid")
    usa = model.iso3.index("USA")
    assert sum(1 for i, _, _ in edges if i == usa) > 10
    assert len(edges) < 4 * model.n  # a readable number of lines, not every pair


def test_bri_edges_join_china_to_each_member(stepped):
    edges = figures.layer_edges(stepped, "BRI")
    china = stepped.iso3.index("CHN")
    members = {int(j) for j in np.flatnonzero(stepped.member_of("BRI"))} - {china}
    assert {i for i, _, _ in edges} == {china}
    assert {j for _, j, _ in edges} == members


def test_layer_edges_rejects_an_unknown_layer(stepped):
    with pytest.raises(ValueError, match="trade, alliance"):
        figures.layer_edges(stepped, "friendship")


def test_us_lean_fades_most_where_the_aid_cut_hit(fresh, stepped):
    # the quarter of observers that received the most US aid (allocation x need): the aid cut
    # withdraws most there
    usa = stepped.iso3.index("USA")
    share = stepped.aid_allocation[usa] / stepped.world.gdp
    order = [i for i in np.argsort(-share) if stepped.iso3[i] not in ("USA", "CHN")]
    hit = order[: len(order) // 4]
    rest = order[len(order) // 4 :]
    assert np.all(figures.lean_change(fresh, "USA", "CHN") == 0)
    moved = figures.lean_change(stepped, "USA", "CHN")
    assert moved[hit].mean() < min(moved[rest].mean(), 0)
    shown = figures.map_view(stepped, "USA", "CHN", (), colour="change", actor="USA")
    change = figures.attraction_change(stepped, "USA")
    assert shown.colour == "change" and np.nanmax(np.abs(change)) <= shown.limit
    assert shown.limit < figures.LEAN_LIMIT  # the scale fits the moves, not the leans


def test_lean_swaps_sign_when_the_poles_swap(stepped):
    np.testing.assert_allclose(
        figures.lean(stepped, "USA", "CHN"), -figures.lean(stepped, "CHN", "USA")
    )


def test_map_tooltips_name_score_rank_and_the_nations_sit_on_their_countries(stepped):
    shown = figures.map_view(stepped, "USA", "CHN", ("aid",))
    k = stepped.iso3.index("KEN")
    rank = stepped.recorder.rank[stepped.steps, k]
    assert (
        shown.titles["KEN"].startswith("Kenya (KEN): score ")
        and f"rank {rank};" in (shown.titles["KEN"])
    )
    assert set(shown.fills) == set(stepped.iso3)
    assert shown.edge_counts == {"aid": len(figures.layer_edges(stepped, "aid"))}
    # every nation is a country shape of the shared map module or a dot at its capital
    shapes = {s["iso3"] for s in svgmap.shapes()}
    dotted = {d["iso3"] for d in shown.dots}
    assert set(stepped.iso3) <= shapes | dotted and "SGP" in dotted
    # a point in Kenya's polygon (its label point) is Kenya for the hit test
    x, y = svgmap.to_svg(*maps.country_shapes()["KEN"].label_xy)
    assert svgmap.nation_at_svg(float(x), float(y)) == "KEN"


def test_map_redraw_follows_the_poles(stepped):
    first = figures.map_view(stepped, "USA", "CHN")
    other = figures.map_view(stepped, "DEU", "RUS")
    assert first.fills != other.fills
    assert "toward DEU" in other.alt or "toward RUS" in other.alt
    assert figures.map_view(stepped, "USA", "CHN") == first  # repeatable


def test_change_since_start_paints_the_side_that_moved(stepped):
    # Finding: with poles USA and RUS, "change since start" painted Europe "toward RUS" when it
    # was the US that fell. The change mode now shows each nation's attraction to one actor.
    lean_moved = figures.lean_change(stepped, "USA", "RUS")
    deu = stepped.iso3.index("DEU")
    assert lean_moved[deu] < 0  # the old colour: "toward RUS"
    shown = figures.map_view(stepped, "USA", "RUS", (), colour="change", actor="USA")
    us_moved = figures.attraction_change(stepped, "USA")
    assert shown.values["DEU"] == pytest.approx(us_moved[deu]) and us_moved[deu] < 0
    assert (shown.low, shown.high) == ("cooler toward USA", "warmer toward USA")
    assert "RUS" not in shown.what and "attraction to United States" in shown.what
    assert "United States" in shown.what and np.isnan(shown.values["USA"])  # not itself
    russia = figures.map_view(stepped, "USA", "RUS", (), colour="change", actor="RUS")
    assert abs(russia.values["DEU"]) < abs(shown.values["DEU"])  # Russia hardly moved


def test_the_views_attraction_is_the_models_own_bit_for_bit(fresh, stepped):
    # The views read the recorder's array of the last step instead of computing it again.
    for model in (fresh, stepped):
        assert np.array_equal(figures.attraction_now(model), model.attraction())
    model = AppModel("us_aid_cuts", seed=4, compare_with="baseline")
    for _ in range(3):
        advance(model, 2)
        assert np.array_equal(figures.attraction_now(model), model.attraction())
        assert np.array_equal(figures.attraction_now(model.twin), model.twin.attraction())


def test_score_chart_shows_the_steps_so_far(fresh, stepped):
    chart = figures.ScoreChart()
    start = chart.draw(fresh, ["USA", "CHN"])
    later = chart.draw(stepped, ["USA", "CHN"])
    assert later != start
    assert b"2026-Q3" in later and b"2025-Q1" in start  # the date of the step drawn
    assert chart.draw(fresh, ["USA", "CHN"]) == start


@pytest.mark.parametrize(("low", "high"), [(52.3, 80.1), (0.0, 100.0), (71.2, 71.9), (3, 4)])
def test_nice_ticks_are_round_inside_the_axis_and_few(low, high):
    from sim.viz.scorechart import nice_ticks

    ticks = nice_ticks(low, high)
    assert 2 <= len(ticks) <= 6 and ticks == sorted(ticks)
    assert low - 1e-9 <= ticks[0] and ticks[-1] <= high + 1e-9
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
    assert np.allclose(np.diff(ticks), step)


def test_score_chart_is_svg_with_a_line_and_legend_per_nation(stepped):
    import xml.etree.ElementTree as ET

    model = AppModel("us_aid_cuts", seed=1, compare_with="baseline")
    advance(model, 5)
    nations = ["USA", "CHN", "DEU", "XXX"]  # a code outside the world is left out
    image = figures.ScoreChart().draw(model, nations, model.twin)
    root = ET.fromstring(image)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("width") == "302.4pt" and root.get("viewBox") == "0 0 302.4 223.2"
    lines = root.findall(f"{ns}polyline")
    mine = [x for x in lines if x.get("stroke-width") == "1.6"]
    theirs = [x for x in lines if x.get("stroke-dasharray") == "2,2"]
    assert len(mine) == len(theirs) == 3
    assert all(len(x.get("points").split()) == model.steps + 1 for x in mine + theirs)
    texts = [t.text for t in root.iter(f"{ns}text")]
    for code in ("USA", "CHN", "DEU"):
        now = model.recorder.score[model.steps, model.iso3.index(code)]
        assert f"{code} {now:.1f}" in texts
    assert "soft power score (0–100)" in texts and model.spec.date(5) in texts
    assert any(t.startswith("dashed: Baseline") for t in texts)
    # the line of the highest score is drawn highest (SVG y grows downwards)
    last_y = [float(x.get("points").split()[-1].split(",")[1]) for x in mine]
    scores = [model.recorder.score[5, model.iso3.index(c)] for c in ("USA", "CHN", "DEU")]
    assert np.argmin(last_y) == np.argmax(scores)
    with pytest.raises(ValueError, match="unknown measure"):
        figures.ScoreChart().draw(model, nations, measure="fame")


def test_score_chart_tells_eight_nations_apart_without_colour(stepped):
    import xml.etree.ElementTree as ET

    nations = ["USA", "CHN", "DEU", "GBR", "JPN", "IND", "FRA", "BRA"]
    root = ET.fromstring(figures.ScoreChart().draw(stepped, nations, measure="reputation"))
    ns = "{http://www.w3.org/2000/svg}"
    lines = [x for x in root.findall(f"{ns}polyline") if x.get("stroke-width") == "1.6"]
    assert len(lines) == 8
    styles = {(x.get("stroke"), x.get("stroke-dasharray")) for x in lines}
    assert len(styles) == 8  # the eighth has the first's colour, dashed
    shapes = root.findall(f"{ns}circle") + root.findall(f"{ns}polygon")
    assert len(shapes) == 2 * 8  # a marker at each line's end and in its legend entry
    assert "reputation (0–100)" in [t.text for t in root.iter(f"{ns}text")]


def test_perception_by_region_covers_every_region_and_starts_unchanged(fresh, stepped):
    model = fresh
    regions, now, change = figures.perception_by_region(model, "USA")
    assert regions == sorted(set(model.world.region))
    assert now.shape == change.shape == (len(regions), 3)
    assert np.all(change == 0) and np.all(np.abs(now) <= 1)
    _, later, moved = figures.perception_by_region(stepped, "USA")
    np.testing.assert_allclose(later - now, moved)


def test_top_table_lists_ten_nations_in_rank_order(stepped):
    rows = figures.top_table(stepped)
    assert [r.rank for r in rows] == list(range(1, 11))
    assert rows[0].score >= rows[-1].score
    usa = next(r for r in rows if r.iso3 == "USA")
    k = stepped.iso3.index("USA")
    assert usa.score_change == pytest.approx(
        stepped.recorder.score[6, k] - stepped.recorder.score[0, k]
    )


def test_event_feed_is_newest_first_and_marks_decisions(stepped):
    feed = figures.event_feed(stepped, limit=None)
    assert len(feed) == len(stepped.recorder.events)
    assert [e.step for e in feed] == sorted((e.step for e in feed), reverse=True)
    assert any(e.kind == "capacity" and e.actor == "USA" for e in feed)
    assert all(e.is_decision == e.kind.startswith("decision_") for e in feed)


def test_inspector_reads_the_nation_agent(stepped):
    view = figures.inspect_nation(stepped, "KEN")
    nation = stepped.nations[stepped.iso3.index("KEN")]
    assert view.memberships == nation.memberships
    assert [now for now, _ in view.capacity.values()] == list(nation.capacity)
    assert view.leans_to[0][1] >= view.leans_to[-1][1] and "KEN" not in dict(view.leans_to)
    assert set(view.audiences) == {"youth", "public", "elite"}
    assert view.credibility["USA"] == nation.credibility_of("USA")


def test_view_settings_fall_back_to_nations_of_the_world():
    fitted = ViewSettings(pole_a="XXX", nations=("YYY",)).fitted(["AAA", "BBB", "CCC"])
    assert (fitted.pole_a, fitted.pole_b, fitted.nations) == ("AAA", "BBB", ("AAA", "BBB", "CCC"))


# ---------------------------------------------------------------------- the page, headless


def html_of(rc, css_class: str) -> str:
    """Inner HTML of the one solara.HTML widget with ``css_class``."""
    found = [
        w.unsafe_innerHTML
        for w in rc.find(solara.widgets.HTML).widgets
        if css_class in w.attributes.get("class", "").split()
    ]
    assert len(found) == 1, f"{len(found)} HTML widgets with class {css_class}"
    return found[0]


@pytest.fixture
def page():
    from sim.viz.app import Layout, Page

    box, rc = solara.render(Layout(children=[Page()]), handle_error=False)
    yield rc
    rc.close()


def set_value(found, value) -> None:
    """Set the value of the one widget ``found`` (as the browser does when a student picks)."""
    found.assert_single()
    found.widget.v_model = value


def type_seed(rc, text: str, label: str = "Seed") -> None:
    """Type ``text`` in the seed box and leave it (the browser sends the text with the box's
    ``change`` event on leaving it or on Enter)."""
    found = [w for w in rc.find(v.TextField).widgets if w.label.startswith(label)]
    assert len(found) == 1  # "Seed" or "Seed (pending)"
    found[0].v_model = text
    found[0].fire_event("change", text)


def click(rc, label: str) -> None:
    """Click the button ``label`` (Reset, ▶ and Step are drawn twice, in the sidebar and in the
    bar a narrow window shows above the map; both copies are one `Player`'s).
    """
    buttons = rc.find(v.Btn, children=[label]).widgets
    assert len(buttons) in (1, 2), f"{len(buttons)} buttons {label}"
    assert len({b.disabled for b in buttons}) == 1  # the copies agree
    buttons[0].click()


def world_map(rc):
    """The map's widget (the Vue template of `sim.viz.components.WorldMap`)."""
    found = [w for w in rc.find(ipyvue.VueTemplate).widgets if hasattr(w, "fills")]
    assert len(found) == 1
    return found[0]


def html_of_all(rc) -> str:
    """Text of every alert of the page (pending inputs and the like)."""
    return " ".join(str(w.children) for w in rc.find(v.Alert).widgets)


def header(rc) -> str:
    return html_of(rc, "softpower-header")


def quarter_status(rc) -> str:
    """The controller's "Quarter 2026-Q3 · step N of 40" line."""
    return html.unescape(html_of(rc, "softpower-quarter"))


def test_step_advances_the_model_and_recolours_the_map_and_redraws_the_chart(page):
    fills_before = dict(world_map(page).fills)
    chart_before = html_of(page, "softpower-scores-box")
    assert "step 0 of 40" in header(page)
    click(page, "Step")
    click(page, "Step")
    assert "step 2 of 40" in header(page)
    # Finding 4: "Time: 2.0" became the quarter a student reads
    assert quarter_status(page) == "Quarter 2025-Q3 · step 2 of 40 · world un193"
    assert world_map(page).fills != fills_before
    assert html_of(page, "softpower-scores-box") != chart_before


def test_the_map_is_drawn_from_the_shared_map_module_and_fits_its_card(page):
    shown = world_map(page)
    assert len(shown.shapes) == len(svgmap.shapes()) > 150  # country polygons
    assert shown.viewbox == svgmap.view_box()
    # Finding: the map was an 860 px wide image, cut off at 1024 and 1280 px.
    template = (REPO / "sim" / "viz" / "worldmap.vue").read_text()
    assert "width: 100%" in template and "860" not in template


@pytest.mark.slow
@pytest.mark.parametrize("interval", [3, 11])
def test_step_with_any_render_interval_stops_cleanly_at_the_last_quarter(page, interval):
    # Finding: with a render interval above 1, Step ran past quarter 40 into a traceback.
    set_value(page.find(v.Slider, label="Quarters per step"), interval)
    for _ in range(40 // interval + 2):
        button = page.find(v.Btn, children=["Step"]).widgets[0]
        if button.disabled:
            break
        button.click()
    assert "step 40 of 40" in header(page) and "finished" in header(page)
    assert page.find(v.Btn, children=["Step"]).widgets[0].disabled
    assert not page.find(v.Alert, type="error").widgets  # no error box


def test_play_speed_and_quarters_per_step_show_their_values_and_take_every_whole_number(page):
    # Finding 14: the Play and Render Interval sliders showed no value; Quarters per step moved
    # by 2 from 1 to 100 (no 2 or 4 quarters, a year; 60 past the scenario's last quarter).
    def values() -> list[str]:
        found = page.find(ipyvue.Html, class_="softpower-slider-value").widgets
        return [str(w.children[0]) for w in found]

    assert values() == [
        "150 ms between two steps of Play",
        "1 quarter per click of Step or beat of Play",
    ]
    quarters = page.find(v.Slider, label="Quarters per step").widget
    assert (quarters.min, quarters.step, quarters.max) == (1, 1, 40)  # 40: the horizon
    quarters.v_model = 4
    assert values()[1] == "4 quarters per click of Step or beat of Play"
    set_value(page.find(v.Select, label="Scenario"), "america_first")
    click(page, "Reset")
    assert (
        page.find(v.Slider, label="Quarters per step").widget.max
        == AppModel("america_first").horizon
    )


def test_a_step_starts_no_thread_for_the_downloads(page, monkeypatch):
    # Finding 14 (eight students at once): Solara's FileDownload started a thread whenever its
    # data changed, and the chart's picture, the map's file and the tables' zip changed at
    # every step, each thread's result another pass over the whole page.
    import threading

    started: list[str] = []
    start = threading.Thread.start

    def counted(thread) -> None:
        started.append(thread.name)
        start(thread)

    click(page, "Step")
    monkeypatch.setattr(threading.Thread, "start", counted)
    for _ in range(3):
        click(page, "Step")
    assert "step 4 of 40" in header(page)
    assert started == []
    labels = ("Download tables (zip)", "Download the chart (SVG)", "Download the map (SVG)")
    shown = [child for b in page.find(v.Btn).widgets for child in b.children]
    assert all(label in shown for label in labels)  # still there: a click makes the file


def test_the_app_model_stops_instead_of_stepping_past_its_end():
    model = AppModel("us_aid_cuts")
    assert advance(model, 7) == 7 and model.steps == 7
    assert advance(model, 100) == model.horizon - 7
    assert model.steps == model.horizon and not model.running
    score = model.recorder.score[model.horizon].copy()
    assert advance(model, 3) == 0  # the controller may ask again: nothing happens, nothing raises
    assert model.steps == model.horizon
    np.testing.assert_array_equal(model.recorder.score[model.horizon], score)
    with pytest.raises(StepPastEndError):  # a plain step still refuses, as in any model
        model.step()


@pytest.mark.slow
def test_reset_loads_the_selected_scenario_seed_and_slider_values(page):
    set_value(page.find(v.Select, label="Scenario"), "us_aid_cuts")
    set_value(page.find(v.Slider, label="Stubbornness"), 0.3)
    click(page, "Step")
    assert "Baseline" in header(page)  # not before Reset
    click(page, "Reset")
    assert "US foreign aid cuts" in header(page) and "step 0 of 40" in header(page)
    assert "<b>Stubbornness</b> 0.3" in header(page)
    click(page, "Step")
    assert "The United States cuts its aid capacity" in html_of(page, "softpower-story")
    assert "United States" in html_of(page, "softpower-events")


def test_choices_waiting_for_reset_say_they_are_pending(page):
    # Finding: choices did nothing until Reset, with no sign that they were pending.
    assert "Pending" not in " ".join(str(w.children) for w in page.find(v.Alert).widgets)
    set_value(page.find(v.Select, label="Scenario"), "us_aid_cuts")
    alerts = " ".join(str(w.children) for w in page.find(v.Alert).widgets)
    assert "Pending until you press Reset: Scenario US foreign aid cuts, 2025" in alerts
    page.find(v.Select, label="Scenario (pending)").assert_single()
    click(page, "Reset")
    alerts = " ".join(str(w.children) for w in page.find(v.Alert).widgets)
    assert "Pending" not in alerts


@pytest.mark.slow
def test_the_seed_is_typed_by_hand_and_defaults_come_back(page):
    # Findings: the seed was a 0-999 slider that could not be set by hand; no way back to
    # the defaults.
    type_seed(page, "4242")
    set_value(page.find(v.Slider, label="Stubbornness"), 0.3)
    click(page, "Reset")
    assert "seed 4242" in header(page) and "<b>Stubbornness</b> 0.3" in header(page)
    click(page, "Back to defaults")
    alerts = " ".join(str(w.children) for w in page.find(v.Alert).widgets)
    assert "Seed 0" in alerts and "Stubbornness 0.1" in alerts  # pending until Reset
    click(page, "Reset")
    assert "seed 0" in header(page) and "<b>Stubbornness</b>" not in header(page)


def test_sliders_show_their_value_unit_and_a_help_line_from_the_registry(page):
    # Finding: the sliders showed no values and nothing said what a parameter does.
    for name in KEY_PARAMETERS:
        p = REGISTRY[name]
        text = html_of(page, f"softpower-help-{name}")
        assert f"<b>{p.default:g}" in text
        assert html.escape(words.parameter_help(name), quote=True) in text
        assert not set("θκνλεΔ") & set(text)  # symbols only in the modellers' fold
        assert html.escape(p.meaning) in html_of(page, "softpower-modellers")
        if p.unit != "1":
            assert p.unit in text
    set_value(page.find(v.Slider, label="Stubbornness"), 0.3)
    assert "<b>0.3</b>" in html_of(page, "softpower-help-stubbornness")


@pytest.mark.slow
def test_each_quarter_is_told_in_plain_sentences(page):
    set_value(page.find(v.Select, label="Scenario"), "us_aid_cuts")
    click(page, "Reset")
    click(page, "Step")
    story = html_of(page, "softpower-story")
    assert "The United States cuts its aid capacity from 1.00 to 0.43" in story
    for _ in range(2):
        click(page, "Step")
    # Finding: events read as code ("credibility shock USA → DNK bad 0.68").
    set_value(page.find(v.Select, label="Scenario"), "america_first")
    click(page, "Reset")
    click(page, "Step")
    events = html_of(page, "softpower-events")
    assert "credibility shock" not in events and "→" not in events
    model = SoftPowerModel(steps=1, rng=0)
    told = narrative.event_sentence(model, "threat", "USA", "DNK", "severity 1.00")
    assert "Denmark loses trust in the United States" in told and "annexation" in told


def test_clicking_a_country_opens_it_in_the_inspector(page):
    # Finding: nations could not be picked by clicking the map.
    shown = world_map(page)
    x, y = svgmap.to_svg(*maps.country_shapes()["BRA"].label_xy)
    shown.vue_pick({"x": float(x), "y": float(y)})
    assert "Brazil (BRA)" in html_of(page, "softpower-inspector")
    assert world_map(page).selected == "BRA"
    # a small state is a dot at its capital: the hit test finds it there
    assert "SGP" in {d["iso3"] for d in world_map(page).dots}
    lat, lon = 1.29, 103.85  # Singapore, on the coarse outline of Malaysia
    x, y = svgmap.to_svg(*maps.equal_earth(lon, lat))
    world_map(page).vue_pick({"x": float(x), "y": float(y)})
    assert "Singapore (SGP)" in html_of(page, "softpower-inspector")


def test_the_inspector_explains_credibility(page):
    # Finding: "Credibility it gives: USA 0.40" was unexplained.
    assert narrative.CREDIBILITY_HELP in html_of(page, "softpower-inspector").replace("&#x27;", "'")


@pytest.mark.slow
def test_compare_mode_runs_two_scenarios_with_the_same_seed_side_by_side(page):
    set_value(page.find(v.Select, label="Scenario"), "us_aid_cuts")
    set_value(page.find(v.Select, label="Compare with"), "baseline")
    click(page, "Reset")
    click(page, "Step")
    click(page, "Step")
    assert "Comparing with <b>Baseline" in header(page) and "step 2 of 40" in header(page)
    table = html_of(page, "softpower-compare")
    assert "step 2" in table and "this run" in table
    page.find(v.Btn, children=["difference between runs"]).assert_single()
    app_model = AppModel("us_aid_cuts", seed=0, compare_with="baseline")
    app_model.step()
    app_model.step()
    alone = AppModel("baseline", seed=0)
    alone.step()
    alone.step()
    np.testing.assert_array_equal(app_model.twin.recorder.score[2], alone.recorder.score[2])


def test_the_solara_badge_is_off_and_captions_follow_the_theme(page):
    # Findings: the badge covered the events list; grey captions were unreadable in dark mode.
    import solara.server.settings

    assert solara.server.settings.theme.show_banner is False
    texts = [w.unsafe_innerHTML for w in page.find(solara.widgets.HTML).widgets]
    assert texts and not any("color:#555" in t for t in texts)


@pytest.fixture(scope="module")
def dashboard_page(stepped):
    view = solara.reactive(ViewSettings())
    box, rc = solara.render(Dashboard(stepped, view), handle_error=False)
    yield rc, view
    rc.close()


@pytest.fixture
def dashboard(dashboard_page):
    """The views of one model, rendered once; each test starts from the default view."""
    rc, view = dashboard_page
    view.set(ViewSettings())
    return rc, view


def test_nation_pickers_are_searchable(dashboard):
    # Finding: the drop-downs were not searchable: typing "United S" picked the UAE. An
    # autocomplete filters by any part of the label instead.
    rc, view = dashboard
    picker = rc.find(v.Autocomplete, label="Pole A (blue)")
    picker.assert_single()
    items = picker.widget.items
    assert [i for i in items if "united s" in i.lower()] == ["United States (USA)"]
    set_value(picker, "Germany (DEU)")
    assert view.value.pole_a == "DEU"
    assert "<b>Lean now: attraction to DEU" in html_of(rc, "softpower-map-legend")


def test_layer_toggles_add_and_remove_edges(dashboard):
    rc, view = dashboard
    assert "trade" not in html_of(rc, "softpower-map-legend")
    set_value(rc.find(v.Checkbox, label="trade"), True)
    assert "trade" in view.value.layers
    assert "trade (≥ 10%)" in html_of(rc, "softpower-map-legend")
    assert len(world_map(rc).edges) >= 1
    set_value(rc.find(v.Checkbox, label="BRI"), False)
    assert "BRI membership" not in html_of(rc, "softpower-map-legend")


def test_perception_and_inspector_follow_their_selectors(dashboard):
    rc, _ = dashboard
    assert "Perception of USA" in html_of(rc, "softpower-perception")
    set_value(rc.find(v.Autocomplete, label="Perception of"), "China (CHN)")
    assert "Perception of CHN" in html_of(rc, "softpower-perception")
    set_value(rc.find(v.Autocomplete, label="Nation"), "Brazil (BRA)")
    inspector = html_of(rc, "softpower-inspector")
    assert "Brazil (BRA)" in inspector and "Member of:" in inspector


def test_change_since_start_is_one_click_away_and_names_its_actor(dashboard):
    rc, view = dashboard
    assert "Lean now" in html_of(rc, "softpower-map-legend")
    rc.find(v.Btn, children=["change since start"]).assert_single()
    set_value(rc.find(v.BtnToggle), 1)  # the second button, as a click in the browser does
    assert view.value.colour == "change"
    legend = html_of(rc, "softpower-map-legend")
    assert "Change since the start in each nation&#x27;s attraction to United States" in legend
    assert "cooler toward USA" in legend
    set_value(rc.find(v.Autocomplete, label="Attraction to"), "Russia (RUS)")
    assert "warmer toward RUS" in html_of(rc, "softpower-map-legend")


def test_top_ten_table_shows_ten_rows(dashboard):
    rc, _ = dashboard
    table = html_of(rc, "softpower-top10")
    assert table.count("<tr>") == 11  # header and ten nations
    assert "<b>USA</b>" in table


# ---------------------------------------------------------------------- poll units and worlds


def test_inspector_says_what_a_poll_would_find(stepped, dashboard):
    rc, _ = dashboard
    kenya = stepped.iso3.index("KEN")
    usa, chn = stepped.iso3.index("USA"), stepped.iso3.index("CHN")
    share = stepped.favourable()
    inspector = html_of(rc, "softpower-inspector")
    assert f"favourable view of United States in Kenya: <b>{share[kenya, usa]:.0f} %</b>" in (
        inspector
    )
    assert f"favourable view of China in Kenya: <b>{share[kenya, chn]:.0f} %</b>" in inspector
    shown = figures.inspect_nation(stepped, "KEN")
    assert shown.familiarity == pytest.approx(stepped.familiarity()[kenya])
    assert shown.reputation == pytest.approx(stepped.reputation()[kenya])


def test_map_colours_the_favourable_view_of_an_actor_on_a_sequential_scale(stepped, dashboard):
    shown = figures.map_view(stepped, colour="favourable", actor="CHN")
    chn = stepped.iso3.index("CHN")
    share = stepped.favourable()[:, chn]
    assert np.isnan(shown.values["CHN"])
    assert shown.values["KEN"] == pytest.approx(share[stepped.iso3.index("KEN")])
    assert shown.fills["CHN"] == palette.MISSING
    assert shown.gradient == svgmap.gradient_css(figures.FAVOURABLE_CMAP)
    # higher share, later (lighter) colour of the sequential map
    low, high = np.nanargmin(share), np.nanargmax(np.where(np.arange(len(share)) == chn, -1, share))
    lut = svgmap.sequential_hex([0, 100], 0.0, 100.0, cmap=figures.FAVOURABLE_CMAP)
    assert shown.fills[stepped.iso3[low]] != shown.fills[stepped.iso3[high]]
    assert lut[0] != lut[1]
    assert "favourable view of CHN" in shown.titles["KEN"]
    rc, view = dashboard
    rc.find(v.Btn, children=["favourable view"]).assert_single()
    set_value(rc.find(v.BtnToggle), 2)
    assert view.value.colour == "favourable"
    set_value(rc.find(v.Autocomplete, label="Favourable view of"), "China (CHN)")
    legend = html_of(rc, "softpower-map-legend")
    assert "Favourable view of China (CHN)" in legend and "0 to 100 %" in legend


def test_top_ten_and_chart_show_familiarity_and_reputation(stepped, dashboard):
    rows = figures.top_table(stepped, 10)
    i = stepped.iso3.index(rows[0].iso3)
    assert rows[0].familiarity == pytest.approx(stepped.recorder.familiarity[stepped.steps, i])
    assert rows[0].reputation == pytest.approx(stepped.recorder.reputation[stepped.steps, i])
    rc, view = dashboard
    assert "famil." in html_of(rc, "softpower-top10")
    before = html_of(rc, "softpower-scores-box")
    set_value(rc.find(v.Select, label="Show"), "reputation")
    assert view.value.measure == "reputation"
    after = html_of(rc, "softpower-scores-box")
    assert after != before and "reputation (0–100) over time" in after


def test_world_input_builds_a_model_of_the_chosen_world():
    params = model_params()
    assert params["world_name"]["values"] == ["core60", "un193"]
    assert params["world_name"]["value"] == DEFAULT_WORLD
    model = AppModel("us_aid_cuts", seed=1, world_name="core60")
    assert model.n == 60 and model.world_name == "core60"
    assert model.inputs["world_name"] == "core60"
    model.step()
    assert model.steps == 1
    with pytest.raises(Exception, match="unknown world"):
        AppModel(world_name="mars")


def test_app_command_passes_the_world_to_the_server(monkeypatch):
    from sim.viz import server

    seen = {}
    monkeypatch.setattr(server, "serve", lambda **kw: seen.update(kw))
    result = CliRunner().invoke(cli, ["app", "--world", "core60", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert seen["world"] == "core60"
    env = server.server_env(world="core60")
    assert env["SOFTPOWER_WORLD"] == "core60"


def test_the_server_imports_the_package_of_the_process_that_starts_it(tmp_path):
    # A git worktree borrowing another checkout's editable install served (and its browser
    # tests tested) the other checkout's app: `softpower` imported the installed package.
    import subprocess

    import sim
    from sim.viz import server

    env = server.server_env()
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(server.PACKAGE_ROOT)
    shown = subprocess.run(
        [sys.executable, "-c", "import sim; print(sim.__file__)"],
        env=env,
        cwd=tmp_path,  # not the checkout: the path must come from the environment
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(shown).resolve() == Path(sim.__file__).resolve()


def test_the_app_opens_on_the_default_world_unless_started_on_another(monkeypatch):
    from sim.viz.library import WORLD_ENV, app_world

    monkeypatch.delenv(WORLD_ENV, raising=False)
    assert app_world() == DEFAULT_WORLD == "un193"
    assert AppModel().world_name == DEFAULT_WORLD
    assert "--world un193 give the same numbers" in model_params()["seed"]["help"]
    monkeypatch.setenv(WORLD_ENV, "core60")  # what `softpower app --world core60` sets
    assert app_world() == "core60" and model_params()["world_name"]["value"] == "core60"
    model = AppModel()
    assert model.world_name == "core60" and model.n == 60


def test_the_world_choice_waits_for_reset_and_the_views_follow(page):
    other = "core60"
    set_value(page.find(v.Select, label="World"), other)
    assert "Pending until you press Reset: World " + other in html_of_all(page)
    click(page, "Reset")
    n = len(AppModel(world_name=other).iso3)
    assert f"world {other} ({n} nations)" in header(page)
    click(page, "Step")
    assert "step 1 of 40" in header(page)
    assert len(world_map(page).fills) == n


# ---------------------------------------------------------------------- never broken by a student


def test_a_reader_holding_the_lock_keeps_play_from_stepping_under_it():
    # Finding 1: Play stepped the model in its own thread while a view read `model.steps` twice
    # ("shape mismatch (12,) and (13,)"). Stepping and reading now take the model's lock.
    import threading

    model = AppModel("us_aid_cuts", seed=2)
    with model_lock(model):
        before = model.steps
        player = threading.Thread(target=advance, args=(model, 3))
        player.start()
        player.join(0.5)
        assert model.steps == before  # the step waits for the reader
        image = figures.ScoreChart().draw(model, ["USA", "CHN"])  # one consistent step
    player.join()
    assert model.steps == before + 3 and image.startswith(b"<?xml")


@pytest.mark.slow
def test_drawing_while_play_steps_in_another_thread_never_mixes_two_steps():
    import threading

    model = AppModel("us_aid_cuts", seed=3)
    chart = figures.ScoreChart()
    failures: list[BaseException] = []

    def play() -> None:
        while model.running:
            advance(model, 1)

    player = threading.Thread(target=play)
    player.start()
    draws = 0
    while player.is_alive() or draws == 0:
        try:
            with model_lock(model):
                chart.draw(model, ["USA", "CHN", "DEU"])
                figures.map_view(model)
                figures.top_table(model)
                narrative.quarter_story(model)
        except Exception as exc:  # pragma: no cover - what the lock prevents
            failures.append(exc)
        draws += 1
    player.join()
    assert failures == [] and model.steps == model.horizon


@solara.component
def Broken():
    raise ValueError("shape mismatch (12,) and (13,)\nsecond line")


@solara.component
def BrokenAndFine():
    with solara.Column() as main:
        Guarded("Soft power over time", 0, lambda: Broken())
        Guarded("Top 10", 0, lambda: solara.Text("the top ten"))
    return main


def test_a_view_that_fails_shows_one_line_in_its_own_box_and_the_page_goes_on():
    box, rc = solara.render(BrokenAndFine(), handle_error=False)
    try:
        alerts = [w for w in rc.find(v.Alert).widgets if "softpower-view-error" in w.class_]
        assert len(alerts) == 1
        text = str(alerts[0].children)
        assert "Soft power over time could not be drawn this time: shape mismatch" in text
        assert "second line" not in text and "Traceback" not in text
        rc.find(v.Html, children=["the top ten"]).assert_single()  # the neighbour still shows
    finally:
        rc.close()


@pytest.mark.parametrize("typed", ["abc", "1.5", "1e3", "-1", "99999999999", ""])
def test_a_seed_that_is_not_a_whole_number_in_range_is_refused(typed):
    with pytest.raises(ValueError, match="whole number from 0 to 4294967295"):
        parse_seed(typed)
    assert parse_seed(" 42 ") == 42 and parse_seed(4294967295) == 4294967295


@pytest.mark.slow
def test_an_invalid_seed_turns_reset_off_and_never_runs_a_stale_seed(page):
    # Finding 10: "abc" showed a red message but Reset silently reused the old seed; -1 became
    # 0 and 99999999999 became 4294967295 without a word.
    type_seed(page, "7")
    click(page, "Reset")
    assert "seed 7" in header(page)
    for typed in ("abc", "1.5", "1e3", "-1", "99999999999"):
        type_seed(page, typed)
        reset = page.find(v.Btn, children=["Reset"]).widgets[0]
        assert reset.disabled
        alerts = html_of_all(page)
        assert "Reset is off: Seed: the seed must be a whole number" in alerts
        assert page.find(v.TextField, label="Seed (pending)").widget.v_model == typed
        reset.click()  # a click sent before the button turned grey: refused, with the reason
        assert "seed 7 ·" in header(page) and "step 0 of 40" in header(page)
    type_seed(page, "12")
    assert not page.find(v.Btn, children=["Reset"]).widgets[0].disabled
    click(page, "Reset")
    assert "seed 12 ·" in header(page)
    assert page.find(v.TextField, label="Seed").widget.v_model == "12"
    assert "Reset is off" not in html_of_all(page)


@pytest.mark.slow
def test_a_seed_half_typed_during_a_step_stays_and_the_commit_takes_the_browsers_text(page):
    # Finding 10, fast typing: a step drawn while a student typed put the committed seed back
    # in the box (the keys typed so far were lost); and the commit read the server's copy of
    # the text, which on a busy server lags a key behind the page ("-1" arrived as "-").
    seed = [w for w in page.find(v.TextField).widgets if w.label.startswith("Seed")][0]
    seed.v_model = "12"  # the page synced the keys typed so far
    click(page, "Step")
    click(page, "Step")
    assert "step 2 of 40" in header(page)
    assert seed.v_model == "12"  # the steps left the half-typed text alone
    seed.fire_event("change", "123")  # Enter: the browser sends its text; the copy says "12"
    click(page, "Reset")
    assert "seed 123 ·" in header(page)
    seed = [w for w in page.find(v.TextField).widgets if w.label.startswith("Seed")][0]
    seed.v_model = "-1"
    seed.fire_event("change", "-1")
    assert "Reset is off: Seed: the seed must be a whole number" in html_of_all(page)
    click(page, "Step")
    assert seed.v_model == "-1"  # a refused seed stays as typed, whatever the page redraws
    click(page, "Back to defaults")
    seed = [w for w in page.find(v.TextField).widgets if w.label.startswith("Seed")][0]
    assert seed.v_model == "0"  # a change from outside the box is shown in it


@pytest.mark.slow
def test_a_step_of_seven_quarters_tells_the_whole_period(page):
    # Finding 7: at a render interval of 7 "What happened" told only the last quarter.
    set_value(page.find(v.Select, label="Scenario"), "america_first")
    click(page, "Reset")
    set_value(page.find(v.Slider, label="Quarters per step"), 7)
    click(page, "Step")
    story = html.unescape(html_of(page, "softpower-story"))
    assert "Largest score moves over 7 quarters" in story
    assert "The United States leaves the Paris Agreement." in story  # quarter 1, not only 7
    titles = " ".join(str(w.children) for w in page.find(v.CardTitle).widgets)
    assert "What happened from 2025-Q2 to 2026-Q4 (7 quarters)" in titles
    set_value(page.find(v.Slider, label="Quarters per step"), 1)
    click(page, "Step")
    story = html.unescape(html_of(page, "softpower-story"))
    assert "over 7 quarters" not in story
    titles = " ".join(str(w.children) for w in page.find(v.CardTitle).widgets)
    assert "What happened in 2027-Q1" in titles


def test_a_typed_nation_means_what_it_says_and_an_empty_box_means_none(stepped):
    # Finding 11: clearing Pole A and pressing Enter picked Algeria (the first of the list).
    labels = nation_labels(stepped)
    assert match_nation("", labels) is None and match_nation("   ", labels) is None
    assert match_nation(None, labels) is None
    assert match_nation("zzzz", labels) is None
    assert match_nation("United S", labels) == "USA"
    assert match_nation("ken", labels) == "KEN"  # the code
    assert match_nation("Braz", labels) == "BRA"
    assert match_nation("Kenya (KEN)", labels) == "KEN"


def test_the_inspector_lists_attraction_and_repulsion_apart_and_names_groups(stepped, dashboard):
    # Finding 12: "Leans to" listed negative attractions; "lean +1.12" followed "[−1, 1]";
    # raw membership IDs (OECD_DAC, Rio_Treaty_TIAR).
    for code in stepped.iso3[:30]:
        shown = figures.inspect_nation(stepped, code)
        assert all(v > 0 for _, v in shown.leans_to)
        assert all(v < 0 for _, v in shown.leans_away)
    rc, view = dashboard
    set_value(rc.find(v.Autocomplete, label="Nation"), "United States (USA)")
    inspector = html.unescape(html_of(rc, "softpower-inspector"))
    assert "OECD Development Assistance Committee" in inspector and "OECD_DAC" not in inspector
    assert "Rio Treaty (TIAR)" in inspector and "Rio_Treaty_TIAR" not in inspector
    assert "Paris Agreement" in inspector and "PARIS" not in inspector
    assert "Leans to (attraction in [−1, 1]); lean" not in inspector
    assert re.search(r"Lean between USA and CHN: <b>[+−]?\d\.\d\d</b>", inspector)
    assert "from −2 to 2" in inspector


def test_nauru_lies_in_micronesia_as_un_m49_says():
    # Finding 13: Nauru was in "Polynesia".
    import csv

    with (REPO / "sim" / "data" / "un193" / "countries.csv").open(encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["iso3"] == "NRU")
    assert row["un_region"] == "Micronesia"
    assert "UN M49" in row["source"] and "unstats.un.org" in row["source"]
    model_world = AppModel(world_name="un193").world
    assert model_world.region[list(model_world.iso3).index("NRU")] == "Micronesia"


def test_the_page_speaks_a_students_words(page):
    # Finding 4: slider help in symbols, code names, file names in the scenario picker, file
    # paths in descriptions, nothing saying what the 0-100 score is, "Time: 40.0".
    picker = page.find(v.Select, label="Scenario").widget
    shown = {item["value"]: item["text"] for item in picker.items}
    assert shown["us_aid_cuts"] == "US foreign aid cuts, 2025"
    assert all(text != value for value, text in shown.items())  # titles, not file names
    labels = [w.label for w in page.find(v.Slider).widgets]
    assert "Stubbornness" in labels and "Openness of the young" in labels
    assert not [label for label in labels if "_" in label]
    set_value(page.find(v.Select, label="Scenario"), "us_aid_cuts")
    click(page, "Reset")
    assert ".csv" not in header(page) and "docs/" not in header(page)
    assert "cancelled 83 % of USAID programmes" in header(page)
    help_text = html.unescape(html_of(page, "softpower-looking-at"))
    for term in ("Soft power score (0–100)", "Familiarity", "Reputation", "Favourable view"):
        assert term in help_text
    page.find(v.ExpansionPanelHeader, children=["What am I looking at?"]).assert_single()
    assert quarter_status(page).startswith("Quarter 2025-Q1 · step 0 of 40")
    titles = [w.attributes.get("title", "") for w in page.find(v.Btn).widgets]
    assert "Move on by as many quarters as Quarters per step says" in titles
    assert not [t for t in titles if "render interval" in t.lower()]  # Mesa's word, not theirs


def test_the_page_says_which_world_it_shows_and_how_to_get_the_same_numbers(page):
    # Finding 3 of issue 24 and item 7 of issue 20: the app opened on core60 while
    # `softpower run` defaults to un193. It now opens on the one default world, and says so.
    world = html.unescape(header(page))
    assert "softpower-world" in world
    assert "world un193 (196 nations)" in world
    assert "World un193: the whole world, 196 nations, the default of the app and the " in world
    assert "softpower run scenarios/baseline.yaml --seed 0 --world un193" in world
    seed_help = html.unescape(html_of(page, "softpower-help-seed"))
    assert "--seed N --world un193 give the same numbers" in seed_help
    for view in ("softpower-top10", "softpower-perception", "softpower-inspector"):
        assert "world un193 (196 nations)" in html_of(page, view), view
    assert "grey: not in world un193 (196 nations)" in html_of(page, "softpower-map-legend")
    chart = html.unescape(html_of(page, "softpower-scores-box"))
    assert "over time, world un193 (196 nations):" in chart


def test_a_world_other_than_the_default_says_so():
    model = AppModel(world_name="core60")
    told = components.world_text(model)
    assert told.startswith("World core60: 60 nations (a less crowded map, quicker steps), not ")
    assert "the default world of the app and the command line, un193" in told
    assert told.endswith("softpower run scenarios/baseline.yaml --seed 0 --world core60.")


def test_the_numbers_of_docs_app_md_are_the_apps():
    # Finding 12: docs/app.md said Kenya's favourable view of the US is 34 %, the app showed 55 %.
    text = (REPO / "docs" / "app.md").read_text(encoding="utf-8")
    share = int(re.search(r"favourable view of United States in Kenya: (\d+) %", text).group(1))
    lean = float(re.search(r"Lean between USA and CHN: ([+-][\d.]+) ", text).group(1))
    model = AppModel()  # the page as it opens: the baseline on the default world, seed 0
    assert model.world_name == DEFAULT_WORLD
    shown = figures.inspect_nation(model, "KEN")
    assert share == round(shown.favourable["USA"])
    assert lean == round(shown.lean, 2)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    opens = "It opens on the whole world, `un193`"
    assert opens in readme and opens in text


# ---------------------------------------------------------------------- shareable setups


def test_a_setup_goes_into_an_address_and_comes_back():
    # Finding 8: reload reset to the baseline; URL parameters were ignored.
    from sim.viz.share import parse_query, share_query

    params = model_params()
    model = AppModel("us_aid_cuts", seed=5, event_persistence=0.3)
    query = share_query(model.inputs, params)
    assert query == "scenario=us_aid_cuts&seed=5&world=un193&event_persistence=0.3"
    asked, refused = parse_query(query, params)
    assert refused == []
    assert asked == {
        "scenario_name": "us_aid_cuts",
        "seed": 5,
        "world_name": "un193",
        "event_persistence": 0.3,
    }
    rebuilt = AppModel(**{**{n: s["value"] for n, s in params.items()}, **asked})
    assert rebuilt.inputs == model.inputs
    asked, refused = parse_query(
        "scenario=nope&seed=1e3&world=un193&stubbornness=7&colour=red&event_persistence=nan",
        params,
    )
    assert asked == {"world_name": "un193"}
    assert [r.split(":")[0] for r in refused] == [
        "scenario=nope",
        "seed=1e3",
        "stubbornness=7",
        "colour",
        "event_persistence=nan",
    ]


@solara.component
def PageAt(address: str):
    from solara.routing import Router, router_context

    from sim.viz.app import Page

    router_context.provide(Router(address, []))
    return Page()


@pytest.mark.slow
def test_opening_a_shared_address_builds_its_run():
    box, rc = solara.render(
        solara.AppLayout(
            children=[PageAt("/?scenario=us_aid_cuts&seed=5&world=core60&event_persistence=0.3")]
        ),
        handle_error=False,
    )
    try:
        shown = header(rc)
        assert "US foreign aid cuts" in shown and "seed 5 ·" in shown
        assert "<b>Do policy effects last?</b> 0.3" in shown
        assert "Pending" not in html_of_all(rc)  # the inputs match the run
        link = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets]
        assert any(
            "?scenario=us_aid_cuts&amp;seed=5&amp;world=core60&amp;event_persistence=0.3" in t
            for t in link
        )
    finally:
        rc.close()
    box, rc = solara.render(
        solara.AppLayout(children=[PageAt("/?seed=abc&planet=mars")]), handle_error=False
    )
    try:
        assert "Baseline" in header(rc) and "seed 0 ·" in header(rc)
        refused = html_of_all(rc)
        assert "Left out of the address: seed=abc" in refused and "planet" in refused
    finally:
        rc.close()


@pytest.mark.slow
def test_the_runs_tables_download_as_the_command_line_writes_them(tmp_path):
    # Finding 8: nothing could be downloaded.
    import io
    import json
    import zipfile

    from sim.viz.downloads import run_zip, zip_name

    model = AppModel("us_aid_cuts", seed=3)
    advance(model, 5)
    archive = zipfile.ZipFile(io.BytesIO(run_zip(model)))
    folder = "softpower_us_aid_cuts_un193_seed3"
    assert zip_name(model) == folder + ".zip"
    names = sorted(archive.namelist())
    assert names == [
        f"{folder}/{n}"
        for n in ("events.csv", "manifest.json", "perception.csv", "polls.csv", "soft_power.csv")
    ]
    shown = pd.read_csv(archive.open(f"{folder}/soft_power.csv"))
    assert sorted(shown["step"].unique()) == [0, 1, 2, 3, 4, 5]
    last = shown[shown["step"] == 5].set_index("iso3")["score"]
    for code in ("USA", "CHN", "KEN"):
        expected = model.recorder.score[5, model.iso3.index(code)]
        assert last[code] == pytest.approx(expected, rel=1e-9)
    manifest = json.loads(archive.read(f"{folder}/manifest.json"))
    assert manifest["seed"] == 3 and manifest["steps"] == 5 and manifest["world"] == "un193"


# ---------------------------------------------------------------------- the map (finding 9)


def test_map_labels_never_overlap_and_the_poles_keep_theirs(stepped):
    shown = figures.map_view(stepped, "DEU", "FRA", labels=30)
    texts = [label["text"] for label in shown.labels]
    assert {"DEU", "FRA"} <= set(texts)
    others = [label for label in shown.labels if not label["bold"]]  # all but the poles
    assert len(others) >= 10
    for n, a in enumerate(others):
        for b in [*others[n + 1 :], *(label for label in shown.labels if label["bold"])]:
            assert abs(a["x"] - b["x"]) >= 18.0 or abs(a["y"] - b["y"]) >= 7.5, (a, b)


def test_the_change_scale_only_grows_so_colours_compare_over_time(stepped):
    shown = figures.map_view(stepped, colour="change", actor="USA")
    wider = figures.map_view(stepped, colour="change", actor="USA", floor=shown.limit * 3)
    assert wider.limit == pytest.approx(shown.limit * 3)
    assert figures.map_view(stepped, colour="change", floor=0.0).limit == shown.limit


def pick_country(rc, iso3: str) -> str:
    """Click ``iso3``'s shape on the map; return the text of the page's alerts."""
    x, y = svgmap.to_svg(*maps.country_shapes()[iso3].label_xy)
    world_map(rc).vue_pick({"x": float(x), "y": float(y)})
    return " ".join(str(w.children) for w in rc.find(v.Alert).widgets)


def test_clicking_a_country_outside_the_world_names_it_and_says_how_to_include_it(monkeypatch):
    # Finding 9: "MNG is not one of the 60 nations".
    from sim.viz.app import Layout, Page
    from sim.viz.library import WORLD_ENV

    monkeypatch.setenv(WORLD_ENV, "core60")  # `softpower app --world core60`
    box, rc = solara.render(Layout(children=[Page()]), handle_error=False)
    try:
        told = pick_country(rc, "MNG")
        assert "Mongolia is not in the world of this run (core60, 60 nations)" in told
        assert "choose World un193" in told
    finally:
        rc.close()


def test_clicking_a_territory_on_the_default_world_says_it_is_not_a_member(page):
    assert "Mongolia" not in pick_country(page, "MNG")  # a nation of un193: inspected
    told = pick_country(page, "GRL")
    assert "Greenland is not in the world of this run (un193, 196 nations)" in told
    assert "a territory, not one of the UN member states" in told and "choose World" not in told


def test_the_belt_and_road_lines_start_off():
    # Finding 9: on un193, 143 Belt and Road lines on by default covered Africa and Asia.
    assert ViewSettings().layers == frozenset({"rivalry"})
