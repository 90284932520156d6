"""Seeded random worlds of any size, for tests and scaling studies."""

from __future__ import annotations

import numpy as np

from sim.axes import CHANNELS
from sim.world.world import World

__all__ = ["synthetic_world"]


def synthetic_world(n: int, rng: np.random.Generator) -> World:
    """Return a seeded random world of ``n`` nations (see `World.synthetic`).

    Example:
        >>> import numpy as np
        >>> synthetic_world(5, np.random.default_rng(0)).n
        5

    """
    if n < 2:
        raise ValueError("a world needs at least two nations")
    iso3 = tuple(f"N{i:03d}" for i in range(n))
    regions = tuple(f"Region {r}" for r in rng.integers(0, max(2, n // 10), size=n))
    gdp = np.exp(rng.normal(26.0, 1.5, size=n))
    population = np.exp(rng.normal(17.0, 1.2, size=n))
    capacity = rng.uniform(0.05, 1.0, size=(n, len(CHANNELS)))
    capacity[rng.random(n) < 0.5, CHANNELS.index("aid")] = 0.0
    if not capacity[:, CHANNELS.index("aid")].any():
        capacity[0, CHANNELS.index("aid")] = 1.0
    trade = np.zeros((n, n))
    for i in range(n):
        partners = rng.choice([j for j in range(n) if j != i], size=min(5, n - 1), replace=False)
        trade[i, partners] = rng.dirichlet(np.ones(len(partners))) * rng.uniform(0.4, 0.8)
    imports = trade.copy()
    upper = np.triu(rng.random((n, n)) < 3.0 / n, 1)
    alliance = (upper | upper.T).astype(float)
    upper = np.triu(rng.random((n, n)) < 1.0 / n, 1) & ~upper
    rivalry = (upper | upper.T).astype(float)
    groups = {}
    for g in range(max(3, n // 8)):
        members = [iso3[i] for i in range(n) if rng.random() < 0.25]
        groups[f"G{g}"] = frozenset(members)
    groups["BRI"] = frozenset(iso3[i] for i in range(1, n) if rng.random() < 0.4)
    groups["PARIS"] = frozenset(iso3)
    aid_usd = capacity[:, CHANNELS.index("aid")] * 1e10
    return World(
        iso3=iso3,
        name=tuple(f"Nation {i}" for i in range(n)),
        region=regions,
        lat=rng.uniform(-60, 70, size=n),
        lon=rng.uniform(-180, 180, size=n),
        gdp=gdp,
        population=population,
        median_age=rng.uniform(18, 48, size=n),
        internet=rng.uniform(0.2, 1.0, size=n),
        capacity=capacity,
        aid_usd=aid_usd,
        trade=trade,
        imports=imports,
        alliance=alliance,
        rivalry=rivalry,
        groups=groups,
        aid_strategy={c: "need" for c, a in zip(iso3, aid_usd, strict=True) if a > 0},
        freedom=rng.uniform(0.05, 1.0, size=n),
        governance=rng.uniform(-1.0, 1.0, size=n),
    )
