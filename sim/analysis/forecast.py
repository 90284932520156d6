"""The 2025 out-of-sample test (``softpower test-2025``).

`forecast_2025` predicts the spring-2025 change of US and China favourability per surveyed
country from parameters that never saw 2025 data (fitted on past episodes,
`sim.analysis.episodes`), and compares it with the published change (test data,
`sim/data/targets/test_2025/`, read only here) and with two naive predictors: no change, and the
change of the previous comparable episode (the America First turn of 2017) repeated per country.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.agreement import rmse, spearman
from sim.analysis.episodes import favourable_at, poll_table
from sim.errors import ScenarioError
from sim.model.model import SoftPowerModel
from sim.params import Parameters
from sim.scenario.scenario import Scenario
from sim.world.bundled import bundled_world
from sim.world.world import DATA_DIR

__all__ = ["Forecast", "forecast_2025", "forecast_2025_from_targets"]


@dataclass
class Forecast:
    """The 2025 out-of-sample test: predicted against published spring-2025 changes.

    Attributes:
        rows: Per surveyed pair: the 2024 and 2025 published shares, the published and the
            model's change, and the 2017 change of the pair (a naive predictor).
        index: Per nation with a published 2025 score: the 2024 and 2025 scores, the model's
            score at the start (2025-Q1) and its change over 2025.
        ranks: The GSPI 2025 ranks against the model's ranks at the start and against the GSPI
            2024 ranks carried forward (Spearman ρ): ``n`` and ``model`` over the world's ranked
            nations; ``n_persistence``, ``persistence`` and ``model_on_persistence`` over those
            ranked in both years.

    """

    rows: list[dict[str, Any]]
    index: list[dict[str, Any]]
    ranks: dict[str, float] = field(default_factory=dict)

    def to_text(self) -> str:
        """Markdown tables: per country, and the summary against naive predictors."""
        lines = [
            "| observer | target | 2024 | 2025 published | change published | model | "
            "2017 repeated |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for r in self.rows:
            repeat = r["repeat_2017"]
            lines.append(
                f"| {r['observer']} | {r['target']} | {r['before']:.0f} | {r['after']:.0f} | "
                f"{r['published']:+.0f} | {r['model']:+.1f} | "
                + (f"{repeat:+.0f} |" if not math.isnan(repeat) else "— |")
            )
        pub = np.array([r["published"] for r in self.rows])
        model = np.array([r["model"] for r in self.rows])
        rep = np.array([r["repeat_2017"] for r in self.rows])
        has = ~np.isnan(rep)
        lines += [
            "",
            "| predictor | RMSE (points) | sign right |",
            "|---|---:|---:|",
            f"| model | {rmse(model - pub):.1f} | {np.mean(np.sign(model) == np.sign(pub)):.0%} |",
            f"| no change | {rmse(pub):.1f} | — |",
            f"| 2017 change repeated ({has.sum()} pairs) | {rmse(rep[has] - pub[has]):.1f} | "
            f"{np.mean(np.sign(rep[has]) == np.sign(pub[has])):.0%} |",
            f"| model on those pairs | {rmse(model[has] - pub[has]):.1f} | "
            f"{np.mean(np.sign(model[has]) == np.sign(pub[has])):.0%} |",
            "",
            "The GSPI 2025 was published on 20 Feb 2025 from fieldwork of Sept-Nov 2024: it "
            "measures the world at the model's start, not the 2025 events (those await the "
            "GSPI 2026, not in this repository). It tests the starting world, fitted to the "
            "GSPI 2024:",
            "",
            "| nation | GSPI 2024 | GSPI 2025 | model at the start (2025-Q1) | "
            "model change over 2025 |",
            "|---|---:|---:|---:|---:|",
        ]
        for r in self.index:
            before = f"{r['before']:.1f}" if not math.isnan(r["before"]) else "—"
            lines.append(
                f"| {r['iso3']} | {before} | {r['after']:.1f} | {r['start']:.1f} | "
                f"{r['model']:+.1f} |"
            )
        if self.ranks:
            lines += [
                "",
                f"| GSPI 2025 ranks ({self.ranks['n']:.0f} nations of the world) | Spearman ρ |",
                "|---|---:|",
                f"| model at the start (2025-Q1) | {self.ranks['model']:.3f} |",
                f"| GSPI 2024 ranks carried forward (the {self.ranks['n_persistence']:.0f} "
                f"nations ranked in both) | {self.ranks['persistence']:.3f} |",
                f"| model on those {self.ranks['n_persistence']:.0f} nations | "
                f"{self.ranks['model_on_persistence']:.3f} |",
            ]
        return "\n".join(lines) + "\n"


def forecast_2025(
    scenario: Scenario,
    polls: Mapping[tuple[str, str, int], float],
    tests: Mapping[tuple[str, str, int], float],
    index_before: Mapping[str, float],
    index_after: Mapping[str, float],
    *,
    params: Parameters | None = None,
    seed: int = 1,
    step: int = 1,
    ranks_before: Mapping[str, float] | None = None,
    ranks_after: Mapping[str, float] | None = None,
) -> Forecast:
    """Predict the spring-2025 change per surveyed country; score the starting world on the index.

    Args:
        scenario: The 2025 scenario (e.g. ``scenarios/soft_power_divide.yaml``).
        polls: Calibration polls (2024 and earlier) by (observer, target, year).
        tests: Published 2025 values (test data) by (observer, target, year).
        index_before: GSPI 2024 scores by nation.
        index_after: GSPI 2025 scores by nation (test data; fieldwork of late 2024).
        params: The parameters to test (the registry defaults when None).
        seed: Seed of both runs.
        step: Quarter of the spring wave (1 = 2025-Q2).
        ranks_before: GSPI 2024 ranks by nation (the persistence baseline of the rank test).
        ranks_after: GSPI 2025 ranks by nation (test data), against the model's ranks at the
            start.

    """
    _check_starts_2025(scenario, step)
    params = params or Parameters()
    # both runs start from the scenario's world with the same seed (common random numbers)
    fav = favourable_at(scenario, params, [step], seed)[step]
    plain = favourable_at(scenario, params, [step], seed, events=False)[step]
    iso3 = list(bundled_world(scenario.world).iso3)
    rows = []
    for (obs, tgt, year), after in sorted(tests.items()):
        if year != 2025 or obs not in iso3 or (obs, tgt, 2024) not in polls:
            continue
        before = polls[obs, tgt, 2024]
        i, k = iso3.index(obs), iso3.index(tgt)
        repeat = math.nan
        if (obs, tgt, 2016) in polls and (obs, tgt, 2017) in polls:
            repeat = polls[obs, tgt, 2017] - polls[obs, tgt, 2016]
        rows.append(
            {
                "observer": obs,
                "target": tgt,
                "before": before,
                "after": after,
                "published": after - before,
                "model": float(fav[i, k] - plain[i, k]),
                "repeat_2017": repeat,
            }
        )
    world = bundled_world(scenario.world)
    plan = scenario.plan(world).with_steps(4)
    run = SoftPowerModel(world, plan, params, rng=seed).run()
    score = run.recorder.score
    index = [
        {
            "iso3": c,
            "before": index_before.get(c, math.nan),
            "after": index_after[c],
            "start": float(score[0, iso3.index(c)]),
            "model": float(score[4, iso3.index(c)] - score[0, iso3.index(c)]),
        }
        for c in sorted(index_after, key=lambda c: -index_after[c])
        if c in iso3
    ]
    ranks: dict[str, float] = {}
    if ranks_after:
        known = [c for c in ranks_after if c in iso3]
        # a higher score is a better (lower) rank
        ranks["model"] = spearman(
            [-score[0, iso3.index(c)] for c in known], [ranks_after[c] for c in known]
        )
        ranks["n"] = len(known)
        prior = ranks_before or {}
        both = [c for c in known if c in prior]
        ranks["persistence"] = spearman([prior[c] for c in both], [ranks_after[c] for c in both])
        ranks["model_on_persistence"] = spearman(
            [-score[0, iso3.index(c)] for c in both], [ranks_after[c] for c in both]
        )
        ranks["n_persistence"] = len(both)
    return Forecast(rows, index, ranks)


def _check_starts_2025(scenario: Scenario, step: int) -> None:
    """Refuse a scenario the 2025 test cannot read: it must start in 2025-Q1 and reach ``step``.

    Raises:
        ScenarioError: Another start (a history file of 2003, say) or too short a horizon.

    """
    start = f"{scenario.start.year}-Q{scenario.start.q}"
    if (scenario.start.year, scenario.start.q) != (2025, 1):
        raise ScenarioError(
            f"the scenario starts in {start}, so it cannot forecast spring 2025",
            file=scenario.path,
            key="start",
            expected="a scenario starting in 2025-Q1 (the 2025 test compares its spring-2025 "
            "quarter with the published 2025 polls)",
            suggestion="use a 2025 scenario such as scenarios/soft_power_divide.yaml",
        )
    if scenario.steps <= step:
        raise ScenarioError(
            f"the scenario ends before the spring-2025 quarter ({scenario.steps} steps)",
            file=scenario.path,
            key="steps",
            expected=f"steps of at least {step + 1}",
        )


def forecast_2025_from_targets(
    scenario: Scenario, *, params: Parameters | None = None, seed: int = 1
) -> Forecast:
    """`forecast_2025` with the bundled targets: polls up to 2024 for the base, the published
    2025 figures of ``sim/data/targets/test_2025/`` as the test (``softpower test-2025``).
    """
    targets = DATA_DIR / "targets"
    polls = poll_table(
        [
            targets / "pew_us_favourability_2000_2017.csv",
            targets / "pew_favourability_2002_2024.csv",
        ]
    )
    tests = poll_table([targets / "test_2025" / "pew_favourability_2025.csv"])
    return forecast_2025(
        scenario,
        polls,
        tests,
        _index_scores(targets / "gspi_2024.csv"),
        _index_scores(targets / "test_2025" / "gspi_2025.csv"),
        params=params,
        seed=seed,
        ranks_before=_index_scores(targets / "gspi_2024.csv", "gspi_rank"),
        ranks_after=_index_scores(targets / "test_2025" / "gspi_2025.csv", "gspi_rank"),
    )


def _index_scores(path: Path, metric: str = "gspi_score") -> dict[str, float]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {r["iso3"]: float(r["value"]) for r in csv.DictReader(fh) if r["metric"] == metric}
