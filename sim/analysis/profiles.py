"""Is each event response pinned down by the episodes? Profiles, folds by observer, pooling.

The episode fit (`sim.analysis.episodes`) is least squares on response columns measured once
per value of ``event_persistence``. Here the same columns answer three questions:

- **Profiles** (`profile_episodes`): one response parameter is fixed at each value of a grid
  over its registry range and the others are refitted (``event_persistence`` chosen on its
  grid by leave-one-scenario-out error, as the fit does); the in-sample and the out-of-scenario
  RMSE at each value show how much the data prefer one value. A parameter is **not pinned**
  when the values whose out-of-scenario RMSE is within ``tolerance`` (relative) of the best
  cover more than half of its registry range; the values within the tolerance are its
  plausible range.
- **Folds** (`fold_errors`): out-of-sample error when a whole scenario (all its waves and
  targets) is left out, and when a group of observers (a region, `REGION_GROUPS`) is left out
  of every episode and predicted from the others.
- **Partial pooling** (`fit_pooled`): a multiplier of every response per observer region,
  shrunk toward 1 by a normal prior (standard deviation ``prior_sd``), fitted jointly with the
  responses by alternating least squares.

For an episode with a common shock (a free intercept), held-out observers get the intercept
fitted on the episode's other observers (their own mean when none is left).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.optimize

from sim.analysis.episodes import COLUMNS, Episode, _values
from sim.params import REGISTRY
from sim.world.bundled import bundled_world

__all__ = [
    "PROFILED",
    "REGION_GROUPS",
    "Pooled",
    "Profile",
    "fit_pooled",
    "fold_errors",
    "fold_masks",
    "profile_episodes",
    "solve_fixed",
    "write_table",
]

#: The response parameters profiled, in order (event_persistence first).
PROFILED: tuple[str, ...] = (
    "event_persistence",
    "war_perception",
    "threat_perception",
    "threat_spillover",
    "withdrawal_perception",
    "leader_perception",
    "leader_pivot",
)

#: Observer groups of the region folds and of pooling: UN subregions (``World.region``) merged
#: into five groups with enough surveyed countries each.
REGION_GROUPS: dict[str, str] = {
    **dict.fromkeys(
        ("Northern Europe", "Southern Europe", "Eastern Europe", "Western Europe"), "Europe"
    ),
    **dict.fromkeys(
        ("Northern America", "Central America", "Caribbean", "South America"), "Americas"
    ),
    **dict.fromkeys(
        (
            "Eastern Asia",
            "South-eastern Asia",
            "Southern Asia",
            "Central Asia",
            "Australia and New Zealand",
            "Melanesia",
            "Micronesia",
            "Polynesia",
        ),
        "Asia-Pacific",
    ),
    **dict.fromkeys(("Western Asia", "Northern Africa"), "Middle East and North Africa"),
    **dict.fromkeys(
        ("Eastern Africa", "Western Africa", "Middle Africa", "Southern Africa"),
        "Sub-Saharan Africa",
    ),
}

#: Coefficients of the fit (`COLUMNS`): war, T·(1 − s), T·s, withdrawal, L·(1 − p), L·p.
_HIGH = np.array(
    [
        REGISTRY["war_perception"].high,
        REGISTRY["threat_perception"].high,
        REGISTRY["threat_perception"].high,
        REGISTRY["withdrawal_perception"].high,
        REGISTRY["leader_perception"].high,
        REGISTRY["leader_perception"].high,
    ]
)

#: (size, share, first coefficient) of the two split responses.
_PAIRS = (("threat_perception", "threat_spillover", 1), ("leader_perception", "leader_pivot", 4))

Masks = list[np.ndarray]


def _parametrisation(
    fixed: tuple[str, float] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(A, b, low, high)``: the coefficients are ``A @ z + b`` with ``low ≤ z ≤ high``.

    With nothing fixed, z is the coefficients themselves. A fixed size (T or L) makes its share
    the free variable (``T·(1 − s) = T − T·s``); a fixed share makes the size free.
    """
    name, value = fixed if fixed else ("", 0.0)
    if fixed and name not in PROFILED[1:]:
        raise ValueError(f"cannot fix {name!r}; expected one of {', '.join(PROFILED[1:])}")
    columns: list[np.ndarray] = []
    bounds: list[tuple[float, float]] = []
    b = np.zeros(len(COLUMNS))

    def free(entries: dict[int, float], high: float) -> None:
        vector = np.zeros(len(COLUMNS))
        for i, x in entries.items():
            vector[i] = x
        if np.any(vector):
            columns.append(vector)
            bounds.append((0.0, high))

    for i, single in ((0, "war_perception"), (3, "withdrawal_perception")):
        if name == single:
            b[i] = value
        else:
            free({i: 1.0}, _HIGH[i])
    for size, share, i in _PAIRS:
        if name == size:
            b[i] = value
            free({i: -value, i + 1: value}, 1.0)
        elif name == share:
            free({i: 1.0 - value, i + 1: value}, _HIGH[i])
        else:
            free({i: 1.0}, _HIGH[i])
            free({i + 1: 1.0}, _HIGH[i])
    a = np.column_stack(columns) if columns else np.zeros((len(COLUMNS), 0))
    limits = np.array(bounds, dtype=float).reshape(-1, 2)
    return a, b, limits[:, 0], limits[:, 1]


def solve_fixed(
    blocks: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    common: Sequence[bool],
    fixed: tuple[str, float] | None = None,
    weights: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """Least squares of the episodes within the registry's ranges, one parameter held fixed.

    Args:
        blocks: Per episode, the response columns (countries × `COLUMNS`).
        targets: Per episode, the published changes.
        common: Per episode, whether it has a common shock (columns and changes centred).
        fixed: A response parameter and its value, or None (the fit of `fit_episodes`).
        weights: Per episode, a multiplier of each country's response (pooling), or None.

    Returns:
        The six coefficients of `COLUMNS`.

    """
    if weights is not None:
        blocks = [x * w[:, None] for x, w in zip(blocks, weights, strict=True)]
    x = np.vstack([b - b.mean(axis=0) if c else b for b, c in zip(blocks, common, strict=True)])
    y = np.concatenate([t - t.mean() if c else t for t, c in zip(targets, common, strict=True)])
    a, b, low, high = _parametrisation(fixed)
    if a.shape[1] == 0:
        return b
    z = scipy.optimize.lsq_linear(x @ a, y - x @ b, bounds=(low, high), method="bvls").x
    return a @ z + b


def _split(
    design: Sequence[np.ndarray],
    changes: Sequence[np.ndarray],
    common: Sequence[bool],
    train: Masks,
    test: Masks,
    fixed: tuple[str, float] | None = None,
    weights: Sequence[np.ndarray] | None = None,
) -> tuple[float, int]:
    """Fit on the ``train`` countries of each episode; return the squared error on ``test``."""
    keep = [e for e, m in enumerate(train) if m.any()]
    w = None if weights is None else [weights[e][train[e]] for e in keep]
    theta = solve_fixed(
        [design[e][train[e]] for e in keep],
        [changes[e][train[e]] for e in keep],
        [common[e] for e in keep],
        fixed,
        w,
    )
    sse, count = 0.0, 0
    for e, mask in enumerate(test):
        if not mask.any():
            continue
        scale = 1.0 if weights is None else weights[e]
        residual = (design[e] @ theta) * scale - changes[e]
        out = residual[mask]
        if common[e]:  # the episode's intercept, from its countries left in the fit
            out = out - (residual[train[e]].mean() if train[e].any() else out.mean())
        sse += float(np.sum(out**2))
        count += int(mask.sum())
    return sse, count


def fold_masks(episodes: Sequence[Episode], by: str) -> dict[str, Masks]:
    """Return the test countries of each fold, per episode.

    Args:
        episodes: The episodes.
        by: ``"scenario"`` (a scenario's waves and targets left out together) or ``"region"``
            (the observers of one of `REGION_GROUPS` left out of every episode).

    """
    if by == "scenario":
        names = list(dict.fromkeys(ep.scenario.name for ep in episodes))
        return {
            n: [np.full(len(ep.observers), ep.scenario.name == n) for ep in episodes] for n in names
        }
    if by == "region":
        groups = [observer_groups(ep) for ep in episodes]
        names = sorted({g for gs in groups for g in gs})
        return {n: [gs == n for gs in groups] for n in names}
    raise ValueError(f"unknown fold {by!r}; expected 'scenario' or 'region'")


def observer_groups(episode: Episode) -> np.ndarray:
    """Return the `REGION_GROUPS` group of each of the episode's observers."""
    world = bundled_world(episode.scenario.world)
    index = {c: i for i, c in enumerate(world.iso3)}
    return np.array(
        [REGION_GROUPS[world.region[index[o]]] for o in episode.observers], dtype=object
    )


def _out_of_fold(
    design: Sequence[np.ndarray],
    changes: Sequence[np.ndarray],
    common: Sequence[bool],
    folds: Mapping[str, Masks],
    fixed: tuple[str, float] | None = None,
) -> tuple[float, int]:
    sse, count = 0.0, 0
    for test in folds.values():
        train = [~m for m in test]
        s, n = _split(design, changes, common, train, test, fixed)
        sse, count = sse + s, count + n
    return sse, count


def fold_errors(
    episodes: Sequence[Episode],
    designs: Mapping[float, Sequence[np.ndarray]],
    share: float,
) -> list[dict[str, Any]]:
    """Return the out-of-fold RMSE of each fold by scenario and by region at ``share``.

    Rows: ``folds`` (scenario or region), ``left_out``, ``countries`` (rows held out),
    ``rmse_out`` and ``rmse_no_change`` (the same rows predicted as no change, about the
    episode's mean for a common shock).
    """
    design, changes = designs[share], [ep.change for ep in episodes]
    common = [ep.common_shock is not None for ep in episodes]
    rows = []
    for by in ("scenario", "region"):
        for name, test in fold_masks(episodes, by).items():
            sse, count = _split(design, changes, common, [~m for m in test], test)
            zero = [np.zeros_like(x) for x in design]
            base, _ = _split(zero, changes, common, [~m for m in test], test)
            rows.append(
                {
                    "folds": by,
                    "left_out": name,
                    "countries": count,
                    "rmse_out": float(np.sqrt(sse / count)),
                    "rmse_no_change": float(np.sqrt(base / count)),
                }
            )
    return rows


@dataclass
class Profile:
    """Profiles of the response parameters (`profile_episodes`).

    Attributes:
        rows: Per parameter and grid value: ``parameter``, ``value``, ``rmse_in``,
            ``rmse_loo`` (leave-one-scenario-out), ``rmse_loo_region`` (leave-one-region-out),
            ``event_persistence`` (chosen at that value) and the refitted values of the others.
        tolerance: Relative excess over the best out-of-scenario RMSE still called plausible.

    """

    rows: list[dict[str, float | str]]
    tolerance: float
    summary: list[dict[str, object]] = field(default_factory=list)

    def write(self, path: str | Path) -> Path:
        """Write the profile rows as CSV (``parameter,value,rmse_in,rmse_loo,...``)."""
        return write_table(self.rows, path)

    def write_summary(self, path: str | Path) -> Path:
        """Write the summary (best value, plausible range, pinned or not) as CSV."""
        return write_table(self.summary, path)

    def to_text(self) -> str:
        """A Markdown table of the summary, with the rule."""
        lines = [
            f"Profiles: a parameter is not pinned when the values whose out-of-scenario RMSE "
            f"is within {self.tolerance:.0%} of the best cover more than half of its range.",
            "",
            "| parameter | range | best (out-of-scenario) | RMSE out | best in-sample | "
            "plausible range | pinned |",
            "|---|---|---:|---:|---:|---|---|",
        ]
        for s in self.summary:
            lines.append(
                f"| `{s['parameter']}` | {s['low']:g}–{s['high']:g} | {s['best']:g} | "
                f"{s['rmse_loo']:.2f} | {s['best_in_sample']:g} | "
                f"{s['plausible_low']:g}–{s['plausible_high']:g} | "
                f"{'yes' if s['pinned'] else 'no'} |"
            )
        return "\n".join(lines) + "\n"


def write_table(rows: Sequence[Mapping[str, object]], path: str | Path) -> Path:
    """Write dict rows as a CSV (columns in order of first appearance; floats to 6 digits)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, names, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    return path


def profile_episodes(
    episodes: Sequence[Episode],
    designs: Mapping[float, Sequence[np.ndarray]],
    *,
    parameters: Sequence[str] = PROFILED,
    points: int = 11,
    tolerance: float = 0.01,
) -> Profile:
    """Profile each response parameter over its registry range (see the module docstring).

    Args:
        episodes: The episodes (`sim.analysis.episodes.load_episodes`).
        designs: Their response columns per value of ``event_persistence``
            (`sim.analysis.episodes.response_designs`); its keys are the persistence grid.
        parameters: Names of `PROFILED` to profile.
        points: Grid values per parameter, evenly over the registry range (persistence: the
            keys of ``designs``).
        tolerance: Relative excess over the best out-of-scenario RMSE still plausible.

    """
    changes = [ep.change for ep in episodes]
    common = [ep.common_shock is not None for ep in episodes]
    by_scenario = fold_masks(episodes, "scenario")
    by_region = fold_masks(episodes, "region")
    everything = [np.ones(len(c), dtype=bool) for c in changes]
    rows: list[dict[str, float | str]] = []
    summary = []
    for name in parameters:
        spec = REGISTRY[name]
        if name == "event_persistence":
            grid = sorted(designs)
        else:
            grid = [float(v) for v in np.linspace(spec.low, spec.high, points)]
        block = []
        for value in grid:
            fixed = None if name == "event_persistence" else (name, value)
            shares = [value] if name == "event_persistence" else sorted(designs)
            best = None
            for share in shares:
                sse, count = _out_of_fold(designs[share], changes, common, by_scenario, fixed)
                if best is None or sse < best[0] - 1e-9:
                    best = (sse, count, share)
            assert best is not None
            share = best[2]
            design = designs[share]
            sse_in, n_in = _split(design, changes, common, everything, everything, fixed)
            sse_r, n_r = _out_of_fold(design, changes, common, by_region, fixed)
            theta = solve_fixed(design, changes, common, fixed)
            row: dict[str, float | str] = {
                "parameter": name,
                "value": round(float(value), 6),
                "rmse_in": float(np.sqrt(sse_in / n_in)),
                "rmse_loo": float(np.sqrt(best[0] / best[1])),
                "rmse_loo_region": float(np.sqrt(sse_r / n_r)),
                "event_persistence": float(share),
            }
            fitted = _values(theta)
            row.update({f"fit_{k}": v for k, v in fitted.items() if k in PROFILED})
            block.append(row)
        rows += block
        summary.append(_summarise(name, block, tolerance))
    return Profile(rows, tolerance, summary)


def _summarise(name: str, block: Sequence[Mapping], tolerance: float) -> dict[str, object]:
    """Best value, plausible range and whether the parameter is pinned (the stated rule)."""
    spec = REGISTRY[name]
    loo = np.array([r["rmse_loo"] for r in block])
    values = np.array([r["value"] for r in block])
    best = int(np.argmin(loo))
    near = values[loo <= loo[best] * (1.0 + tolerance) + 1e-12]
    low, high = float(near.min()), float(near.max())
    return {
        "parameter": name,
        "low": spec.low,
        "high": spec.high,
        "best": float(values[best]),
        "rmse_loo": float(loo[best]),
        "best_in_sample": float(values[int(np.argmin([r["rmse_in"] for r in block]))]),
        "plausible_low": low,
        "plausible_high": high,
        "pinned": (high - low) <= 0.5 * (spec.high - spec.low),
    }


@dataclass
class Pooled:
    """Responses with a multiplier per observer region, shrunk toward 1 (`fit_pooled`).

    Attributes:
        values: The shared response values (registry names).
        multipliers: Per region, the multiplier of every response there.
        prior_sd: The prior's standard deviation of a multiplier about 1.
        rmse_in: In-sample RMSE with the multipliers; ``rmse_in_shared`` without them.
        rmse_loo: Leave-one-scenario-out RMSE with the multipliers (fitted without the
            scenario); ``rmse_loo_shared`` without them.

    """

    values: dict[str, float]
    multipliers: dict[str, float]
    prior_sd: float
    rmse_in: float
    rmse_in_shared: float
    rmse_loo: float
    rmse_loo_shared: float

    def to_text(self) -> str:
        """A short Markdown summary."""
        lines = [
            f"Partial pooling: one multiplier of every response per region, prior normal "
            f"about 1 with standard deviation {self.prior_sd:g}.",
            "",
            "| region | multiplier |",
            "|---|---:|",
        ]
        lines += [f"| {g} | {m:.2f} |" for g, m in sorted(self.multipliers.items())]
        lines += [
            "",
            f"RMSE in-sample {self.rmse_in:.2f} (shared responses {self.rmse_in_shared:.2f}); "
            f"out-of-scenario {self.rmse_loo:.2f} (shared {self.rmse_loo_shared:.2f}).",
        ]
        return "\n".join(lines) + "\n"


def _pooled_fit(
    design: Sequence[np.ndarray],
    changes: Sequence[np.ndarray],
    common: Sequence[bool],
    groups: Sequence[np.ndarray],
    names: Sequence[str],
    prior_sd: float,
    iterations: int = 30,
) -> tuple[np.ndarray, dict[str, float]]:
    """Alternate: responses given the multipliers (bounded least squares), then each
    region's multiplier given the responses (its posterior mode under the normal prior, with
    the noise variance of the current fit).
    """
    multipliers = dict.fromkeys(names, 1.0)
    theta = solve_fixed(design, changes, common)
    for _ in range(iterations):
        weights = [np.array([multipliers[g] for g in gs]) for gs in groups]
        theta = solve_fixed(design, changes, common, weights=weights)
        predicted = [x @ theta for x in design]
        centred = [(p - p.mean(), y - y.mean()) if c else (p, y) for p, y, c in
                   zip(predicted, changes, common, strict=True)]  # fmt: skip
        residual = np.concatenate(
            [
                y - p * w - (np.mean(y - p * w) if c else 0.0)
                for (p, y), w, c in zip(centred, weights, common, strict=True)
            ]  # fmt: skip
        )
        ratio = float(np.mean(residual**2)) / prior_sd**2  # noise variance / prior variance
        for g in names:
            p = np.concatenate([pc[gs == g] for (pc, _), gs in zip(centred, groups, strict=True)])
            y = np.concatenate([yc[gs == g] for (_, yc), gs in zip(centred, groups, strict=True)])
            multipliers[g] = float((p @ y + ratio) / (p @ p + ratio))
    return theta, multipliers


def fit_pooled(
    episodes: Sequence[Episode],
    designs: Mapping[float, Sequence[np.ndarray]],
    share: float,
    *,
    prior_sd: float = 0.5,
) -> Pooled:
    """Fit the responses with a multiplier per observer region (`REGION_GROUPS`) at
    ``event_persistence`` = ``share``; each multiplier has a normal prior about 1 with
    standard deviation ``prior_sd`` (a region may respond half as much or 1.5 times as much
    as the rest at one standard deviation). Scored in sample and leaving out each scenario.
    The multipliers and the shared responses trade off (the data see their product): only the
    prior keeps the multipliers about 1.
    """
    design, changes = designs[share], [ep.change for ep in episodes]
    common = [ep.common_shock is not None for ep in episodes]
    groups = [observer_groups(ep) for ep in episodes]
    names = sorted({g for gs in groups for g in gs})
    theta, multipliers = _pooled_fit(design, changes, common, groups, names, prior_sd)
    weights = [np.array([multipliers[g] for g in gs]) for gs in groups]
    everything = [np.ones(len(c), dtype=bool) for c in changes]
    sse, n = _split(design, changes, common, everything, everything, weights=weights)
    shared, _ = _split(design, changes, common, everything, everything)
    loo, loo_shared, count = 0.0, 0.0, 0
    for test in fold_masks(episodes, "scenario").values():
        keep = [e for e, m in enumerate(test) if not m.any()]
        _, fold_m = _pooled_fit(
            [design[e] for e in keep],
            [changes[e] for e in keep],
            [common[e] for e in keep],
            [groups[e] for e in keep],
            names,
            prior_sd,
        )
        fold_w = [np.array([fold_m[g] for g in gs]) for gs in groups]
        s, c = _split(design, changes, common, [~m for m in test], test, weights=fold_w)
        s0, _ = _split(design, changes, common, [~m for m in test], test)
        loo, loo_shared, count = loo + s, loo_shared + s0, count + c
    return Pooled(
        {"event_persistence": share, **_values(theta)},
        multipliers,
        prior_sd,
        float(np.sqrt(sse / n)),
        float(np.sqrt(shared / n)),
        float(np.sqrt(loo / count)),
        float(np.sqrt(loo_shared / count)),
    )
