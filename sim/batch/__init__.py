"""Batch experiments: experiment files and designs, executors, the runner, the table builder
and the streaming Parquet store (docs/architecture.md §3; docs/batch.md).
"""

from sim.batch.experiment import Experiment, RunSpec, load_experiment, seed_sequence
from sim.batch.runner import BatchReport, run_batch
from sim.batch.store import TABLES, Store, read_runs, read_table
from sim.batch.tables import TABLE_COLUMNS, run_tables

__all__ = [
    "TABLES",
    "TABLE_COLUMNS",
    "BatchReport",
    "Experiment",
    "RunSpec",
    "Store",
    "load_experiment",
    "read_runs",
    "read_table",
    "run_batch",
    "run_tables",
    "seed_sequence",
]
