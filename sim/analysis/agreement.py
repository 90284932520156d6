"""Agreement between model and target rankings: Spearman's ρ and Kendall's τ-b (scipy.stats)
with paired bootstrap intervals.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.stats

__all__ = ["spearman", "kendall", "rmse", "Agreement", "bootstrap_agreement"]


def rmse(errors: np.ndarray) -> float:
    """Root mean square of prediction errors (NaN for none): the level agreement of polls."""
    errors = np.asarray(errors, dtype=float)
    return float(np.sqrt(np.mean(errors**2))) if errors.size else float("nan")


def _average_ranks(a: np.ndarray) -> np.ndarray:
    """Average ranks (1-based) along the last axis; ties share the mean of their positions."""
    return scipy.stats.rankdata(np.asarray(a, dtype=float), axis=-1)


def _pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (xc * yc).sum(axis=-1) / np.where(den > 0, den, 1.0), np.nan)


def spearman(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Return Spearman's rank correlation ρ (Pearson's r of average ranks); NaN if either is
    constant. Equals ``scipy.stats.spearmanr(x, y).statistic``.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(_pearson_rows(_average_ranks(x), _average_ranks(y)))


def _kendall_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's τ-b of each row of ``x`` against ``y`` (rows, n), by `scipy.stats.kendalltau`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.stats.ConstantInputWarning)
        return scipy.stats.kendalltau(x, np.broadcast_to(y, np.shape(x)), axis=-1).statistic


def kendall(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Return Kendall's τ-b (ties corrected); NaN if either is constant.

    Equals ``scipy.stats.kendalltau(x, y).statistic``.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(_kendall_rows(x, y))


@dataclass(frozen=True)
class Agreement:
    """Rank agreement of one predictor with the target, with bootstrap intervals.

    Attributes:
        name: What was compared (``model`` or a baseline's name).
        n: Nations (or observers) compared.
        spearman: Spearman's ρ.
        spearman_ci: Percentile bootstrap interval of ρ.
        kendall: Kendall's τ-b.
        kendall_ci: Percentile bootstrap interval of τ-b.
        model_better: For a baseline: share of the (paired) bootstrap resamples in which the
            model's ρ exceeds this baseline's; None for the model itself.
        same_sign: For leans: share of observers where predictor and target lean the same way.

    """

    name: str
    n: int
    spearman: float
    spearman_ci: tuple[float, float]
    kendall: float
    kendall_ci: tuple[float, float]
    model_better: float | None = None
    same_sign: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as plain numbers (NaN as None)."""

        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else round(float(v), 6)

        return {
            "name": self.name,
            "n": self.n,
            "spearman": num(self.spearman),
            "spearman_ci": [num(v) for v in self.spearman_ci],
            "kendall": num(self.kendall),
            "kendall_ci": [num(v) for v in self.kendall_ci],
            "model_better": num(self.model_better),
            "same_sign": num(self.same_sign),
        }


def _interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    good = samples[np.isfinite(samples)]
    if good.size == 0:
        return (math.nan, math.nan)
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(good, [tail, 100.0 - tail])
    return (float(lo), float(hi))


def bootstrap_agreement(
    observed: np.ndarray,
    predictors: Mapping[str, np.ndarray],
    *,
    reps: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    model: str = "model",
    signed: bool = False,
) -> list[Agreement]:
    """Return the `Agreement` of each predictor with ``observed``, from one shared set of
    bootstrap resamples (so the predictors are compared on the same resamples, paired).

    Args:
        observed: Target values, oriented so that higher means more soft power.
        predictors: Name → predicted values, same order as ``observed``.
        reps: Bootstrap resamples of the compared units (drawn with replacement).
        seed: Seed of the resampling (``numpy.random.SeedSequence(seed)``).
        level: Coverage of the percentile intervals.
        model: The predictor the others are compared against (``model_better``).
        signed: Also report the share of units where predictor and target have the same sign.

    Returns:
        One `Agreement` per predictor, in the order given.

    """
    observed = np.asarray(observed, dtype=float)
    n = observed.size
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    idx = rng.integers(0, n, size=(reps, n))
    y = observed[idx]
    y_ranks = _average_ranks(y)
    boot_rho: dict[str, np.ndarray] = {}
    out = []
    chunk = max(1, 2_000_000 // max(n * n, 1))
    for name, values in predictors.items():
        x_all = np.asarray(values, dtype=float)
        x = x_all[idx]
        rho = _pearson_rows(_average_ranks(x), y_ranks)
        tau = np.concatenate(
            [_kendall_rows(x[i : i + chunk], y[i : i + chunk]) for i in range(0, reps, chunk)]
        )
        boot_rho[name] = rho
        same = None
        if signed:
            same = float(np.mean(np.sign(x_all) == np.sign(observed)))
        out.append(
            Agreement(
                name,
                n,
                spearman(x_all, observed),
                _interval(rho, level),
                kendall(x_all, observed),
                _interval(tau, level),
                same_sign=same,
            )
        )
    if model in boot_rho:
        ref = boot_rho[model]
        for i, a in enumerate(out):
            if a.name != model:
                other = boot_rho[a.name]
                ok = np.isfinite(ref) & np.isfinite(other)
                share = float(np.mean(ref[ok] > other[ok])) if ok.any() else math.nan
                out[i] = replace(a, model_better=share)
    return out
