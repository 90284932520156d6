"""Rendering a report as one self-contained HTML file (figures inline, no external resource)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim.version import __version__

if TYPE_CHECKING:  # matplotlib is imported when figures are drawn, so bad input fails fast
    pass
from sim.report.document import (
    Block,
    Code,
    FigureBlock,
    Heading,
    Paragraph,
    Report,
    Table,
    cell_html,
)

__all__ = ["render_html"]


_CSS = """
:root { --ink: #1b1b1b; --muted: #555; --rule: #d0d0d0; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font-family: "Source Sans Pro", "Segoe UI", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 62rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
header.title { border-bottom: 3px solid var(--ink); margin-bottom: 1.5rem; }
header.title h1 { font-size: 2rem; margin: 0 0 .3rem; }
header.title p { color: var(--muted); margin: 0 0 1rem; }
nav ol { columns: 2; padding-left: 1.2rem; }
nav a { color: var(--accent); text-decoration: none; }
h2 { font-size: 1.45rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem;
  margin-top: 2.5rem; }
h3 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
p.subheading { font-weight: 600; margin: 1.4rem 0 .3rem; }
ol.findings li { margin-bottom: .6rem; }
p.answer-intro { font-weight: 600; font-size: 1.05rem; margin-bottom: .4rem; }
p.answer { margin: .3rem 0 .3rem 1rem; padding-left: .6rem; border-left: 3px solid var(--accent); }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1.2rem; font-size: .86rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .3rem .45rem; text-align: left;
  vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: .8rem; }
.num { font-variant-numeric: tabular-nums; }
figure { margin: 1.2rem 0 2rem; }
figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .88rem; color: #333; margin-top: .4rem; }
pre { background: #f6f6f6; border: 1px solid var(--rule); padding: .8rem; overflow-x: auto;
  font-size: .82rem; }
.note { color: var(--muted); font-size: .85rem; }
@media print {
  main { max-width: none; padding: 0; }
  nav { display: none; }
  section { break-before: page; }
  section#summary { break-before: avoid; }
  figure, table { break-inside: avoid; }
  a { color: inherit; }
}
"""


def _html_table(table: Table) -> str:
    def cls(i: int) -> str:
        return ' class="n"' if i in table.numeric else ""

    head = "".join(f"<th{cls(i)}>{html.escape(c)}</th>" for i, c in enumerate(table.columns))
    body = "\n".join(
        "<tr>" + "".join(f"<td{cls(i)}>{cell_html(c)}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    caption = f"<caption>{html.escape(table.caption)}</caption>" if table.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>"


def _html_blocks(blocks: Sequence[Block], figure_no: list[int]) -> str:
    out: list[str] = []
    findings: list[str] = []

    def flush() -> None:
        if findings:
            out.append('<ol class="findings">' + "".join(findings) + "</ol>")
            findings.clear()

    for block in blocks:
        if isinstance(block, Paragraph) and block.kind == "finding":
            findings.append(f"<li>{cell_html(block.parts)}</li>")
            continue
        flush()
        if isinstance(block, Heading):
            out.append(f"<h3>{html.escape(block.text)}</h3>")
        elif isinstance(block, Paragraph):
            css = f' class="{block.kind}"' if block.kind else ""
            out.append(f"<p{css}>{cell_html(block.parts)}</p>")
        elif isinstance(block, Table):
            out.append(_html_table(block))
        elif isinstance(block, Code):
            out.append(f"<pre><code>{html.escape(block.text)}</code></pre>")
        elif isinstance(block, FigureBlock):
            figure_no[0] += 1
            data = base64.b64encode(block.png).decode("ascii")
            out.append(
                f'<figure id="fig-{html.escape(block.slug)}">'
                f'<img src="data:image/png;base64,{data}" alt="{html.escape(block.title)}">'
                f"<figcaption><strong>Figure {figure_no[0]}. {html.escape(block.title)}."
                f"</strong> {html.escape(block.caption)}</figcaption></figure>"
            )
    flush()
    return "\n".join(out)


def render_html(report: Report) -> str:
    """Return the report as one self-contained HTML document.

    Figures must have been rendered (``FigureBlock.png``); they are embedded as base64 PNG. The
    document references no external script, stylesheet, font or image.
    """
    toc = "".join(f'<li><a href="#{s.id}">{html.escape(s.title)}</a></li>' for s in report.sections)
    figure_no = [0]
    body = "\n".join(
        f'<section id="{s.id}">\n<h2>{html.escape(s.title)}</h2>\n'
        f"{_html_blocks(s.blocks, figure_no)}\n</section>"
        for s in report.sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="softpower {__version__}">\n'
        f"<title>{html.escape(report.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<main>\n<header class="title"><h1>{html.escape(report.title)}</h1>\n'
        f"<p>{html.escape(report.subtitle)}</p></header>\n"
        f'<nav aria-label="Contents"><strong>Contents</strong><ol>{toc}</ol></nav>\n'
        f"{body}\n</main>\n</body>\n</html>\n"
    )
