"""Options and up-front checks shared by the commands of `sim.cli`, each declared once.

- `SEED`: the click type of every ``--seed`` (a whole number ≥ 0), and `seed_option`;
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
from typing import Any

import click

from sim.errors import SoftPowerError

__all__ = ["SEED", "SeedType", "nation_list", "seed_option", "writable_dir", "writable_file"]


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


def seed_option(default: int, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Return the ``--seed`` option of a command (type `SEED`, the default shown)."""
    return click.option("--seed", type=SEED, default=default, show_default=True, help=help)


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
