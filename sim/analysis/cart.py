"""A CART tree of scenario discovery in words: pruned, each split a question, each leaf a share.

scikit-learn's tree keeps splits whose two sides predict the same class (they lower impurity
without changing any prediction) and labels its nodes ``value = [0.254, 0.746]``. `tree_nodes`
turns a fitted `DecisionTreeClassifier` into `TreeNode` objects with such splits pruned away
(bottom-up: a split whose two sides are leaves of the same class becomes one leaf, which changes
no prediction), every split a question in the parameters' words ("event persistence at most
0.1?", "scenario is reengage_2029?") with thresholds at the largest design value on the "yes"
side, and every leaf "39 of 42 runs meet the condition (93 %)". `tree_text` prints it and
`draw_tree` draws it with matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from sklearn.tree import DecisionTreeClassifier

__all__ = ["TreeNode", "draw_tree", "tree_nodes", "tree_text"]


@dataclass(frozen=True)
class TreeNode:
    """A node of the pruned tree.

    Attributes:
        runs: Runs reaching the node.
        holds: Of them, runs of interest (the condition holds).
        question: For a split, the question whose "yes" runs go to ``yes`` (None for a leaf).
        yes: The child of the runs that answer yes.
        no: The child of the other runs.

    """

    runs: int
    holds: int
    question: str | None = None
    yes: TreeNode | None = None
    no: TreeNode | None = None

    @property
    def is_leaf(self) -> bool:
        """Whether the node has no split."""
        return self.question is None

    @property
    def share(self) -> float:
        """Share of the node's runs of interest."""
        return self.holds / self.runs if self.runs else float("nan")

    @property
    def meets(self) -> bool:
        """The class the node predicts: whether most of its runs are of interest."""
        return self.holds * 2 > self.runs

    def words(self) -> str:
        """The node's runs in words, e.g. ``39 of 42 runs meet the condition (93 %)``."""
        return f"{self.holds} of {self.runs} runs meet the condition ({self.share:.0%})"

    def leaves(self) -> list[TreeNode]:
        """The leaves under the node, left (yes) first."""
        if self.is_leaf:
            return [self]
        assert self.yes is not None and self.no is not None
        return self.yes.leaves() + self.no.leaves()

    def depth(self) -> int:
        """Splits on the longest path down."""
        if self.is_leaf:
            return 0
        assert self.yes is not None and self.no is not None
        return 1 + max(self.yes.depth(), self.no.depth())


def _words(name: str) -> str:
    return name.replace("_", " ")


def _question(
    feature: str, threshold: float, x: pd.DataFrame, categorical: list[str]
) -> tuple[str, bool]:
    """The question of a split and whether "yes" is sklearn's left side (``<= threshold``)."""
    param, _, value = feature.partition("=")
    if param in categorical and value:
        return f"{_words(param)} is {value}?", False  # one-hot: left is "not value"
    values = x[feature].to_numpy(dtype=float)
    below = values[values <= threshold]
    shown = float(below.max()) if below.size else float(threshold)
    return f"{_words(feature)} at most {shown:.3g}?", True


def tree_nodes(
    tree: DecisionTreeClassifier,
    features: list[str],
    x: pd.DataFrame,
    flags: np.ndarray,
    categorical: list[str],
) -> TreeNode:
    """The fitted tree as pruned `TreeNode` objects.

    Args:
        tree: A fitted classifier on ``x`` (one-hot columns named ``param=value``).
        features: Its feature names (the columns of ``x``).
        x: The features it was fitted on, one row per run.
        flags: Whether each run is of interest.
        categorical: Parameters that were one-hot encoded.

    Returns:
        The root.

    """
    inner = tree.tree_
    data = x.set_axis(features, axis=1)
    path = tree.decision_path(data.to_numpy(dtype=float)).tocsc()
    flags = np.asarray(flags, dtype=bool)

    def build(node: int) -> TreeNode:
        reached = path[:, node].toarray().ravel().astype(bool)
        runs, holds = int(reached.sum()), int(flags[reached].sum())
        left, right = int(inner.children_left[node]), int(inner.children_right[node])
        if left < 0:
            return TreeNode(runs, holds)
        a, b = build(left), build(right)
        if a.is_leaf and b.is_leaf and a.meets == b.meets:
            return TreeNode(runs, holds)
        feature = features[int(inner.feature[node])]
        question, yes_is_left = _question(feature, float(inner.threshold[node]), data, categorical)
        yes, no = (a, b) if yes_is_left else (b, a)
        return TreeNode(runs, holds, question, yes, no)

    return build(0)


def tree_text(root: TreeNode) -> str:
    """The pruned tree as indented text, one question or leaf a line."""
    lines: list[str] = []

    def walk(node: TreeNode, indent: str, label: str) -> None:
        if node.is_leaf:
            verdict = "mostly meet it" if node.meets else "mostly do not"
            lines.append(f"{indent}{label}{node.words()}: {verdict}")
            return
        lines.append(f"{indent}{label}{node.question} ({node.runs} runs)")
        assert node.yes is not None and node.no is not None
        walk(node.yes, indent + "    ", "yes: ")
        walk(node.no, indent + "    ", "no: ")

    walk(root, "", "")
    return "\n".join(lines)


def draw_tree(root: TreeNode, ax: Axes, *, fontsize: float = 8) -> Axes:
    """Draw the pruned tree on ``ax``: questions in white boxes, leaves coloured by their share
    (blue: most runs meet the condition, orange: most do not), branches labelled yes and no.

    Args:
        root: From `tree_nodes`.
        ax: A Matplotlib axes.
        fontsize: Text size.

    Returns:
        ``ax``.

    """
    leaves = root.leaves()
    depth = max(root.depth(), 1)
    position: dict[int, tuple[float, float]] = {}
    counter = iter(range(len(leaves)))

    def place(node: TreeNode, level: int) -> float:
        if node.is_leaf:
            x = float(next(counter))
        else:
            assert node.yes is not None and node.no is not None
            x = (place(node.yes, level + 1) + place(node.no, level + 1)) / 2
        position[id(node)] = (x, -float(level))
        return x

    place(root, 0)

    def draw(node: TreeNode) -> None:
        x, y = position[id(node)]
        if node.is_leaf:
            colour = "#cfe3f3" if node.meets else "#f6dcc3"
            text = f"{node.holds} of {node.runs} runs\nmeet the condition\n({node.share:.0%})"
        else:
            colour = "white"
            text = f"{node.question}\n{node.runs} runs, {node.share:.0%} meet it"
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=fontsize,
            bbox={"boxstyle": "round,pad=0.4", "facecolor": colour, "edgecolor": "0.4"},
            zorder=3,
        )
        if node.is_leaf:
            return
        assert node.yes is not None and node.no is not None
        for child, label in ((node.yes, "yes"), (node.no, "no")):
            cx, cy = position[id(child)]
            ax.plot([x, cx], [y, cy], color="0.5", linewidth=1, zorder=1)
            ax.text(
                (x + cx) / 2,
                (y + cy) / 2,
                label,
                ha="center",
                va="center",
                fontsize=fontsize - 1,
                color="0.25",
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
                zorder=2,
            )
            draw(child)

    draw(root)
    ax.set_xlim(-0.7, len(leaves) - 0.3)
    ax.set_ylim(-depth - 0.5, 0.5)
    ax.set_axis_off()
    return ax
