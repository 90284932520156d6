"""docs/scenarios.md stays true to the scenario schema: every key, kind and field is documented,
the lists of groups, regions and nations match the world, and every example validates."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
import yaml

from sim.errors import ScenarioError
from sim.model.model import SoftPowerModel
from sim.params import REGISTRY
from sim.scenario import EVENT_KINDS, ScenarioFile, group_names, load_scenario, resolve_targets
from sim.scenario.schema import RandomEvent

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCKS: list[tuple[str, str]] = re.findall(r"^```(\w*)\n(.*?)^```", TEXT, flags=re.M | re.S)
YAML_BLOCKS = [body for lang, body in BLOCKS if lang == "yaml"]

#: The document an example list of events is wrapped into.
WRAPPER = {"name": "doc-example", "title": "Example", "start": "2025-Q1", "steps": 12}


def section(heading: str) -> str:
    """Return the text under the first heading starting with ``heading``, up to the next heading
    of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(heading)}.*$", TEXT, flags=re.M)
    assert match, f"no heading {heading!r} in {DOC}"
    level = len(match.group(1))
    rest = TEXT[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, flags=re.M)
    return rest[: end.start()] if end else rest


def event_classes() -> list[type]:
    """The event classes of the schema, read from the type of ``ScenarioFile.events``."""
    annotated = typing.get_args(ScenarioFile.model_fields["events"].annotation)[0]
    union = typing.get_args(annotated)[0]
    return list(typing.get_args(union))


def kinds_of(cls: type) -> tuple[str, ...]:
    return typing.get_args(cls.model_fields["kind"].annotation)


def kind_section(kind: str) -> str:
    sections = re.split(r"^### ", section("Events"), flags=re.M)[1:]
    found = [s for s in sections if f"`{kind}`" in s.splitlines()[0]]
    assert len(found) == 1, f"expected one ### heading naming `{kind}`, found {len(found)}"
    return found[0]


def mentioned(name: str, text: str) -> bool:
    return f"`{name}`" in text


def table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows[1:]  # without the header


def classify(body: str) -> str:
    first = body.splitlines()[0] if body.strip() else ""
    if first.startswith("# error"):
        return "error"
    if first.startswith("# file:"):
        return "file"
    data = yaml.safe_load(body)
    if isinstance(data, dict) and "name" in data:
        return "document"
    if isinstance(data, list) and all(isinstance(e, dict) and "kind" in e for e in data):
        return "events"
    return "unknown"


def write_examples(folder: Path) -> list[tuple[str, Path]]:
    """Write every valid yaml example to ``folder``; return (what, path) of each."""
    written = []
    for i, body in enumerate(YAML_BLOCKS):
        what = classify(body)
        if what == "file":
            name = body.splitlines()[0].removeprefix("# file:").strip()
            path = folder / name
            path.write_text(body, encoding="utf-8")
        elif what == "document":
            path = folder / f"example_{i}.yaml"
            path.write_text(body, encoding="utf-8")
        elif what == "events":
            doc = {**WRAPPER, "events": yaml.safe_load(body)}
            path = folder / f"events_{i}.yaml"
            path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        else:
            continue
        written.append((what, path))
    return written


# ---------------------------------------------------------------------- keys, kinds and fields


@pytest.mark.parametrize("key", list(ScenarioFile.model_fields))
def test_every_file_key_is_documented_in_the_key_table(key: str) -> None:
    documented = [row[0] for row in table_rows(section("File keys"))]
    assert f"`{key}`" in documented


def test_the_key_table_names_no_key_the_schema_lacks() -> None:
    documented = {row[0].strip("`") for row in table_rows(section("File keys"))}
    assert documented == set(ScenarioFile.model_fields)


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_every_event_kind_has_its_own_section(kind: str) -> None:
    assert kind_section(kind)


def test_event_kinds_cover_every_event_class_of_the_schema() -> None:
    kinds = [k for cls in event_classes() for k in kinds_of(cls)]
    assert sorted(kinds) == sorted(EVENT_KINDS)


@pytest.mark.parametrize("cls", event_classes(), ids=lambda c: c.__name__)
def test_every_field_of_each_event_is_documented(cls: type) -> None:
    common = set.intersection(*(set(c.model_fields) for c in event_classes()))
    intro = section("Events").split("\n### ")[0]
    for name in common:
        assert mentioned(name, intro), f"common key {name} not in the Events introduction"
    for kind in kinds_of(cls):
        text = kind_section(kind)
        missing = [f for f in cls.model_fields if f not in common and not mentioned(f, text)]
        assert not missing, f"{kind}: fields {missing} not documented in its section"


def test_every_magnitude_distribution_of_random_events_is_documented() -> None:
    distribution = RandomEvent.model_fields["magnitude"].annotation
    text = kind_section("random")
    choices = typing.get_args(distribution.model_fields["distribution"].annotation)
    for name in [*distribution.model_fields, *choices]:
        assert mentioned(name, text), f"random: {name} not documented"


# ---------------------------------------------------------------------- world lists


def test_group_table_lists_every_group_with_its_members(bundled_world) -> None:
    rows = table_rows(section("Groups"))
    documented = {row[0].strip("`"): set(row[3].split()) for row in rows}
    assert set(documented) == set(group_names(bundled_world))
    for name, members in documented.items():
        idx = resolve_targets(name, [], bundled_world)
        assert members == {bundled_world.iso3[i] for i in idx}, name


def test_region_table_lists_every_un_region_of_the_countries_file(bundled_world) -> None:
    import csv

    data = Path(__file__).resolve().parents[1] / "sim" / "data" / "countries.csv"
    with data.open(encoding="utf-8") as f:
        regions = {row["un_region"] for row in csv.DictReader(f)}
    documented = {row[0]: set(row[1].split()) for row in table_rows(section("UN regions"))}
    assert set(documented) == regions
    for region, members in documented.items():
        idx = resolve_targets(region, [], bundled_world)
        assert members == {bundled_world.iso3[i] for i in idx}, region


def test_nation_list_is_the_worlds(bundled_world) -> None:
    codes = set(re.findall(r"\b[A-Z]{3}\b", section("Nations")))
    assert codes == set(bundled_world.iso3)


def test_parameters_named_as_shaping_events_are_in_the_registry() -> None:
    rows = table_rows(section("Parameters"))
    names = [row[0].strip("`") for row in rows]
    assert names, "no parameter table"
    assert [n for n in names if n not in REGISTRY] == []


# ---------------------------------------------------------------------- examples


def test_every_yaml_block_is_a_document_a_list_of_events_or_an_error_example() -> None:
    unknown = [body[:60] for body in YAML_BLOCKS if classify(body) == "unknown"]
    assert not unknown, f"yaml blocks the test cannot check: {unknown}"


def test_every_documented_example_validates(tmp_path: Path, bundled_world) -> None:
    written = write_examples(tmp_path)
    assert len(written) >= len(EVENT_KINDS)
    for _, path in written:
        load_scenario(path, bundled_world)  # raises ScenarioError on any problem


def test_examples_show_every_kind_and_variant(tmp_path: Path, bundled_world) -> None:
    events = [
        e.event
        for what, path in write_examples(tmp_path)
        if what == "events"
        for e in load_scenario(path, bundled_world).events
    ]
    kinds = {e.kind for e in events}
    assert kinds == set(EVENT_KINDS)
    of = {k: [e for e in events if e.kind == k] for k in kinds}
    assert all(
        any(getattr(e, c) is not None for e in of["capacity"]) for c in ("scale", "add", "set")
    )
    assert any(e.ramp > 1 for e in of["capacity"])
    assert {e.direction for e in of["credibility_shock"]} == {"good", "bad"}
    assert {e.both_ways for e in of["tariff"]} == {True, False}
    initiatives = {e.initiative.upper() for e in of["join"] + of["leave"]}
    assert {"BRI", "PARIS", "WHO"} <= initiatives
    assert initiatives - {"BRI", "PARIS", "WHO"}, "no example of joining or leaving a group"
    assert {e.layer for e in of["edge"]} == {"trade", "alliance", "rivalry", "aid"}
    assert {e.action for e in of["edge"]} == {"add", "remove"}
    assert {e.magnitude.distribution for e in of["random"]} == {"uniform", "normal", "fixed"}


def test_include_example_merges_events_and_parameters_as_documented(
    tmp_path: Path, bundled_world
) -> None:
    write_examples(tmp_path)
    spec = load_scenario(tmp_path / "combined.yaml", bundled_world)
    assert [e.event.kind for e in spec.events] == ["capacity", "tariff", "credibility_shock"]
    assert spec.parameters == {"loss_aversion": 1.0, "tariff_elasticity": 1.0}


def test_event_examples_act_in_a_running_model(tmp_path: Path, bundled_world) -> None:
    """All event examples in one run: each scheduled event is applied and logged."""
    items = [e for body in YAML_BLOCKS if classify(body) == "events" for e in yaml.safe_load(body)]
    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump({**WRAPPER, "events": items}), encoding="utf-8")
    spec = load_scenario(path, bundled_world)
    model = SoftPowerModel(bundled_world, spec, rng=7).run()
    logged = [kind for _, kind, *_ in model.recorder.events]
    for ev in spec.events:
        kind = ev.event.kind
        if kind == "random":
            continue  # may not fire; tests/test_scenario.py checks hazards
        expected = f"edge_{ev.event.action}" if kind == "edge" else kind
        assert expected in logged, f"{kind} example at {ev.source} was not applied"


ERROR_EXAMPLES = [i for i, (lang, body) in enumerate(BLOCKS) if body.startswith("# error")]
ERROR_PAIRS = [
    (BLOCKS[i][1], BLOCKS[i + 1][1].strip())
    for i in ERROR_EXAMPLES
    if i + 1 < len(BLOCKS) and BLOCKS[i + 1][0] == "text"
]


def test_every_error_example_is_followed_by_its_message() -> None:
    assert len(ERROR_EXAMPLES) >= 5
    assert len(ERROR_PAIRS) == len(ERROR_EXAMPLES)


@pytest.mark.parametrize(
    ("body", "message"), ERROR_PAIRS, ids=[b.splitlines()[0][9:] for b, _ in ERROR_PAIRS]
)
def test_documented_error_example_gives_the_documented_message(
    body: str, message: str, tmp_path: Path, bundled_world
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, bundled_world)
    shown = "softpower: error: " + info.value.one_line().replace(str(path), "bad.yaml")
    assert shown == message
