"""The bundled worlds by name, each loaded once per process and shared by every caller."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sim.errors import SoftPowerError, WorldError, suggest
from sim.world.world import DATA_DIR, World

__all__ = [
    "DEFAULT_WORLD",
    "WORLDS",
    "bundled_world",
    "check_nations",
    "loaded_name",
    "world_name",
]

#: The bundled worlds: name → data folder (same file formats; see sim/data/README.md).
WORLDS: dict[str, Path] = {
    "core60": DATA_DIR,  # 60 nations: G20, large EU states, Gulf, ASEAN, ...; fast teaching runs
    "un193": DATA_DIR / "un193",  # every UN member state, plus Taiwan, Kosovo and Palestine
}

#: The world used when none is named (a scenario or experiment file, ``--world``, or the API).
DEFAULT_WORLD = "un193"


def world_name(
    name: str | None = None,
    *,
    key: str = "world",
    file: str | None = None,
    line: int | None = None,
) -> str:
    """Return ``name`` checked against `WORLDS` (`DEFAULT_WORLD` when None).

    Raises:
        WorldError: An unknown name, with the names known and the closest one.

    Example:
        >>> world_name(None) in WORLDS
        True
    """
    if name is None:
        return DEFAULT_WORLD
    if name not in WORLDS:
        raise WorldError(
            f"unknown world {name!r}",
            file=file,
            line=line,
            key=key,
            expected="one of " + ", ".join(WORLDS),
            suggestion=suggest(name, WORLDS),
        )
    return name


def bundled_world(name: str | None = None) -> World:
    """Return the bundled world ``name`` (`DEFAULT_WORLD` when None), loaded on first use and then
    shared.

    Models copy what they change, so one instance per name serves every run of a process: the
    CLI, the batch workers, calibration, the report and the app all call this instead of keeping
    their own cache.

    Args:
        name: ``core60`` or ``un193`` (`WORLDS`).

    Raises:
        WorldError: An unknown name.
    """
    name = world_name(name)
    if name not in _LOADED:
        _LOADED[name] = World.load(WORLDS[name])
    return _LOADED[name]


def loaded_name(world: World) -> str | None:
    """Return the name of ``world`` if it is a bundled world loaded by `bundled_world`, else
    None (a synthetic world, or one loaded from another folder).
    """
    return next((name for name, w in _LOADED.items() if w is world), None)


#: The one cache of bundled worlds, by name (forked workers inherit it).
_LOADED: dict[str, World] = {}


def check_nations(codes: Sequence[str], world: World, *, key: str, expected: str) -> None:
    """Raise a one-line error for the first code that is not a nation of ``world``.

    Raises:
        SoftPowerError: ``unknown nation``, with ``key``, ``expected`` and the closest code.
    """
    for code in codes:
        if code not in world.iso3:
            raise SoftPowerError(
                f"unknown nation {code!r}",
                key=key,
                expected=expected,
                suggestion=suggest(code, world.iso3),
            )
