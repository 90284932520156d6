"""The world a model starts from: nations, capacities and ties, loaded from sourced data.

Modules: `world` (`World`, the data folder, capacity indicators), `loader` (reading the CSV files
of ``sim/data``), `synthetic` (seeded random worlds), `bundled` (the bundled worlds by name,
``core60`` and ``un193``, each loaded once), `graph` (the nations as a networkx graph, one
weight per layer), `opinion` (the panel of past opinion polls, a validation target) and
`csvfile` (the CSV reader with line-numbered errors).
"""

from sim.world.bundled import DEFAULT_WORLD, WORLDS, bundled_world, loaded_name, world_name
from sim.world.loader import capacity_index, read_world
from sim.world.opinion import OpinionPanel, load_panel
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
    "DEFAULT_WORLD",
    "INITIATIVE_LEADERS",
    "START_DATA_YEAR",
    "WORLDS",
    "ImputationFlag",
    "OpinionPanel",
    "World",
    "bundled_world",
    "capacity_index",
    "load_panel",
    "read_world",
    "loaded_name",
    "synthetic_world",
    "world_name",
]
