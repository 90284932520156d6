"""The bundled world, loaded once per process and shared by every caller."""

from __future__ import annotations

from functools import cache

from sim.world.world import World

__all__ = ["bundled_world"]


@cache
def bundled_world() -> World:
    """Return the bundled world (``sim/data``), loaded on first use and then shared.

    Models copy what they change, so one instance serves every run of a process: the CLI, the
    batch workers, calibration, the report and the app all call this instead of keeping their own
    cache.
    """
    return World.load()
