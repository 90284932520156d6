"""The ``softpower`` command: run, batch, summarize, report, validate, calibrate, backtest,
discover, app, scenarios; attribute (in `sim.cli_report`), network and spread (in
`sim.cli_network`), backtest (in `sim.cli_validation`).

Bad input (any `SoftPowerError` or a bad argument) prints one line on stderr and exits with 2.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
import numpy as np

from sim.cli_options import seed_option, writable_dir, writable_file
from sim.errors import SoftPowerError
from sim.version import __version__

__all__ = ["main", "cli"]

EXIT_BAD_INPUT = 2


class _Group(click.Group):
    """A click group that turns bad input into one stderr line and exit code 2."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except SoftPowerError as exc:
            click.echo(f"softpower: error: {exc.one_line()}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except click.exceptions.Abort:
            click.echo("softpower: aborted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f"; see `{ctx.command_path} --help`" if ctx else "; see `softpower --help`"
            click.echo(
                f"softpower: error: {exc.format_message()}{hint}".replace("\n", " "), err=True
            )
            sys.exit(EXIT_BAD_INPUT)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="softpower")
def cli() -> None:
    """softpower: an agent-based simulator of how nations win and lose soft power."""


#: ``--world NAME`` of run, batch and scenarios check.
_world_option = click.option(
    "--world",
    default=None,
    metavar="NAME",
    help="Bundled world: core60 (60 nations) or un193 (every UN member state). "
    "Default: the file's `world:`, else un193 (`--world core60` for fast runs).",
)


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output directory.")
@seed_option(0, "Root seed of the run.")
@click.option("--steps", type=click.IntRange(1, 400), default=None, help="Override the horizon.")
@click.option(
    "--record-every",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Record perception every K steps (the last step always).",
)
@click.option(
    "--params",
    "params_file",
    type=click.Path(path_type=Path),
    default=None,
    help="YAML/JSON file of parameter values (e.g. written by `softpower calibrate`).",
)
@click.option("--quiet", is_flag=True, help="Do not print the top-15 table.")
@_world_option
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
    steps,
    record_every: int,
    params_file,
    quiet,
    world,
    targets,
) -> None:
    """Run one SCENARIO; write soft_power, perception, polls and events (CSV) and manifest.json."""
    from sim.parameter_file import load_parameter_file
    from sim.scenario.scenario import load_scenario
    from sim.world.bundled import bundled_world, run_targets

    spec = load_scenario(scenario, world)
    base = load_parameter_file(params_file) if params_file else None
    chosen_targets = run_targets(targets, bundled_world(spec.world))
    out = writable_dir(out)
    # Imported after the inputs are checked: Mesa takes seconds to import, a bad file should not.
    from sim.batch.executor import keep_freed_memory
    from sim.batch.tables import top_table, write_run
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


@cli.command("params")
def params_cmd() -> None:
    """List the model parameters: name, default, range, unit and meaning."""
    from sim.params import REGISTRY

    for p in REGISTRY.values():
        click.echo(f"{p.name:<28} {p.default!s:>7}  [{p.low}, {p.high}] {p.unit:<10} {p.meaning}")


@cli.group()
def scenarios() -> None:
    """List and check scenario files."""


@scenarios.command("list")
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path),
    default=Path("scenarios"),
    show_default=True,
    help="Folder of scenario files.",
)
def scenarios_list(folder: Path) -> None:
    """List the scenarios: name, title, steps and number of events."""
    from sim.scenario.scenario import load_scenario
    from sim.world.bundled import bundled_world

    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise SoftPowerError("no scenario files", file=str(folder), expected="*.yaml files")
    world = bundled_world()
    click.echo(f"{'name':<26} {'steps':>5} {'events':>6}  title")
    for f in files:
        s = load_scenario(f, world)
        click.echo(f"{s.name:<26} {s.steps:>5} {len(s.events):>6}  {s.title}")


@scenarios.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_world_option
def scenarios_check(files: tuple[Path, ...], world) -> None:
    """Validate scenario FILES; print one line per file, exit 2 at the first bad one."""
    from sim.scenario.scenario import load_scenario

    for f in files:
        s = load_scenario(f, world)
        click.echo(f"ok  {f}  ({s.name}: {len(s.events)} events, {s.steps} steps)")


def _print_summary(summary) -> None:
    names = ", ".join(summary.paths)
    folder = next(iter(summary.paths.values())).parent if summary.paths else "?"
    click.echo(f"summary: {folder}/ ({names})")
    for note in summary.notes:
        click.echo(f"note: {note}")


@cli.command()
@click.argument("experiment", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Result directory.")
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=None,
    help="Local worker processes (default: all cores; 1 runs in this process). "
    "With --dask local: the number of Dask workers (default 2).",
)
@click.option(
    "--dask",
    "dask_address",
    default=None,
    metavar="ADDRESS|local",
    help="Run on Dask: `local` starts a LocalCluster; tcp://host:port joins a scheduler.",
)
@click.option("--retry-failed", is_flag=True, help="Rerun runs recorded as failed.")
@click.option("--force", is_flag=True, help="Delete previous results in --out and start anew.")
@click.option("--no-summary", is_flag=True, help="Do not write DIR/summary/ at the end.")
@click.option(
    "--bootstrap",
    type=click.IntRange(0),
    default=1000,
    show_default=True,
    help="Bootstrap resamples for the difference intervals of the summary.",
)
@click.option("--progress/--no-progress", default=True, help="Show the progress bar.")
@_world_option
@click.pass_context
def batch(
    ctx: click.Context,
    experiment: Path,
    out: Path,
    workers,
    dask_address,
    retry_failed: bool,
    force: bool,
    no_summary: bool,
    bootstrap: int,
    progress: bool,
    world,
) -> None:
    """Run EXPERIMENT (scenarios × design × replications) into --out as Parquet; rerun to resume.

    Exits 1 when some runs failed (their error and traceback are in DIR/runs.parquet).
    """
    from sim.analysis.summary import summarize
    from sim.batch.experiment import load_experiment
    from sim.batch.runner import run_batch

    if dask_address is not None and dask_address != "local" and "://" not in dask_address:
        raise SoftPowerError(
            f"bad Dask address {dask_address!r}",
            key="--dask",
            expected="local or a scheduler address such as tcp://host:8786",
        )
    spec = load_experiment(experiment, world)
    out = writable_dir(out)
    report = run_batch(
        spec,
        out,
        workers=workers,
        dask=dask_address,
        retry_failed=retry_failed,
        force=force,
        progress=progress,
    )
    click.echo(report.summary_line())
    if report.failed:
        click.echo(
            f"{report.failed} runs failed (see error and traceback in {out}/runs.parquet); "
            "rerun with --retry-failed"
        )
    if report.ok and not no_summary:
        _print_summary(summarize(out, bootstrap=bootstrap))
    if report.failed:
        ctx.exit(1)


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--baseline", default=None, help="Scenario for differences (default: the first).")
@click.option(
    "--bootstrap",
    type=click.IntRange(0),
    default=1000,
    show_default=True,
    help="Bootstrap resamples for the difference intervals.",
)
def summarize(directory: Path, baseline, bootstrap: int) -> None:
    """Write DIRECTORY/summary/: score and rank statistics, paired differences, sensitivity."""
    from sim.analysis.summary import summarize as write_summary

    _print_summary(write_summary(directory, baseline=baseline, bootstrap=bootstrap))


@cli.command()
@click.option(
    "--run",
    "run_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory written by `softpower run`.",
)
@click.option(
    "--target",
    required=True,
    type=click.Path(path_type=Path),
    help="CSV: iso3,value (index), iso3,...,metric,value (long) or observer,target,value (poll).",
)
@click.option("--step", type=click.IntRange(0), default=None, help="Step compared (default: last).")
@click.option("--metric", default=None, help="Metric of a long-format target (default: *_score).")
@click.option("--poles", default=None, help="Poll: the two actors of the lean, e.g. USA,CHN.")
@seed_option(0, "Bootstrap seed.")
@click.option(
    "--bootstrap",
    type=click.IntRange(100),
    default=1000,
    show_default=True,
    help="Bootstrap resamples.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def validate(run_dir: Path, target: Path, step, metric, poles, seed, bootstrap, as_json) -> None:
    """Compare a run's scores (or attraction, for polls) with a target, beside naive baselines."""
    from sim.analysis.validation import validate_run

    report = validate_run(
        run_dir,
        target,
        step=step,
        metric=metric,
        poles=[p.strip().upper() for p in poles.split(",")] if poles else None,
        reps=bootstrap,
        seed=seed,
    )
    click.echo(report.to_json() if as_json else report.to_text())


@cli.command(context_settings={"allow_interspersed_args": True})
@click.option(
    "--target",
    required=True,
    type=click.Path(path_type=Path),
    help="Index CSV to fit (iso3,value or the long format of sim/data/targets).",
)
@click.option(
    "--params",
    "names",
    multiple=True,
    metavar="NAME [NAME ...]",
    help="Registry parameters to fit (space- or comma-separated).",
)
@click.argument("more_names", nargs=-1, metavar="")
@click.option("--metric", default=None, help="Metric of a long-format target (default: *_score).")
@click.option(
    "--budget",
    type=click.IntRange(5),
    default=200,
    show_default=True,
    help="Model evaluations per fit (the full fit and each fold's).",
)
@click.option(
    "--folds",
    type=click.IntRange(0),
    default=5,
    show_default=True,
    help="Folds over nations for out-of-sample agreement (0: none).",
)
@seed_option(0, "Root seed.")
@click.option(
    "--steps",
    type=click.IntRange(0, 400),
    default=0,
    show_default=True,
    help="Quarters after the spin-up at which scores are compared (0 = the 2024/25 world).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("params.yaml"),
    show_default=True,
    help="Parameter file to write (for `softpower run --params`).",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Processes evaluating candidates (the result does not depend on it).",
)
@click.option(
    "--polls",
    "polls",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Poll file(s) observer,target,year,favourable_pct,source (up to 2024): fit the "
    "observation model to them and to --target's scores and ranks instead.",
)
@_world_option
@click.option(
    "--episodes",
    type=click.Path(path_type=Path),
    default=None,
    help="Episodes CSV (sim/data/targets/episodes.csv): with --polls, fit the event responses "
    "on the history scenarios instead; also writes OUT's plausible sets as *_ensemble.csv.",
)
def calibrate(
    target: Path,
    names,
    more_names,
    metric,
    budget: int,
    folds: int,
    seed: int,
    steps: int,
    out: Path,
    workers: int,
    polls: tuple[Path, ...],
    world: str | None,
    episodes: Path | None,
) -> None:
    """Fit --params NAME ... to maximise rank agreement with --target; write a parameter file.

    Example: softpower calibrate --target sim/data/targets/gspi_2024.csv --metric gspi_rank
    --params score_weight_reputation exposure_global_reach --budget 200 --folds 5

    With --polls, fit the observation model instead (docs/validation.md): the anchor drivers
    named by --params (default prior_values_distance prior_governance prior_common_rival) on a
    grid, the link from attraction to favourable shares on the polls, and the score weights on
    --target's gspi_score rows, with held-out figures against naive baselines.
    """
    writable_file(out)
    if polls and episodes:
        from sim.analysis.calibration import write_parameter_file
        from sim.analysis.episodes import fit_episodes, load_episodes, poll_table

        fitted = fit_episodes(load_episodes(episodes, poll_table(polls)), seed=seed or 1)
        path = write_parameter_file(fitted, out)
        ensemble = fitted.write_ensemble(out.with_name(f"{out.stem}_ensemble.csv"))
        click.echo(fitted.to_text())
        click.echo(f"wrote {path} and {ensemble}")
        return
    if polls:
        _calibrate_observation(target, names, more_names, polls, folds, seed, out, world)
        return
    from sim.analysis.calibration import calibrate as run_calibration
    from sim.analysis.calibration import write_parameter_file
    from sim.analysis.targets import load_target
    from sim.world.bundled import bundled_world

    wanted = [n.strip() for item in (*names, *more_names) for n in item.split(",") if n.strip()]
    chosen = bundled_world(world)
    tgt = load_target(target, metric=metric, known=chosen.iso3)
    result = run_calibration(
        tgt,
        wanted,
        world=chosen,
        budget=budget,
        folds=folds,
        steps=steps,
        seed=seed,
        workers=workers,
        progress=lambda message: click.echo(f"... {message}", err=True),
    )
    path = write_parameter_file(result, out)
    click.echo(result.to_text())
    click.echo(f"wrote {path} (use: softpower run SCENARIO --params {path})")


def _calibrate_observation(target, names, more_names, polls, folds, seed, out, world) -> None:
    from sim.analysis.calibration import write_parameter_file
    from sim.analysis.observation import DEFAULT_GRID, fit_observation, load_polls
    from sim.analysis.targets import load_target
    from sim.world.bundled import bundled_world

    wanted = [n.strip() for item in (*names, *more_names) for n in item.split(",") if n.strip()]
    grid = {n: DEFAULT_GRID.get(n, (0.0, 0.25, 0.5, 1.0)) for n in wanted} or None
    world = bundled_world(world)
    fit = fit_observation(
        load_polls(polls, world.iso3),
        load_target(target, metric="gspi_score", known=world.iso3),
        load_target(target, metric="gspi_rank", known=world.iso3),
        world=world,
        grid=grid,
        folds=max(folds, 2),
        seed=seed,
    )
    path = write_parameter_file(fit, out)
    click.echo(fit.to_text())
    click.echo(f"wrote {path} (use: softpower run SCENARIO --params {path})")


@cli.command("test-2025")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--params", "params_file", type=click.Path(path_type=Path), default=None)
@seed_option(1, "Seed of both runs.")
@_world_option
def test_2025(scenario: Path, params_file, seed: int, world: str | None) -> None:
    """The out-of-sample test: SCENARIO's predicted spring-2025 change of US and China
    favourability per surveyed country against the published one, and the starting world's
    ranks against the GSPI 2025 (fielded in late 2024), each with naive predictors (test data
    in sim/data/targets/test_2025/).
    """
    from sim.analysis.forecast import forecast_2025_from_targets
    from sim.parameter_file import load_parameter_file
    from sim.scenario.scenario import load_scenario

    params = load_parameter_file(params_file) if params_file else None
    result = forecast_2025_from_targets(load_scenario(scenario, world), params=params, seed=seed)
    click.echo(result.to_text())


@cli.command("report")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file; figures go to figures/ next to it (PNG and SVG).",
)
@click.option(
    "--pdf",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the report as a multi-page PDF.",
)
@click.option(
    "--baseline", default=None, help="Scenario to compare against (default: the experiment's)."
)
@click.option(
    "--focus",
    default=None,
    help="Comma-separated ISO3 codes of the focus nations (default: the recorded perception "
    "targets, e.g. USA,CHN).",
)
@click.option(
    "--condition",
    "conditions",
    multiple=True,
    help="The question of page one (repeatable), e.g. 'score[USA] > score[CHN]' (the default: "
    "the first focus nation ahead of the second); its share per scenario goes to answer.csv.",
)
@click.option(
    "--at",
    default=None,
    help="Quarter of the question: YYYY-Qn, or a year for its first quarter (default: the last).",
)
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter"]),
    default="a4",
    show_default=True,
    help="PDF page size.",
)
def report_cmd(directory: Path, out: Path, pdf, baseline, focus, conditions, at, paper) -> None:
    """Write a self-contained HTML report (and a PDF) of the batch result DIRECTORY, and
    answer.csv beside it (the share of each scenario's runs meeting each --condition).
    """
    from sim.report.report import write_report

    writable_file(out)
    if pdf is not None:
        writable_file(pdf, key="--pdf")
    codes = [c for c in (focus or "").split(",") if c.strip()] or None
    files = write_report(directory, out, pdf, baseline, codes, list(conditions) or None, at, paper)
    size = files.html.stat().st_size / 1e6
    click.echo(f"wrote {files.html} ({len(files.report.figures)} figures, {size:.1f} MB)")
    if files.pdf is not None:
        click.echo(f"wrote {files.pdf} ({len(files.pdf_pages)} pages)")
    click.echo(f"wrote {files.answers}")
    click.echo(f"figures (PNG, SVG) in {files.html.parent / 'figures'}")


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--condition",
    required=True,
    help="Runs of interest, e.g. 'score[CHN] > score[USA]' or 'favourable[MEX,USA] < 40'.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV of the PRIM boxes (chosen box marked); figures go next to it.",
)
@click.option("--step", type=click.IntRange(0), default=None, help="Step (default: the last).")
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=0.8,
    show_default=True,
    help="Density the chosen box should reach.",
)
@click.option("--scenario", default=None, help="Only this scenario's runs (default: all).")
@click.option("--figures/--no-figures", default=True, help="Write the tradeoff and tree figures.")
def discover(
    directory: Path, condition: str, out: Path, step, threshold, scenario, figures
) -> None:
    """Find where in the batch DIRECTORY's design a condition holds (PRIM boxes and CART).

    The condition reads outcomes at the step: score, rank, familiarity and reputation of a
    nation (score[CHN]), attraction and favourable of an observer toward a target
    (favourable[MEX,USA]); with + - * /, comparisons, and, or, not.
    """
    from sim.analysis.outcomes import discover_batch

    writable_file(out)
    found = discover_batch(directory, condition, step=step, threshold=threshold, scenario=scenario)
    result = found.discovery
    result.boxes.to_csv(out, index=False, float_format="%.6g")
    files = [out]
    if figures:
        from sim.plots.files import write_discovery_figures

        files += write_discovery_figures(result, out)
    box = result.chosen_box
    click.echo(
        f"{result.n_interesting} of {result.n_runs} runs meet {condition!r} at step {found.step}"
    )
    click.echo(
        f"chosen box {result.chosen}: {result.rule()} "
        f"(coverage {box['coverage']:.2f}, density {box['density']:.2f})"
    )
    click.echo(f"CART, pruned (accuracy {result.tree_accuracy:.0%}):\n{result.tree_rules}")
    for note in found.notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {', '.join(str(f) for f in files)}")


@cli.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="TCP port (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0 shows the app to the whole network).",
)
@click.option(
    "--scenarios",
    "scenarios_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of scenario files to offer (default: the bundled scenarios/).",
)
@click.option(
    "--world",
    default=None,
    metavar="NAME",
    help="Bundled world the app opens with: core60 or un193 (the app's World input switches).",
)
def app(port: int, host: str, scenarios_dir, world) -> None:
    """Serve the visual model in the browser at http://HOST:PORT/ (offline; Ctrl-C stops it)."""
    from sim.viz.server import serve

    serve(host=host, port=port, scenarios=scenarios_dir, world=world)


from sim.cli_network import network, spread  # noqa: E402 (commands of their own module)
from sim.cli_report import attribute  # noqa: E402
from sim.cli_validation import backtest, profile  # noqa: E402

cli.add_command(attribute)
cli.add_command(network)
cli.add_command(spread)
cli.add_command(backtest)
cli.add_command(profile)


def main() -> None:
    """Entry point of the ``softpower`` console script.

    BLAS is limited to one thread per process: the kernel's matrices are small, so threads only
    add overhead (and contention with worker processes, which is where parallelism comes from).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    cli.main(prog_name="softpower")


if __name__ == "__main__":
    main()
