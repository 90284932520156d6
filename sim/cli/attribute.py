"""The ``softpower attribute`` command: a scenario's change split among its events, for one
scenario and seeds, or over a batch's runs as the report does.

Thin: the work is in `sim.analysis.attribution` and `sim.analysis.batch_attribution`. Bad input
raises a `SoftPowerError`, which the ``softpower`` group turns into one stderr line and exit
code 2.
"""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource

from sim.cli.options import (
    nation_list,
    out_dir_option,
    params_file_option,
    read_params_file,
    seed_option,
    workers_option,
    world_option,
    writable_dir,
)
from sim.errors import SoftPowerError

__all__ = ["attribute"]

#: Options of the one-scenario mode that a batch's runs fix themselves.
_SINGLE_ONLY = ("seed", "step", "replications", "params_file", "world")


def _runs_count(text: str | None) -> int | None:
    """``--runs``: None (as the report), ``all`` (every paired run) or a positive count."""
    if text is None:
        return None
    if text.strip().lower() == "all":
        return 10**9
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise SoftPowerError(
            f"--runs {text!r}", key="--runs", expected="a positive number of runs, or all"
        )
    return count


@click.command()
@click.argument("scenario", required=False, type=click.Path(path_type=Path))
@out_dir_option()
@click.option(
    "--batch",
    "batch_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Attribute a batch's scenarios over the runs its summary averages (each run's seed "
    "and parameters), as the report's waterfalls do; SCENARIO is then left out.",
)
@click.option(
    "--scenario",
    "batch_scenario",
    default=None,
    metavar="NAME",
    help="With --batch: the scenario to attribute (default: every one but the baseline).",
)
@click.option(
    "--runs",
    "runs_text",
    default=None,
    metavar="N|all",
    help="With --batch: runs to average over, a subset drawn with the batch's seed, or all "
    "(default: as the report, as many as 256 model runs per scenario afford).",
)
@click.option(
    "--baseline",
    default=None,
    metavar="NAME",
    help="With --batch: the baseline scenario (default: the experiment's).",
)
@seed_option(0, "Seed (as `run --seed`).")
@click.option("--step", type=click.IntRange(1), default=None, help="Step (default: the last).")
@click.option(
    "--nations",
    default="USA,CHN",
    show_default=True,
    help="Focus nations: a waterfall each, and favourable/attraction toward them by region.",
)
@click.option(
    "--replications",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Seeds SEED, SEED+1, ...; every coalition is averaged over them.",
)
@click.option(
    "--by",
    type=click.Choice(["event", "file", "kind"]),
    default=None,
    help="Components: each event, each included file, or each event kind and year (default: "
    "event; with --batch, as the report chooses).",
)
@click.option(
    "--max-exact",
    type=click.IntRange(0, 14),
    default=8,
    show_default=True,
    help="Run all 2^n coalitions up to this many components; sample orderings beyond.",
)
@click.option(
    "--permutations",
    type=click.IntRange(2),
    default=16,
    show_default=True,
    help="Orderings sampled beyond --max-exact (the effects still sum exactly).",
)
@workers_option("Processes (default: all cores).", default=None)
@params_file_option("Parameter file (as `run --params-file`) under every run.")
@world_option()
@click.pass_context
def attribute(
    ctx: click.Context,
    scenario: Path | None,
    out: Path,
    batch_dir: Path | None,
    batch_scenario: str | None,
    runs_text: str | None,
    baseline: str | None,
    seed: int,
    step: int | None,
    nations: str,
    replications: int,
    by: str | None,
    max_exact: int,
    permutations: int,
    workers: int | None,
    params_file: Path | None,
    world: str | None,
) -> None:
    """Split SCENARIO's change from its event-less run among its events (Shapley values), or
    with --batch DIR each scenario's change against the batch's baseline over its runs.

    Writes attribution.csv (nation, metric, target, component, effect, ...; effects sum to
    the change for every outcome), regions.csv (favourable share, or attraction, toward the
    focus nations by region and component) and a waterfall PNG+SVG of each focus nation's score;
    with --batch one folder of them per scenario and reconciliation.csv (each waterfall's total
    next to the batch's change over the same runs and the summary's over all of them).
    """
    from sim.analysis.attribution import default_workers

    focus = nation_list(nations, "--nations") or []
    workers = workers or default_workers()
    if batch_dir is None:
        if scenario is None:
            raise SoftPowerError(
                "no scenario to attribute",
                key="SCENARIO",
                expected="a scenario file, or --batch DIR",
            )
        for name, option in (("batch_scenario", "--scenario"), ("runs_text", "--runs")):
            if ctx.params[name] is not None:
                raise SoftPowerError("needs --batch", key=option, expected="--batch DIR with it")
        _attribute_scenario(
            scenario, out, seed, step, focus, replications, by or "event", max_exact,
            permutations, workers, params_file, world,
        )  # fmt: skip
        return
    if scenario is not None:
        raise SoftPowerError(
            f"both a scenario file ({scenario}) and --batch",
            key="SCENARIO",
            expected="a scenario file, or --batch DIR (with --scenario NAME)",
        )
    for name in _SINGLE_ONLY:
        if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT:
            option = "--params-file" if name == "params_file" else f"--{name}"
            raise SoftPowerError(
                "does not go with --batch",
                key=option,
                expected="the batch's own runs: their seeds, parameters, world and last step",
            )
    _attribute_batch(
        batch_dir, out, batch_scenario, _runs_count(runs_text), baseline, focus, by,
        max_exact, permutations, workers,
    )  # fmt: skip


def _attribute_scenario(
    scenario: Path,
    out: Path,
    seed: int,
    step: int | None,
    focus: list[str],
    replications: int,
    by: str,
    max_exact: int,
    permutations: int,
    workers: int,
    params_file: Path | None,
    world: str | None,
) -> None:
    from sim.analysis.attribution import attribute as run_attribution
    from sim.analysis.attribution import console_line, seeds_for, write_attribution
    from sim.plots.files import write_waterfalls
    from sim.scenario.scenario import load_scenario
    from sim.world.bundled import bundled_world

    spec = load_scenario(scenario, world)
    loaded = bundled_world(spec.world)
    base = read_params_file(params_file)
    out = writable_dir(out)
    result = run_attribution(
        spec,
        world=loaded,
        parameters=base,
        seeds=seeds_for(seed, replications),
        step=step,
        targets=focus,
        by=by,
        max_exact=max_exact,
        permutations=permutations,
        workers=workers,
        progress=lambda line: click.echo(f"{spec.name}: {line}", err=True),
    )
    files = write_attribution(result, out, dict(zip(loaded.iso3, loaded.region, strict=True)))
    files += write_waterfalls(result, focus, out)
    mode = "exact" if result.exact else f"sampled, {permutations} orderings"
    click.echo(
        f"{spec.title}: change at {result.date} (step {result.step}) split among "
        f"{len(result.components)} components ({mode}; {result.runs} runs, {result.seconds:.1f} s)"
    )
    for nation in focus:
        click.echo(f"  {console_line(result, nation)}")
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {', '.join(str(f) for f in files)}")


def _attribute_batch(
    root: Path,
    out: Path,
    scenario: str | None,
    count: int | None,
    baseline: str | None,
    focus: list[str],
    by: str | None,
    max_exact: int,
    permutations: int,
    workers: int,
) -> None:
    from sim.analysis.attribution import console_line, write_attribution
    from sim.analysis.batch_attribution import (
        REPORT_BUDGET,
        attribute_batch,
        reconciliation_table,
    )
    from sim.analysis.summary import choose_baseline
    from sim.batch.store import Store
    from sim.plots.files import write_waterfalls
    from sim.world.bundled import bundled_world

    manifest = Store(root).finished_manifest(key="--batch")
    base = choose_baseline(manifest, baseline)
    names = [scenario] if scenario else [n for n in manifest["scenarios"] if n != base]
    out = writable_dir(out)
    world = bundled_world(manifest.get("world"))
    regions = dict(zip(world.iso3, world.region, strict=True))
    results = []
    for name in names:

        def progress(line: str, name: str = name) -> None:
            click.echo(f"{name}: {line}", err=True)

        found = attribute_batch(
            root,
            name,
            baseline=base,
            targets=focus,
            by=by,
            count=count,
            budget=None if count is not None else REPORT_BUDGET,
            max_exact=max_exact,
            permutations=permutations,
            workers=workers,
            world=world,
            progress=progress,
        )
        results.append(found)
        result = found.result
        folder = out / name
        folder.mkdir(exist_ok=True)
        files = write_attribution(result, folder, regions)
        files += write_waterfalls(result, focus, folder)
        mode = "exact" if result.exact else f"sampled, {found.plan.permutations} orderings"
        click.echo(
            f"{name}: change against {base} at {result.date} (step {result.step}) over "
            f"{len(found.runs)} of {found.paired} paired runs, split among "
            f"{len(result.components)} components ({mode}; {result.runs} runs, "
            f"{result.seconds:.1f} s)"
        )
        for nation in focus:
            click.echo(f"  {console_line(result, nation)}")
            click.echo(
                f"    summary's mean change over all {found.paired} runs "
                f"{found.summary_change[nation]:+.2f}; the batch's over these runs "
                f"{found.batch_change[nation]:+.2f}"
            )
        for note in result.notes:
            click.echo(f"note: {note}")
        click.echo(f"wrote {', '.join(str(f) for f in files)}")
    table = out / "reconciliation.csv"
    reconciliation_table(results).to_csv(table, index=False, float_format="%.12g")
    click.echo(f"wrote {table}")
