"""The panel of past opinion: what one nation's people thought of another, survey by survey.

`load_panel` reads ``sim/data/opinion/panel.csv`` (``sim/data/opinion/README.md`` says what
each survey asks and how each value was read or computed) into an `OpinionPanel` of numpy
arrays, one row per survey, question, observer, target and year. Every row must name its
source, and no row may be from 2025 or later: those polls are test data and live elsewhere.
The panel is the model's starting state (the assimilated start, `sim.model.assimilation`, reads
the rows before a run's start) and the data of the backtest (`sim.analysis.backtest`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.errors import DataError
from sim.world.csvfile import number, read_rows
from sim.world.world import DATA_DIR

__all__ = [
    "PANEL_COLUMNS",
    "PANEL_FILE",
    "FIRST_YEAR",
    "LAST_YEAR",
    "OpinionPanel",
    "bundled_panel",
    "load_panel",
]

#: The bundled panel.
PANEL_FILE = DATA_DIR / "opinion" / "panel.csv"
#: The columns a panel file must have.
PANEL_COLUMNS: tuple[str, ...] = (
    "survey",
    "question",
    "observer",
    "target",
    "year",
    "value",
    "source_url",
)
#: The earliest fieldwork year accepted.
FIRST_YEAR = 1990
#: The latest fieldwork year accepted; polls of 2025 and later are test data.
LAST_YEAR = 2024

_ISO3 = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class OpinionPanel:
    """Survey shares, one entry per (survey, question, observer, target, year).

    Attributes:
        survey: Survey family, e.g. ``pew_global_attitudes``.
        question: Question within the family, e.g. ``favourable``.
        observer: ISO3 code of the nation whose people were asked.
        target: ISO3 code of the nation asked about (``EUU`` for the European Union).
        year: Year of fieldwork.
        value: Share favourable, approving or positive, 0-100.
        source_url: Where each value was read (or how it was computed).
    """

    survey: np.ndarray
    question: np.ndarray
    observer: np.ndarray
    target: np.ndarray
    year: np.ndarray
    value: np.ndarray
    source_url: np.ndarray

    @property
    def family(self) -> np.ndarray:
        """``survey:question`` of each row: what one observation model maps."""
        return np.char.add(np.char.add(self.survey.astype(str), ":"), self.question.astype(str))

    def __len__(self) -> int:
        """Return the number of rows."""
        return int(self.value.shape[0])


def _fail(
    message: str,
    path: Path,
    line: int,
    key: str,
    expected: str,
    suggestion: str | None = None,
) -> DataError:
    return DataError(
        message,
        file=str(path),
        line=line,
        key=key,
        expected=expected,
        suggestion=suggestion,
    )


def _text(row: dict[str, str], column: str, path: Path, line: int) -> str:
    text = (row[column] or "").strip()
    if not text:
        raise _fail(
            "empty field",
            path,
            line,
            column,
            "a non-empty value",
            "every row needs its survey, question and source",
        )
    return text


def _code(row: dict[str, str], column: str, path: Path, line: int) -> str:
    text = (row[column] or "").strip()
    if not _ISO3.fullmatch(text):
        raise _fail(
            f"{text!r} is not an ISO3 code",
            path,
            line,
            column,
            "three upper-case letters, e.g. USA, CHN or EUU",
            f"did you mean {text.upper()}?" if _ISO3.fullmatch(text.upper()) else None,
        )
    return text


def _year(row: dict[str, str], path: Path, line: int) -> int:
    value = number(row["year"], path=path, line=line, key="year")
    if not value.is_integer():
        raise _fail(f"{row['year']!r} is not a whole year", path, line, "year", "an integer year")
    year = int(value)
    if year > LAST_YEAR:
        raise _fail(
            f"year {year} is after {LAST_YEAR}",
            path,
            line,
            "year",
            f"a fieldwork year {FIRST_YEAR}-{LAST_YEAR}",
            "polls of 2025 and later are test data and do not belong in the panel",
        )
    if year < FIRST_YEAR:
        raise _fail(
            f"year {year} is before {FIRST_YEAR}",
            path,
            line,
            "year",
            f"a fieldwork year {FIRST_YEAR}-{LAST_YEAR}",
        )
    return year


def load_panel(path: Path | None = None) -> OpinionPanel:
    """Read and check a panel of past opinion.

    Args:
        path: A CSV file with the columns of `PANEL_COLUMNS`; the bundled panel by default.

    Returns:
        The panel, in file order.

    Raises:
        DataError: A missing file or column, an empty field, a code that is not ISO3, an
            observer equal to its target, a year outside 1990-2024, a value outside 0-100, or
            a repeated (survey, question, observer, target, year); each names file and line.

    Example:
        >>> panel = load_panel()
        >>> int(panel.year.max()) <= LAST_YEAR
        True
    """
    path = Path(path) if path is not None else PANEL_FILE
    _, rows = read_rows(
        path,
        PANEL_COLUMNS,
        missing="opinion panel not found",
        expected="a CSV file with columns " + ",".join(PANEL_COLUMNS),
        suggestion="rebuild it with tools/build_opinion_panel.py",
    )
    columns: dict[str, list] = {c: [] for c in PANEL_COLUMNS}
    seen: dict[tuple[str, str, str, str, int], int] = {}
    for line, row in rows:
        survey = _text(row, "survey", path, line)
        question = _text(row, "question", path, line)
        observer = _code(row, "observer", path, line)
        target = _code(row, "target", path, line)
        if observer == target:
            raise _fail(
                f"observer and target are both {observer}",
                path,
                line,
                "target",
                "views of another nation",
            )
        year = _year(row, path, line)
        value = number(row["value"], path=path, line=line, key="value")
        if not 0.0 <= value <= 100.0:
            raise _fail(
                f"value {value:g} is outside 0-100",
                path,
                line,
                "value",
                "a share in per cent, 0-100",
                "write shares as per cent, not as fractions or net scores",
            )
        source = _text(row, "source_url", path, line)
        key = (survey, question, observer, target, year)
        if key in seen:
            raise _fail(
                f"duplicate row for {survey}/{question} {observer}->{target} {year}",
                path,
                line,
                "survey,question,observer,target,year",
                "one row per survey, question, observer, target and year",
                f"first given at line {seen[key]}; keep one",
            )
        seen[key] = line
        for column, item in zip(
            PANEL_COLUMNS,
            (survey, question, observer, target, year, value, source),
            strict=True,
        ):
            columns[column].append(item)
    return OpinionPanel(
        survey=np.array(columns["survey"], dtype=str),
        question=np.array(columns["question"], dtype=str),
        observer=np.array(columns["observer"], dtype=str),
        target=np.array(columns["target"], dtype=str),
        year=np.array(columns["year"], dtype=np.int64),
        value=np.array(columns["value"], dtype=np.float64),
        source_url=np.array(columns["source_url"], dtype=str),
    )


_BUNDLED: dict[Path, OpinionPanel] = {}


def bundled_panel() -> OpinionPanel:
    """Return the bundled panel, read on first use and then shared (models only read it)."""
    if PANEL_FILE not in _BUNDLED:
        _BUNDLED[PANEL_FILE] = load_panel(PANEL_FILE)
    return _BUNDLED[PANEL_FILE]
