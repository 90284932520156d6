"""The world a model starts from: nations, capacities and ties, loaded from sourced data.

Modules: `world` (`World`, the data folder, capacity indicators), `loader` (reading the CSV files
of ``sim/data``), `synthetic` (seeded random worlds), `bundled` (the one shared bundled world)
and `csvfile` (the CSV reader with line-numbered errors).
"""

from sim.world.bundled import bundled_world
from sim.world.loader import capacity_index, load_world
from sim.world.synthetic import synthetic_world
from sim.world.world import (
    AID_STRATEGIES,
    ALLIANCE_GROUPS,
    CAPACITY_INDICATORS,
    DATA_DIR,
    INITIATIVE_LEADERS,
    START_DATA_YEAR,
    ImputationFlag,
    World,
)

__all__ = [
    "AID_STRATEGIES",
    "ALLIANCE_GROUPS",
    "CAPACITY_INDICATORS",
    "DATA_DIR",
    "INITIATIVE_LEADERS",
    "START_DATA_YEAR",
    "ImputationFlag",
    "World",
    "bundled_world",
    "capacity_index",
    "load_world",
    "synthetic_world",
]
