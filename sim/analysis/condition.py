"""A small, safe expression language for "runs of interest" in scenario discovery.

A condition describes which runs of a batch count as interesting at one step, in terms of the
outcomes of that step, for example::

    score[CHN] > score[USA]
    rank[USA] > 1
    favourable[MEX,USA] < 40
    score[CHN] - score[USA] >= 2.5 and not rank[USA] == 1
    (rank[USA] > 1 or favourable[MEX,USA] < 40) and 20 <= familiarity[BRA] < 60

Grammar (lowest precedence first; keywords are lower case)::

    condition  := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)*   # chains like Python
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("+" | "-") unary | primary
    primary    := NUMBER | METRIC "[" ISO3 ("," ISO3)* "]" | "(" or ")"

The text is tokenised and parsed by hand (recursive descent); nothing is ever passed to
``eval``, so a condition can only read outcome columns and do arithmetic. Each outcome reference
``metric[A,B]`` reads the column named exactly ``metric[A,B]`` (no spaces) of the outcomes table.

Evaluation follows NumPy: a comparison involving a missing value (NaN) is false, except ``!=``
which is true; division by zero gives ``inf`` or NaN without a warning.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import SoftPowerError, suggest

__all__ = [
    "MAX_DEPTH",
    "OUTCOME_METRICS",
    "Condition",
    "ConditionError",
    "column_name",
    "outcome_columns",
    "parse_condition",
]

#: The per-step outcomes of a run and how many ISO3 subscripts each takes.
OUTCOME_METRICS: Mapping[str, int] = {
    "score": 1,
    "rank": 1,
    "familiarity": 1,
    "reputation": 1,
    "favourable": 2,
}

#: Deepest nesting of a condition: parentheses, not, signs and chains of operators all count (a
#: deeper expression would exhaust Python's stack; no real condition comes near it).
MAX_DEPTH = 50

_KEYWORDS = ("and", "or", "not")
_COMPARISONS = ("<=", ">=", "==", "!=", "<", ">")


class ConditionError(SoftPowerError):
    """A condition could not be parsed or evaluated.

    Args:
        message: What is wrong, in one short clause.
        column: The 1-based column in ``text`` where the problem is, if known.
        text: The condition text, kept for callers that want to draw a caret under ``column``.
        **kwargs: ``file``, ``line``, ``key``, ``expected`` and ``suggestion`` as for
            :class:`~sim.errors.SoftPowerError`.

    """

    def __init__(
        self, message: str, *, column: int | None = None, text: str | None = None, **kwargs: Any
    ) -> None:
        self.column = column
        self.text = text
        kwargs.setdefault("key", "condition")
        where = f"column {column}: " if column is not None else ""
        super().__init__(f"{where}{message}", **kwargs)


def column_name(metric: str, nations: Sequence[str]) -> str:
    """Return the outcome column name for ``metric`` at ``nations``.

    Args:
        metric: An outcome metric, e.g. ``favourable``.
        nations: Its ISO3 subscripts, e.g. ``("MEX", "USA")`` (observer, target).

    Returns:
        The column name, e.g. ``favourable[MEX,USA]``.

    Example:
        >>> column_name("favourable", ["MEX", "USA"])
        'favourable[MEX,USA]'

    """
    return f"{metric}[{','.join(nations)}]"


def outcome_columns(
    metrics: Mapping[str, int] = OUTCOME_METRICS,
    nations: Sequence[str] = (),
    *,
    include_self: bool = False,
) -> list[str]:
    """Return every outcome column name that ``metrics`` and ``nations`` define.

    Args:
        metrics: Metric name to number of ISO3 subscripts.
        nations: ISO3 codes of the nations in the batch.
        include_self: Also list pairs of a nation with itself, e.g. ``favourable[USA,USA]``.

    Returns:
        Column names in ``metrics`` order, then nation order.

    Example:
        >>> outcome_columns({"score": 1, "favourable": 2}, ["MEX", "USA"])
        ['score[MEX]', 'score[USA]', 'favourable[MEX,USA]', 'favourable[USA,MEX]']

    """
    columns = []
    for metric, arity in metrics.items():
        for combo in itertools.product(nations, repeat=arity):
            if include_self or len(set(combo)) == len(combo):
                columns.append(column_name(metric, combo))
    return columns


# --- tokens -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # number, name, op, cmp, keyword, "[", "]", ",", "(", ")", end
    text: str
    column: int  # 1-based


_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<cmp><=|>=|==|!=|<|>)
  | (?P<op>[-+*/])
  | (?P<punct>[\[\](),])
    """,
    re.VERBOSE,
)

_CHARACTER_HINTS = {
    "=": "did you mean ==?",
    "&": "use and",
    "|": "use or",
    "!": "use not, or != for not equal",
    "'": "quotes are not needed around nations",
    '"': "quotes are not needed around nations",
}


def _tokenize(text: str) -> Iterator[_Token]:
    """Yield the tokens of ``text`` lazily, so errors are reported in reading order."""
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            char = text[pos]
            raise ConditionError(
                f"unexpected character {char!r}",
                column=pos + 1,
                text=text,
                expected="a number, an outcome such as score[CHN], an operator or a parenthesis",
                suggestion=_CHARACTER_HINTS.get(char),
            )
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "name" and value in _KEYWORDS:
            kind = "keyword"
        elif kind == "punct":
            kind = value
        if kind != "space":
            yield _Token(kind, value, pos + 1)
        pos = match.end()
    yield _Token("end", "", len(text) + 1)


def _describe(token: _Token) -> str:
    return "the end of the condition" if token.kind == "end" else repr(token.text)


# --- syntax tree --------------------------------------------------------------------------------


class _Node:
    """A node of the syntax tree; ``kind`` is ``number`` or ``boolean``."""

    kind: str
    column: int

    def evaluate(self, data: Mapping[str, np.ndarray]) -> np.ndarray | float | bool:
        raise NotImplementedError


@dataclass
class _Number(_Node):
    value: float
    column: int
    kind: str = "number"

    def evaluate(self, data: Mapping[str, np.ndarray]) -> float:
        return self.value

    def __str__(self) -> str:
        return repr(self.value) if not self.value.is_integer() else str(int(self.value))


@dataclass
class _Outcome(_Node):
    name: str
    column: int
    kind: str = "number"

    def evaluate(self, data: Mapping[str, np.ndarray]) -> np.ndarray:
        return data[self.name]

    def __str__(self) -> str:
        return self.name


@dataclass
class _Unary(_Node):
    op: str
    operand: _Node
    column: int
    kind: str = "number"

    def evaluate(self, data: Mapping[str, np.ndarray]) -> Any:
        value = self.operand.evaluate(data)
        if self.op == "not":
            return np.logical_not(value)
        return -value if self.op == "-" else value

    def __str__(self) -> str:
        return f"not {self.operand}" if self.op == "not" else f"{self.op}{self.operand}"


_ARITHMETIC = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
}
_COMPARE = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


@dataclass
class _Binary(_Node):
    op: str  # arithmetic operator, and, or
    left: _Node
    right: _Node
    column: int
    kind: str = "number"

    def evaluate(self, data: Mapping[str, np.ndarray]) -> Any:
        left, right = self.left.evaluate(data), self.right.evaluate(data)
        if self.op == "and":
            return np.logical_and(left, right)
        if self.op == "or":
            return np.logical_or(left, right)
        return _ARITHMETIC[self.op](left, right)

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


@dataclass
class _Compare(_Node):
    operands: list[_Node]
    ops: list[str]
    column: int
    kind: str = "boolean"

    def evaluate(self, data: Mapping[str, np.ndarray]) -> Any:
        values = [node.evaluate(data) for node in self.operands]
        result: Any = True
        for op, left, right in zip(self.ops, values, values[1:], strict=False):
            result = np.logical_and(result, _COMPARE[op](left, right))
        return result

    def __str__(self) -> str:
        parts = [str(self.operands[0])]
        for op, node in zip(self.ops, self.operands[1:], strict=True):
            parts += [op, str(node)]
        return " ".join(parts)


def _depth(node: _Node) -> int:
    """Return the depth of a syntax tree, without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        here, depth = stack.pop()
        deepest = max(deepest, depth)
        children = {
            _Unary: lambda n: [n.operand],
            _Binary: lambda n: [n.left, n.right],
            _Compare: lambda n: n.operands,
        }.get(type(here), lambda n: [])(here)
        stack.extend((child, depth + 1) for child in children)
    return deepest


# --- parser -------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str, metrics: Mapping[str, int], nations: Sequence[str]) -> None:
        self.text = text
        self.metrics = dict(metrics)
        self.nations = list(nations)
        self.nation_set = set(self.nations)
        self.tokens = _tokenize(text)
        self.current = next(self.tokens)
        self.columns: list[str] = []
        self.depth = 0

    # helpers
    @property
    def token(self) -> _Token:
        return self.current

    def advance(self) -> _Token:
        token = self.current
        if token.kind != "end":
            self.current = next(self.tokens)
        return token

    def error(
        self,
        message: str,
        column: int,
        expected: str | None = None,
        suggestion: str | None = None,
    ) -> ConditionError:
        return ConditionError(
            message, column=column, text=self.text, expected=expected, suggestion=suggestion
        )

    def require(self, node: _Node, kind: str, role: str) -> _Node:
        if node.kind != kind:
            if kind == "number":
                message = f"found true/false where {role} needs a number"
                expected = "a number or an outcome such as score[CHN]"
            else:
                message = f"found a number where {role} needs true/false"
                expected = "a comparison such as rank[USA] > 1"
            raise self.error(message, node.column, expected)
        return node

    def deeper(self, node: _Node | None = None) -> None:
        """Count one level of nesting (or check ``node``'s depth); refuse beyond `MAX_DEPTH`."""
        depth = self.depth + 1 if node is None else _depth(node)
        if node is None:
            self.depth = depth
        if depth > MAX_DEPTH:
            raise self.error(
                f"the condition is nested deeper than {MAX_DEPTH} levels",
                self.token.column if node is None else node.column,
                f"at most {MAX_DEPTH} nested parentheses, not, signs and operators",
                "write a shorter condition",
            )

    # grammar
    def parse(self) -> _Node:
        if self.token.kind == "end":
            raise self.error("empty condition", 1, "a comparison such as score[CHN] > score[USA]")
        node = self.parse_or()
        if self.token.kind != "end":
            token = self.token
            suggestion = None
            if token.kind == "name" and token.text.lower() in _KEYWORDS:
                suggestion = f"did you mean {token.text.lower()}?"
            raise self.error(
                f"unexpected {_describe(token)}",
                token.column,
                "an operator, a comparison, and/or, or the end of the condition",
                suggestion,
            )
        if node.kind != "boolean":
            raise self.error(
                "the condition is a number, not true or false",
                1,
                "a comparison such as score[CHN] > score[USA]",
            )
        return node

    def parse_or(self) -> _Node:
        node = self.parse_and()
        while self.token.kind == "keyword" and self.token.text == "or":
            self.advance()
            right = self.parse_and()
            self.require(node, "boolean", "'or'")
            self.require(right, "boolean", "'or'")
            node = _Binary("or", node, right, node.column, kind="boolean")
            self.deeper(node)
        return node

    def parse_and(self) -> _Node:
        node = self.parse_not()
        while self.token.kind == "keyword" and self.token.text == "and":
            self.advance()
            right = self.parse_not()
            self.require(node, "boolean", "'and'")
            self.require(right, "boolean", "'and'")
            node = _Binary("and", node, right, node.column, kind="boolean")
            self.deeper(node)
        return node

    def parse_not(self) -> _Node:
        if self.token.kind == "keyword" and self.token.text == "not":
            self.deeper()
            token = self.advance()
            operand = self.require(self.parse_not(), "boolean", "'not'")
            self.depth -= 1
            return _Unary("not", operand, token.column, kind="boolean")
        return self.parse_comparison()

    def parse_comparison(self) -> _Node:
        first = self.parse_sum()
        if self.token.kind != "cmp":
            return first
        operands, ops = [first], []
        while self.token.kind == "cmp":
            token = self.advance()
            self.require(operands[-1], "number", f"{token.text!r}")
            right = self.require(self.parse_sum(), "number", f"{token.text!r}")
            operands.append(right)
            ops.append(token.text)
        node = _Compare(operands, ops, first.column)
        self.deeper(node)
        return node

    def parse_sum(self) -> _Node:
        node = self.parse_product()
        while self.token.kind == "op" and self.token.text in "+-":
            token = self.advance()
            right = self.parse_product()
            self.require(node, "number", f"{token.text!r}")
            self.require(right, "number", f"{token.text!r}")
            node = _Binary(token.text, node, right, node.column)
            self.deeper(node)
        return node

    def parse_product(self) -> _Node:
        node = self.parse_unary()
        while self.token.kind == "op" and self.token.text in "*/":
            token = self.advance()
            right = self.parse_unary()
            self.require(node, "number", f"{token.text!r}")
            self.require(right, "number", f"{token.text!r}")
            node = _Binary(token.text, node, right, node.column)
            self.deeper(node)
        return node

    def parse_unary(self) -> _Node:
        if self.token.kind == "op" and self.token.text in "+-":
            self.deeper()
            token = self.advance()
            operand = self.require(self.parse_unary(), "number", f"{token.text!r}")
            self.depth -= 1
            return _Unary(token.text, operand, token.column)
        return self.parse_primary()

    def parse_primary(self) -> _Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            return _Number(float(token.text), token.column)
        if token.kind == "(":
            self.deeper()
            self.advance()
            node = self.parse_or()
            self.depth -= 1
            if self.token.kind != ")":
                raise self.error(
                    f"found {_describe(self.token)}",
                    self.token.column,
                    f"')' to close the '(' at column {token.column}",
                )
            self.advance()
            node.column = token.column
            return node
        if token.kind == "name":
            return self.parse_outcome()
        expected = "a number, an outcome such as score[CHN], or '('"
        raise self.error(f"found {_describe(token)}", token.column, expected)

    def parse_outcome(self) -> _Node:
        token = self.advance()
        metric = token.text
        if metric not in self.metrics:
            hint = suggest(metric, self.metrics)
            if hint is None and metric.lower() in _KEYWORDS:
                hint = f"did you mean {metric.lower()}?"
            raise self.error(
                f"unknown outcome {metric!r}",
                token.column,
                f"one of {', '.join(sorted(self.metrics))}",
                hint,
            )
        arity = self.metrics[metric]
        example = column_name(metric, ["ISO3"] * arity)
        if self.token.kind != "[":
            raise self.error(
                f"found {_describe(self.token)} after {metric!r}",
                self.token.column,
                f"'[' as in {example}",
            )
        self.advance()
        subscripts: list[_Token] = []
        while True:
            nation = self.token
            if nation.kind != "name":
                raise self.error(
                    f"found {_describe(nation)} in {metric}[...]",
                    nation.column,
                    f"an ISO3 nation code as in {example}",
                )
            self.advance()
            if nation.text not in self.nation_set:
                raise self.error(
                    f"unknown nation {nation.text!r}",
                    nation.column,
                    "an ISO3 code of a nation in the batch",
                    suggest(nation.text, self.nations),
                )
            subscripts.append(nation)
            if self.token.kind == ",":
                self.advance()
                continue
            if self.token.kind == "]":
                self.advance()
                break
            raise self.error(
                f"found {_describe(self.token)} in {metric}[...]",
                self.token.column,
                f"',' or ']' as in {example}",
            )
        if len(subscripts) != arity:
            raise self.error(
                f"{metric} takes {arity} nation{'s' if arity != 1 else ''}, "
                f"found {len(subscripts)}",
                token.column,
                example,
            )
        name = column_name(metric, [t.text for t in subscripts])
        if name not in self.columns:
            self.columns.append(name)
        return _Outcome(name, token.column)


# --- public API ---------------------------------------------------------------------------------


class Condition:
    """A parsed condition; call :meth:`evaluate` on a table of outcomes.

    Build it with :func:`parse_condition`.

    Attributes:
        text: The condition as written.
        columns: The outcome columns it reads, in order of first use.

    """

    def __init__(self, text: str, root: _Node, columns: Sequence[str]) -> None:
        self.text = text
        self.columns: tuple[str, ...] = tuple(columns)
        self._root = root

    def __repr__(self) -> str:
        return f"Condition({self.text!r})"

    def __str__(self) -> str:
        """Return the condition fully parenthesised, showing how it was parsed."""
        return str(self._root)

    def evaluate(self, outcomes: pd.DataFrame | Mapping[str, Iterable[float]]) -> np.ndarray:
        """Return, for each run, whether the condition holds.

        Args:
            outcomes: One row per run (e.g. indexed by run) with a numeric column for each name in
                :attr:`columns`, e.g. ``score[CHN]`` or ``favourable[MEX,USA]``; other columns are
                ignored. A mapping of column name to a 1-D array also works.

        Returns:
            A boolean array with one entry per row of ``outcomes``, in row order.

        Raises:
            ConditionError: A needed column is missing or not numeric.

        """
        available = list(outcomes.keys())
        n_rows = len(outcomes) if isinstance(outcomes, pd.DataFrame) else None
        data: dict[str, np.ndarray] = {}
        for name in self.columns:
            if name not in available:
                raise ConditionError(
                    f"the outcomes have no column {name!r}",
                    text=self.text,
                    expected="a column for every outcome the condition reads",
                )
            try:
                values = np.asarray(pd.to_numeric(np.asarray(outcomes[name]).ravel()), float)
            except (TypeError, ValueError):
                raise ConditionError(
                    f"outcome column {name!r} is not numeric", text=self.text
                ) from None
            data[name] = values
            if n_rows is None:
                n_rows = len(values)
            elif len(values) != n_rows:
                raise ConditionError(
                    f"outcome column {name!r} has {len(values)} values, expected {n_rows}",
                    text=self.text,
                )
        if n_rows is None:
            n_rows = 0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            result = self._root.evaluate(data)
        return np.broadcast_to(np.asarray(result, dtype=bool), (n_rows,)).copy()


def parse_condition(
    text: str, *, metrics: Mapping[str, int] = OUTCOME_METRICS, nations: Sequence[str]
) -> Condition:
    """Parse a condition such as ``score[CHN] > score[USA] and rank[USA] > 1``.

    See the module docstring for the grammar.

    Args:
        text: The condition.
        metrics: Outcome metric name to its number of ISO3 subscripts, e.g.
            :data:`OUTCOME_METRICS`.
        nations: ISO3 codes that may appear as subscripts.

    Returns:
        The parsed condition.

    Raises:
        ConditionError: The text is not a valid condition; the one-line message gives the column,
            what was expected and, for a misspelt outcome or nation, a did-you-mean.

    Example:
        >>> import pandas as pd
        >>> cond = parse_condition("score[CHN] > score[USA]", nations=["CHN", "USA"])
        >>> cond.columns
        ('score[CHN]', 'score[USA]')
        >>> cond.evaluate(pd.DataFrame({"score[CHN]": [1, 3], "score[USA]": [2, 2]})).tolist()
        [False, True]

    """
    if not isinstance(text, str):
        raise ConditionError(f"a condition must be text, not {type(text).__name__}")
    parser = _Parser(text, metrics, nations)
    root = parser.parse()
    return Condition(text, root, parser.columns)
