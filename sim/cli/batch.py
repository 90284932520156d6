"""The ``softpower batch`` and ``softpower summarize`` commands: an experiment run into a
result directory of Parquet, and its summary tables.

Thin: the work is in `sim.batch.runner` and `sim.analysis.summary`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sim.cli.options import out_dir_option, workers_option, world_option, writable_dir
from sim.errors import SoftPowerError

if TYPE_CHECKING:
    from sim.analysis.summary import Summary

__all__ = ["batch", "summarize"]


def _print_summary(summary: Summary) -> None:
    """Print where the summary tables went and the summary's notes."""
    names = ", ".join(summary.paths)
    folder = next(iter(summary.paths.values())).parent if summary.paths else "?"
    click.echo(f"summary: {folder}/ ({names})")
    for note in summary.notes:
        click.echo(f"note: {note}")


@click.command()
@click.argument("experiment", type=click.Path(path_type=Path))
@out_dir_option("Result directory.")
@workers_option(
    "Local worker processes (default: all cores; 1 runs in this process). "
    "With --dask local: the number of Dask workers (default 2).",
    default=None,
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
@world_option()
@click.pass_context
def batch(
    ctx: click.Context,
    experiment: Path,
    out: Path,
    workers: int | None,
    dask_address: str | None,
    retry_failed: bool,
    force: bool,
    no_summary: bool,
    bootstrap: int,
    progress: bool,
    world: str | None,
) -> None:
    """Run EXPERIMENT (scenarios × design × replications) into --out as Parquet; rerun to resume.

    Exits 1 when some runs failed (their error and traceback are in DIR/runs.parquet).
    """
    from sim.analysis.summary import summarize as write_summary
    from sim.batch.experiment import load_experiment
    from sim.batch.runner import run_batch

    if dask_address is not None and dask_address != "local" and "://" not in dask_address:
        raise SoftPowerError(
            f"bad Dask address {dask_address!r}",
            key="--dask",
            expected="local or a scheduler address such as tcp://host:8786",
        )
    spec = load_experiment(experiment, world)
    out = writable_dir(out)
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
        _print_summary(write_summary(out, bootstrap=bootstrap))
    if report.failed:
        ctx.exit(1)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--baseline", default=None, help="Scenario for differences (default: the first).")
@click.option(
    "--bootstrap",
    type=click.IntRange(0),
    default=1000,
    show_default=True,
    help="Bootstrap resamples for the difference intervals.",
)
def summarize(directory: Path, baseline: str | None, bootstrap: int) -> None:
    """Write DIRECTORY/summary/: score and rank statistics, paired differences, sensitivity."""
    from sim.analysis.summary import summarize as write_summary

    _print_summary(write_summary(directory, baseline=baseline, bootstrap=bootstrap))
