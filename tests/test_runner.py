"""Executors and runs: the same tables whatever the executor, failure isolation, resume."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.batch.experiment import load_experiment
from sim.batch.runner import (
    FAIL_RUN_ENV,
    MAX_RUNS_PER_PART,
    BatchContext,
    RunTask,
    execute,
    plan_parts,
    run_batch,
    runs_per_part,
)
from sim.batch.store import TABLES, part_file, read_runs, read_table
from sim.batch.tables import run_tables
from sim.model.model import SoftPowerModel

BASE = """\
name: base
title: Base
start: 2025-Q1
steps: 5
parameters: {spinup_steps: 4}
"""

SHOCK = """\
name: shock
title: Shock
start: 2025-Q1
steps: 5
parameters: {spinup_steps: 4}
events:
  - at: 2025-Q1
    kind: capacity
    actor: USA
    channel: aid
    scale: 0.4
  - at: 2025-Q2
    kind: credibility_shock
    actor: USA
    observers: all
    magnitude: 0.4
"""


def write_experiment(folder: Path, replications: int = 4, design: str = "") -> Path:
    """Write base.yaml, shock.yaml and exp.yaml into ``folder`` and return exp.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(BASE)
    (folder / "shock.yaml").write_text(SHOCK)
    design = design or "design:\n  method: grid\n  parameters: {stubbornness: [0.1, 0.3]}\n"
    path = folder / "exp.yaml"
    path.write_text(
        "name: tiny\n"
        "scenarios: [base.yaml, shock.yaml]\n"
        f"replications: {replications}\n"
        "seed: 11\n"
        f"{design}"
        "record: {every: 2, perception_targets: [USA, CHN]}\n"
    )
    return path


def all_tables(out: Path) -> dict[str, pd.DataFrame]:
    """Every table of a result directory, plus runs without the timing and part columns (where
    a run was run and stored, not what it gave).
    """
    tables = {name: read_table(out, name) for name in TABLES}
    tables["runs"] = read_runs(out).drop(columns=["seconds", "part"])
    return tables


def assert_same_results(a: Path, b: Path) -> None:
    left, right = all_tables(a), all_tables(b)
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], check_exact=True, obj=name)


@pytest.fixture(scope="module")
def experiment_file(tmp_path_factory) -> Path:
    return write_experiment(tmp_path_factory.mktemp("exp"))


@pytest.fixture(scope="module")
def reference(experiment_file, tmp_path_factory) -> Path:
    """An uninterrupted serial batch of the module's experiment."""
    out = tmp_path_factory.mktemp("reference") / "out"
    run_batch(load_experiment(experiment_file), out, workers=1, progress=False)
    return out


def test_batch_tables_equal_the_tables_of_the_same_run_built_directly(experiment_file, tmp_path):
    experiment = load_experiment(experiment_file)
    spec = next(r for r in experiment.runs() if r.scenario == "shock" and r.design_point == 1)
    context = BatchContext(str(tmp_path), dict(experiment.scenarios), None, 2, ("USA", "CHN"))
    row = execute(RunTask.from_spec(spec), context)
    assert row["status"] == "ok", row["traceback"]
    assert row["part"] == spec.run_id

    # The same run built directly: the design point overrides the scenario's parameters.
    scenario = experiment.scenarios["shock"]
    scenario = dataclasses.replace(
        scenario, parameters={**scenario.parameters, "stubbornness": 0.3}
    )
    model = SoftPowerModel(scenario=scenario, rng=spec.seed, record_every=2).run()
    tables = run_tables(model)
    expected = {name: tables[name].to_pandas() for name in TABLES}
    for name in ("perception", "polls"):  # the batch keeps the chosen targets only
        every = expected[name]
        expected[name] = every[every["target"].isin(["USA", "CHN"])]
        assert len(expected[name]) < len(every)
    keys = ["run_id", "scenario", "design_point", "replication", "seed"]
    for name, want in expected.items():
        got = pd.read_parquet(part_file(tmp_path, name, "shock", spec.run_id))
        assert (got["run_id"] == spec.run_id).all()
        assert (got["seed"] == "11:" + str(spec.replication)).all()
        pd.testing.assert_frame_equal(
            got.drop(columns=keys).reset_index(drop=True),
            want.reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )
    assert len(expected["events"]) > 0


@pytest.mark.slow
def test_one_and_two_worker_processes_give_identical_tables(experiment_file, reference, tmp_path):
    report = run_batch(
        load_experiment(experiment_file), tmp_path / "two", workers=2, progress=False
    )
    assert (report.executor, report.workers, report.ok, report.failed) == ("processes", 2, 16, 0)
    assert_same_results(reference, tmp_path / "two")
    manifest = json.loads((tmp_path / "two" / "manifest.json").read_text())
    assert (manifest["workers"], manifest["executor"]) == (2, "processes")


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_tables_as_one_worker(
    experiment_file, reference, tmp_path
):
    report = run_batch(
        load_experiment(experiment_file), tmp_path / "dask", dask="local", progress=False
    )
    assert (report.executor, report.ok) == ("dask local", 16)
    assert_same_results(reference, tmp_path / "dask")


@pytest.mark.slow
def test_joining_a_running_dask_scheduler_by_address_gives_the_same_tables(
    experiment_file, reference, tmp_path
):
    """``--dask tcp://host:port``: a scheduler and worker started apart from the batch."""
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        report = run_batch(
            load_experiment(experiment_file), tmp_path / "joined", dask=address, progress=False
        )
    assert (report.executor, report.workers, report.ok) == (f"dask {address}", 1, 16)
    assert_same_results(reference, tmp_path / "joined")


@pytest.mark.slow
def test_an_unreachable_dask_scheduler_is_one_line_and_exit_2(experiment_file, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sim.cli", "batch", str(experiment_file)]
        + ["--out", str(tmp_path / "out"), "--dask", "tcp://127.0.0.1:9", "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "cannot reach the Dask scheduler" in lines[0] and "dask scheduler" in lines[0]


@pytest.mark.slow
def test_failing_run_is_recorded_batch_continues_and_retry_reruns_it(
    experiment_file, reference, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    experiment = load_experiment(experiment_file)
    monkeypatch.setenv(FAIL_RUN_ENV, "shock-d1-r2")
    report = run_batch(experiment, out, workers=2, progress=False)
    assert (report.ok, report.failed) == (15, 1)
    runs = read_runs(out).set_index("run_id")
    failed = runs.loc["shock-d1-r2"]
    assert failed["status"] == "failed"
    assert failed["error"] == "RuntimeError: injected failure (SOFTPOWER_FAIL_RUN=shock-d1-r2)"
    assert "Traceback" in failed["traceback"] and "RuntimeError" in failed["traceback"]
    assert failed["part"] == ""
    for table in TABLES:  # no part holds a row of the failed run
        assert "shock-d1-r2" not in set(pd.read_parquet(out / table)["run_id"])
    assert (runs.drop(index="shock-d1-r2")["status"] == "ok").all()

    again = run_batch(experiment, out, workers=2, progress=False)  # plain rerun: kept as failed
    assert (again.executed, again.failed) == (0, 1)

    monkeypatch.delenv(FAIL_RUN_ENV)
    retried = run_batch(experiment, out, workers=2, retry_failed=True, progress=False)
    assert (retried.executed, retried.ok, retried.failed) == (1, 16, 0)
    assert_same_results(reference, out)


def _lock_released(root: Path, seconds: float = 10.0) -> bool:
    """Whether the lock of result directory ``root`` can be taken within ``seconds``."""
    import fcntl

    deadline = time.monotonic() + seconds
    with (root / ".lock").open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.05)
                continue
            fcntl.flock(handle, fcntl.LOCK_UN)
            return True


def _processes_mentioning(text: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            state = (proc / "stat").read_text().split()[2]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            pids.append(int(proc.name))
    return pids


@pytest.mark.slow
def test_resume_after_sigkill_gives_exactly_the_uninterrupted_results(
    experiment_file, reference, tmp_path
):
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "batch", str(experiment_file), "--out", str(out)]
        + ["--workers", "2", "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    journal = out / "runs.jsonl"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if journal.exists() and len(journal.read_text().splitlines()) >= 3:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the batch ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert len(read_runs(out)) >= 1  # runs.parquet is readable mid-batch
        done_before = len(journal.read_text().splitlines())
        assert done_before < 16, "every run had finished: the kill came too late"
        # The worker processes die with their parent (no orphan keeps writing).
        deadline = time.monotonic() + 10
        while _processes_mentioning(str(out)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_mentioning(str(out)) == []
        # A killed worker's command line reads empty while it still closes its files: give
        # the last one a moment to let go of the directory's lock.
        assert _lock_released(out), "a killed batch's process still holds the directory"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    report = run_batch(load_experiment(experiment_file), out, workers=2, progress=False)
    assert report.skipped >= 3 and report.skipped + report.executed == 16
    assert_same_results(reference, out)
    runs = read_runs(out)
    assert len(runs) == 16 and runs["run_id"].is_unique
    for name in TABLES:  # exactly the parts the runs name: no orphan, no temporary file
        files = sorted(p.name for p in (out / name).rglob("*") if p.is_file())
        assert files == sorted({f"{p}.parquet" for p in runs["part"]}), name
    frame = read_table(out, "soft_power")
    assert not frame.duplicated(["run_id", "step", "iso3"]).any()


@pytest.mark.slow
def test_same_replication_uses_the_same_seed_in_every_scenario_and_design_point(reference):
    runs = read_runs(reference)
    per_replication = runs.groupby("replication")["seed"].nunique()
    assert (per_replication == 1).all()
    seeds = runs.groupby("replication")["seed"].first()
    children = np.random.SeedSequence(11).spawn(4)
    assert list(seeds) == [f"{c.entropy}:{c.spawn_key[0]}" for c in children]
    scores = read_table(reference, "soft_power")
    r0 = scores[(scores["replication"] == 0) & (scores["scenario"] == "base")]
    r1 = scores[(scores["replication"] == 1) & (scores["scenario"] == "base")]
    assert not np.array_equal(r0["score"].to_numpy(), r1["score"].to_numpy())


def test_runs_per_part_gives_each_worker_several_tasks_of_at_most_ten_runs():
    assert runs_per_part(4, 1) == 1
    assert runs_per_part(16, 2) == 2
    assert runs_per_part(16, 1) == 4
    assert runs_per_part(1000, 2) == MAX_RUNS_PER_PART == 10
    assert runs_per_part(0, 2) == 1


def test_plan_parts_keeps_run_order_and_shrinks_tasks_toward_the_end(experiment_file):
    tasks = [RunTask.from_spec(s) for s in load_experiment(experiment_file).runs()] * 7  # 112
    parts = plan_parts(tasks, 2)
    assert [t for part in parts for t in part] == tasks
    sizes = [len(part) for part in parts]
    assert sizes[0] == MAX_RUNS_PER_PART and sizes[-1] == 1
    assert sizes == sorted(sizes, reverse=True)
    assert plan_parts(tasks[:4], 1) == [[t] for t in tasks[:4]]


@pytest.mark.slow
def test_a_float32_batch_gives_the_same_tables_on_one_and_two_workers(tmp_path):
    path = write_experiment(tmp_path / "exp", replications=2)
    path.write_text(path.read_text() + "precision: float32\n")
    experiment = load_experiment(path)
    assert experiment.precision == "float32"
    run_batch(experiment, tmp_path / "one", workers=1, progress=False)
    run_batch(experiment, tmp_path / "two", workers=2, progress=False)
    assert_same_results(tmp_path / "one", tmp_path / "two")
    manifest = json.loads((tmp_path / "two" / "manifest.json").read_text())
    assert manifest["precision"] == "float32"


def test_a_worker_gets_its_runs_scenarios_with_each_task_and_no_module_global(experiment_file):
    import sim.batch.runner as runner

    experiment = load_experiment(experiment_file)
    context = BatchContext("out", dict(experiment.scenarios), None, 2, ("USA", "CHN"))
    tasks = [RunTask.from_spec(s) for s in experiment.runs()]
    base = [t for t in tasks if t.scenario == "base"][:3]
    part = runner._part_context(context, base)
    assert list(part.scenarios) == ["base"]
    assert part.scenarios["base"] is context.scenarios["base"]
    assert dataclasses.replace(part, scenarios=context.scenarios) == context
    assert list(runner._part_context(context, tasks).scenarios) == ["base", "shock"]
    # Nothing of a batch is kept in the module for its workers to read.
    assert not [v for v in vars(runner).values() if isinstance(v, BatchContext)]


def test_a_part_whose_writing_fails_fails_its_runs_and_leaves_no_file(
    experiment_file, tmp_path, monkeypatch
):
    import sim.batch.runner

    experiment = load_experiment(experiment_file)
    specs = [s for s in experiment.runs() if s.scenario == "base"][:3]
    context = BatchContext(str(tmp_path), dict(experiment.scenarios), None, 2, ("USA", "CHN"))

    def full_disk(root, scenario, part, tables):
        part_file(root, "soft_power", scenario, part).parent.mkdir(parents=True, exist_ok=True)
        part_file(root, "soft_power", scenario, part).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sim.batch.runner, "write_part_tables", full_disk)
    rows = sim.batch.runner.execute_part([RunTask.from_spec(s) for s in specs], context)
    assert [r["status"] for r in rows] == ["failed"] * 3
    assert all("No space left on device" in r["error"] and r["part"] == "" for r in rows)
    assert not list(tmp_path.rglob("*.parquet"))
