"""The findings of a report: the executive summary and its numbers, read from the summary tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.errors import SoftPowerError, suggest
from sim.params import REGISTRY

if TYPE_CHECKING:  # matplotlib is imported when figures are drawn, so bad input fails fast
    pass
from sim.report.answer import Answer, answer_paragraphs
from sim.report.batch import Batch
from sim.report.document import Block, Cell, Heading, Inline, Number, Paragraph, Section, Table
from sim.report.uncertainty import interval_caption, interval_kind, interval_phrase

__all__ = ["MIN_SCORE_CHANGE", "SCORE_MEANING", "TOP_RANKS", "executive_summary", "resolve_focus"]


#: Trade ties drawn on the map: one partner's share of the other's goods trade at least this.
TRADE_TIE_SHARE = 0.10

#: Smallest change of a score (points) that makes a key finding.
MIN_SCORE_CHANGE = 0.5

#: A move in the ranking makes a key finding only for a nation ranked this high (before or
#: after) and when it is a full rank or more.
TOP_RANKS = 30


def _score_meaning() -> str:
    weights = [
        name
        for name, part in (
            ("familiarity", "score_weight_familiarity"),
            ("reputation", "score_weight_reputation"),
            ("influence", "score_weight_influence"),
        )
        if REGISTRY[part].default > 0
    ]
    return (
        "The soft power score (0–100) reads on the scale of the Global Soft Power Index: a "
        "weighted sum of familiarity, reputation and influence, with weights fitted to the index "
        f"of 2024 (by default only {' and '.join(weights)} weigh; docs/validation.md). "
        "All three are read among the publics that surveys polled, each weighted by its "
        "population. Familiarity is a nation's share of their attention as a slow stock and "
        "influence its diplomatic presence among them, each 0–100 against the best nation at the "
        "start; reputation is the share of their adults with a favourable view of it."
    )


#: What the score is, for captions and the summary (docs/ODD.md §7.6).
SCORE_MEANING = _score_meaning()


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
    """``low to high``; an interval narrower than the last decimal shown (two or more) is said
    to be so ("width < 0.01") rather than printed as ``+0.14 to +0.14``.
    """
    if low is None or high is None:
        return ("—",)
    step = 10.0**-low.decimals
    if low.decimals >= 2 and high.value - low.value < step:
        return (f"width < {step:g}",)
    return (low, " to ", high)


def _change(batch: Batch, **key: Any) -> tuple[Number | None, Number | None, Number | None]:
    """A paired change and its CI, to the decimals the CI supports: two when it is narrower
    than a point, one below ten points, none beyond.
    """
    row = _row(batch.tables["differences"], **key)
    width = float(row["ci_high"] - row["ci_low"]) if row is not None else 0.0
    decimals = 2 if not width >= 1 else 1 if width < 10 else 0
    return tuple(  # type: ignore[return-value]
        _num(batch, "differences", c, decimals, signed=True, **key)
        for c in ("mean_diff", "ci_low", "ci_high")
    )


def _nation_names(batch: Batch) -> dict[str, str]:
    world = batch.world
    return dict(zip(world.iso3, world.name, strict=True))


def resolve_focus(batch: Batch, focus: Sequence[str] | None) -> tuple[str, ...]:
    """The focus nations: those asked for (checked against the batch), else the recorded
    perception targets, topped up with the leading nations of the baseline to make two.
    """
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


def _findings(batch: Batch, focus: tuple[str, ...]) -> list[Paragraph]:
    names = _nation_names(batch)
    others = [s for s in batch.scenarios if s != batch.baseline]
    base, out = batch.baseline, []

    def who(code: str) -> str:
        return f"{names.get(code, code)} ({code})"

    # 1. The largest paired change of a focus nation's score that matters (at least
    #    MIN_SCORE_CHANGE points) and is clear of its uncertainty (its CI excludes zero).
    diffs = batch.tables["differences"]
    best = largest = None
    for s in others:
        sub = diffs[(diffs["scenario"] == s) & diffs["iso3"].isin(focus)]
        if sub.empty:
            continue
        sub = sub[sub["step"] == sub["step"].max()]
        for _, r in sub.iterrows():
            if largest is None or abs(r["mean_diff"]) > abs(largest["mean_diff"]):
                largest = r
            clear = r["ci_low"] > 0 or r["ci_high"] < 0
            big = abs(r["mean_diff"]) >= MIN_SCORE_CHANGE
            if clear and big and (best is None or abs(r["mean_diff"]) > abs(best["mean_diff"])):
                best = r
    shown = best if best is not None else largest
    if shown is not None:
        key = {"scenario": shown["scenario"], "baseline": base, "step": int(shown["step"])}
        key["iso3"] = shown["iso3"]
        mean, low, high = _change(batch, **key)
        if best is not None:
            effect: tuple[Inline, ...] = (
                f"The largest effect on a focus nation: {_quoted(batch, best['scenario'])} "
                f"changes the soft power score of {who(best['iso3'])} by ",
                mean or "—",
                f" points against the baseline in {best['date']} (paired 90% CI ",
                *_interval(low, high),
                "), an interval that excludes zero.",
            )
            out.append(Paragraph(effect, "finding"))
        else:
            effect = (
                f"No scenario changes a focus nation's score by {MIN_SCORE_CHANGE:g} points or "
                "more with a 90% CI that excludes zero; the largest change is ",
                mean or "—",
                f" points ({who(shown['iso3'])} under {_quoted(batch, shown['scenario'])}, "
                "paired 90% CI ",
                *_interval(low, high),
                ").",
            )
            out.append(Paragraph(effect))
    else:
        out.append(
            Paragraph(
                (
                    "Only the baseline was run, so there is no scenario effect to report; "
                    "the findings below describe the baseline.",
                ),
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
        if np.isfinite(change) and change > gap_change and change >= MIN_SCORE_CHANGE:
            mover, gap_change = (s, step), change
    if mover is not None:
        s, step = mover
        parts += [f"; under {_quoted(batch, s)} {'they end' if b else 'it ends'} at "]
        parts += [_num(batch, "scores", "mean", scenario=s, step=step, iso3=a) or "—"]
        if b is not None:
            parts += [" and ", _num(batch, "scores", "mean", scenario=s, step=step, iso3=b) or "—"]
        parts += [" points respectively." if b else " points."]
        if len(others) > 1:
            parts[-1] = str(parts[-1])[:-1] + (
                f", the largest shift of {'their gap' if b else 'its score'} among the scenarios."
            )
    else:
        parts += ["."]
    out.append(Paragraph(tuple(parts), "finding"))

    # 3. Initiative membership (BRI) when a scenario moves it by the end, else the largest move
    #    in the ranking (and membership again when nothing moves at all).
    membership = _membership_finding(batch, others)
    rank = _rank_finding(batch, others, who, focus)
    if membership is not None and membership[1] >= 0.5:
        out.append(membership[0])
    elif rank is not None:
        out.append(rank[0])
    return out


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _quoted(batch: Batch, scenario: str) -> str:
    return f"“{batch.title(scenario)}”"


def _score_with_interval(batch: Batch, scenario: str, step: int, code: str) -> list[Inline]:
    key: dict[str, Any] = {"scenario": scenario, "step": step, "iso3": code}
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
    here, there = num("mean", s, step), num("mean", base, step)
    assert here is not None and there is not None  # best was chosen among present values
    if gap < 0.05:
        parts = (
            f"By {batch.date(step)}, {initiative} membership is the same in every scenario: ",
            there,
            " nations (90% interval ",
            *_interval(num("q05", base, step), num("q95", base, step)),
            ") in the baseline; the scenarios differ in how fast it gets there (see the "
            "alignment and membership figure).",
        )
        return Paragraph(parts, "finding"), gap
    parts = (
        f"{initiative} membership ends at ",
        here,
        " nations (90% interval ",
        *_interval(num("q05", s, step), num("q95", s, step)),
        f") under {_quoted(batch, s)} in {batch.date(step)}, against ",
        there,
        " (",
        *_interval(num("q05", base, step), num("q95", base, step)),
        ") in the baseline" + ("; no other scenario moves it further." if len(others) > 1 else "."),
    )
    return Paragraph(parts, "finding"), gap


def _rank_finding(
    batch: Batch, others: list[str], who, focus: Sequence[str]
) -> tuple[Paragraph, float] | None:
    """The sentence on the largest move in mean rank and the size of that move (ranks); ties go
    to a focus nation, then to the nation ranked higher. Only moves of a full rank or more by a
    nation among the `TOP_RANKS` (before or after) count; None when there is none.
    """
    ranks = batch.tables["ranks"]
    base = batch.baseline
    last = batch.last_step(base)
    best = None
    pairs: list[tuple[str, int, str | None]]
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
        before = b.set_index("iso3")["mean"]
        delta = (a - before).abs().dropna()
        top = (a.reindex(delta.index) <= TOP_RANKS) | (before.reindex(delta.index) <= TOP_RANKS)
        delta = delta[top & (delta >= 1)]
        for code, d in delta.items():
            key = (round(float(d), 9), code in focus, -float(a[code]))
            if best is None or key > best[0]:
                best = (key, (s, step, ref, code))
    if best is None:
        return None
    gap = best[0][0]
    s, step, ref, code = best[1]
    now = _num(batch, "ranks", "mean", 1, scenario=s, step=step, iso3=code)
    parts: tuple[Inline, ...]
    if ref is None:
        then = _num(batch, "ranks", "mean", 1, scenario=s, step=first, iso3=code)
        assert now is not None and then is not None  # the move was measured between them
        parts = (
            f"The largest move in the baseline ranking is {who(code)}: mean rank ",
            then,
            f" in {batch.date(first)}, ",
            now,
            f" in {batch.date(step)}.",
        )
    else:
        then = _num(batch, "ranks", "mean", 1, scenario=ref, step=step, iso3=code)
        assert now is not None and then is not None  # the move was measured between them
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
    rows: list[tuple[Cell, ...]] = []
    base_last = batch.last_step(batch.baseline)
    for s in batch.scenarios:
        step = batch.last_step(s)
        diff_step = min(step, base_last)
        for code in focus:
            key: dict[str, Any] = {"scenario": s, "step": step, "iso3": code}
            mean_score = _num(batch, "scores", "mean", **key) or "—"
            spread = _interval(
                _num(batch, "scores", "q05", **key), _num(batch, "scores", "q95", **key)
            )
            rank = [_num(batch, "ranks", c, 1, **key) or "—" for c in ("q50", "q05", "q95")]
            if s == batch.baseline:
                change: tuple[Cell, Cell] = ("(baseline)", "")
            else:
                dkey = {"scenario": s, "baseline": batch.baseline, "step": diff_step}
                dkey["iso3"] = code
                mean, low, high = _change(batch, **dkey)
                change = (mean or "—", _interval(low, high))
            rows.append(
                (
                    batch.title(s),
                    code,
                    batch.date(step),
                    mean_score,
                    spread,
                    rank[0],
                    (rank[1], " to ", rank[2]),
                    *change,
                )
            )
    columns: tuple[str, ...] = (
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
    return Table(
        columns,
        tuple(rows),
        caption=interval_caption(batch.manifest)[:-1]
        + "; the CI of the change is a bootstrap over the same runs' paired differences.",
        numeric=tuple(range(first, len(columns))),
    )


def executive_summary(
    batch: Batch, focus: tuple[str, ...], answers: Sequence[Answer] = ()
) -> Section:
    """The executive summary: the answer to the question (when asked), the findings and the
    summary table of the focus nations.
    """
    m = batch.manifest
    ok, failed = len(batch.ok_runs), int((batch.runs["status"] != "ok").sum())
    points = int(m.get("design", {}).get("points", 1))
    base_last = batch.last_step(batch.baseline)
    intro = (
        f"{_plural(len(batch.scenarios), 'scenario')} × {_plural(points, 'design point')} × "
        f"{_plural(int(m.get('replications', 0)), 'replication')}: {ok} runs finished"
        + (f", {failed} failed and left out" if failed else "")
        + f"; {base_last} quarters from {batch.date(0)} to {batch.date(base_last)}. "
        f"{SCORE_MEANING} Intervals are the 5th–95th percentiles over runs, that is over "
        f"{interval_phrase(m)}: they hold the uncertainty of {interval_kind(m)}"
        + (" (the parameters are taken as known)" if interval_kind(m) == "seeds only" else "")
        + "; the change against the baseline "
        f"({_quoted(batch, batch.baseline)}) is paired by seed (same design point and replication) "
        "with a 90% bootstrap confidence interval of the mean change."
    )
    blocks: list[Block] = [*answer_paragraphs(batch, answers), Paragraph((intro,))]
    blocks.append(Heading("Key findings"))
    blocks += _findings(batch, focus)
    ends = {batch.date(batch.last_step(s)) for s in batch.scenarios}
    heading = "Focus nations in the final quarter" + (f" ({ends.pop()})" if len(ends) == 1 else "")
    blocks += [Heading(heading), _summary_table(batch, focus)]
    return Section("summary", "Executive summary", blocks)
