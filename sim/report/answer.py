"""The question on page one: in what share of each scenario's runs a condition holds, and why.

A report asks one or more conditions of a batch (``softpower report DIR --condition COND``;
default: the first focus nation ahead of the second, e.g. ``score[USA] > score[CHN]``) at one
quarter (``--at``; default: the last). For each scenario and condition it counts the runs in
which the condition holds, gives the share with a 90 % Wilson score interval, and, when the
scenario's runs vary parameters (a design or a parameter ensemble) and the answer is mixed, runs
scenario discovery (`sim.analysis.discovery.discover`) on that scenario's runs alone to say what
decides it: the chosen PRIM box in words, with the share of runs inside it and outside it that
meet the condition. The same numbers go to ``answer.csv`` beside the HTML.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.errors import SoftPowerError, SoftPowerWarning, suggest
from sim.report.batch import Batch
from sim.report.document import Paragraph

if TYPE_CHECKING:
    from sim.analysis.discovery import Discovery

__all__ = [
    "ANSWER_COLUMNS",
    "Answer",
    "Driver",
    "answer_paragraphs",
    "answer_questions",
    "answer_table",
    "default_question",
    "describe_rule",
    "parameter_words",
    "percent",
    "resolve_at",
    "wilson_interval",
    "write_answers",
]

#: The columns of ``answer.csv``, in order.
ANSWER_COLUMNS: tuple[str, ...] = (
    "scenario",
    "condition",
    "share",
    "low",
    "high",
    "runs",
    "holds",
    "at",
    "step",
    "varies",
    "decided_by",
    "runs_in",
    "share_in",
    "runs_out",
    "share_out",
)

#: Confidence level of the interval of a share.
LEVEL = 0.90


def wilson_interval(holds: int, runs: int, level: float = LEVEL) -> tuple[float, float]:
    """The Wilson score interval of a binomial share.

    Args:
        holds: Runs in which the condition holds.
        runs: All runs.
        level: Confidence level (two-sided).

    Returns:
        ``(low, high)`` in [0, 1]; ``(0, 1)`` when there is no run.

    Example:
        >>> [round(x, 4) for x in wilson_interval(5, 10)]
        [0.2562, 0.7438]

    """
    if runs <= 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = holds / runs
    denominator = 1 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs))
    # At 0 and at every run the bounds are exactly 0 and 1; keep rounding from moving them.
    low = 0.0 if holds == 0 else max(0.0, centre - half)
    high = 1.0 if holds == runs else min(1.0, centre + half)
    return low, high


def percent(share: float) -> str:
    """A share as a whole percentage, never rounding a non-zero share to 0 or a share below one
    to 100.

    Example:
        >>> percent(0.514), percent(0.001), percent(0.999), percent(1.0)
        ('51 %', '< 1 %', '> 99 %', '100 %')

    """
    value = 100 * share
    if 0 < value < 0.5:
        return "< 1 %"
    if 99.5 <= value < 100:
        return "> 99 %"
    return f"{round(value):.0f} %"


def parameter_words(name: str) -> str:
    """A parameter name in words: ``event_persistence`` → ``event persistence``."""
    return name.replace("_", " ")


def _number(value: float) -> str:
    return f"{value:.3g}"


def describe_rule(restrictions: dict[str, tuple[float, float] | set[str]]) -> str:
    """A PRIM box in words, e.g. ``event persistence is at most 0.1``.

    Args:
        restrictions: ``Discovery.restrictions()`` of a box.

    Returns:
        The rule, parts joined by "and"; "all runs" when nothing is restricted.

    """
    parts = []
    for name, limits in restrictions.items():
        words = parameter_words(name)
        if isinstance(limits, set):
            values = sorted(limits)
            parts.append(
                f"{words} is {values[0]}"
                if len(values) == 1
                else f"{words} is one of {', '.join(values)}"
            )
            continue
        low, high = limits
        if np.isfinite(low) and np.isfinite(high):
            parts.append(f"{words} is between {_number(low)} and {_number(high)}")
        elif np.isfinite(high):
            parts.append(f"{words} is at most {_number(high)}")
        else:
            parts.append(f"{words} is at least {_number(low)}")
    return " and ".join(parts) if parts else "all runs"


def _complement(restrictions: dict[str, tuple[float, float] | set[str]]) -> str:
    """The runs outside a box in words (one one-sided numeric limit), else "otherwise"."""
    if len(restrictions) == 1:
        ((name, limits),) = restrictions.items()
        if not isinstance(limits, set):
            low, high = limits
            if np.isfinite(high) and not np.isfinite(low):
                return f"above {_number(high)}"
            if np.isfinite(low) and not np.isfinite(high):
                return f"below {_number(low)}"
    return "otherwise"


@dataclass(frozen=True)
class Driver:
    """What decides a mixed answer: the chosen PRIM box on one scenario's runs.

    Attributes:
        rule: The box in words.
        restrictions: The box's limits (`Discovery.restrictions`).
        runs_in: Runs inside the box.
        holds_in: Of them, runs in which the condition holds.
        runs_out: Runs outside the box.
        holds_out: Of them, runs in which the condition holds.
        dense: Whether the box reaches PRIM's density threshold.

    """

    rule: str
    restrictions: dict[str, tuple[float, float] | set[str]]
    runs_in: int
    holds_in: int
    runs_out: int
    holds_out: int
    dense: bool

    @property
    def share_in(self) -> float:
        """Share of the runs inside the box in which the condition holds."""
        return self.holds_in / self.runs_in if self.runs_in else math.nan

    @property
    def share_out(self) -> float:
        """Share of the runs outside the box in which the condition holds."""
        return self.holds_out / self.runs_out if self.runs_out else math.nan

    def sentence(self) -> str:
        """E.g. ``in 93 % when event persistence is at most 0.1 (45 runs), in none above it``."""
        inside = _share_words(self.holds_in, self.runs_in)
        outside = _share_words(self.holds_out, self.runs_out)
        other = _complement(self.restrictions)
        return (
            f"{inside} when {self.rule} ({_runs(self.runs_in)}), "
            f"{outside} {other} ({_runs(self.runs_out)})"
        )


def _runs(n: int) -> str:
    return f"{n} run{'' if n == 1 else 's'}"


def _share_words(holds: int, runs: int) -> str:
    if holds == 0:
        return "in none"
    if holds == runs:
        return "in all"
    return f"in {percent(holds / runs)}"


@dataclass(frozen=True)
class Answer:
    """The share of one scenario's runs in which one condition holds at one quarter.

    Attributes:
        scenario: Scenario name.
        condition: The condition as written.
        step: The step it is read at.
        at: The quarter of that step (``YYYY-Qn``).
        holds: Runs in which it holds.
        runs: Runs of the scenario (finished ok).
        varies: Parameters the scenario's runs vary (empty: seeds only).
        driver: What decides it, when the runs vary parameters and the answer is mixed.
        note: Why there is no driver, or a caveat on it.
        discovery: The discovery on the scenario's runs, if one was run.

    """

    scenario: str
    condition: str
    step: int
    at: str
    holds: int
    runs: int
    varies: tuple[str, ...]
    driver: Driver | None = None
    note: str = ""
    discovery: Discovery | None = field(default=None, repr=False, compare=False)

    @property
    def share(self) -> float:
        """Share of the runs in which the condition holds."""
        return self.holds / self.runs if self.runs else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        """The 90 % Wilson score interval of the share."""
        return wilson_interval(self.holds, self.runs)


_DATE = re.compile(r"^\s*(\d{4})(?:\s*-?\s*Q([1-4]))?\s*$", re.IGNORECASE)


def resolve_at(batch: Batch, at: str | None) -> int:
    """The step of ``--at``: a quarter ``YYYY-Qn`` or a year ``YYYY`` (its first quarter).

    Args:
        batch: The batch.
        at: The date, or None for the last quarter of the baseline.

    Returns:
        The step.

    Raises:
        SoftPowerError: A date that is not a quarter the batch recorded.

    """
    scores = batch.tables["scores"]
    dates = scores[["step", "date"]].drop_duplicates().sort_values("step")
    labels = [str(d) for d in dates["date"]]
    expected = f"a quarter YYYY-Qn (or a year) from {labels[0]} to {labels[-1]}"
    if at is None:
        return batch.last_step(batch.baseline)
    match = _DATE.match(str(at))
    if match is None:
        raise SoftPowerError(f"bad date {at!r}", key="--at", expected=expected)
    label = f"{match.group(1)}-Q{match.group(2) or 1}"
    if label not in labels:
        raise SoftPowerError(
            f"{label} is not in the batch",
            key="--at",
            expected=expected,
            suggestion=suggest(label, labels),
        )
    return int(dates["step"].iloc[labels.index(label)])


def default_question(focus: Sequence[str]) -> str:
    """The report's default question: is the first focus nation ahead of the second?

    Example:
        >>> default_question(("USA", "CHN"))
        'score[USA] > score[CHN]'

    """
    if len(focus) >= 2:
        return f"score[{focus[0]}] > score[{focus[1]}]"
    return f"rank[{focus[0]}] == 1"


def answer_questions(
    batch: Batch,
    conditions: Sequence[str] | None,
    focus: Sequence[str],
    at: str | None = None,
) -> list[Answer]:
    """Answer each condition for each scenario of a batch.

    Args:
        batch: The batch.
        conditions: Conditions in the language of `sim.analysis.condition` (default: the
            `default_question` of the focus nations).
        focus: The focus nations.
        at: The quarter (see `resolve_at`).

    Returns:
        One `Answer` per condition and scenario, conditions first, scenarios in report order.

    Raises:
        SoftPowerError: A condition that does not parse or reads an outcome the batch did not
            record (key ``--condition``), or a bad ``--at``.

    """
    from sim.analysis.condition import parse_condition
    from sim.analysis.outcomes import available_metrics, design_table, run_outcomes

    step = resolve_at(batch, at)
    nations = sorted(set(batch.tables["scores"]["iso3"].astype(str)))
    metrics = available_metrics(batch.root)
    design = design_table(batch.root)
    texts = list(dict.fromkeys(c.strip() for c in (conditions or [default_question(focus)])))
    answers = []
    for text in texts:
        try:
            parsed = parse_condition(text, metrics=metrics, nations=nations)
            outcomes = run_outcomes(batch.root, parsed.columns, step=step)
        except SoftPowerError as exc:
            exc.key = "--condition" if exc.key in (None, "condition") else exc.key
            exc.args = (exc.one_line(),)
            raise
        flags = pd.Series(parsed.evaluate(outcomes), index=outcomes.index)
        for scenario in batch.scenarios:
            runs = design.index[design["scenario"] == scenario]
            answers.append(
                _answer(batch, scenario, text, step, design.loc[runs], flags.reindex(runs))
            )
    return answers


def _answer(
    batch: Batch,
    scenario: str,
    condition: str,
    step: int,
    design: pd.DataFrame,
    flags: pd.Series,
) -> Answer:
    from sim.analysis.discovery import discover

    parameters = design.drop(columns="scenario")
    varies = tuple(str(c) for c in parameters.columns if parameters[c].nunique() > 1)
    holds, runs = int(flags.sum()), len(flags)
    base = Answer(scenario, condition, step, batch.date(step), holds, runs, varies)
    if not varies:
        return base
    if holds in (0, runs):
        return _replace(base, note=f"whatever the {len(varies)} parameters varied")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SoftPowerWarning)
        found = discover(parameters[list(varies)], flags.to_numpy(dtype=bool))
    restrictions = found.restrictions()
    values = flags.to_numpy(dtype=bool)
    prim_inside = found.in_box(parameters) if restrictions else np.zeros(len(values), bool)
    single = single_range(parameters[list(varies)], values, found.threshold)
    if single is not None and _covers_more(single[1], prim_inside, values):
        # PRIM peels greedily; on parameters that vary together (the members of an ensemble)
        # it can stop on a proxy. One range of one parameter that balances coverage and density
        # better (the same measure PRIM's box is chosen by) is the plainer, better rule.
        restrictions, inside = single
        found_meets = True
    else:
        inside, found_meets = prim_inside, found.meets_threshold
    if not restrictions:
        return _replace(base, note="no parameter range separates the runs", discovery=found)
    driver = Driver(
        rule=describe_rule(restrictions),
        restrictions=restrictions,
        runs_in=int(inside.sum()),
        holds_in=int(values[inside].sum()),
        runs_out=int((~inside).sum()),
        holds_out=int(values[~inside].sum()),
        dense=found_meets and not caught,
    )
    note = "" if driver.dense else "no single range of the parameters explains it well"
    return _replace(base, driver=driver, note=note, discovery=found)


def single_range(
    parameters: pd.DataFrame, holds: np.ndarray, threshold: float, min_coverage: float = 0.5
) -> tuple[dict[str, tuple[float, float] | set[str]], np.ndarray] | None:
    """The one-sided range of one numeric parameter (``p <= t`` or ``p >= t``, t a value the
    runs took) inside which the answer holds in at least ``threshold`` of the runs, holding at
    least ``min_coverage`` of the runs where it holds (PRIM's defaults), with the best balance
    of coverage and density (their harmonic mean, as `sim.analysis.discovery` chooses a box;
    ties to the first parameter).

    Returns:
        The range as restrictions (`describe_rule`) and the runs inside it, or None when no
        range reaches ``threshold``.

    Example:
        >>> import pandas as pd, numpy as np
        >>> runs = pd.DataFrame({"p": [0.0, 0.1, 0.9, 1.0], "q": [1.0, 0.0, 1.0, 0.0]})
        >>> single_range(runs, np.array([True, True, False, False]), 0.8)[0]
        {'p': (-inf, 0.1)}

    """
    best: tuple[float, float, str, tuple[float, float], np.ndarray] | None = None
    total = int(holds.sum())
    if total == 0:
        return None
    for name in parameters.columns:
        column = parameters[name]
        if not pd.api.types.is_numeric_dtype(column):
            continue
        x = column.to_numpy(dtype=float)
        for t in np.unique(x)[:-1]:
            for limits, inside in (
                ((-np.inf, t), x <= t),
                ((float(np.unique(x)[np.unique(x) > t][0]), np.inf), x > t),
            ):
                n_in = int(inside.sum())
                if not n_in:
                    continue
                density = float(holds[inside].mean())
                hits = int(holds[inside].sum())
                if density < threshold - 1e-12 or hits < min_coverage * total - 1e-12:
                    continue
                key = (_balance(hits / total, density), density)
                if best is None or key > (best[0], best[1]):
                    low, high = limits
                    best = (key[0], density, str(name), (float(low), float(high)), inside)
    if best is None:
        return None
    return {best[2]: best[3]}, best[4]


def _balance(coverage: float, density: float) -> float:
    return round(2 * coverage * density / (coverage + density), 12) if coverage + density else 0.0


def _covers_more(inside: np.ndarray, other: np.ndarray, holds: np.ndarray) -> bool:
    """Whether the runs ``inside`` balance coverage and density better than ``other`` do."""

    def balance(box: np.ndarray) -> float:
        if not box.any() or not holds.any():
            return 0.0
        return _balance(float(holds[box].sum() / holds.sum()), float(holds[box].mean()))

    return balance(inside) > balance(other)


def _replace(answer: Answer, **changes: Any) -> Answer:
    from dataclasses import replace

    return replace(answer, **changes)


def answer_table(answers: Sequence[Answer]) -> pd.DataFrame:
    """The answers as the rows of ``answer.csv`` (columns `ANSWER_COLUMNS`)."""
    rows = []
    for a in answers:
        low, high = a.interval
        d = a.driver
        rows.append(
            {
                "scenario": a.scenario,
                "condition": a.condition,
                "share": a.share,
                "low": low,
                "high": high,
                "runs": a.runs,
                "holds": a.holds,
                "at": a.at,
                "step": a.step,
                "varies": " ".join(a.varies),
                "decided_by": d.rule if d else "",
                "runs_in": d.runs_in if d else pd.NA,
                "share_in": d.share_in if d else math.nan,
                "runs_out": d.runs_out if d else pd.NA,
                "share_out": d.share_out if d else math.nan,
            }
        )
    frame = pd.DataFrame(rows, columns=list(ANSWER_COLUMNS))
    return frame.astype({"runs_in": "Int64", "runs_out": "Int64"})


def write_answers(answers: Sequence[Answer], path: Path) -> Path:
    """Write ``answer.csv`` (shares as fractions with 6 decimals) and return its path."""
    answer_table(answers).to_csv(path, index=False, float_format="%.6f")
    return path


_AHEAD = re.compile(r"^score\[([A-Z0-9]+)\]\s*>\s*score\[([A-Z0-9]+)\]$")


def _question_words(condition: str, names: dict[str, str]) -> str:
    match = _AHEAD.match(condition.strip())
    if match:
        a, b = match.groups()
        return f"{names.get(a, a)} ahead of {names.get(b, b)}"
    return f"“{condition}” holds"


def answer_paragraphs(batch: Batch, answers: Sequence[Answer]) -> list[Paragraph]:
    """The opening of the executive summary: per condition, one sentence per scenario."""
    world = batch.world
    names = dict(zip(world.iso3, world.name, strict=True))
    out: list[Paragraph] = []
    for condition in dict.fromkeys(a.condition for a in answers):
        mine = [a for a in answers if a.condition == condition]
        words = _question_words(condition, names)
        question = (
            f"Does “{condition}” hold in {mine[0].at}?"
            if words.endswith(" holds")
            else f"Is {words} in {mine[0].at} (“{condition}”)?"
        )
        out.append(
            Paragraph(
                (
                    f"The question: {question} The share of each scenario's runs in which it "
                    "holds, with a 90 % Wilson score interval; what decides it is found by "
                    "scenario discovery (PRIM) on that scenario's runs alone.",
                ),
                "answer-intro",
            )
        )
        for a in mine:
            out.append(Paragraph((_sentence(batch, a, words),), "answer"))
    return out


def _sentence(batch: Batch, a: Answer, words: str) -> str:
    low, high = a.interval
    head = (
        f"{batch.title(a.scenario)}: {words} in {percent(a.share)} of {_runs(a.runs)} "
        f"(90 % interval {percent(low).replace(' %', '')}–{percent(high)})"
    )
    if not a.varies:
        return head + "; the runs vary no parameter, so the share reflects seeds only."
    if a.driver is None:
        return head + f", {a.note}."
    text = head + f": {a.driver.sentence()}"
    return text + (f" ({a.note})." if a.note else ".")
