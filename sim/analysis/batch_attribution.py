"""Attribution over a batch's runs: the change the summary reports, split among the events.

A batch's summary (`sim.analysis.summary`) gives a scenario's change against the baseline as the
mean, over the runs paired by design point and replication, of the scenario's run minus the
baseline's. `attribute_batch` attributes over the same runs: every coalition of the scenario's
events is run with each run's seed and parameter values (its design point's and its ensemble
member's, set over the scenario's own, as the batch ran it) and averaged over the runs. The
Shapley value is linear in the outcome, so this is the mean of the runs' own attributions, and
the effects sum to the runs' mean change: the summary's mean change when every paired run is
taken and the baseline is the scenario's event-less run (``scenarios/baseline.yaml`` for the
library's scenarios).

A run budget may afford only part of the runs (`batch_plan`: the grouping of the events that
covers the most runs, finest first). Then a subset seeded by the batch's root seed is taken and
`BatchAttribution` states its mean change in the batch's own tables next to the summary's, so
that the gap between the waterfall and page one is told, not hidden.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

from sim.analysis.attribution import RunSetting, ScenarioAttribution, attribute
from sim.analysis.components import GROUPINGS, components_of
from sim.analysis.shapley import evaluations_needed
from sim.errors import SoftPowerError, suggest
from sim.model.plan import Plan, RandomShock

if TYPE_CHECKING:
    from sim.batch.service import ModelService
    from sim.scenario.scenario import Scenario
    from sim.world.world import World

__all__ = [
    "REPORT_BUDGET",
    "BatchAttribution",
    "BatchPlan",
    "attribute_batch",
    "batch_plan",
    "paired_runs",
    "reconciliation_table",
    "run_settings",
    "scenario_file",
]

#: Most model runs per scenario for the report's attribution (coalitions × runs averaged over).
REPORT_BUDGET = 256


@dataclass(frozen=True)
class BatchPlan:
    """How a scenario of a batch is attributed: the grouping and how many of its runs.

    Attributes:
        by: ``event``, ``file`` or ``kind`` (`sim.analysis.components.components_of`).
        max_exact: As for `sim.analysis.attribution.attribute`.
        permutations: Orderings sampled when not exact.
        runs: Runs averaged over.
        per_run: Model runs per run averaged over (coalitions, and the event-less runs).

    """

    by: str
    max_exact: int
    permutations: int
    runs: int
    per_run: int

    @property
    def cost(self) -> int:
        """Model runs in all."""
        return self.runs * self.per_run


def _active(scenario: Any, plan: Plan, by: str, step: int) -> int:
    groups = components_of(scenario, plan, by)
    return sum(any(plan.events[i].step < step for i in members) for _, members in groups)


def batch_plan(
    scenario: Scenario | Plan,
    plan: Plan,
    step: int,
    runs: int,
    *,
    budget: int | None = REPORT_BUDGET,
    by: str | None = None,
    count: int | None = None,
    max_exact: int = 8,
    permutations: int = 16,
) -> BatchPlan:
    """Choose the grouping and the number of runs an attribution of a batch scenario takes.

    Without ``by``, among the groupings attributed exactly whose ``2**n`` coalitions (``n``
    active components, more than one unless the scenario has a single active event) fit the
    budget for one run, the one that covers the most runs, the finest on ties (each event, then
    each file, then each kind and year); when none fits, events with as many sampled orderings
    as the budget allows (over one run, mostly). With ``by``, that grouping (exact up to
    ``max_exact`` components, else ``permutations`` orderings) over as many runs as the budget
    affords.

    Args:
        scenario: As for `sim.analysis.components.components_of`.
        plan: The resolved plan.
        step: The step explained (events at or after it do not count).
        runs: The batch's paired runs of the scenario.
        budget: Most model runs in all (None: every run).
        by: A grouping to use, or None to choose one.
        count: Runs to average over (default: as many as the budget affords, at most ``runs``).
        max_exact: With ``by``: exact up to this many components.
        permutations: With ``by``: orderings sampled beyond ``max_exact``.

    Returns:
        The `BatchPlan`.

    """
    extra = int(bool(plan.parameters)) + int(
        any(isinstance(e.event, RandomShock) and e.step < step for e in plan.events)
    )
    limit = float("inf") if budget is None else max(1, int(budget))

    def afforded(per_run: int) -> int:
        if count is not None:
            return min(runs, max(1, int(count)))
        if budget is None:
            return runs
        return min(runs, max(1, int(budget) // per_run))

    if by is not None:
        n = _active(scenario, plan, by, step)
        exact = n <= max_exact
        coalitions = evaluations_needed(
            n, max_exact=max_exact if exact else 0, permutations=permutations
        )
        per_run = coalitions + extra
        return BatchPlan(by, max_exact, permutations, afforded(per_run), per_run)
    events = sum(e.step < step for e in plan.events)
    best: BatchPlan | None = None
    for grouping in GROUPINGS:
        n = _active(scenario, plan, grouping, step)
        if n <= 1 < events or n > max_exact or 2**n + extra > limit:
            continue
        candidate = BatchPlan(grouping, n, 2, afforded(2**n + extra), 2**n + extra)
        if best is None or candidate.runs > best.runs:
            best = candidate
    if best is not None:
        return best
    n = _active(scenario, plan, "event", step)
    sampled = permutations
    if budget is not None:
        sampled = max(2, (int(limit) - 2 - extra) // max(1, n - 1))
        sampled -= sampled % 2
    per_run = evaluations_needed(n, max_exact=0, permutations=sampled) + extra
    return BatchPlan("event", 0, sampled, afforded(per_run), per_run)


def paired_runs(root: str | Path, scenario: str, baseline: str) -> pd.DataFrame:
    """Return the ok runs of ``scenario`` that have an ok ``baseline`` run of the same design
    point and replication: the runs the summary's differences average over.

    Returns:
        Rows of ``runs.parquet``, sorted by design point and replication, with the matching
        baseline run's id as ``baseline_run``.

    """
    from sim.batch.store import read_runs

    runs = read_runs(root)
    ok = runs[runs["status"] == "ok"]
    pair = ["design_point", "replication"]
    mine = ok[ok["scenario"].astype(str) == scenario]
    base = ok[ok["scenario"].astype(str) == baseline][[*pair, "run_id"]]
    merged = mine.merge(base.rename(columns={"run_id": "baseline_run"}), on=pair)
    return merged.sort_values(pair, kind="stable").reset_index(drop=True)


def run_settings(runs: pd.DataFrame) -> list[RunSetting]:
    """Each run's seed and parameter values, as the batch ran it (``runs.parquet`` rows)."""
    from sim.batch.experiment import seed_sequence

    return [
        RunSetting(seed_sequence(str(seed)), json.loads(params or "{}"), str(run_id))
        for run_id, seed, params in zip(
            runs["run_id"], runs["seed"], runs["parameters"], strict=True
        )
    ]


@dataclass(frozen=True)
class BatchAttribution:
    """A batch scenario's attribution with how its total stands to the summary's change.

    Attributes:
        result: The attribution, averaged over the runs used.
        baseline: The batch's baseline scenario.
        plan: The grouping and runs.
        runs: Ids of the runs averaged over.
        paired: How many paired runs the summary averages over.
        batch_change: Per focus nation, the mean score change (scenario − baseline) of the runs
            used, from the batch's own tables.
        summary_change: Per focus nation, the same mean over every paired run: the summary's
            ``mean_diff``, the figure of page one.
        root: The batch directory.
        seed: The root seed the subset was drawn with.

    """

    result: ScenarioAttribution
    baseline: str
    plan: BatchPlan
    runs: tuple[str, ...]
    paired: int
    batch_change: dict[str, float]
    summary_change: dict[str, float]
    root: Path
    seed: int

    @property
    def scenario(self) -> str:
        """The scenario attributed."""
        return self.result.scenario

    @property
    def subset(self) -> bool:
        """Whether only part of the paired runs was used."""
        return len(self.runs) < self.paired

    def attributed(self, nation: str) -> float:
        """The waterfall's total: the mean change of the runs used, as rerun."""
        return float(self.result.total[self.result.row(nation)])

    def explanation(self, nation: str, decimals: int = 2) -> str:
        """How the waterfall's total stands to the summary's mean change, in one sentence."""
        total, summary = self.attributed(nation), self.summary_change[nation]
        batch = self.batch_change[nation]
        f = f"{{:+.{decimals}f}}".format
        said = (
            f"Its total, {f(total)}, is the mean over all {self.paired} paired runs of the "
            f"batch, the summary's change ({f(summary)})"
            if not self.subset
            else f"Its total, {f(total)}, is the mean over {len(self.runs)} of the batch's "
            f"{self.paired} paired runs (a subset drawn with the batch's seed {self.seed}: "
            "the attribution's run budget); over all of them the summary's change is "
            f"{f(summary)}, a gap of {f(total - summary)} that is which runs were taken"
        )
        if abs(total - batch) >= 0.5 * 10.0**-decimals:
            said += (
                f". The reruns give {f(total)} where the batch's tables give {f(batch)} for the "
                "same runs: the baseline is not this scenario's event-less run, or the model "
                "changed since the batch ran"
            )
        return said + "."

    def command(self) -> str:
        """The ``softpower attribute`` command that gives this attribution."""
        runs = "all" if not self.subset else str(len(self.runs))
        nations = ",".join(dict.fromkeys(t for _, _, t in self.result.entries if t))
        return (
            f"softpower attribute --batch {self.root} --scenario {self.scenario} --by "
            f"{self.plan.by} --runs {runs}"
            + (f" --nations {nations}" if nations else "")
            + ("" if self.result.exact else f" --permutations {self.plan.permutations}")
        )


def _seed_of(manifest: dict[str, Any]) -> int:
    try:
        return int(manifest.get("seed") or 0)
    except (TypeError, ValueError):
        return 0


def scenario_file(root: Path, entry: dict[str, Any]) -> Path:
    """Return the file of a batch scenario from its manifest entry (its path as written, else
    relative to the batch directory's folder).

    Raises:
        SoftPowerError: Neither exists.
    """
    path = Path(str(entry.get("path") or ""))
    for candidate in (path, root.parent / path):
        if str(path) and candidate.is_file():
            return candidate
    raise SoftPowerError(
        f"scenario file {str(path)!r} not found",
        file=str(path),
        expected="the scenario files the batch ran, at the paths in its manifest",
        suggestion="run from the folder the batch was run from",
    )


def _score_changes(
    root: Path, runs: pd.DataFrame, step: int, nations: Sequence[str]
) -> pd.DataFrame:
    """Per paired run (rows in ``runs`` order) and focus nation, the stored score change."""
    from sim.batch.store import read_runs, read_table

    ids = [*runs["run_id"].astype(str), *runs["baseline_run"].astype(str)]
    every = read_runs(root)
    frame = read_table(
        root,
        "soft_power",
        columns=["run_id", "step", "iso3", "score"],
        runs=every[every["run_id"].isin(ids)],
        filter=(ds.field("step") == step) & ds.field("iso3").isin(list(nations)),
    )
    wide = frame.astype({"run_id": str}).pivot(index="run_id", columns="iso3", values="score")
    mine = wide.reindex(runs["run_id"].astype(str)).to_numpy()
    base = wide.reindex(runs["baseline_run"].astype(str)).to_numpy()
    return pd.DataFrame(mine - base, columns=wide.columns)[list(nations)]


def _last_step(root: Path, runs: pd.DataFrame) -> int:
    from sim.batch.store import read_runs, read_table

    every = read_runs(root)
    first = every[every["run_id"] == runs["run_id"].iloc[0]]
    steps = read_table(root, "soft_power", columns=["step"], runs=first)["step"]
    return int(steps.max())


def attribute_batch(
    root: str | Path,
    scenario: str,
    *,
    baseline: str | None = None,
    targets: Sequence[str] = ("USA", "CHN"),
    by: str | None = None,
    count: int | None = None,
    budget: int | None = REPORT_BUDGET,
    max_exact: int = 8,
    permutations: int = 16,
    workers: int = 1,
    world: World | None = None,
    progress: Callable[[str], None] | None = None,
    service: ModelService | None = None,
) -> BatchAttribution:
    """Attribute a batch scenario's change at its last step over the summary's runs.

    Args:
        root: The batch directory (``softpower batch ... --out DIR``).
        scenario: The scenario's name in the batch.
        baseline: The baseline scenario (default: the experiment's, as the summary's).
        targets: Focus nations.
        by: Grouping of the events (default: chosen by `batch_plan`).
        count: Runs to average over (default: as many as ``budget`` affords; a subset is drawn
            with the batch's root seed).
        budget: Most model runs (None: every paired run).
        max_exact: With ``by``: exact up to this many components.
        permutations: With ``by``: orderings sampled beyond ``max_exact``.
        workers: Processes for the runs.
        world: The batch's world, if already loaded.
        progress: Called with a line of text before the runs start.
        service: A running `sim.batch.service.ModelService` on the batch's world (pass
            ``world`` too) to run on instead of a pool of its own; several scenarios can then
            share one pool.

    Returns:
        The `BatchAttribution`.

    Raises:
        SoftPowerError: Not a batch, an unknown scenario, no paired run, a missing scenario file.

    """
    from sim.analysis.summary import choose_baseline
    from sim.batch.store import Store
    from sim.scenario.scenario import load_scenario
    from sim.world.bundled import bundled_world

    root = Path(root)
    manifest = Store(root).finished_manifest()
    names = list(manifest["scenarios"])
    base = choose_baseline(manifest, baseline)
    if scenario not in names or scenario == base:
        others = [n for n in names if n != base]
        raise SoftPowerError(
            f"no scenario {scenario!r} to attribute in the batch",
            key="--scenario",
            expected="a scenario of the batch other than its baseline: " + ", ".join(others),
            suggestion=suggest(scenario, others),
        )
    runs = paired_runs(root, scenario, base)
    if runs.empty:
        raise SoftPowerError(
            f"no run of {scenario!r} has an ok run of the baseline {base!r} to pair with",
            file=str(root / "runs.parquet"),
            expected="ok runs of both scenarios with the same design point and replication",
        )
    world = world if world is not None else bundled_world(manifest.get("world"))
    spec = load_scenario(scenario_file(root, manifest["scenarios"][scenario]), world)
    if manifest.get("steps"):
        spec = spec.with_steps(int(manifest["steps"]))
    step = min(_last_step(root, runs), spec.steps)
    plan = spec.plan(world)
    chosen = batch_plan(
        spec,
        plan,
        step,
        len(runs),
        budget=budget,
        by=by,
        count=count,
        max_exact=max_exact,
        permutations=permutations,
    )
    seed = _seed_of(manifest)
    used = runs
    if chosen.runs < len(runs):
        picked = np.random.default_rng(seed).choice(len(runs), chosen.runs, replace=False)
        used = runs.iloc[np.sort(picked)].reset_index(drop=True)
    targets = tuple(dict.fromkeys(str(t).upper() for t in targets))
    result = attribute(
        spec,
        world=world,
        runs=run_settings(used),
        step=step,
        targets=targets,
        by=chosen.by,
        max_exact=chosen.max_exact,
        permutations=chosen.permutations,
        workers=workers,
        progress=progress,
        service=service,
    )
    every = _score_changes(root, runs, step, targets)
    mine = every.iloc[[int(i) for i in runs.index[runs["run_id"].isin(used["run_id"])]]]
    return BatchAttribution(
        result=result,
        baseline=base,
        plan=chosen,
        runs=tuple(used["run_id"].astype(str)),
        paired=len(runs),
        batch_change={t: float(mine[t].mean()) for t in targets},
        summary_change={t: float(every[t].mean()) for t in targets},
        root=root,
        seed=seed,
    )


def reconciliation_table(results: Sequence[BatchAttribution]) -> pd.DataFrame:
    """Return ``reconciliation.csv``: per scenario and focus nation, the waterfall's total next
    to the batch's change over the same runs and the summary's over every paired run.

    Columns: ``scenario, nation, grouping, runs, paired, attributed, batch, summary, gap``
    (``gap`` = attributed − summary).
    """
    rows = []
    for item in results:
        for nation, summary in item.summary_change.items():
            total = item.attributed(nation)
            rows.append(
                (
                    item.scenario,
                    nation,
                    item.plan.by,
                    len(item.runs),
                    item.paired,
                    total,
                    item.batch_change[nation],
                    summary,
                    total - summary,
                )
            )
    columns = [
        "scenario", "nation", "grouping", "runs", "paired", "attributed", "batch", "summary", "gap"
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
