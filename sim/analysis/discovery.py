"""Scenario discovery: which design parameters lead to the runs a think tank cares about?

Given a batch's design (one row per run: float parameters such as ``stubbornness`` and a
categorical ``scenario``) and a true/false "run of interest" flag per run (usually from
:mod:`sim.analysis.condition`), :func:`discover` runs two rule-induction methods:

* **PRIM** (Friedman & Fisher 1999) through EMA Workbench's :mod:`ema_workbench.analysis.prim`.
  PRIM peels a box, one small slice of the runs at a time, towards a region where runs of
  interest are dense. Each box on the peeling trajectory trades *coverage* (the share of all runs
  of interest that fall in the box) for *density* (the share of runs in the box that are of
  interest); *mass* is the share of all runs in the box.
* **CART**, a scikit-learn decision tree of depth 3, as a second, differently biased view.

The chosen PRIM box is, among the boxes on the trajectory with density of at least
``threshold`` and coverage of at least ``min_coverage``, the one that best balances the two: the
highest harmonic mean ``2·coverage·density / (coverage + density)`` (the F1 score of the box as a
classifier); ties go to fewer restricted parameters, then to the earlier (larger) box. Picking the
densest box instead overfits on noisy batches: it keeps peeling, restricting spurious parameters
for a density gain of a point or two. If no box reaches ``threshold`` with enough coverage, the
best-balanced box with enough coverage is chosen and a :class:`~sim.errors.SoftPowerWarning`
says so: the runs of interest are then not well described by one box.

:func:`to_ema` turns a batch into EMA Workbench's ``(experiments, outcomes)`` pair for users who
want the workbench's own interactive tools.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.cart import TreeNode, draw_tree, tree_nodes, tree_text
from sim.errors import SoftPowerError, SoftPowerWarning, suggest

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from sklearn.tree import DecisionTreeClassifier

__all__ = ["Discovery", "discover", "to_ema"]

_EMA_LOGGER = "EMA"  # ema_workbench.util.ema_logging.LOGGER_NAME
_prim_module: ModuleType | None = None


@contextlib.contextmanager
def _quiet_ema() -> Iterator[None]:
    """Silence EMA Workbench's import-time and pandas-deprecation warnings and its INFO logs."""
    logger = logging.getLogger(_EMA_LOGGER)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"ipyparallel not installed")
            warnings.filterwarnings("ignore", message=r"altair based interactive")
            warnings.filterwarnings("ignore", module=r"ema_workbench(\.|$)")
            yield
    finally:
        logger.setLevel(level)


def _prim() -> ModuleType:
    """Import :mod:`ema_workbench.analysis.prim` on first use (it takes seconds)."""
    global _prim_module
    if _prim_module is None:
        with _quiet_ema():
            from ema_workbench.analysis import prim

        _prim_module = prim
    return _prim_module


@dataclass
class Discovery:
    """The result of :func:`discover`.

    Attributes:
        boxes: One row per box on PRIM's peeling-and-pasting trajectory, with columns ``box``
            (0 is all runs), ``coverage``, ``density``, ``mass``, ``n_restricted``, ``chosen``,
            then for every parameter restricted in some box ``<param>_min`` and ``<param>_max``
            (NaN where that side is not restricted) or, for a categorical parameter,
            ``<param>_in``: the allowed values joined by ``", "`` (NaN where unrestricted).
        chosen: The ``box`` number of the chosen box (see the module docstring for the rule).
        meets_threshold: Whether the chosen box's density reaches ``threshold``.
        threshold: The density a box should reach.
        min_coverage: The coverage floor used to choose the box.
        parameters: The parameters analysed, in the experiments' column order.
        categorical: Those of ``parameters`` treated as categories.
        dropped: Parameters left out because they do not vary across the runs.
        n_runs: Number of runs.
        n_interesting: Number of runs of interest.
        tree: The fitted CART classifier (features are :attr:`tree_features`).
        tree_features: CART feature names; a categorical parameter becomes one 0/1 feature per
            value, named ``<param>=<value>``.
        tree_rules: The pruned tree in words (`sim.analysis.cart.tree_text`): each split a
            question such as ``scenario is X?`` or ``x1 at most 0.3?``, each leaf the runs that
            meet the condition.
        tree_accuracy: Share of runs the tree classifies correctly (on the data it was fitted to).
        tree_root: The tree pruned of splits whose two sides predict the same class
            (`sim.analysis.cart.tree_nodes`); pruning changes no prediction.

    """

    boxes: pd.DataFrame
    chosen: int
    meets_threshold: bool
    threshold: float
    min_coverage: float
    parameters: list[str]
    categorical: list[str]
    dropped: list[str]
    n_runs: int
    n_interesting: int
    tree: DecisionTreeClassifier
    tree_features: list[str]
    tree_rules: str
    tree_accuracy: float
    tree_root: TreeNode | None = None
    _limits: list[dict[str, Any]] = field(repr=False, default_factory=list)

    @property
    def tradeoff(self) -> pd.DataFrame:
        """Coverage and density of each box on the trajectory, for a tradeoff curve.

        Columns ``box``, ``coverage``, ``density``, ``mass``, ``n_restricted``, ``chosen``.
        """
        columns = ["box", "coverage", "density", "mass", "n_restricted", "chosen"]
        return self.boxes[columns].copy()

    @property
    def chosen_box(self) -> pd.Series:
        """The row of :attr:`boxes` for the chosen box."""
        return self.boxes.loc[self.boxes["box"] == self.chosen].iloc[0]

    def restrictions(self, box: int | None = None) -> dict[str, tuple[float, float] | set[str]]:
        """Return the restricted parameters of a box and their limits.

        Args:
            box: A ``box`` number from :attr:`boxes`; the chosen box by default.

        Returns:
            ``{param: (low, high)}`` for a numeric parameter (``-inf``/``inf`` for an unrestricted
            side) and ``{param: {values}}`` for a categorical one.

        """
        limits = self._box_limits(box)
        result: dict[str, tuple[float, float] | set[str]] = {}
        for name, value in limits.items():
            if isinstance(value, set):
                result[name] = set(value)
            else:
                low, high = value
                result[name] = (
                    -np.inf if low is None else float(low),
                    np.inf if high is None else float(high),
                )
        return result

    def rule(self, box: int | None = None) -> str:
        """Return a box as a readable rule, e.g. ``0.2 <= x1 <= 0.6 and scenario in {a, b}``.

        Args:
            box: A ``box`` number from :attr:`boxes`; the chosen box by default.

        Returns:
            The rule, or ``all runs`` for an unrestricted box.

        """
        parts = []
        for name, value in self._box_limits(box).items():
            if isinstance(value, set):
                parts.append(f"{name} in {{{', '.join(sorted(value))}}}")
                continue
            low, high = value
            if low is not None and high is not None:
                parts.append(f"{low:.3g} <= {name} <= {high:.3g}")
            elif low is not None:
                parts.append(f"{name} >= {low:.3g}")
            else:
                parts.append(f"{name} <= {high:.3g}")
        return " and ".join(parts) if parts else "all runs"

    def in_box(self, experiments: pd.DataFrame, box: int | None = None) -> np.ndarray:
        """Return, for each run of ``experiments``, whether it lies in a box.

        Args:
            experiments: A design table with (at least) the restricted parameters.
            box: A ``box`` number from :attr:`boxes`; the chosen box by default.

        Returns:
            A boolean array, one entry per row of ``experiments``.

        """
        inside = np.ones(len(experiments), dtype=bool)
        for name, value in self._box_limits(box).items():
            if name not in experiments.columns:
                raise SoftPowerError(
                    f"the experiments have no column {name!r}",
                    expected="the parameters the box restricts",
                    suggestion=suggest(name, [str(c) for c in experiments.columns]),
                )
            column = experiments[name]
            if isinstance(value, set):
                inside &= column.astype(str).isin(value).to_numpy()
                continue
            numbers = column.to_numpy(dtype=float)
            low, high = value
            if low is not None:
                inside &= numbers >= low
            if high is not None:
                inside &= numbers <= high
        return inside

    def plot_tradeoff(self, ax: Axes) -> Axes:
        """Draw the coverage–density tradeoff of the peeling trajectory on ``ax``.

        Points are coloured by the number of restricted parameters; the chosen box is ringed and
        labelled with its rule, and dashed lines mark ``threshold`` and ``min_coverage``.

        Args:
            ax: A Matplotlib axes, e.g. from ``matplotlib.figure.Figure().subplots()``.

        Returns:
            ``ax``.

        """
        data = self.tradeoff
        ax.plot(data["coverage"], data["density"], color="0.75", linewidth=1, zorder=1)
        n_max = max(int(data["n_restricted"].max()), 1)
        points = ax.scatter(
            data["coverage"],
            data["density"],
            c=data["n_restricted"],
            cmap="viridis",
            vmin=0,
            vmax=n_max,
            s=18,
            zorder=2,
        )
        chosen = self.chosen_box
        ax.scatter(
            [chosen["coverage"]],
            [chosen["density"]],
            s=120,
            facecolors="none",
            edgecolors="crimson",
            linewidths=1.5,
            zorder=3,
            label=f"chosen box {self.chosen}",
        )
        ax.axhline(self.threshold, color="0.4", linestyle="--", linewidth=0.8)
        ax.axvline(self.min_coverage, color="0.4", linestyle=":", linewidth=0.8)
        ax.annotate(
            _wrap(self.rule(), 40),
            (chosen["coverage"], chosen["density"]),
            xytext=(-10, -12),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=7,
            color="crimson",
        )
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("coverage (share of runs of interest in the box)")
        ax.set_ylabel("density (share of the box's runs that are of interest)")
        ax.set_title("PRIM peeling trajectory")
        ax.legend(loc="lower left", fontsize=8)
        colorbar = ax.figure.colorbar(points, ax=ax, ticks=range(n_max + 1))
        colorbar.set_label("restricted parameters")
        return ax

    def plot_tree(self, ax: Axes, *, fontsize: float = 8) -> Axes:
        """Draw the pruned CART tree on ``ax`` in words (`sim.analysis.cart.draw_tree`).

        Args:
            ax: A Matplotlib axes, e.g. from ``matplotlib.figure.Figure().subplots()``.
            fontsize: Text size in the boxes.

        Returns:
            ``ax``.

        """
        assert self.tree_root is not None
        draw_tree(self.tree_root, ax, fontsize=fontsize)
        ax.set_title(
            f"CART (depth {self.tree_root.depth()}, pruned; accuracy {self.tree_accuracy:.0%})"
        )
        return ax

    def _box_limits(self, box: int | None) -> dict[str, Any]:
        box = self.chosen if box is None else box
        if not 0 <= box < len(self._limits):
            raise SoftPowerError(
                f"no box {box}", key="box", expected=f"a number from 0 to {len(self._limits) - 1}"
            )
        return self._limits[box]


def _wrap(text: str, width: int) -> str:
    """Break ``text`` at `` and `` so no line is much longer than ``width``."""
    lines: list[str] = []
    for part in text.split(" and "):
        if lines and len(lines[-1]) + len(part) + 5 <= width:
            lines[-1] += " and " + part
        else:
            lines.append(part if not lines else "and " + part)
    return "\n".join(lines)


def _prepare(
    experiments: pd.DataFrame, exclude: Sequence[str]
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Return the varying parameters (floats or str categories), categorical names, dropped."""
    if not isinstance(experiments, pd.DataFrame):
        raise SoftPowerError(
            f"experiments must be a table, not {type(experiments).__name__}",
            expected="a pandas DataFrame with one row per run",
        )
    columns = [str(c) for c in experiments.columns]
    for name in exclude:
        if name not in columns:
            raise SoftPowerError(
                f"cannot exclude unknown parameter {name!r}",
                key="exclude",
                expected="a column of the experiments",
                suggestion=suggest(name, columns),
            )
    x = pd.DataFrame(index=pd.RangeIndex(len(experiments)))
    categorical, dropped = [], []
    for name, column in zip(columns, experiments.columns, strict=True):
        if name in exclude:
            continue
        values = experiments[column]
        missing = int(values.isna().sum())
        if missing:
            raise SoftPowerError(
                f"parameter {name!r} is missing in {missing} run{'s' if missing > 1 else ''}",
                expected="a value for every run",
            )
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            converted: pd.Series = values.astype(float)
        else:
            converted = pd.Series([str(v) for v in values], dtype=object)
        if converted.nunique() < 2:
            dropped.append(name)
            continue
        x[name] = converted.to_numpy()
        if converted.dtype == object:
            categorical.append(name)
    if x.shape[1] == 0:
        raise SoftPowerError(
            "no design parameter varies across the runs",
            expected="at least one parameter or scenario that differs between runs",
        )
    return x, categorical, dropped


def _outcome_flags(y: Any, n_runs: int) -> np.ndarray:
    flags = np.asarray(y)
    if flags.ndim != 1 or flags.shape[0] != n_runs:
        raise SoftPowerError(
            f"got {flags.shape} run-of-interest flags for {n_runs} runs",
            expected="one true/false value per run",
        )
    if flags.dtype != bool:
        try:
            numbers = flags.astype(float)
        except (TypeError, ValueError):
            numbers = np.full(n_runs, np.nan)
        if not np.isin(numbers, (0.0, 1.0)).all():
            raise SoftPowerError(
                "run-of-interest flags must be true/false", expected="booleans or 0/1 values"
            )
        flags = numbers == 1.0
    n_interesting = int(flags.sum())
    if n_interesting == 0:
        raise SoftPowerError(
            f"no run satisfies the condition (0 of {n_runs})",
            expected="a condition that some runs meet",
            suggestion="loosen the condition or pick another step",
        )
    if n_interesting == n_runs:
        raise SoftPowerError(
            f"every run satisfies the condition ({n_runs} of {n_runs}), nothing to tell apart",
            expected="a condition that some runs fail",
            suggestion="tighten the condition or pick another step",
        )
    return flags


def _limits_of(
    box_lim: pd.DataFrame, box_init: pd.DataFrame, names: dict[str, str]
) -> dict[str, Any]:
    """Restricted sides of one EMA box: ``{param: (low|None, high|None)}`` or ``{param: set}``."""
    limits: dict[str, Any] = {}
    for internal, name in names.items():
        low, high = box_lim.loc[0, internal], box_lim.loc[1, internal]
        init_low, init_high = box_init.loc[0, internal], box_init.loc[1, internal]
        if isinstance(init_low, set):
            if set(low) != set(init_low):
                limits[name] = {str(v) for v in low}
            continue
        low = None if low <= init_low else float(low)
        high = None if high >= init_high else float(high)
        if low is not None or high is not None:
            limits[name] = (low, high)
    return limits


def _choose(trajectory: pd.DataFrame, threshold: float, min_coverage: float) -> int:
    """Return the chosen box: best F1 among dense-enough, covering-enough boxes."""
    coverage, density = trajectory["coverage"], trajectory["density"]
    balance = 2 * coverage * density / (coverage + density)
    covering = coverage >= min_coverage - 1e-12
    candidates = covering & (density >= threshold - 1e-12)
    if not candidates.any():
        candidates = covering
    ranked = trajectory.assign(balance=balance.round(12))[candidates]
    ranked = ranked.sort_values(["balance", "n_restricted", "box"], ascending=[False, True, True])
    return int(ranked["box"].iloc[0])


def _check_fraction(name: str, value: float, *, low: float = 0.0, high: float = 1.0) -> float:
    if not (isinstance(value, int | float) and low <= float(value) <= high):
        raise SoftPowerError(
            f"{name} is {value!r}", key=name, expected=f"a number in [{low}, {high}]"
        )
    return float(value)


def discover(
    experiments: pd.DataFrame,
    y: np.ndarray | Sequence[bool] | pd.Series,
    *,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    min_coverage: float = 0.5,
    exclude: Sequence[str] = (),
    max_depth: int = 3,
    random_state: int = 0,
) -> Discovery:
    """Find the design-parameter region where the runs of interest concentrate.

    Args:
        experiments: One row per run, one column per design parameter; numeric columns are
            treated as continuous (integers too), any other column (e.g. ``scenario``, booleans)
            as categorical. Parameters that do not vary are dropped (listed in
            :attr:`Discovery.dropped`).
        y: One true/false (or 0/1) per row of ``experiments``, in the same order (a Series is
            aligned on ``experiments.index``): whether the run is of interest, e.g.
            ``condition.evaluate(outcomes)``.
        threshold: The density the chosen box should reach (see the module docstring for the
            rule); if none does, a ``SoftPowerWarning`` is issued and
            :attr:`Discovery.meets_threshold` is False.
        peel_alpha: Share of the box's runs PRIM peels off per step.
        paste_alpha: Share of runs PRIM tries to paste back per step.
        mass_min: PRIM stops peeling before a box holds less than this share of all runs.
        min_coverage: Coverage floor for the chosen box (see the module docstring).
        exclude: Columns of ``experiments`` that are not design parameters (e.g. ``seed``).
        max_depth: Depth of the CART tree.
        random_state: Seed of the CART tree's tie-breaking.

    Returns:
        The PRIM trajectory, the chosen box and the CART view.

    Raises:
        SoftPowerError: No run or every run is of interest, no parameter varies, ``y`` does not
            match ``experiments``, a parameter has missing values, or an option is out of range.

    """
    threshold = _check_fraction("threshold", threshold)
    min_coverage = _check_fraction("min_coverage", min_coverage)
    peel_alpha = _check_fraction("peel_alpha", peel_alpha, low=1e-6, high=0.5)
    paste_alpha = _check_fraction("paste_alpha", paste_alpha, low=1e-6, high=0.5)
    mass_min = _check_fraction("mass_min", mass_min)
    x, categorical, dropped = _prepare(experiments, exclude)
    if isinstance(y, pd.Series) and not y.index.equals(experiments.index):
        if len(y) != len(experiments) or not y.index.isin(experiments.index).all():
            raise SoftPowerError(
                "the run-of-interest flags are indexed by other runs than the experiments",
                expected="one flag per run of the experiments",
            )
        y = y.reindex(experiments.index)
    flags = _outcome_flags(y, len(x))

    # EMA's Prim silently drops a column named "scenario" (its own run-id column), so every
    # parameter gets an internal name that cannot clash.
    names = {f"p{i}": name for i, name in enumerate(x.columns)}
    x_ema = x.set_axis(list(names), axis=1)
    prim = _prim()
    with _quiet_ema():
        algorithm = prim.Prim(
            x_ema,
            flags.astype(int),
            peel_alpha=peel_alpha,
            paste_alpha=paste_alpha,
            mass_min=mass_min,
        )
        box = algorithm.find_box()
    box_init = algorithm.box_init

    limits = [_limits_of(lim, box_init, names) for lim in box.box_lims]
    trajectory = pd.DataFrame(
        {
            "box": np.arange(len(limits)),
            "coverage": box.peeling_trajectory["coverage"].to_numpy(dtype=float),
            "density": box.peeling_trajectory["density"].to_numpy(dtype=float),
            "mass": box.peeling_trajectory["mass"].to_numpy(dtype=float),
            "n_restricted": [len(lim) for lim in limits],
        }
    )
    chosen = _choose(trajectory, threshold, min_coverage)
    trajectory["chosen"] = trajectory["box"] == chosen
    restricted = [name for name in x.columns if any(name in lim for lim in limits)]
    for name in restricted:
        if name in categorical:
            trajectory[f"{name}_in"] = [
                ", ".join(sorted(lim[name])) if name in lim else np.nan for lim in limits
            ]
            continue
        for side, label in ((0, "min"), (1, "max")):
            values = [lim[name][side] if name in lim else None for lim in limits]
            trajectory[f"{name}_{label}"] = np.array(
                [np.nan if v is None else v for v in values], dtype=float
            )

    density = float(trajectory.loc[chosen, "density"])
    meets = density >= threshold
    if not meets:
        warnings.warn(
            f"no box with coverage >= {min_coverage:.2f} reaches density {threshold:.2f}; "
            f"chose box {chosen} with density {density:.2f}: "
            "the runs of interest are not well described by one box",
            SoftPowerWarning,
            stacklevel=2,
        )

    tree, features, root, accuracy = _cart(x, categorical, flags, max_depth, random_state)
    return Discovery(
        boxes=trajectory,
        chosen=chosen,
        meets_threshold=meets,
        threshold=threshold,
        min_coverage=min_coverage,
        parameters=list(x.columns),
        categorical=categorical,
        dropped=dropped,
        n_runs=len(x),
        n_interesting=int(flags.sum()),
        tree=tree,
        tree_features=features,
        tree_rules=tree_text(root),
        tree_accuracy=accuracy,
        tree_root=root,
        _limits=limits,
    )


def _cart(
    x: pd.DataFrame, categorical: list[str], flags: np.ndarray, max_depth: int, random_state: int
) -> tuple[DecisionTreeClassifier, list[str], TreeNode, float]:
    """Fit a CART tree (categoricals become one-hot ``param=value`` features) and prune it."""
    from sklearn.tree import DecisionTreeClassifier

    features = pd.get_dummies(x, columns=categorical, prefix_sep="=", dtype=float)
    names = [str(c) for c in features.columns]
    tree = DecisionTreeClassifier(max_depth=max_depth, random_state=random_state)
    tree.fit(features.to_numpy(), flags)
    root = tree_nodes(tree, names, features, flags, categorical)
    accuracy = float((tree.predict(features.to_numpy()) == flags).mean())
    return tree, names, root, accuracy


def to_ema(
    experiments: pd.DataFrame, outcomes: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Return a batch as EMA Workbench's ``(experiments, outcomes)`` results pair.

    Args:
        experiments: One row per run, indexed by run, with the design parameters and a
            ``scenario`` column.
        outcomes: Either one row per run (indexed by run) with a column per outcome, e.g.
            ``score[CHN]``; or one row per (run, step) with a two-level index ``(run, step)``
            for time series. Every run of ``experiments`` must be present.

    Returns:
        ``experiments`` with a fresh 0..n-1 index and ``scenario`` (if present) as a categorical,
        and ``{outcome: array}`` with one entry per run in ``experiments`` order: shape
        ``(n_runs,)`` for per-run outcomes, ``(n_runs, n_steps)`` for time series, which also
        get a ``"TIME"`` entry holding the steps, as in EMA's own results.

    Raises:
        SoftPowerError: Runs are missing from ``outcomes``, or runs have different steps.

    Example:
        >>> import pandas as pd
        >>> design = pd.DataFrame(
        ...     {"stubbornness": [0.1, 0.5, 0.9], "scenario": ["base", "war", "base"]},
        ...     index=pd.Index([0, 1, 2], name="run"),
        ... )
        >>> steps = pd.MultiIndex.from_product([[0, 1, 2], [0, 1]], names=["run", "step"])
        >>> series = pd.DataFrame({"score[CHN]": [1.0, 2, 3, 4, 5, 6]}, index=steps)
        >>> experiments, outcomes = to_ema(design, series)
        >>> experiments.shape, sorted(outcomes), outcomes["score[CHN]"].shape
        ((3, 2), ['TIME', 'score[CHN]'], (3, 2))
        >>> outcomes["score[CHN]"][1].tolist()
        [3.0, 4.0]
        >>> final = series.xs(1, level="step")
        >>> to_ema(design, final)[1]["score[CHN]"].tolist()
        [2.0, 4.0, 6.0]

    """
    ema_experiments = experiments.reset_index(drop=True)
    if "scenario" in ema_experiments.columns:
        ema_experiments["scenario"] = ema_experiments["scenario"].astype(str).astype("category")
    runs = experiments.index
    result: dict[str, np.ndarray] = {}
    if isinstance(outcomes.index, pd.MultiIndex):
        if outcomes.index.nlevels != 2:
            raise SoftPowerError(
                f"outcomes have a {outcomes.index.nlevels}-level index",
                expected="one row per run, or a (run, step) index",
            )
        by_run = outcomes.sort_index()
        run_level = by_run.index.get_level_values(0)
        _check_runs(runs, run_level.unique())
        by_run = by_run.loc[by_run.index.get_level_values(0).isin(runs)]
        steps_per_run = by_run.groupby(level=0).apply(
            lambda frame: tuple(frame.index.get_level_values(1))
        )
        if steps_per_run.nunique() != 1:
            raise SoftPowerError(
                "runs have different steps in the outcomes",
                expected="the same steps for every run, as EMA's arrays are rectangular",
            )
        steps = np.asarray(steps_per_run.iloc[0])
        for column in outcomes.columns:
            table = by_run[column].unstack(level=1).reindex(index=runs, columns=steps)
            result[str(column)] = table.to_numpy()
        result["TIME"] = np.tile(steps, (len(runs), 1))
    else:
        _check_runs(runs, outcomes.index)
        aligned = outcomes.reindex(runs)
        for column in outcomes.columns:
            result[str(column)] = aligned[column].to_numpy()
    return ema_experiments, result


def _check_runs(wanted: pd.Index, present: pd.Index) -> None:
    missing = wanted.difference(present)
    if len(missing):
        shown = ", ".join(str(r) for r in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise SoftPowerError(
            f"{len(missing)} run{'s' if len(missing) > 1 else ''} missing from the outcomes: "
            f"{shown}",
            expected="outcomes for every run of the experiments",
        )
