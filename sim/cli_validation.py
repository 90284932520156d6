"""The ``softpower backtest`` and ``softpower profile`` commands (registered by `sim.cli`).

Thin: the work is in `sim.analysis.backtest` and `sim.analysis.profiles`. Bad input raises a
`SoftPowerError`, which the ``softpower`` group turns into one stderr line and exit code 2.
"""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli_options import SEED, writable_dir

__all__ = ["backtest", "profile"]


@click.command("backtest")
@click.option("--until", type=click.IntRange(2002, 2024), required=True, help="Last year fitted.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option(
    "--scenario",
    type=click.Path(path_type=Path),
    help="History scenario of the events from --until + 1 (starts in that year's Q1).",
)
@click.option(
    "--world",
    default=None,
    metavar="NAME",
    help="Bundled world: un193 (default) or core60 (episodes naming other nations are skipped).",
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
@click.option(
    "--episodes",
    "episodes_file",
    required=True,
    type=click.Path(path_type=Path),
    help="Episodes CSV (sim/data/targets/episodes.csv).",
)
@click.option(
    "--polls",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="Poll file(s) up to 2024: target files or the opinion panel (sim/data/opinion/panel.csv).",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--seed", type=SEED, default=1, show_default=True, help="Seed of the model runs.")
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
