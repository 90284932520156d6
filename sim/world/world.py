"""The world a model starts from: nations, their capacities and the ties between them.

`World.load()` reads a folder of sourced CSV files (by default the default world, un193, in
``sim/data/un193``; the 60-nation core60 is ``sim/data``; see its README for how each capacity
is built and how gaps are imputed); `World.synthetic()` makes a seeded random world of any
size for tests and scaling studies.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from sim.errors import DataError, NetworkError, suggest
from sim.world.graph import STRUCTURAL_LAYERS, check_layers, jaccard, nations_graph

__all__ = [
    "DATA_DIR",
    "ALLIANCE_GROUPS",
    "INITIATIVE_LEADERS",
    "AID_STRATEGIES",
    "ImputationFlag",
    "World",
    "CAPACITY_INDICATORS",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: Membership groups whose members count as allies of each other (mutual-defence commitments).
ALLIANCE_GROUPS: tuple[str, ...] = ("NATO", "CSTO", "ANZUS", "AUKUS", "Rio_Treaty_TIAR", "GCC")

#: Initiatives led by one actor: membership raises that actor's aid and diplomacy exposure.
INITIATIVE_LEADERS: dict[str, str] = {"BRI": "CHN"}

#: Indicators behind each capacity channel (each square-root scaled to the best nation, then
#: averaged). ``rnd_usd`` is R&D intensity × GDP; ``aid_usd`` is the donor's aid volume.
CAPACITY_INDICATORS: dict[str, tuple[str, ...]] = {
    "culture": (
        "unesco_world_heritage_sites",
        "international_tourist_arrivals",
        "inbound_mobile_students_uis",
        "arwu_universities_top500",
    ),
    "tech": ("rnd_usd", "patent_applications_residents", "arwu_universities_top500"),
    "aid": ("aid_usd",),
    "diplomacy": ("diplomatic_posts_lowy", "membership_count"),
}

#: Aid allocation strategies a donor can follow (aid_strategies.csv, scenarios' aid_policy).
AID_STRATEGIES: tuple[str, ...] = ("need", "strategic", "retreat")

# The latest year used for the start state; 2025 values already contain the 2025 aid cuts,
# which belong to scenarios, not to the starting world.
START_DATA_YEAR = 2024


@dataclass(frozen=True)
class ImputationFlag:
    """A value that was not found in a source and was filled by a documented rule.

    Attributes:
        iso3: The nation.
        indicator: The indicator filled.
        value: The value used.
        rule: The documented rule that produced it.

    """

    iso3: str
    indicator: str
    value: float
    rule: str


@dataclass
class World:
    """Nations, capacities and ties at the start of a run.

    All arrays are indexed by nation in the order of ``iso3``.

    Attributes:
        iso3: ISO3 codes.
        name: Country names.
        region: UN region of each nation.
        lat: Capital latitude (degrees).
        lon: Capital longitude (degrees).
        gdp: GDP, current US$.
        population: Persons.
        median_age: Years.
        internet: Share of the population online, in [0, 1].
        capacity: (actor, channel) capacity indices in [0, 1] (1 = the best nation).
        aid_usd: Aid volume of each donor, US$ per year (0 for non-donors).
        trade: (nation, partner) share of the nation's goods trade with the partner, in [0, 1].
        imports: (importer, exporter) share of the importer's imports from the exporter.
        alliance: (nation, nation) 1 where the two are allies (symmetric).
        rivalry: (nation, nation) 1 where the two are rivals (symmetric).
        groups: Membership of each group or initiative (ISO3 sets), including BRI, PARIS, WHO.
        aid_strategy: Starting aid allocation strategy of each donor: need | strategic | retreat.
        freedom: Political freedom in [0, 1] (Freedom House total score / 100): the values an
            observer's public holds and an actor's government stands for.
        governance: Quality of governance in about [-1, 1] (mean of the World Bank's government
            effectiveness, rule of law and control of corruption estimates / 2.5).
        flags: Imputed values.
        sources: Indicator name → sources used.
        indicators: The indicators behind the capacities (`CAPACITY_INDICATORS`), one value per
            nation as the loader used it (imputed where `flags` says so); empty for a synthetic
            world.

    """

    iso3: tuple[str, ...]
    name: tuple[str, ...]
    region: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    gdp: np.ndarray
    population: np.ndarray
    median_age: np.ndarray
    internet: np.ndarray
    capacity: np.ndarray
    aid_usd: np.ndarray
    trade: np.ndarray
    imports: np.ndarray
    alliance: np.ndarray
    rivalry: np.ndarray
    groups: dict[str, frozenset[str]]
    aid_strategy: dict[str, str]
    freedom: np.ndarray
    governance: np.ndarray
    flags: tuple[ImputationFlag, ...] = ()
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    indicators: dict[str, np.ndarray] = field(default_factory=dict)

    # ------------------------------------------------------------------ basics
    @property
    def n(self) -> int:
        """Number of nations."""
        return len(self.iso3)

    @functools.cached_property
    def fingerprint(self) -> str:
        """A digest of the world's content (BLAKE2b, 32 hex digits): codes, names, regions,
        every array, the groups and the aid strategies, not the provenance (``flags``,
        ``sources``). Worlds equal in content have the same fingerprint, so it keys what is
        computed from a world (the model's spin-up). Computed once per World: a world is not
        changed in place once models read it (they copy what they change;
        `dataclasses.replace` makes a new one).
        """
        digest = hashlib.blake2b(digest_size=16)

        def add(value: Any) -> None:
            if isinstance(value, np.ndarray):
                digest.update(f"{value.dtype.str}{value.shape}".encode())
                digest.update(np.ascontiguousarray(value).tobytes())
            elif isinstance(value, dict):
                for key in sorted(value):
                    digest.update(repr(key).encode())
                    add(value[key])
            elif isinstance(value, frozenset):
                digest.update(repr(sorted(value)).encode())
            else:
                digest.update(repr(value).encode())

        for f in fields(self):
            if f.name not in ("flags", "sources"):
                digest.update(f.name.encode())
                add(getattr(self, f.name))
        return digest.hexdigest()

    def index(self, iso3: str) -> int:
        """Return the array index of a nation.

        Raises:
            DataError: Unknown code (with a suggestion).

        """
        try:
            return self.iso3.index(iso3)
        except ValueError:
            raise DataError(
                f"unknown nation {iso3!r}",
                expected="an ISO3 code of the world",
                suggestion=suggest(iso3, self.iso3),
            ) from None

    def same_region(self) -> np.ndarray:
        """Return the (nation, nation) 0/1 matrix of nations sharing a UN region (zero diagonal)."""
        region = np.array(self.region)
        same = (region[:, None] == region[None, :]).astype(float)
        np.fill_diagonal(same, 0.0)
        return same

    def need(self) -> np.ndarray:
        """Return each nation's aid need in [0, 1]: 1 − sqrt(GDP per head / the highest)."""
        per_head = self.gdp / self.population
        return 1.0 - np.sqrt(per_head / per_head.max())

    def membership_matrix(self, names: Iterable[str] | None = None) -> np.ndarray:
        """Return the (nation, group) 0/1 membership matrix for ``names`` (all groups if None)."""
        names = list(self.groups) if names is None else list(names)
        out = np.zeros((self.n, len(names)))
        position = {code: i for i, code in enumerate(self.iso3)}
        for j, g in enumerate(names):
            for code in self.groups.get(g, ()):
                if code in position:
                    out[position[code], j] = 1.0
        return out

    def blocs(self) -> tuple[str, ...]:
        """Return each nation's groups and initiatives, sorted and joined by ``;``."""
        return tuple(
            ";".join(sorted(g for g, members in self.groups.items() if code in members))
            for code in self.iso3
        )

    def graph(
        self, layers: Iterable[str] | None = None, *, social: np.ndarray | None = None
    ) -> nx.DiGraph:
        """Return the world as a directed networkx graph with one weight attribute per layer.

        Nodes are ISO3 codes with attributes iso3, name, region, lat, lon, the four
        ``capacity_<channel>`` and ``blocs`` (groups joined by ``;``); edges carry ``trade``,
        ``alliance``, ``membership``, ``region``, ``rivalry`` and, when ``social`` is given,
        ``social`` (see `sim.world.graph`). `sim.analysis.network.world_graph` adds the social
        mix the kernel starts from; `sim.analysis.network.model_graph` gives the graph of a
        running model.

        Args:
            layers: Layers to include (default: the structural ones, and ``social`` if given).
            social: The (observer, observer) social mix W, for the ``social`` layer.

        Raises:
            NetworkError: An unknown layer, or ``social`` asked for without the mix.

        """
        default = STRUCTURAL_LAYERS + (("social",) if social is not None else ())
        wanted = check_layers(layers, default)
        if "social" in wanted and social is None:
            raise NetworkError(
                "the social layer needs the model's parameters",
                key="layers",
                suggestion="use sim.analysis.network.world_graph(world)",
            )
        every = {
            "trade": self.trade,
            "alliance": self.alliance,
            "membership": jaccard(self.membership_matrix()),
            "region": self.same_region(),
            "rivalry": self.rivalry,
            "social": social,
        }
        return nations_graph(
            iso3=self.iso3,
            name=self.name,
            region=self.region,
            lat=self.lat,
            lon=self.lon,
            capacity=self.capacity,
            blocs=self.blocs(),
            layers={x: v for x in wanted if (v := every[x]) is not None},
        )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def load(cls, data_dir: str | Path | None = None) -> World:
        """Read a world from a folder of sourced data files (a fresh copy at each call).

        `sim.world.bundled_world` shares one copy per bundled world; use it unless you change the
        world.

        Args:
            data_dir: Folder with the CSV files (default: the project's default world,
                `sim.world.DEFAULT_WORLD`, ``un193``; ``sim.world.WORLDS["core60"]`` is the
                60-nation world).

        Returns:
            The `World`.

        Raises:
            DataError: A missing file, a missing column or a malformed row.

        """
        from sim.world.bundled import DEFAULT_WORLD, WORLDS
        from sim.world.loader import read_world

        return read_world(Path(data_dir) if data_dir else WORLDS[DEFAULT_WORLD])

    @classmethod
    def synthetic(cls, n: int, rng: np.random.Generator) -> World:
        """Return a seeded random world of ``n`` nations, for tests and scaling.

        Args:
            n: Number of nations (≥ 2).
            rng: Random generator; the same state gives the same world.

        Returns:
            A `World` with random capacities, trade, alliances, rivalries and groups.

        """
        from sim.world.synthetic import synthetic_world

        return synthetic_world(n, rng)
