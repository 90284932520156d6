"""Shapley attribution of a scenario's change to its components (events or groups of events).

A scenario with components ``N`` is run once per subset ``S`` of them (same seed, common random
numbers), giving an outcome array ``v(S)`` — e.g. one value per nation and metric. The total change
``v(N) − v(∅)`` is split among the components as Shapley values::

    φ_i = Σ_{S ⊆ N∖{i}} |S|! (n − |S| − 1)! / n! · (v(S ∪ {i}) − v(S))

computed element-wise over the outcome array. With ``n ≤ max_exact`` components every one of the
``2**n`` subsets is run once and the sum above is exact. With more, the Shapley value is estimated
as the mean marginal contribution over random orderings of the components (drawn in antithetic
pairs: each ordering and its reverse). Along one ordering the marginal contributions telescope to
``v(N) − v(∅)``, so the estimate, like the exact value, satisfies *efficiency*: the effects sum to
the total change for every outcome entry.

In floating point that sum is only exact to rounding (about 1e-16 relative). The residual
``total − Σ_i φ_i`` is therefore made explicit: it is first checked to be tiny (rounding-sized; a
larger one means a bug and raises), recorded as `Attribution.residual`, and then spread over the
components in proportion to ``|φ_i|`` (entry by entry, so a component whose effect is exactly zero
— a null component — stays exactly zero); what rounding leaves after that is put on the component
with the largest ``|φ_i|``. Afterwards ``effects.sum(axis=0)`` equals ``total`` to 1e-12.

Every subset is evaluated at most once (results are cached under `frozenset` keys) and subsets are
evaluated in a canonical order — by size, then by the components' positions in ``components`` — so
a run is reproducible for a given ``rng`` seed whatever the value function caches itself.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.errors import ExperimentError

__all__ = [
    "Attribution",
    "EfficiencyError",
    "evaluations_needed",
    "shapley_values",
]

#: Largest |residual| accepted before correction, relative to the largest |v(S)| entry (plus 1).
RESIDUAL_TOLERANCE = 1e-9

ValueFunction = Callable[[frozenset[str]], np.ndarray]


class EfficiencyError(ArithmeticError):
    """Shapley effects do not sum to the total change (an internal error, not bad input)."""


@dataclass(frozen=True, eq=False)
class Attribution:
    """The split of a scenario's total change among its components.

    Arrays are read-only. ``effects[i]`` is component ``components[i]``'s Shapley value, with the
    same shape as the outcome ``v(S)``; ``effects.sum(axis=0) == total`` to 1e-12.

    Attributes:
        components: Component names, in the order given to `shapley_values`.
        effects: Shapley values, shape ``(n_components, *outcome_shape)``.
        total: ``full − baseline``, the change to be explained.
        baseline: ``v(∅)``, the outcome with no component.
        full: ``v(all)``, the outcome with every component.
        exact: True when every subset was evaluated, False when permutations were sampled.
        evaluations: How many distinct subsets were evaluated (calls to the value function).
        permutations: Orderings sampled (0 in exact mode).
        residual: Largest |total − Σ effects| before the floating-point correction.
        stderr: Sampled mode only: standard error of each effect across orderings, treating them
            as independent (conservative: antithetic pairs are negatively correlated). None when
            exact.

    """

    components: tuple[str, ...]
    effects: np.ndarray
    total: np.ndarray
    baseline: np.ndarray
    full: np.ndarray
    exact: bool
    evaluations: int
    permutations: int = 0
    residual: float = 0.0
    stderr: np.ndarray | None = None

    def effect(self, component: str) -> np.ndarray:
        """Return one component's Shapley value.

        Args:
            component: A name in `components`.

        Returns:
            Its effect, shaped like the outcome.

        Raises:
            KeyError: If ``component`` is not one of `components`.

        """
        try:
            index = self.components.index(component)
        except ValueError:
            raise KeyError(component) from None
        return self.effects[index]

    def check(self, atol: float = 1e-9) -> None:
        """Raise unless the effects sum to the total change for every outcome entry.

        Args:
            atol: Largest accepted absolute difference.

        Raises:
            EfficiencyError: If ``|Σ effects − total| > atol`` anywhere, or shapes disagree.

        """
        expected = (len(self.components), *np.shape(self.total))
        if self.effects.shape != expected:
            raise EfficiencyError(f"effects have shape {self.effects.shape}, expected {expected}")
        if not np.allclose(self.full - self.baseline, self.total, rtol=0.0, atol=atol):
            raise EfficiencyError("total differs from full − baseline")
        gap = np.abs(self.effects.sum(axis=0) - self.total)
        if gap.size and not np.all(gap <= atol):
            raise EfficiencyError(
                f"effects sum to the total change only within {float(np.nanmax(gap)):.3g} "
                f"(tolerance {atol:.3g})"
            )


def evaluations_needed(n: int, max_exact: int = 8, permutations: int = 64) -> int:
    """Return the most value-function evaluations `shapley_values` can make.

    Exact mode needs exactly ``2**n``; sampled mode at most ``2 + permutations · (n − 1)`` (each
    ordering passes through ``n − 1`` proper non-empty subsets; ∅ and the full set are shared),
    and never more than ``2**n``. Cached repeats make the real count lower.

    Args:
        n: Number of components.
        max_exact: As in `shapley_values`.
        permutations: As in `shapley_values`.

    Returns:
        An upper bound on the number of model runs (exact in exact mode).

    Example:
        >>> evaluations_needed(3), evaluations_needed(20, permutations=10)
        (8, 192)

    """
    if n < 0:
        raise ExperimentError(f"{n} components", key="components", expected="n ≥ 0")
    if n <= max_exact:
        return 2**n
    return min(2**n, 2 + permutations * (n - 1))


def shapley_values(
    components: Sequence[str],
    value: ValueFunction,
    *,
    rng: np.random.Generator | None = None,
    max_exact: int = 8,
    permutations: int = 64,
) -> Attribution:
    """Split ``value(all) − value(∅)`` among ``components`` as Shapley values.

    Args:
        components: Distinct component names (events or groups of events).
        value: Outcome of a run with a subset of the components, e.g. one value per nation and
            metric. Must be deterministic for a subset (use common random numbers) and return
            finite arrays of one shape; it is called at most once per subset.
        rng: Source of the orderings in sampled mode; ``None`` means ``default_rng(0)``, so the
            result is reproducible either way. Unused in exact mode.
        max_exact: Enumerate all ``2**n`` subsets when ``n ≤ max_exact``; sample otherwise.
        permutations: Orderings to sample (in antithetic pairs: an ordering, then its reverse).

    Returns:
        The attribution; its effects sum to the total change to 1e-12 for every entry.

    Raises:
        ExperimentError: If components repeat or ``max_exact``/``permutations`` are invalid.
        ValueError: If ``value`` returns non-finite values or arrays of differing shapes.
        EfficiencyError: If the efficiency residual is larger than floating-point rounding.

    Example:
        >>> weights = {"a": 1.0, "b": 2.0}
        >>> result = shapley_values(["a", "b"], lambda s: np.array(sum(weights[c] for c in s)))
        >>> result.effects.tolist(), result.evaluations
        ([1.0, 2.0], 4)

    """
    names = tuple(str(c) for c in components)
    _validate(names, max_exact, permutations)
    n = len(names)
    evaluator = _Evaluator(names, value)
    if n <= max_exact:
        effects = _exact(evaluator, n)
        used, stderr = 0, None
    else:
        generator = rng if rng is not None else np.random.default_rng(0)
        orders = _orders(generator, n, permutations)
        effects, stderr = _sampled(evaluator, orders)
        used = len(orders)
    baseline = evaluator.of(())
    full = evaluator.of(tuple(range(n)))
    total = full - baseline
    effects, residual = _close_residual(effects, total, evaluator.scale)
    result = Attribution(
        components=names,
        effects=_frozen(effects),
        total=_frozen(total),
        baseline=_frozen(baseline),
        full=_frozen(full),
        exact=n <= max_exact,
        evaluations=evaluator.calls,
        permutations=used,
        residual=residual,
        stderr=None if stderr is None else _frozen(stderr),
    )
    result.check(atol=1e-12 * max(1.0, evaluator.scale))
    return result


def _validate(names: tuple[str, ...], max_exact: int, permutations: int) -> None:
    """Reject repeated components and nonsensical settings."""
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise ExperimentError(
                f"component {name!r} is listed twice",
                key=f"components[{index}]",
                expected="distinct names",
            )
        seen.add(name)
    if isinstance(max_exact, bool) or not isinstance(max_exact, int) or max_exact < 0:
        raise ExperimentError(f"max_exact is {max_exact!r}", key="max_exact", expected="int ≥ 0")
    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < 1:
        raise ExperimentError(
            f"permutations is {permutations!r}", key="permutations", expected="int ≥ 1"
        )


class _Evaluator:
    """Cache of ``v(S)`` keyed by frozenset of names; checks shapes and finiteness."""

    def __init__(self, names: tuple[str, ...], value: ValueFunction) -> None:
        self.names = names
        self.value = value
        self.cache: dict[frozenset[str], np.ndarray] = {}
        self.shape: tuple[int, ...] | None = None
        self.scale = 0.0

    @property
    def calls(self) -> int:
        return len(self.cache)

    def key(self, members: Iterable[int]) -> frozenset[str]:
        return frozenset(self.names[i] for i in members)

    def of(self, members: Iterable[int]) -> np.ndarray:
        """Return ``v`` of the subset with these component positions, evaluating it if new."""
        key = self.key(members)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        result = np.array(self.value(key), dtype=float)
        if self.shape is None:
            self.shape = result.shape
        elif result.shape != self.shape:
            raise ValueError(
                f"value({sorted(key)}) has shape {result.shape}, but earlier outcomes had "
                f"shape {self.shape}"
            )
        if not np.all(np.isfinite(result)):
            raise ValueError(f"value({sorted(key)}) is not finite everywhere")
        if result.size:
            self.scale = max(self.scale, float(np.max(np.abs(result))))
        result.setflags(write=False)
        self.cache[key] = result
        return result

    def evaluate_all(self, subsets: Iterable[tuple[int, ...]]) -> None:
        """Evaluate subsets (sorted position tuples) in canonical order: size, then positions."""
        for members in sorted(set(subsets), key=lambda s: (len(s), s)):
            self.of(members)


def _exact(evaluator: _Evaluator, n: int) -> np.ndarray:
    """Exact Shapley values from all ``2**n`` subsets, each evaluated once."""
    subsets = [c for size in range(n + 1) for c in itertools.combinations(range(n), size)]
    evaluator.evaluate_all(subsets)
    values = {sum(1 << i for i in members): evaluator.of(members) for members in subsets}
    outcome_shape = values[0].shape
    effects = np.zeros((n, *outcome_shape))
    # Weight of a coalition of size k not containing i: k! (n − k − 1)! / n! = 1 / (n · C(n−1, k)).
    weights = [1.0 / (n * math.comb(n - 1, k)) for k in range(n)]
    for mask, v_s in values.items():
        size = mask.bit_count()
        if size == n:
            continue
        weight = weights[size]
        for i in range(n):
            if not mask & (1 << i):
                effects[i] += weight * (values[mask | (1 << i)] - v_s)
    return effects


def _orders(rng: np.random.Generator, n: int, count: int) -> list[tuple[int, ...]]:
    """Draw ``count`` orderings of ``range(n)`` in antithetic pairs (an ordering, its reverse)."""
    orders: list[tuple[int, ...]] = []
    while len(orders) < count:
        order = tuple(int(i) for i in rng.permutation(n))
        orders.append(order)
        if len(orders) < count:
            orders.append(order[::-1])
    return orders


def _sampled(evaluator: _Evaluator, orders: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """Mean marginal contributions over orderings, and their standard errors."""
    n = len(orders[0]) if orders else 0
    prefixes = [tuple(sorted(order[:k])) for order in orders for k in range(n + 1)]
    evaluator.evaluate_all(prefixes)
    outcome_shape = evaluator.of(()).shape
    sums = np.zeros((n, *outcome_shape))
    squares = np.zeros((n, *outcome_shape))
    for order in orders:
        previous = evaluator.of(())
        for k, component in enumerate(order, start=1):
            current = evaluator.of(sorted(order[:k]))
            step = current - previous
            sums[component] += step
            squares[component] += step * step
            previous = current
    m = len(orders)
    effects = sums / m
    if m > 1:
        variance = np.maximum(squares - m * effects * effects, 0.0) / (m - 1)
        stderr = np.sqrt(variance / m)
    else:
        stderr = np.full_like(effects, np.nan)
    return effects, stderr


def _close_residual(
    effects: np.ndarray, total: np.ndarray, scale: float
) -> tuple[np.ndarray, float]:
    """Make ``effects.sum(axis=0)`` equal ``total``; return the corrected effects and residual.

    The residual is first checked to be rounding-sized, then spread in proportion to ``|φ_i|``
    (equally where every effect of an entry is zero), and finally what rounding leaves is put on
    the component with the largest ``|φ_i|`` of each entry.
    """
    if effects.shape[0] == 0:
        if np.any(total != 0):
            raise EfficiencyError("no components, yet v(all) differs from v(∅)")
        return effects, 0.0
    residual = total - effects.sum(axis=0)
    largest = float(np.max(np.abs(residual))) if residual.size else 0.0
    limit = RESIDUAL_TOLERANCE * (1.0 + scale)
    if largest > limit:
        raise EfficiencyError(
            f"efficiency residual {largest:.3g} exceeds rounding tolerance {limit:.3g}; "
            "the value function or the attribution is wrong"
        )
    magnitude = np.abs(effects)
    weight_sum = magnitude.sum(axis=0)
    n = effects.shape[0]
    shares = np.where(weight_sum > 0, magnitude / np.where(weight_sum > 0, weight_sum, 1.0), 1 / n)
    corrected = effects + shares * residual
    leftover = total - corrected.sum(axis=0)
    top = np.argmax(magnitude, axis=0)
    np.put_along_axis(
        corrected,
        top[np.newaxis, ...],
        np.take_along_axis(corrected, top[np.newaxis, ...], axis=0) + leftover,
        axis=0,
    )
    return corrected, largest


def _frozen(array: np.ndarray) -> np.ndarray:
    """Return a read-only float copy."""
    copy = np.array(array, dtype=float)
    copy.setflags(write=False)
    return copy
