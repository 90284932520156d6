"""The components of an attribution: a scenario's events grouped by event, by file or by kind
and year, with their labels, and the grouping a run budget affords (`sim.analysis.attribution`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.analysis.shapley import evaluations_needed
from sim.errors import SoftPowerError, suggest
from sim.model.plan import Plan

__all__ = ["GROUPINGS", "choose_grouping", "components_of", "plan_cost"]

#: How events are grouped into components.
GROUPINGS: tuple[str, ...] = ("event", "file", "kind")


def _event_labels(scenario: Any, plan: Plan) -> list[tuple[str, str, str]]:
    """Per planned event: (label, file, kind)."""
    scheduled = getattr(scenario, "events", None)
    labels = []
    for i, planned in enumerate(plan.events):
        source = planned.source or f"event {i}"
        file, _, line = source.rpartition(":")
        file = Path(file).name if file else source
        raw = scheduled[i].event if scheduled is not None and i < len(scheduled) else None
        kind = getattr(raw, "kind", None) or _kind_of(planned.event)
        where = f"{file}:{line}" if line else file
        year = plan.date(planned.step)[:4] if isinstance(plan, Plan) else ""
        labels.append(
            (" ".join([where, str(kind), *_details(raw)]), file, f"{kind} {year}".strip())
        )
    return labels


def _short(codes: Any) -> str:
    codes = [str(c) for c in codes] if isinstance(codes, list | tuple) else [str(codes)]
    return ",".join(codes[:2]) + ("…" if len(codes) > 2 else "")


def _details(raw: Any) -> list[str]:
    """Who and what of a scenario event, for its label: ``USA aid``, ``CHN→KAZ``, ``USA PARIS``."""
    if raw is None:
        return []
    inner = getattr(raw, "event", None)
    if getattr(raw, "kind", None) == "random" and inner is not None:
        return [str(getattr(inner, "kind", "")), *_details(inner)]
    who = getattr(raw, "actor", None) or getattr(raw, "source", None)
    if who is None and getattr(raw, "nations", None):
        who = _short(raw.nations)
    targets = getattr(raw, "targets", None)
    parts = [f"{who}→{_short(targets)}" if who and targets else str(who or "")]
    for name in ("channel", "initiative", "strategy"):
        value = getattr(raw, name, None)
        if isinstance(value, str):
            parts.append(value)
    return [p for p in parts if p]


def _kind_of(event: Any) -> str:
    name = type(event).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def components_of(
    scenario: Any, plan: Plan, by: str = "event"
) -> list[tuple[str, tuple[int, ...]]]:
    """Group a plan's events into named components.

    Args:
        scenario: The `sim.scenario.Scenario` the plan came from (for event kinds and actors),
            or the plan itself.
        plan: The resolved plan.
        by: ``event`` (one component per event, labelled ``file:line kind actor``), ``file``
            (per file the events came from, e.g. each included file) or ``kind`` (per event
            kind and year, e.g. ``leader_change 2029``: a kind's events of different years are
            different decisions and are not netted).

    Returns:
        ``[(name, event indices)]`` in order of first appearance.

    Raises:
        SoftPowerError: An unknown grouping.

    """
    if by not in GROUPINGS:
        raise SoftPowerError(
            f"unknown grouping {by!r}",
            key="--by",
            expected=" | ".join(GROUPINGS),
            suggestion=suggest(by, GROUPINGS),
        )
    groups: dict[str, list[int]] = {}
    for i, (label, file, kind) in enumerate(_event_labels(scenario, plan)):
        key = {"event": label, "file": file, "kind": kind}[by]
        groups.setdefault(key, []).append(i)
    return [(name, tuple(members)) for name, members in groups.items()]


def plan_cost(
    n_components: int, *, seeds: int = 1, max_exact: int = 8, permutations: int = 16
) -> int:
    """Return the most model runs `attribute` makes for this many active components."""
    coalitions = evaluations_needed(n_components, max_exact=max_exact, permutations=permutations)
    return (coalitions + 2) * seeds  # + the baseline (and overrides) runs


def choose_grouping(scenario: Any, plan: Plan, step: int, budget: int = 64) -> tuple[str, int, int]:
    """Pick the finest grouping whose exact attribution fits a budget of coalition runs.

    Tries ``event``, then ``file``, then ``kind``; the first with ``2**n ≤ budget`` active
    components — and more than one, unless there is only one active event — is attributed
    exactly. If none fits, events are sampled with as many orderings as the budget allows (at
    least 2).

    Args:
        scenario: As for `components_of`.
        plan: The resolved plan.
        step: The step to be explained (events at or after it do not count).
        budget: Most coalition runs per seed.

    Returns:
        ``(by, max_exact, permutations)`` for `attribute`.

    """
    events = sum(e.step < step for e in plan.events)
    for by in GROUPINGS:
        groups = components_of(scenario, plan, by)
        n = sum(any(plan.events[i].step < step for i in members) for _, members in groups)
        if 2**n <= budget and (n > 1 or events <= 1):
            return by, n, 2
    n = len(components_of(scenario, plan, "event"))
    permutations = max(2, (budget - 2) // max(1, n - 1))
    return "event", 0, permutations - permutations % 2
