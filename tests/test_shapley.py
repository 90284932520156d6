"""Shapley attribution of a scenario's change to its components, and the waterfall figure."""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from sim.analysis.shapley import (
    Attribution,
    EfficiencyError,
    evaluations_needed,
    shapley_values,
)
from sim.errors import ExperimentError
from sim.plots.waterfall import DOWN, UP, draw_waterfall, waterfall_steps


class CountingGame:
    """A value function that records how often each subset is asked for."""

    def __init__(self, function):
        self.function = function
        self.calls: list[frozenset[str]] = []

    def __call__(self, subset: frozenset[str]) -> np.ndarray:
        self.calls.append(subset)
        return np.asarray(self.function(subset), dtype=float)


def brute_force(components, value):
    """Shapley values by the permutation definition (all n! orderings), for small n."""
    n = len(components)
    out = {c: 0.0 for c in components}
    for order in itertools.permutations(components):
        before: set[str] = set()
        for c in order:
            out[c] += value(frozenset(before | {c})) - value(frozenset(before))
            before.add(c)
    return {c: v / math.factorial(n) for c, v in out.items()}


def vector_game(n: int, seed: int = 3):
    """A vector-valued game with main effects, pair interactions and a three-way term."""
    rng = np.random.default_rng(seed)
    names = [f"e{i}" for i in range(n)]
    main = rng.normal(size=(n, 4, 3))
    pair = rng.normal(size=(n, n, 4, 3)) * 0.3
    offset = rng.normal(size=(4, 3)) * 100

    def value(subset: frozenset[str]) -> np.ndarray:
        idx = sorted(names.index(c) for c in subset)
        out = offset.copy()
        for i in idx:
            out += main[i]
        for i, j in itertools.combinations(idx, 2):
            out += pair[i, j] * np.sin(i + j)
        if {0, 1, 2} <= set(idx):
            out += 0.7
        return np.tanh(out / 50) * 100  # non-linear on top

    return names, value


def test_additive_game_gives_additive_parts():
    parts = {"a": 1.5, "b": -2.0, "c": 0.25, "d": 4.0}
    result = shapley_values(list(parts), lambda s: np.array(10.0 + sum(parts[c] for c in s)))
    assert result.exact
    np.testing.assert_allclose(result.effects, list(parts.values()), atol=1e-12)
    assert result.baseline == pytest.approx(10.0)
    assert result.full == pytest.approx(10.0 + sum(parts.values()))
    result.check()


def test_pure_interaction_splits_equally():
    result = shapley_values(["a", "b"], lambda s: np.array(float("a" in s and "b" in s)))
    np.testing.assert_allclose(result.effects, [0.5, 0.5], atol=1e-15)
    assert result.effect("a") == pytest.approx(0.5)


def test_interaction_with_main_effects_matches_brute_force():
    def value(s):
        return 2.0 * ("a" in s) + 3.0 * ("a" in s and "b" in s) - ("c" in s) * ("b" in s)

    result = shapley_values(["a", "b", "c"], lambda s: np.array(value(s)))
    expected = brute_force(["a", "b", "c"], value)
    # a: 2 + 1.5; b: 1.5 − 0.5; c: −0.5
    assert expected == pytest.approx({"a": 3.5, "b": 1.0, "c": -0.5})
    np.testing.assert_allclose(result.effects, [expected[c] for c in "abc"], atol=1e-12)


def test_null_component_gets_exactly_zero_in_exact_mode():
    names, game = vector_game(5)
    result = shapley_values([*names, "null"], lambda s: game(s - {"null"}))
    assert result.exact
    assert np.all(result.effect("null") == 0.0)
    result.check(atol=1e-9)


def test_null_component_gets_about_zero_in_sampled_mode():
    names, game = vector_game(9)
    result = shapley_values(
        [*names, "null"],
        lambda s: game(s - {"null"}),
        rng=np.random.default_rng(1),
        max_exact=6,
        permutations=20,
    )
    assert not result.exact
    np.testing.assert_allclose(result.effect("null"), 0.0, atol=1e-12)


@pytest.mark.parametrize("mode", ["exact", "sampled"])
def test_sum_equals_total_for_vector_values(mode):
    n = 10
    names, game = vector_game(n)
    kwargs = {"max_exact": 10} if mode == "exact" else {"max_exact": 8, "permutations": 17}
    result = shapley_values(names, game, rng=np.random.default_rng(7), **kwargs)
    assert result.exact == (mode == "exact")
    assert result.effects.shape == (n, 4, 3)
    np.testing.assert_array_equal(result.total, result.full - result.baseline)
    assert np.max(np.abs(result.effects.sum(axis=0) - result.total)) <= 1e-12
    assert result.residual <= 1e-9
    result.check(atol=1e-9)
    if mode == "sampled":
        assert result.permutations == 17
        assert result.stderr is not None and result.stderr.shape == result.effects.shape
        assert result.evaluations <= evaluations_needed(n, 8, 17)
    else:
        assert result.stderr is None


def test_sampled_estimates_close_to_exact():
    names, game = vector_game(7)
    exact = shapley_values(names, game)
    sampled = shapley_values(names, game, max_exact=3, permutations=400)
    np.testing.assert_allclose(sampled.effects, exact.effects, atol=0.5)
    # With all 7! orderings' worth of coverage unnecessary: the error is within a few stderr.
    assert np.mean(np.abs(sampled.effects - exact.effects) <= 4 * sampled.stderr + 1e-9) > 0.95


def test_exact_matches_permutation_definition_on_random_game():
    rng = np.random.default_rng(11)
    table = {
        frozenset(s): rng.normal() for k in range(5) for s in itertools.combinations("abcd", k)
    }
    result = shapley_values(list("abcd"), lambda s: np.array(table[s]))
    expected = brute_force(list("abcd"), lambda s: table[s])
    np.testing.assert_allclose(result.effects, [expected[c] for c in "abcd"], atol=1e-12)


def test_sampled_mode_is_deterministic_for_a_seed():
    names, _ = vector_game(10)
    runs = []
    for _ in range(2):
        game = CountingGame(vector_game(10)[1])
        result = shapley_values(names, game, rng=np.random.default_rng(42), max_exact=4)
        runs.append((result, game.calls))
    (first, calls_a), (second, calls_b) = runs
    np.testing.assert_array_equal(first.effects, second.effects)
    assert calls_a == calls_b  # same evaluation order
    other = shapley_values(names, vector_game(10)[1], rng=np.random.default_rng(43), max_exact=4)
    assert not np.array_equal(first.effects, other.effects)


def test_default_rng_is_reproducible():
    names, game = vector_game(9)
    a = shapley_values(names, game, max_exact=2, permutations=6)
    b = shapley_values(names, game, max_exact=2, permutations=6)
    np.testing.assert_array_equal(a.effects, b.effects)


@pytest.mark.parametrize("n", [0, 1, 3, 6])
def test_exact_mode_evaluates_each_subset_once(n):
    names, game = vector_game(max(n, 1))
    counting = CountingGame(game)
    result = shapley_values(names[:n], counting)
    assert result.evaluations == 2**n == evaluations_needed(n)
    assert len(counting.calls) == 2**n
    assert len(set(counting.calls)) == 2**n
    # Canonical order: by size first.
    assert [len(s) for s in counting.calls] == sorted(len(s) for s in counting.calls)


def test_sampled_mode_caches_subsets():
    names, game = vector_game(10)
    counting = CountingGame(game)
    result = shapley_values(names, counting, max_exact=5, permutations=12)
    assert len(counting.calls) == len(set(counting.calls)) == result.evaluations
    assert result.evaluations <= evaluations_needed(10, 5, 12) == 2 + 12 * 9


def test_evaluations_needed():
    assert evaluations_needed(8) == 256
    assert evaluations_needed(12, max_exact=8, permutations=64) == 2 + 64 * 11
    assert evaluations_needed(9, max_exact=8, permutations=1000) == 2**9


def test_scalar_outcome_and_single_component():
    result = shapley_values(["only"], lambda s: 3.0 if s else 1.0)
    assert result.effects.shape == (1,)
    assert result.effects[0] == 2.0


def test_attribution_is_read_only_and_check_raises():
    result = shapley_values(["a", "b"], lambda s: np.array([len(s), 2.0 * len(s)]))
    with pytest.raises(ValueError):
        result.effects[0, 0] = 5.0
    broken = Attribution(
        components=result.components,
        effects=result.effects + 1e-6,
        total=result.total,
        baseline=result.baseline,
        full=result.full,
        exact=True,
        evaluations=4,
    )
    with pytest.raises(EfficiencyError):
        broken.check()


def test_bad_input():
    with pytest.raises(ExperimentError, match="twice"):
        shapley_values(["a", "a"], lambda s: np.zeros(1))
    with pytest.raises(ExperimentError):
        shapley_values(["a"], lambda s: np.zeros(1), permutations=0)
    with pytest.raises(ValueError, match="shape"):
        shapley_values(["a"], lambda s: np.zeros(len(s) + 1))
    with pytest.raises(ValueError, match="finite"):
        shapley_values(["a"], lambda s: np.array(np.nan if s else 0.0))


# --- waterfall --------------------------------------------------------------------------------


def test_waterfall_renders_and_ends_at_total():
    names = ["sanctions", "summit", "aid", "scandal"]
    effects = [-3.25, 1.5, 0.75, -0.125]
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    bars = draw_waterfall(ax, names, effects, start=42.0, title="USA soft power", unit="points")
    assert len(bars) == len(names) + 2
    assert len(ax.patches) == len(names) + 2
    last = bars[-1]
    assert last.get_y() + last.get_height() == pytest.approx(42.0 + sum(effects), abs=1e-12)
    # Each floating bar starts where the previous one ended.
    tops = [b.get_y() + b.get_height() for b in bars]
    for bar, previous in zip(list(bars)[1:-1], tops[:-2], strict=True):
        assert bar.get_y() == pytest.approx(previous)
    assert tops[-2] == pytest.approx(tops[-1])
    # Sorted by |effect|, coloured by sign.
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["no events", "sanctions", "summit", "aid", "scandal", "scenario"]
    from matplotlib.colors import to_hex

    assert to_hex(bars[1].get_facecolor()) == DOWN.lower()
    assert to_hex(bars[2].get_facecolor()) == UP.lower()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    assert "USA soft power" in svg


def test_waterfall_groups_small_effects():
    rng = np.random.default_rng(5)
    effects = rng.normal(size=15)
    names = [f"event {i}" for i in range(15)]
    fig = Figure()
    ax = fig.subplots()
    bars = draw_waterfall(ax, names, effects, start=-0.2, max_shown=6, unit="lean")
    assert len(bars) == 6 + 2
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[-2] == "other (10 events)"
    assert bars[-1].get_y() + bars[-1].get_height() == pytest.approx(-0.2 + effects.sum())
    fig.savefig(io.StringIO(), format="svg")


def test_waterfall_steps_validation_and_empty():
    steps = waterfall_steps([], [], start=3.0)
    assert steps.labels == ("no events", "scenario")
    assert steps.end == 3.0
    with pytest.raises(ValueError):
        waterfall_steps(["a"], [1.0, 2.0], start=0.0)
    with pytest.raises(ValueError):
        waterfall_steps(["a"], [float("nan")], start=0.0)
