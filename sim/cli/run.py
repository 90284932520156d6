"""The ``softpower run`` and ``softpower params`` commands, and what only they need: the
perception targets a run records (`run_targets`) and the top-15 table it prints (`top_table`).

Thin: the model is `sim.model.model.SoftPowerModel`, its files are written by
`sim.batch.tables.write_run` (which the app's download shares).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
import numpy as np

from sim.cli.options import (
    horizon_option,
    out_dir_option,
    params_file_option,
    read_params_file,
    seed_option,
    world_option,
    writable_dir,
)
from sim.errors import SoftPowerError

if TYPE_CHECKING:
    from sim.model.model import SoftPowerModel
    from sim.world.world import World

__all__ = ["RUN_TARGETS", "params", "run", "run_targets", "top_table"]

#: Perception and poll targets `softpower run` records by default, per world (every actor when
#: the world is not listed). At 196 nations all pairs are ~100 MB of CSV a run.
RUN_TARGETS: dict[str, tuple[str, ...]] = {
    "un193": ("USA", "CHN", "RUS", "GBR", "FRA", "DEU", "JPN", "IND", "BRA", "TUR", "SAU", "ZAF"),
}


def run_targets(option: str | None, world: World) -> tuple[str, ...] | None:
    """Return the perception and poll targets a run records (None: every actor).

    Args:
        option: ``softpower run --targets``: ``ISO3,...``, ``all``, or None for `RUN_TARGETS`
            of the world.
        world: The world of the run (a bundled world for the defaults of `RUN_TARGETS`).

    Returns:
        The targets, in the order given, without repeats; None for every actor.

    Raises:
        SoftPowerError: An unknown nation (with the closest code) or an empty list.

    Example:
        >>> from sim.world.bundled import bundled_world
        >>> run_targets("usa, CHN,USA", bundled_world("core60"))
        ('USA', 'CHN')
    """
    from sim.world.bundled import check_nations, loaded_name

    if option is None:
        return RUN_TARGETS.get(loaded_name(world) or "")
    if option.strip().lower() == "all":
        return None
    codes = tuple(dict.fromkeys(c.strip().upper() for c in option.split(",") if c.strip()))
    check_nations(
        codes,
        world,
        key="--targets",
        expected="comma-separated ISO3 codes of the world's nations, or all",
    )
    if not codes:
        raise SoftPowerError("no nation", key="--targets", expected="e.g. USA,CHN, or all")
    return codes


def top_table(model: SoftPowerModel, n: int = 15) -> str:
    """Return the top ``n`` nations at the last step as text: rank, score, change and rank
    change since the start.

    Args:
        model: A run model (`SoftPowerModel`).
        n: How many nations.

    Returns:
        A header line and one line per nation.
    """
    rec = model.recorder
    last = model.steps
    score, rank = rec.score[last], rec.rank[last]
    order = np.argsort(rank)[:n]
    lines = [f"{'rank':>4}  {'nation':<6} {'score':>6}  {'change':>7}  {'rank Δ':>6}"]
    for i in order:
        delta = score[i] - rec.score[0, i]
        moved = int(rec.rank[0, i] - rank[i])
        arrow = f"{moved:+d}" if moved else "="
        lines.append(f"{rank[i]:>4}  {model.iso3[i]:<6} {score[i]:6.1f}  {delta:+7.2f}  {arrow:>6}")
    return "\n".join(lines)


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@out_dir_option()
@seed_option(0, "Root seed of the run.")
@horizon_option()
@click.option(
    "--record-every",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Record perception every K steps (the last step always).",
)
@params_file_option("YAML/JSON file of parameter values (e.g. written by `softpower calibrate`).")
@click.option("--quiet", is_flag=True, help="Do not print the top-15 table.")
@world_option()
@click.option(
    "--targets",
    default=None,
    metavar="ISO3,...|all",
    help="Targets of perception.csv and polls.csv (every observer toward each). Default: all "
    "for core60; for un193 USA,CHN,RUS,GBR,FRA,DEU,JPN,IND,BRA,TUR,SAU,ZAF.",
)
def run(
    scenario: Path,
    out: Path,
    seed: int,
    steps: int | None,
    record_every: int,
    params_file: Path | None,
    quiet: bool,
    world: str | None,
    targets: str | None,
) -> None:
    """Run one SCENARIO; write soft_power, perception, polls and events (CSV) and manifest.json."""
    from sim.scenario.scenario import load_scenario
    from sim.world.bundled import bundled_world

    spec = load_scenario(scenario, world)
    base = read_params_file(params_file)
    chosen_targets = run_targets(targets, bundled_world(spec.world))
    out = writable_dir(out)
    # Imported after the inputs are checked: Mesa takes seconds to import, a bad file should not.
    from sim.batch.executor import keep_freed_memory
    from sim.batch.tables import write_run
    from sim.model.model import SoftPowerModel

    keep_freed_memory()  # a one-run process: reuse freed arrays' memory (15 % of a un193 run)
    start = time.perf_counter()
    model = SoftPowerModel(
        world=bundled_world(spec.world),
        scenario=spec,
        parameters=base,
        rng=np.random.SeedSequence(seed),
        record_every=record_every,
        steps=steps,
    )
    model.run()
    wall = time.perf_counter() - start
    write_run(model, out, seed, wall, chosen_targets)
    if not quiet:
        click.echo(f"{spec.title} — {spec.date(0)} to {spec.date(model.steps)}, seed {seed}")
        click.echo(top_table(model))
        click.echo(
            f"wrote {out}/soft_power.csv, perception.csv, polls.csv, events.csv, manifest.json "
            f"({wall:.2f} s)"
        )


@click.command()
def params() -> None:
    """List the model parameters: name, default, range, unit and meaning."""
    from sim.params import REGISTRY

    for p in REGISTRY.values():
        click.echo(f"{p.name:<28} {p.default!s:>7}  [{p.low}, {p.high}] {p.unit:<10} {p.meaning}")
