"""The scenario language (`calendar`, `schema`, `targets`, `explain` for errors, `scenario` for
loading, `resolve` for plans): validated YAML files of what happens when (docs/architecture.md §3,
docs/scenarios.md), resolved into the `sim.model.Plan` a model runs.
"""

from sim.scenario.calendar import Quarter, quarter_label
from sim.scenario.resolve import planned_event
from sim.scenario.scenario import Scenario, ScheduledEvent, baseline_scenario, load_scenario
from sim.scenario.schema import AUDIENCE_INDEX, CHANNEL_INDEX, EVENT_KINDS, ScenarioFile
from sim.scenario.targets import group_names, resolve_targets

__all__ = [
    "AUDIENCE_INDEX",
    "CHANNEL_INDEX",
    "EVENT_KINDS",
    "Quarter",
    "Scenario",
    "ScenarioFile",
    "ScheduledEvent",
    "baseline_scenario",
    "group_names",
    "load_scenario",
    "planned_event",
    "quarter_label",
    "resolve_targets",
]
