"""Scenario discovery: PRIM finds a planted box, CART separates it, to_ema has EMA's shapes."""

from __future__ import annotations

import doctest
import io
import logging
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.stats import qmc

import sim.analysis.discovery as discovery_module
from sim.analysis.condition import parse_condition
from sim.analysis.discovery import Discovery, discover, to_ema
from sim.errors import SoftPowerError, SoftPowerWarning

TRUTH = {"x1": (0.2, 0.6), "x2": (0.5, 1.0)}


def lhs(n: int, names: list[str], seed: int) -> pd.DataFrame:
    points = qmc.LatinHypercube(d=len(names), seed=seed).random(n)
    return pd.DataFrame(points, columns=names, index=pd.RangeIndex(n, name="run"))


def planted(x: pd.DataFrame) -> np.ndarray:
    return ((x["x1"] > 0.2) & (x["x1"] < 0.6) & (x["x2"] > 0.5)).to_numpy()


@pytest.fixture(scope="module")
def batch() -> tuple[pd.DataFrame, np.ndarray]:
    x = lhs(2000, ["x1", "x2", "x3"], seed=7)
    return x, planted(x)


@pytest.fixture(scope="module")
def found(batch) -> Discovery:
    x, y = batch
    return discover(x, y)


@pytest.mark.slow
def test_prim_recovers_the_planted_box(found: Discovery) -> None:
    limits = found.restrictions()
    assert set(limits) == {"x1", "x2"}  # x3 is unrestricted
    low, high = limits["x1"]
    assert abs(low - 0.2) <= 0.05
    assert abs(high - 0.6) <= 0.05
    low, high = limits["x2"]
    assert abs(low - 0.5) <= 0.05
    assert high == np.inf or high >= 0.95
    chosen = found.chosen_box
    assert chosen["density"] >= 0.9
    assert chosen["coverage"] >= 0.9
    assert found.meets_threshold
    assert np.isnan(chosen["x2_max"]) or chosen["x2_max"] >= 0.95
    assert "x3_min" not in found.boxes.columns and "x3_max" not in found.boxes.columns


def test_boxes_table_describes_the_trajectory(found: Discovery) -> None:
    boxes = found.boxes
    assert list(boxes.columns[:6]) == [
        "box",
        "coverage",
        "density",
        "mass",
        "n_restricted",
        "chosen",
    ]
    assert {"x1_min", "x1_max", "x2_min", "x2_max"} <= set(boxes.columns)
    assert boxes["box"].tolist() == list(range(len(boxes)))
    assert int(boxes["chosen"].sum()) == 1
    assert boxes.loc[boxes["chosen"], "box"].item() == found.chosen
    first = boxes.iloc[0]
    assert (first["coverage"], first["mass"], first["n_restricted"]) == (1.0, 1.0, 0)
    assert first["density"] == pytest.approx(found.n_interesting / found.n_runs)
    assert boxes["mass"].is_monotonic_decreasing or boxes["mass"].iloc[-1] < 1.0
    assert boxes[["coverage", "density", "mass"]].apply(lambda c: c.between(0, 1).all()).all()
    # the restricted-bounds columns agree with n_restricted
    restricted = boxes[["x1_min", "x1_max", "x2_min", "x2_max"]].notna()
    per_param = restricted[["x1_min", "x1_max"]].any(axis=1).astype(int) + restricted[
        ["x2_min", "x2_max"]
    ].any(axis=1).astype(int)
    assert per_param.tolist() == boxes["n_restricted"].tolist()


def test_tradeoff_and_rule_and_in_box(found: Discovery, batch) -> None:
    x, y = batch
    tradeoff = found.tradeoff
    assert list(tradeoff.columns) == [
        "box",
        "coverage",
        "density",
        "mass",
        "n_restricted",
        "chosen",
    ]
    assert len(tradeoff) == len(found.boxes)
    rule = found.rule()
    assert "x1" in rule and "x2 >=" in rule and "x3" not in rule
    assert found.rule(0) == "all runs"
    inside = found.in_box(x)
    assert inside.sum() / len(x) == pytest.approx(found.chosen_box["mass"])
    assert (inside == y).mean() >= 0.97
    with pytest.raises(SoftPowerError, match="no box 9999"):
        found.rule(9999)


def test_chosen_box_is_the_best_balanced_dense_enough_box(found: Discovery) -> None:
    boxes = found.boxes
    balance = 2 * boxes["coverage"] * boxes["density"] / (boxes["coverage"] + boxes["density"])
    eligible = (boxes["density"] >= found.threshold) & (boxes["coverage"] >= found.min_coverage)
    assert balance[boxes["chosen"]].item() == pytest.approx(balance[eligible].max())


def test_cart_separates_the_planted_box(found: Discovery, batch) -> None:
    x, y = batch
    assert found.tree.get_depth() <= 3
    assert found.tree_accuracy >= 0.97
    assert found.tree_features == ["x1", "x2", "x3"]
    probes = pd.DataFrame(
        {"x1": [0.4, 0.1, 0.8, 0.4, 0.3], "x2": [0.8, 0.8, 0.8, 0.2, 0.6], "x3": [0.5] * 5}
    )
    assert found.tree.predict(probes.to_numpy()).tolist() == [True, False, False, False, True]
    assert "x1" in found.tree_rules and "x2" in found.tree_rules
    assert "x3" not in found.tree_rules
    assert "runs meet the condition" in found.tree_rules
    assert "value" not in found.tree_rules and "class:" not in found.tree_rules


def test_discover_is_quiet(batch) -> None:
    x, y = batch
    ema = logging.getLogger("EMA")
    before = ema.level
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        discover(x, y)
    assert [str(w.message) for w in caught] == []
    assert ema.level == before


def test_categorical_scenario_is_kept_and_restricted() -> None:
    # EMA's Prim silently drops a column named "scenario"; discover must not.
    rng = np.random.default_rng(3)
    x = lhs(1500, ["x1", "x2"], seed=3)
    x["scenario"] = rng.choice(["baseline", "trade_war", "summit"], len(x))
    x["seed"] = np.arange(len(x))
    x["model"] = "softpower"
    y = ((x["x1"] > 0.5) & (x["scenario"] != "trade_war")).to_numpy()
    result = discover(x, y, exclude=["seed"])
    assert result.categorical == ["scenario"]
    assert result.dropped == ["model"]
    assert result.parameters == ["x1", "x2", "scenario"]
    limits = result.restrictions()
    assert limits["scenario"] == {"baseline", "summit"}
    assert abs(limits["x1"][0] - 0.5) <= 0.05
    assert result.chosen_box["scenario_in"] == "baseline, summit"
    assert "scenario in {baseline, summit}" in result.rule()
    assert "scenario is trade_war?" in result.tree_rules
    assert "scenario=trade_war" in result.tree_features
    assert (result.in_box(x) == y).mean() >= 0.95


def test_discovery_from_a_condition_on_outcomes() -> None:
    x = lhs(1200, ["stubbornness", "credibility_recovery"], seed=5)
    outcomes = pd.DataFrame(
        {
            "score[CHN]": 10 * x["stubbornness"],
            "score[USA]": 10 * x["credibility_recovery"],
        },
        index=x.index,
    )
    cond = parse_condition("score[CHN] > 7", nations=["CHN", "USA"])
    result = discover(x, cond.evaluate(outcomes))
    assert set(result.restrictions()) == {"stubbornness"}
    assert abs(result.restrictions()["stubbornness"][0] - 0.7) <= 0.05


@pytest.mark.parametrize(
    ("y", "fragment"),
    [
        (np.zeros(50, dtype=bool), "no run satisfies the condition"),
        (np.ones(50, dtype=bool), "every run satisfies the condition"),
        (np.zeros(49, dtype=bool), "flags for 50 runs"),
        (np.full(50, 0.5), "must be true/false"),
    ],
)
def test_bad_flags_are_one_line_errors(y: np.ndarray, fragment: str) -> None:
    x = lhs(50, ["x1"], seed=1)
    with pytest.raises(SoftPowerError) as info:
        discover(x, y)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_no_varying_parameter_is_a_one_line_error() -> None:
    x = pd.DataFrame({"x1": [0.3] * 20, "scenario": ["base"] * 20})
    y = np.arange(20) % 2 == 0
    with pytest.raises(SoftPowerError, match="no design parameter varies") as info:
        discover(x, y)
    assert "\n" not in str(info.value)


def test_bad_parameters_are_one_line_errors() -> None:
    x = lhs(40, ["x1", "x2"], seed=2)
    y = (x["x1"] > 0.5).to_numpy()
    with pytest.raises(SoftPowerError, match="did you mean x2?"):
        discover(x, y, exclude=["xx2"])
    with_gap = x.copy()
    with_gap.loc[3, "x2"] = np.nan
    with pytest.raises(SoftPowerError, match="'x2' is missing in 1 run"):
        discover(with_gap, y)
    with pytest.raises(SoftPowerError, match="threshold"):
        discover(x, y, threshold=1.5)


@pytest.mark.slow
def test_unreachable_threshold_warns_and_still_chooses() -> None:
    rng = np.random.default_rng(11)
    x = lhs(800, ["x1", "x2"], seed=11)
    y = rng.random(len(x)) < np.where(x["x1"] > 0.5, 0.6, 0.2)
    with pytest.warns(SoftPowerWarning, match="reaches density 0.95"):
        result = discover(x, y, threshold=0.95)
    assert not result.meets_threshold
    assert result.chosen_box["coverage"] >= result.min_coverage
    assert result.chosen_box["density"] < 0.95


def test_plots_draw_on_plain_figures(found: Discovery) -> None:
    figure = Figure(figsize=(12, 5))
    left, right = figure.subplots(1, 2)
    assert found.plot_tradeoff(left) is left
    assert found.plot_tree(right) is right
    assert left.get_xlabel().startswith("coverage")
    assert len(left.collections) >= 2  # trajectory points and the chosen-box ring
    offsets = left.collections[0].get_offsets()
    assert len(offsets) == len(found.boxes)
    assert any("x2" in text.get_text() for text in right.texts)
    # every box in words: no sklearn "value = [0.25, 0.75]" or "samples =" label
    assert not any(re.search(r"value|samples|\[", t.get_text()) for t in right.texts)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_to_ema_per_run_outcomes_follow_the_experiments_order() -> None:
    design = pd.DataFrame(
        {"stubbornness": [0.1, 0.5, 0.9], "scenario": ["base", "war", "base"]},
        index=pd.Index([7, 3, 5], name="run"),
    )
    outcomes = pd.DataFrame(
        {"score[CHN]": [30.0, 70.0, 50.0], "favourable[MEX,USA]": [1.0, 2.0, 3.0]},
        index=pd.Index([3, 7, 5], name="run"),
    )
    experiments, results = to_ema(design, outcomes)
    assert experiments.shape == (3, 2)
    assert experiments.index.tolist() == [0, 1, 2]
    assert isinstance(experiments["scenario"].dtype, pd.CategoricalDtype)
    assert set(results) == {"score[CHN]", "favourable[MEX,USA]"}
    assert results["score[CHN]"].shape == (3,)
    assert results["score[CHN]"].tolist() == [70.0, 30.0, 50.0]


def test_to_ema_time_series_are_runs_by_steps() -> None:
    design = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.4]}, index=pd.Index(range(4), name="run"))
    index = pd.MultiIndex.from_product([range(4), [0, 5, 10]], names=["run", "step"])
    series = pd.DataFrame({"rank[USA]": np.arange(12.0)}, index=index).sample(
        frac=1, random_state=0
    )
    experiments, results = to_ema(design, series)
    assert results["rank[USA]"].shape == (4, 3)
    assert results["rank[USA]"][2].tolist() == [6.0, 7.0, 8.0]
    assert results["TIME"].shape == (4, 3)
    assert results["TIME"][0].tolist() == [0, 5, 10]


def test_to_ema_errors() -> None:
    design = pd.DataFrame({"x": [0.1, 0.2]}, index=pd.Index([0, 1], name="run"))
    with pytest.raises(SoftPowerError, match="1 run missing from the outcomes: 1"):
        to_ema(design, pd.DataFrame({"score[CHN]": [1.0]}, index=[0]))
    ragged = pd.DataFrame(
        {"score[CHN]": [1.0, 2.0, 3.0]},
        index=pd.MultiIndex.from_tuples([(0, 0), (0, 1), (1, 0)], names=["run", "step"]),
    )
    with pytest.raises(SoftPowerError, match="different steps"):
        to_ema(design, ragged)


def test_to_ema_docstring_example_passes() -> None:
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    tests = finder.find(to_ema, "to_ema", globs=vars(discovery_module).copy())
    assert tests and tests[0].examples
    for test in tests:
        runner.run(test)
    summary = runner.summarize(verbose=False)
    assert summary.attempted >= 5
    assert summary.failed == 0


def test_series_flags_are_aligned_on_the_run_index(batch) -> None:
    x, y = batch
    shuffled = pd.Series(y, index=x.index).sample(frac=1, random_state=1)
    result = discover(x, shuffled)
    assert result.n_interesting == int(y.sum())
    assert (result.in_box(x) == y).mean() >= 0.97
    stranger = pd.Series(y, index=x.index + 10_000)
    with pytest.raises(SoftPowerError, match="indexed by other runs"):
        discover(x, stranger)


def _leaf_pairs(node) -> list[tuple[bool, bool]]:
    """(class of yes, class of no) of every split whose two sides are leaves."""
    if node.is_leaf:
        return []
    pairs = [(node.yes.meets, node.no.meets)] if node.yes.is_leaf and node.no.is_leaf else []
    return pairs + _leaf_pairs(node.yes) + _leaf_pairs(node.no)


def _raw_same_class_splits(tree) -> int:
    inner, count = tree.tree_, 0
    for node in range(inner.node_count):
        left, right = inner.children_left[node], inner.children_right[node]
        if left >= 0 and inner.children_left[left] < 0 and inner.children_left[right] < 0:
            same = np.argmax(inner.value[left]) == np.argmax(inner.value[right])
            count += int(same)
    return count


@pytest.mark.slow
def test_cart_tree_is_pruned_of_splits_that_change_no_prediction() -> None:
    x = lhs(1500, ["x1", "x2", "x3"], seed=11)
    noise = np.random.default_rng(11).random(len(x))
    y = ((x["x1"] > 0.5) | ((x["x2"] > 0.5) & (noise < 0.3))).to_numpy()
    found = discover(x, y)
    assert _raw_same_class_splits(found.tree) >= 1  # sklearn's tree has such splits
    root = found.tree_root
    assert all(yes != no for yes, no in _leaf_pairs(root))
    leaves = root.leaves()
    assert sum(leaf.runs for leaf in leaves) == len(x)
    assert sum(leaf.holds for leaf in leaves) == int(y.sum())
    # pruning changes no prediction: the leaves' majorities classify as well as the tree
    correct = sum(max(leaf.holds, leaf.runs - leaf.holds) for leaf in leaves)
    assert correct == round(found.tree_accuracy * len(x))
    assert found.tree_rules.count("runs meet the condition") == len(leaves)


def test_cart_thresholds_are_design_values_in_words() -> None:
    persistence = np.repeat([0.0, 0.1, 0.2, 0.3, 0.4, 0.5], 40)
    other = np.tile(np.linspace(0, 1, 40), 6)
    x = pd.DataFrame({"event_persistence": persistence, "stubbornness": other})
    y = persistence <= 0.1
    found = discover(x, y)
    assert found.tree_rules.splitlines()[0] == "event persistence at most 0.1? (240 runs)"
    assert "yes: 80 of 80 runs meet the condition (100%)" in found.tree_rules
    assert "no: 0 of 160 runs meet the condition (0%)" in found.tree_rules
