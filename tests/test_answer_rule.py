"""What decides a mixed answer: one range of one parameter when it explains more than PRIM's box
(sim.report.answer.single_range; the re-engagement question, docs/report.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.report.answer import describe_rule, single_range


def _ensemble_like() -> tuple[pd.DataFrame, np.ndarray]:
    """Runs whose answer follows persistence (holds at 0-0.2, mostly fails at 0.9-1), with a
    second parameter that is above 0 only in some of the low-persistence members (a proxy)."""
    persistence = np.array([0.0] * 8 + [0.1] * 2 + [0.2] * 4 + [0.9] * 2 + [1.0] * 18)
    proxy = np.array([0.1] * 8 + [0.2] * 2 + [0.0] * 4 + [0.0] * 2 + [0.0] * 18)
    holds = np.array([True] * 14 + [False] * 2 + [True] * 4 + [False] * 14)
    return pd.DataFrame({"event_persistence": persistence, "withdrawal": proxy}), holds


def test_the_range_that_holds_most_of_the_answer_is_chosen():
    runs, holds = _ensemble_like()
    restrictions, inside = single_range(runs, holds, 0.8)
    assert restrictions == {"event_persistence": (-np.inf, 0.2)}
    assert describe_rule(restrictions) == "event persistence is at most 0.2"
    assert inside.sum() == 14 and holds[inside].all()
    # the proxy's range covers fewer of the runs where the answer holds (10 of 18)
    proxy = runs["withdrawal"].to_numpy() > 0
    assert holds[inside].sum() > holds[proxy].sum()


def test_an_upper_range_is_found_and_none_when_nothing_is_dense_enough():
    runs = pd.DataFrame({"p": [0.0, 0.5, 0.9, 1.0]})
    restrictions, inside = single_range(runs, np.array([False, False, True, True]), 0.8)
    assert restrictions == {"p": (0.9, np.inf)} and inside.tolist() == [False, False, True, True]
    assert describe_rule(restrictions) == "p is at least 0.9"
    alternating = pd.DataFrame({"p": np.arange(10.0)})
    assert single_range(alternating, np.arange(10) % 2 == 0, 0.8) is None


@pytest.mark.parametrize("threshold", [0.5, 0.9])
def test_every_chosen_range_reaches_its_threshold(threshold):
    rng = np.random.default_rng(3)
    runs = pd.DataFrame({"a": rng.uniform(size=60), "b": rng.integers(0, 4, 60).astype(float)})
    holds = (runs["a"] < 0.4).to_numpy() | (rng.uniform(size=60) < 0.1)
    found = single_range(runs, holds, threshold)
    assert found is not None
    _, inside = found
    assert holds[inside].mean() >= threshold
