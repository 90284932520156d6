"""Reports for think tanks: one self-contained HTML file, and a PDF, from a batch result directory.

`write_report` reads the summary tables of a batch (running `sim.summary.summarize` first when they
are missing, stale or taken against another baseline), draws the figures of `sim.figures` and
writes the HTML report (figures inline as PNG, no external resource of any kind), the figures as
PNG and SVG files in ``figures/`` next to it and, when asked, a multi-page PDF of the same content.

Every statistic in the executive summary is a `Number` that remembers the summary-table cell it
was read from; the HTML carries that cell in ``data-*`` attributes so anyone can check the text
against the tables.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import io
import json
import platform
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

from sim import __version__
from sim.errors import ExperimentError, SoftPowerError, suggest
from sim.params import REGISTRY
from sim.store import part_file, read_runs, read_table

if TYPE_CHECKING:  # matplotlib is imported when figures are drawn, so bad input fails fast
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

__all__ = [
    "SUMMARY_TABLES",
    "Batch",
    "Code",
    "FigureBlock",
    "Heading",
    "Number",
    "Paragraph",
    "Report",
    "ReportFiles",
    "Section",
    "Table",
    "build_report",
    "load_batch",
    "render_html",
    "render_pdf",
    "write_report",
]

#: Summary tables the report reads (``DIR/summary/<name>.parquet``).
SUMMARY_TABLES: tuple[str, ...] = ("scores", "ranks", "differences", "attraction", "membership")

#: Trade ties drawn on the map: one partner's share of the other's goods trade at least this.
TRADE_TIE_SHARE = 0.10

_SCORE_MEANING = (
    "The soft power score runs from 0 to 100: 100 · F^α · R^(1−α), with F a nation's "
    "familiarity abroad relative to the most familiar nation at the start and R its mean "
    "favourability among the other nations, rescaled to 0–1."
)

_NOT_A_BATCH = "a folder written by `softpower batch` (manifest.json, runs.parquet, soft_power/)"
_BATCH_HINT = "run `softpower batch EXPERIMENT.yaml --out DIR` first"


# ---------------------------------------------------------------------- the batch


@dataclass(frozen=True)
class Batch:
    """A batch result directory with its summary tables.

    Attributes:
        root: The directory.
        manifest: ``manifest.json``.
        runs: ``runs.parquet``.
        tables: Summary table name → frame (``sensitivity`` only for Sobol/Morris batches).
        scenarios: Scenario names, the baseline first, then in experiment order.
        baseline: The scenario differences are taken against.

    """

    root: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    scenarios: tuple[str, ...]
    baseline: str

    def title(self, scenario: str) -> str:
        """Return a scenario's title as loaded (its name when it has none)."""
        doc = self.manifest["scenarios"].get(scenario, {}).get("scenario", {})
        return str(doc.get("title") or scenario)

    @property
    def ok_runs(self) -> pd.DataFrame:
        """The runs that finished ok."""
        return self.runs[self.runs["status"] == "ok"]

    def last_step(self, scenario: str) -> int:
        """Return the last recorded step of a scenario."""
        scores = self.tables["scores"]
        return int(scores.loc[scores["scenario"] == scenario, "step"].max())

    def date(self, step: int) -> str:
        """Return the ``YYYY-Qn`` label of a step."""
        scores = self.tables["scores"]
        return str(scores.loc[scores["step"] == step, "date"].iloc[0])

    def read(
        self, table: str, columns: list[str], filter: ds.Expression | None = None
    ) -> pd.DataFrame:
        """Read a per-run table over the ok runs (``scenario`` as str)."""
        ok = self.ok_runs
        # A directory from an older version may lack a table: read the runs that have it.
        present = [
            part_file(self.root, table, scenario, part).exists()
            for scenario, part in zip(ok["scenario"], ok["part"], strict=True)
        ]
        frame = read_table(self.root, table, columns=columns, runs=ok[present], filter=filter)
        return frame.astype({"scenario": str}) if "scenario" in frame else frame


def _not_a_batch(root: Path, message: str) -> ExperimentError:
    return ExperimentError(message, file=str(root), expected=_NOT_A_BATCH, suggestion=_BATCH_HINT)


def _read_manifest(root: Path) -> dict[str, Any]:
    if not root.exists():
        raise _not_a_batch(root, "no such directory")
    if not root.is_dir():
        raise _not_a_batch(root, "not a directory")
    path = root / "manifest.json"
    if not path.is_file():
        raise _not_a_batch(root, "not a batch result (no manifest.json)")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ExperimentError(
            f"unreadable manifest ({exc})".replace("\n", " "),
            file=str(path),
            expected="the JSON manifest written by `softpower batch`",
            suggestion="rerun the batch into a new directory",
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("scenarios"), dict):
        raise ExperimentError(
            "manifest without scenarios",
            file=str(path),
            key="scenarios",
            expected="the manifest written by `softpower batch`",
            suggestion="rerun the batch into a new directory",
        )
    if not (root / "runs.parquet").is_file():
        raise _not_a_batch(root, "not a batch result (no runs.parquet)")
    return manifest


def _summary_is_current(root: Path, baseline: str, scenarios: Sequence[str]) -> bool:
    folder = root / "summary"
    paths = [folder / f"{name}.parquet" for name in SUMMARY_TABLES]
    if not all(p.is_file() for p in paths):
        return False
    if min(p.stat().st_mtime for p in paths) < (root / "runs.parquet").stat().st_mtime:
        return False
    diffs = pd.read_parquet(folder / "differences.parquet", columns=["baseline"])
    if diffs.empty:
        return len(scenarios) < 2
    return set(diffs["baseline"]) == {baseline}


def load_batch(root: str | Path, baseline: str | None = None) -> Batch:
    """Open a batch result directory and its summary tables.

    The summary is (re)written by `sim.summary.summarize` when it is missing, older than
    ``runs.parquet`` or taken against another baseline, so the report always shows the tables
    that are on disk.

    Args:
        root: The directory written by ``softpower batch``.
        baseline: Scenario to compare against (default: the experiment's baseline).

    Returns:
        The `Batch`.

    Raises:
        ExperimentError: Not a batch result directory, no finished run, or an unknown baseline.

    """
    from sim.summary import choose_baseline, summarize

    root = Path(root)
    manifest = _read_manifest(root)
    names = list(manifest["scenarios"])
    if not names:
        raise ExperimentError(
            "manifest lists no scenario",
            file=str(root / "manifest.json"),
            key="scenarios",
            expected="at least one scenario",
        )
    chosen = choose_baseline(manifest, baseline)
    if not _summary_is_current(root, chosen, names):
        summarize(root, baseline=chosen)
    tables = {
        name: pd.read_parquet(root / "summary" / f"{name}.parquet") for name in SUMMARY_TABLES
    }
    sensitivity = root / "summary" / "sensitivity.parquet"
    if sensitivity.is_file():
        frame = pd.read_parquet(sensitivity)
        if not frame.empty:
            tables["sensitivity"] = frame
    for frame in tables.values():
        if "scenario" in frame:
            frame["scenario"] = frame["scenario"].astype(str)
    present = set(tables["scores"]["scenario"])
    runs = read_runs(root)
    # runs.parquet lists runs in experiment order (the manifest's keys are sorted).
    in_order = list(dict.fromkeys([*runs["scenario"], *names]))
    order = [chosen, *(n for n in in_order if n != chosen)]
    return Batch(
        root=root,
        manifest=manifest,
        runs=runs,
        tables=tables,
        scenarios=tuple(n for n in order if n in present),
        baseline=chosen,
    )


# ---------------------------------------------------------------------- report content


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


def _cell_text(cell: Cell) -> str:
    parts = cell if isinstance(cell, tuple) else (cell,)
    return "".join(p.text if isinstance(p, Number) else str(p) for p in parts)


def _cell_html(cell: Cell) -> str:
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

    """

    title: str
    subtitle: str
    batch: Batch
    focus: tuple[str, ...]
    sections: list[Section]

    @property
    def figures(self) -> list[FigureBlock]:
        """All figures in order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, FigureBlock)]

    def section(self, id: str) -> Section | None:
        """Return the section with this id, if present."""
        return next((s for s in self.sections if s.id == id), None)


# ---------------------------------------------------------------------- lookups


def _row(frame: pd.DataFrame, **key: Any) -> pd.Series | None:
    mask = np.ones(len(frame), dtype=bool)
    for col, value in key.items():
        mask &= (frame[col] == value).to_numpy()
    hit = frame[mask]
    return None if hit.empty else hit.iloc[0]


def _num(
    batch: Batch,
    table: str,
    column: str,
    decimals: int = 2,
    signed: bool = False,
    **key: Any,
) -> Number | None:
    row = _row(batch.tables[table], **key)
    if row is None or not np.isfinite(row[column]):
        return None
    return Number(
        float(row[column]),
        table,
        column,
        tuple((k, str(v)) for k, v in key.items()),
        decimals,
        signed,
    )


def _interval(low: Number | None, high: Number | None) -> tuple[Inline, ...]:
    if low is None or high is None:
        return ("—",)
    return (low, " to ", high)


def _nation_names() -> dict[str, str]:
    return dict(zip(_world().iso3, _world().name, strict=True))


@functools.cache
def _world():
    """The bundled world (capitals, regions, ties, sources), loaded once per process."""
    from sim.world import World

    return World.load()


def _resolve_focus(batch: Batch, focus: Sequence[str] | None) -> tuple[str, ...]:
    nations = sorted(set(batch.tables["scores"]["iso3"]))
    if focus:
        out = []
        for code in focus:
            code = code.strip().upper()
            if code not in nations:
                raise SoftPowerError(
                    f"unknown nation {code!r}",
                    key="--focus",
                    expected="comma-separated ISO3 codes of nations in the batch, e.g. USA,CHN",
                    suggestion=suggest(code, nations),
                )
            if code not in out:
                out.append(code)
        return tuple(out)
    targets = batch.manifest.get("record", {}).get("perception_targets") or ["USA", "CHN"]
    chosen = [c for c in targets if c in nations][:2]
    if len(chosen) < 2:
        last = batch.tables["scores"]
        last = last[(last["scenario"] == batch.baseline) & (last["step"] == last["step"].max())]
        extra = last.sort_values("mean", ascending=False)["iso3"]
        chosen += [c for c in extra if c not in chosen][: 2 - len(chosen)]
    return tuple(chosen)


# ---------------------------------------------------------------------- executive summary


def _findings(batch: Batch, focus: tuple[str, ...]) -> list[Paragraph]:
    names = _nation_names()
    others = [s for s in batch.scenarios if s != batch.baseline]
    base, out = batch.baseline, []

    def who(code: str) -> str:
        return f"{names.get(code, code)} ({code})"

    # 1. The largest paired change of a focus nation's score.
    diffs = batch.tables["differences"]
    best = None
    for s in others:
        sub = diffs[(diffs["scenario"] == s) & diffs["iso3"].isin(focus)]
        if sub.empty:
            continue
        sub = sub[sub["step"] == sub["step"].max()]
        for _, r in sub.iterrows():
            if best is None or abs(r["mean_diff"]) > abs(best["mean_diff"]):
                best = r
    if best is not None:
        key = {"scenario": best["scenario"], "baseline": base, "step": int(best["step"])}
        key["iso3"] = best["iso3"]
        mean = _num(batch, "differences", "mean_diff", signed=True, **key)
        low = _num(batch, "differences", "ci_low", signed=True, **key)
        high = _num(batch, "differences", "ci_high", signed=True, **key)
        sure = (
            "an interval that excludes zero"
            if low is not None and (low.value > 0 or high.value < 0)
            else "an interval that includes zero, so the direction is not settled"
        )
        out.append(
            Paragraph(
                (
                    f"The largest effect on a focus nation: {_quoted(batch, best['scenario'])} "
                    f"changes the soft power score of {who(best['iso3'])} by ",
                    mean,
                    f" points against the baseline in {best['date']} (paired 90% CI ",
                    *_interval(low, high),
                    f"), {sure}.",
                ),
                "finding",
            )
        )
    else:
        out.append(
            Paragraph(
                (
                    "Only the baseline was run, so there is no scenario effect to report; "
                    "the findings below describe the baseline.",
                ),
                "finding",
            )
        )

    # 2. Where the focus nations end up in the baseline and in the scenario that moves the
    #    first two focus nations' standing most.
    a = focus[0]
    b = focus[1] if len(focus) > 1 else None
    last = batch.last_step(base)
    parts: list[Inline] = [f"In the baseline, in {batch.date(last)}, {who(a)} scores "]
    parts += _score_with_interval(batch, base, last, a)
    if b is not None:
        parts += [f" and {who(b)} "]
        parts += _score_with_interval(batch, base, last, b)
    scores = batch.tables["scores"]
    mover, gap_change = None, -1.0
    for s in others:
        step = min(batch.last_step(s), last)
        vals = {}
        for code in (a, b) if b else (a,):
            for scen in (s, base):
                r = _row(scores, scenario=scen, step=step, iso3=code)
                vals[(scen, code)] = float(r["mean"]) if r is not None else np.nan
        change = abs(vals[(s, a)] - vals[(base, a)])
        if b:
            change = abs((vals[(s, a)] - vals[(s, b)]) - (vals[(base, a)] - vals[(base, b)]))
        if np.isfinite(change) and change > gap_change:
            mover, gap_change = (s, step), change
    if mover is not None:
        s, step = mover
        parts += [f"; under {_quoted(batch, s)} {'they end' if b else 'it ends'} at "]
        parts += [_num(batch, "scores", "mean", scenario=s, step=step, iso3=a) or "—"]
        if b is not None:
            parts += [" and ", _num(batch, "scores", "mean", scenario=s, step=step, iso3=b) or "—"]
        parts += [" points respectively." if b else " points."]
        if len(others) > 1:
            parts[-1] = parts[-1][:-1] + (
                f", the largest shift of {'their gap' if b else 'its score'} among the scenarios."
            )
    else:
        parts += ["."]
    out.append(Paragraph(tuple(parts), "finding"))

    # 3. Initiative membership (BRI) when a scenario moves it by the end, else the largest move
    #    in the ranking (and membership again when nothing moves at all).
    membership = _membership_finding(batch, others)
    rank = _rank_finding(batch, others, who, focus)
    if membership is not None and (membership[1] >= 0.5 or rank[1] == 0):
        out.append(membership[0])
    else:
        out.append(rank[0])
    return out


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _quoted(batch: Batch, scenario: str) -> str:
    return f"“{batch.title(scenario)}”"


def _score_with_interval(batch: Batch, scenario: str, step: int, code: str) -> list[Inline]:
    key = {"scenario": scenario, "step": step, "iso3": code}
    mean = _num(batch, "scores", "mean", **key)
    low = _num(batch, "scores", "q05", **key)
    high = _num(batch, "scores", "q95", **key)
    return [mean or "—", " (90% interval ", *_interval(low, high), ")"]


def _membership_finding(batch: Batch, others: list[str]) -> tuple[Paragraph, float] | None:
    """The membership sentence and the size of the change it reports (members)."""
    members = batch.tables["membership"]
    if members.empty:
        return None
    initiative = "BRI" if "BRI" in set(members["initiative"]) else sorted(members["initiative"])[0]
    base = batch.baseline
    last = batch.last_step(base)

    def num(column: str, scenario: str, step: int) -> Number | None:
        return _num(
            batch,
            "membership",
            column,
            decimals=1,
            scenario=scenario,
            step=step,
            initiative=initiative,
        )

    best, gap = None, -1.0
    for s in others:
        step = min(batch.last_step(s), last)
        here, there = num("mean", s, step), num("mean", base, step)
        if here is not None and there is not None and abs(here.value - there.value) > gap:
            best, gap = (s, step), abs(here.value - there.value)
    if best is None:
        first = int(members.loc[members["scenario"] == base, "step"].min())
        start, end = num("mean", base, first), num("mean", base, last)
        if start is None or end is None:
            return None
        parts: tuple[Inline, ...] = (
            f"{initiative} membership goes from ",
            start,
            f" nations in {batch.date(first)} to ",
            end,
            " (90% interval ",
            *_interval(num("q05", base, last), num("q95", base, last)),
            f") in {batch.date(last)} in the baseline.",
        )
        return Paragraph(parts, "finding"), abs(end.value - start.value)
    s, step = best
    if gap < 0.05:
        parts = (
            f"By {batch.date(step)}, {initiative} membership is the same in every scenario: ",
            num("mean", base, step),
            " nations (90% interval ",
            *_interval(num("q05", base, step), num("q95", base, step)),
            ") in the baseline; the scenarios differ in how fast it gets there (see the "
            "alignment and membership figure).",
        )
        return Paragraph(parts, "finding"), gap
    parts = (
        f"{initiative} membership ends at ",
        num("mean", s, step),
        " nations (90% interval ",
        *_interval(num("q05", s, step), num("q95", s, step)),
        f") under {_quoted(batch, s)} in {batch.date(step)}, against ",
        num("mean", base, step),
        " (",
        *_interval(num("q05", base, step), num("q95", base, step)),
        ") in the baseline" + ("; no other scenario moves it further." if len(others) > 1 else "."),
    )
    return Paragraph(parts, "finding"), gap


def _rank_finding(
    batch: Batch, others: list[str], who, focus: Sequence[str]
) -> tuple[Paragraph, float]:
    """The sentence on the largest move in mean rank and the size of that move (ranks); ties go
    to a focus nation, then to the nation ranked higher.
    """
    ranks = batch.tables["ranks"]
    base = batch.baseline
    last = batch.last_step(base)
    best = None
    pairs = [(s, min(batch.last_step(s), last), base) for s in others]
    if not pairs:
        first = int(ranks["step"].min())
        pairs = [(base, last, None)]
    for s, step, ref in pairs:
        a = ranks[(ranks["scenario"] == s) & (ranks["step"] == step)].set_index("iso3")["mean"]
        if ref is None:
            b = ranks[(ranks["scenario"] == s) & (ranks["step"] == first)]
        else:
            b = ranks[(ranks["scenario"] == ref) & (ranks["step"] == step)]
        delta = (a - b.set_index("iso3")["mean"]).abs().dropna()
        for code, d in delta.items():
            key = (round(float(d), 9), code in focus, -float(a[code]))
            if best is None or key > best[0]:
                best = (key, (s, step, ref, code))
    gap = best[0][0]
    s, step, ref, code = best[1]
    now = _num(batch, "ranks", "mean", 1, scenario=s, step=step, iso3=code)
    if gap == 0:
        where = "over the horizon" if ref is None else "in every scenario"
        parts: tuple[Inline, ...] = (
            f"No nation's mean rank moves {where} by {batch.date(step)}; "
            f"{who(code)} holds mean rank ",
            now,
            ".",
        )
    elif ref is None:
        then = _num(batch, "ranks", "mean", 1, scenario=s, step=first, iso3=code)
        parts = (
            f"The largest move in the baseline ranking is {who(code)}: mean rank ",
            then,
            f" in {batch.date(first)}, ",
            now,
            f" in {batch.date(step)}.",
        )
    else:
        then = _num(batch, "ranks", "mean", 1, scenario=ref, step=step, iso3=code)
        parts = (
            f"The largest move in the ranking is {who(code)}: mean rank ",
            now,
            f" under {_quoted(batch, s)} against ",
            then,
            f" in the baseline in {batch.date(step)}.",
        )
    return Paragraph(parts, "finding"), gap


def _summary_table(batch: Batch, focus: tuple[str, ...]) -> Table:
    """The focus nations' final-quarter score, rank and change per scenario (a Quarter column
    only when the scenarios end in different quarters).
    """
    rows = []
    base_last = batch.last_step(batch.baseline)
    for s in batch.scenarios:
        step = batch.last_step(s)
        diff_step = min(step, base_last)
        for code in focus:
            key = {"scenario": s, "step": step, "iso3": code}
            score = _score_with_interval(batch, s, step, code)
            rank = [_num(batch, "ranks", c, 1, **key) or "—" for c in ("q50", "q05", "q95")]
            if s == batch.baseline:
                change: tuple[Cell, Cell] = ("(baseline)", "")
            else:
                dkey = {"scenario": s, "baseline": batch.baseline, "step": diff_step}
                dkey["iso3"] = code
                mean = _num(batch, "differences", "mean_diff", signed=True, **dkey)
                low = _num(batch, "differences", "ci_low", signed=True, **dkey)
                high = _num(batch, "differences", "ci_high", signed=True, **dkey)
                change = (mean or "—", _interval(low, high))
            rows.append(
                (
                    batch.title(s),
                    code,
                    batch.date(step),
                    score[0],
                    tuple(score[2:5]),
                    rank[0],
                    (rank[1], " to ", rank[2]),
                    *change,
                )
            )
    columns = (
        "Scenario",
        "Nation",
        "Quarter",
        "Score (mean)",
        "90% interval",
        "Rank (median)",
        "90% interval",
        "Δ score vs baseline",
        "90% CI",
    )
    if len({row[2] for row in rows}) == 1:
        columns = columns[:2] + columns[3:]
        rows = [row[:2] + row[3:] for row in rows]
    first = len(columns) - 6
    return Table(columns, tuple(rows), numeric=tuple(range(first, len(columns))))


def _executive_summary(batch: Batch, focus: tuple[str, ...]) -> Section:
    m = batch.manifest
    ok, failed = len(batch.ok_runs), int((batch.runs["status"] != "ok").sum())
    points = int(m.get("design", {}).get("points", 1))
    base_last = batch.last_step(batch.baseline)
    intro = (
        f"{_plural(len(batch.scenarios), 'scenario')} × {_plural(points, 'design point')} × "
        f"{_plural(int(m.get('replications', 0)), 'replication')}: {ok} runs finished"
        + (f", {failed} failed and left out" if failed else "")
        + f"; {base_last} quarters from {batch.date(0)} to {batch.date(base_last)}. "
        f"{_SCORE_MEANING} Intervals are the 5th–95th percentiles over runs ("
        + ("replications and design points" if points > 1 else "replications")
        + "); the change against the baseline "
        f"({_quoted(batch, batch.baseline)}) is paired by seed (same design point and replication) "
        "with a 90% bootstrap confidence interval of the mean change."
    )
    blocks: list[Block] = [Paragraph((intro,)), Heading("Key findings")]
    blocks += _findings(batch, focus)
    ends = {batch.date(batch.last_step(s)) for s in batch.scenarios}
    heading = "Focus nations in the final quarter" + (f" ({ends.pop()})" if len(ends) == 1 else "")
    blocks += [Heading(heading), _summary_table(batch, focus)]
    return Section("summary", "Executive summary", blocks)


# ---------------------------------------------------------------------- figures


def _alignment(batch: Batch, poles: tuple[str, str]) -> pd.DataFrame:
    """Share of nations (other than the poles) whose attraction to A exceeds that to B, per run
    and step, summarised over runs.
    """
    frame = batch.read(
        "perception",
        ["scenario", "design_point", "replication", "step", "date", "observer", "target", "value"],
        filter=ds.field("target").isin(list(poles)),
    )
    frame = frame[~frame["observer"].isin(poles)]
    if frame.empty:
        return pd.DataFrame(columns=["scenario", "step", "date", "mean", "q05", "q95"])
    keys = ["scenario", "design_point", "replication", "step", "date", "observer"]
    wide = frame.pivot_table(index=keys, columns="target", values="value", observed=True)
    wide["lean_a"] = (wide[poles[0]] > wide[poles[1]]).astype(float)
    share = wide.groupby(level=keys[:-1], observed=True)["lean_a"].mean().reset_index()
    grouped = share.groupby(["scenario", "step", "date"], observed=True)["lean_a"]
    out = grouped.mean().rename("mean").to_frame()
    out["q05"] = grouped.quantile(0.05)
    out["q95"] = grouped.quantile(0.95)
    return out.reset_index()


def _perception_change(
    batch: Batch, scenario: str, targets: Sequence[str]
) -> tuple[pd.DataFrame, str]:
    """Audience perception change by region: scenario − baseline paired by seed at the common
    last step (or, for the baseline alone, last step − first step).
    """
    world = _world()
    region = dict(zip(world.iso3, world.region, strict=True))
    base = batch.baseline
    if scenario == base:
        steps = (int(batch.tables["scores"]["step"].min()), batch.last_step(base))
    else:
        step = min(batch.last_step(scenario), batch.last_step(base))
        steps = (step, step)
    frame = batch.read(
        "audience",
        ["scenario", "design_point", "replication", "step", "observer", "audience", "target"]
        + ["value"],
        filter=ds.field("scenario").isin(list({scenario, base}))
        & ds.field("step").isin(list(set(steps)))
        & ds.field("target").isin(list(targets)),
    )
    frame = frame[frame["observer"] != frame["target"]]
    keys = ["design_point", "replication", "observer", "audience", "target"]
    if scenario == base:
        new = frame[frame["step"] == steps[1]].set_index(keys)["value"]
        old = frame[frame["step"] == steps[0]].set_index(keys)["value"]
        label = f"{batch.date(steps[0])} to {batch.date(steps[1])}"
    else:
        new = frame[frame["scenario"] == scenario].set_index(keys)["value"]
        old = frame[frame["scenario"] == base].set_index(keys)["value"]
        label = batch.date(steps[1])
    diff = (new - old).dropna().rename("value").reset_index()
    per_nation = diff.groupby(["observer", "audience", "target"], sort=False)["value"].mean()
    per_nation = per_nation.reset_index()
    per_nation["region"] = per_nation["observer"].map(region).fillna("(unknown)")
    change = per_nation.groupby(["region", "target", "audience"], sort=False)["value"].mean()
    return change.reset_index(), label


def _figure_sections(batch: Batch, focus: tuple[str, ...]) -> list[Section]:
    from sim import figures

    scores, ranks = batch.tables["scores"], batch.tables["ranks"]
    titles = {s: batch.title(s) for s in batch.scenarios}
    others = [s for s in batch.scenarios if s != batch.baseline]
    base = batch.baseline
    runs_per = batch.ok_runs.groupby("scenario").size()
    counts = [int(runs_per.get(s, 0)) for s in batch.scenarios]
    n_text = (
        f"{counts[0]} per scenario"
        if len(set(counts)) == 1
        else ", ".join(f"{titles[s]}: {n}" for s, n in zip(batch.scenarios, counts, strict=True))
    )
    sections = []

    trajectories = Section("trajectories", "Score trajectories")
    trajectories.blocks.append(
        FigureBlock(
            "focus-scores",
            f"Soft power score of {', '.join(focus)} by scenario",
            f"Soft power score of {', '.join(focus)} per quarter under each scenario. Lines: mean "
            f"over runs ({n_text}); bands: "
            f"5th–95th percentile over runs. {_SCORE_MEANING}",
            figures.focus_trajectories(scores, focus, batch.scenarios, titles),
        )
    )
    trajectories.blocks.append(
        FigureBlock(
            "top10-scores",
            "Score trajectories of the ten leading nations",
            "The ten nations with the highest mean score in the final quarter of each scenario. "
            "Lines: mean over runs; bands: 5th–95th percentile; focus nations drawn thicker. "
            "Each line is labelled at its end.",
            figures.top_trajectories(scores, batch.scenarios, titles, focus),
        )
    )
    sections.append(trajectories)

    bump = Section("ranks", "Rankings")
    for s in batch.scenarios:
        bump.blocks.append(
            FigureBlock(
                f"ranks-{s}",
                f"Rank of the top 15 nations: {titles[s]}",
                f"Mean rank over runs (1 = highest score) of the 15 nations ranked highest in the "
                f"final quarter of {titles[s]}, from {batch.date(0)} to "
                f"{batch.date(batch.last_step(s))}. Focus nations ({', '.join(focus)}) in "
                "colour, the others in grey.",
                figures.rank_bump(ranks[ranks["scenario"] == s], titles[s], focus),
            )
        )
    sections.append(bump)

    attraction = batch.tables["attraction"]
    targets = set(attraction["target"])
    world = _world()
    poles = (focus[0], focus[1]) if len(focus) > 1 else None
    if poles is not None and not set(poles) <= targets:
        poles = None
    lean = Section("lean", f"Lean between {focus[0]} and {focus[1]}" if poles else "Lean")
    if poles is None:
        lean.blocks.append(
            Paragraph(
                (
                    "No lean map: it needs two focus nations whose attraction was recorded "
                    f"(recorded targets: {', '.join(sorted(targets)) or 'none'}; set "
                    "record.perception_targets in the experiment or --focus).",
                )
            )
        )
    else:
        lean.blocks += _lean_figures(batch, poles, others, titles, world)
    sections.append(lean)

    perception = Section("perception", "Perception by region and audience")
    audience_targets = [c for c in focus if c in targets]
    if not audience_targets:
        perception.blocks.append(
            Paragraph(("No focus nation has recorded perceptions, so no heatmap.",))
        )
    for s in others or [base]:
        change, label = _perception_change(batch, s, audience_targets)
        if change.empty:
            continue
        against = "against the baseline, paired by seed" if s != base else "in the baseline"
        perception.blocks.append(
            FigureBlock(
                f"perception-{s}",
                f"Perception change of {', '.join(audience_targets)}: {titles[s]}",
                f"Change in how each audience segment (youth, public, elite) sees "
                f"{', '.join(audience_targets)}, {label}, {against}; mean over runs and over the "
                "nations of each UN region (the target's own public left out). Perception runs "
                "from −1 (hostile) to 1 (favourable); purple: better, orange: worse.",
                figures.perception_heatmap(
                    change, f"{titles[s]}: change in perception ({label})", audience_targets
                ),
            )
        )
    sections.append(perception)

    alignment = _alignment(batch, poles) if poles else pd.DataFrame()
    membership = batch.tables["membership"]
    inits = ", ".join(sorted(set(membership["initiative"]))) or "none recorded"
    align_text = (
        f"Left: share of nations (other than {poles[0]} and {poles[1]}) whose attraction to "
        f"{poles[0]} exceeds their attraction to {poles[1]}, computed per run; "
        if poles
        else ""
    )
    sections.append(
        Section(
            "alignment",
            "Alignment and initiative membership",
            [
                FigureBlock(
                    "alignment-membership",
                    "Alignment and initiative membership over time",
                    f"{align_text}initiative membership ({inits}): number of member nations. "
                    "Lines: mean over runs; bands: 5th–95th percentile over runs.",
                    figures.alignment_and_membership(
                        alignment, membership, batch.scenarios, titles, poles
                    ),
                )
            ],
        )
    )

    if "sensitivity" in batch.tables:
        sections.append(_sensitivity_section(batch))
    return sections


def _lean_figures(
    batch: Batch, poles: tuple[str, str], others: list[str], titles: Mapping[str, str], world
) -> list[Block]:
    from sim import figures

    attraction = batch.tables["attraction"]
    base = batch.baseline
    trade = np.maximum(world.trade, world.trade.T)
    edges = {
        "trade": list(zip(*np.nonzero(np.triu(trade >= TRADE_TIE_SHARE, 1)), strict=True)),
        "alliance": list(zip(*np.nonzero(np.triu(world.alliance > 0, 1)), strict=True)),
    }
    scores = batch.tables["scores"]
    base_last = batch.last_step(base)
    last_scores = scores[(scores["scenario"] == base) & (scores["step"] == base_last)]
    size = {r.iso3: 6.0 + 1.1 * float(r.mean) for r in last_scores.itertuples()}

    def lean(scenario: str, step: int) -> dict[str, float]:
        sub = attraction[(attraction["scenario"] == scenario) & (attraction["step"] == step)]
        wide = sub.pivot_table(index="observer", columns="target", values="mean", observed=True)
        return (wide[poles[0]] - wide[poles[1]]).dropna().to_dict()

    blocks: list[Block] = []
    for s in others or [base]:
        step = min(batch.last_step(s), base_last)
        leans = {f"Baseline: {titles[base]} · {batch.date(step)}": lean(base, step)}
        if s != base:
            leans[f"Scenario: {titles[s]} · {batch.date(step)}"] = lean(s, step)
        blocks.append(
            FigureBlock(
                f"lean-{s}",
                f"Lean between {poles[0]} and {poles[1]}: "
                + (f"baseline vs {titles[s]}" if s != base else "baseline"),
                f"Nations at their capitals (longitude/latitude, equirectangular). Colour: lean = "
                f"mean attraction to {poles[0]} − mean attraction to {poles[1]} over runs in "
                f"{batch.date(step)} (purple: leans to {poles[0]}, orange: to {poles[1]}); "
                "marker area grows with the baseline score. Grey lines: trade ties where one "
                f"partner has at least {TRADE_TIE_SHARE:.0%} of the other's goods trade; dashed "
                "blue: alliances. "
                + (
                    "Top: baseline; middle: the scenario (same colour scale); bottom: the change "
                    "in lean, scenario minus baseline, on its own scale."
                    if s != base
                    else ""
                ),
                figures.lean_network(
                    list(world.iso3), world.lat, world.lon, edges, leans, poles, size
                ),
            )
        )
    return blocks


def _sensitivity_section(batch: Batch) -> Section:
    from sim import figures

    table = batch.tables["sensitivity"]
    section = Section("sensitivity", "Sensitivity analysis")
    method = str(table["method"].iloc[0])
    design = batch.manifest.get("design", {})
    section.blocks.append(
        Paragraph(
            (
                f"{method.capitalize()} design over {', '.join(design.get('parameters', {}))} "
                f"({design.get('points', '?')} design points); outputs averaged over "
                "replications per design point. "
                + (
                    "S1: share of the output's variance due to the parameter alone; ST: including "
                    "its interactions. Whiskers: 95% bootstrap intervals."
                    if method == "sobol"
                    else "μ*: mean absolute elementary effect (importance); σ: spread of the "
                    "effects (interactions or non-linearity). Whiskers: 95% bootstrap intervals."
                ),
            )
        )
    )
    groups = table.groupby(["scenario", "method"], sort=False) if "scenario" in table else None
    items = list(groups) if groups is not None else [(("all", method), table)]
    for (scenario, meth), rows in items:
        title = batch.title(scenario) if scenario != "all" else "all runs"
        section.blocks.append(
            FigureBlock(
                f"sensitivity-{scenario}",
                f"Sensitivity ({meth}): {title}",
                f"{meth.capitalize()} sensitivity indices of each output for {title}, per "
                "parameter, with 95% confidence intervals.",
                figures.sensitivity_bars(rows, meth, f"{meth.capitalize()} indices: {title}"),
            )
        )
        cols = (
            ("S1", "S1_conf", "ST", "ST_conf")
            if meth == "sobol"
            else ("mu_star", "mu_star_conf", "sigma")
        )
        section.blocks.append(
            Table(
                ("Output", "Parameter", *cols),
                tuple(
                    (r["output"], r["parameter"], *(f"{r[c]:.3f}" for c in cols))
                    for _, r in rows.iterrows()
                ),
                numeric=tuple(range(2, 2 + len(cols))),
            )
        )
    return section


# ---------------------------------------------------------------------- methods appendix


def _event_settings(event: Mapping[str, Any]) -> str:
    skip = {"at", "kind", "actor", "note", "step"}
    return "; ".join(
        f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in event.items()
        if k not in skip and v not in (None, [], {})
    )


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _data_fingerprint() -> tuple[str, int]:
    from sim.world import DATA_DIR

    digest = hashlib.sha256()
    files = sorted(p for p in DATA_DIR.rglob("*.csv"))
    for path in files:
        digest.update(str(path.relative_to(DATA_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest(), len(files)


def _short_sources(sources: Iterable[str]) -> str:
    heads: dict[str, int] = {}
    for text in sources:
        head = text.split(" (", 1)[0].strip()
        heads[head] = heads.get(head, 0) + 1
    return "; ".join(f"{h} ({n} entries)" if n > 1 else h for h, n in heads.items())


def _methods(batch: Batch, commands: str) -> Section:
    m = batch.manifest
    design = m.get("design", {})
    record = m.get("record", {})
    blocks: list[Block] = [Heading("Experiment")]
    varied = ", ".join(
        f"{k} {'in' if design.get('method') == 'grid' else 'from'} "
        + (
            "{" + ", ".join(f"{v:g}" for v in vals) + "}"
            if design.get("method") == "grid"
            else f"{min(vals):g} to {max(vals):g}"
        )
        for k, vals in design.get("parameters", {}).items()
    )
    failed = batch.runs[batch.runs["status"] != "ok"]
    rows = [
        ("Name", m.get("name", "")),
        ("Title", m.get("title", "") or "—"),
        ("Experiment file", m.get("experiment_file", "")),
        ("Experiment sha256", m.get("experiment_sha256", "")),
        ("Root seed", str(m.get("seed", ""))),
        ("Replications", str(m.get("replications", ""))),
        ("Design", f"{design.get('method', 'grid')}, {design.get('points', 1)} point(s)"),
        ("Parameters varied", varied or "none"),
        ("Horizon override", f"{m['steps']} quarters" if m.get("steps") else "none"),
        (
            "Recorded",
            f"attraction every {record.get('every', 1)} quarter(s); targets "
            + ", ".join(record.get("perception_targets", [])),
        ),
        ("Runs", f"{len(batch.ok_runs)} ok, {len(failed)} failed"),
        ("Executor", f"{m.get('executor', '?')}, {m.get('workers', '?')} worker(s)"),
        ("Created / updated", f"{m.get('created', '?')} / {m.get('updated', '?')}"),
        ("Baseline of the differences", batch.baseline),
    ]
    blocks.append(Table(("Field", "Value"), tuple(rows)))

    blocks.append(Heading("Scenarios as loaded"))
    for name, entry in m["scenarios"].items():
        doc = entry.get("scenario", {})
        events = doc.get("events", [])
        blocks.append(Paragraph((f"{doc.get('title', name)} ({name})",), "subheading"))
        if doc.get("description"):
            blocks.append(Paragraph((str(doc["description"]),)))
        facts = [
            ("File", str(entry.get("path", ""))),
            ("Scenario sha256", str(entry.get("hash", ""))),
            ("Start, steps", f"{doc.get('start', '?')}, {doc.get('steps', '?')} quarters"),
            (
                "Parameter overrides",
                ", ".join(f"{k} = {v}" for k, v in (doc.get("parameters") or {}).items()) or "none",
            ),
            ("Sources", "; ".join(map(str, doc.get("sources", []))) or "—"),
        ]
        blocks.append(Table(("Field", "Value"), tuple(facts)))
        if events:
            blocks.append(
                Table(
                    ("At", "Kind", "Actor", "Settings", "Note"),
                    tuple(
                        (
                            str(e.get("at", "")),
                            str(e.get("kind", "")),
                            str(e.get("actor", "")),
                            _event_settings(e),
                            str(e.get("note", "")),
                        )
                        for e in events
                    ),
                    caption=f"Events of {name}",
                )
            )
        else:
            blocks.append(Paragraph(("No scheduled events.",)))

    blocks.append(Heading("Parameters"))
    blocks.append(
        Paragraph(
            (
                "Every model parameter with its default (registry sim.params), valid range and "
                "unit; scenario overrides and design ranges are listed where they apply.",
            )
        )
    )
    used: dict[str, list[str]] = {}
    for name, entry in m["scenarios"].items():
        for k, v in (entry.get("scenario", {}).get("parameters") or {}).items():
            used.setdefault(k, []).append(f"{name}: {v}")
    for k, vals in design.get("parameters", {}).items():
        used.setdefault(k, []).append(f"design {min(vals):g}–{max(vals):g}")
    blocks.append(
        Table(
            ("Parameter", "Default", "Range", "Unit", "Meaning", "In this batch"),
            tuple(
                (p.name, f"{p.default:g}", f"{p.low:g}–{p.high:g}", p.unit, p.meaning)
                + ("; ".join(used.get(p.name, [])) or "default",)
                for p in REGISTRY.values()
            ),
            numeric=(1,),
        )
    )

    blocks.append(Heading("Seeds"))
    blocks.append(
        Paragraph(
            (
                f"Seeds are numpy SeedSequence({m.get('seed', '?')}).spawn(replications); "
                "replication r uses the same seed in every scenario and design point (common "
                "random numbers), so scenario differences are paired. Each seed is written into "
                "every output row as 'root:index'.",
            )
        )
    )
    seeds = batch.runs[["replication", "seed"]].drop_duplicates().sort_values("replication")
    shown = seeds.head(60)
    blocks.append(
        Table(
            ("Replication", "Seed"),
            tuple((str(r.replication), str(r.seed)) for r in shown.itertuples()),
            caption=(f"first 60 of {len(seeds)}" if len(seeds) > 60 else ""),
            numeric=(0,),
        )
    )
    if not failed.empty:
        blocks.append(Heading("Failed runs"))
        blocks.append(
            Table(
                ("Run", "Error"),
                tuple((str(r.run_id), str(r.error)) for r in failed.itertuples()),
            )
        )

    blocks.append(Heading("Software and data versions"))
    fingerprint, n_files = _data_fingerprint()
    world = _world()
    versions = [
        ("softpower (batch)", str(m.get("package_version", "?"))),
        ("softpower (report)", __version__),
        ("Python", platform.python_version()),
        *(
            (name, _package_version(name))
            for name in ("numpy", "mesa", "pandas", "pyarrow", "scipy", "SALib", "matplotlib")
        ),
        ("Bundled data (sim/data)", f"{n_files} CSV files, sha256 {fingerprint}"),
        ("World", f"{world.n} nations; {len(world.flags)} imputed values (documented rules)"),
    ]
    blocks.append(Table(("Component", "Version"), tuple(versions)))

    blocks.append(Heading("Data sources"))
    blocks.append(
        Paragraph(
            (
                "Sources of the bundled world data by indicator (World.load().sources; details "
                "and imputation rules in sim/data/README.md). URLs are given as text.",
            )
        )
    )
    blocks.append(
        Table(
            ("Indicator", "Sources"),
            tuple((k, _short_sources(v)) for k, v in sorted(world.sources.items())),
        )
    )

    blocks.append(Heading("Reproducibility"))
    blocks.append(
        Paragraph(
            (
                "The same experiment file, seed and package version give bit-identical runs "
                "whatever the executor or number of workers. From a checkout of softpower "
                f"{m.get('package_version', __version__)}:",
            )
        )
    )
    blocks.append(Code(commands))
    return Section("methods", "Methods appendix", blocks)


def _commands(batch: Batch, out: Path, pdf: Path | None, focus: tuple[str, ...]) -> str:
    m = batch.manifest
    report = f"softpower report {batch.root} --out {out}"
    if pdf is not None:
        report += f" --pdf {pdf}"
    report += f" --baseline {batch.baseline} --focus {','.join(focus)}"
    return "\n".join(
        [
            "make venv                      # Python 3.12 venv with the locked dependencies",
            f".venv/bin/softpower batch {m.get('experiment_file', 'EXPERIMENT.yaml')} "
            f"--out {batch.root}",
            f".venv/bin/softpower summarize {batch.root} --baseline {batch.baseline}",
            f".venv/bin/{report}",
            f"# {batch.root}/experiment.yaml is a copy of the experiment file "
            f"(sha256 {m.get('experiment_sha256', '?')[:16]}…)",
        ]
    )


def build_report(
    batch: Batch,
    focus: Sequence[str] | None = None,
    out: Path | str = "report.html",
    pdf: Path | str | None = None,
) -> Report:
    """Build the report's content: sections, numbers with their table cells, and figures.

    Args:
        batch: The batch (see `load_batch`).
        focus: Focus nations (default: the recorded perception targets, else USA and CHN).
        out: Where the HTML will be written (for the reproducibility commands).
        pdf: Where the PDF will be written, if any.

    Returns:
        The `Report`.

    Raises:
        SoftPowerError: A focus nation that is not in the batch.

    """
    import matplotlib

    from sim import figures

    chosen = _resolve_focus(batch, focus)
    m = batch.manifest
    with matplotlib.rc_context(figures.STYLE):
        sections = [_executive_summary(batch, chosen)]
        sections += _figure_sections(batch, chosen)
    commands = _commands(batch, Path(out), Path(pdf) if pdf else None, chosen)
    sections.append(_methods(batch, commands))
    title = m.get("title") or f"Soft power scenarios: {m.get('name', batch.root.name)}"
    subtitle = (
        f"Experiment {m.get('name', '?')} · {len(batch.scenarios)} scenarios · "
        f"{len(batch.ok_runs)} runs · batch of {m.get('created', '?')} · softpower "
        f"{m.get('package_version', __version__)}"
    )
    return Report(title, subtitle, batch, chosen, sections)


# ---------------------------------------------------------------------- HTML

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
        "<tr>" + "".join(f"<td{cls(i)}>{_cell_html(c)}</td>" for i, c in enumerate(row)) + "</tr>"
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
            findings.append(f"<li>{_cell_html(block.parts)}</li>")
            continue
        flush()
        if isinstance(block, Heading):
            out.append(f"<h3>{html.escape(block.text)}</h3>")
        elif isinstance(block, Paragraph):
            css = f' class="{block.kind}"' if block.kind else ""
            out.append(f"<p{css}>{_cell_html(block.parts)}</p>")
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


# ---------------------------------------------------------------------- PDF

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
        rows = [[_cell_text(c) for c in row] for row in table.rows]
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
                        text.paragraph(_cell_text(block.parts), indent=f"{finding}. ")
                    elif block.kind == "subheading":
                        text.heading(_cell_text(block.parts))
                    else:
                        text.paragraph(_cell_text(block.parts))
                elif isinstance(block, Table):
                    text.table(block)
                elif isinstance(block, Code):
                    text.code(block.text)
        text.close()
    return pages


# ---------------------------------------------------------------------- files


@dataclass(frozen=True)
class ReportFiles:
    """What `write_report` wrote.

    Attributes:
        html: The HTML report.
        pdf: The PDF report, if asked for.
        figures: PNG and SVG files of every figure.
        pdf_pages: Title of every PDF page.
        report: The report content (figures closed).

    """

    html: Path
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
) -> ReportFiles:
    """Write the report of a batch result directory.

    Args:
        root: The batch directory (``softpower batch ... --out DIR``).
        out: The HTML file; figures go to ``figures/`` in its folder (PNG and SVG).
        pdf: The PDF file, or None for no PDF.
        baseline: Scenario to compare against (default: the experiment's baseline).
        focus: Focus nations (default: the recorded perception targets, else USA and CHN).

    Returns:
        The files written.

    Raises:
        SoftPowerError: Not a batch directory, unknown baseline or focus nation, or an output
            that cannot be written.

    Example:
        >>> write_report("out/demo", "out/report.html", pdf="out/report.pdf")  # doctest: +SKIP

    """
    import matplotlib

    from sim import figures

    batch = load_batch(root, baseline)
    out = _writable(Path(out), "report")
    pdf = _writable(Path(pdf), "PDF") if pdf is not None else None
    report = build_report(batch, focus, out, pdf)
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
            pages = render_pdf(report, pdf) if pdf is not None else []
    finally:
        for block in report.figures:
            block.figure.clear()
    return ReportFiles(out, pdf, written, pages, report)
