"""The world a model starts from: nations, their capacities and the ties between them.

`World.load()` reads the bundled, sourced CSV files in ``sim/data/`` (see its README for how each
capacity is built and how gaps are imputed); `World.synthetic()` makes a seeded random world of any
size for tests and scaling studies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

from sim.csvfile import number, read_rows
from sim.dynamics import CHANNELS
from sim.errors import DataError, suggest

__all__ = [
    "DATA_DIR",
    "ALLIANCE_GROUPS",
    "INITIATIVE_LEADERS",
    "ImputationFlag",
    "World",
    "CAPACITY_INDICATORS",
]

DATA_DIR = Path(__file__).parent / "data"

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

# Chinese development finance is mostly lending (OOF), not grant aid; count it at this share of
# its face value so it is comparable with ODA. A modelling assumption, flagged in the data README.
LOAN_AID_EQUIVALENCE = 0.5

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
    flags: tuple[ImputationFlag, ...] = ()
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    indicators: dict[str, np.ndarray] = field(default_factory=dict)

    # ------------------------------------------------------------------ basics
    @property
    def n(self) -> int:
        """Number of nations."""
        return len(self.iso3)

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

    def graph(self) -> nx.MultiDiGraph:
        """Return the world as a networkx multigraph with one edge key per layer.

        Nodes are ISO3 codes with attributes name, region, lat, lon, gdp and capacity per channel.
        Edge keys: ``trade`` (weight = share of the source's trade), ``alliance``, ``rivalry``,
        ``aid`` (donor → recipient, weight = need-based share of the donor's aid) and
        ``membership`` (weight = number of shared groups).
        """
        g = nx.MultiDiGraph()
        for i, code in enumerate(self.iso3):
            g.add_node(
                code,
                name=self.name[i],
                region=self.region[i],
                lat=float(self.lat[i]),
                lon=float(self.lon[i]),
                gdp=float(self.gdp[i]),
                **{f"capacity_{c}": float(self.capacity[i, d]) for d, c in enumerate(CHANNELS)},
            )
        members = self.membership_matrix()
        shared = members @ members.T
        need = self.need()
        for i, a in enumerate(self.iso3):
            for j, b in enumerate(self.iso3):
                if i == j:
                    continue
                if self.trade[i, j] > 0.0:
                    g.add_edge(a, b, key="trade", weight=float(self.trade[i, j]))
                if self.alliance[i, j]:
                    g.add_edge(a, b, key="alliance", weight=1.0)
                if self.rivalry[i, j]:
                    g.add_edge(a, b, key="rivalry", weight=1.0)
                if shared[i, j] > 0:
                    g.add_edge(a, b, key="membership", weight=float(shared[i, j]))
            if self.aid_usd[i] > 0:
                share = need * (np.arange(self.n) != i)
                share = share / share.sum() if share.sum() > 0 else share
                for j, b in enumerate(self.iso3):
                    if share[j] > 0:
                        g.add_edge(a, b, key="aid", weight=float(share[j]))
        return g

    # ------------------------------------------------------------------ constructors
    @classmethod
    def load(cls, data_dir: str | Path | None = None) -> World:
        """Load the bundled real-world data (60 nations).

        Args:
            data_dir: Folder with the CSV files (default: the bundled ``sim/data``).

        Returns:
            The `World`.

        Raises:
            DataError: A missing file, a missing column or a malformed row.

        """
        return _load(Path(data_dir) if data_dir else DATA_DIR)

    @classmethod
    def synthetic(cls, n: int, rng: np.random.Generator) -> World:
        """Return a seeded random world of ``n`` nations, for tests and scaling.

        Args:
            n: Number of nations (≥ 2).
            rng: Random generator; the same state gives the same world.

        Returns:
            A `World` with random capacities, trade, alliances, rivalries and groups.

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
            partners = rng.choice(
                [j for j in range(n) if j != i], size=min(5, n - 1), replace=False
            )
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
        return cls(
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
        )


# ---------------------------------------------------------------------- loading helpers


def _read(path: Path, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """Read a bundled CSV file into (line number, row) pairs, checking the header."""
    return read_rows(
        path,
        required,
        missing="data file not found",
        expected="the bundled CSV files of sim/data",
        suggestion="reinstall softpower or pass the folder that holds them",
    )[1]


def _code(text: str, known: Mapping[str, int], *, path: Path, line: int, key: str) -> int:
    if text not in known:
        raise DataError(
            f"unknown ISO3 code {text!r}",
            file=str(path),
            line=line,
            key=key,
            expected="one of the nations in countries.csv",
            suggestion=suggest(text, known),
        )
    return known[text]


def _sqrt_scaled(values: np.ndarray) -> np.ndarray:
    top = values.max()
    return np.sqrt(values / top) if top > 0 else np.zeros_like(values)


def _impute_log_ols(
    values: np.ndarray, have: np.ndarray, gdp: np.ndarray, population: np.ndarray
) -> np.ndarray:
    """Predict log1p(value) from log GDP and log population by least squares on known values."""
    x = np.column_stack([np.ones_like(gdp), np.log(gdp), np.log(population)])
    coef, *_ = np.linalg.lstsq(x[have], np.log1p(values[have]), rcond=None)
    return np.maximum(np.expm1(x @ coef), 0.0)


def _load(folder: Path) -> World:
    countries = _read(folder / "countries.csv", ["iso3", "country", "un_region"])
    iso3 = tuple(r["iso3"] for _, r in countries)
    known = {c: i for i, c in enumerate(iso3)}
    n = len(iso3)
    name = tuple(r["country"] for _, r in countries)
    region = tuple(r["un_region"] for _, r in countries)
    sources: dict[str, set[str]] = {}

    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    path = folder / "capitals.csv"
    for line, r in _read(path, ["iso3", "lat", "lon", "source_url"]):
        i = _code(r["iso3"], known, path=path, line=line, key="iso3")
        if not r["source_url"].strip():
            raise DataError("coordinates without a source", file=str(path), line=line)
        lat[i] = number(r["lat"], path=path, line=line, key="lat")
        lon[i] = number(r["lon"], path=path, line=line, key="lon")
        sources.setdefault("capital", set()).add(r["source_url"])
    if np.isnan(lat).any():
        missing = [iso3[i] for i in np.flatnonzero(np.isnan(lat))]
        raise DataError(f"no capital coordinates for {', '.join(missing)}", file=str(path))

    # Long-format indicators: one value per nation and indicator.
    path = folder / "indicators_long.csv"
    latest: dict[tuple[str, str], tuple[int, float]] = {}
    for line, r in _read(path, ["iso3", "year", "indicator", "value", "source_url"]):
        _code(r["iso3"], known, path=path, line=line, key="iso3")
        if not r["value"].strip():
            raise DataError(
                "empty value",
                file=str(path),
                line=line,
                key="value",
                expected="a number (leave missing values out of the file)",
            )
        year = int(number(r["year"], path=path, line=line, key="year"))
        value = number(r["value"], path=path, line=line, key="value")
        key = (r["iso3"], r["indicator"])
        # Prefer the latest year ≤ START_DATA_YEAR; otherwise the earliest later year.
        if key not in latest:
            latest[key] = (year, value)
        else:
            old = latest[key][0]
            better = (year <= START_DATA_YEAR and (old > START_DATA_YEAR or year > old)) or (
                year > START_DATA_YEAR and old > START_DATA_YEAR and year < old
            )
            if better:
                latest[key] = (year, value)
        sources.setdefault(r["indicator"], set()).add(r["source_url"])

    def column(indicator: str) -> np.ndarray:
        return np.array([latest.get((c, indicator), (0, np.nan))[1] for c in iso3])

    flags: list[ImputationFlag] = []
    gdp = column("gdp_current_usd_factbook")
    population = column("population")
    for label, arr in (("gdp_current_usd_factbook", gdp), ("population", population)):
        if np.isnan(arr).any():
            missing = [iso3[i] for i in np.flatnonzero(np.isnan(arr))]
            raise DataError(f"{label} missing for {', '.join(missing)}", file=str(path))

    def filled(indicator: str, arr: np.ndarray) -> np.ndarray:
        have = ~np.isnan(arr)
        if have.all():
            return arr
        guess = _impute_log_ols(arr, have, gdp, population)
        for i in np.flatnonzero(~have):
            flags.append(
                ImputationFlag(
                    iso3[i],
                    indicator,
                    float(guess[i]),
                    f"log-linear fit on log GDP and log population over the {have.sum()} "
                    "nations with data",
                )
            )
        return np.where(have, arr, guess)

    median_age = filled("median_age", column("median_age"))
    internet = filled("internet_users_pct", column("internet_users_pct")) / 100.0

    # Memberships (restricted to the modelled nations) plus BRI from its own status file.
    path = folder / "memberships.csv"
    groups_raw: dict[str, set[str]] = {}
    for line, r in _read(path, ["iso3", "group", "source_url"]):
        if not r["source_url"].strip():
            raise DataError("membership without a source", file=str(path), line=line)
        groups_raw.setdefault(r["group"], set())
        if r["iso3"] in known:
            groups_raw[r["group"]].add(r["iso3"])
    path = folder / "bri_status.csv"
    bri = set()
    for line, r in _read(path, ["iso3", "bri_status", "source_url"]):
        _code(r["iso3"], known, path=path, line=line, key="iso3")
        if r["bri_status"] in ("member", "initiator"):
            bri.add(r["iso3"])
    groups_raw.pop("BRI_MoU", None)
    groups_raw["BRI"] = bri
    groups = {g: frozenset(m) for g, m in groups_raw.items()}

    # Capacity indicators.
    rnd = filled("rnd_expenditure_pct_gdp", column("rnd_expenditure_pct_gdp"))
    indicators = {
        "unesco_world_heritage_sites": filled(
            "unesco_world_heritage_sites", column("unesco_world_heritage_sites")
        ),
        "international_tourist_arrivals": filled(
            "international_tourist_arrivals", column("international_tourist_arrivals")
        ),
        "inbound_mobile_students_uis": filled(
            "inbound_mobile_students_uis", column("inbound_mobile_students_uis")
        ),
        "arwu_universities_top500": filled(
            "arwu_universities_top500", column("arwu_universities_top500")
        ),
        "rnd_usd": rnd / 100.0 * gdp,
        "patent_applications_residents": filled(
            "patent_applications_residents", column("patent_applications_residents")
        ),
        "diplomatic_posts_lowy": filled("diplomatic_posts_lowy", column("diplomatic_posts_lowy")),
        "membership_count": np.array(
            [sum(c in m for g, m in groups.items() if g not in ("PARIS", "WHO")) for c in iso3],
            dtype=float,
        ),
    }
    aid_usd = np.zeros(n)
    for i, c in enumerate(iso3):
        dac = latest.get((c, "oda_total_const2025_usd"))
        nondac = latest.get((c, "oda_total_current_usd_nondac"))
        if dac:
            aid_usd[i] = dac[1]
        elif nondac:
            aid_usd[i] = nondac[1]
    # China: AidData's ~US$80 bn a year of official development finance, mostly loans.
    path = folder / "aid_context.csv"
    for line, r in _read(path, ["iso3", "indicator", "value", "source_url"]):
        if r["iso3"] == "CHN" and r["indicator"] == "aiddata_annual_oda_oof_commitments_approx":
            value = number(r["value"], path=path, line=line, key="value")
            aid_usd[known["CHN"]] = value * LOAN_AID_EQUIVALENCE
            flags.append(
                ImputationFlag(
                    "CHN",
                    "aid_usd",
                    float(aid_usd[known["CHN"]]),
                    f"AidData official finance × {LOAN_AID_EQUIVALENCE} (loan-to-aid equivalence)",
                )
            )
            sources.setdefault("aid_usd", set()).add(r["source_url"])
    for c in ("RUS", "IND"):
        if c in known and aid_usd[known[c]] == 0.0:
            flags.append(
                ImputationFlag(
                    c,
                    "aid_usd",
                    0.0,
                    "no US$ aid figure comparable with ODA; treated as a non-donor (a known gap)",
                )
            )
    indicators["aid_usd"] = aid_usd

    capacity = np.zeros((n, len(CHANNELS)))
    for d, channel in enumerate(CHANNELS):
        parts = [_sqrt_scaled(indicators[name]) for name in CAPACITY_INDICATORS[channel]]
        capacity[:, d] = np.mean(parts, axis=0)
    top = capacity.max(axis=0)
    capacity = capacity / np.where(top > 0, top, 1.0)

    # Trade: top-5 partners' shares; the rest of each flow spread over the other nations of the
    # world in proportion to their GDP (a gravity-style rule, documented in the data README).
    path = folder / "trade_partners.csv"
    exports = np.zeros((n, n))
    imports = np.zeros((n, n))
    listed = {"exports": np.zeros(n), "imports": np.zeros(n)}
    for line, r in _read(path, ["iso3", "flow", "partner_iso3", "share_pct", "source_url"]):
        i = _code(r["iso3"], known, path=path, line=line, key="iso3")
        if r["flow"] not in ("exports", "imports"):
            raise DataError(
                f"unknown flow {r['flow']!r}",
                file=str(path),
                line=line,
                key="flow",
                expected="exports or imports",
            )
        share = number(r["share_pct"], path=path, line=line, key="share_pct") / 100.0
        if not 0.0 <= share <= 1.0:
            raise DataError(
                f"share {share * 100:g}% out of range",
                file=str(path),
                line=line,
                key="share_pct",
                expected="a percentage in [0, 100]",
            )
        listed[r["flow"]][i] += share
        j = known.get(r["partner_iso3"])
        if j is not None and j != i:
            (exports if r["flow"] == "exports" else imports)[i, j] += share
    for matrix, flow in ((exports, "exports"), (imports, "imports")):
        for i in range(n):
            rest = max(0.0, 1.0 - listed[flow][i])
            others = (matrix[i] == 0.0) & (np.arange(n) != i)
            weight = gdp * others
            if weight.sum() > 0:
                matrix[i] += rest * weight / weight.sum() * 0.5
            # Half of the unlisted trade is assumed to go to nations outside the model.
    trade = (exports + imports) / 2.0

    # Alliances and rivalries.
    alliance = np.zeros((n, n))
    for g in ALLIANCE_GROUPS:
        members = [known[c] for c in groups.get(g, ())]
        for a in members:
            for b in members:
                if a != b:
                    alliance[a, b] = 1.0
    usa = known.get("USA")
    for c in groups.get("US_treaty_ally_bilateral", ()):
        if usa is not None and known[c] != usa:
            alliance[usa, known[c]] = alliance[known[c], usa] = 1.0
    rivalry = np.zeros((n, n))
    path = folder / "relations.csv"
    for line, r in _read(path, ["a", "b", "layer", "kind", "source"]):
        a = _code(r["a"], known, path=path, line=line, key="a")
        b = _code(r["b"], known, path=path, line=line, key="b")
        if not r["source"].strip():
            raise DataError("relation without a source", file=str(path), line=line, key="source")
        if r["layer"] == "alliance":
            alliance[a, b] = alliance[b, a] = 1.0
        elif r["layer"] == "rivalry":
            rivalry[a, b] = rivalry[b, a] = 1.0
        else:
            raise DataError(
                f"unknown layer {r['layer']!r}",
                file=str(path),
                line=line,
                key="layer",
                expected="alliance or rivalry",
                suggestion=suggest(r["layer"], ["alliance", "rivalry"]),
            )
        sources.setdefault(f"relation:{r['layer']}", set()).add(r["source"])
    alliance[rivalry > 0] = 0.0  # a documented rivalry overrides a shared alliance (GRC-TUR)

    strategy = {}
    for i, c in enumerate(iso3):
        if aid_usd[i] > 0:
            strategy[c] = "strategic" if c in ("CHN", "SAU", "ARE", "QAT", "KWT", "TUR") else "need"
    return World(
        iso3=iso3,
        name=name,
        region=region,
        lat=lat,
        lon=lon,
        gdp=gdp,
        population=population,
        median_age=median_age,
        internet=internet,
        capacity=capacity,
        aid_usd=aid_usd,
        trade=trade,
        imports=imports,
        alliance=alliance,
        rivalry=rivalry,
        groups=groups,
        aid_strategy=strategy,
        flags=tuple(flags),
        sources={k: tuple(sorted(v)) for k, v in sources.items()},
        indicators=indicators,
    )
