"""Afrobarometer "positive influence" shares computed from country microdata (issue 21, item 1).

Writes ``tools/opinion_sources/afrobarometer_microdata.csv`` (panel columns) from the
Afrobarometer country data files that public GitHub repositories hold; the files themselves are
not committed. Bring each one out of its repository at the commit named in ``FILES`` and put it
in one folder under its base name, e.g.::

    git -C malouche+AfrobarometerData show b1e470d:tun_r9_data.sav > DIR/tun_r9_data.sav
    git -C sayinde+ECOG314 show "43c1e51:Raw Data/nig_r6_data_2015.sav" > DIR/nig_r6_data_2015.sav

then (``pyreadstat`` and ``pandas`` in a separate venv, as for the Pew microdata step)::

    python3.12 -m venv /tmp/readers && /tmp/readers/bin/pip install pyreadstat pandas
    /tmp/readers/bin/python tools/afrobarometer_microdata.py DIR
    python3.12 tools/build_opinion_panel.py build

The rule (``sim/data/opinion/README.md``, family ``afrobarometer``): for each item "In general,
do you think that [country]'s economic and political influence on [this country] is mostly
positive, mostly negative, or haven't you heard enough to say?", the weighted share answering
"somewhat positive" or "very positive" among everyone asked the item (every answer code of the
file's value labels, "don't know / haven't heard enough" and "refused" in the base; only the
"missing" code -1 and blanks are left out), rounded half up to a whole per cent. The answers are
found by their value labels, not their codes (South Africa's Round 9 EU item codes "very
positive" 4, not 5). Weights: ``withinwt`` in Round 6; ``withinwt_hh`` from Round 8 on, the
weight that reproduces Afrobarometer's published country tables. Year: the calendar year of the
file's most frequent interview date (``DATEINTR``). Nothing fielded after 2024 is written.

This script is a data-preparation tool; the package never imports it.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

# The panel's columns, its last fieldwork year and its rounding rule: the sibling script's.
from build_opinion_panel import AFROBAROMETER as OUT
from build_opinion_panel import COLUMNS, LAST_YEAR, ROOT, half_up

POSITIVE = {"somewhat positive", "very positive", "quelque peu positive", "très positive"}

# (repository, commit, path in it, round, observer, weight, {target: variable})
FILES = (
    ("malouche/AfrobarometerData", "b1e470d", "tun_r6_data_en.sav", 6, "TUN", "withinwt",
     {"CHN": "Q81B"}),
    ("malouche/AfrobarometerData", "b1e470d", "tun_r8_data.sav", 8, "TUN", "withinwt_hh",
     {"CHN": "Q70E", "USA": "Q70F"}),
    ("malouche/AfrobarometerData", "b1e470d", "tun_r9_data.sav", 9, "TUN", "withinwt_hh",
     {"CHN": "Q78A", "USA": "Q78B", "JPN": "Q78C"}),
    ("sayinde/ECOG314", "43c1e51", "Raw Data/nig_r6_data_2015.sav", 6, "NGA", "withinwt",
     {"CHN": "Q81B"}),
    ("stasinop13/PS1", "6a83e35", "SAF_R9.data_.final_.wtd_release.30May23.sav", 9, "ZAF",
     "withinwt_hh", {"CHN": "Q78A", "USA": "Q78B", "JPN": "Q78C", "RUS": "Q78C1", "EUU": "Q78F"}),
)  # fmt: skip
SOURCE = (
    "computed, not stated on a page: weighted share somewhat+very positive influence (DK/"
    "refused in the base, weight {weight}) from Afrobarometer Round {rnd} {observer} data "
    "(afrobarometer.org), via github.com/{repo}@{commit} {path}, variable {var}; fieldwork "
    "{first} to {last} (DATEINTR), {n} asked"
)


def compute(folder: Path) -> list[tuple]:
    """Compute one row per file and item.

    Args:
        folder: Folder holding the files of ``FILES`` under their base names.

    Returns:
        Rows in the panel's columns.

    """
    import pandas as pd  # noqa: PLC0415 - build-time dependencies only
    import pyreadstat  # noqa: PLC0415

    rows = []
    for repo, commit, path, rnd, observer, weight, items in FILES:
        df, meta = pyreadstat.read_sav(str(folder / Path(path).name))
        dates = pd.to_datetime(df["DATEINTR"], errors="coerce").dropna()
        year = Counter(dates.dt.year).most_common(1)[0][0]
        if year > LAST_YEAR:
            continue
        for target, var in items.items():
            labels = meta.variable_value_labels[var]
            positive = [c for c, lab in labels.items() if lab.strip().lower() in POSITIVE]
            if len(positive) != 2:
                raise SystemExit(f"{path} {var}: positive answers not found in {labels}")
            asked = df[df[var].notna() & (df[var] != -1)]
            if not set(asked[var].unique()) <= set(labels):
                raise SystemExit(f"{path} {var}: a code without a label")
            w = asked[weight].astype(float)
            value = half_up(100.0 * w[asked[var].isin(positive)].sum() / w.sum())
            source = SOURCE.format(
                weight=weight, rnd=rnd, observer=observer, repo=repo, commit=commit, path=path,
                var=var, first=dates.min().date(), last=dates.max().date(), n=len(asked),
            )  # fmt: skip
            rows.append(("afrobarometer", "positive_influence", observer, target, int(year),
                         value, source))  # fmt: skip
    rows.sort(key=lambda r: (r[3], r[2], r[4]))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Write ``tools/opinion_sources/afrobarometer_microdata.csv`` from a folder of files."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__)
        return 2
    rows = compute(Path(args[0]))
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    print(f"{OUT.relative_to(ROOT)}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
