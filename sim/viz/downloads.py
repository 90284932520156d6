"""Downloads of a run: its tables as CSV files in one zip, as ``softpower run`` writes them, and
`Download`, the button of every download of the page (tables, chart, map).

The zip holds ``soft_power.csv``, ``perception.csv``, ``polls.csv``, ``events.csv`` and
``manifest.json`` up to the quarter the run has reached (`sim.batch.tables.write_run`), read
holding the model's lock so a download taken during Play is one whole step.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import solara

from sim.batch.tables import write_run
from sim.model.model import SoftPowerModel
from sim.viz.app_model import model_lock

__all__ = ["Download", "run_zip", "zip_name"]


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


@solara.component
def Download(make: Callable[[], bytes], filename: str, label: str, mime_type: str):
    """A download button whose file is made when it is clicked, from what the page shows then.

    Solara's ``FileDownload`` starts a thread each time its data changes, and its result
    redraws the page once more: with the chart's picture, the map's file or the run's tables as
    its data, every step of Play cost one to three threads and as many extra passes over the
    whole page (eight students at once waited twice as long for the last quarter, issue 24).
    Here the data is one callable per button that calls the latest ``make``, so a step starts
    no thread and only a click makes the file.

    Args:
        make: Returns the file's bytes (called in a thread when the button is clicked).
        filename: The file's name.
        label: The button's text.
        mime_type: The file's type.
    """
    latest = solara.use_ref(make)
    latest.current = make
    made = solara.use_memo(lambda: lambda: latest.current(), [])
    return solara.FileDownload(made, filename=filename, label=label, mime_type=mime_type)
