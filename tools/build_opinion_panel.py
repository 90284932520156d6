"""Build the panel of past opinion ``sim/data/opinion/panel.csv`` (issue 21, item 1).

Columns: ``survey,question,observer,target,year,value,source_url``. The rows come from

* ``sim/data/targets/pew_favourability_2002_2024.csv`` and
  ``sim/data/targets/pew_us_favourability_2000_2017.csv`` (Pew favourable views of the USA and
  China; survey ``pew_global_attitudes``, question ``favourable``), sources kept;
* ``tools/opinion_sources/pew_microdata.csv``: favourable shares computed from the harmonised
  Pew Global Attitudes microdata of github.com/worldregio/pew_opi (``data/pew_all_opi.RDS``
  @9fa28b6) for every country item it holds. The ``microdata`` step rewrites this file from a
  local copy of the RDS (it needs ``pyreadr`` and ``pandas``, in a separate venv);
* ``tools/opinion_sources/afrobarometer_microdata.csv``: Afrobarometer "positive influence"
  shares computed from country data files held in public repositories; rewritten by
  ``tools/afrobarometer_microdata.py`` (its docstring names every file, repository and commit);
* ``tools/opinion_sources/reports.csv``: numbers read from published reports (Gallup, BBC
  World Service/GlobeScan, ...), one cited page per row, typed in by hand.

Duplicates (same survey, question, observer, target and year) keep the row read from a page
over a computed one; see ``sim/data/opinion/README.md`` for the two documented exceptions.
Nothing fielded after 2024 or published in 2025 or later enters the panel.

Usage::

    python3.12 -m venv /tmp/pyr && /tmp/pyr/bin/pip install pyreadr pandas
    /tmp/pyr/bin/python tools/build_opinion_panel.py microdata /path/to/pew_all_opi.RDS
    python3.12 tools/build_opinion_panel.py build

This script is a data-preparation tool; the package never imports it.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "sim" / "data" / "targets"
OUT = ROOT / "sim" / "data" / "opinion" / "panel.csv"
SOURCES = ROOT / "tools" / "opinion_sources"
MICRODATA = SOURCES / "pew_microdata.csv"
AFROBAROMETER = SOURCES / "afrobarometer_microdata.csv"
REPORTS = SOURCES / "reports.csv"
PEW_FILES = ("pew_favourability_2002_2024.csv", "pew_us_favourability_2000_2017.csv")

COLUMNS = ("survey", "question", "observer", "target", "year", "value", "source_url")
LAST_YEAR = 2024  # 2025 and later are test data
PEW = "pew_global_attitudes"
FAVOURABLE = "favourable"

# The RDS names country items opi_XXX; EU becomes EUU, the UN item is not a nation.
RDS_ITEMS = ("USA", "CHN", "RUS", "EU", "IRN", "DEU", "FRA", "JPN", "IND", "TWN", "BRA")
RDS_OBSERVER_FIX = {"PLS": "PSE"}  # the 2014 wave codes the Palestinian territories PLS
# Items whose harmonised column does not hold the question: in 2013 opi_CHN correlates 0.96
# with opi_USA across the 38 countries and misses every published 2013 China figure (e.g. US
# views of China 84 vs 37 published); the 2013 China figures come from pages instead.
RDS_BAD = {("CHN", 2013)}
FAVOURABLE_ANSWERS = ("Very favorable", "Somewhat favorable")
MICRODATA_SOURCE = (
    "computed, not stated on a page: weighted share very+somewhat favourable (DK/refused in the "
    "base) from Pew Research Center Global Attitudes Survey spring {year} public microdata "
    "(https://www.pewresearch.org/global/datasets/), as harmonised in "
    "github.com/worldregio/pew_opi data/pew_all_opi.RDS @9fa28b6; reproduces Pew's published "
    "figures within +-1 pt (310 US checks 2002-2017 vs FiveThirtyEight/Pew, 76 off by 1)"
)
# Page rows that disagree with the microdata by more than 1 point and are dropped for it:
# the page garbles the same paragraph (it gives South Korea 89% favourable to China, Pew's
# figure for the USA), and the microdata value is kept.
PAGE_OVERRIDDEN = {(PEW, FAVOURABLE, "SGP", "CHN", 2022)}


def half_up(x: float) -> int:
    """Round as published tables do (0.5 up), not to even (also for
    ``tools/afrobarometer_microdata.py``).
    """
    return math.floor(x + 0.5)


def microdata(rds: Path) -> None:
    """Rewrite ``tools/opinion_sources/pew_microdata.csv`` from a local ``pew_all_opi.RDS``.

    Args:
        rds: Path to ``data/pew_all_opi.RDS`` of github.com/worldregio/pew_opi @9fa28b6.
    """
    import pyreadr  # noqa: PLC0415 - a build-time dependency only

    df = pyreadr.read_r(str(rds))[None]
    rows = []
    for item in RDS_ITEMS:
        column = f"opi_{item}"
        target = "EUU" if item == "EU" else item
        asked = df[df[column].notna()]
        weight = asked["wgt"].astype(float)
        favourable = asked[column].isin(FAVOURABLE_ANSWERS).astype(float) * weight
        frame = asked.assign(w=weight, f=favourable)
        groups = frame.groupby(["wav", "sta"], observed=True)[["w", "f"]].sum()
        for (wave, sta), total in groups.iterrows():
            year = int(wave)
            observer = RDS_OBSERVER_FIX.get(str(sta), str(sta))
            if observer == target or (target, year) in RDS_BAD or year > LAST_YEAR:
                continue
            value = half_up(100.0 * total["f"] / total["w"])
            rows.append(
                (PEW, FAVOURABLE, observer, target, year, value, MICRODATA_SOURCE.format(year=year))
            )
    rows.sort(key=lambda r: (r[3], r[4], r[2]))
    _write(MICRODATA, rows)
    print(f"{MICRODATA.relative_to(ROOT)}: {len(rows)} rows")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def _is_page(source: str) -> bool:
    return not source.startswith("computed")


def build() -> None:
    """Merge the sources into ``sim/data/opinion/panel.csv``, pages first on duplicates."""
    candidates: list[tuple] = []
    for name in PEW_FILES:
        for r in _read(TARGETS / name):
            candidates.append(
                (PEW, FAVOURABLE, r["observer"], r["target"], int(r["year"]),
                 int(r["favourable_pct"]), r["source"])
            )  # fmt: skip
    for path in (MICRODATA, AFROBAROMETER, REPORTS):
        for r in _read(path):
            value = float(r["value"])
            candidates.append(
                (r["survey"], r["question"], r["observer"], r["target"], int(r["year"]),
                 int(value) if value.is_integer() else value, r["source_url"])
            )  # fmt: skip
    chosen: dict[tuple, tuple] = {}
    conflicts = []
    for row in candidates:
        key = row[:5]
        if row[4] > LAST_YEAR or row[2] == row[3]:
            continue
        if key in PAGE_OVERRIDDEN and _is_page(row[6]):
            continue
        old = chosen.get(key)
        if old is None:
            chosen[key] = row
            continue
        if abs(float(old[5]) - float(row[5])) > 1:
            conflicts.append((old, row))
        if _is_page(row[6]) and not _is_page(old[6]):
            chosen[key] = row
    rows = sorted(chosen.values(), key=lambda r: (r[0], r[1], r[3], r[2], r[4]))
    _write(OUT, rows)
    print(f"{OUT.relative_to(ROOT)}: {len(rows)} rows from {len(candidates)} candidates")
    for old, new in conflicts:
        print(f"  conflict > 1 pt: {old[:6]} vs {new[:6]}")


def main(argv: list[str] | None = None) -> int:
    """Run the ``microdata`` or ``build`` step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step")
    md = sub.add_parser("microdata", help="rewrite tools/opinion_sources/pew_microdata.csv")
    md.add_argument("rds", type=Path, help="local path to pew_opi data/pew_all_opi.RDS")
    sub.add_parser("build", help="write sim/data/opinion/panel.csv (default)")
    args = parser.parse_args(argv)
    if args.step == "microdata":
        microdata(args.rds)
    else:
        build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
