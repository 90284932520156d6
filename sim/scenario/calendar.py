"""The calendar of a scenario: quarters labelled ``YYYY-Qn`` (step 0 is the scenario's start)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sim.model.plan import (
    quarter_after,
)

__all__ = ["Quarter", "quarter_label"]


_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter.

    Attributes:
        year: Calendar year.
        q: Quarter 1-4.

    """

    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``YYYY-Qn``.

        Raises:
            ValueError: Not of that form.

        """
        m = _QUARTER.match(str(text).strip())
        if not m:
            raise ValueError(f"{text!r} is not a quarter; expected YYYY-Qn such as 2025-Q1")
        return cls(int(m.group(1)), int(m.group(2)))

    def __add__(self, steps: int) -> Quarter:
        return Quarter(*quarter_after(self.year, self.q, int(steps)))

    def __sub__(self, other: Quarter) -> int:
        return (self.year * 4 + self.q) - (other.year * 4 + other.q)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.q}"


def quarter_label(start: Quarter, step: int) -> str:
    """Return the date label ``YYYY-Qn`` of ``step`` quarters after ``start``."""
    return str(start + step)
