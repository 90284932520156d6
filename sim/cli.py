"""The ``softpower`` command: run, batch, summarize, report, validate, calibrate, app, scenarios.

Bad input (any `SoftPowerError` or a bad argument) prints one line on stderr and exits with 2.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
import numpy as np

from sim import __version__
from sim.errors import SoftPowerError

__all__ = ["main", "cli", "write_run"]

EXIT_BAD_INPUT = 2


class _Group(click.Group):
    """A click group that turns bad input into one stderr line and exit code 2."""

    def main(self, *args, **kwargs):  # type: ignore[override]
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except SoftPowerError as exc:
            click.echo(f"softpower: error: {exc.one_line()}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except click.exceptions.Abort:
            click.echo("softpower: aborted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f"; see `{ctx.command_path} --help`" if ctx else "; see `softpower --help`"
            click.echo(
                f"softpower: error: {exc.format_message()}{hint}".replace("\n", " "), err=True
            )
            sys.exit(EXIT_BAD_INPUT)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="softpower")
def cli() -> None:
    """softpower: an agent-based simulator of how nations win and lose soft power."""


def _out_dir(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".softpower-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise SoftPowerError(
            f"cannot write to output directory ({exc.strerror})",
            file=str(out),
            expected="a writable directory",
            suggestion="choose another --out",
        ) from None
    return out


def write_run(model, out: Path, seed: int | None, wall_time: float) -> dict:
    """Write the four files of a single run (DESIGN §3) and return the manifest."""
    rec = model.recorder
    rec.soft_power_table().to_csv(out / "soft_power.csv", index=False, float_format="%.10g")
    rec.perception_table().to_csv(out / "perception.csv", index=False, float_format="%.10g")
    rec.events_table().to_csv(out / "events.csv", index=False)
    manifest = {
        "scenario": model.spec.as_loaded,
        "scenario_file": model.spec.path,
        "scenario_hash": model.spec.hash,
        "seed": seed,
        "steps": model.steps,
        "record_every": rec.steps[1] - rec.steps[0] if len(rec.steps) > 1 else 1,
        "package_version": __version__,
        "parameters": model.parameters.to_dict(),
        "data_flags": len(model.world.flags),
        "wall_time_seconds": round(wall_time, 4),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _top_table(model, n: int = 15) -> str:
    rec = model.recorder
    last = model.steps
    score, rank = rec.score[last], rec.rank[last]
    order = np.argsort(rank)[:n]
    lines = [f"{'rank':>4}  {'nation':<6} {'score':>6}  {'change':>7}  {'rank Δ':>6}"]
    for i in order:
        delta = score[i] - rec.score[0, i]
        moved = int(rec.rank[0, i] - rank[i])
        arrow = f"{moved:+d}" if moved else "="
        lines.append(f"{rank[i]:>4}  {model.iso3[i]:<6} {score[i]:6.1f}  {delta:+7.2f}  {arrow:>6}")
    return "\n".join(lines)


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--seed", type=int, default=0, show_default=True, help="Root seed of the run.")
@click.option("--steps", type=click.IntRange(1, 400), default=None, help="Override the horizon.")
@click.option(
    "--record-every",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Record perception every K steps (the last step always).",
)
@click.option(
    "--params",
    "params_file",
    type=click.Path(path_type=Path),
    default=None,
    help="YAML/JSON file of parameter values (e.g. written by `softpower calibrate`).",
)
@click.option("--quiet", is_flag=True, help="Do not print the top-15 table.")
def run(scenario: Path, out: Path, seed: int, steps, record_every: int, params_file, quiet) -> None:
    """Run one SCENARIO file and write soft_power.csv, perception.csv, events.csv, manifest.json."""
    from sim.model import SoftPowerModel
    from sim.params import load_parameter_file
    from sim.scenario import load_scenario

    spec = load_scenario(scenario)
    base = load_parameter_file(params_file) if params_file else None
    out = _out_dir(out)
    start = time.perf_counter()
    model = SoftPowerModel(
        scenario=spec,
        parameters=base,
        rng=np.random.SeedSequence(seed),
        record_every=record_every,
        steps=steps,
    )
    model.run()
    wall = time.perf_counter() - start
    write_run(model, out, seed, wall)
    if not quiet:
        click.echo(f"{spec.title} — {spec.date(0)} to {spec.date(model.steps)}, seed {seed}")
        click.echo(_top_table(model))
        click.echo(
            f"wrote {out}/soft_power.csv, perception.csv, events.csv, manifest.json ({wall:.2f} s)"
        )


@cli.command("params")
def params_cmd() -> None:
    """List the model parameters: name, default, range, unit and meaning."""
    from sim.params import REGISTRY

    for p in REGISTRY.values():
        click.echo(f"{p.name:<28} {p.default!s:>7}  [{p.low}, {p.high}] {p.unit:<10} {p.meaning}")


@cli.group()
def scenarios() -> None:
    """List and check scenario files."""


@scenarios.command("list")
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path),
    default=Path("scenarios"),
    show_default=True,
    help="Folder of scenario files.",
)
def scenarios_list(folder: Path) -> None:
    """List the scenarios: name, title, steps and number of events."""
    from sim.scenario import load_scenario
    from sim.world import World

    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise SoftPowerError("no scenario files", file=str(folder), expected="*.yaml files")
    world = World.load()
    click.echo(f"{'name':<26} {'steps':>5} {'events':>6}  title")
    for f in files:
        s = load_scenario(f, world)
        click.echo(f"{s.name:<26} {s.steps:>5} {len(s.events):>6}  {s.title}")


@scenarios.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def scenarios_check(files: tuple[Path, ...]) -> None:
    """Validate scenario FILES; print one line per file, exit 2 at the first bad one."""
    from sim.scenario import load_scenario
    from sim.world import World

    world = World.load()
    for f in files:
        s = load_scenario(f, world)
        click.echo(f"ok  {f}  ({s.name}: {len(s.events)} events, {s.steps} steps)")


def _print_summary(summary) -> None:
    names = ", ".join(summary.paths)
    folder = next(iter(summary.paths.values())).parent if summary.paths else "?"
    click.echo(f"summary: {folder}/ ({names})")
    for note in summary.notes:
        click.echo(f"note: {note}")


@cli.command()
@click.argument("experiment", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Result directory.")
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=None,
    help="Local worker processes (default: all cores; 1 runs in this process). "
    "With --dask local: the number of Dask workers (default 2).",
)
@click.option(
    "--dask",
    "dask_address",
    default=None,
    metavar="ADDRESS|local",
    help="Run on Dask: `local` starts a LocalCluster; tcp://host:port joins a scheduler.",
)
@click.option("--retry-failed", is_flag=True, help="Rerun runs recorded as failed.")
@click.option("--force", is_flag=True, help="Delete previous results in --out and start anew.")
@click.option("--no-summary", is_flag=True, help="Do not write DIR/summary/ at the end.")
@click.option(
    "--bootstrap",
    type=click.IntRange(0),
    default=1000,
    show_default=True,
    help="Bootstrap resamples for the difference intervals of the summary.",
)
@click.option("--progress/--no-progress", default=True, help="Show the progress bar.")
@click.pass_context
def batch(
    ctx: click.Context,
    experiment: Path,
    out: Path,
    workers,
    dask_address,
    retry_failed: bool,
    force: bool,
    no_summary: bool,
    bootstrap: int,
    progress: bool,
) -> None:
    """Run EXPERIMENT (scenarios × design × replications) into --out as Parquet; rerun to resume.

    Exits 1 when some runs failed (their error and traceback are in DIR/runs.parquet).
    """
    from sim.experiment import load_experiment
    from sim.runner import run_batch
    from sim.summary import summarize

    if dask_address is not None and dask_address != "local" and "://" not in dask_address:
        raise SoftPowerError(
            f"bad Dask address {dask_address!r}",
            key="--dask",
            expected="local or a scheduler address such as tcp://host:8786",
        )
    spec = load_experiment(experiment)
    out = _out_dir(out)
    report = run_batch(
        spec,
        out,
        workers=workers,
        dask=dask_address,
        retry_failed=retry_failed,
        force=force,
        progress=progress,
    )
    click.echo(report.summary_line())
    if report.failed:
        click.echo(
            f"{report.failed} runs failed (see error and traceback in {out}/runs.parquet); "
            "rerun with --retry-failed"
        )
    if report.ok and not no_summary:
        _print_summary(summarize(out, bootstrap=bootstrap))
    if report.failed:
        ctx.exit(1)


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--baseline", default=None, help="Scenario for differences (default: the first).")
@click.option(
    "--bootstrap",
    type=click.IntRange(0),
    default=1000,
    show_default=True,
    help="Bootstrap resamples for the difference intervals.",
)
def summarize(directory: Path, baseline, bootstrap: int) -> None:
    """Write DIRECTORY/summary/: score and rank statistics, paired differences, sensitivity."""
    from sim.summary import summarize as write_summary

    _print_summary(write_summary(directory, baseline=baseline, bootstrap=bootstrap))


def main() -> None:
    """Entry point of the ``softpower`` console script."""
    cli.main(prog_name="softpower")


if __name__ == "__main__":
    main()
