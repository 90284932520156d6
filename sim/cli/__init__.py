"""The ``softpower`` command: the group, its commands registered from one module per group,
and the console entry point `main`.

- `sim.cli.run`: ``run`` and ``params``;
- `sim.cli.scenarios`: ``scenarios list`` and ``scenarios check``;
- `sim.cli.batch`: ``batch`` and ``summarize``;
- `sim.cli.report`: ``report``;
- `sim.cli.attribute`: ``attribute`` (one scenario, or a batch's runs);
- `sim.cli.analysis`: ``discover``, ``network`` and ``spread``;
- `sim.cli.validation`: ``validate``, ``test-2025``, ``backtest`` and ``profile``;
- `sim.cli.calibrate`: ``calibrate ranks``, ``calibrate observation``, ``calibrate responses``;
- `sim.cli.app`: ``app``;
- `sim.cli.options`: the options and checks they share.

Bad input (any `SoftPowerError` or a bad argument) prints one line on stderr and exits with 2.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from sim.cli.analysis import discover, network, spread
from sim.cli.app import app
from sim.cli.attribute import attribute
from sim.cli.batch import batch, summarize
from sim.cli.calibrate import calibrate
from sim.cli.report import report
from sim.cli.run import params, run
from sim.cli.scenarios import scenarios
from sim.cli.validation import backtest, profile, test_2025, validate
from sim.errors import SoftPowerError
from sim.version import __version__

__all__ = ["EXIT_BAD_INPUT", "cli", "main"]

#: Exit code of bad input (a file, key or argument).
EXIT_BAD_INPUT = 2


class _Group(click.Group):
    """A click group that turns bad input into one stderr line and exit code 2 (a group given
    without a subcommand prints its help there instead).
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command; bad input ends with one line on stderr and exit code 2."""
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except SoftPowerError as exc:
            click.echo(f"softpower: error: {exc.one_line()}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except click.exceptions.Abort:
            click.echo("softpower: aborted", err=True)
            sys.exit(130)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()  # a group without its subcommand: its help, as click shows it
            sys.exit(EXIT_BAD_INPUT)
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f"; see `{ctx.command_path} --help`" if ctx else "; see `softpower --help`"
            click.echo(
                f"softpower: error: {exc.format_message()}{hint}".replace("\n", " "), err=True
            )
            sys.exit(EXIT_BAD_INPUT)
        # Outside standalone mode click returns the code of `ctx.exit(code)` (e.g. `batch` with
        # failed runs) instead of exiting with it.
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            sys.exit(code)
        return code


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="softpower")
def cli() -> None:
    """softpower: an agent-based simulator of how nations win and lose soft power."""


for _command in (
    run,
    params,
    scenarios,
    batch,
    summarize,
    report,
    attribute,
    discover,
    network,
    spread,
    validate,
    calibrate,
    test_2025,
    backtest,
    profile,
    app,
):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the ``softpower`` console script (and of ``python -m sim.cli``).

    BLAS is limited to one thread per process: the kernel's matrices are small, so threads only
    add overhead (and contention with worker processes, which is where parallelism comes from).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    cli.main(prog_name="softpower")
