"""The ``softpower calibrate`` group: three fits, each a subcommand with only the options it
uses, each writing a parameter file (for ``softpower run --params-file``).

- ``calibrate ranks``: registry parameters (``--fit``) to an index's ranks;
- ``calibrate observation``: the observation model to polls and an index's scores and ranks;
- ``calibrate responses``: the event responses to the history episodes.

The flag form of before (``calibrate --target ... [--polls ... [--episodes ...]]``, where the
flags chose the fit) still works: it is translated to the subcommand, and a one-line note on
stderr says which once the fit is done.

Thin: the work is in `sim.analysis.calibration`, `sim.analysis.observation_fit` and
`sim.analysis.episodes` (docs/validation.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sim.cli.options import (
    Decorator,
    episodes_option,
    polls_option,
    seed_option,
    workers_option,
    world_option,
    writable_file,
)

__all__ = ["calibrate", "legacy_arguments"]

#: Where `_CalibrateGroup` notes the subcommand a deprecated flag form was translated to.
_LEGACY = "softpower.calibrate.legacy"

_OUT_HELP = "Parameter file to write (for `softpower run --params-file`)."
_WORLD_HELP = "Bundled world of the fit: core60 (60 nations) or un193 (every UN member state)."


def _out_option() -> Decorator:
    return click.option(
        "--out",
        type=click.Path(path_type=Path),
        default=Path("params.yaml"),
        show_default=True,
        help=_OUT_HELP,
    )


def _target_option(help: str) -> Decorator:
    return click.option("--target", required=True, type=click.Path(path_type=Path), help=help)


def _fit_option(help: str) -> Decorator:
    """``--fit NAME [NAME ...]``: the names follow the option, space- or comma-separated (the
    extra names are a hidden positional argument, ``more_names``).
    """

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        function = click.argument("more_names", nargs=-1, metavar="")(function)
        fit = click.option("--fit", "names", multiple=True, metavar="NAME [NAME ...]", help=help)
        return fit(function)

    return decorate


def _names(names: tuple[str, ...], more_names: tuple[str, ...]) -> list[str]:
    """The parameter names of ``--fit`` and those after it, split at commas."""
    return [n.strip() for item in (*names, *more_names) for n in item.split(",") if n.strip()]


def legacy_arguments(args: list[str]) -> tuple[str, list[str]] | None:
    """Translate the flag form of ``calibrate`` of before into a subcommand and its arguments.

    The flags chose the fit: ``--episodes`` (with ``--polls``) the event responses, where
    ``--target`` was required but unused (it is dropped); ``--polls`` the observation model; else
    the rank fit. ``--params`` (parameter names) becomes ``--fit``.

    Args:
        args: The arguments after ``calibrate``.

    Returns:
        ``(subcommand, arguments)``, or None when ``args`` starts with a subcommand or asks for
        help.

    Example:
        >>> legacy_arguments(["--target", "t.csv", "--params", "a", "b"])
        ('ranks', ['--target', 't.csv', '--fit', 'a', 'b'])
    """
    if not args or not args[0].startswith("-") or {"-h", "--help"} & set(args):
        return None
    flags = {a.split("=", 1)[0] for a in args if a.startswith("--")}
    command = "ranks"
    if "--polls" in flags:
        command = "responses" if "--episodes" in flags else "observation"
    out: list[str] = []
    skip = False
    for arg in args:
        name, equals, value = arg.partition("=")
        if skip:
            skip = False
        elif command == "responses" and name == "--target":
            skip = not equals
        elif name == "--params":
            out.append(f"--fit={value}" if equals else "--fit")
        else:
            out.append(arg)
    return command, out


class _CalibrateGroup(click.Group):
    """The ``calibrate`` group; arguments in the flag form of before go to their subcommand, and
    a one-line note on stderr says which, once the fit is done (an error stays one line).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse ``args``, first translating the deprecated flag form (`legacy_arguments`)."""
        legacy = legacy_arguments(args)
        if legacy is not None:
            ctx.meta[_LEGACY] = legacy[0]
            args = [legacy[0], *legacy[1]]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; after a translated flag form, say it is deprecated."""
        result = super().invoke(ctx)
        if _LEGACY in ctx.meta:
            click.echo(
                "softpower: note: `calibrate` without a subcommand is deprecated; this was "
                f"`softpower calibrate {ctx.meta[_LEGACY]}` (see `softpower calibrate --help`)",
                err=True,
            )
        return result


@click.group(cls=_CalibrateGroup)
def calibrate() -> None:
    """Fit parameters to data and write a parameter file (for `softpower run --params-file`)."""


@calibrate.command(short_help="Registry parameters (--fit) to an index's ranks.")
@_target_option("Index CSV to fit (iso3,value or the long format of sim/data/targets).")
@_fit_option("Registry parameters to fit (space- or comma-separated; see `softpower params`).")
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
@_out_option()
@workers_option("Processes evaluating candidates (the result does not depend on it).")
@world_option(_WORLD_HELP + " Default: un193.")
def ranks(
    target: Path,
    names: tuple[str, ...],
    more_names: tuple[str, ...],
    metric: str | None,
    budget: int,
    folds: int,
    seed: int,
    steps: int,
    out: Path,
    workers: int,
    world: str | None,
) -> None:
    """Fit --fit NAME ... to maximise rank agreement with --target; write a parameter file.

    Example: softpower calibrate ranks --target sim/data/targets/gspi_2024.csv --metric
    gspi_rank --fit score_weight_reputation exposure_global_reach --budget 200 --folds 5
    """
    writable_file(out)
    from sim.analysis.calibration import calibrate as run_calibration
    from sim.analysis.calibration import write_parameter_file
    from sim.analysis.targets import load_target
    from sim.world.bundled import bundled_world

    chosen = bundled_world(world)
    tgt = load_target(target, metric=metric, known=chosen.iso3)
    result = run_calibration(
        tgt,
        _names(names, more_names),
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
    click.echo(f"wrote {path} (use: softpower run SCENARIO --params-file {path})")


@calibrate.command(short_help="The observation model to polls and the GSPI.")
@_target_option(
    "Index CSV in the long format with gspi_score and gspi_rank rows "
    "(sim/data/targets/gspi_2024.csv): the score weights are fitted to it."
)
@polls_option("Poll file(s) observer,target,year,favourable_pct,source (up to 2024).")
@_fit_option(
    "Anchor drivers fitted on a grid (default: prior_values_distance prior_governance "
    "prior_common_rival)."
)
@click.option(
    "--folds",
    type=click.IntRange(2),
    default=5,
    show_default=True,
    help="Folds of the held-out figures.",
)
@seed_option(0, "Root seed of the folds.")
@_out_option()
@workers_option("Processes for the runs of the grid (the result does not depend on it).")
@world_option(_WORLD_HELP + " Default: un193.")
def observation(
    target: Path,
    polls: tuple[Path, ...],
    names: tuple[str, ...],
    more_names: tuple[str, ...],
    folds: int,
    seed: int,
    out: Path,
    workers: int,
    world: str | None,
) -> None:
    """Fit the observation model (docs/validation.md): the anchor drivers on a grid, the link
    from attraction to favourable shares on --polls, and the score weights on --target's
    gspi_score rows with the USA-CHN gap held, with held-out figures against naive baselines;
    write a parameter file.
    """
    writable_file(out)
    from sim.analysis.calibration import write_parameter_file
    from sim.analysis.observation_fit import DEFAULT_GRID, fit_observation, load_polls
    from sim.analysis.targets import load_target
    from sim.world.bundled import bundled_world

    wanted = _names(names, more_names)
    grid = {n: DEFAULT_GRID.get(n, (0.0, 0.25, 0.5, 1.0)) for n in wanted} or None
    chosen = bundled_world(world)
    fit = fit_observation(
        load_polls(polls, chosen.iso3),
        load_target(target, metric="gspi_score", known=chosen.iso3),
        load_target(target, metric="gspi_rank", known=chosen.iso3),
        world=chosen,
        grid=grid,
        folds=folds,
        seed=seed,
        workers=workers,
    )
    path = write_parameter_file(fit, out)
    click.echo(fit.to_text())
    click.echo(f"wrote {path} (use: softpower run SCENARIO --params-file {path})")


@calibrate.command(short_help="The event responses to the history episodes.")
@episodes_option()
@polls_option(
    "Poll file(s) up to 2024: target files or the opinion panel (sim/data/opinion/panel.csv)."
)
@seed_option(1, "Seed of the model runs and of the bootstrap.")
@_out_option()
@workers_option()
def responses(
    episodes_file: Path, polls: tuple[Path, ...], seed: int, out: Path, workers: int
) -> None:
    """Fit the event responses on the history scenarios' episodes (docs/validation.md); write a
    parameter file and, beside it, the plausible sets as OUT_ensemble.csv (for an experiment's
    `parameter_ensemble:`).
    """
    writable_file(out)
    from sim.analysis.calibration import write_parameter_file
    from sim.analysis.episodes import fit_episodes, load_episodes, poll_table

    fitted = fit_episodes(
        load_episodes(episodes_file, poll_table(polls)), seed=seed, workers=workers
    )
    path = write_parameter_file(fitted, out)
    ensemble = fitted.write_ensemble(out.with_name(f"{out.stem}_ensemble.csv"))
    click.echo(fitted.to_text())
    click.echo(f"wrote {path} and {ensemble}")
