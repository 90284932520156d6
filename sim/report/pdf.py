"""Rendering a report as a multi-page PDF with matplotlib (text pages and figure pages)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.version import __version__

if TYPE_CHECKING:  # matplotlib is imported when figures are drawn, so bad input fails fast
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
from sim.report.document import Code, FigureBlock, Heading, Paragraph, Report, Table, cell_text

__all__ = ["render_pdf"]


_PAGE = (8.27, 11.69)  # A4 portrait, inches


_MARGIN = 0.75


_WIDTH_CHARS = {"text": 100, "mono": 112}


_LINE = {"h2": 0.36, "h3": 0.27, "text": 0.175, "mono": 0.15}


class _TextPages:
    """Lays out headings, paragraphs, tables and code on A4 pages of a `PdfPages`."""

    def __init__(self, pdf: PdfPages, header: str, pages: list[str]) -> None:
        self.pdf, self.header, self.pages = pdf, header, pages
        self.fig: Figure | None = None
        self.y = 0.0
        self.section = ""

    def new_page(self, section: str) -> None:
        """Start a page of ``section`` (titled "... (continued)" after its first page)."""
        from matplotlib.figure import Figure

        self.close()
        self.fig = Figure(figsize=_PAGE)
        self.fig.text(
            _MARGIN / _PAGE[0], 1 - 0.45 / _PAGE[1], self.header, fontsize=7, color="#666666"
        )
        title = section if section != self.section else f"{section} (continued)"
        self.fig.text(
            1 - _MARGIN / _PAGE[0],
            0.4 / _PAGE[1],
            f"{title} · {len(self.pages) + 1}",
            fontsize=7,
            color="#666666",
            ha="right",
        )
        self.pages.append(title)
        self.section = section
        self.y = _PAGE[1] - _MARGIN

    def close(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None

    def _line(self, text: str, kind: str, **kw: Any) -> None:
        height = _LINE[kind]
        if self.fig is None or self.y - height < _MARGIN:
            self.new_page(self.section)
        style = {
            "h2": {"fontsize": 15, "fontweight": "bold"},
            "h3": {"fontsize": 11, "fontweight": "bold"},
            "text": {"fontsize": 8.6},
            "mono": {"fontsize": 7.0, "family": "DejaVu Sans Mono"},
        }[kind]
        self.fig.text(_MARGIN / _PAGE[0], self.y / _PAGE[1], text, va="top", **style, **kw)
        self.y -= height

    def space(self, inches: float) -> None:
        self.y -= inches

    def heading(self, text: str, level: int = 3) -> None:
        if self.fig is not None and self.y - 4 * _LINE["text"] < _MARGIN:
            self.new_page(self.section)
        self.space(0.08)
        self._line(text, "h2" if level == 2 else "h3")

    def paragraph(self, text: str, indent: str = "") -> None:
        width = _WIDTH_CHARS["text"] - len(indent)
        for i, line in enumerate(textwrap.wrap(text, width) or [""]):
            self._line((indent if i == 0 else " " * len(indent)) + line, "text")
        self.space(0.06)

    def table(self, table: Table) -> None:
        rows = [[cell_text(c) for c in row] for row in table.rows]
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(table.columns)]
        budget = _WIDTH_CHARS["mono"] - 2 * (len(widths) - 1)
        if sum(widths) > budget:
            # Numbers keep their width (headers wrap); text columns give way, widest first.
            for i in table.numeric:
                words = max(len(w) for w in table.columns[i].split())
                widths[i] = max([words] + [len(r[i]) for r in rows])
            flex = [i for i in range(len(widths)) if i not in table.numeric] or list(
                range(len(widths))
            )
            while sum(widths) > budget and any(widths[i] > 8 for i in flex):
                k = max(flex, key=lambda i: widths[i])
                widths[k] = max(8, widths[k] - max(1, (sum(widths) - budget) // 2))

        def emit(cells: Sequence[str], bold: bool = False) -> None:
            wrapped = [
                textwrap.wrap(c, w, break_long_words=True) or [""]
                for c, w in zip(cells, widths, strict=True)
            ]
            for k in range(max(len(w) for w in wrapped)):
                parts = []
                for i, (lines, w) in enumerate(zip(wrapped, widths, strict=True)):
                    text = lines[k] if k < len(lines) else ""
                    parts.append(text.rjust(w) if i in table.numeric else text.ljust(w))
                self._line("  ".join(parts).rstrip(), "mono", fontweight="bold" if bold else None)

        emit(table.columns, bold=True)
        self._line("  ".join("─" * w for w in widths), "mono", color="#888888")
        for row in rows:
            emit(row)
        if table.caption:
            self._line(table.caption, "mono", color="#666666")
        self.space(0.1)

    def code(self, text: str) -> None:
        for line in text.splitlines():
            for part in textwrap.wrap(line, _WIDTH_CHARS["mono"], subsequent_indent="    "):
                self._line(part, "mono")
        self.space(0.1)


def _figure_page(pdf: PdfPages, block: FigureBlock, number: int, header: str, page: int) -> None:
    """Save a figure as one PDF page: running header, figure title and caption above the plot.

    The page is the figure grown at the top; constrained layout keeps the plot (and legends at
    the figure's bottom edge) in the original area, so the figure is drawn once, as vectors.
    """
    fig = block.figure
    width, height = fig.get_size_inches()
    lines = textwrap.wrap(block.caption, max(60, int(width * 14)))
    top = 0.95 + 0.16 * len(lines) + 0.25
    total = height + top
    engine = fig.get_layout_engine()
    old_rect = engine.get().get("rect", (0, 0, 1, 1)) if engine is not None else None
    fig.set_size_inches(width, total)
    if engine is not None:
        engine.set(rect=(0.0, 0.0, 1.0, height / total))
    left = 0.4 / width

    def y(inches_from_top: float) -> float:
        return 1.0 - inches_from_top / total

    artists = [
        fig.text(left, y(0.3), header, fontsize=7, color="#666666", va="top"),
        fig.text(1 - left, y(0.3), str(page), fontsize=7, color="#666666", va="top", ha="right"),
        fig.text(
            left,
            y(0.55),
            f"Figure {number}. {block.title}",
            fontsize=11,
            fontweight="bold",
            va="top",
        ),
        fig.text(left, y(0.95), "\n".join(lines), fontsize=8.5, va="top", linespacing=1.35),
    ]
    try:
        pdf.savefig(fig)
    finally:
        for artist in artists:
            artist.remove()
        fig.set_size_inches(width, height)
        if engine is not None:
            engine.set(rect=old_rect)


def render_pdf(report: Report, path: Path | str) -> list[str]:
    """Write the report as a multi-page PDF: text pages for the summary, methods and tables, and
    one page per figure (vector graphics, with title and caption).

    Args:
        report: The report; its figures must still be open.
        path: The PDF file.

    Returns:
        The title of every page, in page order.

    """
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    pages: list[str] = []
    header = f"{report.title} — {report.subtitle}"
    metadata = {"Title": report.title, "Creator": f"softpower {__version__}", "CreationDate": None}
    with (
        matplotlib.rc_context({"pdf.fonttype": 42}),
        PdfPages(path, metadata=metadata) as pdf,
    ):
        text = _TextPages(pdf, header, pages)
        figure_no = 0
        for section in report.sections:
            figures_only = all(isinstance(b, FigureBlock) for b in section.blocks)
            if not figures_only or not section.blocks:
                text.new_page(section.title)
                if section.id == report.sections[0].id:
                    text.heading(report.title, 2)
                    text.paragraph(report.subtitle)
                text.heading(section.title, 2)
            finding = 0
            for block in section.blocks:
                if isinstance(block, FigureBlock):
                    text.close()
                    figure_no += 1
                    _figure_page(pdf, block, figure_no, header, len(pages) + 1)
                    pages.append(f"Figure {figure_no}. {block.title}")
                    continue
                if text.fig is None:
                    text.new_page(section.title)
                if isinstance(block, Heading):
                    text.heading(block.text)
                elif isinstance(block, Paragraph):
                    if block.kind == "finding":
                        finding += 1
                        text.paragraph(cell_text(block.parts), indent=f"{finding}. ")
                    elif block.kind == "subheading":
                        text.heading(cell_text(block.parts))
                    else:
                        text.paragraph(cell_text(block.parts))
                elif isinstance(block, Table):
                    text.table(block)
                elif isinstance(block, Code):
                    text.code(block.text)
        text.close()
    return pages
