"""Reading CSV files row by row with line numbers, so bad rows give one-line errors."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from pathlib import Path

from sim.errors import DataError

__all__ = ["read_rows", "number"]


def read_rows(
    path: Path,
    required: Iterable[str] = (),
    *,
    missing: str = "data file not found",
    expected: str | None = None,
    suggestion: str | None = None,
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Read a CSV file into its header and (line number, row) pairs.

    Header names are stripped, a UTF-8 byte-order mark is ignored and blank rows are skipped.

    Args:
        path: The file.
        required: Columns that must be present.
        missing: Message when the file does not exist.
        expected: What the file should be, for that message.
        suggestion: What to do, for that message.

    Returns:
        The header and the rows.

    Raises:
        DataError: A missing file, a missing column, a row of the wrong width, or bad encoding.
    """
    if not path.is_file():
        raise DataError(missing, file=str(path), expected=expected, suggestion=suggestion)
    required = list(required)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            absent = [c for c in required if c not in header]
            if absent:
                raise DataError(
                    f"missing column(s) {', '.join(absent)}",
                    file=str(path),
                    line=1,
                    expected=f"columns {', '.join(required)}",
                )
            rows = []
            for row in reader:
                if None in row or any(v is None for v in row.values()):
                    raise DataError(
                        "row has the wrong number of fields",
                        file=str(path),
                        line=reader.line_num,
                        expected=f"{len(header)} comma-separated fields",
                        suggestion="quote fields that contain commas",
                    )
                if any((v or "").strip() for v in row.values()):
                    rows.append((reader.line_num, row))
            return header, rows
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason})", file=str(path)) from None
    except csv.Error as exc:
        raise DataError(f"malformed CSV ({exc})", file=str(path)) from None


def number(text: str | None, *, path: Path | str, line: int | None, key: str) -> float:
    """Return ``text`` as a finite float, or raise a `DataError` naming file, line and key."""
    try:
        value = float(text)  # type: ignore[arg-type]  # None raises TypeError, caught below
    except (TypeError, ValueError):
        raise DataError(
            f"{text!r} is not a number", file=str(path), line=line, key=key, expected="a number"
        ) from None
    if not math.isfinite(value):
        raise DataError(f"{text!r} is not finite", file=str(path), line=line, key=key)
    return value
