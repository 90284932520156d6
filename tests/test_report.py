"""The report of a batch: self-contained HTML, PDF, figure files, numbers traceable to tables.

A tiny real batch (two scenarios, two replications, four quarters) is run once through the real
``softpower batch`` command and reported once through the real ``softpower report`` command; the
tests then read the files it wrote.
"""

from __future__ import annotations

import base64
import html as html_module
import io
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader

from sim.batch.experiment import load_experiment
from sim.batch.runner import run_batch
from sim.errors import ExperimentError, SoftPowerError
from sim.report import build_report, load_batch, write_report
from sim.report.document import FigureBlock, Table

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
KEY_COLUMNS = ("scenario", "baseline", "step", "iso3", "initiative")


def softpower(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real ``softpower`` command line in a subprocess."""
    cmd = [sys.executable, "-c", "from sim.cli import main; main()", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"{cmd} failed ({done.returncode}):\n{done.stderr}")
    return done


def experiment(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "experiment.yaml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def tiny_batch(tmp_path_factory) -> Path:
    """Two scenarios × two replications × four quarters, grid design (no sensitivity)."""
    base = tmp_path_factory.mktemp("tiny")
    exp = experiment(
        base / "exp",
        f"""name: tiny
title: Tiny report test
scenarios: [{SCENARIOS / "baseline.yaml"}, {SCENARIOS / "us_aid_cuts.yaml"}]
replications: 2
seed: 11
world: core60
steps: 4
""",
    )
    out = base / "batch"
    softpower("batch", exp, "--out", out, "--workers", "1", "--no-progress")
    return out


@pytest.fixture(scope="module")
def report(tiny_batch: Path) -> dict:
    """The tiny batch reported through the CLI, to HTML and PDF."""
    out = tiny_batch.parent / "report"
    done = softpower(
        "report", tiny_batch, "--out", out / "report.html", "--pdf", out / "report.pdf"
    )
    html = (out / "report.html").read_text(encoding="utf-8")
    parser = ReportParser()
    parser.feed(html)
    return {
        "dir": out,
        "html": html,
        "parsed": parser,
        "pdf": PdfReader(out / "report.pdf"),
        "stdout": done.stdout,
        "tables": {
            name: pd.read_parquet(tiny_batch / "summary" / f"{name}.parquet")
            for name in ("scores", "ranks", "differences", "membership")
        },
    }


class ReportParser(HTMLParser):
    """Collects every tag's attributes, the sections, and the numbers of the summary section."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.sections: list[str] = []
        self.numbers: list[tuple[dict[str, str], str]] = []
        self.summary_text: list[str] = []  # text of the summary section outside numbers
        self.findings: list[int] = []  # numbers per key finding
        self._section: str | None = None
        self._span: dict[str, str] | None = None
        self._span_text = ""
        self._in_finding = False
        self._time_or_code = 0

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attrs))
        if tag == "section":
            self._section = attrs.get("id")
            self.sections.append(self._section)
        if self._section == "summary":
            if tag == "span" and "num" in attrs.get("class", "").split():
                self._span, self._span_text = attrs, ""
                if self._in_finding:
                    self.findings[-1] += 1
            if tag == "li":
                self._in_finding = True
                self.findings.append(0)

    def handle_endtag(self, tag):
        if tag == "section":
            self._section = None
        if tag == "span" and self._span is not None:
            self.numbers.append((self._span, self._span_text))
            self._span = None
        if tag == "li":
            self._in_finding = False

    def handle_data(self, data):
        if self._span is not None:
            self._span_text += data
        elif self._section == "summary":
            self.summary_text.append(data)


def table_value(tables: dict[str, pd.DataFrame], attrs: dict[str, str]) -> float:
    frame = tables[attrs["data-table"]]
    mask = pd.Series(True, index=frame.index)
    for col in KEY_COLUMNS:
        key = f"data-{col}"
        if key in attrs:
            value = int(attrs[key]) if col == "step" else attrs[key]
            mask &= frame[col].astype(type(value)) == value
    rows = frame[mask]
    assert len(rows) == 1, f"{attrs} matches {len(rows)} rows"
    return float(rows.iloc[0][attrs["data-column"]])


# ---------------------------------------------------------------------- files


@pytest.mark.slow
def test_report_writes_html_pdf_and_each_figure_as_png_and_svg(report):
    folder = report["dir"] / "figures"
    png = sorted(p.stem for p in folder.glob("*.png"))
    svg = sorted(p.stem for p in folder.glob("*.svg"))
    assert png == svg
    # focus scores, top 10, a bump chart per scenario, lean, favourable and score maps,
    # perception heatmap, alignment, a waterfall per focus nation ("What drives the change") and
    # the wave of the scenario's focus events ("How it spread")
    assert len(png) == 12 and sum("spread-us_aid_cuts" in s for s in png) == 1
    assert any("ranks-baseline" in s for s in png) and any("ranks-us_aid_cuts" in s for s in png)
    assert "report.html" in report["stdout"] and "report.pdf" in report["stdout"]


@pytest.mark.slow
def test_map_figures_are_choropleths_of_country_polygons(report):
    # Each panel fills the nations' polygons (many-vertex SVG paths) in many colours; the old
    # lean map drew one marker per capital on an empty longitude/latitude frame.
    svg_ns = "{http://www.w3.org/2000/svg}"
    maps = sorted((report["dir"] / "figures").glob("*-*map*.svg")) + sorted(
        (report["dir"] / "figures").glob("*-lean-*.svg")
    )
    maps += sorted((report["dir"] / "figures").glob("*-favourable-*.svg"))
    assert len(maps) == 3
    for path in maps:
        shapes = [
            p
            for p in ET.parse(path).getroot().iter(f"{svg_ns}path")
            if p.get("d", "").count("L") >= 8 and re.search(r"fill: ?#", p.get("style", ""))
        ]
        fills = {re.search(r"fill: ?(#[0-9a-f]{6})", p.get("style")).group(1) for p in shapes}
        panels = 2 if "score-map" in path.name else 3
        assert len(shapes) >= 150 * panels, path.name  # ~165 countries per panel
        assert len(fills) >= 20, path.name  # coloured by value, not one fill


@pytest.mark.slow
def test_all_images_decode_embedded_and_on_disk(report):
    sources = [a["src"] for tag, a in report["parsed"].tags if tag == "img"]
    assert len(sources) == len(list((report["dir"] / "figures").glob("*.png")))
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1], validate=True)))
        image.load()
        assert image.format == "PNG" and image.width >= 800 and image.height >= 300
    for path in (report["dir"] / "figures").glob("*.png"):
        with Image.open(path) as image:
            image.load()
    for path in (report["dir"] / "figures").glob("*.svg"):
        assert ET.parse(path).getroot().tag.endswith("svg")


@pytest.mark.slow
def test_html_references_no_external_resource(report):
    html = report["html"]
    for tag, attrs in report["parsed"].tags:
        assert tag not in ("script", "link", "iframe", "object", "embed")
        for name in ("src", "href", "srcset", "data", "poster", "action"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), f"<{tag} {name}={value[:60]}>"
    assert "@import" not in html
    for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", html):
        assert target.startswith("data:"), target
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)


# ---------------------------------------------------------------------- executive summary


@pytest.mark.slow
def test_every_number_in_the_executive_summary_equals_the_summary_tables(report):
    numbers = report["parsed"].numbers
    # 2 scenarios × 2 focus nations × (score, 2 bounds, rank, 2 bounds) + 2 × 3 differences;
    # an interval narrower than its last decimal is "width < 0.01" instead of two numbers
    narrow = " ".join(report["parsed"].summary_text).count("width < 0.01")
    assert len(numbers) + 2 * narrow >= 2 * 2 * 6 + 2 * 3
    tables = report["tables"]
    for attrs, text in numbers:
        decimals = len(text.split(".")[1]) if "." in text else 0
        value = table_value(tables, attrs)
        assert abs(float(text) - value) <= 0.5 * 10**-decimals + 1e-9, (attrs, text, value)
    # No statistic is printed without its table cell: no decimal number outside the spans.
    loose = re.findall(r"(?<!width < )\d+\.\d+", " ".join(report["parsed"].summary_text))
    assert loose == []


@pytest.mark.slow
def test_the_summary_says_what_the_score_is_in_model_v2(report):
    html = report["html"]
    summary = html[html.index('<section id="summary">') :]
    summary = summary[: summary.index("</section>")]
    assert "weighted sum of familiarity, reputation and influence" in summary
    assert "F^α" not in html and "R^(1−α)" not in html  # the v1 formula is gone


@pytest.mark.slow
def test_executive_summary_has_three_key_findings_with_numbers(report):
    # Three topics at most: the largest effect (or one plain sentence saying none reaches 0.5
    # points), where the poles end, and a membership or rank move only when it is large enough
    # (issue 23, findings worth reading; the tiny batch moves no membership or rank).
    findings = report["parsed"].findings
    text = " ".join(report["parsed"].summary_text)
    fallback = "No scenario changes a focus nation's score by 0.5 points or more" in text
    assert 1 <= len(findings) <= (2 if fallback else 3)
    assert "In the baseline, in " in text and "The largest effect on a focus nation" in text
    assert all(n >= 1 for n in findings)


@pytest.mark.slow
def test_summary_shows_each_scenario_and_focus_nation_with_the_paired_change(report):
    numbers = report["parsed"].numbers
    cells = {
        (a["data-table"], a["data-scenario"], a.get("data-iso3"), a["data-column"])
        for a, _ in numbers
    }
    scores = report["tables"]["scores"]
    for scenario in ("baseline", "us_aid_cuts"):
        for code in ("USA", "CHN"):
            row = scores[(scores["scenario"] == scenario) & (scores["iso3"] == code)]
            row = row[row["step"] == row["step"].max()].iloc[0]
            narrow = row["q95"] - row["q05"] < 0.01  # said "width < 0.01", not two numbers
            for column in ("mean",) if narrow else ("mean", "q05", "q95"):
                assert ("scores", scenario, code, column) in cells
            for column in ("q50", "q05", "q95"):
                assert ("ranks", scenario, code, column) in cells
    diffs = report["tables"]["differences"]
    for code in ("USA", "CHN"):
        row = diffs[(diffs["scenario"] == "us_aid_cuts") & (diffs["iso3"] == code)]
        row = row[row["step"] == row["step"].max()].iloc[0]
        narrow = row["ci_high"] - row["ci_low"] < 0.01  # said "width < 0.01", not two numbers
        for column in ("mean_diff",) if narrow else ("mean_diff", "ci_low", "ci_high"):
            assert ("differences", "us_aid_cuts", code, column) in cells
    assert not any(t == "differences" and s == "baseline" for t, s, _, _ in cells)
    diffs = [a for a, _ in numbers if a["data-table"] == "differences"]
    assert {a["data-baseline"] for a in diffs} == {"baseline"}
    assert {int(a["data-step"]) for a in diffs} == {4}


# ---------------------------------------------------------------------- sections and PDF


@pytest.mark.slow
def test_batch_without_sensitivity_design_has_no_sensitivity_section(report, tiny_batch):
    assert not (tiny_batch / "summary" / "sensitivity.parquet").exists()
    sections = report["parsed"].sections
    assert sections[0] == "summary" and sections[-1] == "methods"
    assert {"trajectories", "ranks", "lean", "perception", "alignment"} <= set(sections)
    assert "sensitivity" not in sections
    text = " ".join(page.extract_text() for page in report["pdf"].pages)
    assert "Sensitivity analysis" not in text and "Sensitivity (" not in text


@pytest.mark.slow
def test_pdf_has_summary_page_one_page_per_figure_and_methods_pages(report):
    pages = [page.extract_text() for page in report["pdf"].pages]
    n_figures = len(list((report["dir"] / "figures").glob("*.png")))
    assert "Executive summary" in pages[0] and "Key findings" in pages[0]
    contents = [i for i, t in enumerate(pages) if "Contents" in t and " · page " in t]
    assert contents == [1]  # right after the executive summary
    pages[1] = ""  # it names every section: leave it out of the searches below
    figure_pages = [i for i, t in enumerate(pages) if re.search(r"Figure \d+\. ", t)]
    assert len(figure_pages) == n_figures
    numbers = [int(re.search(r"Figure (\d+)\. ", pages[i]).group(1)) for i in figure_pages]
    assert numbers == list(range(1, n_figures + 1))
    methods = [i for i, t in enumerate(pages) if "Methods appendix" in t]
    assert methods and min(methods) > max(figure_pages)
    appendix = " ".join(pages[min(methods) :])
    for heading in ("Scenarios as loaded", "Parameters", "Seeds", "Software and data versions"):
        assert heading in appendix
    # the reproducibility section closes the report (it may run over onto a last page)
    repro = max(i for i, t in enumerate(pages) if "Reproducibility" in t)
    assert repro >= len(pages) - 2 and "softpower batch" in " ".join(pages[repro:])
    polls = [i for i, t in enumerate(pages) if "Predicted polls" in t and i < min(methods)]
    assert polls and min(polls) > max(figure_pages)
    # text pages of sections with figures: what the waterfalls are, and the waves in words
    drives = [i for i, t in enumerate(pages) if "What drives" in t and i not in figure_pages]
    spread = [i for i, t in enumerate(pages) if "How it spread" in t and i not in figure_pages]
    assert len(drives) == 1 and spread
    assert min(spread) < max(figure_pages) < max(spread) < min(polls)
    assert len(pages) == 2 + n_figures + len(drives) + len(spread) + len(polls) + len(methods)


@pytest.mark.slow  # the `report` fixture: about 2 minutes on a loaded machine
def test_pdf_contents_page_gives_the_page_each_section_starts_on(report):
    pages = [page.extract_text() for page in report["pdf"].pages]
    listed = re.findall(r"^(.+?) · page (\d+)$", pages[1], flags=re.MULTILINE)
    titles = [title for title, _ in listed]
    assert "Methods appendix" in titles and "Executive summary" not in titles
    for title, page in listed:
        first = pages[int(page) - 1]
        # a text section opens with its heading; a section of figures with its first figure
        assert title in first or re.search(r"Figure \d+\. ", first), (title, page)
        assert all(title not in pages[i] for i in range(2, int(page) - 1)), title


@pytest.mark.slow
def test_methods_appendix_lists_events_seeds_versions_sources_and_commands(report, tiny_batch):
    html = report["html"]
    methods = html[html.index('<section id="methods">') :]
    assert "Events of us_aid_cuts" in methods and "aid_policy" in methods
    runs = pd.read_parquet(tiny_batch / "runs.parquet")
    for seed in set(runs["seed"]):
        assert f"<td>{seed}</td>" in methods
    for name in ("numpy", "mesa", "Python", "Bundled data (sim/data)"):
        assert name in methods
    assert "cia.gov" in methods  # capital coordinates source, as text
    # the world of the batch (core60), not the default un193
    assert "<td>core60: 60 nations;" in methods
    assert f"softpower batch {tiny_batch.parent / 'exp' / 'experiment.yaml'}" in methods


# ---------------------------------------------------------------------- options and bad input


def not_a_batch(tmp_path: Path, kind: str) -> Path:
    target = tmp_path / "target"
    if kind == "empty":
        target.mkdir()
    elif kind == "file":
        target.write_text("not a folder")
    elif kind == "bad-manifest":
        target.mkdir()
        (target / "manifest.json").write_text("{ not json")
    elif kind == "no-runs":
        target.mkdir()
        (target / "manifest.json").write_text('{"scenarios": {"baseline": {}}}')
    return target


@pytest.mark.slow
def test_a_directory_that_is_not_a_batch_is_a_one_line_error_with_exit_2(tmp_path):
    target = not_a_batch(tmp_path, "empty")
    done = softpower("report", target, "--out", tmp_path / "r.html", check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("softpower: error: ")
    assert str(target) in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("kind", ["missing", "file", "bad-manifest", "no-runs"])
def test_other_non_batches_raise_an_experiment_error_naming_the_path(tmp_path, kind):
    target = not_a_batch(tmp_path, kind)
    with pytest.raises(ExperimentError) as caught:
        write_report(target, tmp_path / "r.html")
    line = caught.value.one_line()
    assert str(target) in line and "\n" not in line and "softpower batch" in line
    assert not (tmp_path / "r.html").exists()


@pytest.mark.slow
def test_unknown_focus_nation_is_an_error_with_a_suggestion(tiny_batch, tmp_path):
    with pytest.raises(SoftPowerError, match="did you mean CHN"):
        write_report(tiny_batch, tmp_path / "r.html", focus=["USA", "CHM"])


def test_another_baseline_rewrites_the_differences_against_it(tiny_batch, tmp_path):
    copy = tmp_path / "batch"
    shutil.copytree(tiny_batch, copy)
    batch = load_batch(copy, baseline="us_aid_cuts")
    assert batch.scenarios[0] == "us_aid_cuts"
    diffs = pd.read_parquet(copy / "summary" / "differences.parquet")
    assert set(diffs["baseline"]) == {"us_aid_cuts"} and set(diffs["scenario"]) == {"baseline"}
    assert batch.tables["differences"].equals(diffs)


@pytest.mark.slow
def test_sensitivity_batch_adds_the_sensitivity_section(tmp_path):
    exp = experiment(
        tmp_path,
        f"""name: tiny-morris
scenarios: [{SCENARIOS / "baseline.yaml"}]
replications: 1
seed: 3
world: core60
steps: 2
design:
  method: morris
  samples: 2
  parameters: {{stubbornness: [0.05, 0.3]}}
""",
    )
    run_batch(load_experiment(exp), tmp_path / "batch", workers=1, progress=False)
    report = build_report(load_batch(tmp_path / "batch"))  # summarizes: no summary yet
    table = pd.read_parquet(tmp_path / "batch" / "summary" / "sensitivity.parquet")
    section = report.section("sensitivity")
    assert section is not None and report.sections[-1].id == "methods"
    (figure,) = [b for b in section.blocks if isinstance(b, FigureBlock)]
    (shown,) = [b for b in section.blocks if isinstance(b, Table)]
    assert {row[1] for row in shown.rows} == {"stubbornness"}
    assert {row[0] for row in shown.rows} == set(table["output"])
    values = sorted(float(row[2]) for row in shown.rows)
    assert values == pytest.approx(sorted(table["mu_star"]), abs=5e-4)
    buffer = io.BytesIO()
    figure.figure.savefig(buffer, format="png")
    assert Image.open(buffer).width > 800


@pytest.mark.slow
def test_predicted_polls_of_the_focus_nations_in_large_observers(report, tiny_batch):
    assert "predicted-polls" in report["parsed"].sections
    polls = pd.read_parquet(tiny_batch / "summary" / "polls.parquet")
    section = report["html"].split('id="predicted-polls"')[1].split("</section>")[0]
    assert "Predicted polls" in section and "favourable view of" in section
    assert "India (IND)" in section and "China (CHN)" in section  # the most populous observers
    spans = re.findall(r'<span class="num" ([^>]*)>([^<]*)</span>', section)
    assert len(spans) >= 2 * 4 * 2  # 2 scenarios x (4+ rows) x (start, end, ...)
    for attrs_text, text in spans:
        attrs = dict(re.findall(r'data-([a-z0-9]+)="([^"]*)"', attrs_text))
        assert attrs["table"] == "polls"
        row = polls[
            (polls["scenario"].astype(str) == attrs["scenario"])
            & (polls["step"] == int(attrs["step"]))
            & (polls["observer"] == attrs["observer"])
            & (polls["target"] == attrs["target"])
        ]
        assert len(row) == 1
        assert abs(float(text) - float(row.iloc[0][attrs["column"]])) <= 0.5 + 1e-9


@pytest.mark.slow
def test_a_batch_reads_its_own_world_and_falls_back_to_the_default(tiny_batch):
    from dataclasses import replace

    from sim.report.batch import load_batch
    from sim.world import DEFAULT_WORLD
    from sim.world.bundled import bundled_world, loaded_name

    batch = load_batch(tiny_batch)
    assert loaded_name(batch.world) == "core60" and batch.world.n == 60
    custom = replace(batch, manifest={**batch.manifest, "world": "my_folder"})
    assert custom.world is bundled_world(DEFAULT_WORLD)


# ---------------------------------------------------------------------- the question on page one


def direct_shares(batch: Path, step: int, a: str = "USA", b: str = "CHN") -> dict[str, tuple]:
    """Per scenario: (runs where a's score beats b's, runs), from the runs' soft_power table."""
    from sim.batch.store import read_table

    table = read_table(batch, "soft_power", columns=["run_id", "scenario", "step", "iso3", "score"])
    table = table[table["step"] == step].astype({"scenario": str, "iso3": str})
    wide = table.pivot_table(index=["scenario", "run_id"], columns="iso3", values="score")
    ahead = (wide[a] > wide[b]).groupby(level="scenario")
    return {s: (int(v.sum()), len(v)) for s, v in ahead}


def test_wilson_interval_matches_the_closed_form():
    from math import sqrt

    from scipy.stats import binomtest

    from sim.report.answer import wilson_interval

    z = 1.6448536269514722  # the 95th percentile of the standard normal: a 90 % interval
    for k, n in ((7, 20), (0, 14), (14, 14), (1, 3)):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low, high = wilson_interval(k, n)
        assert low == pytest.approx(max(0.0, centre - half), abs=1e-12)
        assert high == pytest.approx(min(1.0, centre + half), abs=1e-12)
        # and scipy's own Wilson interval
        ci = binomtest(k, n).proportion_ci(confidence_level=0.9, method="wilson")
        assert (low, high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert wilson_interval(7, 20) == pytest.approx((0.2023, 0.5335), abs=1e-4)
    assert wilson_interval(0, 14)[0] == 0 and wilson_interval(14, 14)[1] == pytest.approx(1)


@pytest.mark.slow  # the `report` fixture
def test_answer_csv_holds_the_share_computed_from_the_runs(report, tiny_batch):
    from sim.report.answer import wilson_interval

    answer = pd.read_csv(report["dir"] / "answer.csv")
    assert list(answer.columns[:6]) == ["scenario", "condition", "share", "low", "high", "runs"]
    assert set(answer["condition"]) == {"score[USA] > score[CHN]"}  # the default question
    assert set(answer["at"]) == {"2026-Q1"} and set(answer["step"]) == {4}
    direct = direct_shares(tiny_batch, 4)
    assert sorted(answer["scenario"]) == sorted(direct)
    for row in answer.itertuples():
        holds, runs = direct[row.scenario]
        assert (row.holds, row.runs) == (holds, runs)
        assert row.share == pytest.approx(holds / runs, abs=1e-6)
        assert (row.low, row.high) == pytest.approx(wilson_interval(holds, runs), abs=1e-6)
    assert "answer.csv" in report["stdout"]
    # the reproducibility commands ask the same question
    assert "--condition 'score[USA] > score[CHN]'" in html_module.unescape(report["html"])


@pytest.mark.slow  # the `report` fixture
def test_summary_opens_with_each_scenarios_share_as_a_percentage(report):
    from sim.report.answer import percent

    answer = pd.read_csv(report["dir"] / "answer.csv")
    html = report["html"]
    summary = html[html.index('<section id="summary">') :]
    summary = summary[: summary.index("</section>")]
    first = summary.index('<p class="answer-intro">')
    assert first < summary.index("Key findings")
    assert "United States ahead of China in 2026-Q1" in summary
    assert "90 % Wilson score interval" in summary
    titles = {"baseline": "Baseline", "us_aid_cuts": "US foreign aid cuts"}
    for row in answer.itertuples():
        sentence = re.search(rf'<p class="answer">{titles[row.scenario]}[^<]*</p>', summary)
        assert sentence is not None, row.scenario
        assert f"in {percent(row.share)} of {row.runs} runs" in sentence.group(0)
        # two replications with the default parameters: the share reflects seeds only
        assert "reflects seeds only" in sentence.group(0)
    pdf_first = report["pdf"].pages[0].extract_text()
    assert "The question:" in pdf_first


def test_report_answers_other_conditions_and_dates_deterministically(tiny_batch, tmp_path):
    from sim.report.answer import answer_questions, answer_table

    batch = load_batch(tiny_batch)
    asked = ["score[CHN] > score[USA]", "rank[USA] <= 2"]
    one = answer_table(answer_questions(batch, asked, ("USA", "CHN"), at="2025-Q3"))
    two = answer_table(answer_questions(batch, asked, ("USA", "CHN"), at="2025-Q3"))
    pd.testing.assert_frame_equal(one, two)
    assert list(one["condition"].unique()) == asked and set(one["step"]) == {2}
    direct = direct_shares(tiny_batch, 2, "CHN", "USA")
    for row in one[one["condition"] == asked[0]].itertuples():
        assert row.holds == direct[row.scenario][0]
    assert set(answer_table(answer_questions(batch, None, ("USA", "CHN"), "2026"))["step"]) == {4}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--condition", "score[USA] > score[USX]"), "--condition: column 20: unknown nation"),
        (("--condition", "score[USA] >"), "--condition:"),
        (("--at", "2040-Q1"), "--at: 2040-Q1 is not in the batch; expected a quarter"),
        (("--at", "soon"), "--at: bad date 'soon'"),
    ],
)
def test_bad_condition_or_date_is_one_line_and_exit_2(tiny_batch, tmp_path, args, fragment):
    from click.testing import CliRunner

    from sim.cli import cli

    done = CliRunner().invoke(
        cli, ["report", str(tiny_batch), "--out", str(tmp_path / "r.html"), *args]
    )
    assert done.exit_code == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], done.stderr
    assert not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------------- findings worth reading


def _with_tables(batch, **tables):
    from dataclasses import replace

    return replace(batch, tables={**batch.tables, **{k: v.copy() for k, v in tables.items()}})


def _set_change(batch, iso3: str, mean: float, low: float, high: float):
    diffs = batch.tables["differences"].copy()
    last = diffs["step"] == diffs["step"].max()
    for code, values in ((iso3, (mean, low, high)), ("other", None)):
        mask = last & (diffs["scenario"] == "us_aid_cuts")
        mask &= diffs["iso3"] == code if values else diffs["iso3"] != iso3
        diffs.loc[mask, ["mean_diff", "ci_low", "ci_high"]] = values or (0.01, -0.02, 0.04)
    return _with_tables(batch, differences=diffs)


def _finding_texts(batch) -> list[str]:
    from sim.report.document import cell_text
    from sim.report.findings import _findings

    return [cell_text(p.parts) for p in _findings(batch, ("USA", "CHN")) if p.kind == "finding"]


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ((0.3, 0.2, 0.4), None),  # clear of zero but below half a point
        ((2.0, -0.5, 4.5), None),  # large but its CI includes zero
        ((2.0, 1.5, 2.5), "by +2.0 points against the baseline in 2026-Q1 (paired 90% CI +1.5"),
        ((0.61, 0.605, 0.612), "by +0.61 points against the baseline in 2026-Q1 (paired 90% CI "),
    ],
)
def test_a_score_finding_needs_half_a_point_and_a_ci_clear_of_zero(tiny_batch, change, shown):
    batch = _set_change(load_batch(tiny_batch), "USA", *change)
    texts = _finding_texts(batch)
    effect = [t for t in texts if t.startswith("The largest effect")]
    if shown is None:
        assert effect == []
        summary = executive_summary_text(batch)
        assert "No scenario changes a focus nation's score by 0.5 points or more" in summary
    else:
        assert len(effect) == 1 and shown in effect[0] and "United States" in effect[0]


def executive_summary_text(batch) -> str:
    from sim.report.document import Paragraph, Table, cell_text
    from sim.report.findings import executive_summary

    out = []
    for block in executive_summary(batch, ("USA", "CHN")).blocks:
        if isinstance(block, Paragraph):
            out.append(cell_text(block.parts))
        elif isinstance(block, Table):
            out += [" | ".join(cell_text(c) for c in row) for row in block.rows]
    return "\n".join(out)


def test_a_degenerate_interval_is_said_to_be_narrow_not_printed_twice(tiny_batch):
    batch = _set_change(load_batch(tiny_batch), "USA", 0.14, 0.138, 0.142)
    text = executive_summary_text(batch)
    assert "+0.14 to +0.14" not in text
    row = next(
        line for line in text.splitlines() if line.startswith("US foreign aid cuts, 2025 | USA")
    )
    assert row.endswith("+0.14 | width < 0.01")
    wide = _set_change(load_batch(tiny_batch), "USA", 3.456, 1.2, 5.7)  # 1 decimal: CI > 1 wide
    row = next(
        line
        for line in executive_summary_text(wide).splitlines()
        if line.startswith("US foreign aid cuts, 2025 | USA")
    )
    assert row.endswith("+3.5 | +1.2 to +5.7")


def test_a_rank_finding_needs_a_full_rank_among_the_top_30(tiny_batch):
    batch = load_batch(tiny_batch)
    ranks = batch.tables["ranks"].copy()
    last = ranks["step"] == ranks["step"].max()
    ranks.loc[last, "mean"] = ranks.loc[last, "q50"] = 0.0
    nations = sorted(set(ranks["iso3"]))
    for s in ("baseline", "us_aid_cuts"):
        for i, code in enumerate(nations):
            ranks.loc[last & (ranks["scenario"] == s) & (ranks["iso3"] == code), "mean"] = i + 1
    membership = batch.tables["membership"].copy()
    membership["mean"] = membership["q05"] = membership["q95"] = 10.0  # nothing moves

    def move(frame, code, value):
        frame = frame.copy()
        frame.loc[last & (frame["scenario"] == "us_aid_cuts") & (frame["iso3"] == code), "mean"] = (
            value
        )
        return frame

    far = move(move(ranks, nations[40], 41.6), nations[45], 36.0)  # ranks 41 and 46: not top 30
    texts = _finding_texts(_with_tables(batch, ranks=far, membership=membership))
    assert not any("mean rank" in t for t in texts)
    near = move(ranks, nations[9], 12.0)  # the 10th nation drops two places
    texts = _finding_texts(_with_tables(batch, ranks=near, membership=membership))
    (rank,) = [t for t in texts if "mean rank" in t]
    assert f"({nations[9]}): mean rank 12.0" in rank and "against 10.0 in the baseline" in rank


# ---------------------------------------------------------------------- PDF layout


def word_boxes(
    pdf: Path,
) -> list[tuple[float, float, list[tuple[float, float, float, float, str]]]]:
    """Per page: width, height (points) and every word's box, read by poppler's pdftotext."""
    done = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    pages = []
    for w, h, body in re.findall(
        r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', done.stdout, re.S
    ):
        words = [
            (float(a), float(b), float(c), float(d), word)
            for a, b, c, d, word in re.findall(
                r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" '
                r'yMax="([\d.-]+)">(.*?)</word>',
                body,
            )
        ]
        pages.append((float(w), float(h), words))
    return pages


def assert_clean_layout(pdf: Path, size: tuple[float, float]) -> None:
    pages = word_boxes(pdf)
    assert pages and {(round(w), round(h)) for w, h, _ in pages} == {size}
    for number, (w, h, words) in enumerate(pages, start=1):
        assert words, f"page {number} has no text"
        outside = [x for x in words if x[0] < 0 or x[1] < 0 or x[2] > w or x[3] > h]
        assert outside == [], f"page {number}: words outside the page: {outside[:5]}"
        # the running header (top) and the page number (bottom right) do not meet
        top = min(words, key=lambda x: x[1])
        last = max(words, key=lambda x: (round(x[3]), x[2]))  # bottom line, rightmost word
        assert last[4] == str(number) and top[3] < last[1]
        assert top[3] < 0.1 * h and last[1] > 0.9 * h


@pytest.mark.slow  # the `report` fixture
def test_pdf_pages_are_all_a4_with_every_word_inside_its_page(report):
    assert_clean_layout(report["dir"] / "report.pdf", (595, 842))


@pytest.mark.slow  # a whole PDF report: about 2.5 minutes on a loaded machine
def test_pdf_on_letter_paper(tiny_batch, tmp_path):
    softpower(
        "report", tiny_batch, "--out", tmp_path / "r.html", "--pdf", tmp_path / "r.pdf",
        "--paper", "letter",
    )  # fmt: skip
    assert_clean_layout(tmp_path / "r.pdf", (612, 792))
