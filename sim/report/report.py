"""Reports for think tanks: one self-contained HTML file, and a PDF, from a batch result directory.

`write_report` reads the summary tables of a batch (running `sim.analysis.summary.summarize`
first when they are missing, stale or taken against another baseline), builds the document
(`build_report`: findings, figure sections, methods), and writes the HTML report, the figures
as PNG and SVG next to it, and optionally a PDF.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import SoftPowerError
from sim.version import __version__

if TYPE_CHECKING:  # matplotlib is imported when figures are drawn, so bad input fails fast
    pass
from sim.report.analysis_sections import analysis_sections
from sim.report.answer import answer_questions, write_answers
from sim.report.batch import Batch, load_batch
from sim.report.document import Report
from sim.report.findings import executive_summary, resolve_focus
from sim.report.hindcast import hindcast_section
from sim.report.html import render_html
from sim.report.methods import methods_section, rerun_commands
from sim.report.pdf import PAPERS, render_pdf
from sim.report.polls_section import polls_section
from sim.report.sections import figure_sections
from sim.report.spread_section import spread_section

__all__ = ["ReportFiles", "build_report", "write_report"]


def build_report(
    batch: Batch,
    focus: Sequence[str] | None = None,
    out: Path | str = "report.html",
    pdf: Path | str | None = None,
    conditions: Sequence[str] | None = None,
    at: str | None = None,
) -> Report:
    """Build the report's content: sections, numbers with their table cells, and figures.

    Args:
        batch: The batch (see `load_batch`).
        focus: Focus nations (default: the recorded perception targets, else USA and CHN).
        out: Where the HTML will be written (for the reproducibility commands).
        pdf: Where the PDF will be written, if any.
        conditions: The questions of page one (default: the first focus nation ahead of the
            second, `sim.report.answer.default_question`).
        at: Their quarter, ``YYYY-Qn`` or a year (default: the last).

    Returns:
        The `Report`.

    Raises:
        SoftPowerError: A focus nation that is not in the batch, a bad condition or date.

    """
    import matplotlib

    from sim.report import figures

    chosen = resolve_focus(batch, focus)
    answers = answer_questions(batch, conditions, chosen, at)
    m = batch.manifest
    with matplotlib.rc_context(figures.STYLE):
        sections = [executive_summary(batch, chosen, answers)]
        sections += figure_sections(batch, chosen)
        sections += analysis_sections(batch, chosen, answers)
        sections += [s for s in (spread_section(batch, chosen),) if s is not None]
        sections += [
            s for s in (polls_section(batch, chosen), hindcast_section(batch)) if s is not None
        ]
    question = "".join(f" --condition '{c}'" for c in dict.fromkeys(a.condition for a in answers))
    question += f" --at {answers[0].at}" if answers and at is not None else ""
    commands = rerun_commands(batch, Path(out), Path(pdf) if pdf else None, chosen, question)
    sections.append(methods_section(batch, commands))
    title = m.get("title") or f"Soft power scenarios: {m.get('name', batch.root.name)}"
    subtitle = (
        f"Experiment {m.get('name', '?')} · {len(batch.scenarios)} scenarios · "
        f"{len(batch.ok_runs)} runs · batch of {m.get('created', '?')} · softpower "
        f"{m.get('package_version', __version__)}"
    )
    return Report(title, subtitle, batch, chosen, sections, answers)


@dataclass(frozen=True)
class ReportFiles:
    """What `write_report` wrote.

    Attributes:
        html: The HTML report.
        answers: ``answer.csv`` beside it: the share of runs meeting each condition.
        pdf: The PDF report, if asked for.
        figures: PNG and SVG files of every figure.
        pdf_pages: Title of every PDF page.
        report: The report content (figures closed).

    """

    html: Path
    answers: Path
    pdf: Path | None
    figures: list[Path]
    pdf_pages: list[str]
    report: Report


def _writable(path: Path, what: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SoftPowerError(
            f"cannot create the folder of the {what} ({exc.strerror})",
            file=str(path),
            expected="a path in a writable folder",
            suggestion=f"choose another {'--pdf' if what == 'PDF' else '--out'}",
        ) from None
    return path


def write_report(
    root: str | Path,
    out: str | Path,
    pdf: str | Path | None = None,
    baseline: str | None = None,
    focus: Sequence[str] | None = None,
    conditions: Sequence[str] | None = None,
    at: str | None = None,
    paper: str = "a4",
) -> ReportFiles:
    """Write the report of a batch result directory.

    Args:
        root: The batch directory (``softpower batch ... --out DIR``).
        out: The HTML file; figures go to ``figures/`` in its folder (PNG and SVG).
        pdf: The PDF file, or None for no PDF.
        baseline: Scenario to compare against (default: the experiment's baseline).
        focus: Focus nations (default: the recorded perception targets, else USA and CHN).
        conditions: The questions of page one (default: the first focus nation ahead of the
            second); their answers also go to ``answer.csv`` beside ``out``.
        at: Their quarter, ``YYYY-Qn`` or a year (default: the last).
        paper: The PDF's page size, ``a4`` or ``letter``.

    Returns:
        The files written.

    Raises:
        SoftPowerError: Not a batch directory, unknown baseline or focus nation, a bad
            condition or date, or an output that cannot be written.

    Example:
        >>> write_report("out/demo", "out/report.html", pdf="out/report.pdf")  # doctest: +SKIP

    """
    import matplotlib

    from sim.report import figures

    if paper not in PAPERS:
        raise SoftPowerError(
            f"unknown paper size {paper!r}", key="--paper", expected=" or ".join(PAPERS)
        )
    batch = load_batch(root, baseline)
    out = _writable(Path(out), "report")
    pdf = _writable(Path(pdf), "PDF") if pdf is not None else None
    report = build_report(batch, focus, out, pdf, conditions, at)
    folder = out.parent / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        with matplotlib.rc_context(figures.STYLE):
            for i, block in enumerate(report.figures, start=1):
                stem = folder / f"{i:02d}-{block.slug}"
                buffer = io.BytesIO()
                block.figure.savefig(buffer, format="png", metadata={"Software": None})
                block.png = buffer.getvalue()
                stem.with_suffix(".png").write_bytes(block.png)
                block.figure.savefig(stem.with_suffix(".svg"), metadata={"Date": None})
                written += [stem.with_suffix(".png"), stem.with_suffix(".svg")]
            out.write_text(render_html(report), encoding="utf-8")
            answers = write_answers(report.answers, out.parent / "answer.csv")
            pages = render_pdf(report, pdf, paper) if pdf is not None else []
    finally:
        for block in report.figures:
            block.figure.clear()
    return ReportFiles(out, answers, pdf, written, pages, report)
