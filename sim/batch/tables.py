"""One table builder: a finished run's recorded arrays as Arrow tables (the columns of
docs/architecture.md §3), and the files of a single run (`write_run`: `softpower run` and the
app's download).

`run_tables` serves both ``softpower run`` (which writes the tables as CSV) and the batch store
(which prefixes each row with the run's keys and writes Parquet parts). The model itself only
records arrays (`sim.model.record.Recorder`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim.axes import AUDIENCES
from sim.model import observe
from sim.model.model import SoftPowerModel
from sim.version import __version__
from sim.world.bundled import loaded_name

__all__ = ["TABLE_COLUMNS", "run_tables", "with_keys", "write_run"]

#: Columns of each table, after the run keys a batch adds in front.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "soft_power": ("step", "date", "iso3", "score", "rank", "familiarity", "reputation"),
    "perception": ("step", "date", "observer", "target", "value"),
    "polls": ("step", "date", "observer", "target", "favourable"),
    "audience": ("step", "date", "observer", "audience", "target", "value"),
    "membership": ("step", "date", "initiative", "members"),
    "events": ("step", "date", "kind", "actor", "target", "detail"),
}


def _labels(labels: Sequence[Any], index: np.ndarray) -> pa.Array:
    """Return the string column ``labels[index]``, built in Arrow (numpy strings convert slowly)."""
    return pa.array([str(v) for v in labels], pa.string()).take(pa.array(index, pa.int64()))


def with_keys(keys: Mapping[str, Any], table: pa.Table) -> pa.Table:
    """Return ``table`` with constant key columns (run id, scenario, seed, ...) in front.

    Args:
        keys: ``{column: (value, Arrow type)}``; a `pa.DictionaryType` key is dictionary-encoded
            (as a hive partition key it repeats, so the folder then reads whole).
        table: A table of `run_tables`.

    """
    length = table.num_rows
    zeros = pa.array(np.zeros(length, dtype=np.int32))
    columns: dict[str, pa.Array] = {}
    for name, (value, kind) in keys.items():
        if pa.types.is_dictionary(kind):
            columns[name] = pa.DictionaryArray.from_arrays(zeros, pa.array([value]))
        elif pa.types.is_integer(kind):
            columns[name] = pa.array(np.full(length, value, dtype=np.int64))
        else:
            columns[name] = pa.array([value], kind).take(zeros)
    for name in table.column_names:
        columns[name] = table.column(name)
    return pa.table(columns)


def run_tables(
    model: SoftPowerModel, perception_targets: Sequence[str] | None = None
) -> dict[str, pa.Table]:
    """Return a run's tables: ``soft_power``, ``perception``, ``polls``, ``audience``,
    ``membership``, ``events`` (columns `TABLE_COLUMNS`), up to the step the model has reached.

    Args:
        model: A `SoftPowerModel` (run or part-run).
        perception_targets: Targets whose attraction (``perception``) and favourable share
            (``polls``) are kept (all when None).

    Returns:
        ``{table name: Arrow table}``.

    """
    rec, n, last = model.recorder, model.n, model.steps
    date = model.plan.date
    iso3 = np.array(model.iso3)
    every = np.arange(last + 1)
    tables = {
        "soft_power": pa.table(
            {
                "step": np.repeat(every, n).astype(np.int64),
                "date": _labels([date(s) for s in range(last + 1)], np.repeat(every, n)),
                "iso3": _labels(model.iso3, np.tile(np.arange(n), last + 1)),
                "score": rec.score[: last + 1].ravel(),
                "rank": rec.rank[: last + 1].ravel(),
                "familiarity": rec.familiarity[: last + 1].ravel(),
                "reputation": rec.reputation[: last + 1].ravel(),
            }
        )
    }

    slots = [(i, s) for i, s in enumerate(rec.steps) if s <= last]
    slot_steps = np.array([s for _, s in slots], dtype=np.int64)
    slot_dates = [date(s) for _, s in slots]
    wanted = (
        np.ones(n, dtype=bool)
        if perception_targets is None
        else np.isin(iso3, list(perception_targets))
    )
    mask = ~np.eye(n, dtype=bool) & wanted[None, :]
    obs, tgt = np.nonzero(mask)
    m = len(obs)
    pairs = {
        "step": np.repeat(slot_steps, m),
        "date": _labels(slot_dates, np.repeat(np.arange(len(slots)), m)),
        "observer": _labels(model.iso3, np.tile(obs, len(slots))),
        "target": _labels(model.iso3, np.tile(tgt, len(slots))),
    }
    value = (
        np.concatenate([rec.attraction[i][obs, tgt] for i, _ in slots]) if slots else np.zeros(0)
    )
    tables["perception"] = pa.table({**pairs, "value": value})
    # Favourable shares are the observation link of the same attraction (`observe.favourable`),
    # with the assimilated start's offset at each step (`SoftPowerModel.opinion_offset_at`).
    offset = (
        np.concatenate(
            [np.broadcast_to(model.opinion_offset_at(s), (n, n))[obs, tgt] for _, s in slots]
        )
        if slots
        else np.zeros(0)
    )
    tables["polls"] = pa.table(
        {**pairs, "favourable": observe.favourable(value, model.parameters, offset)}
    )

    t, a = len(rec.targets), len(AUDIENCES)
    block = n * a * t  # rows per recorded step: target, then audience, then observer
    values = rec.audience[[i for i, _ in slots]]  # (slot, observer, audience, target)
    tables["audience"] = pa.table(
        {
            "step": np.repeat(slot_steps, block),
            "date": _labels(slot_dates, np.repeat(np.arange(len(slots)), block)),
            "observer": _labels(model.iso3, np.tile(np.arange(n), len(slots) * t * a)),
            "audience": _labels(AUDIENCES, np.tile(np.repeat(np.arange(a), n), len(slots) * t)),
            "target": _labels(rec.targets, np.tile(np.repeat(np.arange(t), a * n), len(slots))),
            "value": values.transpose(0, 3, 2, 1).ravel(),
        }
    )

    tables["membership"] = pa.table(
        {
            "step": every.astype(np.int64),
            "date": _labels([date(s) for s in range(last + 1)], every),
            "initiative": _labels(["BRI"], np.zeros(last + 1, dtype=np.int64)),
            "members": rec.members[: last + 1].sum(axis=1).astype(np.int64),
        }
    )
    steps, kinds, actors, targets, details = list(zip(*rec.events, strict=True)) or [()] * 5
    tables["events"] = pa.table(
        {
            "step": pa.array(steps, pa.int64()),
            "date": pa.array([date(s) for s in steps], pa.string()),
            "kind": pa.array([str(v) for v in kinds], pa.string()),
            "actor": pa.array([str(v) for v in actors], pa.string()),
            "target": pa.array([str(v) for v in targets], pa.string()),
            "detail": pa.array([str(v) for v in details], pa.string()),
        }
    )
    return tables


def write_run(
    model: SoftPowerModel,
    out: Path,
    seed: int | None,
    wall_time: float,
    targets: tuple[str, ...] | None = None,
) -> dict:
    """Write a single run's files (docs/architecture.md §3) and return the manifest.

    The files: soft_power.csv, perception.csv, polls.csv, events.csv and manifest.json;
    perception.csv and polls.csv hold the pairs toward ``targets`` only (every actor when None).
    """
    rec = model.recorder
    tables = run_tables(model, targets)
    for name in ("soft_power", "perception", "polls", "events"):
        frame = tables[name].to_pandas()
        frame.to_csv(out / f"{name}.csv", index=False, float_format="%.10g")
    manifest = {
        "scenario": model.spec.as_loaded,
        "scenario_file": model.spec.path,
        "scenario_hash": model.spec.hash,
        "world": loaded_name(model.world) or "custom",
        "seed": seed,
        "steps": model.steps,
        "record_every": rec.steps[1] - rec.steps[0] if len(rec.steps) > 1 else 1,
        "perception_targets": list(targets) if targets is not None else "all",
        "package_version": __version__,
        "parameters": model.parameters.to_dict(),
        "data_flags": len(model.world.flags),
        "opinion_start": model.opinion_sources(),
        "wall_time_seconds": round(wall_time, 4),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
