"""The ``softpower backtest`` command (registered by `sim.cli`).

Thin: the work is in `sim.analysis.backtest`. Bad input raises a `SoftPowerError`, which the
``softpower`` group turns into one stderr line and exit code 2.
"""

from __future__ import annotations

from pathlib import Path

import click

from sim.errors import SoftPowerError

__all__ = ["backtest"]


def _writable(out: Path) -> Path:
    """Create ``out`` and check that it takes a file, before any work is done."""
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
def backtest(until: int, out: Path, scenario: Path | None, world: str | None) -> None:
    """Fit the assimilated start on the opinion panel up to --until and predict every later wave
    up to 2024 against the last poll carried forward and the structural anchor (writes
    DIR/backtest.csv, predictions.csv, parameters.yaml).
    """
    from sim.analysis.backtest import backtest as run_backtest
    from sim.analysis.backtest import write_backtest

    out = _writable(out)
    result = run_backtest(until, world=world, scenario=scenario)
    click.echo(result.to_text())
    click.echo("wrote " + ", ".join(str(p) for p in write_backtest(result, out)))
