"""The bundled world data: what it loads, where each value comes from, and how bad files fail."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sim.axes import CHANNELS
from sim.errors import DataError
from sim.world.world import DATA_DIR, World

# Every CSV in sim/data and the column naming the source of each row.
SOURCED = {
    "aid_context.csv": "source_url",
    "bilateral_trade_us_china.csv": "source_url",
    "bri_members_full.csv": "source_url",
    "bri_status.csv": "source_url",
    "capitals.csv": "source_url",
    "countries.csv": "source",
    "indicator_dictionary.csv": "primary_source",
    "indicator_dictionary_additions.csv": "primary_source",
    "indicators_long.csv": "source_url",
    "membership_groups.csv": "source_url",
    "memberships.csv": "source_url",
    "relations.csv": "source",
    "trade_partners.csv": "source_url",
    "targets/gspi_2024.csv": "source_url",
    "targets/pew_favourability_2002_2024.csv": "source",
    "targets/pew_us_favourability_2000_2017.csv": "source",
    "targets/episodes.csv": "source",
    "opinion/panel.csv": "source_url",
    "targets/test_2025/gspi_2025.csv": "source_url",
    "targets/test_2025/pew_favourability_2025.csv": "source",
    "aid_strategies.csv": "source",
    "governance.csv": "source_url",
    "events/leaders.csv": "source",
    "events/threats.csv": "source",
    "events/us_aid_2024_by_recipient.csv": "source",
    "events/us_aid_cuts_2025.csv": "source",
    "events/us_tariffs_2025.csv": "source",
    "events/wars.csv": "source",
    "events/withdrawals.csv": "source",
    **{
        f"un193/{name}": column
        for name, column in {
            "aid_context.csv": "source_url",
            "aid_strategies.csv": "source",
            "bri_status.csv": "source_url",
            "governance.csv": "source_url",
            "capitals.csv": "source_url",
            "countries.csv": "source",
            "indicators_long.csv": "source_url",
            "memberships.csv": "source_url",
            "relations.csv": "source",
            "trade_partners.csv": "source_url",
        }.items()
    },
}
# Files without a per-row source, and the only numeric columns they may hold (sim/data/README.md
# gives their provenance): identifiers and classifications, and caveats on other files' values.
UNSOURCED = {
    "value_flags.csv": {"year"},
    "value_flags_additions.csv": {"year"},
    "un193/gaps.csv": set(),
}
# Raw indicators the loader reads from indicators_long.csv and fills when a nation lacks them.
IMPUTABLE = (
    "median_age",
    "internet_users_pct",
    "rnd_expenditure_pct_gdp",
    "unesco_world_heritage_sites",
    "international_tourist_arrivals",
    "inbound_mobile_students_uis",
    "arwu_universities_top500",
    "patent_applications_residents",
    "diplomatic_posts_lowy",
)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------- the bundled world


def test_bundled_world_has_sixty_nations_with_capacities_in_unit_interval(bundled_world):
    w = bundled_world
    assert w.n == 60 and len(set(w.iso3)) == 60
    assert {"USA", "CHN", "TWN", "UKR", "IRN"} <= set(w.iso3)
    assert w.capacity.shape == (60, len(CHANNELS))
    assert np.isfinite(w.capacity).all()
    assert ((w.capacity >= 0.0) & (w.capacity <= 1.0)).all()
    np.testing.assert_allclose(w.capacity.max(axis=0), 1.0)  # 1 = the best nation per channel
    for name in ("gdp", "population", "median_age"):
        assert (getattr(w, name) > 0).all(), name
    assert ((w.internet >= 0) & (w.internet <= 1)).all()
    assert ((np.abs(w.lat) <= 90) & (np.abs(w.lon) <= 180)).all()


def test_only_aid_capacity_is_ever_zero_and_only_for_non_donors(bundled_world):
    w = bundled_world
    aid = CHANNELS.index("aid")
    others = [d for d in range(len(CHANNELS)) if d != aid]
    assert (w.capacity[:, others] > 0).all()
    np.testing.assert_array_equal(w.capacity[:, aid] > 0, w.aid_usd > 0)
    assert w.aid_strategy.keys() == {c for c, a in zip(w.iso3, w.aid_usd, strict=True) if a > 0}


def test_every_filled_gap_is_flagged(bundled_world):
    w = bundled_world
    present: dict[str, set[str]] = {name: set() for name in IMPUTABLE}
    for r in _rows(DATA_DIR / "indicators_long.csv"):
        if r["indicator"] in present:
            present[r["indicator"]].add(r["iso3"])
    flagged: dict[str, set[str]] = {}
    for f in w.flags:
        flagged.setdefault(f.indicator, set()).add(f.iso3)
        assert f.rule.strip() and np.isfinite(f.value) and f.value >= 0
    for name in IMPUTABLE:
        missing = set(w.iso3) - present[name]
        assert flagged.get(name, set()) == missing, name
    # Aid: China's figure is derived from AidData, Russia and India are known gaps.
    assert flagged["aid_usd"] == {"CHN", "RUS", "IND"}
    by_key = {(f.iso3, f.indicator): f for f in w.flags}
    assert w.aid_usd[w.index("CHN")] == by_key["CHN", "aid_usd"].value > 0
    assert w.aid_usd[w.index("RUS")] == 0.0 == w.aid_usd[w.index("IND")]
    assert len(by_key) == len(w.flags)  # no value flagged twice


def test_data_readme_lists_every_imputed_value(bundled_world):
    text = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    table = [line for line in text.splitlines() if line.startswith("|")]
    for f in bundled_world.flags:
        assert any(f"| {f.iso3} |" in row and f"`{f.indicator}`" in row for row in table), f


def test_world_layers_hold_the_known_alliances_and_rivalries(bundled_world):
    w = bundled_world
    np.testing.assert_array_equal(w.alliance, w.alliance.T)
    np.testing.assert_array_equal(w.rivalry, w.rivalry.T)
    assert not (w.alliance * w.rivalry).any()
    for a, b in [("USA", "RUS"), ("USA", "IRN"), ("CHN", "TWN"), ("IND", "PAK"), ("ISR", "IRN")]:
        assert w.rivalry[w.index(a), w.index(b)] == 1.0, (a, b)
    assert w.rivalry[w.index("RUS"), w.index("UKR")] == 1.0
    for a, b in [("USA", "JPN"), ("USA", "DEU"), ("USA", "KOR"), ("AUS", "USA")]:
        assert w.alliance[w.index(a), w.index(b)] == 1.0, (a, b)
    assert (w.trade.sum(axis=1) <= 1.0 + 1e-12).all() and (w.trade >= 0).all()
    graph = w.graph()
    assert graph.graph["layers"] == "trade,alliance,membership,region,rivalry"
    assert graph.edges["CHN", "TWN"]["rivalry"] == 1.0
    assert graph.edges["USA", "JPN"]["alliance"] == graph.edges["JPN", "USA"]["alliance"] == 1.0


def test_index_of_an_unknown_nation_suggests_the_closest_code(bundled_world):
    with pytest.raises(DataError, match="did you mean CHN"):
        bundled_world.index("CHNA")


# ---------------------------------------------------------------------- sources


def test_every_data_file_is_classified():
    found = {p.relative_to(DATA_DIR).as_posix() for p in DATA_DIR.rglob("*.csv")}
    assert not SOURCED.keys() & UNSOURCED.keys()
    assert found == SOURCED.keys() | UNSOURCED.keys()


@pytest.mark.parametrize("name", sorted(SOURCED))
def test_every_row_of_a_data_file_names_its_source(name):
    rows = _rows(DATA_DIR / name)
    assert rows, name
    column = SOURCED[name]
    assert column in rows[0]
    empty = [line for line, r in enumerate(rows, start=2) if not (r[column] or "").strip()]
    assert not empty, f"{name}: rows without a source at lines {empty}"


@pytest.mark.parametrize("name", sorted(UNSOURCED))
def test_files_without_sources_hold_no_measured_values(name):
    rows = _rows(DATA_DIR / name)
    numeric = {
        col
        for col in rows[0]
        if all(_is_number(r[col]) for r in rows if r[col].strip())
        and any(r[col].strip() for r in rows)
    }
    assert numeric <= UNSOURCED[name]


# ---------------------------------------------------------------------- malformed files


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _rewrite(path: Path, change: Callable[[list[list[str]]], None]) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    change(rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _load_error(folder: Path) -> str:
    with pytest.raises(DataError) as info:
        World.load(folder)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_loader_rejects_a_non_numeric_value_naming_file_and_line(data_copy):
    path = data_copy / "indicators_long.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    # A row of a modelled nation in the middle of the file; file line = row index + 1.
    index = next(i for i, r in enumerate(rows) if i > 100 and r[header.index("iso3")] == "DEU")

    def corrupt(rows):
        rows[index][header.index("value")] = "12,5 bn"

    _rewrite(path, corrupt)
    message = _load_error(data_copy)
    assert f"indicators_long.csv:{index + 1}:" in message
    assert "value" in message and "'12,5 bn' is not a number" in message


def test_loader_rejects_an_unknown_iso3_code_with_a_suggestion(data_copy):
    path = data_copy / "capitals.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    index = next(i for i, r in enumerate(rows) if r[0] == "CHN")

    def corrupt(rows):
        rows[index][0] = "CHX"

    _rewrite(path, corrupt)
    message = _load_error(data_copy)
    assert f"capitals.csv:{index + 1}:" in message
    assert "unknown ISO3 code 'CHX'" in message and "did you mean CHN?" in message


def test_loader_rejects_an_unknown_nation_in_relations(data_copy):
    def corrupt(rows):
        rows[3][1] = "ZZZ"

    _rewrite(data_copy / "relations.csv", corrupt)
    message = _load_error(data_copy)
    assert "relations.csv:4:" in message and "'ZZZ'" in message


def test_loader_rejects_a_missing_column(data_copy):
    def drop_lat(rows):
        col = rows[0].index("lat")
        for r in rows:
            del r[col]

    _rewrite(data_copy / "capitals.csv", drop_lat)
    message = _load_error(data_copy)
    assert "capitals.csv:1:" in message and "missing column(s) lat" in message


def test_loader_rejects_a_row_with_too_many_fields(data_copy):
    def corrupt(rows):
        rows[5].append("stray")

    _rewrite(data_copy / "trade_partners.csv", corrupt)
    message = _load_error(data_copy)
    assert "trade_partners.csv:6:" in message and "wrong number of fields" in message


def test_loader_rejects_a_relation_without_a_source(data_copy):
    def corrupt(rows):
        rows[2][rows[0].index("source")] = " "

    _rewrite(data_copy / "relations.csv", corrupt)
    message = _load_error(data_copy)
    assert "relations.csv:3:" in message and "without a source" in message


@pytest.mark.parametrize(
    "name", ["relations.csv", "countries.csv", "indicators_long.csv", "aid_strategies.csv"]
)
def test_loader_rejects_a_missing_file(data_copy, name):
    (data_copy / name).unlink()
    message = _load_error(data_copy)
    assert name in message and "not found" in message


def test_an_intact_copy_loads_like_the_bundled_data(data_copy, bundled_world):
    copy = World.load(data_copy)
    assert copy.iso3 == bundled_world.iso3
    np.testing.assert_array_equal(copy.capacity, bundled_world.capacity)


# ---------------------------------------------------------------------- synthetic worlds


def _arrays(w: World) -> dict[str, np.ndarray]:
    names = ("lat", "lon", "gdp", "population", "median_age", "internet", "capacity")
    names += ("aid_usd", "trade", "imports", "alliance", "rivalry")
    return {name: getattr(w, name) for name in names}


@pytest.mark.parametrize("n", [2, 9, 40])
def test_synthetic_world_is_reproducible_for_the_same_seed(n):
    a = World.synthetic(n, np.random.default_rng(7))
    b = World.synthetic(n, np.random.default_rng(7))
    assert a.n == n and a.iso3 == b.iso3 and a.region == b.region
    for name, value in _arrays(a).items():
        np.testing.assert_array_equal(value, _arrays(b)[name], err_msg=name)
    assert a.groups == b.groups and a.aid_strategy == b.aid_strategy


def test_synthetic_worlds_differ_between_seeds():
    a = World.synthetic(20, np.random.default_rng(1))
    b = World.synthetic(20, np.random.default_rng(2))
    for name, value in _arrays(a).items():
        assert not np.array_equal(value, _arrays(b)[name]), name


def test_synthetic_world_is_valid_input_for_the_model():
    w = World.synthetic(30, np.random.default_rng(3))
    assert ((w.capacity >= 0) & (w.capacity <= 1)).all()
    assert (w.capacity[:, CHANNELS.index("aid")] > 0).any()
    assert (w.trade.sum(axis=1) <= 1.0).all() and (np.diag(w.trade) == 0).all()
    np.testing.assert_array_equal(w.alliance, w.alliance.T)
    assert not (w.alliance * w.rivalry).any()


def test_synthetic_world_needs_two_nations():
    with pytest.raises(ValueError):
        World.synthetic(1, np.random.default_rng(0))
