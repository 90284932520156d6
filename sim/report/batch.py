"""What a report reads: a batch directory's manifest, runs and summary tables (`load_batch`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow.dataset as ds

from sim.batch.store import part_file, read_runs, read_table
from sim.errors import ExperimentError, SoftPowerError

if TYPE_CHECKING:  # matplotlib is imported when figures are drawn, so bad input fails fast
    from sim.world.world import World

__all__ = ["SUMMARY_TABLES", "Batch", "load_batch"]


#: Summary tables the report reads (``DIR/summary/<name>.parquet``).
SUMMARY_TABLES: tuple[str, ...] = (
    "scores",
    "ranks",
    "differences",
    "attraction",
    "membership",
    "polls",
)


_NOT_A_BATCH = "a folder written by `softpower batch` (manifest.json, runs.parquet, soft_power/)"


_BATCH_HINT = "run `softpower batch EXPERIMENT.yaml --out DIR` first"


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

    @property
    def world(self) -> World:
        """The bundled world the batch ran on (the manifest's ``world``), for names, regions,
        sources and any rerun; the default world when the manifest names none (an older
        batch) or a world that is not bundled (a custom folder).
        """
        from sim.world.bundled import bundled_world

        try:
            return bundled_world(self.manifest.get("world"))
        except SoftPowerError:
            return bundled_world()

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

    The summary is (re)written by `sim.analysis.summary.summarize` when it is missing, older than
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
    from sim.analysis.summary import choose_baseline, summarize

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
