"""Run an experiment's runs on an executor and stream their results into a result directory.

Executors: ``serial`` (in this process), local processes (a fork-context
`concurrent.futures.ProcessPoolExecutor`, ``--workers N``) and Dask distributed (``--dask local``
starts a `LocalCluster`; ``--dask tcp://host:port`` joins a running scheduler). Each worker loads
the world once per process; each task carries the scenarios of its runs (a local worker gets them
with the task, a Dask worker once, scattered); a run depends only on its scenario,
design point, seed and the record settings, so results are identical whatever the executor.
Workers get runs in tasks of up to `MAX_RUNS_PER_PART` consecutive runs, shrinking toward the end
(`plan_parts`), and write each task's ok runs as one part per table and scenario
(`sim.batch.store`).

Test hook: the environment variable ``SOFTPOWER_FAIL_RUN`` (comma-separated run ids) makes those
runs raise ``RuntimeError`` inside the worker, to exercise failure isolation and ``--retry-failed``.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import json
import os
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Generator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from sim.batch.executor import (
    blas_limit,
    default_workers,
    fork_pool,
    keep_freed_memory,
    limit_blas,
)
from sim.batch.experiment import Experiment, RunSpec, seed_label
from sim.batch.store import Store, remove_part_tables, write_part_tables
from sim.batch.tables import run_tables, with_keys
from sim.errors import ExperimentError
from sim.model.model import SoftPowerModel
from sim.params import Parameters
from sim.scenario.scenario import Scenario
from sim.version import __version__
from sim.world.bundled import DEFAULT_WORLD, bundled_world

__all__ = [
    "FAIL_RUN_ENV",
    "BatchContext",
    "BatchReport",
    "RunTask",
    "default_workers",
    "execute",
    "execute_part",
    "plan_parts",
    "runs_per_part",
    "run_batch",
    "task_tables",
]

#: Most runs one task runs and writes as one part (one file per table and scenario).
MAX_RUNS_PER_PART = 10

#: Test hook: comma-separated run ids that raise inside the worker.
FAIL_RUN_ENV = "SOFTPOWER_FAIL_RUN"


@dataclass(frozen=True)
class RunTask:
    """What a worker needs to know about one run (small and picklable)."""

    run_id: str
    scenario: str
    design_point: int
    replication: int
    parameters: dict[str, float | int]
    entropy: int
    spawn_key: tuple[int, ...]

    @classmethod
    def from_spec(cls, spec: RunSpec) -> RunTask:
        """Build a task from an experiment's `RunSpec`."""
        return cls(
            spec.run_id,
            spec.scenario,
            spec.design_point,
            spec.replication,
            dict(spec.parameters),
            # An experiment's seeds are spawned from its integer root: entropy is that int.
            int(spec.seed.entropy),  # type: ignore[arg-type]
            tuple(spec.seed.spawn_key),
        )

    @property
    def seed(self) -> np.random.SeedSequence:
        """The run's seed sequence."""
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


@dataclass(frozen=True)
class BatchContext:
    """What every run of a batch shares; sent once to each worker process.

    Attributes:
        out: The result directory (workers write their runs' table files into it).
        scenarios: Loaded scenarios by name.
        steps: Horizon override, or None.
        record_every: Record attraction every K steps.
        perception_targets: Targets whose attraction is stored.
        world: Name of the bundled world the runs use (`sim.world.WORLDS`).
        precision: The kernel's floating type (`sim.model.state.PRECISIONS`).

    """

    out: str
    scenarios: dict[str, Scenario]
    steps: int | None
    record_every: int
    perception_targets: tuple[str, ...]
    world: str = DEFAULT_WORLD
    precision: str = "float64"


@dataclass(frozen=True)
class BatchReport:
    """What a batch invocation did.

    Attributes:
        total: Runs in the experiment.
        executed: Runs executed by this invocation.
        skipped: Runs already finished (ok, or failed without ``--retry-failed``).
        ok: Runs with status ok in the directory after this invocation.
        failed: Runs with status failed in the directory after this invocation.
        workers: Worker processes used.
        executor: ``serial``, ``processes`` or ``dask <address>``.
        elapsed: Wall seconds of the execution.
        run_seconds: Sum of the executed runs' own seconds.

    """

    total: int
    executed: int
    skipped: int
    ok: int
    failed: int
    workers: int
    executor: str
    elapsed: float
    run_seconds: float

    @property
    def seconds_per_run(self) -> float:
        """Wall seconds per executed run."""
        return self.elapsed / self.executed if self.executed else 0.0

    def summary_line(self) -> str:
        """One line for the end of a batch: runs, workers, elapsed, seconds per run."""
        return (
            f"runs: {self.total} ({self.ok} ok, {self.failed} failed; {self.executed} run now, "
            f"{self.skipped} already done) | workers: {self.workers} ({self.executor}) | "
            f"elapsed: {self.elapsed:.1f} s | {self.seconds_per_run:.3f} s per run "
            f"({self.run_seconds / max(self.executed, 1):.3f} s in a worker)"
        )


# ---------------------------------------------------------------------- one run


def _scenario(context: BatchContext, name: str) -> Scenario:
    scenario = context.scenarios[name]
    if context.steps is not None:
        scenario = scenario.with_steps(context.steps)
    return scenario


def _run_model(task: RunTask, context: BatchContext) -> SoftPowerModel:
    scenario = _scenario(context, task.scenario)
    if task.parameters:
        # The design point overrides the scenario's own parameters.
        scenario = dataclasses.replace(
            scenario, parameters={**scenario.parameters, **task.parameters}
        )
    model = SoftPowerModel(
        world=bundled_world(context.world),
        scenario=scenario,
        parameters=Parameters(),
        rng=task.seed,
        record_every=context.record_every,
        precision=context.precision,
    )
    return model.run()


def task_tables(
    model: SoftPowerModel, task: RunTask, perception_targets: tuple[str, ...]
) -> dict[str, pa.Table]:
    """Return a finished run's tables (`sim.batch.tables.run_tables`) with the run's keys
    (run id, scenario, design point, replication, seed) in front of every row.
    """
    keys = {
        "run_id": (task.run_id, pa.string()),
        "scenario": (task.scenario, pa.dictionary(pa.int32(), pa.string())),
        "design_point": (task.design_point, pa.int64()),
        "replication": (task.replication, pa.int64()),
        "seed": (seed_label(task.seed), pa.string()),
    }
    return {
        name: with_keys(keys, table)
        for name, table in run_tables(model, perception_targets).items()
    }


def _row(task: RunTask) -> dict[str, Any]:
    return {
        "run_id": task.run_id,
        "scenario": task.scenario,
        "design_point": task.design_point,
        "replication": task.replication,
        "parameters": json.dumps(task.parameters),
        "seed": seed_label(task.seed),
        "status": "ok",
        "error": "",
        "traceback": "",
        "seconds": 0.0,
        "part": "",
    }


def _fail(row: dict[str, Any], exc: BaseException) -> None:
    message = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    row.update(status="failed", error=message, traceback=traceback.format_exc(), part="")


def execute_part(tasks: list[RunTask], context: BatchContext) -> list[dict[str, Any]]:
    """Run tasks one after the other, write the ok runs' tables as parts and return their rows.

    The ok runs of each scenario become one part (one file per table), named after the first of
    them. Never raises for a failing run: its error and traceback go into its row (status
    ``failed``) and the other runs go on; if writing a part fails, its runs are failed.

    Args:
        tasks: The runs, in canonical order.
        context: The batch they belong to.

    Returns:
        One row of ``runs.parquet`` per task, in the order of ``tasks``: run_id, scenario,
        design_point, replication, parameters, seed, status, error, traceback, seconds, part;
        ok rows also hold ``part_size`` (runs in their part), which the journal keeps.

    """
    rows: list[dict[str, Any]] = []
    done: dict[str, list[tuple[dict[str, Any], dict[str, pa.Table]]]] = {}
    for task in tasks:
        start = time.perf_counter()
        row = _row(task)
        try:
            if task.run_id in os.environ.get(FAIL_RUN_ENV, "").split(","):
                raise RuntimeError(f"injected failure ({FAIL_RUN_ENV}={task.run_id})")
            model = _run_model(task, context)
            done.setdefault(task.scenario, []).append(
                (row, task_tables(model, task, context.perception_targets))
            )
        except Exception as exc:  # noqa: BLE001 - a run's failure must not stop the batch
            _fail(row, exc)
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
    for scenario, runs in done.items():
        start = time.perf_counter()
        part = runs[0][0]["run_id"]
        try:
            tables = {name: pa.concat_tables([t[name] for _, t in runs]) for name in runs[0][1]}
            write_part_tables(context.out, scenario, part, tables)
        except Exception as exc:  # noqa: BLE001 - e.g. a full disk: these runs failed
            remove_part_tables(context.out, scenario, part)
            for row, _ in runs:
                _fail(row, exc)
        else:
            for row, _ in runs:
                row.update(part=part, part_size=len(runs))
        share = (time.perf_counter() - start) / len(runs)
        for row, _ in runs:
            row["seconds"] += share
    return rows


def execute(task: RunTask, context: BatchContext) -> dict[str, Any]:
    """Run one task as its own part (see `execute_part`) and return its row."""
    return execute_part([task], context)[0]


def runs_per_part(runs: int, workers: int) -> int:
    """Return how many of ``runs`` remaining runs the next task takes: enough for at least four
    tasks per worker to remain, at most `MAX_RUNS_PER_PART` (a part's runs are journalled only
    when it is written).
    """
    return max(1, min(MAX_RUNS_PER_PART, -(-runs // (4 * max(workers, 1)))))


def plan_parts(tasks: list[RunTask], workers: int) -> list[list[RunTask]]:
    """Split runs, in order, into tasks that shrink toward the end (guided scheduling).

    Large tasks first keep files few; small ones last keep every worker busy until the end
    instead of one waiting for the other's last long task.
    """
    parts, start = [], 0
    while start < len(tasks):
        size = runs_per_part(len(tasks) - start, workers)
        parts.append(tasks[start : start + size])
        start += size
    return parts


# ---------------------------------------------------------------------- executors


@cache
def _worker_setup(world: str) -> None:
    """Once per worker process: one BLAS thread, freed arrays' memory kept for reuse
    (`keep_freed_memory`), the world in memory, long-lived objects frozen.

    Mesa models hold reference cycles (agents ↔ model), freed only by the cyclic garbage
    collector, which otherwise lets several runs' arrays pile up between its rare full passes.
    Freezing what exists now makes the full pass after each run cheap (it scans only the run's
    objects), so a worker's memory stays flat.
    """
    limit_blas(1)
    keep_freed_memory()
    bundled_world(world)
    gc.collect()
    gc.freeze()


def _collect(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    gc.collect()
    return rows


def _part_context(context: BatchContext, tasks: list[RunTask]) -> BatchContext:
    """Return ``context`` with only the scenarios ``tasks`` run: what a local worker gets with
    each task (a part's runs are consecutive, mostly of one scenario, so a few KB to pickle).
    """
    names = {task.scenario for task in tasks}
    scenarios = {name: s for name, s in context.scenarios.items() if name in names}
    return dataclasses.replace(context, scenarios=scenarios)


def _execute_in_worker(tasks: list[RunTask], context: BatchContext) -> list[dict[str, Any]]:
    """A worker's task (local or Dask): the runs and their batch's context come together (no
    process-global hand-off); the world is loaded once per worker (`_worker_setup`).
    """
    _worker_setup(context.world)
    return _collect(execute_part(tasks, context))


def _serial(parts: list[list[RunTask]], context: BatchContext) -> Generator[list[dict[str, Any]]]:
    keep_freed_memory()
    bundled_world(context.world)
    gc.collect()
    gc.freeze()  # see _worker_setup; undone at the end, this process lives on
    try:
        with blas_limit(1):
            for tasks in parts:
                yield _collect(execute_part(tasks, context))
    finally:
        gc.unfreeze()


def _processes(
    parts: list[list[RunTask]], context: BatchContext, workers: int
) -> Generator[list[dict[str, Any]]]:
    """Start a fork pool now (before the progress bar starts its thread) and return its results."""
    pool = fork_pool(workers, _worker_setup, (context.world,))
    window = 4 * workers  # bounded in-flight tasks keep the driver's memory flat
    queue = iter(parts)

    def submit(tasks: list[RunTask]) -> Future[list[dict[str, Any]]]:
        return pool.submit(_execute_in_worker, tasks, _part_context(context, tasks))

    pending = {submit(t) for t in itertools.islice(queue, window)}

    def results() -> Generator[list[dict[str, Any]]]:
        nonlocal pending
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    part = next(queue, None)
                    if part is not None:
                        pending.add(submit(part))
                    yield future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    return results()


def _dask(
    parts: list[list[RunTask]],
    context: BatchContext,
    address: str,
    workers: int | None,
    info: dict[str, Any],
) -> Generator[list[dict[str, Any]]]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    try:
        if address == "local":
            cluster = LocalCluster(
                processes=True,
                n_workers=workers or 2,
                threads_per_worker=1,
                dashboard_address=None,
            )
            client = Client(cluster)
        else:
            client = Client(address, timeout="10s")
    except OSError as exc:
        raise ExperimentError(
            f"cannot reach the Dask scheduler ({exc})",
            key="--dask",
            expected="local or the address of a running scheduler, e.g. tcp://host:8786",
            suggestion="start one with `dask scheduler` and `dask worker ADDRESS`",
        ) from None
    try:
        shared = client.scatter(context, broadcast=True)
        info["workers"] = len(client.scheduler_info().get("workers", {}))
        window = 4 * max(1, info["workers"])
        token = uuid.uuid4().hex[:8]

        def submit(tasks: list[RunTask]):
            key = f"{tasks[0].run_id}-{token}"
            return client.submit(_execute_in_worker, tasks, shared, key=key, pure=False)

        queue = iter(parts)
        running = as_completed([submit(t) for t in itertools.islice(queue, window)])
        for future in running:
            part = next(queue, None)
            if part is not None:
                running.add(submit(part))
            yield future.result()
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------------- the batch


def _manifest(experiment: Experiment, workers: int, executor: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    design = experiment.design.to_dict()
    return {
        "name": experiment.name,
        "title": experiment.title,
        "experiment_file": experiment.path,
        "experiment_sha256": experiment.sha256,
        "seed": experiment.seed,
        "design": design,
        "replications": experiment.replications,
        "runs": len(experiment.scenarios) * design["points"] * experiment.replications,
        "steps": experiment.steps,
        "record": {
            "every": experiment.record_every,
            "perception_targets": list(experiment.perception_targets),
        },
        "baseline": experiment.baseline,
        "world": experiment.world,
        "precision": experiment.precision,
        "parameter_ensemble": (
            experiment.ensemble.to_dict(experiment.seed, experiment.replications)
            if experiment.ensemble is not None
            else None
        ),
        "scenarios": {
            name: {
                "path": experiment.scenario_files[name],
                "hash": scenario.hash,
                "scenario": scenario.as_loaded,
            }
            for name, scenario in experiment.scenarios.items()
        },
        "package_version": __version__,
        "created": now,
        "updated": now,
        "workers": workers,
        "executor": executor,
    }


def run_batch(
    experiment: Experiment,
    out: Path | str,
    *,
    workers: int | None = None,
    dask: str | None = None,
    retry_failed: bool = False,
    force: bool = False,
    progress: bool = True,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> BatchReport:
    """Run (or resume) an experiment into a result directory.

    Args:
        experiment: The loaded experiment.
        out: The result directory.
        workers: Local worker processes (default: the cores available; 1 runs in this process).
            With ``dask="local"`` the number of Dask workers (default 2).
        dask: ``"local"`` for a `LocalCluster`, or a scheduler address such as
            ``tcp://host:8786``; None for local processes.
        retry_failed: Rerun runs recorded as failed.
        force: Delete previous results in ``out`` and start anew.
        progress: Show a tqdm progress bar (done, failed, ETA) on stderr.
        on_result: Called with each finished run's row.

    Returns:
        A `BatchReport`.

    Raises:
        ExperimentError: ``out`` holds another experiment's results (without ``force``), or a
            Dask scheduler cannot be reached.

    """
    specs = experiment.runs()
    if dask is not None:
        executor = f"dask {dask}"
        n_workers = workers or 2
    else:
        n_workers = workers or default_workers()
        executor = "serial" if n_workers == 1 else "processes"
    store = Store(out)
    finished = store.open(
        experiment.path,
        _manifest(experiment, n_workers, executor),
        [s.run_id for s in specs],
        force=force,
    )
    try:  # the store holds the directory's lock until closed
        keep = {k for k, v in finished.items() if v["status"] == "ok" or not retry_failed}
        tasks = [RunTask.from_spec(s) for s in specs if s.run_id not in keep]
        context = BatchContext(
            out=str(Path(out)),
            scenarios=dict(experiment.scenarios),
            steps=experiment.steps,
            record_every=experiment.record_every,
            perception_targets=experiment.perception_targets,
            world=experiment.world,
            precision=experiment.precision,
        )
        info: dict[str, Any] = {}  # what the Dask executor learns of its cluster
        bundled_world(experiment.world)  # loaded once here; forked workers inherit it
        parts = plan_parts(tasks, n_workers)
        if dask is None and n_workers > 1 and len(parts) > 1:
            results = _processes(parts, context, min(n_workers, len(parts)))
        elif dask is None:
            executor, n_workers = "serial", 1
            results = _serial(parts, context)
        else:
            results = _dask(parts, context, dask, workers, info)
        failed = sum(1 for k in keep if finished[k]["status"] == "failed")
        start = time.perf_counter()
        run_seconds = 0.0
        executed = 0
        bar = tqdm(
            total=len(specs),
            initial=len(keep),
            unit="run",
            desc=experiment.name,
            disable=not progress,
            file=sys.stderr,
            dynamic_ncols=True,
        )
        bar.set_postfix(failed=failed)
        try:
            for rows in results:
                for row in rows:
                    store.record(row)
                    executed += 1
                    run_seconds += row["seconds"]
                    if row["status"] != "ok":
                        failed += 1
                    if on_result is not None:
                        on_result(row)
                bar.set_postfix(failed=failed, refresh=False)
                bar.update(len(rows))
        finally:
            bar.close()
            results.close()  # stop the executor now, even on an error or Ctrl-C
        elapsed = time.perf_counter() - start
        n_workers = info.get("workers") or n_workers
        manifest = store.manifest() or {}
        manifest.update(
            workers=n_workers,
            executor=executor,
            updated=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        store.write_manifest(manifest)
    finally:
        store.close()
    statuses = [r["status"] for r in store.rows.values()]
    return BatchReport(
        total=len(specs),
        executed=executed,
        skipped=len(keep),
        ok=statuses.count("ok"),
        failed=statuses.count("failed"),
        workers=n_workers,
        executor=executor,
        elapsed=elapsed,
        run_seconds=run_seconds,
    )
