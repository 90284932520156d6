"""The validation commands: ``validate`` (a run against a target), ``test-2025`` (the
out-of-sample test), ``backtest`` (fit up to a year, predict the waves after it) and
``profile`` (is each fitted event response pinned down?). ``calibrate`` has its own module,
`sim.cli.calibrate`.

Thin: the work is in `sim.analysis.validation`, `sim.analysis.forecast`,
`sim.analysis.backtest` and `sim.analysis.profiles` (docs/validation.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.options import (
    episodes_option,
    out_dir_option,
    params_file_option,
    polls_option,
    read_params_file,
    seed_option,
    world_option,
    writable_dir,
)

__all__ = ["backtest", "profile", "test_2025", "validate"]


@click.command()
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
def validate(
    run_dir: Path,
    target: Path,
    step: int | None,
    metric: str | None,
    poles: str | None,
    seed: int,
    bootstrap: int,
    as_json: bool,
) -> None:
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


@click.command("test-2025")
@click.argument("scenario", type=click.Path(path_type=Path))
@params_file_option("Parameters to test (as `run --params-file`; default: the registry's).")
@seed_option(1, "Seed of both runs.")
@world_option()
def test_2025(scenario: Path, params_file: Path | None, seed: int, world: str | None) -> None:
    """The out-of-sample test: SCENARIO's predicted spring-2025 change of US and China
    favourability per surveyed country against the published one, and the starting world's
    ranks against the GSPI 2025 (fielded in late 2024), each with naive predictors (test data
    in sim/data/targets/test_2025/).
    """
    from sim.analysis.forecast import forecast_2025_from_targets
    from sim.scenario.scenario import load_scenario

    params = read_params_file(params_file)
    result = forecast_2025_from_targets(load_scenario(scenario, world), params=params, seed=seed)
    click.echo(result.to_text())


@click.command("backtest")
@click.option("--until", type=click.IntRange(2002, 2024), required=True, help="Last year fitted.")
@out_dir_option()
@click.option(
    "--scenario",
    type=click.Path(path_type=Path),
    help="History scenario of the events from --until + 1 (starts in that year's Q1).",
)
@world_option(
    "Bundled world: un193 (default) or core60 (episodes naming other nations are skipped)."
)
@click.option(
    "--responses",
    type=click.Choice(["registry", "refit"]),
    default="registry",
    show_default=True,
    help="Event responses: the registry's (fitted on every episode, some after --until), or "
    "refitted on the episodes that end by --until, their spread added to the intervals "
    "(a few minutes).",
)
def backtest(
    until: int, out: Path, scenario: Path | None, world: str | None, responses: str
) -> None:
    """Fit the assimilated start on the opinion panel up to --until and predict every later wave
    up to 2024 against the last poll carried forward and the structural anchor (writes
    DIR/backtest.csv, predictions.csv, parameters.yaml).
    """
    from sim.analysis.backtest import backtest as run_backtest
    from sim.analysis.backtest import write_backtest

    out = writable_dir(out)
    result = run_backtest(until, world=world, scenario=scenario, responses=responses)
    click.echo(result.to_text())
    click.echo("wrote " + ", ".join(str(p) for p in write_backtest(result, out)))


@click.command("profile")
@episodes_option()
@polls_option(
    "Poll file(s) up to 2024: target files or the opinion panel (sim/data/opinion/panel.csv)."
)
@out_dir_option()
@seed_option(1, "Seed of the model runs.")
@click.option(
    "--points", type=click.IntRange(3), default=11, show_default=True, help="Grid values."
)
@click.option(
    "--tolerance",
    type=click.FloatRange(0.0),
    default=0.01,
    show_default=True,
    help="Relative excess over the best out-of-scenario RMSE still plausible.",
)
@click.option(
    "--prior-sd",
    type=click.FloatRange(0.0, min_open=True),
    default=0.5,
    show_default=True,
    help="Prior standard deviation of the regions' multipliers about 1 (pooling).",
)
def profile(
    episodes_file: Path,
    polls: tuple[Path, ...],
    out: Path,
    seed: int,
    points: int,
    tolerance: float,
    prior_sd: float,
) -> None:
    """Fit the event responses on the history episodes and profile each one: the error over its
    registry range with the others refitted, folds by scenario and by observer region, and
    pooling across regions (writes DIR/fit.md, profiles.csv, profiles_summary.csv, folds.csv,
    profiles.png and profiles.svg).
    """
    from sim.analysis.episodes import fit_episodes, load_episodes, poll_table, response_designs
    from sim.analysis.profiles import fit_pooled, fold_errors, profile_episodes, write_table
    from sim.plots.files import save_figure
    from sim.plots.profiles import profile_figure

    out = writable_dir(out)
    episodes = load_episodes(episodes_file, poll_table(polls))
    designs = response_designs(episodes, seed=seed)
    fit = fit_episodes(episodes, seed=seed, designs=designs)
    share = fit.values["event_persistence"]
    profiles = profile_episodes(episodes, designs, points=points, tolerance=tolerance)
    folds = fold_errors(episodes, designs, share)
    pooled = fit_pooled(episodes, designs, share, prior_sd=prior_sd)
    text = [
        fit.to_text(),
        f"Folds at event_persistence {share:g} (RMSE of the countries left out, points):",
        "",
        "| folds | left out | countries | RMSE out | RMSE no change |",
        "|---|---|---:|---:|---:|",
        *(
            f"| {r['folds']} | {r['left_out']} | {r['countries']} | {r['rmse_out']:.2f} | "
            f"{r['rmse_no_change']:.2f} |"
            for r in folds
        ),
        "",
        profiles.to_text(),
        pooled.to_text(),
    ]
    click.echo("\n".join(text))
    (out / "fit.md").write_text("\n".join(text), encoding="utf-8")
    written = [
        out / "fit.md",
        profiles.write(out / "profiles.csv"),
        profiles.write_summary(out / "profiles_summary.csv"),
    ]
    written.append(write_table(folds, out / "folds.csv"))
    written += save_figure(profile_figure(profiles), out / "profiles")
    click.echo("wrote " + ", ".join(str(p) for p in written))
