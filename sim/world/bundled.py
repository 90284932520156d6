"""The bundled worlds by name, each loaded once per process and shared by every caller."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sim.errors import SoftPowerError, WorldError, suggest
from sim.world.world import DATA_DIR, World

__all__ = [
    "DEFAULT_WORLD",
    "RUN_TARGETS",
    "WORLDS",
    "bundled_world",
    "check_nations",
    "loaded_name",
    "run_targets",
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


#: Perception and poll targets `softpower run` records by default, per world (every actor when
#: the world is not listed). At 196 nations all pairs are ~100 MB of CSV a run.
RUN_TARGETS: dict[str, tuple[str, ...]] = {
    "un193": ("USA", "CHN", "RUS", "GBR", "FRA", "DEU", "JPN", "IND", "BRA", "TUR", "SAU", "ZAF"),
}


def run_targets(option: str | None, world: World) -> tuple[str, ...] | None:
    """Return the perception and poll targets a run records (None: every actor): those of
    ``softpower run --targets`` checked against the world, else `RUN_TARGETS` of the world.

    Raises:
        SoftPowerError: An unknown nation (with the closest code) or an empty list.
    """
    if option is None:
        return RUN_TARGETS.get(loaded_name(world) or "")
    if option.strip().lower() == "all":
        return None
    codes = tuple(dict.fromkeys(c.strip().upper() for c in option.split(",") if c.strip()))
    check_nations(
        codes,
        world,
        key="--targets",
        expected="comma-separated ISO3 codes of the world's nations, or all",
    )
    if not codes:
        raise SoftPowerError("no nation", key="--targets", expected="e.g. USA,CHN, or all")
    return codes


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
