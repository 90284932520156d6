"""Nations as a networkx graph: one directed edge per tie, one weight attribute per layer.

The kernel keeps the network as dense numpy arrays and a sparse social mix; this module turns
those arrays into a `networkx.DiGraph` for analysis and for Gephi or Cytoscape (GraphML, GEXF).
Every attribute is a plain ``str``, ``int`` or ``float`` (no None, no list), so the graph writes
to GraphML and reads back unchanged.

An edge ``i → j`` reads as "i's tie to j" (the row-and-column convention of the arrays): its
``trade`` is the share of i's goods trade with j, its ``social`` the weight i gives j's opinion
in its social mix W (influence flows from j to i). Layers:

- ``trade``: share of the source's goods trade with the target, in [0, 1];
- ``alliance``: 1 between allies (both ways);
- ``membership``: Jaccard similarity of the two nations' group memberships, in [0, 1] (as the
  model's exposure and social mix use it);
- ``region``: 1 between nations of the same UN region;
- ``rivalry``: 1 between rivals;
- ``social``: the row-stochastic social mix W the kernel averages opinion with (self weight
  as the node attribute ``social_self``); it needs the model's parameters, so
  `sim.analysis.network` computes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import networkx as nx
import numpy as np

from sim.axes import CHANNELS
from sim.errors import NetworkError, suggest

__all__ = [
    "LAYERS",
    "STRUCTURAL_LAYERS",
    "check_layers",
    "jaccard",
    "nations_graph",
]

#: Every layer a graph can carry, in attribute order.
LAYERS: tuple[str, ...] = ("trade", "alliance", "membership", "region", "rivalry", "social")
#: The layers that need no model parameters.
STRUCTURAL_LAYERS: tuple[str, ...] = LAYERS[:-1]


def check_layers(layers: Iterable[str] | None, default: Sequence[str] = LAYERS) -> tuple[str, ...]:
    """Return the layers asked for, checked and in `LAYERS` order (``default`` when None).

    Raises:
        NetworkError: An unknown layer name (with the closest one) or none at all.

    Example:
        >>> check_layers(["social", "trade"])
        ('trade', 'social')

    """
    wanted = list(default) if layers is None else [str(x).strip() for x in layers]
    for name in wanted:
        if name not in LAYERS:
            raise NetworkError(
                f"unknown layer {name!r}",
                key="layers",
                expected="some of " + ", ".join(LAYERS),
                suggestion=suggest(name, LAYERS),
            )
    if not wanted:
        raise NetworkError("no layer", key="layers", expected="some of " + ", ".join(LAYERS))
    return tuple(x for x in LAYERS if x in wanted)


def jaccard(members: np.ndarray) -> np.ndarray:
    """Return the (nation, nation) Jaccard similarity of 0/1 memberships (zero diagonal).

    The same numbers as `sim.model.exposure.shared_membership` (a test checks it), which the
    world layer may not import.
    """
    both = members @ members.T
    count = members.sum(axis=1)
    either = count[:, None] + count[None, :] - both
    out = np.divide(both, either, out=np.zeros_like(both, dtype=float), where=either > 0)
    np.fill_diagonal(out, 0.0)
    return out


def nations_graph(
    *,
    iso3: Sequence[str],
    name: Sequence[str],
    region: Sequence[str],
    lat: np.ndarray,
    lon: np.ndarray,
    capacity: np.ndarray,
    blocs: Sequence[str],
    layers: Mapping[str, np.ndarray],
    attributes: Mapping[str, str | int | float] | None = None,
) -> nx.DiGraph:
    """Build the directed graph of nations from per-layer (nation, nation) weight matrices.

    An edge ``i → j`` (i ≠ j) is present when any layer's weight is positive, and carries every
    layer as a float attribute (0.0 where that layer has no tie) and ``weight``: the social mix
    when present, else the first layer (what Gephi and Cytoscape size edges by).

    Args:
        iso3: ISO3 codes (the node ids, also the node attribute ``iso3``).
        name: Country names.
        region: UN regions.
        lat: Capital latitudes.
        lon: Capital longitudes.
        capacity: (nation, channel) capacities (attributes ``capacity_<channel>``).
        blocs: Per nation, its groups and initiatives joined by ``;`` (attribute ``blocs``).
        layers: Layer name → (nation, nation) weights, in `LAYERS` order.
        attributes: Graph attributes (world, scenario, date, ...).

    Returns:
        The graph; with a ``social`` layer every node also has ``social_self`` (its own weight).

    """
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.graph.update({"layers": ",".join(layers), **(attributes or {})})
    social = layers.get("social")
    for i, code in enumerate(iso3):
        node: dict[str, str | float] = {
            "iso3": str(code),
            "name": str(name[i]),
            "region": str(region[i]),
            "lat": float(lat[i]),
            "lon": float(lon[i]),
            **{f"capacity_{c}": float(capacity[i, d]) for d, c in enumerate(CHANNELS)},
            "blocs": str(blocs[i]),
        }
        if social is not None:
            node["social_self"] = float(social[i, i])
        graph.add_node(str(code), **node)
    names = list(layers)
    stack = np.stack([np.asarray(layers[x], dtype=float) for x in names])
    present = (stack > 0).any(axis=0)
    np.fill_diagonal(present, False)
    weight_layer = names.index("social") if social is not None else 0
    for i, j in zip(*np.nonzero(present), strict=True):
        values = {x: float(stack[k, i, j]) for k, x in enumerate(names)}
        graph.add_edge(
            str(iso3[i]), str(iso3[j]), **values, weight=float(stack[weight_layer, i, j])
        )
    return graph
