"""The analysis commands: ``discover`` (where in a batch's design a condition holds),
``network`` (the nations' network as a graph file) and ``spread`` (how far each event's effect
travels); ``attribute`` has its own module, `sim.cli.attribute`.

Thin: the work is in `sim.analysis.outcomes`, `sim.analysis.network` and
`sim.analysis.spread` (docs/analysis.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sim.cli.options import (
    horizon_option,
    out_dir_option,
    seed_option,
    workers_option,
    world_option,
    writable_dir,
    writable_file,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["discover", "network", "spread"]

#: The help of ``--world`` where a scenario is optional (network).
_WORLD_HELP = (
    "Bundled world: core60 (60 nations) or un193 (every UN member state). Default: the "
    "scenario's `world:`, else un193."
)


@click.command()
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
    directory: Path,
    condition: str,
    out: Path,
    step: int | None,
    threshold: float,
    scenario: str | None,
    figures: bool,
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


@click.command()
@world_option(_WORLD_HELP)
@click.option(
    "--scenario",
    type=click.Path(path_type=Path),
    default=None,
    help="Run this scenario and write the network in force at --at (its ties change).",
)
@click.option(
    "--at",
    default=None,
    metavar="YYYY-Qn",
    help="Quarter of the run (default: its start); without --scenario the baseline is run.",
)
@seed_option(0, "Seed (as `run --seed`).")
@click.option(
    "--layers",
    default=None,
    metavar="L,...",
    help="Layers (default all): trade, alliance, membership, region, rivalry, social.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Graph file: .graphml (GraphML) or .gexf (GEXF), for Gephi, Cytoscape or networkx.",
)
@click.option(
    "--measures",
    "with_measures",
    is_flag=True,
    help="Also write OUT_measures.csv (centralities and Louvain blocs on the social mix) and "
    "print the most central nations and the blocs.",
)
def network(
    world: str | None,
    scenario: Path | None,
    at: str | None,
    seed: int,
    layers: str | None,
    out: Path,
    with_measures: bool,
) -> None:
    """Write the nations' network as a graph file: one node per nation (ISO3, name, region,
    capacities, blocs), one edge per tie with a weight per layer.
    """
    from sim.analysis.network import check_graph_path, graph_at, measures, world_graph, write_graph
    from sim.world.bundled import bundled_world

    out = writable_file(check_graph_path(out))
    chosen = None if layers is None else [x for x in layers.split(",") if x.strip()]
    if scenario is None and at is None:
        graph = world_graph(bundled_world(world), chosen)
    else:
        from sim.scenario.scenario import baseline_scenario, load_scenario

        spec = load_scenario(scenario, world) if scenario else baseline_scenario()
        date = at or spec.date(0)
        graph = graph_at(spec, bundled_world(world or spec.world), date, seed=seed, layers=chosen)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_graph(graph, out)
    at_text = f" at {graph.graph['date']}" if "date" in graph.graph else ""
    click.echo(
        f"wrote {out} ({graph.number_of_nodes()} nations, {graph.number_of_edges()} ties{at_text}; "
        f"layers {graph.graph['layers']})"
    )
    if with_measures:
        table = measures(graph)
        path = out.with_name(f"{out.stem}_measures.csv")
        table.to_csv(path, index=False, float_format="%.6g")
        click.echo(_measures_text(table))
        click.echo(f"wrote {path}")


def _measures_text(table: pd.DataFrame) -> str:
    """The most central nations by three measures, and the members of each bloc."""
    lines = []
    for column in ("eigenvector", "betweenness", "in_strength"):
        top = table.sort_values([column, "iso3"], ascending=[False, True]).head(8)
        lines.append(
            f"{column}: "
            + ", ".join(f"{r.iso3} {getattr(r, column):.3f}" for r in top.itertuples())
        )
    for bloc, members in table.groupby("bloc", sort=True):
        codes = sorted(members["iso3"])
        shown = " ".join(codes[:12]) + (f" … (+{len(codes) - 12})" if len(codes) > 12 else "")
        lines.append(f"bloc {bloc} ({members['bloc_core'].iloc[0]}, {len(codes)}): {shown}")
    return "\n".join(lines)


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@out_dir_option()
@seed_option(0, "Seed (as `run --seed`).")
@world_option(_WORLD_HELP)
@horizon_option()
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    metavar="KIND",
    help="Follow only events of this kind (threat, tariff, war, ...; repeatable).",
)
@click.option("--maps/--no-maps", default=True, help="Write the small-multiple maps.")
@workers_option("Processes for the runs (the result does not depend on it).")
def spread(
    scenario: Path,
    out: Path,
    seed: int,
    world: str | None,
    steps: int | None,
    kinds: tuple[str, ...],
    maps: bool,
    workers: int,
) -> None:
    """Run SCENARIO and, for each event, the same run without it (same seed); write how the
    change of attraction to the event's actor spreads by distance in hops from the nations it
    hits (spread.csv), the nations that carry it (carriers.csv) and figures (spread.png,
    spread_maps.png; with SVG).
    """
    from sim.analysis.spread import spread as follow
    from sim.analysis.spread import write_spread
    from sim.scenario.scenario import load_scenario
    from sim.world.bundled import bundled_world

    spec = load_scenario(scenario, world)  # a bad file leaves no empty --out behind
    out = writable_dir(out)
    result = follow(
        spec,
        world=bundled_world(spec.world),
        seed=seed,
        steps=steps,
        kinds=kinds,
        progress=lambda line: click.echo(f"{spec.name}: {line}", err=True),
        workers=workers,
    )
    files = write_spread(result, out)
    from sim.plots.files import save_figure
    from sim.plots.spread import wave_figure, wave_maps

    files += save_figure(wave_figure(result), out / "spread")
    if maps:
        files += save_figure(wave_maps(result), out / "spread_maps")
    click.echo(f"{spec.title}: {len(result.events)} events followed ({result.seconds:.1f} s)")
    click.echo(f"wrote {', '.join(str(f) for f in files)}")
