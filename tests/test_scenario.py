"""The scenario language: errors that teach, include merging, target resolution, time and random
events (sim/scenario.py, sim/events.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.model.model import SoftPowerModel
from sim.scenario import group_names, load_scenario, resolve_targets


@dataclass(frozen=True)
class BadInput:
    """A bad scenario and the one-line error it must give.

    Attributes:
        id: Test id.
        files: File name → text, written into one folder.
        line: Line the error must name.
        says: Text the message must contain.
        suggestion: The ``did you mean ...?`` (or other fix) it must end with, if any.
        entry: The file loaded (default the first of ``files``).
        error_file: The file the error must name (default ``entry``).
        cli: Also checked through the real CLI (tests/test_cli_scenarios.py).

    """

    id: str
    files: dict[str, str]
    line: int
    says: str
    suggestion: str | None = None
    entry: str = ""
    error_file: str = ""
    cli: bool = True

    @property
    def entry_file(self) -> str:
        return self.entry or next(iter(self.files))

    @property
    def named_file(self) -> str:
        return self.error_file or self.entry_file

    def write(self, folder: Path) -> Path:
        for name, text in self.files.items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder / self.entry_file


HEAD = "name: bad\ntitle: Bad\nstart: 2025-Q1\nsteps: 8\n"

BAD_INPUTS = [
    BadInput(
        "yaml_syntax",
        {"bad.yaml": HEAD + "events:\n  - at: 1\n    kind: aid_policy\n   actor: USA\n"},
        line=8,
        says="YAML syntax error",
    ),
    BadInput(
        "yaml_unclosed_bracket",
        {"bad.yaml": HEAD + "sources: [a, b\nevents: []\n"},
        line=6,
        says="that starts at line 5",
        cli=False,
    ),
    BadInput(
        "unsafe_python_tag",
        {"bad.yaml": "name: bad\ntitle: !!python/object:pathlib.Path {}\n"},
        line=2,
        says="YAML tag refused",
        suggestion="remove the tag and write the value itself",
    ),
    BadInput(
        "unknown_key",
        {"bad.yaml": "name: bad\ntitle: Bad\nstepz: 8\n"},
        line=3,
        says="stepz: unknown key 'stepz'",
        suggestion="did you mean steps?",
    ),
    BadInput(
        "unknown_event_key",
        {
            "bad.yaml": HEAD
            + "events:\n  - at: 1\n    kind: capacity\n    actor: USA\n    chanel: aid\n"
            "    scale: 0.5\n"
        },
        line=9,
        says="events[0].chanel: unknown key 'chanel'",
        suggestion="did you mean channel?",
    ),
    BadInput(
        "unknown_event_kind",
        {"bad.yaml": HEAD + "events:\n  - at: 1\n    kind: tarif\n    actor: USA\n"},
        line=6,
        says="unknown event kind 'tarif'",
        suggestion="did you mean tariff?",
        cli=False,
    ),
    BadInput(
        "wrong_type",
        {"bad.yaml": "name: bad\ntitle: Bad\nsteps: eight\n"},
        line=3,
        says="steps: 'eight' is not a valid integer",
    ),
    BadInput(
        "wrong_type_in_event",
        {
            "bad.yaml": HEAD + "events:\n  - at: 1\n    kind: tariff\n    actor: USA\n"
            "    targets: CHN\n    rate: high\n"
        },
        line=10,
        says="events[0].rate: 'high' is not a valid number",
        cli=False,
    ),
    BadInput(
        "value_not_allowed",
        {
            "bad.yaml": HEAD + "events:\n  - at: 1\n    kind: capacity\n    actor: USA\n"
            "    channel: culturee\n    scale: 0.5\n"
        },
        line=9,
        says="'culturee' is not allowed",
        suggestion="did you mean culture?",
        cli=False,
    ),
    BadInput(
        "unknown_iso3",
        {
            "bad.yaml": HEAD + "events:\n  - at: 1\n    kind: tariff\n    actor: USA\n"
            "    targets: [CAN, CHNA]\n    rate: 0.25\n"
        },
        line=9,
        says="targets: unknown nation, group or region 'CHNA'",
        suggestion="did you mean CHN?",
    ),
    BadInput(
        "unknown_actor",
        {
            "bad.yaml": HEAD + "events:\n  - at: 1\n    kind: aid_policy\n    actor: CHNA\n"
            "    strategy: need\n"
        },
        line=8,
        says="actor: unknown nation 'CHNA'",
        suggestion="did you mean CHN?",
        cli=False,
    ),
    BadInput(
        "unknown_group",
        {
            "bad.yaml": HEAD + "events:\n  - at: 1\n    kind: credibility_shock\n    actor: USA\n"
            "    observers: NATOO\n    magnitude: 0.2\n"
        },
        line=9,
        says="observers: unknown nation, group or region 'NATOO'",
        suggestion="did you mean NATO?",
    ),
    BadInput(
        "unknown_exclusion",
        {
            "bad.yaml": HEAD + "events:\n  - at: 1\n    kind: credibility_shock\n    actor: USA\n"
            "    exclude: [CANN]\n    magnitude: 0.2\n"
        },
        line=9,
        says="exclude: unknown nation, group or region 'CANN'",
        suggestion="did you mean CAN?",
        cli=False,
    ),
    BadInput(
        "unknown_initiative",
        {
            "bad.yaml": HEAD + "events:\n  - at: 1\n    kind: leave\n    nations: USA\n"
            "    initiative: PARRIS\n"
        },
        line=9,
        says="unknown initiative 'PARRIS'",
        suggestion="did you mean PARIS?",
        cli=False,
    ),
    BadInput(
        "event_in_the_past",
        {
            "bad.yaml": HEAD + "events:\n  - at: 2024-Q4\n    kind: aid_policy\n    actor: USA\n"
            "    strategy: retreat\n"
        },
        line=6,
        says="at: 2024-Q4 is before the start",
        suggestion="use 2025-Q1 or change start/steps",
    ),
    BadInput(
        "event_beyond_the_horizon",
        {
            "bad.yaml": HEAD + "events:\n  - at: 2027-Q1\n    kind: aid_policy\n    actor: USA\n"
            "    strategy: retreat\n"
        },
        line=6,
        says="at: 2027-Q1 is beyond the horizon",
        suggestion="use 2026-Q4 or change start/steps",
    ),
    BadInput(
        "step_number_beyond_the_horizon",
        {
            "bad.yaml": HEAD + "events:\n  - at: 8\n    kind: aid_policy\n    actor: USA\n"
            "    strategy: retreat\n"
        },
        line=6,
        says="at: 8 is beyond the horizon",
        suggestion="use 2026-Q4 or change start/steps",
        cli=False,
    ),
    BadInput(
        "parameter_out_of_range",
        {"bad.yaml": HEAD + "parameters:\n  stubbornness: 1.5\n"},
        line=6,
        says="parameters.stubbornness: 1.5 is out of range",
    ),
    BadInput(
        "unknown_parameter",
        {"bad.yaml": HEAD + "parameters:\n  stubborness: 0.2\n"},
        line=6,
        says="parameters.stubborness: unknown parameter",
        suggestion="did you mean stubbornness?",
    ),
    BadInput(
        "include_cycle",
        {
            "a.yaml": "name: a\ntitle: A\nsteps: 8\ninclude:\n  - b.yaml\n",
            "b.yaml": "name: b\ntitle: B\nsteps: 8\ninclude: [a.yaml]\n",
        },
        line=4,
        says="include cycle a.yaml -> b.yaml -> a.yaml",
        suggestion="remove a.yaml from one of the files",
        error_file="b.yaml",
    ),
    BadInput(
        "missing_include",
        {
            "main.yaml": "name: m\ntitle: M\nsteps: 8\ninclude:\n  - us_aid_cut.yaml\n",
            "us_aid_cuts.yaml": "name: us\ntitle: US\n",
        },
        line=5,
        says="included file 'us_aid_cut.yaml' not found",
        suggestion="did you mean us_aid_cuts.yaml?",
    ),
    BadInput(
        "error_inside_an_included_file",
        {
            "main.yaml": "name: m\ntitle: M\nsteps: 8\ninclude: [child.yaml]\n",
            "child.yaml": "name: c\ntitle: C\nevents:\n  - at: 1\n    kind: news_shock\n"
            "    actor: JPNN\n    magnitude: 0.1\n",
        },
        line=6,
        says="actor: unknown nation 'JPNN'",
        suggestion="did you mean JPN?",
        error_file="child.yaml",
        cli=False,
    ),
    BadInput(
        "random_event_inner_unknown_key",
        {
            "bad.yaml": HEAD + "events:\n  - at: 0\n    kind: random\n    hazard: 0.5\n"
            "    magnitude: {distribution: fixed, value: 0.1}\n"
            "    event: {kind: news_shock, actor: CHN, observerz: all}\n"
        },
        line=10,
        says="event.observerz: unknown key 'observerz'",
        suggestion="did you mean observers?",
        cli=False,
    ),
]

#: ``FILE:LINE: message; expected ...[; suggestion]`` — the shape of every scenario error.
SHAPE = re.compile(r"^(?P<file>[^\n:]+):(?P<line>\d+): (?P<rest>[^\n]+; expected [^\n]+)$")


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c.id for c in BAD_INPUTS])
def test_bad_input_gives_one_line_naming_file_line_expectation_and_fix(
    case: BadInput, tmp_path: Path, bundled_world
) -> None:
    path = case.write(tmp_path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, bundled_world)
    text = info.value.one_line()
    shape = SHAPE.match(text)
    assert shape, f"not FILE:LINE: ...; expected ...: {text!r}"
    assert Path(shape["file"]).name == case.named_file
    assert int(shape["line"]) == case.line, text
    assert case.says in text
    if case.suggestion:
        assert text.endswith(f"; {case.suggestion}"), text


def test_safe_loading_never_runs_a_python_tag(tmp_path: Path, bundled_world) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"name: bad\ntitle: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError):
        load_scenario(path, bundled_world)
    assert not marker.exists()


def test_missing_scenario_file_is_an_error_with_a_suggestion(tmp_path, bundled_world) -> None:
    (tmp_path / "baseline.yaml").write_text("name: b\ntitle: B\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "baselin.yaml", bundled_world)
    assert "not found" in info.value.message
    assert info.value.suggestion and info.value.suggestion.endswith("baseline.yaml?")


# ---------------------------------------------------------------------- valid documents


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def event(at: str, actor: str, magnitude: float = 0.1) -> str:
    return f"  - at: {at}\n    kind: news_shock\n    actor: {actor}\n    magnitude: {magnitude}\n"


def test_include_merges_included_events_first_in_list_order(tmp_path, bundled_world) -> None:
    write(tmp_path, "a.yaml", "name: a\ntitle: A\nevents:\n" + event("2025-Q3", "USA"))
    write(tmp_path, "b.yaml", "name: b\ntitle: B\nevents:\n" + event("2025-Q1", "CHN"))
    top = write(
        tmp_path,
        "top.yaml",
        "name: top\ntitle: Top\nsteps: 8\ninclude: [a.yaml, b.yaml]\nevents:\n"
        + event("2025-Q2", "JPN"),
    )
    spec = load_scenario(top, bundled_world)
    assert [e.event.actor for e in spec.events] == ["USA", "CHN", "JPN"]
    assert [Path(e.source.split(":")[0]).name for e in spec.events] == [
        "a.yaml",
        "b.yaml",
        "top.yaml",
    ]
    assert spec.name == "top" and spec.steps == 8


def test_nested_includes_come_before_the_including_files_events(tmp_path, bundled_world) -> None:
    write(tmp_path, "leaf.yaml", "name: l\ntitle: L\nevents:\n" + event(1, "DEU"))
    write(
        tmp_path,
        "mid.yaml",
        "name: m\ntitle: M\ninclude: [leaf.yaml]\nevents:\n" + event(1, "FRA"),
    )
    top = write(
        tmp_path, "top.yaml", "name: t\ntitle: T\ninclude: [mid.yaml]\nevents:\n" + event(1, "GBR")
    )
    assert [e.event.actor for e in load_scenario(top, bundled_world).events] == [
        "DEU",
        "FRA",
        "GBR",
    ]


def test_including_files_parameters_win_then_later_includes(tmp_path, bundled_world) -> None:
    write(tmp_path, "a.yaml", "name: a\ntitle: A\nparameters: {stubbornness: 0.2, saturation: 1}")
    write(tmp_path, "b.yaml", "name: b\ntitle: B\nparameters: {stubbornness: 0.3, saturation: 2}")
    top = write(
        tmp_path,
        "top.yaml",
        "name: t\ntitle: T\ninclude: [a.yaml, b.yaml]\nparameters: {stubbornness: 0.4}\n",
    )
    assert load_scenario(top, bundled_world).parameters == {
        "stubbornness": 0.4,
        "saturation": 2.0,
    }


def test_included_events_are_placed_on_the_including_files_time_line(
    tmp_path, bundled_world
) -> None:
    write(
        tmp_path,
        "child.yaml",
        "name: c\ntitle: C\nstart: 2026-Q1\nevents:\n" + event("2026-Q1", "USA"),
    )
    top = write(tmp_path, "top.yaml", "name: t\ntitle: T\nstart: 2025-Q1\ninclude: [child.yaml]\n")
    assert [e.step for e in load_scenario(top, bundled_world).events] == [4]


def test_quarter_and_step_number_name_the_same_step(tmp_path, bundled_world) -> None:
    path = write(
        tmp_path,
        "t.yaml",
        "name: t\ntitle: T\nstart: 2025-Q3\nsteps: 6\nevents:\n"
        + event("2025-Q3", "USA")
        + event(0, "USA")
        + event("2026-Q4", "USA")
        + event(5, "USA"),
    )
    spec = load_scenario(path, bundled_world)
    assert [e.step for e in spec.events] == [0, 0, 5, 5]
    assert spec.date(5) == "2026-Q4"


# ---------------------------------------------------------------------- targets


def codes(world, idx) -> set[str]:
    return {world.iso3[i] for i in idx}


def test_group_names_resolve_to_their_members_in_any_case(bundled_world) -> None:
    w = bundled_world
    assert codes(w, resolve_targets("EU", [], w)) == set(w.groups["EU"])
    assert resolve_targets("eu", [], w) == resolve_targets("EU", [], w)
    assert codes(w, resolve_targets("QUAD", [], w)) == {"AUS", "IND", "JPN", "USA"}


def test_every_group_name_resolves_to_a_nonempty_set(bundled_world) -> None:
    for name in group_names(bundled_world):
        assert resolve_targets(name, [], bundled_world), name


def test_un_region_resolves_to_the_nations_of_that_region(bundled_world) -> None:
    w = bundled_world
    assert codes(w, resolve_targets("Eastern Asia", [], w)) == {"CHN", "JPN", "KOR", "TWN"}


def test_all_is_every_nation_and_exclude_removes_codes_and_groups(bundled_world) -> None:
    w = bundled_world
    assert resolve_targets("all", [], w) == tuple(range(w.n))
    left = codes(w, resolve_targets("all", ["USA", "EU"], w))
    assert left == set(w.iso3) - {"USA"} - set(w.groups["EU"])


def test_lists_mix_codes_groups_and_regions(bundled_world) -> None:
    w = bundled_world
    got = codes(w, resolve_targets(["CAN", "ASEAN", "Northern Africa"], ["PHL"], w))
    assert got == {"CAN", "IDN", "MYS", "SGP", "THA", "VNM", "DZA", "EGY", "MAR"}


def test_unknown_target_suggests_the_closest_code(bundled_world) -> None:
    with pytest.raises(ScenarioError) as info:
        resolve_targets(["USA", "chn"], [], bundled_world, file="f.yaml", line=3, key="targets")
    assert info.value.one_line().startswith("f.yaml:3: targets: ")
    assert info.value.suggestion == "did you mean CHN?"


# ---------------------------------------------------------------------- random events


def random_scenario(folder: Path, world, hazard: float, distribution: str) -> object:
    path = write(
        folder,
        "r.yaml",
        "name: r\ntitle: R\nsteps: 4\nevents:\n  - at: 0\n    kind: random\n"
        f"    hazard: {hazard}\n    magnitude: {distribution}\n"
        "    event: {kind: credibility_shock, actor: BRA, observers: [ARG], direction: bad}\n",
    )
    return load_scenario(path, world)


def firings(model) -> list[tuple[int, str]]:
    log = model.recorder.events
    return [(s, d) for s, k, a, _, d in log if k == "credibility_shock" and a == "BRA"]


def test_random_event_with_hazard_one_fires_every_quarter(tmp_path, bundled_world) -> None:
    spec = random_scenario(tmp_path, bundled_world, 1.0, "{distribution: fixed, value: 0.25}")
    model = SoftPowerModel(bundled_world, spec, rng=1, steps=4).run()
    # An event acting at step t is logged at t + 1, the first state that shows it.
    assert firings(model) == [(s, "bad 0.25") for s in (1, 2, 3, 4)]


def test_random_event_with_hazard_zero_never_fires(tmp_path, bundled_world) -> None:
    spec = random_scenario(tmp_path, bundled_world, 0.0, "{distribution: fixed, value: 0.25}")
    model = SoftPowerModel(bundled_world, spec, rng=1, steps=4).run()
    assert firings(model) == []


def test_random_magnitudes_are_drawn_within_the_distribution_and_repeat_with_the_seed(
    tmp_path, bundled_world
) -> None:
    dist = "{distribution: uniform, low: 0.1, high: 0.3}"
    spec = random_scenario(tmp_path, bundled_world, 1.0, dist)
    runs = [SoftPowerModel(bundled_world, spec, rng=5, steps=4).run() for _ in range(2)]
    sizes = [float(d.split()[1]) for _, d in firings(runs[0])]
    assert len(sizes) == 4 and all(0.1 <= x <= 0.3 for x in sizes)
    assert len(set(sizes)) > 1  # drawn, not fixed
    assert firings(runs[0]) == firings(runs[1])
