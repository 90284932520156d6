"""One process pool for the analyses that run many models: attribution's coalitions,
calibration's candidates, the episode and observation fits' grids, spread's runs without each
event (docs/architecture.md §4).

A caller describes each run as a `PlanTask` (plan, parameters, seed, horizon and what to read of
the model) and gets the readings back in the order of its tasks, whatever the number of workers:
each run depends only on its task and its world, so the numbers are the same with one worker or
many. The worlds are the service's *context*: given once, when the pool starts, to every worker
(forked workers inherit them; nothing large is pickled per task) and kept in a registry under a
context id that the service creates. A task that cannot take its world as an argument (scipy's
objective, called by `differential_evolution` through the service's ``map``) holds the id and
looks its world up with `shared_worlds`.

The pool is `sim.batch.executor.fork_pool`'s: its workers die with their parent, use one BLAS
thread each and keep freed memory for reuse. With one worker every task runs in this process,
with one BLAS thread too.

Example:
    >>> import numpy as np
    >>> from sim.world.world import World
    >>> world = World.synthetic(4, np.random.default_rng(0))
    >>> tasks = [PlanTask(read=final_scores, seed=s, steps=2) for s in (0, 1)]
    >>> with ModelService(world, workers=1) as service:
    ...     first, second = service.run(tasks)
    >>> first.shape
    (4,)
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.batch.executor import blas_limit, fork_pool, keep_freed_memory

if TYPE_CHECKING:
    from sim.model.model import SoftPowerModel
    from sim.model.plan import Plan
    from sim.params import Parameters
    from sim.world.world import World

__all__ = [
    "ModelService",
    "PlanTask",
    "final_scores",
    "run_plan",
    "run_plans",
    "shared_worlds",
]

#: The worlds of each running service, by the context id the service created: filled in this
#: process when a service starts (inherited by its forked workers) and in each worker by the
#: pool's initialiser; emptied here when the service closes.
_SHARED: dict[str, tuple[World, ...]] = {}
_IDS = itertools.count()


def shared_worlds(context_id: str) -> tuple[World, ...]:
    """Return the worlds of the running service ``context_id``, in its workers or here.

    Args:
        context_id: `ModelService.context_id`.

    Returns:
        The service's worlds, in the order it was given them.

    Raises:
        KeyError: No running service has this id in this process.

    """
    return _SHARED[context_id]


@dataclass(frozen=True)
class PlanTask:
    """One model run and what to read of it; small and picklable.

    Attributes:
        read: Called with the model once it has run (or at each of ``at``); returns what the
            caller keeps. A module-level function or a picklable object with ``__call__``.
        plan: The resolved plan (None: the event-less baseline plan of the world).
        parameters: Base parameters (the plan's overrides go on top; None: the defaults).
        seed: Seed of the run (an int is the seed of ``softpower run --seed N``).
        steps: Horizon override (None: the plan's).
        at: Steps at which ``read`` is called, the model stepped only to the last of them; the
            reading is then a dict step → value. Step 0 is the state before any step. None:
            ``read`` is called once, after the run to the horizon.
        world: Index of the run's world among the service's worlds.

    """

    read: Callable[[SoftPowerModel], Any]
    plan: Plan | None = None
    parameters: Parameters | None = None
    seed: int | np.random.SeedSequence = 0
    steps: int | None = None
    at: tuple[int, ...] | None = None
    world: int = 0


def run_plan(world: World, task: PlanTask) -> Any:
    """Build the task's model on ``world``, run it and return its reading.

    Args:
        world: The world of the run.
        task: The run and what to read.

    Returns:
        ``task.read(model)`` after the run; with ``task.at``, a dict step → reading.

    """
    from sim.model.model import SoftPowerModel

    model = SoftPowerModel(
        world, task.plan, parameters=task.parameters, rng=_fresh(task.seed), steps=task.steps
    )
    if task.at is None:
        model.run()
        return task.read(model)
    wanted = sorted(set(task.at))
    readings = {}
    for step in wanted:
        while model.steps < step:
            model.step()
        readings[step] = task.read(model)
    return readings


def _fresh(seed: int | np.random.SeedSequence) -> int | np.random.SeedSequence:
    """A copy of a seed sequence, so that the run's spawning (random events draw from children
    of the run's generator, which spawn from its seed sequence) leaves the task's seed as it was:
    a task gives the same run however often, and wherever, it is run.
    """
    if not isinstance(seed, np.random.SeedSequence):
        return seed
    return np.random.SeedSequence(
        seed.entropy,
        spawn_key=seed.spawn_key,
        pool_size=seed.pool_size,
        n_children_spawned=seed.n_children_spawned,
    )


def final_scores(model: SoftPowerModel) -> np.ndarray:
    """Every nation's soft power score at the model's last step, (nation,) in world order."""
    return model.recorder.score[model.steps].copy()


def _run_in(context_id: str, task: PlanTask) -> Any:
    return run_plan(shared_worlds(context_id)[task.world], task)


def _register(context_id: str, worlds: tuple[World, ...]) -> None:
    """The pool's initialiser: keep the worlds (a forked worker has them already)."""
    _SHARED[context_id] = worlds
    keep_freed_memory()


def _apply[T, R](function: Callable[[T], R], chunk: list[T]) -> list[R]:
    return [function(item) for item in chunk]


class ModelService:
    """A pool of worker processes (none for one worker) sharing worlds, for many model runs.

    Use as a context manager, or call `close`. Results come back in task order; the service is
    also a map-like callable (``service(function, items)``), what scipy's ``workers`` takes.

    Args:
        worlds: The world of every run, or several (a task names its own by index).
        workers: Processes; 1 runs every task in this process.

    Attributes:
        context_id: The id under which the workers keep the worlds (`shared_worlds`).
        workers: Processes used.

    """

    def __init__(self, worlds: World | Sequence[World], workers: int = 1) -> None:
        from sim.world.world import World

        shared = (worlds,) if isinstance(worlds, World) else tuple(worlds)
        self.workers = max(1, int(workers))
        self.context_id = f"{os.getpid()}-{next(_IDS)}"
        _SHARED[self.context_id] = shared
        self._pool: ProcessPoolExecutor | None = None
        if self.workers > 1:
            try:
                self._pool = fork_pool(self.workers, _register, (self.context_id, shared))
            except BaseException:
                _SHARED.pop(self.context_id, None)
                raise

    @property
    def worlds(self) -> tuple[World, ...]:
        """The worlds shared with the workers."""
        return _SHARED[self.context_id]

    def map[T, R](
        self, function: Callable[[T], R], items: Iterable[T], chunksize: int | None = None
    ) -> list[R]:
        """Return ``[function(item) for item in items]``, computed by the workers, in order.

        Args:
            function: A picklable function of one item (module-level, or a `functools.partial`
                of one); it may look up the worlds with ``shared_worlds(service.context_id)``.
            items: Picklable items.
            chunksize: Items sent to a worker at a time (default: about four chunks per worker).

        Returns:
            The results in the order of ``items``.

        """
        items = list(items)
        if self._pool is None or len(items) <= 1:
            with blas_limit(1):
                return [function(item) for item in items]
        size = chunksize or max(1, len(items) // (4 * self.workers))
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        done = self._pool.map(partial(_apply, function), chunks)
        return [result for chunk in done for result in chunk]

    __call__ = map

    def run(self, tasks: Iterable[PlanTask], chunksize: int | None = None) -> list[Any]:
        """Run each task's model on its world and return the readings in task order.

        Args:
            tasks: The runs.
            chunksize: As for `map`.

        Returns:
            Per task, `run_plan`'s reading.

        """
        return self.map(partial(_run_in, self.context_id), tasks, chunksize)

    def close(self) -> None:
        """Stop the workers (waiting for them) and forget the worlds."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        _SHARED.pop(self.context_id, None)

    def __enter__(self) -> ModelService:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def run_plans(
    tasks: Iterable[PlanTask], worlds: World | Sequence[World], workers: int = 1
) -> list[Any]:
    """Run tasks on a service of their own (started and stopped here); readings in task order.

    Args:
        tasks: The runs.
        worlds: Their world, or worlds (a task names its own by index).
        workers: Processes (1: in this process).

    Returns:
        Per task, `run_plan`'s reading.

    """
    with ModelService(worlds, workers) as service:
        return service.run(tasks)
