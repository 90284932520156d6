"""The registry of event kinds: each kind of scenario event declared once, with its name in
scenario files, the plan event it resolves to, what it does to a running model, the names it
writes in the event log and its row in docs/ODD.md (§7.8).

Kinds are declared where their effect is written (`sim.model.effects`, with `register`). The
layers above add their part by the kind's name — the file schema and the resolution to nation
indices in `sim.scenario`, the app's sentence in `sim.viz.narrative` — and tests check that
every kind registered here has each part and a case of the size of what it does
(tests/test_event_kinds.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model.model import SoftPowerModel

__all__ = ["KINDS", "Effect", "EventKind", "effect_of", "odd_table", "register"]

#: What an event does to a running model: ``effect(model, plan_event)``.
Effect = Callable[["SoftPowerModel", Any], None]


@dataclass(frozen=True)
class EventKind:
    """One kind of scenario event.

    Attributes:
        name: The ``kind:`` of scenario files (``tariff``, ``join``, ...).
        plan: The resolved event of `sim.model.plan` it becomes (two kinds may share one,
            such as ``join`` and ``leave``).
        effect: What it does to a running model (`sim.model.effects.apply_event` calls it).
        summary: What it does, in the words of docs/ODD.md §7.8 (its row of the table).
        logs: The kinds it writes in the event log (``events.csv``): its name, ``edge_add``
            and ``edge_remove`` for ``edge``, none of its own for ``random`` (a random shock
            logs as the kind it fires).

    """

    name: str
    plan: type
    effect: Effect
    summary: str
    logs: tuple[str, ...]


#: Every event kind, by name, in the order scenario documentation and error messages list them.
KINDS: dict[str, EventKind] = {}

_EFFECTS: dict[type, Effect] = {}


def register(
    name: str, plan: type, summary: str, logs: tuple[str, ...] | None = None
) -> Callable[[Effect], Effect]:
    """Declare an event kind whose effect is the decorated function.

    Args:
        name: The ``kind:`` of scenario files.
        plan: The plan event (`sim.model.plan`) it resolves to.
        summary: What it does (docs/ODD.md §7.8); whitespace is collapsed.
        logs: The kinds it writes in the event log (default: its name).

    Returns:
        A decorator that registers the effect and returns it unchanged.

    Raises:
        ValueError: The name is taken, or the plan event already has another effect.

    Example:
        >>> from sim.model.plan import AidPolicy
        >>> KINDS["aid_policy"].plan is AidPolicy
        True

    """

    def decorate(effect: Effect) -> Effect:
        if name in KINDS:
            raise ValueError(f"event kind {name!r} is registered twice")
        if _EFFECTS.get(plan, effect) is not effect:
            raise ValueError(f"{plan.__name__} already has another effect than {name!r}'s")
        KINDS[name] = EventKind(
            name, plan, effect, " ".join(summary.split()), (name,) if logs is None else logs
        )
        _EFFECTS[plan] = effect
        return effect

    return decorate


def effect_of(event: object) -> Effect:
    """Return the effect of a plan event (by its type).

    Raises:
        TypeError: No kind resolves to an event of this type.

    """
    try:
        return _EFFECTS[type(event)]
    except KeyError:
        raise TypeError(f"unknown event {event!r}") from None


def odd_table() -> str:
    """Return the Markdown table of event kinds of docs/ODD.md §7.8, one row per kind."""
    lines = [
        "| Kind | Plan event | Logged as | What it does |",
        "|---|---|---|---|",
    ]
    for kind in KINDS.values():
        logged = ", ".join(f"`{name}`" for name in kind.logs) or "the kind it fires"
        summary = kind.summary.replace("|", "\\|")
        lines.append(f"| `{kind.name}` | `{kind.plan.__name__}` | {logged} | {summary} |")
    return "\n".join(lines) + "\n"
