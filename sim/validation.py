"""Validation: how well a run's scores or attraction agree with a target index or opinion poll.

A target is a CSV file: ``iso3,value`` for an index (``iso3,rank`` for a ranking), the long format
``iso3,...,metric,value`` of ``sim/data/targets/`` (one metric is chosen), or ``observer,target,
value`` for polls. Indices are compared nation by nation; polls as the lean between two actors per
observer nation (favourable-A minus favourable-B against ``a[i,A] − a[i,B]``). Every figure of
agreement comes with the same figures for naive baselines built from the model's own inputs (each
indicator behind the capacities, each capacity channel, their equal-weight composite), so a reader
sees whether the dynamics add skill beyond ranking the inputs. Survey indices are targets only:
nothing here feeds the model.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from sim.csvfile import number, read_rows
from sim.dynamics import CHANNELS
from sim.errors import DataError, suggest
from sim.params import REGISTRY, Parameters
from sim.world import CAPACITY_INDICATORS, World

__all__ = [
    "ISO3_CODES",
    "INDICATOR_LABELS",
    "MIN_OVERLAP",
    "Target",
    "load_target",
    "spearman",
    "kendall",
    "Agreement",
    "bootstrap_agreement",
    "index_baselines",
    "poll_baselines",
    "choose_poles",
    "RankMiss",
    "ValidationReport",
    "validate_scores",
    "validate_leans",
    "RunOutputs",
    "load_run",
    "validate_run",
]

#: Fewest nations (or observers) a comparison needs before its figures mean anything.
MIN_OVERLAP = 8

#: ISO 3166-1 alpha-3 codes (249), plus XKX for Kosovo (a user-assigned code in common use).
ISO3_CODES: frozenset[str] = frozenset(
    """
    ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA BGD BGR
    BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV CMR COD COG
    COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH
    FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY
    HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM
    KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL
    MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR
    NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU
    SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA
    TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB
    VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE XKX
    """.split()  # noqa: SIM905 - a block of codes reads better than 250 quoted strings
)

#: Readable names of the indicators behind the capacities (see `sim.world.CAPACITY_INDICATORS`).
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


# ---------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """A validated target.

    Attributes:
        path: The file it came from.
        kind: ``index`` (one value per nation) or ``poll`` (one value per observer and target).
        metric: The column or metric used, e.g. ``gspi_score`` or ``value``.
        higher_is_better: False for ranks (1 = the most soft power).
        values: ``{iso3: value}`` for an index; ``{(observer, target): value}`` for a poll.
        lines: The line of each key in the file, for messages.

    """

    path: str
    kind: str
    metric: str
    higher_is_better: bool
    values: dict[Any, float]
    lines: dict[Any, int] = field(default_factory=dict, compare=False)

    @property
    def oriented(self) -> dict[Any, float]:
        """Values turned so that higher always means more soft power (ranks negated)."""
        sign = 1.0 if self.higher_is_better else -1.0
        return {k: sign * v for k, v in self.values.items()}

    def nations(self) -> list[str]:
        """The ISO3 codes the target mentions (observers and targets for a poll), in file order."""
        seen: dict[str, None] = {}
        for key in self.values:
            for code in key if isinstance(key, tuple) else (key,):
                seen.setdefault(code, None)
        return list(seen)

    def align(self, iso3: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Return (indices into ``iso3``, oriented target values, codes not in ``iso3``).

        Only for an index target.
        """
        where = {c: i for i, c in enumerate(iso3)}
        idx, vals, missing = [], [], []
        for code, value in self.oriented.items():
            if code in where:
                idx.append(where[code])
                vals.append(value)
            else:
                missing.append(code)
        return np.array(idx, dtype=int), np.array(vals, dtype=float), missing


def _check_code(text: str, *, path: str, line: int, key: str, known: Sequence[str]) -> str:
    code = text.strip()
    if code.upper() in ISO3_CODES and code != code.upper():
        raise DataError(
            f"ISO3 code {code!r} is not upper case",
            file=path,
            line=line,
            key=key,
            expected="an upper-case ISO 3166-1 alpha-3 code",
            suggestion=f"did you mean {code.upper()}?",
        )
    if code not in ISO3_CODES:
        raise DataError(
            f"unknown ISO3 code {code!r}",
            file=path,
            line=line,
            key=key,
            expected="an ISO 3166-1 alpha-3 code such as USA or CHN",
            suggestion=suggest(code.upper(), list(known) or sorted(ISO3_CODES))
            or suggest(code.upper(), sorted(ISO3_CODES)),
        )
    return code


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    return read_rows(
        path,
        missing="target file not found",
        expected="a CSV file with columns iso3,value or observer,target,value",
        suggestion="see sim/data/targets/ for an example",
    )


def _is_rank(metric: str) -> bool:
    return metric.split("__")[0].endswith("rank")


def load_target(path: str | Path, metric: str | None = None, known: Sequence[str] = ()) -> Target:
    """Read and validate a target file.

    Formats (detected from the header):

    - ``observer,target,value`` — a poll: favourability of ``target`` among ``observer``'s people;
    - ``iso3,metric,value`` (plus any other columns, as in ``sim/data/targets/gspi_2024.csv``) —
      long format: the rows of one ``metric`` are used (default: the only one, else a
      ``*_score`` metric); metrics ending in ``rank`` count 1 as the best;
    - ``iso3,value`` — an index, higher is better; ``iso3,rank`` — a ranking, 1 is the best.

    Args:
        path: The CSV file.
        metric: For the long format, which metric to use.
        known: ISO3 codes of the modelled nations, to suggest a fix for a mistyped code.

    Returns:
        The `Target`.

    Raises:
        DataError: Missing file, unknown header, unknown ISO3 code, a value that is not a number,
            conflicting duplicate rows, or an unknown metric.

    """
    path = Path(path)
    file = str(path)
    header, rows = _read_rows(path)
    cols = set(header)
    if {"observer", "target", "value"} <= cols:
        kind, value_col, key_cols = "poll", "value", ("observer", "target")
        chosen = "value"
    elif "iso3" in cols and ("value" in cols or "rank" in cols):
        kind, key_cols = "index", ("iso3",)
        value_col = "value" if "value" in cols else "rank"
        chosen = value_col
        if "metric" in cols and value_col == "value":
            metrics = list(dict.fromkeys(r["metric"].strip() for _, r in rows))
            if metric is None:
                scores = [m for m in metrics if m.endswith("_score")]
                if len(metrics) == 1:
                    metric = metrics[0]
                elif scores:
                    metric = scores[0]
                else:
                    raise DataError(
                        "the file holds several metrics",
                        file=file,
                        key="metric",
                        expected=f"one chosen with --metric: {', '.join(metrics)}",
                    )
            if metric not in metrics:
                raise DataError(
                    f"no rows with metric {metric!r}",
                    file=file,
                    key="metric",
                    expected=f"one of {', '.join(metrics) or '(none)'}",
                    suggestion=suggest(metric, metrics),
                )
            rows = [(line, r) for line, r in rows if r["metric"].strip() == metric]
            chosen = metric
    else:
        raise DataError(
            f"unrecognised columns {','.join(header) or '(none)'}",
            file=file,
            line=1,
            expected="a header iso3,value (an index), iso3,rank, iso3,...,metric,value "
            "(long format) or observer,target,value (a poll)",
        )
    if metric is not None and chosen != metric:
        raise DataError(
            "--metric applies only to long-format files",
            file=file,
            key="metric",
            expected="a file with a metric column",
        )
    values: dict[Any, float] = {}
    lines: dict[Any, int] = {}
    for line, row in rows:
        codes = tuple(
            _check_code(row[c], path=file, line=line, key=c, known=known) for c in key_cols
        )
        key = codes if kind == "poll" else codes[0]
        value = number(row[value_col], path=file, line=line, key=value_col)
        if key in values and values[key] != value:
            label = "/".join(codes)
            raise DataError(
                f"{label} has two values ({values[key]:g} on line {lines[key]}, {value:g})",
                file=file,
                line=line,
                key=value_col,
                expected="one value per nation (or observer and target)",
                suggestion="remove one of the rows",
            )
        values.setdefault(key, value)
        lines.setdefault(key, line)
    if not values:
        raise DataError("no data rows", file=file, expected="at least one row after the header")
    higher = not (_is_rank(chosen) or (value_col == "rank"))
    return Target(file, kind, chosen, higher, values, lines)


# ---------------------------------------------------------------------- agreement metrics


def _average_ranks(a: np.ndarray) -> np.ndarray:
    """Average ranks (1-based) along the last axis; ties share the mean of their positions."""
    a = np.asarray(a, dtype=float)
    flat = a.reshape(-1, a.shape[-1])
    n = flat.shape[1]
    order = np.argsort(flat, axis=1, kind="stable")
    ordered = np.take_along_axis(flat, order, axis=1)
    pos = np.broadcast_to(np.arange(n), flat.shape)
    starts = np.ones(flat.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ends = np.ones(flat.shape, dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, pos, n)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty(flat.shape)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=1)
    return ranks.reshape(a.shape)


def _pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (xc * yc).sum(axis=-1) / np.where(den > 0, den, 1.0), np.nan)


def spearman(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Return Spearman's rank correlation ρ (Pearson's r of average ranks); NaN if either is
    constant. Equals ``scipy.stats.spearmanr(x, y).statistic``.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(_pearson_rows(_average_ranks(x), _average_ranks(y)))


def _kendall_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's τ-b of each row pair of ``x`` and ``y`` (rows, n)."""
    sx = np.sign(x[..., :, None] - x[..., None, :])
    sy = np.sign(y[..., :, None] - y[..., None, :])
    concord = (sx * sy).sum(axis=(-2, -1))
    den = np.sqrt(np.abs(sx).sum(axis=(-2, -1)) * np.abs(sy).sum(axis=(-2, -1)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, concord / np.where(den > 0, den, 1.0), np.nan)


def kendall(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Return Kendall's τ-b (ties corrected); NaN if either is constant.

    Equals ``scipy.stats.kendalltau(x, y).statistic``.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(_kendall_rows(x, y))


@dataclass(frozen=True)
class Agreement:
    """Rank agreement of one predictor with the target, with bootstrap intervals.

    Attributes:
        name: What was compared (``model`` or a baseline's name).
        n: Nations (or observers) compared.
        spearman: Spearman's ρ.
        spearman_ci: Percentile bootstrap interval of ρ.
        kendall: Kendall's τ-b.
        kendall_ci: Percentile bootstrap interval of τ-b.
        model_better: For a baseline: share of the (paired) bootstrap resamples in which the
            model's ρ exceeds this baseline's; None for the model itself.
        same_sign: For leans: share of observers where predictor and target lean the same way.

    """

    name: str
    n: int
    spearman: float
    spearman_ci: tuple[float, float]
    kendall: float
    kendall_ci: tuple[float, float]
    model_better: float | None = None
    same_sign: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as plain numbers (NaN as None)."""

        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else round(float(v), 6)

        return {
            "name": self.name,
            "n": self.n,
            "spearman": num(self.spearman),
            "spearman_ci": [num(v) for v in self.spearman_ci],
            "kendall": num(self.kendall),
            "kendall_ci": [num(v) for v in self.kendall_ci],
            "model_better": num(self.model_better),
            "same_sign": num(self.same_sign),
        }


def _interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    good = samples[np.isfinite(samples)]
    if good.size == 0:
        return (math.nan, math.nan)
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(good, [tail, 100.0 - tail])
    return (float(lo), float(hi))


def bootstrap_agreement(
    observed: np.ndarray,
    predictors: Mapping[str, np.ndarray],
    *,
    reps: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    model: str = "model",
    signed: bool = False,
) -> list[Agreement]:
    """Return the `Agreement` of each predictor with ``observed``, from one shared set of
    bootstrap resamples (so the predictors are compared on the same resamples, paired).

    Args:
        observed: Target values, oriented so that higher means more soft power.
        predictors: Name → predicted values, same order as ``observed``.
        reps: Bootstrap resamples of the compared units (drawn with replacement).
        seed: Seed of the resampling (``numpy.random.SeedSequence(seed)``).
        level: Coverage of the percentile intervals.
        model: The predictor the others are compared against (``model_better``).
        signed: Also report the share of units where predictor and target have the same sign.

    Returns:
        One `Agreement` per predictor, in the order given.

    """
    observed = np.asarray(observed, dtype=float)
    n = observed.size
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    idx = rng.integers(0, n, size=(reps, n))
    y = observed[idx]
    y_ranks = _average_ranks(y)
    boot_rho: dict[str, np.ndarray] = {}
    out = []
    chunk = max(1, 2_000_000 // max(n * n, 1))
    for name, values in predictors.items():
        x_all = np.asarray(values, dtype=float)
        x = x_all[idx]
        rho = _pearson_rows(_average_ranks(x), y_ranks)
        tau = np.concatenate(
            [_kendall_rows(x[i : i + chunk], y[i : i + chunk]) for i in range(0, reps, chunk)]
        )
        boot_rho[name] = rho
        same = None
        if signed:
            same = float(np.mean(np.sign(x_all) == np.sign(observed)))
        out.append(
            Agreement(
                name,
                n,
                spearman(x_all, observed),
                _interval(rho, level),
                kendall(x_all, observed),
                _interval(tau, level),
                same_sign=same,
            )
        )
    if model in boot_rho:
        ref = boot_rho[model]
        for i, a in enumerate(out):
            if a.name != model:
                other = boot_rho[a.name]
                ok = np.isfinite(ref) & np.isfinite(other)
                share = float(np.mean(ref[ok] > other[ok])) if ok.any() else math.nan
                out[i] = replace(a, model_better=share)
    return out


# ---------------------------------------------------------------------- baselines


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
    from sim.exposure import shared_membership
    from sim.model import SoftPowerModel

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


# ---------------------------------------------------------------------- reports


@dataclass(frozen=True)
class RankMiss:
    """One nation's (or observer's) rank in the target and in the model, among those compared.

    Attributes:
        iso3: The nation (an observer for polls).
        target_rank: Rank in the target (1 = most soft power, or leaning most to A).
        model_rank: Rank in the model.
        target_value: The target's value as given in the file.
        model_value: The model's score (or lean).

    """

    iso3: str
    target_rank: int
    model_rank: int
    target_value: float
    model_value: float

    @property
    def miss(self) -> int:
        """Model rank minus target rank (positive: the model ranks it lower)."""
        return self.model_rank - self.target_rank


@dataclass(frozen=True)
class ValidationReport:
    """The figures of one validation.

    Attributes:
        target: The target file.
        kind: ``index`` or ``poll``.
        metric: The metric compared.
        higher_is_better: Orientation of the target's values.
        subject: What the model supplied (e.g. ``score at step 0 (2025-Q1)``).
        compared: Codes compared (nations or observers).
        not_modelled: Target codes that are not in the model's world.
        agreements: The model first, then each baseline.
        misses: The ten largest rank misses.
        bootstrap: Resamples, seed and level of the intervals.
        poles: The two actors of a poll's lean, else None.
        run: The run directory, if any.

    """

    target: str
    kind: str
    metric: str
    higher_is_better: bool
    subject: str
    compared: tuple[str, ...]
    not_modelled: tuple[str, ...]
    agreements: tuple[Agreement, ...]
    misses: tuple[RankMiss, ...]
    bootstrap: dict[str, Any]
    poles: tuple[str, str] | None = None
    run: str | None = None

    @property
    def model(self) -> Agreement:
        """The model's own agreement."""
        return self.agreements[0]

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "run": self.run,
            "target": self.target,
            "kind": self.kind,
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "poles": list(self.poles) if self.poles else None,
            "subject": self.subject,
            "n": len(self.compared),
            "compared": list(self.compared),
            "not_modelled": list(self.not_modelled),
            "model": self.model.to_dict(),
            "baselines": [a.to_dict() for a in self.agreements[1:]],
            "largest_rank_misses": [
                {
                    "iso3": m.iso3,
                    "target_rank": m.target_rank,
                    "model_rank": m.model_rank,
                    "miss": m.miss,
                    "target_value": m.target_value,
                    "model_value": round(m.model_value, 6),
                }
                for m in self.misses
            ],
            "bootstrap": self.bootstrap,
        }

    def to_json(self) -> str:
        """Return the report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        """Return the report as a plain-text table for a terminal."""
        b = self.bootstrap
        unit = "observers" if self.kind == "poll" else "nations"
        if self.kind == "poll":
            orient = "favourability"
        else:
            orient = "higher = more soft power" if self.higher_is_better else "1 = the most"
        lines = [
            f"target: {self.target} (metric {self.metric}, {orient})",
            f"model: {self.subject}" + (f" of run {self.run}" if self.run else ""),
        ]
        if self.poles:
            a, bb = self.poles
            lines.append(f"poll compared as lean {a} minus {bb} per observer nation")
        lines.append(f"{unit} compared: {len(self.compared)}")
        if self.not_modelled:
            lines.append(f"not in the model (skipped): {' '.join(self.not_modelled)}")
        lines.append(
            f"intervals: {b['level']:.0%} percentile bootstrap, {b['reps']} resamples of "
            f"{unit}, seed {b['seed']}; 'model better' = share of paired resamples where the "
            "model's Spearman beats the baseline's"
        )
        lines.append("")
        width = max(len(a.name) for a in self.agreements) + 2
        sign_col = self.kind == "poll"
        head = (
            f"{'':<{width}}{'n':>4}  {'Spearman':>8} {'95% CI':<15} {'Kendall':>7} {'95% CI':<15}"
        )
        head += f" {'model better':>12}" + (f" {'same sign':>9}" if sign_col else "")
        lines.append(head)

        def row(a: Agreement, label: str) -> str:
            def ci(v: tuple[float, float]) -> str:
                return f"[{v[0]:+.2f}, {v[1]:+.2f}]" if all(map(math.isfinite, v)) else "[  n/a ]"

            text = (
                f"{label:<{width}}{a.n:>4}  {a.spearman:>+8.3f} {ci(a.spearman_ci):<15} "
                f"{a.kendall:>+7.3f} {ci(a.kendall_ci):<15}"
            )
            better = "" if a.model_better is None else f"{a.model_better:.0%}"
            text += f" {better:>12}"
            if sign_col:
                text += f" {a.same_sign:>9.0%}" if a.same_sign is not None else f" {'':>9}"
            return text

        lines.append(row(self.model, "model"))
        lines.append("baselines from the model's inputs (no dynamics):")
        for a in self.agreements[1:]:
            lines.append(row(a, "  " + a.name))
        lines.append("")
        lines.append(
            f"largest rank misses (ranks among the {len(self.compared)} compared; "
            "+ = the model ranks it lower):"
        )
        lines.append(f"  {'code':<5} {'target':>6} {'model':>6} {'miss':>5}  target value")
        for m in self.misses:
            lines.append(
                f"  {m.iso3:<5} {m.target_rank:>6} {m.model_rank:>6} {m.miss:>+5d}  "
                f"{m.target_value:g}"
            )
        return "\n".join(lines)


def _ranks_desc(values: np.ndarray) -> np.ndarray:
    """1-based ranks, highest value first, ties broken by order (as `sim.metrics.rank`)."""
    order = np.argsort(-values, kind="stable")
    out = np.empty(len(values), dtype=int)
    out[order] = np.arange(1, len(values) + 1)
    return out


def _misses(
    codes: Sequence[str],
    observed: np.ndarray,
    predicted: np.ndarray,
    raw: Sequence[float],
    top: int = 10,
) -> tuple[RankMiss, ...]:
    t_rank, m_rank = _ranks_desc(observed), _ranks_desc(predicted)
    items = [
        RankMiss(c, int(t), int(m), float(r), float(p))
        for c, t, m, r, p in zip(codes, t_rank, m_rank, raw, predicted, strict=True)
    ]
    items.sort(key=lambda x: (-abs(x.miss), x.target_rank))
    return tuple(items[:top])


def _too_few(target: Target, n: int, unit: str, hint: str) -> DataError:
    return DataError(
        f"only {n} {unit} of the target are in the model",
        file=target.path,
        expected=f"at least {MIN_OVERLAP} {unit} in common with the run",
        suggestion=hint,
    )


def validate_scores(
    scores: Mapping[str, float],
    target: Target,
    world: World,
    *,
    subject: str = "score",
    reps: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    run: str | None = None,
) -> ValidationReport:
    """Compare nations' scores with an index target, and the baselines likewise.

    Args:
        scores: ``{iso3: score}`` from the model.
        target: An index `Target`.
        world: The world the run started from (for the baselines).
        subject: How to describe the model's numbers in the report.
        reps: Bootstrap resamples.
        seed: Bootstrap seed.
        level: Interval coverage.
        run: The run directory, for the report.

    Returns:
        The `ValidationReport`.

    Raises:
        DataError: Fewer than `MIN_OVERLAP` nations in common.

    """
    codes = [c for c in target.values if c in scores and c in world.iso3]
    missing = [c for c in target.values if c not in scores or c not in world.iso3]
    if len(codes) < MIN_OVERLAP:
        raise _too_few(
            target,
            len(codes),
            "nations",
            "the modelled nations are listed in sim/data/countries.csv",
        )
    oriented = target.oriented
    observed = np.array([oriented[c] for c in codes])
    model = np.array([scores[c] for c in codes])
    rows = [world.iso3.index(c) for c in codes]
    predictors = {"model": model}
    for name, values in index_baselines(world).items():
        predictors[name] = values[rows]
    agreements = bootstrap_agreement(
        observed, _ranking(predictors), reps=reps, seed=seed, level=level
    )
    agreements = [agreements[0], *sorted(agreements[1:], key=lambda a: -_finite(a.spearman))]
    return ValidationReport(
        target=target.path,
        kind="index",
        metric=target.metric,
        higher_is_better=target.higher_is_better,
        subject=subject,
        compared=tuple(codes),
        not_modelled=tuple(missing),
        agreements=tuple(agreements),
        misses=_misses(codes, observed, model, [target.values[c] for c in codes]),
        bootstrap={"reps": reps, "seed": seed, "level": level},
        run=run,
    )


def _ranking(predictors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The model and every baseline that ranks the compared units (a constant one cannot)."""
    return {name: v for name, v in predictors.items() if name == "model" or np.ptp(v) > 0}


def _finite(v: float) -> float:
    return v if math.isfinite(v) else -math.inf


def choose_poles(target: Target, poles: Sequence[str] | None) -> tuple[str, str]:
    """Return the two actors of a poll's lean: ``poles`` if given, USA and CHN if both are polled,
    else the only two targets of the file.

    Raises:
        DataError: No such pair.

    """
    targets = list(dict.fromkeys(t for _, t in target.values))
    if poles:
        if len(poles) != 2 or poles[0] == poles[1]:
            raise DataError(
                f"--poles {','.join(poles)} is not two different actors",
                key="--poles",
                expected="two ISO3 codes such as USA,CHN",
            )
        for p in poles:
            if p not in targets:
                raise DataError(
                    f"actor {p} is not polled",
                    file=target.path,
                    key="target",
                    expected=f"one of {' '.join(targets)}",
                    suggestion=suggest(p, targets),
                )
        return (poles[0], poles[1])
    if "USA" in targets and "CHN" in targets:
        return ("USA", "CHN")
    if len(targets) == 2:
        return (targets[0], targets[1])
    raise DataError(
        f"the poll covers {len(targets)} actors",
        file=target.path,
        key="target",
        expected="two actors to compare",
        suggestion="choose them with --poles A,B",
    )


def validate_leans(
    attraction: Mapping[tuple[str, str], float],
    target: Target,
    world: World,
    *,
    poles: Sequence[str] | None = None,
    parameters: Parameters | None = None,
    subject: str = "attraction",
    reps: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    run: str | None = None,
) -> ValidationReport:
    """Compare each observer's lean between two actors in a poll with the model's lean.

    The poll's lean is favourable-A minus favourable-B; the model's ``a[i,A] − a[i,B]``.

    Args:
        attraction: ``{(observer, target): a[i,k]}`` from the model.
        target: A poll `Target`.
        world: The world the run started from (for the baselines).
        poles: The two actors (see `choose_poles`).
        parameters: The run's parameters (for the structural-anchor baseline).
        subject: How to describe the model's numbers in the report.
        reps: Bootstrap resamples.
        seed: Bootstrap seed.
        level: Interval coverage.
        run: The run directory, for the report.

    Returns:
        The `ValidationReport`.

    Raises:
        DataError: A pole not in the model, or fewer than `MIN_OVERLAP` observers in common.

    """
    a, b = choose_poles(target, poles)
    for p in (a, b):
        if p not in world.iso3:
            raise DataError(
                f"actor {p} is not in the model",
                file=target.path,
                key="target",
                expected="an actor among the modelled nations",
                suggestion=suggest(p, world.iso3),
            )
    values = target.values
    observers = list(dict.fromkeys(o for o, _ in values))
    both = [o for o in observers if (o, a) in values and (o, b) in values and o not in (a, b)]
    codes = [o for o in both if o in world.iso3 and (o, a) in attraction and (o, b) in attraction]
    missing = [o for o in both if o not in codes]
    if len(codes) < MIN_OVERLAP:
        raise _too_few(
            target,
            len(codes),
            "observers polled on both actors",
            f"poll more of the modelled nations on {a} and {b}",
        )
    observed = np.array([values[(o, a)] - values[(o, b)] for o in codes])
    model = np.array([attraction[(o, a)] - attraction[(o, b)] for o in codes])
    rows = [world.iso3.index(o) for o in codes]
    predictors = {"model": model}
    for name, lean in poll_baselines(world, a, b, parameters).items():
        predictors[name] = lean[rows]
    agreements = bootstrap_agreement(
        observed, _ranking(predictors), reps=reps, seed=seed, level=level, signed=True
    )
    agreements = [agreements[0], *sorted(agreements[1:], key=lambda x: -_finite(x.spearman))]
    return ValidationReport(
        target=target.path,
        kind="poll",
        metric=target.metric,
        higher_is_better=True,
        subject=subject,
        compared=tuple(codes),
        not_modelled=tuple(missing),
        agreements=tuple(agreements),
        misses=_misses(codes, observed, model, list(observed)),
        bootstrap={"reps": reps, "seed": seed, "level": level},
        poles=(a, b),
        run=run,
    )


# ---------------------------------------------------------------------- run directories


@dataclass(frozen=True)
class RunOutputs:
    """The files of a `softpower run` directory.

    Attributes:
        path: The directory.
        manifest: Parsed ``manifest.json`` (empty if absent).

    """

    path: Path
    manifest: dict[str, Any]

    def _rows(
        self, name: str, columns: Sequence[str], step: int | None
    ) -> tuple[int, str, list[dict[str, str]]]:
        """Return (step, date, rows at that step) of a run table; the last step by default."""
        file = self.path / name
        if not file.is_file():
            raise DataError(
                f"no {name} in the run directory",
                file=str(self.path),
                expected=f"the output of `softpower run` ({name})",
                suggestion="run `softpower run SCENARIO --out DIR` first",
            )
        by_step: dict[int, list[dict[str, str]]] = {}
        for line, row in read_rows(file, columns)[1]:
            try:
                key = int(row["step"])
            except (TypeError, ValueError):
                raise DataError(
                    f"step {row['step']!r} is not an integer", file=str(file), line=line, key="step"
                ) from None
            by_step.setdefault(key, []).append(row)
        if not by_step:
            raise DataError("no rows", file=str(file), expected="the output of `softpower run`")
        steps = sorted(by_step)
        chosen = steps[-1] if step is None else step
        if chosen not in by_step:
            raise DataError(
                f"step {step} is not in the run",
                file=str(file),
                key="--step",
                expected=f"a recorded step from {steps[0]} to {steps[-1]}",
                suggestion=f"use --step {steps[-1]} (the last)",
            )
        rows = by_step[chosen]
        return chosen, rows[0].get("date") or "", rows

    def _number(self, row: dict[str, str], key: str, name: str) -> float:
        return number(row[key], path=str(self.path / name), line=None, key=key)

    def scores(self, step: int | None = None) -> tuple[int, str, dict[str, float]]:
        """Return (step, date, ``{iso3: score}``) at ``step`` (default: the last)."""
        name = "soft_power.csv"
        chosen, date, rows = self._rows(name, ["step", "iso3", "score"], step)
        return chosen, date, {r["iso3"]: self._number(r, "score", name) for r in rows}

    def attraction(self, step: int | None = None) -> tuple[int, str, dict[tuple[str, str], float]]:
        """Return (step, date, ``{(observer, target): a}``) at ``step`` (default: the last)."""
        name = "perception.csv"
        chosen, date, rows = self._rows(name, ["step", "observer", "target", "value"], step)
        return (
            chosen,
            date,
            {(r["observer"], r["target"]): self._number(r, "value", name) for r in rows},
        )

    def parameters(self) -> Parameters | None:
        """The run's parameters from its manifest, if recorded."""
        values = self.manifest.get("parameters")
        if not isinstance(values, dict):
            return None
        # A run written by another version may name parameters this registry no longer has.
        known = {k: v for k, v in values.items() if k in REGISTRY}
        return Parameters.from_mapping(known, file=str(self.path / "manifest.json"))


def load_run(path: str | Path) -> RunOutputs:
    """Open a run directory written by ``softpower run``.

    Raises:
        DataError: Not a directory, or an unreadable manifest.

    """
    path = Path(path)
    if not path.is_dir():
        raise DataError(
            "run directory not found" if not path.exists() else "not a directory",
            file=str(path),
            expected="a directory written by `softpower run`",
            suggestion="run `softpower run SCENARIO --out DIR` first",
        )
    manifest: dict[str, Any] = {}
    file = path / "manifest.json"
    if file.is_file():
        try:
            manifest = json.loads(file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"not valid JSON ({exc})", file=str(file)) from None
    return RunOutputs(path, manifest if isinstance(manifest, dict) else {})


def validate_run(
    run: str | Path,
    target: str | Path,
    *,
    step: int | None = None,
    metric: str | None = None,
    poles: Sequence[str] | None = None,
    reps: int = 1000,
    seed: int = 0,
    world: World | None = None,
) -> ValidationReport:
    """Validate a run directory against a target file (what ``softpower validate`` does).

    Args:
        run: A directory written by ``softpower run``.
        target: The target CSV (an index, a long-format index, or a poll).
        step: The step compared (default: the last recorded).
        metric: For a long-format target, the metric (default: the ``*_score`` one).
        poles: For a poll, the two actors of the lean.
        reps: Bootstrap resamples.
        seed: Bootstrap seed.
        world: The world the run started from (default: the bundled world).

    Returns:
        The `ValidationReport`.

    Raises:
        DataError: A bad run directory or target (see `load_run`, `load_target`).

    """
    outputs = load_run(run)
    world = world if world is not None else World.load()
    tgt = load_target(target, metric=metric, known=world.iso3)
    if tgt.kind == "poll":
        chosen, date, attraction = outputs.attraction(step)
        return validate_leans(
            attraction,
            tgt,
            world,
            poles=poles,
            parameters=outputs.parameters(),
            subject=f"attraction at step {chosen} ({date})",
            reps=reps,
            seed=seed,
            run=str(run),
        )
    chosen, date, scores = outputs.scores(step)
    return validate_scores(
        scores,
        tgt,
        world,
        subject=f"soft power score at step {chosen} ({date})",
        reps=reps,
        seed=seed,
        run=str(run),
    )
