"""The ``softpower backtest`` command (registered by `sim.cli`).

Thin: the work is in `sim.analysis.backtest`. Bad input raises a `SoftPowerError`, which the
``softpower`` group turns into one stderr line and exit code 2.
"""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli_options import writable_dir

__all__ = ["backtest"]


@click.command("backtest")
@click.option("--until", type=click.IntRange(2002, 2024), required=True, help="Last year fitted.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option(
    "--scenario",
    type=click.Path(path_type=Path),
    help="History scenario of the events from --until + 1 (starts in that year's Q1).",
)
@click.option(
    "--world",
    default=None,
    metavar="NAME",
    help="Bundled world: un193 (default) or core60 (episodes naming other nations are skipped).",
)
@click.option(
    "--responses",
    type=click.Choice(["registry", "refit"]),
    default="registry",
    show_default=True,
    help="Event responses: the registry's (fitted on every episode, some after --until), or "
    "refitted on the episodes that end by --until, their spread added to the intervals "
    "(a few minutes).",
)
def backtest(
    until: int, out: Path, scenario: Path | None, world: str | None, responses: str
) -> None:
    """Fit the assimilated start on the opinion panel up to --until and predict every later wave
    up to 2024 against the last poll carried forward and the structural anchor (writes
    DIR/backtest.csv, predictions.csv, parameters.yaml).
    """
    from sim.analysis.backtest import backtest as run_backtest
    from sim.analysis.backtest import write_backtest

    out = writable_dir(out)
    result = run_backtest(until, world=world, scenario=scenario, responses=responses)
    click.echo(result.to_text())
    click.echo("wrote " + ", ".join(str(p) for p in write_backtest(result, out)))
