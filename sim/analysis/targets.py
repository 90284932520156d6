"""Validation targets: published index ranks and scores, read with sources and checked codes.

Targets are test and calibration data only: never model inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import DataError, suggest
from sim.world.csvfile import number, read_rows

__all__ = ["ISO3_CODES", "MIN_OVERLAP", "Target", "load_target"]


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
    key_cols: tuple[str, ...]
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
