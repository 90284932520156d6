"""Rendering a report as a multi-page PDF with matplotlib (text pages and figure pages).

Every page has one paper size (`PAPERS`: A4 by default, or US Letter); lines are wrapped by
measured font widths, tables too wide for the page are set in a smaller type, and figures are
scaled into the space under their title and caption, so no text runs off a page.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import SoftPowerError
from sim.version import __version__

if TYPE_CHECKING:  # matplotlib is imported when figures are drawn, so bad input fails fast
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
from sim.report.document import Code, FigureBlock, Heading, Paragraph, Report, Table, cell_text

__all__ = ["PAPERS", "render_pdf"]


#: Paper sizes (width, height in inches), portrait; every page of a PDF has the same one.
PAPERS: dict[str, tuple[float, float]] = {"a4": (8.27, 11.69), "letter": (8.5, 11.0)}


_MARGIN = 0.75


_SIZE = {"h2": 15.0, "h3": 11.0, "text": 8.6, "mono": 7.0, "small": 7.0, "caption": 8.5}


_LINE = {"h2": 0.36, "h3": 0.27, "text": 0.175, "mono": 0.15}


class _Measure:
    """Widths of text in inches, from the Agg renderer's font metrics (the PDF embeds the same
    fonts), so lines are wrapped to the page instead of to a guessed number of characters.
    """

    def __init__(self) -> None:
        from matplotlib.backends.backend_agg import RendererAgg

        self._renderer = RendererAgg(10, 10, 72)
        self._cache: dict[tuple[str, float, str, str], float] = {}

    def width(self, text: str, size: float, family: str = "sans-serif", weight: str = "normal"):
        """Width of one line of text in inches."""
        from matplotlib.font_manager import FontProperties

        key = (text, size, family, weight)
        if key not in self._cache:
            prop = FontProperties(family=family, size=size, weight=weight)
            w, _, _ = self._renderer.get_text_width_height_descent(text, prop, ismath=False)
            self._cache[key] = w / 72.0
        return self._cache[key]

    def wrap(self, text: str, width: float, size: float, **style: str) -> list[str]:
        """Greedy word wrap of ``text`` into lines no wider than ``width`` inches (a word
        longer than a line is cut).
        """
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split():
                trial = f"{line} {word}" if line else word
                if self.width(trial, size, **style) <= width:
                    line = trial
                    continue
                if line:
                    lines.append(line)
                while self.width(word, size, **style) > width and len(word) > 1:
                    cut = len(word) - 1
                    while cut > 1 and self.width(word[:cut], size, **style) > width:
                        cut -= 1
                    lines.append(word[:cut])
                    word = word[cut:]
                line = word
            lines.append(line)
        return lines

    def fit(self, text: str, width: float, size: float, **style: str) -> str:
        """``text`` cut with an ellipsis to fit on one line of ``width`` inches."""
        if self.width(text, size, **style) <= width:
            return text
        while text and self.width(text + "…", size, **style) > width:
            text = text[:-1]
        return text + "…"


def _page_furniture(fig: Figure, paper: tuple[float, float], header: str, footer: str, m):
    """The running header (top left) and the page number (bottom right), on lines of their
    own so they never meet; returns the artists.
    """
    width = paper[0] - 2 * _MARGIN
    grey: dict[str, Any] = {"fontsize": _SIZE["small"], "color": "#666666"}
    return [
        fig.text(
            _MARGIN / paper[0],
            1 - 0.45 / paper[1],
            m.fit(header, width, _SIZE["small"]),
            va="top",
            **grey,
        ),
        fig.text(
            1 - _MARGIN / paper[0],
            0.4 / paper[1],
            m.fit(footer, width, _SIZE["small"]),
            ha="right",
            va="bottom",
            **grey,
        ),
    ]


class _TextPages:
    """Lays out headings, paragraphs, tables and code on text pages of a `PdfPages`."""

    def __init__(
        self, pdf: PdfPages, header: str, pages: list[str], paper: tuple[float, float]
    ) -> None:
        self.pdf, self.header, self.pages, self.paper = pdf, header, pages, paper
        self.fig: Figure | None = None
        self.y = 0.0
        self.section = ""
        self.measure = _Measure()
        self.width = paper[0] - 2 * _MARGIN

    def new_page(self, section: str) -> None:
        """Start a page of ``section`` (titled "... (continued)" after its first page)."""
        from matplotlib.figure import Figure

        self.close()
        self.fig = Figure(figsize=self.paper)
        title = section if section != self.section else f"{section} (continued)"
        footer = f"{title} · {len(self.pages) + 1}"
        _page_furniture(self.fig, self.paper, self.header, footer, self.measure)
        self.pages.append(title)
        self.section = section
        self.y = self.paper[1] - _MARGIN

    def close(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None

    def _line(self, text: str, kind: str, size: float | None = None, **kw: Any) -> None:
        height = _LINE[kind] * (size / _SIZE[kind] if size else 1.0)
        if self.fig is None or self.y - height < _MARGIN:
            self.new_page(self.section)
        style: dict[str, Any] = {
            "h2": {"fontweight": "bold"},
            "h3": {"fontweight": "bold"},
            "text": {},
            "mono": {"family": "DejaVu Sans Mono"},
        }[kind]
        assert self.fig is not None
        self.fig.text(
            _MARGIN / self.paper[0],
            self.y / self.paper[1],
            text,
            va="top",
            fontsize=size or _SIZE[kind],
            **style,
            **kw,
        )
        self.y -= height

    def space(self, inches: float) -> None:
        self.y -= inches

    def heading(self, text: str, level: int = 3) -> None:
        if self.fig is not None and self.y - 4 * _LINE["text"] < _MARGIN:
            self.new_page(self.section)
        self.space(0.08)
        kind = "h2" if level == 2 else "h3"
        for line in self.measure.wrap(text, self.width, _SIZE[kind], weight="bold"):
            self._line(line, kind)

    def paragraph(self, text: str, indent: str = "", bold: bool = False) -> None:
        size = _SIZE["text"]
        weight = "bold" if bold else "normal"
        pad = self.measure.width(indent, size) if indent else 0.0
        lines = self.measure.wrap(text, self.width - pad, size, weight=weight) or [""]
        for i, line in enumerate(lines):
            shown = (indent + line) if i == 0 else line
            x = 0.0 if i == 0 or not indent else pad
            self._line_at(shown, x, weight)
        self.space(0.06)

    def _line_at(self, text: str, x: float, weight: str) -> None:
        height = _LINE["text"]
        if self.fig is None or self.y - height < _MARGIN:
            self.new_page(self.section)
        assert self.fig is not None
        self.fig.text(
            (_MARGIN + x) / self.paper[0],
            self.y / self.paper[1],
            text,
            va="top",
            fontsize=_SIZE["text"],
            fontweight=weight,
        )
        self.y -= height

    def table(self, table: Table) -> None:
        rows = [[cell_text(c) for c in row] for row in table.rows]
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(table.columns)]
        size = _SIZE["mono"]
        char = self.measure.width("M" * 10, size, family="DejaVu Sans Mono") / 10
        budget = int(self.width / char) - 2 * (len(widths) - 1)
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
        needed = sum(widths) + 2 * (len(widths) - 1)
        if needed > budget + 2 * (len(widths) - 1):
            size = max(4.0, size * (budget + 2 * (len(widths) - 1)) / needed)  # a smaller type

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
                weight = "bold" if bold else None
                self._line("  ".join(parts).rstrip(), "mono", size, fontweight=weight)

        emit(table.columns, bold=True)
        self._line("  ".join("─" * w for w in widths), "mono", size, color="#888888")
        for row in rows:
            emit(row)
        if table.caption:
            mono = {"family": "DejaVu Sans Mono"}
            for line in self.measure.wrap(table.caption, self.width, _SIZE["mono"], **mono):
                self._line(line, "mono", color="#666666")
        self.space(0.1)

    def code(self, text: str) -> None:
        mono = {"family": "DejaVu Sans Mono"}
        for line in text.splitlines():
            for part in self.measure.wrap(line, self.width, _SIZE["mono"], **mono):
                self._line(part, "mono")
        self.space(0.1)


def _figure_page(
    pdf: PdfPages,
    block: FigureBlock,
    number: int,
    header: str,
    page: int,
    paper: tuple[float, float],
    measure: _Measure,
) -> None:
    """Save a figure as one page of the paper size: running header, figure title and caption
    above the plot, the page number below it.

    The figure is set to the page's size and its constrained layout confined to the space left
    under the caption, at the figure's own aspect ratio (scaled down to fit, never up), so it is
    drawn once, as vectors, inside the page; a legend below the plots is set under that space
    in as many columns as fit its width.
    """
    fig = block.figure
    width, height = fig.get_size_inches()
    text_width = paper[0] - 2 * _MARGIN
    title = measure.wrap(f"Figure {number}. {block.title}", text_width, 11, weight="bold")
    caption = measure.wrap(block.caption, text_width, _SIZE["caption"])
    top = 0.75 + 0.2 * len(title) + 0.15 * len(caption) + 0.15  # inches used above the plot
    box_w, box_h = paper[0] - 2 * 0.5, paper[1] - top - 0.7
    scale = min(1.0, box_w / width, box_h / height)
    plot_w, plot_h = width * scale, height * scale
    left, bottom = (paper[0] - plot_w) / 2, paper[1] - top - plot_h
    engine = fig.get_layout_engine()
    old_rect = engine.get().get("rect", (0, 0, 1, 1)) if engine is not None else None
    fig.set_size_inches(*paper)
    legends, below = _legends_below(fig, paper, (left, bottom, plot_w))
    if engine is not None:
        rect = (left, bottom + below, plot_w, plot_h - below)
        # The constrained and tight engines take rect; their base class declares no keyword.
        engine.set(rect=tuple(v / paper[i % 2] for i, v in enumerate(rect)))  # type: ignore[call-arg]

    def y(inches_from_top: float) -> float:
        return 1.0 - inches_from_top / paper[1]

    x = _MARGIN / paper[0]
    artists = _page_furniture(fig, paper, header, f"Figure {number} · {page}", measure)
    artists += [
        fig.text(x, y(0.75), "\n".join(title), fontsize=11, fontweight="bold", va="top"),
        fig.text(
            x,
            y(0.75 + 0.2 * len(title) + 0.05),
            "\n".join(caption),
            fontsize=_SIZE["caption"],
            va="top",
            linespacing=1.3,
        ),
    ]
    try:
        pdf.savefig(fig)
    finally:
        for artist in artists:
            artist.remove()
        fig.set_size_inches(width, height)
        if engine is not None:
            engine.set(rect=old_rect)  # type: ignore[call-arg]  # as above
        for old, new in legends:
            new.remove()
            fig.legends.append(old)


def _legends_below(
    fig: Figure, paper: tuple[float, float], box: tuple[float, float, float]
) -> tuple[list[tuple[Any, Any]], float]:
    """Replace the figure's legends below its plots (``loc="outside lower ..."``, which sit at
    the figure's edge, here the page's) by legends at the bottom of ``box`` (left, bottom,
    width in inches), in the most columns that fit its width.

    Returns:
        ``[(old, new)]`` to restore after saving, and the height they take (inches).

    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    left, bottom, width = box
    renderer = FigureCanvasAgg(fig).get_renderer()
    swapped, used = [], 0.0
    for old in [g for g in fig.legends if getattr(g, "_outside_loc", None) == "lower"]:
        handles, labels = old.legend_handles, [t.get_text() for t in old.get_texts()]
        old.remove()
        # A legend's column count has no public getter; its handles are the artists it was
        # built from (the stubs allow None, for a handle with no legend artist).
        for ncols in range(max(1, old._ncols), 0, -1):  # type: ignore[attr-defined]
            new = fig.legend(handles, labels, loc="lower center", ncols=ncols, prop=old.prop)  # type: ignore[call-overload]
            extent = new.get_window_extent(renderer)
            if extent.width / fig.dpi <= width or ncols == 1:
                break
            new.remove()
        anchor = (left / paper[0], (bottom + used) / paper[1], width / paper[0], 0.01)
        new.set_bbox_to_anchor(anchor, transform=fig.transFigure)
        used += extent.height / fig.dpi + 0.05
        swapped.append((old, new))
    return swapped, used


class _Uncounted:
    """Stands in for `PdfPages` while a layout is only counted (the first pass of
    `render_pdf`): pages are laid out and numbered, nothing is written.
    """

    def savefig(self, fig: Any) -> None:
        """Drop the page."""


def render_pdf(report: Report, path: Path | str, paper: str = "a4") -> list[str]:
    """Write the report as a multi-page PDF, every page of one paper size: the executive
    summary, a contents page with the page each section starts on, text pages for the other
    sections, and one page per figure (vector graphics scaled to the page, with title and
    caption); a running header at the top and the page number at the bottom.

    The layout is counted once without drawing (the contents page holds placeholders of the
    same titles), then written with the page numbers it found.

    Args:
        report: The report; its figures must still be open.
        path: The PDF file.
        paper: ``a4`` or ``letter`` (`PAPERS`).

    Returns:
        The title of every page, in page order.

    Raises:
        SoftPowerError: An unknown paper size.

    """
    if paper not in PAPERS:
        raise SoftPowerError(
            f"unknown paper size {paper!r}", key="--paper", expected=" or ".join(PAPERS)
        )
    size = PAPERS[paper]
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    header = f"{report.title} — {report.subtitle}"
    metadata = {"Title": report.title, "Creator": f"softpower {__version__}", "CreationDate": None}
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        placeholder = {s.title: 0 for s in report.sections[1:]}
        _, starts = _lay_out(report, _Uncounted(), header, size, placeholder, draw=False)
        with PdfPages(path, metadata=metadata) as pdf:
            pages, _ = _lay_out(report, pdf, header, size, starts, draw=True)
    return pages


def _lay_out(
    report: Report,
    pdf: Any,
    header: str,
    size: tuple[float, float],
    contents: dict[str, int],
    *,
    draw: bool,
) -> tuple[list[str], dict[str, int]]:
    """Lay the report out on ``pdf``'s pages; return the page titles and the page each section
    after the first starts on. Without ``draw`` figure pages are counted, not drawn.
    """
    pages: list[str] = []
    starts: dict[str, int] = {}
    text = _TextPages(pdf, header, pages, size)
    figure_no = 0
    for number, section in enumerate(report.sections):
        if number == 1 and contents:
            _contents_page(text, contents)
        if number >= 1:
            starts.setdefault(section.title, len(pages) + 1)
        figures_only = all(isinstance(b, FigureBlock) for b in section.blocks)
        if not figures_only or not section.blocks:
            text.new_page(section.title)
            if number == 0:
                text.heading(report.title, 2)
                text.paragraph(report.subtitle)
            text.heading(section.title, 2)
        finding = 0
        for block in section.blocks:
            if isinstance(block, FigureBlock):
                text.close()
                figure_no += 1
                page = len(pages) + 1
                if draw:
                    _figure_page(pdf, block, figure_no, header, page, size, text.measure)
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
                elif block.kind == "answer-intro":
                    text.paragraph(cell_text(block.parts), bold=True)
                elif block.kind == "subheading":
                    text.heading(cell_text(block.parts))
                else:
                    text.paragraph(cell_text(block.parts))
            elif isinstance(block, Table):
                text.table(block)
            elif isinstance(block, Code):
                text.code(block.text)
    text.close()
    return pages, starts


def _contents_page(text: _TextPages, contents: dict[str, int]) -> None:
    """A page listing each section with the page it starts on."""
    text.new_page("Contents")
    text.heading("Contents", 2)
    for title, page in contents.items():
        text.paragraph(f"{title} · page {page}")
