"""Targets of events: ISO3 codes, group names, UN regions and ``all``, resolved to nation
indices.
"""

from __future__ import annotations

from sim.errors import ScenarioError, suggest
from sim.scenario.schema import Targets
from sim.world.world import World

__all__ = ["group_names", "resolve_targets"]


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
