"""Downloads of a run: its tables as CSV files in one zip, as ``softpower run`` writes them.

The zip holds ``soft_power.csv``, ``perception.csv``, ``polls.csv``, ``events.csv`` and
``manifest.json`` up to the quarter the run has reached (`sim.batch.tables.write_run`), read
holding the model's lock so a download taken during Play is one whole step.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from sim.batch.tables import write_run
from sim.model.model import SoftPowerModel
from sim.viz.app_model import model_lock

__all__ = ["run_zip", "zip_name"]


def zip_name(model: SoftPowerModel) -> str:
    """Return the file name of a run's zip: scenario, world and seed (its manifest says how
    many quarters it holds).
    """
    scenario = getattr(model, "scenario_name", model.spec.name) or "run"
    world = getattr(model, "world_name", "world")
    seed = getattr(model, "seed", 0)
    return f"softpower_{scenario}_{world}_seed{seed}.zip"


def run_zip(model: SoftPowerModel) -> bytes:
    """Return the run's tables and manifest as a zip, in a folder named after the run."""
    folder = zip_name(model).removesuffix(".zip")
    buffer = io.BytesIO()
    with model_lock(model), tempfile.TemporaryDirectory(prefix="softpower-app-") as tmp:
        out = Path(tmp)
        write_run(model, out, getattr(model, "seed", None), wall_time=0.0)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.iterdir()):
                archive.write(path, arcname=f"{folder}/{path.name}")
    return buffer.getvalue()
