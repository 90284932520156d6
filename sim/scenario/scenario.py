"""Loading scenarios: validated YAML files of what happens when (docs/scenarios.md).

`load_scenario(path, world)` reads a file with safe YAML, validates it with pydantic, follows
``include:`` and resolves every time to a step and every target (ISO3 codes, groups, UN regions,
``all``, exclusions) to nation indices. Any problem raises `ScenarioError` with file, line, what
was expected and a suggestion. `Scenario.plan(world)` gives the plain `sim.model.Plan` a model runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from sim.errors import ParameterError, ScenarioError, suggest
from sim.model.plan import (
    Plan,
    PlannedEvent,
)
from sim.params import REGISTRY, Parameters
from sim.scenario.calendar import Quarter, quarter_label
from sim.scenario.explain import clean_loc, explain, pydantic_error, read_yaml, suggest_include
from sim.scenario.resolve import planned_event
from sim.scenario.schema import (
    EVENT_ADAPTER,
    CredibilityShockEvent,
    EdgeEvent,
    MembershipEvent,
    NewsShockEvent,
    RandomEvent,
    RestrictionEvent,
    ScenarioFile,
    TariffEvent,
    ThreatEvent,
    WarEvent,
)
from sim.scenario.targets import group_names, resolve_targets
from sim.world.bundled import DEFAULT_WORLD, bundled_world, loaded_name, world_name
from sim.world.world import World

__all__ = ["Scenario", "ScheduledEvent", "load_scenario", "baseline_scenario"]


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
        world: Name of the bundled world its nations were resolved against (`sim.world.WORLDS`).

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
    world: str = DEFAULT_WORLD

    @property
    def hash(self) -> str:
        """SHA-256 of the merged scenario as loaded (stable across runs and machines)."""
        text = json.dumps(self.as_loaded, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def date(self, step: int) -> str:
        """Return the ``YYYY-Qn`` label of a step."""
        return quarter_label(self.start, step)

    def plan(self, world: World) -> Plan:
        """Resolve this scenario for ``world`` into the plain `Plan` a model runs.

        Every target becomes nation indices of ``world``; random events become `RandomShock`
        templates whose size the run draws from its own generator when they fire.
        """
        return Plan(
            name=self.name,
            steps=self.steps,
            start=(self.start.year, self.start.q),
            parameters=dict(self.parameters),
            events=tuple(
                PlannedEvent(e.step, planned_event(e.event, world), e.source, e.until)
                for e in self.events
            ),
        )

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
            self.world,
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


def _merge(
    path: Path, world: World | str | None, stack: tuple[Path, ...]
) -> tuple[ScenarioFile, dict[str, Any], list[tuple[Any, str, dict, Path]], dict[tuple, int]]:
    data, lines = read_yaml(path)
    try:
        doc = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise pydantic_error(exc, path, lines) from None
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
                suggestion=suggest_include(inc, child),
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


def load_scenario(path: str | Path, world: World | str | None = None) -> Scenario:
    """Load, validate and resolve a scenario file.

    Args:
        path: The YAML file.
        world: World to resolve nations against, or the name of a bundled world
            (`sim.world.WORLDS`, chosen by ``--world`` or an experiment's ``world:``; it wins
            over the file's ``world:``). Default: the bundled world the file names in
            ``world:``, else `sim.world.DEFAULT_WORLD`.

    Returns:
        The `Scenario`.

    Raises:
        ScenarioError: Any problem, with file, line, expectation and suggestion.

    """
    path = Path(path)
    doc, params_raw, raw_events, lines = _merge(path, world, ())
    if world is None or isinstance(world, str):
        chosen = (
            world_name(world)
            if world is not None
            else world_name(doc.world, key="world", file=str(path), line=lines.get(("world",)))
        )
        world = bundled_world(chosen)
    else:
        chosen = loaded_name(world) or doc.world or DEFAULT_WORLD
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
    if doc.world is None:  # files without `world:` keep the hash they had before worlds had names
        del as_loaded["world"]
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
        world=chosen,
    )


def _check_nations(ev: Any, world: World, file: str, lines: Mapping[str, int | None]) -> None:
    """Raise ScenarioError for any unknown code, group, region, initiative or inner event."""
    if isinstance(ev, RandomEvent):
        try:
            inner_data = {**ev.event, "at": 0, "magnitude": 0.0}
            if inner_data["kind"] == "capacity":
                inner_data.pop("magnitude")
                inner_data["scale"] = 1.0
            inner = EVENT_ADAPTER.validate_python(inner_data)
        except ValidationError as exc:
            err, message, expected, suggestion = explain(exc.errors(), None)
            where = clean_loc(tuple(err["loc"]))
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
    for key in ("actor", "source", "target"):
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
            chosen = resolve_targets(
                value,
                ev.exclude,
                world,
                file=file,
                line=lines.get(key),
                key=key,
                exclude_line=lines.get("exclude"),
            )
            _check_resolved(ev, key, value, chosen, world, file, lines)
    if isinstance(ev, WarEvent):
        _check_war(ev, file, lines)
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


#: Event kinds whose targets or observers may not name the actor itself (a nation does not put a
#: tariff on, tie an edge to, restrict, lose credibility or make news with itself: the model
#: leaves a nation's view of itself out, so the event would do nothing). ``all``, a group or a
#: region that contains the actor is fine: the actor is one of many there.
_NOT_SELF = (
    TariffEvent,
    EdgeEvent,
    RestrictionEvent,
    CredibilityShockEvent,
    NewsShockEvent,
    ThreatEvent,
)


def _check_resolved(
    ev: Any,
    key: str,
    value: Any,
    chosen: tuple[int, ...],
    world: World,
    file: str,
    lines: Mapping[str, int | None],
) -> None:
    """Refuse targets that resolve to no nation, or that name the event's own actor.

    Raises:
        ScenarioError: ``observers: []``, a group or region with no nation of the world, an
            ``exclude`` that leaves nobody, or the actor among its own targets.

    """
    where: dict[str, Any] = {"file": file, "line": lines.get(key), "key": key}
    if not chosen:
        raise ScenarioError(
            f"{value!r} resolves to no nation of {loaded_name(world) or 'the world'}"
            + (f" after exclude {list(ev.exclude)}" if ev.exclude else ""),
            **where,
            expected="at least one nation (an ISO3 code, a group, a UN region or all)",
            suggestion="name the nations, or drop the event",
        )
    actor = getattr(ev, "actor", None) or getattr(ev, "source", None)
    if not isinstance(ev, _NOT_SELF) or actor not in world.iso3:
        return
    own = world.iso3.index(actor)
    items = [value] if isinstance(value, str) else list(value)
    if actor in items or set(chosen) == {own}:
        who = "source" if isinstance(ev, EdgeEvent) else "actor"
        raise ScenarioError(
            f"the {who} {actor} is among its own {key}",
            **where,
            expected=f"{key} other than the {who} ({ev.kind} acts between two nations)",
            suggestion=f"remove {actor} from {key}",
        )


def _check_war(ev: WarEvent, file: str, lines: Mapping[str, int | None]) -> None:
    """Refuse a war on oneself, or an actor among its opponents (or the target among allies)."""
    problem = None
    if ev.target == ev.actor:
        problem, key = f"the actor {ev.actor} is its own target", "target"
    elif ev.actor in ev.opponents:
        problem, key = f"the actor {ev.actor} is among its opponents", "opponents"
    elif ev.target in ev.coalition:
        problem, key = f"the target {ev.target} is in the actor's coalition", "coalition"
    if problem is not None:
        raise ScenarioError(
            problem,
            file=file,
            line=lines.get(key),
            key=key,
            expected="a target other than the actor, the actor's allies in coalition and the "
            "target's in opponents",
            suggestion=f"check {key}",
        )
