"""No input breaks softpower (issue 20, item 10): each bad input below gives one line on stderr
and exit code 2, in-process through click's CliRunner, before any work where it can be checked.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sim.cli import cli
from sim.errors import ParameterError, ScenarioError, SoftPowerError
from sim.parameter_file import load_parameter_file
from sim.yamlfile import MAX_BYTES, MAX_DEPTH, read_yaml

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
TARGETS = REPO / "sim" / "data" / "targets"
#: The options each fit of ``calibrate`` needs (existing files; nothing runs before the check).
CALIBRATE = {
    "ranks": ("calibrate", "ranks", "--target", "t.csv"),
    "observation": (
        "calibrate", "observation", "--target", "t.csv",
        "--polls", TARGETS / "pew_favourability_2002_2024.csv",
    ),
    "responses": (
        "calibrate", "responses", "--episodes", TARGETS / "episodes.csv",
        "--polls", TARGETS / "pew_favourability_2002_2024.csv",
    ),
}  # fmt: skip


def softpower(*args: str | Path) -> Result:
    """Run the CLI in this process; return click's result (exit code, stdout, stderr)."""
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="softpower")


def one_error_line(result: Result, *needles: str) -> str:
    """Assert exit 2, no traceback, and one stderr line that holds every needle; return it."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("softpower: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# ------------------------------------------------------------------ the YAML reader

BOMB = """\
a: &a [x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""

#: name -> (file text, what the one line says, its line)
BAD_YAML = {
    "alias_bomb": (BOMB, "YAML alias *a refused", 2),
    "deep_flow": ("x: " + "[" * 20_000 + "]" * 20_000 + "\n", f"deeper than {MAX_DEPTH}", 1),
    "deep_block": (
        "".join(f"{'  ' * i}k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n",
        f"deeper than {MAX_DEPTH}",
        None,
    ),
    "duplicate_key": (
        "name: a\nsteps: 4\nname: b\n",
        "duplicate key 'name' (first at line 1)",
        3,
    ),
    "python_tag": ("name: !!python/object/apply:os.system ['true']\n", "YAML tag refused", 1),
    "bad_date": ("start: 2025-13-45\n", "YAML error", None),
    # Found by the fuzz test: the reader refuses control characters before any parsing.
    "control_character": ("name: a\nsteps: 4\x00\n", "character U+0000 not allowed", 2),
}


@pytest.mark.parametrize("name", sorted(BAD_YAML))
@pytest.mark.parametrize("error", [ScenarioError, ParameterError])
def test_the_yaml_reader_refuses_bombs_depth_duplicates_and_tags_fast(tmp_path, name, error):
    text, says, line = BAD_YAML[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(error) as caught:
        read_yaml(path, error=error)
    assert time.perf_counter() - start < 5
    assert says in caught.value.message
    assert caught.value.file == str(path)
    if line is not None:
        assert caught.value.line == line


def test_the_yaml_reader_refuses_a_file_over_the_size_limit(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * MAX_BYTES + "\n", encoding="utf-8")
    with pytest.raises(SoftPowerError, match="too large"):
        read_yaml(path)
    with pytest.raises(SoftPowerError, match="too large"):  # an endless file is not read to its end
        read_yaml("/dev/zero")
    with pytest.raises(SoftPowerError, match="is a directory"):
        read_yaml(tmp_path)


def test_the_yaml_reader_keeps_lines_and_values_of_a_good_file(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text("a: 1\nb:\n  - x\n  - {c: 2}\n", encoding="utf-8")
    data, lines = read_yaml(path)
    assert data == {"a": 1, "b": ["x", {"c": 2}]}
    assert lines[("b", 1, "c")] == 4 and lines[("a",)] == 1


def test_no_bundled_yaml_file_uses_aliases_and_all_read():
    files = [
        *REPO.glob("scenarios/**/*.yaml"),
        *REPO.glob("experiments/**/*.yaml"),
        *REPO.glob("tests/data/**/*.yaml"),
    ]
    assert len(files) > 15
    for path in files:
        read_yaml(path)  # raises on an alias, a duplicate key, depth or size


@pytest.mark.parametrize("name", ["alias_bomb", "deep_flow", "duplicate_key"])
@pytest.mark.parametrize("command", ["check", "run", "batch", "params"])
def test_every_file_the_cli_reads_goes_through_the_limits(tmp_path, name, command):
    text, says, _ = BAD_YAML[name]
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    args = {
        "check": ("scenarios", "check", bad),
        "run": ("run", bad, "--out", tmp_path / "out"),
        "batch": ("batch", bad, "--out", tmp_path / "out"),
        "params": ("run", BASELINE, "--out", tmp_path / "out", "--params-file", bad),
    }[command]
    one_error_line(softpower(*args), str(bad), says)
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ parameter files


def test_a_scenario_given_as_a_parameter_file_is_refused_saying_what_one_looks_like(tmp_path):
    line = one_error_line(
        softpower("run", BASELINE, "--out", tmp_path / "o", "--params-file", BASELINE),
        "this is a scenario file, not a parameter file",
        "name: value",
        "softpower calibrate",
    )
    assert f"{BASELINE}:" in line
    experiment = REPO / "experiments" / "demo.yaml"
    with pytest.raises(ParameterError, match="this is an experiment file"):
        load_parameter_file(experiment)


@pytest.mark.parametrize(
    "command, given, says",
    [
        ("run", "experiment", "this is an experiment file, not a scenario file"),
        ("scenarios check", "experiment", "this is an experiment file, not a scenario file"),
        ("run", "parameters", "this is a parameter file, not a scenario file"),
        ("run", "flat parameters", "this is a parameter file, not a scenario file"),
        ("batch", "scenario", "this is a scenario file, not an experiment file"),
    ],
)
def test_a_file_of_the_wrong_kind_says_which_kind_it_is_and_which_command_takes_it(
    tmp_path, command, given, says
):
    """Before, these named the first unknown or missing key (`unknown key 'scenarios'`)."""
    files = {
        "experiment": REPO / "experiments" / "demo.yaml",
        "scenario": BASELINE,
        "parameters": tmp_path / "p.yaml",
        "flat parameters": tmp_path / "flat.yaml",
    }
    files["parameters"].write_text("parameters:\n  stubbornness: 0.3\n", encoding="utf-8")
    files["flat parameters"].write_text("stubbornness: 0.3\n", encoding="utf-8")
    out = () if command == "scenarios check" else ("--out", tmp_path / "out")
    hint = {"experiment": "softpower batch", "scenario": "softpower run"}.get(
        given, "--params-file"
    )
    result = softpower(*command.split(), files[given], *out)
    one_error_line(result, f"{files[given]}:", says, hint)
    assert not (tmp_path / "out").exists()


def test_a_parameter_file_with_a_stray_top_level_key_beside_parameters_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("parameters:\n  stubbornness: 0.3\nevnts: []\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="unexpected top-level key 'evnts'") as caught:
        load_parameter_file(path)
    assert caught.value.line == 3
    path.write_text("parameters:\n  stubbornness: 0.3\ncalibration: {}\n", encoding="utf-8")
    assert load_parameter_file(path).stubbornness == 0.3


def test_a_parameter_file_error_names_the_line_of_the_parameter(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("parameters:\n  stubbornness: 0.3\n  stubbornes: 0.2\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="unknown parameter") as caught:
        load_parameter_file(path)
    assert caught.value.line == 3 and caught.value.suggestion == "did you mean stubbornness?"


# ------------------------------------------------------------------ events

HEAD = "name: t\ntitle: T\nstart: 2025-Q1\nsteps: 4\nevents:\n  - at: 2025-Q2\n"

#: name -> (event keys after ``at``, what the line says, the key named)
BAD_EVENTS = {
    "threat_to_nobody": (
        "kind: threat\nactor: USA\ntargets: [CAN]\nexclude: [CAN]\nseverity: 1",
        "resolves to no nation",
        "targets",
    ),
    "no_observers": (
        "kind: credibility_shock\nactor: USA\nobservers: []\nmagnitude: 0.1",
        "resolves to no nation",
        "observers",
    ),
    "join_nobody": ("kind: join\nnations: []\ninitiative: BRI", "resolves to no nation", "nations"),
    "tariff_on_self": (
        "kind: tariff\nactor: USA\ntargets: [USA, CAN]\nrate: 0.1",
        "the actor USA is among its own targets",
        "targets",
    ),
    "war_on_self": ("kind: war\nactor: RUS\ntarget: RUS", "its own target", "target"),
    "war_against_self": (
        "kind: war\nactor: RUS\ntarget: UKR\nopponents: [RUS]",
        "among its opponents",
        "opponents",
    ),
    "edge_to_self": (
        "kind: edge\naction: add\nlayer: trade\nsource: CHN\ntargets: CHN",
        "the source CHN is among its own targets",
        "targets",
    ),
    "restriction_by_self": (
        "kind: restriction\nactor: CHN\nchannel: tech\nobservers: [CHN]\nseverity: 0.5",
        "the actor CHN is among its own observers",
        "observers",
    ),
    "news_about_self": (  # the model leaves a nation's view of itself out: it did nothing
        "kind: news_shock\nactor: USA\nobservers: [USA]\nmagnitude: 0.1",
        "the actor USA is among its own observers",
        "observers",
    ),
    "credibility_with_self": (
        "kind: credibility_shock\nactor: USA\nobservers: USA\nmagnitude: 0.1",
        "among its own observers",
        "observers",
    ),
    "random_without_observers": (
        "kind: random\nhazard: 0.1\nevent: {kind: news_shock, actor: USA, observers: []}\n"
        "magnitude: {distribution: uniform, low: 0, high: 0.1}",
        "resolves to no nation",
        "observers",
    ),
}


def _scenario(folder: Path, body: str) -> Path:
    path = folder / "s.yaml"
    path.write_text(HEAD + "".join(f"    {line}\n" for line in body.splitlines()))
    return path


@pytest.mark.parametrize("name", sorted(BAD_EVENTS))
def test_events_whose_nations_resolve_to_none_or_to_the_actor_are_refused(tmp_path, name):
    body, says, key = BAD_EVENTS[name]
    path = _scenario(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        from sim.scenario.scenario import load_scenario

        load_scenario(path, "core60")
    assert says in caught.value.message and caught.value.key == key
    assert caught.value.line is not None and caught.value.line >= 7
    for args in (("scenarios", "check", path), ("run", path, "--out", tmp_path / "out")):
        one_error_line(softpower(*args, "--world", "core60"), f"{path}:", says)
    assert not (tmp_path / "out").exists()


def test_all_or_a_group_that_contains_the_actor_stays_valid(tmp_path):
    from sim.scenario.scenario import load_scenario

    path = _scenario(tmp_path, "kind: tariff\nactor: USA\ntargets: all\nrate: 0.0")
    assert len(load_scenario(path, "core60").events) == 1
    path = _scenario(tmp_path, "kind: threat\nactor: USA\ntargets: G7\nseverity: 0.25")
    assert len(load_scenario(path, "core60").events) == 1


# ------------------------------------------------------------------ options


@pytest.mark.parametrize("seed", ["-1", "1.5", "x", "--2"])
@pytest.mark.parametrize(
    "command",
    [
        ("run", BASELINE, "--out", "OUT"),
        ("attribute", BASELINE, "--out", "OUT"),
        ("test-2025", BASELINE),
        ("validate", "--run", "OUT", "--target", "t.csv"),
        *CALIBRATE.values(),
        ("profile", "--episodes", TARGETS / "episodes.csv", "--polls", BASELINE, "--out", "OUT"),
        ("spread", BASELINE, "--out", "OUT"),
        ("network", "--out", "OUT"),
    ],
    ids=lambda c: " ".join(str(a) for a in c[:2] if not str(a).startswith(("-", "/"))),
)
def test_a_negative_or_non_integer_seed_is_refused_on_every_command(tmp_path, command, seed):
    args = [tmp_path / "out" if a == "OUT" else a for a in command]
    one_error_line(softpower(*args, f"--seed={seed}"), "--seed", "whole number ≥ 0")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("seed", ["-1", "1.5", "true", "2.0", "'7'"])
def test_an_experiment_seed_that_is_not_a_whole_number_is_refused(tmp_path, seed):
    """`seed: true`, `2.0` and `'7'` were taken as 1, 2 and 7."""
    path = tmp_path / "e.yaml"
    path.write_text(f"name: e\nscenarios: [{BASELINE}]\nreplications: 1\nseed: {seed}\n")
    result = softpower("batch", path, "--out", tmp_path / "out", "--workers", "1")
    one_error_line(result, f"{path}:4: seed: ")
    assert not (tmp_path / "out").exists()


def test_every_seed_option_is_the_shared_type():
    from sim.cli.options import SEED

    seeds = [
        (path, p)
        for path, command in _commands(cli, "softpower")
        for p in command.params
        if p.name == "seed"
    ]
    assert len(seeds) >= 5
    for path, param in seeds:
        assert param.type is SEED, path


def _commands(group, prefix):
    import click

    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", command


@pytest.mark.parametrize("nations", ["", ",", " , "])
def test_attribute_refuses_an_empty_nations_list(tmp_path, nations):
    result = softpower("attribute", BASELINE, "--out", tmp_path / "o", "--nations", nations)
    one_error_line(result, "--nations", "no nation given")
    assert not (tmp_path / "o").exists()


def test_test_2025_refuses_a_scenario_that_does_not_start_in_2025():
    history = REPO / "scenarios" / "history" / "iraq_war_2003.yaml"
    one_error_line(
        softpower("test-2025", history),
        str(history),
        "starts in 2003-Q1",
        "2025-Q1",
    )


def _unwritable(tmp_path: Path) -> list[Path]:
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    return [Path("/proc/softpower-x"), blocker / "under"]


def test_an_unwritable_out_is_refused_before_any_work(tmp_path, monkeypatch):
    import sim.analysis.outcomes
    import sim.batch.runner
    import sim.report.report

    def no_work(*args, **kwargs):
        raise AssertionError("the work started before --out was checked")

    monkeypatch.setattr(sim.batch.runner, "run_batch", no_work)
    monkeypatch.setattr(sim.analysis.outcomes, "discover_batch", no_work)
    monkeypatch.setattr(sim.report.report, "write_report", no_work)
    experiment = REPO / "experiments" / "demo.yaml"
    for out in _unwritable(tmp_path):
        for args in (
            ("run", BASELINE, "--out", out),
            ("batch", experiment, "--out", out),
            ("attribute", BASELINE, "--out", out),
            ("discover", tmp_path, "--condition", "score[USA] > 1", "--out", out / "b.csv"),
            ("report", tmp_path, "--out", out / "r.html"),
            ("report", tmp_path, "--out", tmp_path / "r.html", "--pdf", out / "r.pdf"),
            *((*fit, "--out", out / "p.yaml") for fit in CALIBRATE.values()),
        ):
            one_error_line(softpower(*args), str(out), "cannot write here", "choose another")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


# ------------------------------------------------------------------ a batch: conditions, parts


@pytest.mark.parametrize(
    "condition, says",
    [
        ("(" * 5000 + "score[USA] > 1" + ")" * 5000, "nested deeper than 50"),
        ("not " * 5000 + "score[USA] > 1", "nested deeper than 50"),
        ("-" * 5000 + "score[USA] > 1", "nested deeper than 50"),
        (" + ".join(["score[USA]"] * 5000) + " > 1", "nested deeper than 50"),
        (" and ".join(["score[USA] > 1"] * 5000), "nested deeper than 50"),
    ],
    ids=["parentheses", "not", "signs", "sum", "and"],
)
def test_a_condition_nested_too_deep_gives_one_line(tiny_batch, tmp_path, condition, says):
    _, batch = tiny_batch
    out = tmp_path / "boxes.csv"
    one_error_line(softpower("discover", batch, "--condition", condition, "--out", out), says)
    assert not out.exists()


def test_a_condition_fifty_deep_still_parses():
    from sim.analysis.condition import parse_condition

    text = "(" * 48 + "score[USA] > 1" + ")" * 48
    assert parse_condition(text, nations=["USA"]).columns == ("score[USA]",)


def _tables(batch: Path) -> dict[str, object]:
    from sim.batch.store import TABLES, read_table

    return {t: read_table(batch, t) for t in TABLES}


@pytest.mark.slow
def test_a_truncated_part_is_named_with_how_to_recompute_it_and_the_rerun_heals_it(
    tiny_batch, tmp_path
):
    import shutil

    import pandas as pd

    from sim.batch.experiment import load_experiment
    from sim.batch.runner import run_batch

    experiment, original = tiny_batch
    batch = tmp_path / "batch"
    shutil.copytree(original, batch)
    before = _tables(batch)
    parts = sorted((batch / "perception").rglob("*.parquet"))
    victim = parts[-1]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    others = {  # the other runs' parts
        p: p.stat().st_mtime_ns
        for p in batch.rglob("*.parquet")
        if p.parent.name.startswith("scenario=") and p.name != victim.name
    }
    assert len(others) >= 3 * 6
    for args in (
        ("summarize", batch),
        ("report", batch, "--out", tmp_path / "r.html"),
    ):
        one_error_line(
            softpower(*args),
            f"{victim}:",
            "corrupt or truncated result part",
            f"rerun the same `softpower batch EXPERIMENT --out {batch}`",
        )
    # rerunning the batch reruns only that part's runs and loses nothing else
    done = run_batch(load_experiment(experiment), batch, workers=1, progress=False)
    assert done.executed == 1 and done.skipped == 3
    assert all(p.stat().st_mtime_ns == t for p, t in others.items())
    for name, frame in _tables(batch).items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)
    assert softpower("summarize", batch).exit_code == 0


def test_a_corrupt_runs_table_gives_one_line(tiny_batch, tmp_path):
    import shutil

    _, original = tiny_batch
    batch = tmp_path / "batch"
    shutil.copytree(original, batch)
    (batch / "runs.parquet").write_bytes(b"PAR1 not really")
    one_error_line(softpower("summarize", batch), "runs.parquet", "corrupt or truncated runs")
