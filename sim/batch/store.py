"""The result directory of a batch: streaming Parquet parts, the runs table, manifest and resume.

Layout (the contract the report reads; docs/batch.md)::

    DIR/experiment.yaml                      copy of the experiment file
    DIR/manifest.json                        experiment, design, scenarios, seeds, versions
    DIR/runs.parquet                         one row per run (status, error, traceback, seconds,
                                             part)
    DIR/<table>/scenario=<name>/<part>.parquet     soft_power, perception, audience, membership,
                                                  events

A *part* holds the rows of one or more runs of one scenario that finished ok together (a
worker writes the runs of one task at once: fewer, larger files). It is named after its first
run, so a part of one run is ``<run_id>.parquet``; each ok run's row in ``runs.parquet`` names
its part. Every file is written to a hidden temporary file in the same folder and moved into
place with `os.replace`, so a reader never sees a partial file. A part's files are written
before its runs' rows reach the runs journal (``DIR/runs.jsonl``, one JSON line per finished run,
appended); ``runs.parquet`` is rewritten atomically from the journal. Resume reads the journal:
runs whose status is ok are skipped, files of parts that no ok run names are deleted and their
runs rerun. A running batch holds an exclusive lock on ``DIR/.lock``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.errors import ExperimentError
from sim.version import __version__

__all__ = [
    "RUN_COLUMNS",
    "TABLES",
    "Store",
    "atomic_write_bytes",
    "atomic_write_table",
    "broken_part",
    "part_file",
    "part_schema",
    "part_files",
    "read_runs",
    "read_table",
    "remove_part_tables",
    "write_part_tables",
]

#: Per-run tables, each a folder of ``scenario=<name>/<part>.parquet`` files.
TABLES: tuple[str, ...] = ("soft_power", "perception", "polls", "audience", "membership", "events")

#: Columns of ``runs.parquet`` in order.
RUN_COLUMNS: tuple[str, ...] = (
    "run_id",
    "scenario",
    "design_point",
    "replication",
    "parameters",
    "seed",
    "status",
    "error",
    "traceback",
    "seconds",
    "part",
)

_RUNS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("scenario", pa.string()),
        ("design_point", pa.int64()),
        ("replication", pa.int64()),
        ("parameters", pa.string()),
        ("seed", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("traceback", pa.string()),
        ("seconds", pa.float64()),
        ("part", pa.string()),
    ]
)

_OWNED = ("experiment.yaml", "manifest.json", "runs.parquet", "runs.jsonl", "summary", *TABLES)
_LOCK = ".lock"  # held by the running batch (flock); never deleted, so the lock stays unique


def _temp_name(path: Path) -> Path:
    # Hidden (Arrow datasets and pandas skip names starting with "."), unique per process.
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and `os.replace`."""
    tmp = _temp_name(path)
    tmp.write_bytes(data)
    os.replace(tmp, path)


def atomic_write_table(path: Path, table: pa.Table) -> None:
    """Write an Arrow table as Parquet to ``path`` atomically."""
    tmp = _temp_name(path)
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def part_file(root: Path | str, table: str, scenario: str, part: str) -> Path:
    """Return the path of one part of ``table`` (``part``: the name of its first run)."""
    return Path(root) / table / f"scenario={scenario}" / f"{part}.parquet"


def write_part_tables(
    root: Path | str, scenario: str, part: str, tables: Mapping[str, pa.Table]
) -> None:
    """Write one part's tables, each atomically, into their scenario partitions."""
    for name, table in tables.items():
        path = part_file(root, name, scenario, part)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_table(path, table)


def remove_part_tables(root: Path | str, scenario: str, part: str) -> None:
    """Delete whatever files a part left (its writing failed); best effort."""
    for name in TABLES:
        # OSError: nothing was written there (e.g. the folder could not be created).
        with contextlib.suppress(OSError):
            part_file(root, name, scenario, part).unlink(missing_ok=True)


def _runs_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(RUN_COLUMNS))
    return frame.astype({"design_point": "int64", "replication": "int64", "seconds": "float64"})


def read_runs(root: Path | str) -> pd.DataFrame:
    """Return ``runs.parquet`` of a result directory (empty frame when no run finished yet).

    A directory written before runs were grouped into parts (no ``part`` column) reads with
    each ok run as its own part, which is how those directories were laid out.
    """
    path = Path(root) / "runs.parquet"
    if not path.exists():
        return _runs_frame([])
    try:
        runs = pd.read_parquet(path)
    except (OSError, pa.ArrowException) as exc:
        raise ExperimentError(
            f"corrupt or truncated runs table ({_reason(exc)})",
            file=str(path),
            expected="the Parquet file `softpower batch` writes",
            suggestion=f"rerun the same `softpower batch EXPERIMENT --out {Path(root)}` command: "
            "it resumes, rewrites runs.parquet from runs.jsonl and reruns only unfinished runs",
        ) from None
    if "part" not in runs:
        runs["part"] = runs["run_id"].where(runs["status"] == "ok", "")
    return runs


def part_files(root: Path | str, table: str, runs: pd.DataFrame) -> list[Path]:
    """Return the part files of ``table`` that hold the ok runs of ``runs``, each once, in the
    order their first run appears.
    """
    ok = runs[runs["status"] == "ok"]
    parts = dict.fromkeys(zip(ok["scenario"], ok["part"], strict=True))
    return [part_file(root, table, scenario, part) for scenario, part in parts]


def read_table(
    root: Path | str,
    table: str,
    columns: list[str] | None = None,
    runs: pd.DataFrame | None = None,
    filter: ds.Expression | None = None,
) -> pd.DataFrame:
    """Read one table over the runs whose status is ok (never orphans of unfinished runs).

    Args:
        root: The result directory.
        table: One of `TABLES`.
        columns: Columns to read (all when None).
        runs: The runs table (read from ``root`` when None).
        filter: An Arrow dataset filter on the rows.

    Returns:
        The rows of all ok runs, in runs-table order (each run's rows in the order it wrote
        them); ``scenario`` is categorical.

    """
    runs = read_runs(root) if runs is None else runs
    ok = runs[runs["status"] == "ok"]
    files = [str(f) for f in part_files(root, table, ok)]
    if not files:
        return pd.DataFrame(columns=columns or [])
    wanted = None if columns is None else list(dict.fromkeys([*columns, "run_id"]))
    try:
        data = ds.dataset(files, format="parquet").to_table(columns=wanted, filter=filter)
    except (OSError, pa.ArrowException) as exc:
        raise _part_error(root, files, exc) from None
    # Keep ok runs only, in runs-table order: a part may hold several runs.
    position = pc.index_in(data["run_id"], value_set=pa.array(ok["run_id"].astype(str)))
    keep = pc.is_valid(position)
    if not pc.all(keep).as_py():
        data, position = data.filter(keep), position.filter(keep)
    if len(position) > 1 and not pc.all(pc.greater_equal(position[1:], position[:-1])).as_py():
        data = data.take(pc.sort_indices(position))  # a stable sort
    if columns is not None and "run_id" not in columns:
        data = data.drop_columns(["run_id"])
    return data.to_pandas()


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


def broken_part(path: Path | str, *, full: bool = False) -> str | None:
    """Return why a part file cannot be read (missing, truncated, corrupt), or None if it can.

    Args:
        path: The part file.
        full: Read every row (finds a corrupt page), not only the footer (finds a truncation).

    """
    try:
        if full:
            pq.read_table(path)
        else:
            pq.read_metadata(path)
    except FileNotFoundError:
        return "missing"
    except (OSError, pa.ArrowException) as exc:
        return _reason(exc)
    return None


def _part_error(root: Path | str, files: list[str], exc: BaseException) -> ExperimentError:
    """Name the part that broke a read (the first that does not read) and how to recompute it."""
    bad, reason = None, _reason(exc)
    for full in (False, True):
        bad = next((f for f in files if broken_part(f, full=full)), None)
        if bad is not None:
            reason = broken_part(bad, full=full) or reason
            break
    return ExperimentError(
        f"corrupt or truncated result part ({reason})",
        file=str(bad or Path(root)),
        expected="the Parquet part `softpower batch` wrote",
        suggestion=f"rerun the same `softpower batch EXPERIMENT --out {Path(root)}` command: it "
        "resumes and recomputes only the runs of this part (no other result is lost)",
    )


def part_schema(path: Path | str) -> pa.Schema:
    """Return the schema of one part file.

    Raises:
        ExperimentError: The part is missing, truncated or corrupt (named, with how to
            recompute it).

    """
    try:
        return pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        root = Path(path).parents[2]
        raise _part_error(root, [str(path)], exc) from None


def _whole_parts(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Drop the ok rows of parts not all of whose runs reached the journal.

    A worker writes a part's runs together and the driver journals them one line each; a kill
    between those lines leaves a part file holding runs the journal does not know. Such a part
    counts as unfinished: its runs are run again and its file is deleted, so no run is read
    twice. Rows without ``part_size`` (journals from before parts) are parts of one run.
    """
    named = Counter((r["scenario"], r["part"]) for r in rows.values() if r["status"] == "ok")
    return {
        k: r
        for k, r in rows.items()
        if r["status"] != "ok" or named[(r["scenario"], r["part"])] == r.get("part_size", 1)
    }


class Store:
    """A batch result directory: start, journal finished runs, consolidate, resume.

    Args:
        root: The directory.
        min_interval: Least seconds between two rewrites of ``runs.parquet`` while a batch runs
            (the journal is always current; ``runs.parquet`` is rewritten at the end).

    """

    def __init__(self, root: Path | str, min_interval: float = 2.0) -> None:
        self.root = Path(root)
        self.min_interval = min_interval
        self.rows: dict[str, dict[str, Any]] = {}
        self._order: dict[str, int] = {}
        self._last_write = 0.0
        self._journal: TextIO | None = None
        self._lock_file: TextIO | None = None

    # ------------------------------------------------------------------ paths
    @property
    def manifest_path(self) -> Path:
        """``DIR/manifest.json``."""
        return self.root / "manifest.json"

    @property
    def journal_path(self) -> Path:
        """``DIR/runs.jsonl``: the append-only record of finished runs."""
        return self.root / "runs.jsonl"

    def manifest(self) -> dict[str, Any] | None:
        """Return the manifest, or None in a new directory."""
        if not self.manifest_path.exists():
            return None
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def finished_manifest(self, key: str | None = None) -> dict[str, Any]:
        """Return the manifest of the batch written here, for reading its results.

        Args:
            key: The option that named the directory (e.g. ``--batch``), for the message.

        Raises:
            ExperimentError: No batch here (no directory, or no ``manifest.json`` in it).

        """
        manifest = self.manifest() if self.root.is_dir() else None
        if manifest is None:
            raise ExperimentError(
                "no batch results here",
                file=str(self.root),
                key=key,
                expected="a directory written by `softpower batch` (with manifest.json)",
                suggestion="run `softpower batch EXPERIMENT.yaml --out DIR` first",
            )
        return manifest

    # ------------------------------------------------------------------ start / resume
    def open(
        self,
        experiment_file: Path | str,
        manifest: dict[str, Any],
        order: Iterable[str],
        *,
        force: bool = False,
    ) -> dict[str, dict[str, Any]]:
        """Start or resume a batch in this directory and return the runs finished so far.

        Args:
            experiment_file: The experiment file (copied to ``DIR/experiment.yaml``).
            manifest: The manifest of this invocation (must hold ``experiment_sha256`` and
                ``scenarios`` with each ``hash``).
            order: Every run id of the experiment in canonical order (the row order of
                ``runs.parquet``).
            force: Delete previous results and start anew.

        Returns:
            Finished runs by run id (their journal rows).

        Raises:
            ExperimentError: The directory holds results of another experiment file or other
                scenarios (without ``force``), or is a non-empty folder that is no batch.

        """
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            return self._open(experiment_file, manifest, order, force)
        except BaseException:
            self.close()
            raise

    def _open(self, experiment_file, manifest, order, force) -> dict[str, dict[str, Any]]:
        old = self.manifest()
        if force:
            self.clear()
            old = None
        elif old is None and any(p.name not in (*_OWNED, _LOCK) for p in self.root.iterdir()):
            raise ExperimentError(
                "output directory is not empty and holds no batch",
                file=str(self.root),
                expected="a new or empty directory, or one written by `softpower batch`",
                suggestion="choose another --out",
            )
        elif old is not None:
            self._check_same(old, manifest, experiment_file)
        if old is None:
            self.clear()
            atomic_write_bytes(self.root / "experiment.yaml", Path(experiment_file).read_bytes())
        else:
            manifest = {**manifest, "created": old.get("created", manifest.get("created"))}
        self.write_manifest(manifest)
        self._order = {run_id: i for i, run_id in enumerate(order)}
        rows = {k: v for k, v in self._read_journal().items() if k in self._order}
        self.rows = self._readable_parts(_whole_parts(rows))
        self._clean({(v["scenario"], v["part"]) for v in self.rows.values() if v["status"] == "ok"})
        # Compact the journal (retries leave several lines per run) before appending to it.
        atomic_write_bytes(
            self.journal_path, "".join(json.dumps(r) + "\n" for r in self._sorted()).encode()
        )
        if self.rows:
            self.consolidate()
        return dict(self.rows)

    def _readable_parts(self, rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Drop the ok rows of parts whose files are missing, truncated or corrupt (their
        footers do not read): those runs are rerun and the files replaced.
        """
        parts = {(r["scenario"], r["part"]) for r in rows.values() if r["status"] == "ok"}
        broken = set()
        for scenario, part in parts:
            score = part_file(self.root, "soft_power", scenario, part)
            files = [part_file(self.root, t, scenario, part) for t in TABLES]
            if not score.exists() or any(f.exists() and broken_part(f) for f in files):
                broken.add((scenario, part))
        return {
            k: r
            for k, r in rows.items()
            if r["status"] != "ok" or (r["scenario"], r["part"]) not in broken
        }

    def _lock(self) -> None:
        """Hold an exclusive lock on ``DIR/.lock`` until `close` (or the process ends)."""
        import fcntl

        self._lock_file = (self.root / _LOCK).open("a")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            self._lock_file = None
            raise ExperimentError(
                "another batch is writing to this directory",
                file=str(self.root),
                expected="one batch per result directory at a time",
                suggestion="wait for it to finish, or choose another --out",
            ) from None

    def _check_same(self, old: dict[str, Any], new: dict[str, Any], experiment_file) -> None:
        if old.get("experiment_sha256") != new.get("experiment_sha256"):
            raise ExperimentError(
                f"the experiment file changed since {self.root} was started",
                file=str(experiment_file),
                expected=f"the file that {self.root}/experiment.yaml copies",
                suggestion="use --force to start anew, or another --out",
            )
        ensemble = [(m.get("parameter_ensemble") or {}).get("sha256") for m in (old, new)]
        if ensemble[0] != ensemble[1]:
            raise ExperimentError(
                f"the parameter ensemble changed since {self.root} was started",
                file=str((new.get("parameter_ensemble") or {}).get("path", experiment_file)),
                expected="the ensemble as recorded in manifest.json",
                suggestion="use --force to start anew, or another --out",
            )
        for name, info in new.get("scenarios", {}).items():
            before = old.get("scenarios", {}).get(name, {}).get("hash")
            if before != info.get("hash"):
                raise ExperimentError(
                    f"scenario {name!r} changed since {self.root} was started",
                    file=info.get("path"),
                    expected="the scenario as recorded in manifest.json",
                    suggestion="use --force to start anew, or another --out",
                )

    def clear(self) -> None:
        """Delete every file this store owns (never other files in the directory)."""
        for name in _OWNED:
            path = self.root / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()

    def _clean(self, parts: set[tuple[str, str]]) -> None:
        """Delete temporary files and part files that no ok run names."""
        for table in TABLES:
            folder = self.root / table
            if not folder.is_dir():
                continue
            for partition in folder.iterdir():
                if not partition.is_dir():
                    continue
                scenario = partition.name.removeprefix("scenario=")
                for f in partition.iterdir():
                    named = f.suffix == ".parquet" and (scenario, f.stem) in parts
                    if f.name.startswith(".") or not named:
                        f.unlink()
        for f in self.root.glob(".*.tmp"):
            f.unlink()

    def _read_journal(self) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        if not self.journal_path.exists():
            return rows
        with self.journal_path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a kill: that run is simply rerun
                if isinstance(row, dict) and "run_id" in row and "status" in row:
                    # Journals written before parts: an ok run was its own part.
                    ok = row["status"] == "ok"
                    row.setdefault("part", row["run_id"] if ok else "")
                    rows[row["run_id"]] = row
        return rows

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write ``manifest.json`` atomically."""
        manifest = {"package_version": __version__, **manifest}
        text = json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n"
        atomic_write_bytes(self.manifest_path, text.encode())

    # ------------------------------------------------------------------ while running
    def record(self, row: Mapping[str, Any]) -> None:
        """Journal a finished run (its part's files must already be written).

        The journal line also holds ``part_size``, the number of runs in the run's part, so that
        resume can tell a part whose rows were all journalled from one cut short by a kill.
        """
        row = {k: row[k] for k in (*RUN_COLUMNS, "part_size") if k in row}
        self.rows[row["run_id"]] = row
        if self._journal is None:
            self._journal = self.journal_path.open("a", encoding="utf-8")
        self._journal.write(json.dumps(row) + "\n")
        self._journal.flush()
        now = time.monotonic()
        if now - self._last_write >= self.min_interval:
            self.consolidate()

    def _sorted(self) -> list[dict[str, Any]]:
        big = len(self._order)
        return sorted(self.rows.values(), key=lambda r: self._order.get(r["run_id"], big))

    def consolidate(self) -> None:
        """Rewrite ``runs.parquet`` atomically from the finished runs, in canonical order."""
        table = pa.Table.from_pandas(
            _runs_frame(self._sorted()), schema=_RUNS_SCHEMA, preserve_index=False
        )
        atomic_write_table(self.root / "runs.parquet", table)
        self._last_write = time.monotonic()

    def close(self) -> None:
        """Consolidate ``runs.parquet``, close the journal and release the directory."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self.rows:
            self.consolidate()
        if self._lock_file is not None:
            self._lock_file.close()  # closing releases the lock
            self._lock_file = None
