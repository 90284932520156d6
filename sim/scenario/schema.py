"""The schema of scenario files (pydantic): one class per event kind of the registry
(`sim.model.kinds.KINDS`) and the file itself.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    TypeAdapter,
    field_validator,
    model_validator,
)

from sim.axes import AUDIENCES, CHANNELS
from sim.model.kinds import KINDS
from sim.scenario.calendar import Quarter

__all__ = [
    "AUDIENCE_INDEX",
    "CHANNEL_INDEX",
    "EVENT_KINDS",
    "ScenarioFile",
    "EVENT_ADAPTER",
    "EVENT_CLASSES",
    "Event",
    "Targets",
    "TimeSpec",
    "CapacityEvent",
    "CredibilityShockEvent",
    "NewsShockEvent",
    "TariffEvent",
    "MembershipEvent",
    "RestrictionEvent",
    "EdgeEvent",
    "AidPolicyEvent",
    "LeaderChangeEvent",
    "ThreatEvent",
    "WarEvent",
    "Distribution",
    "RandomEvent",
]


Channel = Literal["culture", "tech", "aid", "diplomacy"]


Audience = Literal["youth", "public", "elite"]


# Strict, so that `at: true` is refused rather than read as step 1.
TimeSpec = Annotated[StrictStr | StrictInt, Field(description="YYYY-Qn or a step number")]


Targets = str | list[str]


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


class ThreatEvent(_Event):
    """A threat by the actor to the sovereignty or territory of the targets.

    ``severity``: 1 a threat of annexation or force, 0.5 an explicit coercive threat (tariffs or
    sanctions to force a political concession), 0.25 hostile rhetoric.
    """

    kind: Literal["threat"]
    actor: str
    targets: Targets
    exclude: list[str] = []
    severity: float = Field(ge=0.0, le=1.0)


class WarEvent(_Event):
    """A war or military intervention of the actor against a target, with who joined and who
    opposed it.
    """

    kind: Literal["war"]
    actor: str
    target: str
    coalition: list[str] = []
    opponents: list[str] = []


class LeaderChangeEvent(_Event):
    """A new head of government of the actor; ``stance`` is the change of nationalist stance
    (+1 from an internationalist to a nationalist programme, −1 the reverse).
    """

    kind: Literal["leader_change"]
    actor: str
    leader: str
    stance: float = Field(ge=-1.0, le=1.0)


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
    | ThreatEvent
    | WarEvent
    | LeaderChangeEvent
    | RandomEvent,
    Field(discriminator="kind"),
]


#: The kinds of the registry of event kinds (`sim.model.kinds.KINDS`), in its order.
EVENT_KINDS: tuple[str, ...] = tuple(KINDS)


def _classes_by_kind() -> dict[str, type[BaseModel]]:
    """Return each kind's class of the `Event` union, by the kind (``kind``'s literal values)."""
    union = typing.get_args(Event)[0]
    return {
        kind: cls
        for cls in typing.get_args(union)
        for kind in typing.get_args(cls.model_fields["kind"].annotation)
    }


#: The schema class of each kind (``join`` and ``leave`` share one).
EVENT_CLASSES: dict[str, type[BaseModel]] = _classes_by_kind()


class ScenarioFile(BaseModel):
    """The schema of a scenario file (see docs/scenarios.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z0-9_\-]+$")
    title: str
    description: str = ""
    sources: list[str] = []
    start: str = "2025-Q1"
    steps: int = Field(default=40, ge=1, le=400)
    world: str | None = None  # a bundled world (sim.world.WORLDS); None: the default one
    include: list[str] = []
    parameters: dict[str, Any] = {}
    events: list[Event] = []

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        Quarter.parse(value)
        return value


EVENT_ADAPTER: TypeAdapter = TypeAdapter(Event)


AUDIENCE_INDEX = {a: i for i, a in enumerate(AUDIENCES)}


CHANNEL_INDEX = {c: i for i, c in enumerate(CHANNELS)}
