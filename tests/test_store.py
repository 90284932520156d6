"""The result directory: atomic parts, the runs table, manifest, resume and refusal of changes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from sim.batch.experiment import load_experiment
from sim.batch.runner import run_batch
from sim.batch.store import RUN_COLUMNS, TABLES, Store, part_file, read_runs, read_table
from sim.cli import cli
from sim.errors import ExperimentError

SCENARIO = """\
name: {name}
title: {name}
start: 2025-Q1
steps: 4
parameters: {{spinup_steps: 3}}
"""


def write(folder: Path, replications: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("base", "other"):
        (folder / f"{name}.yaml").write_text(SCENARIO.format(name=name))
    path = folder / "exp.yaml"
    path.write_text(
        f"name: s\nscenarios: [base.yaml, other.yaml]\nreplications: {replications}\nseed: 5\n"
        "world: core60\n"
    )
    return path


@pytest.fixture
def batch(tmp_path) -> tuple[Path, Path]:
    path = write(tmp_path / "exp")
    out = tmp_path / "out"
    run_batch(load_experiment(path), out, workers=1, progress=False)
    return path, out


def test_directory_holds_the_contract_files(batch):
    path, out = batch
    assert (out / "experiment.yaml").read_bytes() == path.read_bytes()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["name"] == "s" and manifest["seed"] == 5 and manifest["replications"] == 2
    assert manifest["design"]["method"] == "grid" and manifest["design"]["points"] == 1
    assert set(manifest["scenarios"]) == {"base", "other"}
    assert manifest["scenarios"]["base"]["scenario"]["name"] == "base"
    assert len(manifest["scenarios"]["base"]["hash"]) == 64
    for key in ("experiment_sha256", "package_version", "created", "workers", "executor"):
        assert key in manifest
    runs = read_runs(out)
    assert list(runs.columns) == list(RUN_COLUMNS)
    assert list(runs["run_id"]) == ["base-d0-r0", "base-d0-r1", "other-d0-r0", "other-d0-r1"]
    assert runs["parameters"].tolist() == ["{}"] * 4
    # Four runs on one worker: one run per task, so each run is its own part.
    assert runs["part"].tolist() == runs["run_id"].tolist()
    for table in TABLES:
        for scenario, run_id in zip(runs["scenario"], runs["run_id"], strict=True):
            assert part_file(out, table, scenario, run_id).is_file()
    assert not list(out.rglob(".*.tmp"))


def test_whole_table_folders_read_as_hive_datasets(batch):
    _, out = batch
    frame = pd.read_parquet(out / "soft_power")
    assert len(frame) == 4 * 5 * 60
    assert set(frame["scenario"].astype(str)) == {"base", "other"}
    assert list(frame.columns[:5]) == ["run_id", "scenario", "design_point", "replication", "seed"]
    assert list(frame.columns[5:]) == [
        "step",
        "date",
        "iso3",
        "score",
        "rank",
        "familiarity",
        "reputation",
    ]
    events = pd.read_parquet(out / "events")
    assert list(events.columns[5:]) == ["step", "date", "kind", "actor", "target", "detail"]


def test_runs_table_is_readable_after_the_first_run(tmp_path):
    path = write(tmp_path / "exp")
    out = tmp_path / "out"
    seen = []
    run_batch(
        load_experiment(path),
        out,
        workers=1,
        progress=False,
        on_result=lambda row: seen.append(len(read_runs(out))),
    )
    assert seen[0] == 1 and all(n >= 1 for n in seen)


def test_resume_deletes_orphans_and_temporary_files_and_keeps_finished_runs(batch):
    path, out = batch
    journal = out / "runs.jsonl"
    lines = journal.read_text().splitlines()
    # Simulate a kill: the last run's row never reached the journal, half a line did.
    journal.write_text("\n".join(lines[:-1]) + '\n{"run_id": "other-d0-r1", "sta')
    orphan = part_file(out, "soft_power", "other", "other-d0-r1")
    before = pd.read_parquet(orphan)
    temp = orphan.with_name(".other-d0-r1.parquet.999.tmp")
    temp.write_bytes(b"partial")
    kept = part_file(out, "soft_power", "base", "base-d0-r0")
    mtime = kept.stat().st_mtime_ns

    report = run_batch(load_experiment(path), out, workers=1, progress=False)
    assert (report.skipped, report.executed) == (3, 1)
    assert not temp.exists()
    assert kept.stat().st_mtime_ns == mtime
    pd.testing.assert_frame_equal(pd.read_parquet(orphan), before)
    assert len(journal.read_text().splitlines()) == 4


@pytest.mark.slow
def test_changed_experiment_file_is_refused_with_one_line_and_force_starts_anew(batch):
    path, out = batch
    path.write_text(path.read_text().replace("replications: 2", "replications: 3"))
    result = CliRunner().invoke(cli, ["batch", str(path), "--out", str(out), "--no-progress"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "experiment file changed since" in lines[0] and "--force" in lines[0]
    assert len(read_runs(out)) == 4  # untouched

    result = CliRunner().invoke(
        cli, ["batch", str(path), "--out", str(out), "--force", "--no-progress", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert len(read_runs(out)) == 6
    assert "runs: 6 (6 ok, 0 failed; 6 run now, 0 already done)" in result.stdout
    assert (out / "experiment.yaml").read_bytes() == path.read_bytes()


def test_changed_scenario_file_is_refused(batch):
    path, out = batch
    scenario = path.parent / "other.yaml"
    scenario.write_text(scenario.read_text().replace("steps: 4", "steps: 5"))
    with pytest.raises(ExperimentError, match="scenario 'other' changed since"):
        run_batch(load_experiment(path), out, workers=1, progress=False)


def test_non_empty_folder_that_is_no_batch_is_refused(tmp_path):
    path = write(tmp_path / "exp")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(ExperimentError, match="not empty and holds no batch"):
        run_batch(load_experiment(path), out, workers=1, progress=False)
    assert (out / "thesis.docx").read_text() == "precious"


def test_read_table_reads_only_runs_that_finished_ok(batch):
    _, out = batch
    store = Store(out)
    runs = read_runs(out)
    runs.loc[runs["run_id"] == "base-d0-r1", "status"] = "failed"
    frame = read_table(out, "membership", runs=runs)
    assert sorted(set(frame["run_id"])) == ["base-d0-r0", "other-d0-r0", "other-d0-r1"]
    assert store.manifest()["name"] == "s"


def test_a_second_batch_cannot_write_into_a_directory_in_use(batch):
    path, out = batch
    holder = Store(out)
    holder._lock()
    try:
        with pytest.raises(ExperimentError, match="another batch is writing to this directory"):
            run_batch(load_experiment(path), out, workers=1, progress=False)
    finally:
        holder.close()
    report = run_batch(load_experiment(path), out, workers=1, progress=False)
    assert report.skipped == 4


@pytest.mark.slow
def test_parts_of_several_runs_read_in_runs_order_and_as_whole_folders(tmp_path):
    path = write(tmp_path / "exp", replications=8)  # 16 runs on one worker: parts 4, 3, 3, 2, 1...
    out = tmp_path / "out"
    run_batch(load_experiment(path), out, workers=1, progress=False)
    runs = read_runs(out)
    assert runs.groupby("part").size().max() == 4 and runs["part"].nunique() < 16
    for (scenario, part), group in runs.groupby(["scenario", "part"]):
        assert part == group["run_id"].iloc[0]  # a part is named after its first run
        held = pd.read_parquet(part_file(out, "soft_power", scenario, part))
        assert list(dict.fromkeys(held["run_id"])) == group["run_id"].tolist()
    frame = read_table(out, "soft_power", columns=["step", "iso3", "score"], runs=runs)
    assert list(frame.columns) == ["step", "iso3", "score"] and len(frame) == 16 * 5 * 60
    # Runs read back in runs-table order even when the runs table lists parts out of order.
    shuffled = runs.iloc[[4, 5, 0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]]
    ordered = read_table(out, "membership", runs=shuffled)
    assert list(dict.fromkeys(ordered["run_id"])) == shuffled["run_id"].tolist()
    assert len(pd.read_parquet(out / "soft_power")) == 16 * 5 * 60


def test_a_directory_from_before_parts_reads_and_resumes(batch):
    """Older directories had one file per run and no ``part`` column or journal field."""
    path, out = batch
    runs = read_runs(out)
    runs.drop(columns=["part"]).to_parquet(out / "runs.parquet", index=False)
    journal = out / "runs.jsonl"
    rows = [json.loads(line) for line in journal.read_text().splitlines()]
    journal.write_text(
        "".join(json.dumps({k: v for k, v in r.items() if k != "part"}) + "\n" for r in rows)
    )
    assert read_runs(out)["part"].tolist() == runs["run_id"].tolist()
    assert len(read_table(out, "soft_power")) == 4 * 5 * 60
    report = run_batch(load_experiment(path), out, workers=1, progress=False)
    assert (report.skipped, report.executed) == (4, 0)
    assert all(
        part_file(out, "events", s, r).is_file()
        for s, r in zip(runs["scenario"], runs["run_id"], strict=True)
    )


@pytest.mark.slow
def test_a_part_whose_rows_were_not_all_journalled_is_rerun_and_read_once(tmp_path):
    """A kill between the journal lines of one part's runs: that part counts as unfinished."""
    path = write(tmp_path / "exp", replications=8)  # 16 runs on one worker: the first part has 4
    reference = tmp_path / "reference"
    run_batch(load_experiment(path), reference, workers=1, progress=False)
    out = tmp_path / "out"
    run_batch(load_experiment(path), out, workers=1, progress=False)
    journal = out / "runs.jsonl"
    rows = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [r["part_size"] for r in rows[:4]] == [4] * 4
    assert {r["part"] for r in rows[:4]} == {rows[0]["run_id"]}
    del rows[3]  # the first part's last run never reached the journal
    journal.write_text("".join(json.dumps(r) + "\n" for r in rows))

    report = run_batch(load_experiment(path), out, workers=1, progress=False)
    assert (report.skipped, report.executed) == (12, 4)  # the whole part ran again
    frame = read_table(out, "soft_power")
    assert not frame.duplicated(["run_id", "step", "iso3"]).any()
    pd.testing.assert_frame_equal(frame, read_table(reference, "soft_power"), check_exact=True)
    runs = read_runs(out)
    files = sorted(f.name for f in (out / "soft_power").rglob("*.parquet"))
    assert files == sorted({f"{p}.parquet" for p in runs["part"]})
