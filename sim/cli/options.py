"""Options, types and up-front checks shared by the commands of `sim.cli`, each declared once.

- `SEED`: the click type of every ``--seed`` (a whole number ≥ 0), and `seed_option`;
- `world_option`, `out_dir_option`, `horizon_option`, `params_file_option` (and
  `read_params_file`), `polls_option`, `episodes_option`, `workers_option`: options several
  commands share;
- `writable_dir` and `writable_file`: an ``--out`` is checked before any work starts;
- `nation_list`: a comma-separated list of ISO3 codes that may not be empty.

Each refusal is a `SoftPowerError` (or a click error), which the CLI prints as one line with
exit code 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sim.errors import SoftPowerError

if TYPE_CHECKING:
    from sim.params import Parameters

__all__ = [
    "SEED",
    "Decorator",
    "WORLD_HELP",
    "SeedType",
    "episodes_option",
    "horizon_option",
    "nation_list",
    "out_dir_option",
    "params_file_option",
    "polls_option",
    "read_params_file",
    "seed_option",
    "workers_option",
    "world_option",
    "writable_dir",
    "writable_file",
]

#: A decorator that adds one option to a click command.
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class SeedType(click.ParamType):
    """A root seed: a whole number ≥ 0 (what `numpy.random.SeedSequence` accepts)."""

    name = "seed"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """Return the seed as an int, or fail with a one-line click error."""
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            if re.fullmatch(r"[+-]?[0-9]+", text) is None:
                self.fail(
                    f"{value!r} is not a seed; expected a whole number ≥ 0 such as 0 or 42",
                    param,
                    ctx,
                )
            number = int(text)
        if number < 0:
            self.fail(
                f"{number} is negative; expected a whole number ≥ 0 such as 0 or 42", param, ctx
            )
        return number


#: The type of every ``--seed`` option.
SEED = SeedType()


def seed_option(default: int, help: str) -> Decorator:
    """Return the ``--seed`` option of a command (type `SEED`, the default shown).

    Args:
        default: The seed when the option is not given.
        help: The option's line in ``--help``.
    """
    return click.option("--seed", type=SEED, default=default, show_default=True, help=help)


#: The help of ``--world`` on the commands that take a scenario or experiment file.
WORLD_HELP = (
    "Bundled world: core60 (60 nations) or un193 (every UN member state). "
    "Default: the file's `world:`, else un193 (`--world core60` for fast runs)."
)


def world_option(help: str = WORLD_HELP) -> Decorator:
    """Return the ``--world NAME`` option (a bundled world; checked where it is loaded).

    Args:
        help: The option's line in ``--help``: what the default is for this command.
    """
    return click.option("--world", default=None, metavar="NAME", help=help)


def out_dir_option(help: str = "Output directory.") -> Decorator:
    """Return the required ``--out DIR`` option of a command that writes a directory of files
    (checked with `writable_dir` before any work).

    Args:
        help: The option's line in ``--help``.
    """
    return click.option("--out", required=True, type=click.Path(path_type=Path), help=help)


def horizon_option() -> Decorator:
    """Return ``--steps N``: the number of quarters run, instead of the scenario's own."""
    return click.option(
        "--steps", type=click.IntRange(1, 400), default=None, help="Override the horizon."
    )


class _AliasedOption(click.Option):
    """An option whose names after the first are hidden aliases: ``--help`` shows the first."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        """Return the help line of the option under its first name only."""
        names, self.opts = self.opts, self.opts[:1]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = names


def params_file_option(help: str) -> Decorator:
    """Return ``--params-file FILE``: a YAML/JSON file of parameter values (what ``softpower
    calibrate`` writes), read with `read_params_file`. ``--params`` is kept as a hidden alias
    (its name before the option was renamed).

    Args:
        help: The option's line in ``--help``: what the parameters apply to.
    """
    return click.option(
        "--params-file",
        "--params",
        "params_file",
        cls=_AliasedOption,
        type=click.Path(path_type=Path),
        default=None,
        metavar="FILE",
        help=help,
    )


def read_params_file(path: Path | None) -> Parameters | None:
    """Return the parameters of ``--params-file`` (None when it is not given).

    Args:
        path: The option's value.

    Raises:
        ParameterError: The file is missing, malformed, of another kind, or names an unknown
            parameter or a value out of range (`sim.parameter_file.load_parameter_file`).
    """
    from sim.parameter_file import load_parameter_file

    return load_parameter_file(path) if path is not None else None


def workers_option(
    help: str = "Processes for the model runs (the result does not depend on it).",
    default: int | None = 1,
) -> Decorator:
    """Return ``--workers N``: the number of processes (a whole number ≥ 1) the command's model
    runs are spread over; results never depend on it.

    Args:
        help: The option's line in ``--help``: what runs on the workers, and the default when it
            is not a number (``default=None``).
        default: The number when the option is not given (shown in ``--help``), or None for a
            default the command chooses (e.g. all cores).
    """
    return click.option(
        "--workers",
        type=click.IntRange(1),
        default=default,
        show_default=default is not None,
        help=help,
    )


#: An input file that must exist (checked before any work, one line if it does not).
_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def polls_option(help: str) -> Decorator:
    """Return ``--polls FILE`` (repeatable): poll files ``observer,target,year,favourable_pct,
    source`` up to 2024, or the opinion panel; each must exist.

    Args:
        help: The option's line in ``--help``.
    """
    return click.option("--polls", multiple=True, required=True, type=_EXISTING_FILE, help=help)


def episodes_option() -> Decorator:
    """Return the required ``--episodes FILE``: the history episodes the event responses are
    fitted on.
    """
    return click.option(
        "--episodes",
        "episodes_file",
        required=True,
        type=_EXISTING_FILE,
        help="Episodes CSV (sim/data/targets/episodes.csv).",
    )


def _refuse(path: Path, exc: OSError | str, expected: str) -> SoftPowerError:
    reason = exc if isinstance(exc, str) else (exc.strerror or type(exc).__name__)
    return SoftPowerError(
        f"cannot write here ({reason})",
        file=str(path),
        key="--out",
        expected=expected,
        suggestion="choose another --out",
    )


def writable_dir(out: Path) -> Path:
    """Create the output directory ``out`` if needed and check that a file can be written in it.

    Called before any work starts, so a bad ``--out`` costs nothing.

    Raises:
        SoftPowerError: ``out`` cannot be created or written (e.g. ``/proc/x``, or a path under a
            file).

    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".softpower-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise _refuse(out, exc, "a writable directory") from None
    return out


def writable_file(out: Path, key: str = "--out") -> Path:
    """Check, before any work, that the file ``out`` can be written (its folder is created).

    An existing file is left untouched; a new one is created and removed again.

    Raises:
        SoftPowerError: ``out`` is a directory, or its folder cannot be created or written.

    """
    out = Path(out)
    if out.is_dir():
        raise SoftPowerError(
            "is a directory",
            file=str(out),
            key=key,
            expected="a file path",
            suggestion=f"add a file name, e.g. {out / 'out.csv'}",
        )
    existed = out.exists()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a"):
            pass
        if not existed:
            out.unlink()
    except OSError as exc:
        raise _refuse(out, exc, "a file path in a writable directory") from None
    return out


def nation_list(text: str | None, key: str) -> list[str] | None:
    """Split ``USA,CHN`` into upper-case codes; None for None.

    Raises:
        SoftPowerError: The option is given but names no nation (e.g. ``--nations ''``).

    """
    if text is None:
        return None
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    if not codes:
        raise SoftPowerError(
            f"no nation given ({text!r})",
            key=key,
            expected="comma-separated ISO3 codes such as USA,CHN",
            suggestion=f"leave out {key} for the default",
        )
    return codes
