"""Loading the bundled world from its CSV files (sim/data/README.md says how each number is used).

`read_world` reads the nations, capitals, indicators, memberships, trade partners and relations,
fills gaps by documented rules (each listed in `World.flags`) and builds the capacity indices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from sim.axes import CHANNELS
from sim.errors import DataError, suggest
from sim.params import Parameters
from sim.world.csvfile import number, read_rows
from sim.world.world import (
    AID_STRATEGIES,
    ALLIANCE_GROUPS,
    CAPACITY_INDICATORS,
    START_DATA_YEAR,
    ImputationFlag,
    World,
)

__all__ = ["capacity_index", "read_world"]


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


class _Reader:
    """What the steps of loading share: the folder, the nations, sources and flags."""

    def __init__(self, folder: Path, params: Parameters) -> None:
        self.folder = folder
        self.params = params
        countries = _read(folder / "countries.csv", ["iso3", "country", "un_region"])
        self.iso3 = tuple(r["iso3"] for _, r in countries)
        self.known = {c: i for i, c in enumerate(self.iso3)}
        self.n = len(self.iso3)
        self.name = tuple(r["country"] for _, r in countries)
        self.region = tuple(r["un_region"] for _, r in countries)
        self.sources: dict[str, set[str]] = {}
        self.flags: list[ImputationFlag] = []
        self.latest: dict[tuple[str, str], tuple[int, float]] = {}
        self.gdp = np.zeros(self.n)
        self.population = np.zeros(self.n)


def read_world(folder: Path, params: Parameters | None = None) -> World:
    """Build a `World` from the CSV files in ``folder`` (see sim/data/README.md).

    Args:
        folder: The data folder.
        params: Parameters of the world group (``unlisted_trade_share``,
            ``loan_aid_equivalence``); defaults from the registry.

    Raises:
        DataError: A missing file or column, an unknown code, a value without a source.

    """
    rd = _Reader(folder, params or Parameters())
    lat, lon = _capitals(rd)
    _indicators(rd)
    median_age = _indicator(rd, "median_age")
    internet = _indicator(rd, "internet_users_pct") / 100.0
    groups = _groups(rd)
    indicators = _capacity_indicators(rd, groups)
    capacity = capacity_index(indicators)
    trade, imports = _trade(rd)
    alliance, rivalry = _ties(rd, groups)
    freedom, governance = _governance(rd)
    return World(
        iso3=rd.iso3,
        name=rd.name,
        region=rd.region,
        lat=lat,
        lon=lon,
        gdp=rd.gdp,
        population=rd.population,
        median_age=median_age,
        internet=internet,
        capacity=capacity,
        aid_usd=indicators["aid_usd"],
        trade=trade,
        imports=imports,
        alliance=alliance,
        rivalry=rivalry,
        groups=groups,
        aid_strategy=_aid_strategies(rd, indicators["aid_usd"]),
        freedom=freedom,
        governance=governance,
        flags=tuple(rd.flags),
        sources={k: tuple(sorted(v)) for k, v in rd.sources.items()},
        indicators=indicators,
    )


def _capitals(rd: _Reader) -> tuple[np.ndarray, np.ndarray]:
    iso3, known, n, sources = rd.iso3, rd.known, rd.n, rd.sources
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    path = rd.folder / "capitals.csv"
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
    return lat, lon


def _indicators(rd: _Reader) -> None:
    """Read the long-format indicators (one value per nation and indicator), GDP, population."""
    iso3, known, sources, latest = rd.iso3, rd.known, rd.sources, rd.latest
    path = rd.folder / "indicators_long.csv"
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
    rd.gdp = _column(rd, "gdp_current_usd_factbook")
    rd.population = _column(rd, "population")
    for label, arr in (("gdp_current_usd_factbook", rd.gdp), ("population", rd.population)):
        if np.isnan(arr).any():
            missing = [iso3[i] for i in np.flatnonzero(np.isnan(arr))]
            raise DataError(f"{label} missing for {', '.join(missing)}", file=str(path))


def _column(rd: _Reader, indicator: str) -> np.ndarray:
    """One indicator per nation as chosen by `_indicators` (NaN where there is none)."""
    return np.array([rd.latest.get((c, indicator), (0, np.nan))[1] for c in rd.iso3])


def _indicator(rd: _Reader, indicator: str) -> np.ndarray:
    """One indicator per nation, gaps filled by `_filled` and flagged."""
    return _filled(rd, indicator, _column(rd, indicator))


def _filled(rd: _Reader, indicator: str, arr: np.ndarray) -> np.ndarray:
    """Fill missing values by a log-linear fit on GDP and population, and flag each one."""
    have = ~np.isnan(arr)
    if have.all():
        return arr
    guess = _impute_log_ols(arr, have, rd.gdp, rd.population)
    for i in np.flatnonzero(~have):
        rd.flags.append(
            ImputationFlag(
                rd.iso3[i],
                indicator,
                float(guess[i]),
                f"log-linear fit on log GDP and log population over the {have.sum()} "
                "nations with data",
            )
        )
    return np.where(have, arr, guess)


def _groups(rd: _Reader) -> dict[str, frozenset[str]]:
    """Memberships (restricted to the modelled nations) plus BRI from its own status file."""
    known = rd.known
    path = rd.folder / "memberships.csv"
    groups_raw: dict[str, set[str]] = {}
    for line, r in _read(path, ["iso3", "group", "source_url"]):
        if not r["source_url"].strip():
            raise DataError("membership without a source", file=str(path), line=line)
        groups_raw.setdefault(r["group"], set())
        if r["iso3"] in known:
            groups_raw[r["group"]].add(r["iso3"])
    path = rd.folder / "bri_status.csv"
    bri = set()
    for line, r in _read(path, ["iso3", "bri_status", "source_url"]):
        _code(r["iso3"], known, path=path, line=line, key="iso3")
        if r["bri_status"] in ("member", "initiator"):
            bri.add(r["iso3"])
    groups_raw.pop("BRI_MoU", None)
    groups_raw["BRI"] = bri
    return {g: frozenset(m) for g, m in groups_raw.items()}


def _capacity_indicators(
    rd: _Reader, groups: Mapping[str, frozenset[str]]
) -> dict[str, np.ndarray]:
    """The indicators behind each capacity (`CAPACITY_INDICATORS`), gaps filled and flagged."""
    iso3, known, n, gdp = rd.iso3, rd.known, rd.n, rd.gdp
    latest, flags, sources = rd.latest, rd.flags, rd.sources

    # Filled in this order, so that `World.flags` lists imputations in it.
    rnd = _indicator(rd, "rnd_expenditure_pct_gdp")
    indicators = {
        name: _indicator(rd, name)
        for name in (
            "unesco_world_heritage_sites",
            "international_tourist_arrivals",
            "inbound_mobile_students_uis",
            "arwu_universities_top500",
        )
    }
    indicators["rnd_usd"] = rnd / 100.0 * gdp
    for name in ("patent_applications_residents", "diplomatic_posts_lowy"):
        indicators[name] = _indicator(rd, name)
    indicators["membership_count"] = np.array(
        [sum(c in m for g, m in groups.items() if g not in ("PARIS", "WHO")) for c in iso3],
        dtype=float,
    )
    aid_usd = np.zeros(n)
    for i, c in enumerate(iso3):
        dac = latest.get((c, "oda_total_const2025_usd"))
        nondac = latest.get((c, "oda_total_current_usd_nondac"))
        if dac:
            aid_usd[i] = dac[1]
        elif nondac:
            aid_usd[i] = nondac[1]
    # China: AidData's ~US$80 bn a year of official development finance, mostly loans.
    path = rd.folder / "aid_context.csv"
    equivalence = rd.params.loan_aid_equivalence
    for line, r in _read(path, ["iso3", "indicator", "value", "source_url"]):
        if r["iso3"] == "CHN" and r["indicator"] == "aiddata_annual_oda_oof_commitments_approx":
            value = number(r["value"], path=path, line=line, key="value")
            aid_usd[known["CHN"]] = value * equivalence
            flags.append(
                ImputationFlag(
                    "CHN",
                    "aid_usd",
                    float(aid_usd[known["CHN"]]),
                    f"AidData official finance × {equivalence} (loan-to-aid equivalence)",
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
    return indicators


def capacity_index(indicators: Mapping[str, np.ndarray]) -> np.ndarray:
    """Return (actor, channel) capacities in [0, 1] from the indicators behind them.

    Each indicator is square-root scaled to the best nation, a channel averages its indicators
    (`CAPACITY_INDICATORS`), and each channel is divided by its largest value.
    """
    n = len(next(iter(indicators.values())))
    capacity = np.zeros((n, len(CHANNELS)))
    for d, channel in enumerate(CHANNELS):
        parts = [_sqrt_scaled(indicators[name]) for name in CAPACITY_INDICATORS[channel]]
        capacity[:, d] = np.mean(parts, axis=0)
    top = capacity.max(axis=0)
    return capacity / np.where(top > 0, top, 1.0)


def _trade(rd: _Reader) -> tuple[np.ndarray, np.ndarray]:
    """Return (trade, imports) shares between the nations.

    Top-5 partners' shares from the data; ``unlisted_trade_share`` of the rest of each flow is
    spread over the other nations of the world in proportion to their GDP (a gravity-style
    rule); the remainder goes to nations outside the model.
    """
    known, n, gdp = rd.known, rd.n, rd.gdp
    # Trade: top-5 partners' shares; the rest of each flow spread over the other nations of the
    # world in proportion to their GDP (a gravity-style rule, documented in the data README).
    path = rd.folder / "trade_partners.csv"
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
    kept = rd.params.unlisted_trade_share
    for matrix, flow in ((exports, "exports"), (imports, "imports")):
        for i in range(n):
            rest = max(0.0, 1.0 - listed[flow][i])
            others = (matrix[i] == 0.0) & (np.arange(n) != i)
            weight = gdp * others
            if weight.sum() > 0:
                matrix[i] += rest * weight / weight.sum() * kept
    return (exports + imports) / 2.0, imports


def _ties(rd: _Reader, groups: Mapping[str, frozenset[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Return (alliance, rivalry) 0/1 matrices from alliance groups and relations.csv."""
    known, n, sources = rd.known, rd.n, rd.sources
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
    path = rd.folder / "relations.csv"
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
    return alliance, rivalry


def _aid_strategies(rd: _Reader, aid_usd: np.ndarray) -> dict[str, str]:
    """Starting aid strategy of each donor: from aid_strategies.csv, else ``need``."""
    path = rd.folder / "aid_strategies.csv"
    listed = {}
    for line, r in _read(path, ["iso3", "strategy", "source"]):
        _code(r["iso3"], rd.known, path=path, line=line, key="iso3")
        if r["strategy"] not in AID_STRATEGIES:
            raise DataError(
                f"unknown aid strategy {r['strategy']!r}",
                file=str(path),
                line=line,
                key="strategy",
                expected=" or ".join(AID_STRATEGIES),
                suggestion=suggest(r["strategy"], AID_STRATEGIES),
            )
        listed[r["iso3"]] = r["strategy"]
    return {c: listed.get(c, "need") for i, c in enumerate(rd.iso3) if aid_usd[i] > 0}


#: Governance indicators averaged into `World.governance` (World Bank WGI estimates, −2.5..2.5).
GOVERNANCE_INDICATORS: tuple[str, ...] = (
    "wgi_government_effectiveness",
    "wgi_rule_of_law",
    "wgi_control_of_corruption",
)


def _governance(rd: _Reader) -> tuple[np.ndarray, np.ndarray]:
    """Return (freedom, governance) per nation from governance.csv (latest year ≤ 2024).

    A nation without a value gets the mean of its UN region (flagged in `World.flags`).
    """
    path = rd.folder / "governance.csv"
    values: dict[tuple[str, str], tuple[int, float]] = {}
    for line, r in _read(path, ["iso3", "year", "indicator", "value", "source_url"]):
        if r["iso3"] not in rd.known:
            continue  # the file covers every UN member; a world may hold fewer
        if not r["source_url"].strip():
            raise DataError("value without a source", file=str(path), line=line)
        year = int(number(r["year"], path=path, line=line, key="year"))
        value = number(r["value"], path=path, line=line, key="value")
        key = (r["iso3"], r["indicator"])
        if year <= START_DATA_YEAR and (key not in values or year > values[key][0]):
            values[key] = (year, value)
        rd.sources.setdefault(r["indicator"], set()).add(r["source_url"])

    def column(indicator: str) -> np.ndarray:
        arr = np.array([values.get((c, indicator), (0, np.nan))[1] for c in rd.iso3])
        for i in np.flatnonzero(np.isnan(arr)):
            peers = [j for j in range(rd.n) if rd.region[j] == rd.region[i] and j != i]
            known = [arr[j] for j in peers if not np.isnan(arr[j])]
            if not known:
                known = list(arr[~np.isnan(arr)])
            arr[i] = float(np.mean(known))
            rd.flags.append(ImputationFlag(rd.iso3[i], indicator, arr[i], "mean of its UN region"))
        return arr

    freedom = column("fh_total_score") / 100.0
    governance = np.mean([column(name) for name in GOVERNANCE_INDICATORS], axis=0) / 2.5
    return freedom, governance
