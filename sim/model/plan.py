"""What a run does, as plain resolved objects: horizon, calendar, parameter overrides, events.

The scenario language (`sim.scenario`) validates files and resolves every time to a step and
every target to nation indices; the model receives the result as a `Plan` and never reads a
file. Every event here names nations by their array index.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "AidPolicy",
    "CapacityChange",
    "CredibilityShock",
    "Edge",
    "LeaderChange",
    "Membership",
    "NewsShock",
    "Plan",
    "PlanEvent",
    "PlannedEvent",
    "RandomShock",
    "Restriction",
    "Tariff",
    "Threat",
    "War",
    "quarter_after",
]


def quarter_after(year: int, quarter: int, steps: int) -> tuple[int, int]:
    """Return the (year, quarter) ``steps`` quarters after ``year``-Q``quarter``.

    Example:
        >>> quarter_after(2025, 3, 2)
        (2026, 1)

    """
    index = year * 4 + (quarter - 1) + steps
    return index // 4, index % 4 + 1


@dataclass(frozen=True)
class CapacityChange:
    """Scale, add to or set one channel capacity of an actor, optionally over ``ramp`` quarters.

    Exactly one of ``scale``, ``add`` and ``set`` is given.
    """

    actor: int
    channel: int
    scale: float | None = None
    add: float | None = None
    set: float | None = None
    ramp: int = 1


@dataclass(frozen=True)
class CredibilityShock:
    """Observers believe the actor less (``bad``) or more (``good``) by ``magnitude`` in [0, 1]."""

    actor: int
    observers: tuple[int, ...]
    magnitude: float
    direction: Literal["bad", "good"] = "bad"


@dataclass(frozen=True)
class NewsShock:
    """A jump of perception of the actor in chosen audiences and channels (then decays).

    Attributes:
        channel: The channel as written (a name or ``all``), for the event log.

    """

    actor: int
    observers: tuple[int, ...]
    audiences: tuple[int, ...]
    channels: tuple[int, ...]
    magnitude: float
    channel: str = "all"


@dataclass(frozen=True)
class Tariff:
    """The tariff rate in force from now on between the actor and targets."""

    actor: int
    targets: tuple[int, ...]
    rate: float
    both_ways: bool = True


@dataclass(frozen=True)
class Membership:
    """Nations join or leave an initiative, agreement or group (its name in the world)."""

    kind: Literal["join", "leave"]
    nations: tuple[int, ...]
    initiative: str
    note: str = ""


@dataclass(frozen=True)
class Restriction:
    """Observers restrict an actor's channels for chosen audiences by ``severity`` in [0, 1]."""

    actor: int
    observers: tuple[int, ...]
    audiences: tuple[int, ...]
    channels: tuple[int, ...]
    severity: float
    channel: str = "all"


@dataclass(frozen=True)
class Edge:
    """Add or remove a tie of a network layer between a source and targets."""

    action: Literal["add", "remove"]
    layer: Literal["trade", "alliance", "rivalry", "aid"]
    source: int
    targets: tuple[int, ...]
    weight: float = 0.05


@dataclass(frozen=True)
class AidPolicy:
    """A donor switches its aid allocation strategy (``need``, ``strategic`` or ``retreat``)."""

    actor: int
    strategy: Literal["need", "strategic", "retreat"]


@dataclass(frozen=True)
class Threat:
    """A threat of the actor to the targets' sovereignty or territory (severity in [0, 1])."""

    actor: int
    targets: tuple[int, ...]
    severity: float


@dataclass(frozen=True)
class War:
    """A war or intervention of the actor against a target, with its coalition and opponents."""

    actor: int
    target: int
    coalition: tuple[int, ...] = ()
    opponents: tuple[int, ...] = ()


@dataclass(frozen=True)
class LeaderChange:
    """A new head of government of the actor: ``stance`` the change of nationalist stance."""

    actor: int
    leader: str
    stance: float


@dataclass(frozen=True)
class RandomShock:
    """Each quarter of its window ``template`` fires with probability ``hazard``.

    Its size (``template``'s ``scale`` for a capacity change, else ``magnitude``) is drawn from
    the run's own generator when it fires: ``uniform(low, high)``, ``normal(mean, sd)`` or the
    fixed ``value``.
    """

    hazard: float
    distribution: Literal["uniform", "normal", "fixed"]
    template: CapacityChange | CredibilityShock | NewsShock
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    value: float | None = None

    def sized(self, value: float) -> CapacityChange | CredibilityShock | NewsShock:
        """Return the template with a drawn size, clipped to the range of its field."""
        if isinstance(self.template, CapacityChange):
            return replace(self.template, scale=max(0.0, value))
        low = 0.0 if isinstance(self.template, CredibilityShock) else -1.0
        return replace(self.template, magnitude=min(max(value, low), 1.0))


PlanEvent = (
    CapacityChange
    | CredibilityShock
    | NewsShock
    | Tariff
    | Membership
    | Restriction
    | Edge
    | AidPolicy
    | Threat
    | War
    | LeaderChange
    | RandomShock
)


@dataclass(frozen=True)
class PlannedEvent:
    """An event at a step (random shocks: at every step from ``step`` to ``until``).

    Attributes:
        step: The step (0-based) during whose transition it acts.
        event: What it does.
        source: ``file:line`` it came from.
        until: Last step of a random shock's window (inclusive).

    """

    step: int
    event: PlanEvent
    source: str = ""
    until: int | None = None


@dataclass(frozen=True)
class Plan:
    """A run's plan: its horizon, first quarter, parameter overrides and events.

    Attributes:
        name: Slug of the scenario it came from.
        steps: Number of quarters.
        start: (year, quarter) of step 0.
        parameters: Overrides of registry parameters.
        events: Planned events in the order they act within a step.

    """

    name: str = "baseline"
    steps: int = 40
    start: tuple[int, int] = (2025, 1)
    parameters: Mapping[str, float | int] = field(default_factory=dict)
    events: tuple[PlannedEvent, ...] = ()

    def date(self, step: int) -> str:
        """Return the ``YYYY-Qn`` label of a step."""
        year, quarter = quarter_after(*self.start, step)
        return f"{year}-Q{quarter}"

    def with_steps(self, steps: int) -> Plan:
        """Return a copy with another horizon (events beyond it are dropped)."""
        kept = tuple(e for e in self.events if e.step < steps)
        return replace(self, steps=steps, events=kept)

    def plan(self, world: object | None = None) -> Plan:
        """Return self: a plan is already resolved (scenarios resolve themselves to one)."""
        return self

    # What readers of a run ask of its spec (`sim.model.model.Plannable`), as a scenario has it.
    @property
    def title(self) -> str:
        """The plan's name: a plan has no title of its own."""
        return self.name

    @property
    def description(self) -> str:
        """Empty: a plan carries no prose."""
        return ""

    @property
    def path(self) -> str | None:
        """None: a plan comes from no file."""
        return None

    @property
    def as_loaded(self) -> dict[str, Any]:
        """The plan as plain data for manifests: name, start, horizon, overrides and events."""
        return {
            "name": self.name,
            "start": self.date(0),
            "steps": self.steps,
            "parameters": dict(self.parameters),
            "events": [
                {
                    "step": e.step,
                    "until": e.until,
                    "source": e.source,
                    "event": {"type": type(e.event).__name__, **asdict(e.event)},
                }
                for e in self.events
            ],
        }

    @property
    def hash(self) -> str:
        """SHA-256 of `as_loaded`, as a scenario's hash is of its merged document."""
        text = json.dumps(self.as_loaded, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def due(self) -> dict[int, list[PlannedEvent]]:
        """Return events by the step at which they act (random shocks at every window step)."""
        due: dict[int, list[PlannedEvent]] = {}
        for ev in self.events:
            if isinstance(ev.event, RandomShock):
                last = ev.until if ev.until is not None else self.steps - 1
                window = range(ev.step, last + 1)
            else:
                window = range(ev.step, ev.step + 1)
            for t in window:
                due.setdefault(t, []).append(ev)
        return due
