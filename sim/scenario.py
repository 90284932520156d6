"""The scenario language: validated YAML files of what happens when (DESIGN §4, docs/scenarios.md).

`load_scenario(path, world)` reads a file with safe YAML, validates it with pydantic, follows
``include:`` and resolves every time to a step and every target (ISO3 codes, groups, UN regions,
``all``, exclusions) to nation indices. Any problem raises `ScenarioError` with file, line, what
was expected and a suggestion.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.dynamics import AUDIENCES, CHANNELS
from sim.errors import ParameterError, ScenarioError, suggest
from sim.params import REGISTRY, Parameters
from sim.world import World

__all__ = [
    "AUDIENCE_INDEX",
    "CHANNEL_INDEX",
    "EVENT_KINDS",
    "Quarter",
    "Scenario",
    "ScenarioFile",
    "ScheduledEvent",
    "load_scenario",
    "baseline_scenario",
    "group_names",
    "resolve_targets",
    "quarter_label",
]

Channel = Literal["culture", "tech", "aid", "diplomacy"]
Audience = Literal["youth", "public", "elite"]
# Strict, so that `at: true` is refused rather than read as step 1.
TimeSpec = Annotated[StrictStr | StrictInt, Field(description="YYYY-Qn or a step number")]
Targets = str | list[str]
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter.

    Attributes:
        year: Calendar year.
        q: Quarter 1-4.

    """

    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``YYYY-Qn``.

        Raises:
            ValueError: Not of that form.

        """
        m = _QUARTER.match(str(text).strip())
        if not m:
            raise ValueError(f"{text!r} is not a quarter; expected YYYY-Qn such as 2025-Q1")
        return cls(int(m.group(1)), int(m.group(2)))

    def __add__(self, steps: int) -> Quarter:
        total = self.year * 4 + (self.q - 1) + int(steps)
        return Quarter(total // 4, total % 4 + 1)

    def __sub__(self, other: Quarter) -> int:
        return (self.year * 4 + self.q) - (other.year * 4 + other.q)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.q}"


def quarter_label(start: Quarter, step: int) -> str:
    """Return the date label ``YYYY-Qn`` of ``step`` quarters after ``start``."""
    return str(start + step)


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    at: TimeSpec
    note: str | None = None


class CapacityEvent(_Event):
    """Change one channel capacity of an actor: scale, add or set, optionally ramped."""

    kind: Literal["capacity"]
    actor: str
    channel: Channel
    scale: float | None = Field(default=None, ge=0.0, le=100.0)
    add: float | None = Field(default=None, ge=-10.0, le=10.0)
    set: float | None = Field(default=None, ge=0.0, le=10.0)
    ramp: int = Field(default=1, ge=1, le=40)

    @model_validator(mode="after")
    def _one_change(self) -> CapacityEvent:
        given = [k for k in ("scale", "add", "set") if getattr(self, k) is not None]
        if len(given) != 1:
            gave = " and ".join(given) if given else "none of them"
            raise ValueError(f"got {gave}; expected exactly one of scale, add, set")
        return self


class CredibilityShockEvent(_Event):
    """Observers believe the actor less (bad) or more (good)."""

    kind: Literal["credibility_shock"]
    actor: str
    observers: Targets = "all"
    exclude: list[str] = []
    direction: Literal["bad", "good"] = "bad"
    magnitude: float = Field(ge=0.0, le=1.0)


class NewsShockEvent(_Event):
    """A direct jump of perception of the actor in chosen audiences (then decays)."""

    kind: Literal["news_shock"]
    actor: str
    observers: Targets = "all"
    exclude: list[str] = []
    audiences: Literal["all"] | list[Audience] = "all"
    channel: Channel | Literal["all"] = "all"
    magnitude: float = Field(ge=-1.0, le=1.0)


class TariffEvent(_Event):
    """Set the tariff level in force between the actor and targets (replaces earlier levels).

    Trade ties are the untaxed ties divided by 1 + tariff_elasticity × rate; a later event with a
    lower rate (or 0) rolls a tariff back.
    """

    kind: Literal["tariff"]
    actor: str
    targets: Targets
    exclude: list[str] = []
    rate: float = Field(ge=0.0, le=5.0)
    both_ways: bool = True


class MembershipEvent(_Event):
    """Nations join or leave an initiative, agreement or group."""

    kind: Literal["join", "leave"]
    nations: Targets
    exclude: list[str] = []
    initiative: str


class RestrictionEvent(_Event):
    """Observers restrict an actor's channel (a platform ban, closed cultural institutes)."""

    kind: Literal["restriction"]
    actor: str
    channel: Channel | Literal["all"]
    observers: Targets
    exclude: list[str] = []
    audiences: Literal["all"] | list[Audience] = "all"
    severity: float = Field(ge=0.0, le=1.0)


class EdgeEvent(_Event):
    """Add or remove a tie of a network layer between a source and targets."""

    kind: Literal["edge"]
    action: Literal["add", "remove"]
    layer: Literal["trade", "alliance", "rivalry", "aid"]
    source: str
    targets: Targets
    exclude: list[str] = []
    weight: float = Field(default=0.05, ge=0.0, le=1.0)


class AidPolicyEvent(_Event):
    """A donor switches its aid allocation strategy."""

    kind: Literal["aid_policy"]
    actor: str
    strategy: Literal["need", "strategic", "retreat"]


class Distribution(BaseModel):
    """A magnitude distribution for random events."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    distribution: Literal["uniform", "normal", "fixed"]
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = Field(default=None, ge=0.0)
    value: float | None = None

    @model_validator(mode="after")
    def _fields(self) -> Distribution:
        need = {"uniform": ("low", "high"), "normal": ("mean", "sd"), "fixed": ("value",)}
        missing = [k for k in need[self.distribution] if getattr(self, k) is None]
        if missing:
            raise ValueError(
                f"{self.distribution} needs {', '.join(missing)}; expected uniform with low and "
                "high, normal with mean and sd, or fixed with value"
            )
        if self.distribution == "uniform" and self.low > self.high:  # type: ignore[operator]
            raise ValueError("low exceeds high; expected low ≤ high")
        return self


_RANDOMISABLE = {"credibility_shock", "news_shock", "capacity"}


class RandomEvent(_Event):
    """Each quarter from ``at`` to ``until`` the inner event fires with probability ``hazard``,
    its magnitude drawn from the model's seeded rng.
    """

    kind: Literal["random"]
    until: TimeSpec | None = None
    hazard: float = Field(ge=0.0, le=1.0)
    magnitude: Distribution
    event: dict[str, Any]

    @field_validator("event")
    @classmethod
    def _inner(cls, value: dict[str, Any]) -> dict[str, Any]:
        kind = value.get("kind")
        if kind not in _RANDOMISABLE:
            raise ValueError(
                f"inner event kind {kind!r} cannot be random; expected one of "
                f"{', '.join(sorted(_RANDOMISABLE))}"
            )
        if "at" in value or "magnitude" in value or "scale" in value:
            raise ValueError(
                "the inner event has at, magnitude or scale; expected none of them (the time "
                "comes from the hazard, the size from magnitude)"
            )
        return value


Event = Annotated[
    CapacityEvent
    | CredibilityShockEvent
    | NewsShockEvent
    | TariffEvent
    | MembershipEvent
    | RestrictionEvent
    | EdgeEvent
    | AidPolicyEvent
    | RandomEvent,
    Field(discriminator="kind"),
]

EVENT_KINDS: tuple[str, ...] = (
    "capacity",
    "credibility_shock",
    "news_shock",
    "tariff",
    "join",
    "leave",
    "restriction",
    "edge",
    "aid_policy",
    "random",
)

_EVENT_CLASSES: dict[str, type[BaseModel]] = {
    "capacity": CapacityEvent,
    "credibility_shock": CredibilityShockEvent,
    "news_shock": NewsShockEvent,
    "tariff": TariffEvent,
    "join": MembershipEvent,
    "leave": MembershipEvent,
    "restriction": RestrictionEvent,
    "edge": EdgeEvent,
    "aid_policy": AidPolicyEvent,
    "random": RandomEvent,
}


class ScenarioFile(BaseModel):
    """The schema of a scenario file (see docs/scenarios.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z0-9_\-]+$")
    title: str
    description: str = ""
    sources: list[str] = []
    start: str = "2025-Q1"
    steps: int = Field(default=40, ge=1, le=400)
    include: list[str] = []
    parameters: dict[str, Any] = {}
    events: list[Event] = []

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        Quarter.parse(value)
        return value


@dataclass(frozen=True)
class ScheduledEvent:
    """An event resolved against a world.

    Attributes:
        step: The step (0-based) during whose transition it acts.
        event: The validated event.
        source: ``file:line`` it came from.
        until: Last step for random events (inclusive).

    """

    step: int
    event: Any
    source: str
    until: int | None = None


@dataclass(frozen=True)
class Scenario:
    """A loaded, validated scenario, with events resolved to steps.

    Attributes:
        name: Slug.
        title: Title.
        description: What it asks.
        sources: Publications behind its magnitudes.
        start: First quarter (step 0).
        steps: Number of quarters.
        parameters: Validated parameter overrides.
        events: Scheduled events in file order (included files first).
        path: File it came from (None for the built-in baseline).
        as_loaded: The merged document, for manifests and reports.

    """

    name: str
    title: str
    description: str
    sources: tuple[str, ...]
    start: Quarter
    steps: int
    parameters: dict[str, float | int]
    events: tuple[ScheduledEvent, ...]
    path: str | None = None
    as_loaded: dict[str, Any] = field(default_factory=dict)

    @property
    def hash(self) -> str:
        """SHA-256 of the merged scenario as loaded (stable across runs and machines)."""
        text = json.dumps(self.as_loaded, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def date(self, step: int) -> str:
        """Return the ``YYYY-Qn`` label of a step."""
        return quarter_label(self.start, step)

    def with_steps(self, steps: int) -> Scenario:
        """Return a copy with another horizon (events beyond it are dropped)."""
        kept = tuple(e for e in self.events if e.step < steps)
        return Scenario(
            self.name,
            self.title,
            self.description,
            self.sources,
            self.start,
            steps,
            self.parameters,
            kept,
            self.path,
            {**self.as_loaded, "steps": steps},
        )


def baseline_scenario(steps: int = 40) -> Scenario:
    """Return the built-in baseline: no events, 40 quarters from 2025-Q1."""
    return Scenario(
        name="baseline",
        title="Baseline",
        description="No events.",
        sources=(),
        start=Quarter(2025, 1),
        steps=steps,
        parameters={},
        events=(),
        as_loaded={"name": "baseline", "start": "2025-Q1", "steps": steps, "events": []},
    )


# ---------------------------------------------------------------------- YAML with line numbers


def _line_map(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map each key path (keys and list indices) to its 1-based line."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*path, key)] = key_node.start_mark.line + 1
            _line_map(value_node, (*path, key), out)
            out[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*path, i), out)
    return out


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[tuple, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            "scenario file not found",
            file=str(path),
            expected="a YAML file",
            suggestion=_suggest_file(path),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read file ({exc})", file=str(path)) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.constructor.ConstructorError as exc:
        # Safe loading refuses tags such as !!python/object: they could run code.
        mark = exc.problem_mark or exc.context_mark
        raise ScenarioError(
            f"YAML tag refused ({exc.problem})",
            file=str(path),
            line=mark.line + 1 if mark else None,
            expected="plain YAML without !!python or other custom tags (files load as safe YAML)",
            suggestion="remove the tag and write the value itself",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        if exc.context and exc.context_mark and exc.context_mark.line != getattr(mark, "line", -1):
            problem += f" {exc.context} that starts at line {exc.context_mark.line + 1}"
        raise ScenarioError(
            f"YAML syntax error: {problem}",
            file=str(path),
            line=line,
            expected="valid YAML (check indentation and colons)",
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"YAML error: {exc}", file=str(path)) from None
    if not isinstance(data, dict) or node is None:
        raise ScenarioError(
            "not a mapping", file=str(path), line=1, expected="keys name, title, steps, events"
        )
    return data, _line_map(node)


def _suggest_file(path: Path) -> str | None:
    folder = path.parent if path.parent.is_dir() else Path("scenarios")
    if not folder.is_dir():
        return None
    names = [p.name for p in folder.glob("*.yaml")]
    hint = suggest(path.name, names)
    return hint.replace("did you mean ", f"did you mean {folder}/") if hint else None


def _clean_loc(loc: tuple) -> tuple:
    """Drop the parts of a pydantic location that are not keys: event kinds (the discriminator
    tag), union members such as ``str`` or ``list[str]``, and validator names.
    """
    return tuple(
        p
        for p in loc
        if isinstance(p, int)
        or (
            p not in EVENT_KINDS
            and p not in _UNION_MEMBERS
            and "[" not in str(p)
            and not str(p).startswith("function")
        )
    )


_UNION_MEMBERS = {"str", "int", "float", "bool"}


def _suggest_include(written: str, child: Path) -> str | None:
    """Suggest a YAML file next to the missing ``child``, spelt relative like ``written``."""
    if not child.parent.is_dir():
        return None
    hint = suggest(child.name, [p.name for p in child.parent.glob("*.yaml")])
    prefix = str(Path(written).parent)
    if hint and prefix != ".":
        return hint.replace("did you mean ", f"did you mean {prefix}/")
    return hint


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    """Return the line of the deepest known prefix of a pydantic error location."""
    clean = _clean_loc(loc)
    for end in range(len(clean), -1, -1):
        if clean[:end] in lines:
            return lines[clean[:end]]
    return None


_TARGETS_EXPECTED = "an ISO3 code, a group, a UN region or all, or a list of them"
_TIME_EXPECTED = "YYYY-Qn such as 2025-Q3, or a step number"

#: What a field accepts, for fields whose type is a union (pydantic reports each member apart).
_FIELD_EXPECTED: dict[str, str] = {
    "observers": _TARGETS_EXPECTED,
    "targets": _TARGETS_EXPECTED,
    "nations": _TARGETS_EXPECTED,
    "exclude": "a list of ISO3 codes, groups or UN regions",
    "audiences": "all or a list of youth, public, elite",
    "at": _TIME_EXPECTED,
    "until": _TIME_EXPECTED,
}

_TYPE_NAMES = {
    "int": "an integer",
    "float": "a number",
    "string": "text",
    "list": "a list",
    "dict": "a mapping",
    "bool": "true or false",
    "model attributes": "a mapping of keys",
}


def _explain(
    errors: list[dict[str, Any]], model_title: str | None
) -> tuple[dict[str, Any], str, str | None, str | None]:
    """Pick the most telling of pydantic's errors and say it plainly.

    An unknown key is reported before the missing key it was probably meant to be; of the errors
    pydantic gives for each member of a union, the deepest one, with the choices of all members.

    Returns:
        The chosen error, the message, what was expected and a suggestion.

    """
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    where = _clean_loc(tuple(err["loc"]))
    related = [e for e in errors if _clean_loc(tuple(e["loc"]))[: len(where)] == where]
    deepest = max(related, key=lambda e: len(_clean_loc(tuple(e["loc"]))))
    if len(_clean_loc(tuple(deepest["loc"]))) > len(where):
        err, where = deepest, _clean_loc(tuple(deepest["loc"]))
    siblings = [e for e in errors if _clean_loc(tuple(e["loc"])) == where]
    field = next((str(p) for p in reversed(where) if isinstance(p, str)), "")
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    message = err["msg"].replace("Value error, ", "")
    expected: str | None = None
    suggestion: str | None = None
    if kind == "extra_forbidden":
        model = _model_at(tuple(err["loc"]), model_title)
        message = f"unknown key {field!r}"
        if model is not None:
            expected = f"one of {', '.join(model.model_fields)}"
            suggestion = suggest(field, model.model_fields)
        else:
            expected = "one of the documented keys (docs/scenarios.md)"
    elif kind == "missing":
        message = "required key is missing"
        expected = f"a value for {field}" if field else "this key to be present"
    elif kind == "union_tag_invalid":
        tag = ctx.get("tag", "")
        message = f"unknown event kind {tag!r}"
        expected = ", ".join(EVENT_KINDS)
        suggestion = suggest(str(tag), EVENT_KINDS)
    elif kind == "union_tag_not_found":
        message = "event without a kind"
        expected = f"kind: one of {', '.join(EVENT_KINDS)}"
    elif all(e["type"] == "literal_error" for e in siblings):
        choices = [c for e in siblings for c in re.findall(r"'([^']+)'", e["msg"])]
        message = f"{value!r} is not allowed"
        expected = f"{', '.join(choices[:-1])} or {choices[-1]}" if len(choices) > 1 else choices[0]
        suggestion = suggest(str(value), choices)
    elif field in _FIELD_EXPECTED and len(siblings) > 1:
        message = f"{value!r} is not valid here"
        expected = _FIELD_EXPECTED[field]
        choices = [c for e in siblings for c in re.findall(r"'([^']+)'", e["msg"])]
        if field == "audiences":
            choices += ["youth", "public", "elite"]
        suggestion = suggest(str(value), choices) if choices else None
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        sign = {"greater_than_equal": "≥", "less_than_equal": "≤", "greater_than": ">"}
        limit = next(iter(ctx.values()), "")
        message = f"{value!r} is out of range"
        expected = f"a number {sign.get(kind, '<')} {limit}"
    elif kind.endswith(("_type", "_parsing")) or kind == "int_from_float":
        wanted = re.match(r"Input should be (a valid [\w ]+)", err["msg"])
        message = f"{value!r} is not {wanted.group(1)}" if wanted else message
        name = kind.replace("_parsing", "").replace("_type", "").replace("_", " ")
        name = "int" if kind == "int_from_float" else name
        expected = _FIELD_EXPECTED.get(field) or _TYPE_NAMES.get(name, name)
        if where and where[0] == "events" and len(where) == 2:
            expected = "a mapping with at, kind and the keys of that kind (docs/scenarios.md)"
    elif kind == "string_pattern_mismatch":
        message = f"{value!r} is not a valid {field or 'value'}"
        expected = "lower-case letters, digits, - and _"
        slug = re.sub(r"[^a-z0-9_\-]+", "_", str(value).lower()).strip("_")
        suggestion = f"did you mean {slug}?" if slug else None
    if expected is None and "; expected " in message:
        message, expected = message.split("; expected ", 1)
    return err, message, expected or "see docs/scenarios.md", suggestion


def _pydantic_error(exc: ValidationError, path: Path, lines: dict[tuple, int]) -> ScenarioError:
    err, message, expected, suggestion = _explain(exc.errors(), exc.title)
    key_path = _clean_loc(tuple(err["loc"]))
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in key_path).lstrip(".")
    return ScenarioError(
        message,
        file=str(path),
        line=_line_for(lines, key_path),
        key=key or None,
        expected=expected,
        suggestion=suggestion,
    )


def _model_at(loc: tuple, model_title: str | None = "ScenarioFile") -> type[BaseModel] | None:
    """Return the schema class whose keys are valid at the parent of ``loc``."""
    kinds = [p for p in loc[:-1] if p in _EVENT_CLASSES]
    if kinds:
        model = _EVENT_CLASSES[kinds[0]]
        if model is RandomEvent and "magnitude" in loc[loc.index(kinds[0]) : -1]:
            return Distribution
        return model
    return ScenarioFile if len(loc) == 1 and model_title == "ScenarioFile" else None


# ---------------------------------------------------------------------- targets


def group_names(world: World) -> dict[str, str]:
    """Return user-facing group names (upper case) → the world's group names."""
    names = {g.upper(): g for g in world.groups}
    names.update(
        {"QUAD": "Quad", "US_ALLIES": "US_treaty_ally_bilateral", "RIO": "Rio_Treaty_TIAR"}
    )
    return {k: v for k, v in names.items() if v in world.groups}


def resolve_targets(
    targets: Targets,
    exclude: list[str],
    world: World,
    *,
    file: str | None = None,
    line: int | None = None,
    key: str = "observers",
    exclude_line: int | None = None,
) -> tuple[int, ...]:
    """Resolve ISO3 codes, group names, UN regions and ``all`` (minus exclusions) to indices.

    Args:
        targets: ``all``, a code, a group, a region, or a list of those.
        exclude: Codes, groups or regions to leave out.
        world: The world to resolve against.
        file: For error messages.
        line: For error messages.
        key: For error messages.
        exclude_line: Line of ``exclude`` for error messages (default ``line``).

    Returns:
        Sorted nation indices.

    Raises:
        ScenarioError: An unknown code, group or region (with a suggestion).

    """
    groups = group_names(world)
    regions = set(world.region)

    def one(item: str, which: str, line: int | None) -> set[int]:
        item = str(item)
        if item.lower() == "all":
            return set(range(world.n))
        if item in world.iso3:
            return {world.iso3.index(item)}
        if item.upper() in groups:
            members = world.groups[groups[item.upper()]]
            return {world.iso3.index(c) for c in members if c in world.iso3}
        if item in regions:
            return {i for i, r in enumerate(world.region) if r == item}
        choices = [*world.iso3, *groups, *sorted(regions), "all"]
        raise ScenarioError(
            f"unknown nation, group or region {item!r}",
            file=file,
            line=line,
            key=which,
            expected="an ISO3 code of the world, a group (EU, NATO, G7, BRICS, ...), a UN region "
            "or all",
            suggestion=suggest(item, choices),
        )

    items = [targets] if isinstance(targets, str) else list(targets)
    chosen: set[int] = set()
    for item in items:
        chosen |= one(item, key, line)
    for item in exclude:
        chosen -= one(item, "exclude", exclude_line or line)
    return tuple(sorted(chosen))


# ---------------------------------------------------------------------- loading


def _merge(
    path: Path, world: World, stack: tuple[Path, ...]
) -> tuple[ScenarioFile, dict[str, Any], list[tuple[Any, str, dict, Path]], dict[tuple, int]]:
    data, lines = _read_yaml(path)
    try:
        doc = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_error(exc, path, lines) from None
    events: list[tuple[Any, str, dict, Path]] = []
    params: dict[str, Any] = {}
    for i, inc in enumerate(doc.include):
        child = (path.parent / inc).resolve()
        line = lines.get(("include", i))
        if child in stack or child == path.resolve():
            chain = " -> ".join(p.name for p in (*stack, path.resolve(), child))
            raise ScenarioError(
                f"include cycle {chain}",
                file=str(path),
                line=line,
                key=f"include[{i}]",
                expected="includes that form no loop",
                suggestion=f"remove {inc} from one of the files",
            )
        if not child.is_file():
            raise ScenarioError(
                f"included file {inc!r} not found",
                file=str(path),
                line=line,
                key=f"include[{i}]",
                expected="a path relative to this file",
                suggestion=_suggest_include(inc, child),
            )
        _, child_params, child_events, _ = _merge(child, world, (*stack, path.resolve()))
        params.update(child_params)
        events.extend(child_events)
    for name in doc.parameters:
        params[name] = (doc.parameters[name], str(path), lines.get(("parameters", name)))
    for i, ev in enumerate(doc.events):
        events.append(
            (ev, f"{path}:{lines.get(('events', i), '?')}", lines_for_event(lines, i), path)
        )
    return doc, params, events, lines


def lines_for_event(lines: dict[tuple, int], i: int) -> dict[str, int]:
    """Return ``{key: line}`` for the keys of event ``i``."""
    return {p[2]: v for p, v in lines.items() if len(p) == 3 and p[:2] == ("events", i)}


def _step_of(
    at: str | int, start: Quarter, steps: int, *, file: str, line: int | None, key: str
) -> int:
    if isinstance(at, int) and not isinstance(at, bool):
        step = at
    else:
        try:
            step = Quarter.parse(str(at)) - start
        except ValueError as exc:
            raise ScenarioError(
                str(exc).split(";")[0],
                file=file,
                line=line,
                key=key,
                expected="YYYY-Qn such as 2025-Q3, or a step number",
            ) from None
    if not 0 <= step < steps:
        last = start + (steps - 1)
        when = "before the start" if step < 0 else "beyond the horizon"
        raise ScenarioError(
            f"{at} is {when}",
            file=file,
            line=line,
            key=key,
            expected=f"a quarter from {start} to {last} (step 0 to {steps - 1})",
            suggestion=f"use {start if step < 0 else last} or change start/steps",
        )
    return step


def load_scenario(path: str | Path, world: World | None = None) -> Scenario:
    """Load, validate and resolve a scenario file.

    Args:
        path: The YAML file.
        world: World to resolve nations against (default: the bundled 60 nations).

    Returns:
        The `Scenario`.

    Raises:
        ScenarioError: Any problem, with file, line, expectation and suggestion.

    """
    world = world or World.load()
    path = Path(path)
    doc, params_raw, raw_events, lines = _merge(path, world, ())
    start = Quarter.parse(doc.start)
    parameters: dict[str, float | int] = {}
    for name, (value, file, line) in params_raw.items():
        try:
            Parameters.from_mapping({name: value}, file=file, lines={name: line} if line else None)
        except ParameterError as exc:
            raise ScenarioError(
                exc.message,
                file=file,
                line=line,
                key=f"parameters.{name}",
                expected=exc.expected,
                suggestion=exc.suggestion
                or (suggest(name, REGISTRY) if name not in REGISTRY else None),
            ) from None
        parameters[name] = REGISTRY[name].type(value)
    scheduled: list[ScheduledEvent] = []
    for ev, source, ev_lines, ev_path in raw_events:
        file = str(ev_path)
        line = ev_lines.get("at")
        step = _step_of(ev.at, start, doc.steps, file=file, line=line, key="at")
        until = None
        if isinstance(ev, RandomEvent) and ev.until is not None:
            until = _step_of(
                ev.until, start, doc.steps, file=file, line=ev_lines.get("until"), key="until"
            )
            if until < step:
                raise ScenarioError(
                    "until is before at",
                    file=file,
                    line=ev_lines.get("until"),
                    key="until",
                    expected="a quarter at or after `at`",
                )
        _check_nations(ev, world, file, ev_lines)
        scheduled.append(ScheduledEvent(step=step, event=ev, source=source, until=until))
    as_loaded = doc.model_dump(mode="json")
    as_loaded["parameters"] = parameters
    as_loaded["events"] = [
        {**e.event.model_dump(mode="json", exclude_none=True), "step": e.step} for e in scheduled
    ]
    return Scenario(
        name=doc.name,
        title=doc.title,
        description=doc.description,
        sources=tuple(doc.sources),
        start=start,
        steps=doc.steps,
        parameters=parameters,
        events=tuple(scheduled),
        path=str(path),
        as_loaded=as_loaded,
    )


def _check_nations(ev: Any, world: World, file: str, lines: dict[str, int]) -> None:
    """Raise ScenarioError for any unknown code, group, region, initiative or inner event."""
    if isinstance(ev, RandomEvent):
        try:
            inner_data = {**ev.event, "at": 0, "magnitude": 0.0}
            if inner_data["kind"] == "capacity":
                inner_data.pop("magnitude")
                inner_data["scale"] = 1.0
            inner = _EVENT_ADAPTER.validate_python(inner_data)
        except ValidationError as exc:
            err, message, expected, suggestion = _explain(exc.errors(), None)
            where = _clean_loc(tuple(err["loc"]))
            raise ScenarioError(
                message,
                file=file,
                line=lines.get("event"),
                key=".".join(["event", *(str(p) for p in where)]),
                expected=expected,
                suggestion=suggestion,
            ) from None
        inner_line = lines.get("event")
        _check_nations(
            inner, world, file, {k: inner_line for k in ("actor", "observers", "exclude")}
        )
        return
    for key in ("actor", "source"):
        code = getattr(ev, key, None)
        if code is not None and code not in world.iso3:
            raise ScenarioError(
                f"unknown nation {code!r}",
                file=file,
                line=lines.get(key),
                key=key,
                expected="an ISO3 code of the world",
                suggestion=suggest(code, world.iso3),
            )
    for key in ("observers", "targets", "nations"):
        value = getattr(ev, key, None)
        if value is not None:
            resolve_targets(
                value,
                ev.exclude,
                world,
                file=file,
                line=lines.get(key),
                key=key,
                exclude_line=lines.get("exclude"),
            )
    if isinstance(ev, MembershipEvent):
        known = set(group_names(world)) | {"BRI", "PARIS", "WHO"}
        if ev.initiative.upper() not in known:
            raise ScenarioError(
                f"unknown initiative {ev.initiative!r}",
                file=file,
                line=lines.get("initiative"),
                key="initiative",
                expected="BRI, PARIS, WHO or a group name",
                suggestion=suggest(ev.initiative.upper(), known),
            )


_EVENT_ADAPTER: TypeAdapter = TypeAdapter(Event)

AUDIENCE_INDEX = {a: i for i, a in enumerate(AUDIENCES)}
CHANNEL_INDEX = {c: i for i, c in enumerate(CHANNELS)}
