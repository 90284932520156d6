"""One exception family for bad input, so the CLI can turn any of them into one line and exit 2."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "SoftPowerError",
    "DataError",
    "ScenarioError",
    "ExperimentError",
    "ParameterError",
    "WorldError",
    "NetworkError",
    "SoftPowerWarning",
    "suggest",
]


class SoftPowerWarning(UserWarning):
    """Warning raised by softpower itself (tests turn these into errors)."""


class SoftPowerError(Exception):
    """Bad input from a user: a file, a key, a value or an argument.

    Args:
        message: What is wrong, in one short clause.
        file: The file concerned, if any.
        line: The 1-based line in that file, if known.
        key: The key or field concerned, e.g. ``events[2].actor``.
        expected: What would have been valid.
        suggestion: A likely fix, e.g. ``did you mean CHN?``.

    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        expected: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.key = key
        self.expected = expected
        self.suggestion = suggestion
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """Return the error as ``FILE:LINE: key: message; expected ...; suggestion``."""
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        text = f"{where}{self.key + ': ' if self.key else ''}{self.message}"
        if self.expected:
            text += f"; expected {self.expected}"
        if self.suggestion:
            text += f"; {self.suggestion}"
        return text.replace("\n", " ")


class DataError(SoftPowerError):
    """A bundled or user-supplied data file is missing or malformed."""


class ScenarioError(SoftPowerError):
    """A scenario file is invalid."""


class ExperimentError(SoftPowerError):
    """An experiment file or batch directory is invalid."""


class ParameterError(SoftPowerError):
    """A model parameter name or value is invalid."""


class WorldError(SoftPowerError):
    """An unknown world name (``--world``, ``world:`` in a scenario or experiment file)."""


class NetworkError(SoftPowerError):
    """A bad request of the nations' graph: an unknown layer, file format or date."""


def suggest(value: str, choices: Iterable[str]) -> str | None:
    """Return ``did you mean X?`` for the closest of ``choices`` to ``value``, if any is close.

    Args:
        value: What the user wrote.
        choices: Valid spellings.

    Returns:
        A suggestion sentence, or None when nothing is close.

    Example:
        >>> suggest("CHNA", ["CHN", "USA"])
        'did you mean CHN?'

    """
    choices = list(choices)
    match = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.5)
    if not match:
        upper = {c.upper(): c for c in choices}
        if str(value).upper() in upper:
            match = [upper[str(value).upper()]]
    return f"did you mean {match[0]}?" if match else None
