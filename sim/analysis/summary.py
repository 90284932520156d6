"""Summaries of a batch result directory: ensemble statistics, paired differences, sensitivity.

`summarize(DIR)` reads the runs whose status is ok and writes ``DIR/summary/``:

- ``scores.parquet`` / ``ranks.parquet``: per scenario × step × nation the number of runs, mean,
  sd and the 5/50/95% quantiles of the score (rank);
- ``familiarity.parquet`` / ``reputation.parquet``: the same statistics of the score's two
  observed parts (0–100, docs/ODD.md §7.6);
- ``differences.parquet``: score differences against a baseline scenario, paired by design point
  and replication (the same seed), with a seeded bootstrap 90% confidence interval of the mean;
- ``attraction.parquet``: attraction of each observer to each recorded target per recorded step;
- ``polls.parquet``: the predicted poll, the favourable share (0–100) of each observer toward each
  recorded target per recorded step (mean and 5/50/95% quantiles over the runs);
- ``membership.parquet``: members of each initiative per step;
- ``sensitivity.parquet`` (Sobol and Morris designs): indices of the USA score and of the
  USA−CHN score gap at the last step, averaged over replications per design point.

`sensitivity(design, model)` runs the same sampling and analysis on any Python function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.batch.experiment import Design
from sim.batch.store import (
    Store,
    atomic_write_table,
    part_file,
    part_schema,
    read_runs,
    read_table,
)
from sim.errors import ExperimentError, suggest

__all__ = [
    "QUANTILES",
    "SENSITIVITY_OUTPUTS",
    "Summary",
    "analyze_outputs",
    "choose_baseline",
    "describe",
    "paired_differences",
    "sensitivity",
    "summarize",
]

#: Quantiles reported by `describe`, with their column names.
QUANTILES: dict[str, float] = {"q05": 0.05, "q50": 0.5, "q95": 0.95}

#: Outputs whose sensitivity indices a Sobol or Morris batch reports.
SENSITIVITY_OUTPUTS: tuple[str, ...] = (
    "USA score at last step",
    "USA-CHN score gap at last step",
)

_SENSITIVITY_COLUMNS = [
    "scenario",
    "method",
    "output",
    "parameter",
    "S1",
    "S1_conf",
    "ST",
    "ST_conf",
    "mu_star",
    "mu_star_conf",
    "sigma",
]


@dataclass(frozen=True)
class Summary:
    """What `summarize` wrote.

    Attributes:
        paths: Table name → file written.
        notes: Anything skipped and why.

    """

    paths: dict[str, Path]
    notes: list[str] = field(default_factory=list)


def describe(
    frame: pd.DataFrame,
    keys: Sequence[str],
    value: str,
    quantiles: Mapping[str, float] = QUANTILES,
    *,
    n: bool = True,
    sd: bool = True,
) -> pd.DataFrame:
    """Return ensemble statistics of ``value`` per group of ``keys``.

    Args:
        frame: One row per run and group.
        keys: Grouping columns (e.g. scenario, step, date, iso3).
        value: The column summarised.
        quantiles: Column name → quantile (linear interpolation, as `numpy.quantile`).
        n: Include the number of values ``n``.
        sd: Include the sample standard deviation ``sd`` (ddof 1; NaN for one run).

    Returns:
        ``keys`` then n, mean, sd and the quantile columns, sorted by ``keys``.

    """
    grouped = frame.groupby(list(keys), sort=True, observed=True)[value]
    stats = grouped.agg(["count", "mean", "std"]).rename(columns={"count": "n", "std": "sd"})
    qs = grouped.quantile(list(quantiles.values())).unstack()
    qs.columns = list(quantiles)
    out = stats.join(qs).reset_index()
    columns = [*keys, *(["n"] if n else []), "mean", *(["sd"] if sd else []), *quantiles]
    return out[columns].astype({"n": "int64"} if n else {})


def _bootstrap_counts(n: int, resamples: int, seed: int) -> np.ndarray:
    """Return (resample, pair) counts of a seeded bootstrap of ``n`` pairs."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    idx = rng.integers(0, n, size=(resamples, n))
    counts = np.zeros((resamples, n))
    np.add.at(counts, (np.arange(resamples)[:, None], idx), 1.0)
    return counts


def paired_differences(
    scores: pd.DataFrame,
    baseline: str,
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.90,
) -> pd.DataFrame:
    """Return score differences of every scenario against ``baseline``, paired by seed.

    Runs are paired on (design point, replication): both used the same parameters and the same
    seed, so the difference removes the shared noise. The confidence interval is a percentile
    bootstrap of the mean over pairs; every scenario uses the same seeded resamples.

    Args:
        scores: Columns scenario, design_point, replication, step, date, iso3, score.
        baseline: Scenario subtracted.
        resamples: Bootstrap resamples (0: no interval, NaN).
        seed: Seed of the bootstrap.
        level: Confidence level of the interval.

    Returns:
        Columns scenario, baseline, step, date, iso3, n, mean_diff, ci_low, ci_high.

    """
    pair = ["design_point", "replication"]
    cell = ["step", "date", "iso3"]
    base = scores[scores["scenario"] == baseline][[*pair, *cell, "score"]]
    frames = []
    # unique() rather than set(): iterating a column of millions of rows in Python is slow.
    for name in sorted(set(scores["scenario"].unique()) - {baseline}):
        other = scores[scores["scenario"] == name][[*pair, *cell, "score"]]
        merged = other.merge(base, on=[*pair, *cell], suffixes=("", "_base"))
        merged["diff"] = merged["score"] - merged["score_base"]
        wide = merged.set_index([*pair, *cell])["diff"].unstack(cell).dropna()
        if wide.empty:
            continue
        d = wide.to_numpy()
        n = d.shape[0]
        out = wide.columns.to_frame(index=False)
        out.insert(0, "baseline", baseline)
        out.insert(0, "scenario", name)
        out["n"] = n
        out["mean_diff"] = d.mean(axis=0)
        if resamples > 0:
            means = _bootstrap_counts(n, resamples, seed) @ d / n
            tail = (1.0 - level) / 2.0
            low, high = np.quantile(means, [tail, 1.0 - tail], axis=0)
        else:
            low = high = np.full(d.shape[1], np.nan)
        out["ci_low"], out["ci_high"] = low, high
        frames.append(out)
    columns = ["scenario", "baseline", *cell, "n", "mean_diff", "ci_low", "ci_high"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns].astype({"step": "int64", "n": "int64"})


def analyze_outputs(
    design: Design, x: np.ndarray, outputs: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    """Return sensitivity indices of each output over a design's sample ``x``.

    Args:
        design: A Sobol or Morris design.
        x: Its sample (`Design.sample`).
        outputs: Output name → one value per design point.

    Returns:
        Columns method, output, parameter, S1, S1_conf, ST, ST_conf, mu_star, mu_star_conf,
        sigma (NaN where a column does not apply to the method).

    """
    rows = []
    for name, y in outputs.items():
        for row in design.analyze(x, np.asarray(y, dtype=float)):
            rows.append({"method": design.method, "output": name, **row})
    return pd.DataFrame(rows, columns=_SENSITIVITY_COLUMNS[1:])


def sensitivity(
    design: Design,
    model: Callable[[np.ndarray], np.ndarray | Mapping[str, np.ndarray]],
    output: str = "y",
) -> pd.DataFrame:
    """Sample a design, evaluate ``model`` on the sample and return its sensitivity indices.

    Args:
        design: A Sobol or Morris design.
        model: Takes the design matrix (point, parameter) and returns one output value per
            point, or a mapping of output name → values.
        output: Name of a single output.

    Returns:
        The table of `analyze_outputs`.

    Example:
        >>> import math
        >>> from SALib.test_functions import Ishigami
        >>> d = Design("sobol", {f"x{i}": (-math.pi, math.pi) for i in (1, 2, 3)}, 256, seed=1)
        >>> table = sensitivity(d, Ishigami.evaluate)
        >>> round(float(table.loc[0, "S1"]), 1)
        0.3

    """
    x = design.sample()
    y = model(x)
    outputs = dict(y) if isinstance(y, Mapping) else {output: y}
    return analyze_outputs(design, x, outputs)


def _last_step_outputs(scores: pd.DataFrame, points: int) -> dict[str, np.ndarray] | None:
    """USA score and USA−CHN gap at the last step, averaged over replications per point."""
    last = scores[scores["step"] == scores["step"].max()]
    wide = last[last["iso3"].isin(["USA", "CHN"])].pivot_table(
        index=["design_point", "replication"], columns="iso3", values="score", observed=True
    )
    if not {"USA", "CHN"} <= set(wide.columns):
        return None
    wide["gap"] = wide["USA"] - wide["CHN"]
    per_point = wide.groupby(level="design_point").mean().reindex(range(points))
    if per_point[["USA", "gap"]].isna().any().any():
        return None
    return {
        SENSITIVITY_OUTPUTS[0]: per_point["USA"].to_numpy(),
        SENSITIVITY_OUTPUTS[1]: per_point["gap"].to_numpy(),
    }


def _returning(outputs: dict[str, np.ndarray]) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """The model of a sensitivity analysis whose outputs are already computed."""
    return lambda _x: outputs


def _write(path: Path, frame: pd.DataFrame) -> Path:
    atomic_write_table(path, pa.Table.from_pandas(frame, preserve_index=False))
    return path


def choose_baseline(manifest: Mapping[str, Any], baseline: str | None = None) -> str:
    """Return the baseline scenario: ``baseline``, else the experiment's, else its first.

    Raises:
        ExperimentError: ``baseline`` names no scenario of the batch (with a suggestion).
    """
    names = list(manifest["scenarios"])
    chosen = baseline or manifest.get("baseline") or names[0]
    if chosen not in names:
        raise ExperimentError(
            f"unknown baseline scenario {chosen!r}",
            key="--baseline",
            expected="one of " + ", ".join(names),
            suggestion=suggest(chosen, names),
        )
    return chosen


def summarize(root: Path | str, baseline: str | None = None, bootstrap: int = 1000) -> Summary:
    """Write the summary tables of a batch result directory into ``DIR/summary/``.

    Args:
        root: The result directory.
        baseline: Scenario for differences (default: the experiment's baseline).
        bootstrap: Bootstrap resamples for the difference intervals (seeded by the root seed).

    Returns:
        The files written and notes on anything skipped.

    Raises:
        ExperimentError: No batch in ``root``, no finished run, or an unknown baseline.

    """
    root = Path(root)
    manifest = Store(root).finished_manifest()
    names = list(manifest["scenarios"])
    baseline = choose_baseline(manifest, baseline)
    runs = read_runs(root)
    if not (runs["status"] == "ok").any():
        raise ExperimentError(
            "no run finished ok",
            file=str(root / "runs.parquet"),
            expected="at least one run with status ok",
            suggestion="see the error column of runs.parquet; rerun with --retry-failed",
        )
    notes: list[str] = []
    out = root / "summary"
    out.mkdir(exist_ok=True)
    paths: dict[str, Path] = {}

    ok = runs[runs["status"] == "ok"]

    def load(table: str, columns: list[str], scenario: str) -> pd.DataFrame:
        frame = read_table(root, table, columns=columns, runs=ok[ok["scenario"] == scenario])
        return frame.astype({"scenario": str})

    # Directories written before the observation model lack polls and the score's parts.
    first = ok.iloc[0]
    has_polls = part_file(root, "polls", first["scenario"], first["part"]).exists()
    score_file = part_file(root, "soft_power", first["scenario"], first["part"])
    has_parts = {"familiarity", "reputation"} <= set(part_schema(score_file).names)
    if not has_polls:
        notes.append("no polls table (a batch from before the observation model): polls empty")
    if not has_parts:
        notes.append("no familiarity and reputation columns: their summaries are empty")

    # One scenario at a time (and the baseline, for the paired differences): memory grows with
    # the runs of two scenarios, not of the whole batch. Scenarios in sorted order give the same
    # tables as describing all at once.
    score_columns = ["scenario", "design_point", "replication", "step", "date", "iso3"]
    score_columns += ["score", "rank"]
    parts_of_score = ["familiarity", "reputation"]
    cell = ["scenario", "step", "date", "iso3"]
    present = sorted(set(ok["scenario"].unique()))
    if has_parts:
        score_columns += parts_of_score
    base = load("soft_power", score_columns, baseline) if baseline in present else None
    if base is None:
        notes.append(f"no ok run of baseline {baseline!r}: differences are empty")
    seed = int(manifest.get("seed", 0))
    design = Design.from_dict(manifest["design"])
    points = int(manifest["design"]["points"])
    parts: dict[str, list[pd.DataFrame]] = {
        "scores": [],
        "ranks": [],
        "differences": [],
        "attraction": [],
        "membership": [],
        "familiarity": [],
        "reputation": [],
        "polls": [],
    }
    outputs: dict[str, dict[str, np.ndarray] | None] = {}
    for name in present:
        scores = base if name == baseline else load("soft_power", score_columns, name)
        parts["scores"].append(describe(scores, cell, "score"))
        parts["ranks"].append(describe(scores, cell, "rank"))
        for column in parts_of_score:
            if has_parts:
                parts[column].append(describe(scores, cell, column))
        if base is not None and name != baseline:
            pair = pd.concat([base, scores], ignore_index=True)
            parts["differences"].append(
                paired_differences(pair, baseline, resamples=bootstrap, seed=seed)
            )
        if design.method in ("sobol", "morris"):
            outputs[name] = _last_step_outputs(scores, points)
        del scores
        perception = load(
            "perception", ["scenario", "step", "date", "observer", "target", "value"], name
        )
        parts["attraction"].append(
            describe(
                perception,
                ["scenario", "step", "date", "observer", "target"],
                "value",
                {"q05": 0.05, "q95": 0.95},
                n=False,
                sd=False,
            )
        )
        del perception
        if has_polls:
            polls = load(
                "polls", ["scenario", "step", "date", "observer", "target", "favourable"], name
            )
            parts["polls"].append(
                describe(
                    polls,
                    ["scenario", "step", "date", "observer", "target"],
                    "favourable",
                    n=False,
                    sd=False,
                )
            )
            del polls
        members = load("membership", ["scenario", "step", "date", "initiative", "members"], name)
        parts["membership"].append(
            describe(
                members,
                ["scenario", "step", "date", "initiative"],
                "members",
                {"q05": 0.05, "q95": 0.95},
                n=False,
                sd=False,
            )
        )
    if not parts["differences"]:
        parts["differences"].append(
            paired_differences(pd.DataFrame(columns=score_columns), baseline)
        )
    empty = {
        "familiarity": [*cell, "n", "mean", "sd", *QUANTILES],
        "reputation": [*cell, "n", "mean", "sd", *QUANTILES],
        "polls": ["scenario", "step", "date", "observer", "target", "mean", *QUANTILES],
    }
    for table, frames in parts.items():
        frame = (
            pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=empty[table])
        )
        paths[table] = _write(out / f"{table}.parquet", frame)

    if design.method in ("sobol", "morris"):
        frames = []
        for name in names:
            result = outputs.get(name)
            if result is None:
                notes.append(f"sensitivity of {name!r} skipped: some design points have no ok run")
                continue
            table = sensitivity(design, _returning(result))
            table.insert(0, "scenario", name)
            frames.append(table)
        table = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=_SENSITIVITY_COLUMNS)
        )
        paths["sensitivity"] = _write(out / "sensitivity.parquet", table)
    return Summary(paths, notes)
