"""The Python API for notebooks: load a world and a scenario, run with a seed, get DataFrames.

Everything here is also reachable from the ``sim`` package itself (``import sim; sim.run(...)``).
See docs/api.md; the examples below are executed by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.analysis.summary import summarize
from sim.batch.experiment import load_experiment
from sim.batch.runner import BatchReport, run_batch
from sim.batch.store import read_table
from sim.batch.tables import run_tables
from sim.model.model import SoftPowerModel
from sim.params import Parameters
from sim.scenario.scenario import Scenario, baseline_scenario, load_scenario
from sim.world.bundled import bundled_world
from sim.world.world import World

__all__ = [
    "RunResult",
    "load_scenario",
    "load_world",
    "results",
    "run",
    "run_experiment",
    "summary",
]


def load_world(data_dir: str | Path | None = None) -> World:
    """Return the bundled world (shared, loaded once) or the world of another data folder.

    Example:
        >>> import sim
        >>> world = sim.load_world()
        >>> world.n, "USA" in world.iso3
        (196, True)

    """
    return bundled_world() if data_dir is None else World.load(data_dir)


@dataclass(frozen=True)
class RunResult:
    """A finished run and its tables as pandas DataFrames (columns as in docs/architecture.md §3).

    Attributes:
        model: The `SoftPowerModel` after its last step.
        soft_power: ``step,date,iso3,score,rank,familiarity,reputation``.
        perception: ``step,date,observer,target,value`` (attraction in [-1, 1]).
        polls: ``step,date,observer,target,favourable`` (predicted favourable %, 0-100).
        events: ``step,date,kind,actor,target,detail``.
        seed: The seed of the run.

    """

    model: SoftPowerModel
    soft_power: pd.DataFrame
    perception: pd.DataFrame
    polls: pd.DataFrame
    events: pd.DataFrame
    seed: int | None

    def final_scores(self) -> pd.Series:
        """Return the score of each nation at the last step, highest first."""
        last = self.soft_power[self.soft_power["step"] == self.model.steps]
        return last.set_index("iso3")["score"].sort_values(ascending=False)


def run(
    scenario: str | Path | Scenario | None = None,
    *,
    seed: int | None = 1,
    steps: int | None = None,
    world: World | None = None,
    parameters: Parameters | None = None,
) -> RunResult:
    """Run a scenario (a file, a loaded `Scenario`, or None for the baseline) with a seed.

    The same scenario and seed give bit-identical tables, and the same as
    ``softpower run SCENARIO --seed N``.

    Example:
        >>> import sim
        >>> result = sim.run("scenarios/us_aid_cuts.yaml", seed=1, steps=4)
        >>> list(result.soft_power.columns)
        ['step', 'date', 'iso3', 'score', 'rank', 'familiarity', 'reputation']
        >>> result.soft_power["step"].max(), result.final_scores().index[0] in result.model.iso3
        (np.int64(4), True)

    """
    world = world if world is not None else bundled_world()
    if scenario is None:
        scenario = baseline_scenario()
    elif not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, world)
    model = SoftPowerModel(world, scenario, parameters=parameters, rng=seed, steps=steps).run()
    tables = {name: table.to_pandas() for name, table in run_tables(model).items()}
    return RunResult(
        model,
        tables["soft_power"],
        tables["perception"],
        tables["polls"],
        tables["events"],
        seed,
    )


def run_experiment(experiment: str | Path, out: str | Path, *, workers: int = 1) -> BatchReport:
    """Run (or resume) a batch experiment into ``out`` and return what it did.

    Example:
        >>> import sim, tempfile
        >>> out = tempfile.mkdtemp()
        >>> report = sim.run_experiment("tests/data/tiny_experiment.yaml", out)
        >>> report.total == report.ok
        True

    """
    return run_batch(load_experiment(experiment), Path(out), workers=workers, progress=False)


def results(out: str | Path, table: str = "soft_power") -> pd.DataFrame:
    """Return one table of a batch directory as a DataFrame (ok runs, in run order).

    Example:
        >>> import sim
        >>> frame = sim.results(out)
        >>> {"run_id", "scenario", "seed", "score"} <= set(frame.columns)
        True

    """
    return read_table(Path(out), table)


def summary(out: str | Path, baseline: str | None = None) -> dict[str, pd.DataFrame]:
    """Summarise a batch (quantiles over seeds, paired differences against the baseline) and
    return its summary tables by name (as ``softpower summarize`` writes them).

    Example:
        >>> import sim
        >>> tables = sim.summary(out)
        >>> {"scores", "differences"} <= set(tables)
        True

    """
    written = summarize(Path(out), baseline=baseline)
    return {name: pd.read_parquet(path) for name, path in written.paths.items()}
