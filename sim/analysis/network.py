"""The nations' network as networkx graphs: at the start or at any step of a run, written for
Gephi and Cytoscape, and measured (centralities, blocs, distances in hops).

`world_graph` is the world a run starts from; `model_graph` the graph of a running model, whose
ties change as events change trade, alliances and memberships. Both carry one weight attribute per
layer (`sim.world.graph.LAYERS`), ``social`` being the social mix W the kernel averages opinion
with: computed here with the model's own function (`sim.model.exposure.social_ties`) from the
arrays in force, so it is the W of the next kernel step.

Measures on the social mix (`measures`): in-strength (how much weight other nations give a
nation's opinion), eigenvector centrality (left eigenvector: listened to by those who are
listened to), betweenness on the distance −ln W (the most likely paths of influence), and blocs by
Louvain community detection on the symmetrised mix with a fixed seed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd

from sim.errors import NetworkError, suggest
from sim.model import exposure
from sim.params import Parameters
from sim.world.graph import LAYERS, check_layers, jaccard, nations_graph

if TYPE_CHECKING:
    from sim.model.model import SoftPowerModel
    from sim.scenario.scenario import Scenario
    from sim.world.world import World

__all__ = [
    "GRAPH_FORMATS",
    "UNREACHED",
    "check_graph_path",
    "graph_at",
    "hops_from",
    "measures",
    "model_graph",
    "social_matrix",
    "world_graph",
    "write_graph",
]

#: File suffix → what `write_graph` writes.
GRAPH_FORMATS: dict[str, str] = {".graphml": "GraphML", ".gexf": "GEXF"}

#: The hop count of a nation no path of the social mix reaches.
UNREACHED = -1


def social_matrix(model: SoftPowerModel) -> np.ndarray:
    """Return the dense (observer, observer) social mix W for the model's ties in force now.

    The model's own function on its current trade, alliances and memberships, so it is exactly
    the W the kernel uses at the next step (also when the model has not refreshed it yet).
    """
    shared = exposure.shared_membership(model.members)
    return exposure.social_ties(model.trade, model.alliance, shared, model.parameters).toarray()


def _blocs(groups: Sequence[str], members: np.ndarray) -> tuple[str, ...]:
    order = sorted(range(len(groups)), key=lambda j: groups[j])
    return tuple(
        ";".join(groups[j] for j in order if members[i, j] > 0) for i in range(members.shape[0])
    )


def model_graph(model: SoftPowerModel, layers: Iterable[str] | None = None) -> nx.DiGraph:
    """Return the graph of a model at its current step.

    Nodes carry the current capacities and memberships; edges the ties in force (trade after
    tariffs, alliances, memberships, regions, rivalries and the social mix W). Graph attributes:
    ``step``, ``date``, ``scenario`` and ``layers``.

    Args:
        model: A model, at any step.
        layers: Layers to include (default: all of `sim.world.graph.LAYERS`).

    Raises:
        NetworkError: An unknown layer.

    """
    wanted = check_layers(layers)
    every = {
        "trade": lambda: model.trade,
        "alliance": lambda: model.alliance,
        "membership": lambda: jaccard(model.members),
        "region": lambda: model.same_region,
        "rivalry": lambda: model.rivalry,
        "social": lambda: social_matrix(model),
    }
    w = model.world
    return nations_graph(
        iso3=model.iso3,
        name=w.name,
        region=w.region,
        lat=w.lat,
        lon=w.lon,
        capacity=model.capacity,
        blocs=_blocs(model.initiatives, model.members),
        layers={x: every[x]() for x in wanted},
        attributes={
            "step": int(model.steps),
            "date": model.plan.date(model.steps),
            "scenario": model.plan.name,
        },
    )


def world_graph(
    world: World, layers: Iterable[str] | None = None, parameters: Parameters | None = None
) -> nx.DiGraph:
    """Return the graph of a world as a run starts from it, with the social mix W.

    Args:
        world: The world.
        layers: Layers to include (default: all of `sim.world.graph.LAYERS`).
        parameters: Model parameters of the social mix (default: the registry's defaults).

    Raises:
        NetworkError: An unknown layer.

    """
    wanted = check_layers(layers)
    social = None
    if "social" in wanted:
        p = parameters if parameters is not None else Parameters()
        shared = exposure.shared_membership(world.membership_matrix())
        social = exposure.social_ties(world.trade, world.alliance, shared, p).toarray()
    return world.graph(wanted, social=social)


def graph_at(
    scenario: Scenario,
    world: World,
    at: str,
    *,
    seed: int = 0,
    parameters: Parameters | None = None,
    layers: Iterable[str] | None = None,
) -> nx.DiGraph:
    """Run ``scenario`` up to the quarter ``at`` (``YYYY-Qn``) and return its graph then.

    The graph at a date is the network in force at the start of that quarter: the events of
    earlier quarters have acted, those of that quarter not yet.

    Raises:
        NetworkError: A date that is not a quarter of the run (with the run's range).

    """
    from sim.model.model import SoftPowerModel

    wanted = check_layers(layers)
    plan = scenario.plan(world)
    dates = [plan.date(s) for s in range(plan.steps + 1)]
    if at not in dates:
        raise NetworkError(
            f"{at!r} is not a quarter of the run",
            key="--at",
            expected=f"YYYY-Qn from {dates[0]} to {dates[-1]}",
        )
    step = dates.index(at)
    model = SoftPowerModel(world, scenario, parameters=parameters, rng=seed)
    while model.steps < step:
        model.step()
    return model_graph(model, wanted)


def check_graph_path(path: str | Path) -> Path:
    """Return ``path`` if its suffix names a graph format (`GRAPH_FORMATS`).

    Raises:
        NetworkError: Another suffix.

    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in GRAPH_FORMATS:
        raise NetworkError(
            f"cannot write a graph as {suffix or 'a file without suffix'!r}",
            file=str(path),
            key="--out",
            expected="a .graphml or .gexf file",
            suggestion=suggest(suffix, GRAPH_FORMATS),
        )
    return path


def write_graph(graph: nx.DiGraph, path: str | Path) -> Path:
    """Write ``graph`` as GraphML (``.graphml``) or GEXF (``.gexf``), by the file's suffix.

    Raises:
        NetworkError: Another suffix.

    """
    path = check_graph_path(path)
    if path.suffix.lower() == ".graphml":
        nx.write_graphml(graph, path)
    else:
        nx.write_gexf(graph, path)
    return path


def hops_from(social: np.ndarray, sources: Iterable[int]) -> np.ndarray:
    """Return each nation's distance in hops from ``sources`` along the social mix.

    Opinion flows from j to i when W[i, j] > 0 (i listens to j), so a nation is one hop from a
    source it listens to, two hops from one that a nation it listens to listens to, and so on.

    Args:
        social: (observer, observer) social mix W.
        sources: Indices at hop 0.

    Returns:
        (nation,) hop counts; `UNREACHED` where no path leads from a source.

    """
    n = social.shape[0]
    hops = np.full(n, UNREACHED, dtype=np.int64)
    frontier = sorted({int(s) for s in sources})
    hops[frontier] = 0
    listens = social > 0
    np.fill_diagonal(listens, False)
    distance = 0
    while frontier:
        distance += 1
        reached = listens[:, frontier].any(axis=1) & (hops == UNREACHED)
        frontier = [int(i) for i in np.flatnonzero(reached)]
        hops[frontier] = distance
    return hops


def _symmetric(graph: nx.DiGraph, weight: str) -> nx.Graph:
    out: nx.Graph[str] = nx.Graph()
    out.add_nodes_from(graph.nodes)
    for u, v, data in graph.edges(data=True):
        w = data.get(weight, 0.0) / 2.0
        if w > 0:
            previous = out.edges[u, v]["weight"] if out.has_edge(u, v) else 0.0
            out.add_edge(u, v, weight=previous + w)
    return out


def measures(graph: nx.DiGraph, *, weight: str = "social", seed: int = 0) -> pd.DataFrame:
    """Return centralities and blocs of each nation on one layer of the graph (the social mix).

    Args:
        graph: A graph of `world_graph` or `model_graph`.
        weight: The layer measured (default ``social``).
        seed: Seed of the Louvain community detection (same seed, same blocs).

    Returns:
        One row per nation, by descending eigenvector centrality: ``iso3, name, region,
        in_strength`` (Σ of the weights others give it), ``eigenvector`` (left eigenvector, sums
        to 1), ``betweenness`` (normalised, on distances −ln weight), ``bloc`` (1 = the largest
        Louvain community) and ``bloc_core`` (the bloc's most central nation).

    Raises:
        NetworkError: A layer the graph does not carry.

    """
    if weight not in graph.graph.get("layers", "").split(","):
        raise NetworkError(
            f"the graph has no layer {weight!r}",
            key="weight",
            expected=graph.graph.get("layers", "") or ", ".join(LAYERS),
        )
    tied: nx.DiGraph[str] = nx.DiGraph()
    tied.add_nodes_from(graph.nodes)
    for u, v, data in graph.edges(data=True):
        if data[weight] > 0:
            tied.add_edge(u, v, weight=data[weight], distance=-math.log(min(data[weight], 1.0)))
    strength = dict(tied.in_degree(weight="weight"))
    try:
        eigen = nx.eigenvector_centrality(tied, max_iter=2000, tol=1e-10, weight="weight")
    except nx.PowerIterationFailedConvergence:  # pragma: no cover - a periodic mix
        eigen = nx.eigenvector_centrality_numpy(tied, weight="weight")
    total = sum(eigen.values()) or 1.0
    between = nx.betweenness_centrality(tied, weight="distance", normalized=True)
    communities = nx.community.louvain_communities(
        _symmetric(tied, "weight"), weight="weight", seed=seed
    )
    communities = sorted(communities, key=lambda c: (-len(c), min(c)))
    bloc = {code: b + 1 for b, members in enumerate(communities) for code in members}
    core = {
        b + 1: max(sorted(members), key=lambda c: eigen[c]) for b, members in enumerate(communities)
    }
    rows = [
        {
            "iso3": code,
            "name": graph.nodes[code].get("name", code),
            "region": graph.nodes[code].get("region", ""),
            "in_strength": float(strength[code]),
            "eigenvector": float(eigen[code] / total),
            "betweenness": float(between[code]),
            "bloc": bloc[code],
            "bloc_core": core[bloc[code]],
        }
        for code in graph.nodes
    ]
    table = pd.DataFrame(rows)
    return table.sort_values(["eigenvector", "iso3"], ascending=[False, True]).reset_index(
        drop=True
    )
