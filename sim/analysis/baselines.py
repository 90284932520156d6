"""Naive baselines a model must beat: rankings by a single indicator or a capacity composite, and
for polls the last published value carried forward.
"""

from __future__ import annotations

import numpy as np

from sim.axes import CHANNELS
from sim.params import Parameters
from sim.world.world import CAPACITY_INDICATORS, World

__all__ = ["INDICATOR_LABELS", "index_baselines", "poll_baselines"]


#: Readable names of the indicators behind the capacities (`sim.world.CAPACITY_INDICATORS`).
INDICATOR_LABELS: dict[str, str] = {
    "unesco_world_heritage_sites": "UNESCO heritage sites",
    "international_tourist_arrivals": "tourist arrivals",
    "inbound_mobile_students_uis": "inbound students",
    "arwu_universities_top500": "universities in ARWU top 500",
    "rnd_usd": "R&D spending (US$)",
    "patent_applications_residents": "resident patent applications",
    "aid_usd": "aid volume (US$)",
    "diplomatic_posts_lowy": "diplomatic posts",
    "membership_count": "group memberships",
}


def index_baselines(world: World) -> dict[str, np.ndarray]:
    """Return naive predictors of each nation's soft power built from the model's own inputs.

    The equal-weight composite of the four capacity channels, each channel, GDP, population and
    every single indicator behind the capacities (`sim.world.CAPACITY_INDICATORS`). No dynamics,
    no parameters.

    Args:
        world: The world the model starts from (its `World.indicators`: a synthetic world
            has none, only its capacities, GDP and population).

    Returns:
        Baseline name → (nation,) values, higher meaning more soft power.

    """
    out: dict[str, np.ndarray] = {
        "equal-weight capacity composite": world.capacity.mean(axis=1),
    }
    for d, channel in enumerate(CHANNELS):
        out[f"capacity: {channel}"] = world.capacity[:, d]
    out["GDP"] = np.asarray(world.gdp, dtype=float)
    out["population"] = np.asarray(world.population, dtype=float)
    raw = dict(world.indicators)
    for channel in CHANNELS:
        if len(CAPACITY_INDICATORS[channel]) == 1:
            continue  # the channel is a monotone transform of its one indicator: same ranking
        for name in CAPACITY_INDICATORS[channel]:
            label = INDICATOR_LABELS.get(name, name)
            if name in raw and label not in out:
                out[label] = raw[name]
    return out


def poll_baselines(
    world: World, pole_a: str, pole_b: str, parameters: Parameters | None = None
) -> dict[str, np.ndarray]:
    """Return naive predictors of each observer's lean between two actors (A minus B).

    Built from the model's structural inputs: trade share, import share, alliance, rivalry, shared
    UN region and shared memberships with each pole, their equal-weight composite (z-scored, a
    rivalry counting against), and the structural anchor p0 alone (the model's starting opinion
    before spin-up and without any channel).

    Args:
        world: The world the model starts from.
        pole_a: ISO3 code of actor A.
        pole_b: ISO3 code of actor B.
        parameters: The run's parameters (for the anchor; default parameters when None).

    Returns:
        Baseline name → (observer,) leans in world order.

    """
    from sim.model.exposure import shared_membership
    from sim.model.model import SoftPowerModel

    a, b = world.index(pole_a), world.index(pole_b)
    sym_trade = (world.trade + world.trade.T) / 2.0
    members = world.membership_matrix(sorted(set(world.groups) | {"BRI", "PARIS", "WHO"}))
    layers = {
        "trade share": sym_trade,
        "import share": world.imports,
        "alliance": world.alliance,
        "rivalry (against)": -world.rivalry,
        "same UN region": world.same_region(),
        "shared memberships": shared_membership(members),
    }
    out = {name: m[:, a] - m[:, b] for name, m in layers.items()}
    z = []
    for v in out.values():
        sd = v.std()
        if sd > 0:
            z.append((v - v.mean()) / sd)
    composite = {"equal-weight structural composite": np.mean(z, axis=0) if z else out["alliance"]}
    base = parameters or Parameters()
    anchor_model = SoftPowerModel(
        world=world,
        parameters=Parameters.from_mapping({"spinup_steps": 0}, base=base),
        steps=0,
        rng=0,
    )
    anchor = anchor_model.attraction()
    return {**composite, **out, "structural anchor p0 (no dynamics)": anchor[:, a] - anchor[:, b]}
