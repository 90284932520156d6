"""The backtest with event responses refitted on the episodes up to its year (issue 22, item 4).

The registry's responses are fitted on every history episode, some of whose waves fall after a
backtest's year; ``--responses refit`` fits them again on the episodes that end by that year and
adds the spread of their plausible sets to the 90 % intervals.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.backtest import backtest, refit_responses
from sim.errors import DataError
from sim.params import REGISTRY, Parameters

pytestmark = pytest.mark.slow


def test_refit_reads_only_the_episodes_that_end_by_the_year():
    fit = refit_responses(2005, Parameters(), bootstrap=2)
    assert fit.episodes and all(name.startswith("iraq_war_2003") for name in fit.episodes)
    assert all(int(name.rsplit("-", 1)[1]) <= 2005 for name in fit.episodes)
    # the Iraq war identifies the war response; nothing before 2005 identifies a leader change
    assert fit.values["war_perception"] > 0.0
    assert len(fit.members) == 2  # one scenario: no fold to leave out, two bootstrap fits
    for member in (fit.values, *fit.members):
        for name, value in member.items():
            assert REGISTRY[name].low <= value <= REGISTRY[name].high


def test_refit_refuses_a_year_before_every_episode():
    with pytest.raises(DataError, match="no history episode ends by 2002"):
        refit_responses(2002, Parameters(), bootstrap=0)


def test_the_refit_backtest_reads_nothing_after_its_year_and_widens_its_intervals():
    from pathlib import Path

    history = Path("scenarios/history/world_2020_2024.yaml")
    plain = backtest(2019, scenario=history)
    refit = backtest(2019, scenario=history, responses="refit", bootstrap=3)
    assert refit.responses is not None and len(refit.responses.members) >= 3
    assert all(int(n.rsplit("-", 1)[1]) <= 2019 for n in refit.responses.episodes)
    assert refit.parameters.war_perception == refit.responses.values["war_perception"]
    # the same held-out waves; only the refit's intervals hold the responses' spread
    assert [(p["observer"], p["target"], p["year"]) for p in plain.predictions] == [
        (p["observer"], p["target"], p["year"]) for p in refit.predictions
    ]
    assert all(p["response_sd"] == 0.0 for p in plain.predictions)
    spread = np.array([p["response_sd"] for p in refit.predictions])
    assert (spread >= 0).all() and (spread > 0).mean() > 0.5
    for p in refit.predictions:
        assert p["low"] <= p["model"] <= p["high"]
    assert "Event responses refitted on the" in refit.to_text()
