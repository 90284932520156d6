"""The report as a document model: sections of headings, paragraphs, tables, code and figures,
with numbers that carry where they come from (rendered by `sim.report.html` and `sim.report.pdf`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib is imported when figures are drawn, so bad input fails fast
    from matplotlib.figure import Figure
from sim.report.batch import Batch

__all__ = [
    "Block",
    "Cell",
    "Code",
    "FigureBlock",
    "Heading",
    "Inline",
    "Number",
    "Paragraph",
    "Report",
    "Section",
    "Table",
    "cell_html",
    "cell_text",
]


@dataclass(frozen=True)
class Number:
    """A statistic shown in the report, with the summary-table cell it was read from.

    Attributes:
        value: The value in the table.
        table: Summary table name (``scores``, ``differences``, ...).
        column: Column of the value.
        key: The row: (column, value) pairs such as ``(("scenario", "x"), ("step", "40"))``.
        decimals: Decimals shown.
        signed: Show a ``+`` on positive values.

    """

    value: float
    table: str
    column: str
    key: tuple[tuple[str, str], ...]
    decimals: int = 2
    signed: bool = False

    @property
    def text(self) -> str:
        """The value as shown (no ``-0.00``)."""
        rounded = round(float(self.value), self.decimals)
        if rounded == 0:
            rounded = 0.0
        return f"{rounded:{'+' if self.signed and rounded else ''}.{self.decimals}f}"

    def html(self) -> str:
        """The value in a ``<span class="num">`` carrying its table cell in ``data-*``."""
        attrs = [f'data-table="{self.table}"', f'data-column="{self.column}"']
        attrs += [f'data-{k}="{html.escape(str(v))}"' for k, v in self.key]
        return f'<span class="num" {" ".join(attrs)}>{self.text}</span>'


Inline = str | Number


Cell = Inline | tuple[Inline, ...]


def cell_text(cell: Cell) -> str:
    """Plain text of a table cell."""
    parts = cell if isinstance(cell, tuple) else (cell,)
    return "".join(p.text if isinstance(p, Number) else str(p) for p in parts)


def cell_html(cell: Cell) -> str:
    """HTML of a table cell (numbers keep their data attributes)."""
    parts = cell if isinstance(cell, tuple) else (cell,)
    return "".join(p.html() if isinstance(p, Number) else html.escape(str(p)) for p in parts)


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section."""

    text: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text and numbers; ``kind`` ``finding`` makes it a numbered key finding."""

    parts: tuple[Inline, ...]
    kind: str = ""


@dataclass(frozen=True)
class Table:
    """A table; ``numeric`` names the columns to right-align."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""
    numeric: tuple[int, ...] = ()


@dataclass(frozen=True)
class Code:
    """A preformatted block (commands)."""

    text: str


@dataclass
class FigureBlock:
    """A figure with its title and caption; ``png`` is filled in when rendered."""

    slug: str
    title: str
    caption: str
    figure: Figure
    png: bytes = b""


Block = Heading | Paragraph | Table | Code | FigureBlock


@dataclass
class Section:
    """A titled part of the report."""

    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    """Everything the HTML and PDF renderers need.

    Attributes:
        title: Report title.
        subtitle: One line on the batch it comes from.
        batch: The batch.
        focus: Focus nations.
        sections: In display order.
        answers: The question on page one (`sim.report.answer.Answer`), per condition and
            scenario.

    """

    title: str
    subtitle: str
    batch: Batch
    focus: tuple[str, ...]
    sections: list[Section]
    answers: list[Any] = field(default_factory=list)

    @property
    def figures(self) -> list[FigureBlock]:
        """All figures in order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, FigureBlock)]

    def section(self, id: str) -> Section | None:
        """Return the section with this id, if present."""
        return next((s for s in self.sections if s.id == id), None)
