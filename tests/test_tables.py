"""A single run's files (`sim.batch.tables.write_run`) for every kind of spec a model holds."""

from __future__ import annotations

import json

import numpy as np

from sim.batch.tables import write_run
from sim.model.model import SoftPowerModel
from sim.model.plan import Plan, PlannedEvent, Threat
from sim.world.world import World


def test_a_model_built_from_a_bare_plan_writes_its_run(tmp_path) -> None:
    world = World.synthetic(6, np.random.default_rng(5))
    plan = Plan(name="threat", steps=2, events=(PlannedEvent(0, Threat(0, (1,), 1.0), "t:1"),))
    model = SoftPowerModel(world, plan, rng=1).run()

    manifest = write_run(model, tmp_path, seed=1, wall_time=0.0)

    for name in ("soft_power", "perception", "polls", "events"):
        assert (tmp_path / f"{name}.csv").stat().st_size > 0
    written = json.loads((tmp_path / "manifest.json").read_text())
    assert written["scenario_file"] is None
    assert written["scenario"]["name"] == "threat"
    assert written["scenario"]["start"] == "2025-Q1"
    assert written["scenario"]["steps"] == 2
    (event,) = written["scenario"]["events"]
    assert event["step"] == 0
    assert event["source"] == "t:1"
    assert event["event"] == {"type": "Threat", "actor": 0, "targets": [1], "severity": 1.0}
    assert written["scenario_hash"] == manifest["scenario_hash"] == plan.hash


def test_a_plans_hash_follows_what_it_does() -> None:
    threat = PlannedEvent(0, Threat(0, (1,), 1.0))
    assert Plan(steps=4).hash == Plan(steps=4).hash
    assert Plan(steps=4).hash != Plan(steps=5).hash
    assert Plan(steps=4).hash != Plan(steps=4, events=(threat,)).hash
    assert Plan(steps=4, events=(threat,)).with_steps(0).hash == Plan(steps=0).hash
