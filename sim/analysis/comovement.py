"""Do publics that turn against one great power warm to its rival? An estimate from the panel.

The contrast effect the model could carry (an observer's view of a rival moving against its view
of an actor) is estimated here, not assumed: within each observer, year-on-year changes of the
logit of the favourable share of the rival are regressed on those of the actor, after removing
each year's mean change over observers (what moved every public at once, such as a pandemic or a
change of president). A negative slope is a contrast effect; a positive one is co-movement (a
public's general mood, or a change of the survey, moving every view together). The interval is a
bootstrap over observers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.model.assimilation import REFERENCE_FAMILY, logit

if TYPE_CHECKING:
    from sim.world.opinion import OpinionPanel

__all__ = ["Comovement", "rival_comovement"]


@dataclass(frozen=True)
class Comovement:
    """The estimated slope of the rival's change on the actor's, within observers and years.

    Attributes:
        actor: ISO3 of the actor.
        rival: ISO3 of the rival.
        slope: Logit change of the rival's view per logit change of the actor's.
        low: 5th percentile of the bootstrap over observers.
        high: 95th percentile.
        changes: Year-on-year changes used (pairs of consecutive waves one year apart).
        observers: Observers contributing.

    """

    actor: str
    rival: str
    slope: float
    low: float
    high: float
    changes: int
    observers: int

    def to_text(self) -> str:
        """Return one sentence with the estimate and its interval."""
        kind = "a contrast effect" if self.high < 0 else "no contrast effect"
        return (
            f"{self.rival} on {self.actor}: slope {self.slope:+.2f} (90 % interval "
            f"{self.low:+.2f} to {self.high:+.2f}) over {self.changes} yearly changes in "
            f"{self.observers} publics, net of each year's mean change: {kind}"
        )


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    return float((x * y).sum() / (x * x).sum()) if (x * x).sum() > 0 else float("nan")


def rival_comovement(
    panel: OpinionPanel,
    actor: str = "USA",
    rival: str = "CHN",
    *,
    family: str = REFERENCE_FAMILY,
    bootstrap: int = 500,
    seed: int = 0,
) -> Comovement:
    """Estimate how an observer's view of ``rival`` moves with its view of ``actor``.

    Args:
        panel: A `sim.world.opinion.OpinionPanel`.
        actor: ISO3 of the actor.
        rival: ISO3 of the rival.
        family: ``survey:question`` read (default: Pew's favourable share).
        bootstrap: Resamples of observers for the interval.
        seed: Seed of the bootstrap.

    Returns:
        The slope, its interval and how many changes it rests on.

    """
    rows = panel.family == family
    value: dict[tuple[str, int, str], float] = {}
    for o, t, y, v in zip(
        panel.observer[rows],
        panel.target[rows],
        panel.year[rows],
        panel.value[rows],
        strict=True,
    ):
        value[(str(o), int(y), str(t))] = float(logit(v))
    observers, years, d_actor, d_rival = [], [], [], []
    for (o, y, t), v in sorted(value.items()):
        if t != actor or (o, y, rival) not in value:
            continue
        if (o, y - 1, actor) in value and (o, y - 1, rival) in value:
            observers.append(o)
            years.append(y)
            d_actor.append(v - value[(o, y - 1, actor)])
            d_rival.append(value[(o, y, rival)] - value[(o, y - 1, rival)])
    obs, yr = np.array(observers), np.array(years)
    x, y_ = np.array(d_actor), np.array(d_rival)
    for arr in (x, y_):  # remove what moved every public in a year
        for year in np.unique(yr):
            arr[yr == year] -= arr[yr == year].mean()
    slope = _slope(x, y_)
    rng = np.random.default_rng(seed)
    names = np.unique(obs)
    draws = []
    for _ in range(bootstrap):
        pick = rng.choice(names, len(names))
        idx = np.concatenate([np.flatnonzero(obs == n) for n in pick])
        draws.append(_slope(x[idx], y_[idx]))
    low, high = np.nanpercentile(draws, [5, 95]) if draws else (np.nan, np.nan)
    return Comovement(actor, rival, slope, float(low), float(high), len(x), len(names))
