"""Fuzzing the inputs (issue 20, item 10): mutated scenario, experiment and parameter files and
random conditions, through the CLI in this process, end in exit code 0 or 2 and never a
traceback; every exit 2 is one ``softpower: error:`` line.

Hypothesis runs derandomized (the same examples on every machine and every run). Files that
still validate would start work; the work itself is replaced by a stub that stops at once, so
the test measures the checking only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_inputs import BASELINE, REPO, softpower

SCENARIOS = REPO / "scenarios"

#: Fragments a mutation inserts: YAML syntax, anchors and tags, numbers at and beyond the limits,
#: nation codes, groups, keys of other kinds, and text that is no YAML at all.
TOKENS = [
    ": ", "- ", "[", "]", "{", "}", ",", "\n", "\n  ", "\t", "#", "'", '"', "&a ", "*a", "<<: *a",
    "!!python/object:os.system ", "!!binary ", "~", "null", "true", "0", "-1", "1e309", "nan",
    "-0.5", "1.5", "99999999999999999999", "2025-Q1", "2025-Q9", "2003-Q1", "all", "USA", "CHN",
    "XXX", "EU", "NATO", "[]", "{}", "kind: war", "kind: threat", "kind: random", "targets: []",
    "observers: []", "exclude: [USA]", "actor: USA", "target: USA", "include: [x.yaml]",
    "steps: 0", "steps: -4", "seed: -1", "replications: 0", "parameters:", "stubbornness: 2",
    "events:", "scenarios: []", "design: {method: sobol}", "name: Bad Name", "é", "\x00", "\ufeff",
]  # fmt: skip

#: Fragments of conditions.
CONDITION_TOKENS = [
    "score[USA]", "score[CHN]", "rank[USA]", "favourable[MEX,USA]", "familiarity[BRA]",
    "score[", "]", "[", "(", ")", "and", "or", "not", "<", "<=", ">", ">=", "==", "!=", "+", "-",
    "*", "/", "0", "1", "2.5", "1e309", "nan", "USA", "XXX", "score[XXX]", "scor[USA]", ",", " ",
    "'", "\"", "\\", "é", "\x00",
]  # fmt: skip

FUZZ = settings(
    derandomize=True,
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class _Stop(Exception):
    """Raised by the stubbed work: the input passed every check."""


def _stop(*args, **kwargs):
    raise _Stop


mutations = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "duplicate", "replace"]),
        st.floats(0, 1, allow_nan=False),
        st.sampled_from(TOKENS),
        st.integers(1, 40),
    ),
    min_size=1,
    max_size=4,
)


def mutate(text: str, ops) -> str:
    """Apply mutations at relative positions of ``text``."""
    for kind, where, token, span in ops:
        at = int(where * len(text))
        if kind == "insert":
            text = text[:at] + token + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + span :]
        elif kind == "duplicate":
            text = text[:at] + text[at : at + span] * 2 + text[at + span :]
        else:
            text = text[:at] + token + text[at + len(token) :]
    return text


def assert_clean_exit(result) -> None:
    """Exit 0, or exit 2 with one error line; the stub's stop counts as a pass of the checks."""
    if isinstance(result.exception, _Stop):
        return
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code in (0, 2), (result.exit_code, result.exception, result.stderr)
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("softpower: error: "), result.stderr
    else:
        assert result.exception is None, result.exception


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """A copy of the scenario library (so includes resolve) to mutate files in."""
    folder = tmp_path_factory.mktemp("fuzz") / "scenarios"
    shutil.copytree(SCENARIOS, folder)
    return folder


@pytest.fixture
def no_work(monkeypatch):
    import sim.batch.runner
    import sim.model.model

    monkeypatch.setattr(sim.batch.runner, "run_batch", _stop)
    monkeypatch.setattr(sim.model.model, "SoftPowerModel", _stop)


SCENARIO_BASES = ["tiktok_restriction.yaml", "america_first.yaml", "random_shocks.yaml"]


@pytest.mark.slow
@FUZZ
@given(base=st.sampled_from(SCENARIO_BASES), ops=mutations)
def test_mutated_scenario_files_exit_0_or_2(library, no_work, base, ops):
    path = library / f"fuzzed_{base}"
    path.write_text(mutate((SCENARIOS / base).read_text(encoding="utf-8"), ops), "utf-8")
    assert_clean_exit(softpower("scenarios", "check", path, "--world", "core60"))
    assert_clean_exit(softpower("run", path, "--world", "core60", "--out", library / "out"))


@pytest.mark.slow
@FUZZ
@given(ops=mutations)
def test_mutated_experiment_files_exit_0_or_2(library, no_work, ops):
    text = (REPO / "experiments" / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace("../scenarios/", "").replace("ensemble/", "../ensemble/")
    path = library / "fuzzed_experiment.yaml"
    path.write_text(mutate(text, ops), "utf-8")
    if not (library.parent / "ensemble").exists():
        shutil.copytree(REPO / "experiments" / "ensemble", library.parent / "ensemble")
    out = library.parent / "batch"
    assert_clean_exit(softpower("batch", path, "--world", "core60", "--out", out))


@FUZZ
@given(ops=mutations)
def test_mutated_parameter_files_exit_0_or_2(library, no_work, ops):
    text = (REPO / "experiments" / "ensemble" / "responses.yaml").read_text(encoding="utf-8")
    path = library / "fuzzed_params.yaml"
    path.write_text(mutate(text[:1500], ops), "utf-8")
    args = ("run", BASELINE, "--world", "core60", "--out", library / "out", "--params-file", path)
    assert_clean_exit(softpower(*args))


@pytest.fixture(scope="module")
def batch(tiny_batch) -> tuple[Path, str]:
    """The tiny batch and the median of score[USA] over its runs (MEDIAN in conditions)."""
    from sim.analysis.outcomes import run_outcomes

    median = run_outcomes(tiny_batch[1], ["score[USA]"])["score[USA]"].median()
    return tiny_batch[1], f"{median:.9f}"


comparisons = st.builds(
    "{} {} {}".format,
    st.sampled_from(["score[USA]", "score[USA]", "rank[USA]", "reputation[CHN]", "-score[USA]"]),
    st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
    st.sampled_from(["0", "50", "score[CHN]", "2 * score[USA] - 60", "1 / 0", "MEDIAN"]),
)
#: Well-formed conditions (some met by every run or none), and those with random tokens spliced in.
conditions = st.one_of(
    st.lists(comparisons, min_size=1, max_size=3).map(" and ".join),
    st.lists(comparisons, min_size=1, max_size=3).map(lambda c: f"not ({' or '.join(c)})"),
    st.tuples(comparisons, st.lists(st.sampled_from(CONDITION_TOKENS), max_size=3)).map(
        lambda t: " ".join([t[0], *t[1]])
    ),
    st.lists(st.sampled_from(CONDITION_TOKENS), min_size=1, max_size=12).map(" ".join),
)


@pytest.mark.slow  # 40 `discover` runs (PRIM on the valid ones): about 20 s on a loaded machine
@FUZZ
@given(condition=conditions)
def test_random_conditions_exit_0_or_2(batch, tmp_path_factory, condition):
    batch, median = batch
    condition = condition.replace("MEDIAN", median)
    out = tmp_path_factory.getbasetemp() / "fuzz_boxes.csv"
    args = ("discover", batch, "--condition", condition, "--out", out, "--no-figures")
    assert_clean_exit(softpower(*args))
