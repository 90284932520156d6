"""The report of a batch: document, findings, figures, HTML and PDF (docs/report.md)."""

from sim.report.report import (
    Report,
    build_report,
    load_batch,
    render_html,
    render_pdf,
    write_report,
)

__all__ = ["Report", "build_report", "load_batch", "render_html", "render_pdf", "write_report"]
