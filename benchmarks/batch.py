"""Benchmark the batch runner: scaling, memory, Mesa's batch_run, and a 1,000-run ensemble.

Prints (targets from docs/architecture.md §5 and issue 4):

1. runs/s of the same 100 runs at 1 and 2 local workers, alternated three times, the best of
   each and their ratio (target ≥ 1.8×);
2. peak RSS of the runner (driver) process, and of its largest worker, at 100 and at 2,000 runs
   (target: flat). Each size runs in a fresh child process. To keep the time reasonable these
   runs use a reduced horizon (4 quarters) and spin-up (5 quarters): memory is what is measured,
   and what the driver holds per run (one row) does not depend on the horizon;
3. runs/s of our runner (writing Parquet) against `mesa.batch_run` (keeping its DataCollector
   rows in memory) on the same model, the same runs and 2 processes, each in its own child
   process because `batch_run` forces the spawn start method (target: ahead). Mesa's workers
   get ``OPENBLAS_NUM_THREADS=1`` so that both compare runners, not BLAS settings;
4. a 1,000-run ensemble of the full model (60 nations, 40 quarters, score every quarter,
   attraction every 4) on 2 workers, end to end: ``softpower batch --workers 2`` in a new
   process (imports, world loading, the batch and its summary), and the batch's own elapsed time
   from its summary line (target < 60 s on 2 cores; issue 26's goal ≤ 20 s end to end);
5. the whole world (issue 14), ``un193`` (196 nations): the model time of one 40-quarter run in
   one process with one BLAS thread (building the model, its spin-up and the 40 steps, the world
   already loaded, the spin-up cache emptied before each run; issue 26's goal ≤ 0.25 s), and a
   100-run ensemble (baseline and us_aid_cuts, attraction of USA and CHN every 4 quarters), end
   to end as in 4 (issue 26's goal ≤ 12 s).

Sections 1-4 run the ``core60`` world whatever the default world is (each experiment names it).

After the sections it prints the goal table of issue 26 for what it measured, each time with
the load average and its ratio to the goal (above 1: the goal is missed by that factor): one
un193 run's model time (≤ 0.25 s), 100 un193 runs end to end (≤ 12 s), 1,000 core60 runs end to
end (≤ 20 s) and the ratio to `mesa.batch_run` (≥ 3×). ``--goals`` (the same as ``--sections
3,4,5``) measures all four in one run: ``make bench-goals``.

Times of sections 1-3 are wall clock of the batch itself (imports and process start-up of the
child excluded, pool start-up included); sections 4 and 5 time the command as a user runs it.
Every child runs the code of this checkout (``PYTHONPATH``), whatever checkout the installed
package points at. On a shared machine times vary with its load: the script prints the load
average next to them.

Run with ``.venv/bin/python benchmarks/batch.py [--quick] [--sections 1,2,3,4,5] [--goals]
[--precision float32]`` (``--quick`` divides every size by 10, for a smoke test; ``--sections
5`` measures the whole world only; ``--precision float32`` runs sections 4 and 5 with the
float32 kernel, docs/batch.md "Precision").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 3  # of the scaling measurement
SCENARIOS = ROOT / "scenarios"


def experiment_file(
    folder: Path,
    runs: int,
    *,
    steps: int | None = None,
    spinup: int | None = None,
    record_every: int = 1,
    world: str = "core60",
    precision: str = "float64",
) -> Path:
    """Write an experiment of ``runs`` runs (baseline and us_aid_cuts, half each)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f"name: bench-{runs}",
        f"world: {world}",
        f"scenarios: [{SCENARIOS / 'baseline.yaml'}, {SCENARIOS / 'us_aid_cuts.yaml'}]",
        f"replications: {max(1, runs // 2)}",
        "seed: 2025",
        f"record: {{every: {record_every}}}",
    ]
    if steps is not None:
        lines.append(f"steps: {steps}")
    if spinup is not None:
        lines.append(f"design: {{method: grid, parameters: {{spinup_steps: [{spinup}]}}}}")
    if precision != "float64":  # the default needs no line (and a checkout without the key runs)
        lines.append(f"precision: {precision}")
    path = folder / f"bench-{world}-{runs}-{precision}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _cpu() -> float:
    """CPU seconds (user and system) of this process and of its children it has waited for."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: this checkout's ``sim`` first on the path (an editable install
    may point at another checkout), plus ``extra``.
    """
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **(extra or {})}


def _child(args: list[str], env: dict[str, str] | None = None) -> dict:
    """Run this script in a child process with ``args``; return the JSON it prints last."""
    result = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        env=_env(env),
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def end_to_end(path: Path, out: Path, workers: int = 2) -> dict[str, float]:
    """Time ``softpower batch PATH --out OUT --workers N`` as a user runs it: a new process
    (imports, world loading, the batch, the summary). Returns the wall time and the batch's own
    elapsed time, read from its summary line, and the CPU seconds of the command and its workers
    (user and system: on a loaded machine a steadier measure of the work than wall time).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "sim.cli", "batch", str(path), "--out", str(out)]
        + ["--workers", str(workers), "--no-progress", "--force"],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise RuntimeError(f"softpower batch {path} failed:\n{result.stderr[-3000:]}")
    found = re.search(r"elapsed: ([0-9.]+) s", result.stdout)
    runs = re.search(r"runs: ([0-9]+) ", result.stdout)
    if found is None or runs is None:
        raise RuntimeError(f"no summary line in the output of softpower batch:\n{result.stdout}")
    return {
        "wall": wall,
        "cpu": cpu,
        "batch_seconds": float(found.group(1)),
        "runs": int(runs.group(1)),
    }


# ---------------------------------------------------------------------- child tasks


def child_batch(path: str, out: str, workers: int, summary: bool) -> None:
    """Run one batch and print its timing and peak RSS as JSON."""
    from sim.analysis.summary import summarize
    from sim.batch.experiment import load_experiment
    from sim.batch.runner import run_batch

    experiment = load_experiment(path)
    start, start_cpu = time.perf_counter(), _cpu()
    report = run_batch(experiment, out, workers=workers, force=True, progress=False)
    batch_seconds = time.perf_counter() - start
    batch_cpu = _cpu() - start_cpu
    if summary:
        summarize(out, bootstrap=1000)
    wall = time.perf_counter() - start
    print(
        json.dumps(
            {
                "runs": report.executed,
                "failed": report.failed,
                "batch_seconds": batch_seconds,
                "batch_cpu": batch_cpu,
                "wall": wall,
                "driver_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            }
        )
    )


try:
    from sim.model.model import SoftPowerModel as _Base
except ImportError:  # pragma: no cover - the benchmark needs the package installed
    _Base = object  # type: ignore[assignment,misc]


@cache
def _world():
    from sim.world.bundled import bundled_world

    return bundled_world("core60")


@cache
def _scenario(name: str):
    from sim.scenario.scenario import load_scenario

    return load_scenario(SCENARIOS / f"{name}.yaml", _world())


class MesaBatchModel(_Base):  # type: ignore[misc,valid-type]
    """The same model for `mesa.batch_run`: world and scenarios loaded once per process, score
    and rank of every nation collected every step by a Mesa DataCollector.
    """

    def __init__(self, scenario: str = "baseline", rng=None) -> None:
        import mesa

        super().__init__(world=_world(), scenario=_scenario(scenario), rng=rng)
        self.datacollector = mesa.DataCollector(
            model_reporters={"steps": "steps"},
            agent_reporters={
                "score": lambda a: float(a.model.recorder.score[a.model.steps, a.index]),
                "rank": lambda a: int(a.model.recorder.rank[a.model.steps, a.index]),
            },
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        super().step()
        self.datacollector.collect(self)


def child_world_run(world: str, repeats: int, precision: str = "float64") -> None:
    """Time single 40-quarter runs of ``world`` in this process (one BLAS thread); print JSON."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    from sim.batch.executor import keep_freed_memory
    from sim.model import model as model_module
    from sim.model.model import SoftPowerModel
    from sim.scenario.scenario import load_scenario
    from sim.world.bundled import bundled_world

    threadpool_limits(limits=1)
    keep_freed_memory()  # as `softpower run` does
    w = bundled_world(world)
    spec = load_scenario(SCENARIOS / "us_aid_cuts.yaml", world)
    build, steps, total, cpu = [], [], [], []
    for seed in range(repeats):
        # A fresh process pays the spin-up: measure it every time.
        for kept in ("_SPIN_UP_CACHE", "_SPIN_UP_DIGESTS"):
            getattr(model_module, kept, {}).clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        more = {} if precision == "float64" else {"precision": precision}
        model = SoftPowerModel(world=w, scenario=spec, rng=np.random.SeedSequence(seed), **more)
        built = time.perf_counter()
        model.run()
        end = time.perf_counter()
        build.append(built - start)
        steps.append(end - built)
        total.append(end - start)
        cpu.append(time.process_time() - start_cpu)
    print(
        json.dumps(
            {
                "n": w.n,
                "steps": model.steps,
                "build": sorted(build)[len(build) // 2],
                "run": sorted(steps)[len(steps) // 2],
                "total": sorted(total)[len(total) // 2],
                "all": total,
                "cpu": sorted(cpu)[len(cpu) // 2],
            }
        )
    )


def child_mesa(runs: int, processes: int) -> None:
    """Time `mesa.batch_run` on the benchmark's runs and print JSON."""
    import numpy as np
    from mesa.batchrunner import batch_run

    seeds = np.random.SeedSequence(2025).spawn(max(1, runs // 2))
    start, start_cpu = time.perf_counter(), _cpu()
    rows = batch_run(
        MesaBatchModel,
        parameters={"scenario": ["baseline", "us_aid_cuts"]},
        number_processes=processes,
        rng=[int(s.generate_state(1)[0]) for s in seeds],
        data_collection_period=1,
        max_steps=1000,
        display_progress=False,
    )
    seconds, cpu = time.perf_counter() - start, _cpu() - start_cpu
    print(
        json.dumps(
            {"runs": 2 * len(seeds), "rows": len(rows), "batch_seconds": seconds, "batch_cpu": cpu}
        )
    )


# ---------------------------------------------------------------------- the report


def main() -> None:
    """Run the chosen measurements, print them, then the goal table of issue 26."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="divide every size by 10")
    parser.add_argument("--child-batch", nargs=4, metavar=("EXP", "OUT", "WORKERS", "SUMMARY"))
    parser.add_argument("--child-mesa", nargs=2, type=int, metavar=("RUNS", "PROCESSES"))
    parser.add_argument("--child-world-run", nargs=3, metavar=("WORLD", "REPEATS", "PRECISION"))
    parser.add_argument(
        "--sections", default="1,2,3,4,5", help="which measurements to run (default: all)"
    )
    parser.add_argument(
        "--goals", action="store_true", help="the goal table of issue 26 only (sections 3,4,5)"
    )
    parser.add_argument(
        "--precision",
        default="float64",
        choices=("float64", "float32"),
        help="the kernel's floating type in sections 4 and 5 (default float64)",
    )
    args = parser.parse_args()
    if args.goals:
        args.sections = "3,4,5"
    if args.child_world_run:
        world, repeats, precision = args.child_world_run
        child_world_run(world, int(repeats), precision)
        return
    if args.child_batch:
        path, out, workers, summary = args.child_batch
        child_batch(path, out, int(workers), summary == "1")
        return
    if args.child_mesa:
        child_mesa(*args.child_mesa)
        return

    scale = 10 if args.quick else 1
    print(f"batch runner benchmark ({os.cpu_count()} cores, {_load()})")
    with tempfile.TemporaryDirectory(prefix="softpower-bench-") as tmp:
        folder = Path(tmp)

        sections = {int(x) for x in args.sections.split(",") if x.strip()}
        measured: dict[str, tuple[float, str]] = {}
        if 1 in sections:
            scaling(folder, scale)
        if 2 in sections:
            memory(folder, scale)
        if 3 in sections:
            measured.update(against_mesa(folder, scale))
        if 4 in sections:
            measured.update(ensemble(folder, scale, args.precision))
        if 5 in sections:
            measured.update(whole_world(folder, scale, args.precision))
        goal_table(measured, scale, args.precision)


#: Issue 26's goals: (label, goal, unit, whether more is better).
GOALS: dict[str, tuple[str, float, str, bool]] = {
    "one_un193_run": ("one un193 run, 40 quarters, model time", 0.25, "s", False),
    "un193_100": ("100 un193 runs x 40 quarters, 2 workers, end to end", 12.0, "s", False),
    "core60_1000": ("1,000 core60 runs x 40 quarters, 2 workers, end to end", 20.0, "s", False),
    "mesa_ratio": ("against mesa.batch_run (40 runs, 2 processes)", 3.0, "x", True),
}


def goal_table(measured: dict[str, tuple[float, str]], scale: int, precision: str) -> None:
    """Print the goals of issue 26 that were measured: value, goal, and how far from it."""
    if not measured:
        return
    note = " (--quick: sizes divided by 10, not comparable to the goals)" if scale > 1 else ""
    if precision != "float64":
        note += f" (sections 4 and 5 in {precision}; the ratio to Mesa in float64)"
    print(f"\ngoals of issue 26{note} ({_load()} now)")
    print(f"   {'measure':<58} {'measured':>9} {'goal':>8} {'off by':>7}  load average then")
    for key, (label, goal, unit, more_is_better) in GOALS.items():
        if key not in measured:
            continue
        value, load = measured[key]
        off = goal / value if more_is_better else value / goal
        met = "met" if off <= 1.0 else f"{off:.2f}x"
        sign = ">=" if more_is_better else "<="
        print(
            f"   {label:<58} {value:8.2f}{unit} {sign}{goal:5.2f}{unit} {met:>7}  "
            f"{load.removeprefix('load average ')}"
        )


def whole_world(
    folder: Path, scale: int, precision: str = "float64"
) -> dict[str, tuple[float, str]]:
    """5. The whole world: one run's model time, and a 100-run ensemble end to end."""
    res = _child(["--child-world-run", "un193", "3", precision])
    load = _load()
    print(
        f"\n5. the whole world, un193 ({res['n']} nations), {precision}, one BLAS thread ({load})"
    )
    print(
        f"   one run of {res['steps']} quarters: {res['total']:.2f} s of model time "
        f"(build and spin-up {res['build']:.2f} s, steps {res['run']:.2f} s; median of 3: "
        f"{', '.join(f'{t:.2f}' for t in res['all'])}; CPU {res['cpu']:.2f} s; goal <= 0.25 s)"
    )
    measured = {"one_un193_run": (res["total"], load)}
    n = max(4, 100 // scale)
    path = experiment_file(folder, n, record_every=4, world="un193", precision=precision)
    res = end_to_end(path, folder / "world")
    load = _load()
    print(
        f"   ensemble, {res['runs']} runs x 40 quarters, softpower batch --workers 2, end to end "
        f"{res['wall']:.1f} s: the batch {res['batch_seconds']:.1f} s "
        f"({res['runs'] / res['batch_seconds']:.2f} runs/s), start-up, world and summary "
        f"{res['wall'] - res['batch_seconds']:.1f} s; CPU {res['cpu']:.1f} s "
        f"(goal <= 12 s end to end; {load})"
    )
    measured["un193_100"] = (res["wall"], load)
    return measured


def scaling(folder: Path, scale: int) -> None:
    """1. Scaling from 1 to 2 workers on the same full-horizon runs (enough of them that starting
    the pool and waiting for the last task do not dominate), alternated and repeated: the best of
    each is the measurement least disturbed by other jobs.
    """
    n = max(4, 100 // scale)
    path = experiment_file(folder, n)
    rates: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(REPEATS):
        for workers in (1, 2):
            args_ = ["--child-batch", str(path), str(folder / "scaling"), str(workers), "0"]
            res = _child(args_)
            rates[workers].append(res["runs"] / res["batch_seconds"])
    r1, r2 = max(rates[1]), max(rates[2])
    print(f"\n1. scaling, {n} runs of 40 quarters, best of {REPEATS} alternated ({_load()})")
    for workers, label in ((1, "1 worker "), (2, "2 workers")):
        each = ", ".join(f"{r:.2f}" for r in rates[workers])
        print(f"   {label}: {max(rates[workers]):6.2f} runs/s (each: {each})")
    print(f"   speed-up : {r2 / r1:6.2f}x   (target >= 1.8x)")


def memory(folder: Path, scale: int) -> None:
    """2. Peak RSS at 100 and 2,000 runs (reduced horizon, see the docstring)."""
    print(f"\n2. peak RSS, 2 workers, 4 quarters and 5 spin-up quarters per run ({_load()})")
    rss = {}
    for size in (max(10, 100 // scale), 2000 // scale):
        path = experiment_file(folder, size, steps=4, spinup=5)
        res = _child(["--child-batch", str(path), str(folder / f"rss{size}"), "2", "0"])
        rss[size] = res
        print(
            f"   {res['runs']:5d} runs: runner {res['driver_rss_mb']:7.1f} MB, "
            f"largest worker {res['worker_rss_mb']:7.1f} MB "
            f"({res['runs'] / res['batch_seconds']:.1f} runs/s)"
        )
    small, large = rss[min(rss)], rss[max(rss)]
    print(
        f"   runner RSS ratio {large['driver_rss_mb'] / small['driver_rss_mb']:.2f}, "
        f"worker RSS ratio {large['worker_rss_mb'] / small['worker_rss_mb']:.2f} "
        "(target: flat, about 1.0)"
    )


def against_mesa(folder: Path, scale: int) -> dict[str, tuple[float, str]]:
    """3. Against mesa.batch_run on the same model and runs, 2 processes each."""
    n = max(4, 40 // scale)
    path = experiment_file(folder, n)
    ours = _child(["--child-batch", str(path), str(folder / "ours"), "2", "0"])
    mesa = _child(["--child-mesa", str(n), "2"], env={"OPENBLAS_NUM_THREADS": "1"})
    ro, rm = ours["runs"] / ours["batch_seconds"], mesa["runs"] / mesa["batch_seconds"]
    load = _load()
    print(f"\n3. against mesa.batch_run, {n} runs of 40 quarters, 2 processes ({load})")
    co, cm = ours["batch_cpu"] / ours["runs"], mesa["batch_cpu"] / mesa["runs"]
    print(f"   softpower batch (Parquet on disk): {ro:6.2f} runs/s, CPU {co:.3f} s a run")
    print(
        f"   mesa.batch_run (rows in memory)  : {rm:6.2f} runs/s, CPU {cm:.3f} s a run "
        f"({mesa['rows']} rows)"
    )
    print(
        f"   ratio: {ro / rm:.2f}x   (goal >= 3x; in CPU a run, steadier on a loaded machine: "
        f"{cm / co:.2f}x)"
    )
    return {"mesa_ratio": (ro / rm, load)}


def ensemble(folder: Path, scale: int, precision: str = "float64") -> dict[str, tuple[float, str]]:
    """4. A 1,000-run ensemble of the full model (core60), end to end."""
    n = 1000 // scale
    path = experiment_file(folder, n, record_every=4, precision=precision)
    res = end_to_end(path, folder / "ensemble")
    load = _load()
    print(
        f"\n4. ensemble, {res['runs']} runs x 60 nations x 40 quarters, {precision}, 2 workers "
        f"({load})"
    )
    print(
        f"   softpower batch end to end {res['wall']:.1f} s: "
        f"the batch {res['batch_seconds']:.1f} s "
        f"({res['runs'] / res['batch_seconds']:.1f} runs/s), start-up, world and summary "
        f"{res['wall'] - res['batch_seconds']:.1f} s; CPU {res['cpu']:.1f} s "
        "(goal <= 20 s end to end)"
    )
    return {"core60_1000": (res["wall"], load)}


if __name__ == "__main__":
    main()
