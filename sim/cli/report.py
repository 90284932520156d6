"""The ``softpower report`` command: the HTML (and PDF) report of a batch result directory.

Thin: the report is written by `sim.report.report.write_report` (docs/report.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.options import writable_file

__all__ = ["report"]


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file; figures go to figures/ next to it (PNG and SVG).",
)
@click.option(
    "--pdf",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the report as a multi-page PDF.",
)
@click.option(
    "--baseline", default=None, help="Scenario to compare against (default: the experiment's)."
)
@click.option(
    "--focus",
    default=None,
    help="Comma-separated ISO3 codes of the focus nations (default: the recorded perception "
    "targets, e.g. USA,CHN).",
)
@click.option(
    "--condition",
    "conditions",
    multiple=True,
    help="The question of page one (repeatable), e.g. 'score[USA] > score[CHN]' (the default: "
    "the first focus nation ahead of the second); its share per scenario goes to answer.csv.",
)
@click.option(
    "--at",
    default=None,
    help="Quarter of the question: YYYY-Qn, or a year for its first quarter (default: the last).",
)
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter"]),
    default="a4",
    show_default=True,
    help="PDF page size.",
)
def report(
    directory: Path,
    out: Path,
    pdf: Path | None,
    baseline: str | None,
    focus: str | None,
    conditions: tuple[str, ...],
    at: str | None,
    paper: str,
) -> None:
    """Write a self-contained HTML report (and a PDF) of the batch result DIRECTORY, and
    answer.csv beside it (the share of each scenario's runs meeting each --condition).
    """
    from sim.report.report import write_report

    writable_file(out)
    if pdf is not None:
        writable_file(pdf, key="--pdf")
    codes = [c for c in (focus or "").split(",") if c.strip()] or None
    files = write_report(directory, out, pdf, baseline, codes, list(conditions) or None, at, paper)
    size = files.html.stat().st_size / 1e6
    click.echo(f"wrote {files.html} ({len(files.report.figures)} figures, {size:.1f} MB)")
    if files.pdf is not None:
        click.echo(f"wrote {files.pdf} ({len(files.pdf_pages)} pages)")
    click.echo(f"wrote {files.answers}")
    click.echo(f"figures (PNG, SVG) in {files.html.parent / 'figures'}")
