"""Parameter ensembles in experiments, what the report's intervals hold, and the hindcast view.

Tiny batches (one or two scenarios, two replications, two to four quarters on the core60 world).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.batch.experiment import load_experiment
from sim.batch.runner import run_batch
from sim.batch.store import read_runs, read_table
from sim.errors import ExperimentError
from sim.report.batch import load_batch
from sim.report.findings import executive_summary
from sim.report.hindcast import batch_episodes, hindcast_section
from sim.report.methods import methods_section
from sim.report.uncertainty import interval_caption, interval_kind

#: Slow as a whole (batches with a parameter ensemble, through the CLI):
#: `make test` runs it, `make test-fast` does not.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

ENSEMBLE = (
    "member,source,threat_perception,tariff_perception,leader_perception\n"
    "0,low,0.0,0.0,0.2\n"
    "1,high,4.0,6.0,1.8\n"
)


def write(folder: Path, ensemble: str | None = ENSEMBLE, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    line = ""
    if ensemble is not None:
        (folder / "ens.csv").write_text(ensemble)
        line = "parameter_ensemble: ens.csv\n"
    path = folder / "exp.yaml"
    path.write_text(
        "name: ens\n"
        f"scenarios: [{SCENARIOS / 'baseline.yaml'}, {SCENARIOS / 'soft_power_divide.yaml'}]\n"
        "replications: 2\n"
        "seed: 5\n"
        "steps: 2\n"
        f"{line}{extra}"
    )
    return path


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("ens")
    out = {}
    for name, ensemble, workers in (("one", ENSEMBLE, 1), ("two", ENSEMBLE, 2), ("seeds", None, 1)):
        exp = load_experiment(write(base / f"exp-{name}", ensemble))
        run_batch(exp, base / name, workers=workers, progress=False)
        out[name] = base / name
    return out


def test_ensemble_members_are_recorded_per_run_and_used_once_each(batches):
    runs = read_runs(batches["one"])
    manifest = json.loads((batches["one"] / "manifest.json").read_text())
    ensemble = manifest["parameter_ensemble"]
    assert sorted(ensemble["replication_member"]) == [0, 1]
    for row in runs.itertuples():
        member = ensemble["replication_member"][row.replication]
        assert json.loads(row.parameters) == ensemble["members"][member]["values"]
    assert json.loads(read_runs(batches["seeds"])["parameters"].iloc[0]) == {}


@pytest.mark.slow
def test_ensemble_batch_differs_from_seeds_only_and_is_the_same_for_one_and_two_workers(batches):
    one, two, seeds = (
        read_table(batches[k], "soft_power").sort_values(["run_id", "step", "iso3"])
        for k in ("one", "two", "seeds")
    )
    pd.testing.assert_frame_equal(
        one.reset_index(drop=True), two.reset_index(drop=True), check_exact=True
    )
    divide = (one["scenario"] == "soft_power_divide").to_numpy()
    assert (one["run_id"].to_numpy() == seeds["run_id"].to_numpy()).all()
    ens_scores, seed_scores = one["score"].to_numpy(), seeds["score"].to_numpy()
    assert (ens_scores[divide] != seed_scores[divide]).any()
    left = read_runs(batches["one"]).drop(columns=["seconds", "part"])
    right = read_runs(batches["two"]).drop(columns=["seconds", "part"])
    pd.testing.assert_frame_equal(left, right)


def test_design_point_values_win_over_the_member(tmp_path):
    exp = load_experiment(
        write(tmp_path, extra="design: {method: grid, parameters: {threat_perception: [1.5]}}\n")
    )
    for run in exp.runs():
        assert run.parameters["threat_perception"] == 1.5
        assert run.parameters["tariff_perception"] in (0.0, 6.0)


@pytest.mark.parametrize(
    ("ensemble", "name", "fragment"),
    [
        (ENSEMBLE, "missing.csv", "parameter ensemble 'missing.csv' not found"),
        ("member,source,threat_perceptoin\n0,a,1\n", "ens.csv", "did you mean threat_perception"),
        ("member,source,threat_perception\n0,a,99\n", "ens.csv", "ens.csv:2: threat_perception"),
        ("member,source,threat_perception\n0,a,x\n", "ens.csv", "'x' is not a number"),
        ("member,source,threat_perception\n", "ens.csv", "no member"),
        ("iso3,threat_perception\n0,1\n", "ens.csv", "bad header"),
    ],
)
def test_bad_ensemble_files_are_one_line_errors(tmp_path, ensemble, name, fragment):
    path = write(tmp_path, ensemble)
    if name != "ens.csv":
        path.write_text(path.read_text().replace("ens.csv", name))
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    message = info.value.one_line()
    assert fragment in message and "\n" not in message


def test_bad_ensemble_on_the_command_line_exits_2_with_one_line(tmp_path):
    path = write(tmp_path, "member,source,stubborness\n0,a,0.2\n")
    cmd = [sys.executable, "-c", "from sim.cli import main; main()", "batch", str(path)]
    done = subprocess.run(
        [*cmd, "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "did you mean stubbornness" in done.stderr


def test_report_says_which_uncertainty_the_intervals_hold(batches):
    ens, seeds = load_batch(batches["one"]), load_batch(batches["seeds"])
    assert interval_kind(ens.manifest) == "seeds and parameters"
    assert interval_kind(seeds.manifest) == "seeds only"
    assert "over seeds and the parameter ensemble (2 members)" in interval_caption(ens.manifest)

    def text(section) -> str:
        parts = []
        for block in section.blocks:
            parts += [str(p) for p in getattr(block, "parts", ())]
            parts.append(str(getattr(block, "caption", "")))
        return " ".join(parts)

    summary = text(executive_summary(ens, ("USA", "CHN")))
    assert "seeds and the parameter ensemble" in summary and "seeds and parameters" in summary
    assert "seeds only" in text(executive_summary(seeds, ("USA", "CHN")))
    methods = text(methods_section(ens, ""))
    assert "Parameter ensemble ens.csv" in methods


# ---------------------------------------------------------------------- hindcast


def test_a_batch_without_a_history_scenario_has_no_hindcast(batches):
    batch = load_batch(batches["seeds"])
    assert batch_episodes(batch) == [] and hindcast_section(batch) is None


def test_hindcast_has_one_line_per_surveyed_country_and_the_published_waves(tmp_path):
    import matplotlib

    from sim.analysis.episodes import poll_table
    from sim.report.hindcast import POLL_FILES

    matplotlib.use("Agg")
    exp = tmp_path / "exp.yaml"
    exp.write_text(
        "name: hc\n"
        f"scenarios: [{SCENARIOS / 'history' / 'america_first_2017.yaml'}]\n"
        "replications: 2\nseed: 3\nsteps: 4\n"
    )
    run_batch(load_experiment(exp), tmp_path / "out", workers=1, progress=False)
    batch = load_batch(tmp_path / "out")
    section = hindcast_section(batch)
    assert section is not None and section.id == "hindcast"
    (block,) = [b for b in section.blocks if hasattr(b, "figure")]
    fig = block.figure

    targets = ROOT / "sim" / "data" / "targets"
    polls = poll_table([targets / f for f in POLL_FILES])
    recorded = set(batch.tables["polls"]["observer"]) - {"USA"}
    surveyed = sorted(
        o for o in recorded if (o, "USA", 2016) in polls and (o, "USA", 2017) in polls
    )
    waves = sum((o, "USA", y) in polls for o in surveyed for y in (2016, 2017, 2018))
    lines = [ln.get_gid() for ax in fig.axes for ln in ax.lines]
    assert sorted(lines) == [f"hindcast-{o}" for o in surveyed] and len(surveyed) >= 10
    points = [c for ax in fig.axes for c in ax.collections if (c.get_gid() or "").startswith("pub")]
    assert len(points) == len(surveyed)
    assert sum(len(c.get_offsets()) for c in points) == waves
    svg = tmp_path / "h.svg"
    fig.savefig(svg)
    text = svg.read_text()
    assert all(f'id="hindcast-{o}"' in text and f'id="published-{o}"' in text for o in surveyed)


def test_hindcast_episodes_carry_the_common_shock_the_model_does_not_have():
    from types import SimpleNamespace

    found = batch_episodes(SimpleNamespace(scenarios=["china_2020", "america_first_2017"]))
    shocks = {(e.scenario, e.target): e.common_shock for e in found}
    assert shocks[("america_first_2017", "USA")] is None
    assert shocks[("china_2020", "CHN")].startswith("COVID-19 pandemic")
    assert shocks[("china_2020", "USA")].startswith("COVID-19 pandemic")


def test_the_ensemble_table_counts_the_replications_of_each_member(batches):
    from sim.report.document import Table, cell_text

    ens = load_batch(batches["one"])
    table = next(
        b
        for b in methods_section(ens, "").blocks
        if isinstance(b, Table) and "Replications" in b.columns
    )
    count = table.columns.index("Replications")
    which = table.columns.index("Replication numbers")
    assignment = ens.manifest["parameter_ensemble"]["replication_member"]
    for row in table.rows:
        member = int(cell_text(row[0]))
        used = [r for r, k in enumerate(assignment) if k == member]
        assert cell_text(row[count]) == str(len(used))
        assert cell_text(row[which]) == (", ".join(map(str, used)) or "none")
    assert sum(int(cell_text(row[count])) for row in table.rows) == ens.manifest["replications"]
