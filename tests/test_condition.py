"""The condition language: parsing, evaluation against outcome tables, one-line errors."""

from __future__ import annotations

import builtins
import doctest
import warnings

import numpy as np
import pandas as pd
import pytest

import sim.analysis.condition as condition_module
from sim.analysis.condition import (
    OUTCOME_METRICS,
    ConditionError,
    column_name,
    outcome_columns,
    parse_condition,
)
from sim.errors import SoftPowerError

NATIONS = ["CHN", "USA", "MEX", "BRA"]


def parse(text: str):
    return parse_condition(text, metrics=OUTCOME_METRICS, nations=NATIONS)


@pytest.fixture
def outcomes() -> pd.DataFrame:
    """Four hand-made runs."""
    return pd.DataFrame(
        {
            "score[CHN]": [5.0, 3.0, 8.0, 1.0],
            "score[USA]": [4.0, 3.5, 4.0, 2.0],
            "rank[USA]": [2, 1, 1, 3],
            "favourable[MEX,USA]": [35.0, 50.0, 39.9, 41.0],
            "familiarity[BRA]": [10.0, 20.0, 59.9, 60.0],
            "reputation[CHN]": [0.5, -0.5, 0.0, 1.0],
        },
        index=pd.Index([10, 11, 12, 13], name="run"),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("score[CHN] > score[USA]", [True, False, True, False]),
        ("rank[USA] > 1", [True, False, False, True]),
        ("favourable[MEX,USA] < 40", [True, False, True, False]),
        ("favourable[MEX, USA] < 40", [True, False, True, False]),
        ("score[CHN] - score[USA] >= 2.5 and not rank[USA] == 1", [False, False, False, False]),
        ("score[CHN] - score[USA] >= 1 and not rank[USA] == 1", [True, False, False, False]),
        ("(rank[USA] > 1 or favourable[MEX,USA] < 40)", [True, False, True, True]),
        (
            "rank[USA] != 1 and (score[CHN] > 4 or reputation[CHN] > 0.9)",
            [True, False, False, True],
        ),
        ("20 <= familiarity[BRA] < 60", [False, True, True, False]),
        ("score[CHN] * 2 / 4 + 1 > 3", [True, False, True, False]),
        ("-score[CHN] < -4", [True, False, True, False]),
        ("1 + 2 * 3 == 7", [True, True, True, True]),
        ("(1 + 2) * 3 == 9", [True, True, True, True]),
        ("not rank[USA] == 1 or score[CHN] > 7", [True, False, True, True]),
        ("reputation[CHN] >= 0 and reputation[CHN] <= 0.5", [True, False, True, False]),
        ("score[CHN] > 1e0 and score[USA] >= .5e1 - 1", [True, False, True, False]),
    ],
)
def test_conditions_evaluate_as_written(text: str, expected: list[bool], outcomes) -> None:
    result = parse(text).evaluate(outcomes)
    assert result.dtype == bool
    assert result.tolist() == expected


def test_and_binds_tighter_than_or_and_not_tighter_than_and(outcomes) -> None:
    # not A or B and C  ==  (not A) or (B and C)
    cond = parse("not rank[USA] == 1 or score[CHN] > 7 and rank[USA] == 1")
    a = outcomes["rank[USA]"] == 1
    b = outcomes["score[CHN]"] > 7
    assert cond.evaluate(outcomes).tolist() == ((~a) | (b & a)).tolist()
    assert str(cond) == "(not rank[USA] == 1 or (score[CHN] > 7 and rank[USA] == 1))"


def test_columns_lists_each_outcome_once_in_order() -> None:
    cond = parse("score[USA] > score[CHN] or favourable[MEX,USA] < 40 and score[USA] > 1")
    assert cond.columns == ("score[USA]", "score[CHN]", "favourable[MEX,USA]")


def test_evaluate_follows_row_order_and_ignores_other_columns(outcomes) -> None:
    shuffled = outcomes.iloc[[3, 1, 0, 2]]
    cond = parse("score[CHN] > score[USA]")
    assert cond.evaluate(shuffled).tolist() == [False, False, True, True]
    mapping = {"score[CHN]": np.array([1.0, 9.0]), "score[USA]": np.array([2.0, 2.0])}
    assert cond.evaluate(mapping).tolist() == [False, True]


def test_missing_values_and_division_by_zero_follow_numpy_without_warnings() -> None:
    frame = pd.DataFrame({"score[CHN]": [np.nan, 1.0, 1.0], "score[USA]": [1.0, 0.0, 2.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse("score[CHN] > 0").evaluate(frame).tolist() == [False, True, True]
        assert parse("score[CHN] != 0").evaluate(frame).tolist() == [True, True, True]
        ratio = parse("score[CHN] / score[USA] > 1").evaluate(frame)
    assert ratio.tolist() == [False, True, False]


def test_a_condition_without_outcomes_broadcasts_to_every_run(outcomes) -> None:
    assert parse("2 > 1").evaluate(outcomes).tolist() == [True] * 4
    assert parse("2 < 1").evaluate(outcomes).tolist() == [False] * 4


def test_parsing_and_evaluating_never_call_eval(monkeypatch, outcomes) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert parse("score[CHN] > score[USA]").evaluate(outcomes).tolist() == [
        True,
        False,
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("text", "column", "fragments"),
    [
        ("score[CHN >", 11, ["'>'", "']'"]),
        ("scroe[CHN] > 1", 1, ["unknown outcome 'scroe'", "did you mean score?"]),
        ("score[CHX] > 1", 7, ["unknown nation 'CHX'", "did you mean CHN?"]),
        (
            "favourable[MEX] < 40",
            1,
            ["favourable takes 2 nations, found 1", "favourable[ISO3,ISO3]"],
        ),
        ("__import__('os')", 1, ["unknown outcome '__import__'", "score"]),
        ("score[chn] > 1", 7, ["unknown nation 'chn'", "did you mean CHN?"]),
        ("Score[CHN] > 1", 1, ["did you mean score?"]),
        ("score[CHN] = 1", 12, ["unexpected character '='", "did you mean ==?"]),
        ("score[CHN] > 1 && rank[USA] > 1", 16, ["'&'", "use and"]),
        ("rank[USA] > 1 AND rank[CHN] > 1", 15, ["'AND'", "did you mean and?"]),
        ("(score[CHN] > 1", 16, ["end of the condition", "')' to close the '(' at column 1"]),
        ("score[CHN] > 1)", 15, ["unexpected ')'"]),
        ("score[CHN]", 1, ["number, not true or false"]),
        ("score[CHN] > 1 and 2", 20, ["'and' needs true/false"]),
        ("(score[CHN] > 1) + 1 > 0", 1, ["'+' needs a number"]),
        ("score > 1", 7, ["after 'score'", "'[' as in score[ISO3]"]),
        ("rank[USA,CHN] > 1", 1, ["rank takes 1 nation, found 2"]),
        ("1 +", 4, ["end of the condition"]),
        ("", 1, ["empty condition"]),
        ("score[CHN] > 1 ; import os", 16, ["unexpected character ';'"]),
    ],
)
def test_malformed_conditions_raise_one_line_errors(
    text: str, column: int, fragments: list[str]
) -> None:
    with pytest.raises(ConditionError) as info:
        parse(text)
    message = str(info.value)
    assert isinstance(info.value, SoftPowerError)
    assert "\n" not in message
    assert info.value.column == column
    assert f"column {column}:" in message
    assert "expected" in message
    for fragment in fragments:
        assert fragment in message


def test_no_suggestion_when_nothing_is_close() -> None:
    with pytest.raises(ConditionError) as info:
        parse("__import__('os')")
    assert info.value.suggestion is None
    assert "did you mean" not in str(info.value)


def test_custom_metrics_and_nations_are_respected() -> None:
    cond = parse_condition("trust[A,B,C] > 0", metrics={"trust": 3}, nations=["A", "B", "C"])
    assert cond.columns == ("trust[A,B,C]",)
    with pytest.raises(ConditionError, match="unknown outcome 'score'"):
        parse_condition("score[A] > 0", metrics={"trust": 3}, nations=["A", "B", "C"])


def test_evaluate_reports_missing_and_non_numeric_columns(outcomes) -> None:
    with pytest.raises(ConditionError, match=r"no column 'score\[MEX\]'"):
        parse("score[MEX] > 1").evaluate(outcomes)
    bad = outcomes.assign(**{"score[CHN]": ["high", "low", "x", "y"]})
    with pytest.raises(ConditionError, match="not numeric"):
        parse("score[CHN] > 1").evaluate(bad)


def test_outcome_columns_and_column_name() -> None:
    assert column_name("favourable", ["MEX", "USA"]) == "favourable[MEX,USA]"
    columns = outcome_columns(OUTCOME_METRICS, ["CHN", "USA"])
    assert columns == [
        "score[CHN]",
        "score[USA]",
        "rank[CHN]",
        "rank[USA]",
        "familiarity[CHN]",
        "familiarity[USA]",
        "reputation[CHN]",
        "reputation[USA]",
        "favourable[CHN,USA]",
        "favourable[USA,CHN]",
    ]
    assert "favourable[USA,USA]" in outcome_columns({"favourable": 2}, ["USA"], include_self=True)
    assert outcome_columns({"favourable": 2}, ["USA"]) == []


def test_every_column_a_condition_can_name_is_in_outcome_columns() -> None:
    known = set(outcome_columns(OUTCOME_METRICS, NATIONS))
    cond = parse("favourable[BRA,CHN] > 1 and reputation[MEX] < 0 and rank[BRA] == 2")
    assert set(cond.columns) <= known


def test_module_docstring_examples_pass() -> None:
    result = doctest.testmod(condition_module)
    assert result.attempted >= 3
    assert result.failed == 0
