"""The analyses' model service (sim.batch.service): one pool whose workers die with their parent,
the worlds shared once, readings in task order and the same whatever the number of workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.spread import spread
from sim.batch.service import (
    ModelService,
    PlanTask,
    final_scores,
    run_plan,
    run_plans,
    shared_worlds,
)
from sim.model.plan import CredibilityShock, Plan, PlannedEvent, RandomShock, Threat
from sim.params import Parameters
from sim.world.world import World

ROOT = Path(__file__).resolve().parents[1]
WORLD = World.synthetic(6, np.random.default_rng(11))

#: A plan whose run draws from children of its generator (a random event) besides decisions.
RANDOM = Plan(
    steps=6,
    events=(
        PlannedEvent(1, Threat(0, (1, 2), 1.0)),
        PlannedEvent(
            0, RandomShock(0.5, "normal", CredibilityShock(3, (4, 5), 0.3), mean=0.3, sd=0.2)
        ),
    ),
)

#: Starts a service of two workers on a small world, prints its workers' ids, then waits to be
#: killed. With ``guard off`` as argument the workers' die-with-parent guard is switched off.
STARTER = """
import sys, time
import numpy as np
import sim.batch.executor as executor
from sim.batch.service import ModelService
from sim.world.world import World

if sys.argv[1:] == ["guard off"]:
    executor.die_with_parent = lambda: None
service = ModelService(World.synthetic(4, np.random.default_rng(0)), workers=2)
print(" ".join(str(pid) for pid in service._pool._processes), flush=True)
time.sleep(120)
"""


def _tasks() -> list[PlanTask]:
    """Runs that differ in plan, parameters, seed, horizon and what they read."""
    tasks: list[PlanTask] = []
    for k, seed in enumerate((0, 1, np.random.SeedSequence(5, spawn_key=(2,)))):
        parameters = Parameters.from_mapping({"stubbornness": 0.1 + 0.2 * k})
        tasks.append(PlanTask(final_scores, plan=RANDOM, parameters=parameters, seed=seed))
        tasks.append(PlanTask(final_scores, seed=seed, steps=2 + k))
        tasks.append(PlanTask(_favourable, plan=RANDOM, seed=seed, at=(0, 3, 6)))
    return tasks


def _favourable(model) -> np.ndarray:
    return model.favourable()


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (killed, waiting for its reaper)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _start_and_kill(*args: str) -> tuple[list[int], list[int]]:
    """Start `STARTER`, kill it with SIGKILL; return its workers and those alive 10 s later."""
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert starter.stdout is not None
        workers = [int(pid) for pid in starter.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    finally:
        starter.send_signal(signal.SIGKILL)
        starter.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    return workers, [pid for pid in workers if _alive(pid)]


@pytest.mark.slow  # a process and its pool, waited for: about 10 s
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the guard is Linux's")
def test_the_service_workers_die_when_the_process_that_started_it_is_killed():
    workers, survivors = _start_and_kill()
    assert workers and survivors == []


@pytest.mark.slow  # a process and its pool, waited for: about 20 s
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the guard is Linux's")
def test_without_the_guard_the_workers_would_outlive_their_parent():
    """The control of the test above: it can fail."""
    workers, survivors = _start_and_kill("guard off")
    try:
        assert survivors == workers
    finally:
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)


def test_readings_do_not_depend_on_the_number_of_workers_and_come_in_task_order():
    tasks = _tasks()
    one = run_plans(tasks, WORLD, workers=1)
    two = run_plans(tasks, WORLD, workers=2)
    direct = [run_plan(WORLD, task) for task in tasks]
    assert len(one) == len(two) == len(tasks)
    for a, b, c in zip(one, two, direct, strict=True):
        if isinstance(c, dict):
            assert list(a) == list(b) == [0, 3, 6]
            for step in c:
                np.testing.assert_array_equal(a[step], c[step])
                np.testing.assert_array_equal(b[step], c[step])
        else:
            np.testing.assert_array_equal(a, c)
            np.testing.assert_array_equal(b, c)
    # the tasks are different runs, so the order is checked too
    assert not np.array_equal(one[0], one[3])


def test_a_task_gives_the_same_run_however_often_it_is_run():
    seed = np.random.SeedSequence(9)
    task = PlanTask(final_scores, plan=RANDOM, seed=seed)
    first = run_plan(WORLD, task)
    np.testing.assert_array_equal(run_plan(WORLD, task), first)
    assert seed.n_children_spawned == 0  # the random event's draws spawned from a copy


def _world_size(context_id: str, index: int) -> int:
    return shared_worlds(context_id)[index].n


def test_workers_find_the_worlds_by_the_service_id_until_it_closes():
    other = World.synthetic(3, np.random.default_rng(2))
    with ModelService([WORLD, other], workers=2) as service:
        sizes = service.map(partial(_world_size, service.context_id), [0, 1, 1, 0])
        assert sizes == [6, 3, 3, 6]
        assert service(abs, [-1, 2, -3]) == [1, 2, 3]  # scipy's `workers` protocol
    with pytest.raises(KeyError):
        shared_worlds(service.context_id)


def test_spread_is_the_same_on_two_workers():
    one = spread(RANDOM, world=WORLD, seed=4, workers=1)
    two = spread(RANDOM, world=WORLD, seed=4, workers=2)
    assert [e.index for e in one.events] == [e.index for e in two.events] == [0, 1]
    for a, b in zip(one.events, two.events, strict=True):
        np.testing.assert_array_equal(a.change, b.change)
        np.testing.assert_array_equal(a.social, b.social)
    assert one.table().equals(two.table())
