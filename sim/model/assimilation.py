"""The assimilated start: the latent opinion of each observer–actor pair from past polls.

Opinion is kept in the logit of the favourable share (Pew-equivalent). For each pair surveyed
before the run starts, a Kalman filter runs over the years of its observations: the latent
logit ``x`` follows an AR(1) around a long-run level ``m`` (annual persistence φ, drift variance
q), and each survey family sees ``α_s + β_s · x`` with noise variance r (its observation model,
`fit_survey_links`). The long-run level is the structural prior (the model's own attraction
through the link) moved toward the pair's observed mean by n / (n + κ) of the gap (partial
pooling: a pair surveyed often keeps what structure misses about it). Pairs never surveyed start
from the structural prior.

The model adds ``offset = x − prior`` to the logit of its favourable shares and lets it relax to
the long-run offset ``m − prior`` at the rate φ per year (`OpinionStart.offset_at`).

Every function takes arrays, not files; `sim.world.opinion` reads the panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.params import Parameters
    from sim.world.opinion import OpinionPanel

__all__ = [
    "REFERENCE_FAMILY",
    "OpinionSettings",
    "OpinionStart",
    "SurveyLink",
    "assimilate",
    "fit_survey_links",
    "logit",
    "share",
    "PanelRows",
    "panel_rows",
    "settings_of",
    "start_from_rows",
    "FIELDWORK",
]

#: The survey family whose shares define the latent scale (α = 0, β = 1).
REFERENCE_FAMILY = "pew_global_attitudes:favourable"
#: Shares are clipped to [0.5, 99.5] before the logit (a published 0 % or 100 % is rounding).
_CLIP = 0.5
#: Polls are fielded in spring: an observation of year y describes y + 0.25 (y-Q2).
FIELDWORK = 0.25


def logit(value: np.ndarray | float) -> np.ndarray:
    """Return the logit of a share in percent, clipped to [0.5, 99.5]."""
    p = np.clip(np.asarray(value, dtype=float), _CLIP, 100.0 - _CLIP) / 100.0
    return np.log(p / (1.0 - p))


def share(x: np.ndarray | float) -> np.ndarray:
    """Return the share in percent of a logit (the inverse of `logit`)."""
    return 100.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


@dataclass(frozen=True)
class OpinionSettings:
    """How latent opinion moves and how surveys see it (registry parameters `opinion_*`).

    Attributes:
        persistence: φ, the share of a pair's deviation from its long-run level left after a year.
        drift: q, the variance (logit²) of the yearly innovation.
        noise: r, the variance (logit²) of one survey's measurement of the latent logit.
        pooling: κ, observations' worth of the structural prior in the long-run level.

    """

    persistence: float
    drift: float
    noise: float
    pooling: float

    @property
    def stationary_variance(self) -> float:
        """Variance of the latent logit around its long-run level (capped at 4 when φ → 1)."""
        phi2 = self.persistence**2
        return min(self.drift / (1.0 - phi2), 4.0) if phi2 < 1.0 else 4.0


@dataclass(frozen=True)
class SurveyLink:
    """What one survey family measures of the latent logit: ``intercept + slope · x``.

    Attributes:
        family: ``survey:question``.
        intercept: α.
        slope: β.
        matches: Pairs and years seen by both this family and the reference family.

    """

    family: str
    intercept: float
    slope: float
    matches: int

    def to_latent(self, measured: np.ndarray) -> np.ndarray:
        """Return the latent logit of measured logits."""
        return (measured - self.intercept) / self.slope

    def to_measured(self, latent: np.ndarray) -> np.ndarray:
        """Return the measured logit of latent logits."""
        return self.intercept + self.slope * latent


def fit_survey_links(
    family: np.ndarray, pair: np.ndarray, year: np.ndarray, measured: np.ndarray
) -> dict[str, SurveyLink]:
    """Fit each survey family's observation model against the reference family.

    Rows of a family are matched with reference rows of the same pair in the same year (or,
    failing that, one year apart); with 10 or more matches α and β are fitted by least squares
    (β within [0.25, 4]); with 3 to 9 only α (β = 1); with fewer the family is read as the
    reference (α = 0, β = 1).

    Args:
        family: (row,) ``survey:question``.
        pair: (row,) pair identifiers (e.g. ``observer * n + actor``).
        year: (row,) fieldwork years.
        measured: (row,) logits of the published shares.

    Returns:
        The link of every family in ``family``.

    """
    ref = family == REFERENCE_FAMILY
    reference = {
        (int(p), int(y)): float(v)
        for p, y, v in zip(pair[ref], year[ref], measured[ref], strict=True)
    }
    links = {REFERENCE_FAMILY: SurveyLink(REFERENCE_FAMILY, 0.0, 1.0, int(ref.sum()))}
    for name in sorted(set(family.tolist()) - {REFERENCE_FAMILY}):
        rows = np.flatnonzero(family == name)
        xs, ys = [], []
        for r in rows:
            key = (int(pair[r]), int(year[r]))
            for dy in (0, -1, 1):
                hit = reference.get((key[0], key[1] + dy))
                if hit is not None:
                    xs.append(hit)
                    ys.append(float(measured[r]))
                    break
        x, y = np.array(xs), np.array(ys)
        if len(x) >= 10 and x.std() > 0:
            slope = float(np.clip(np.cov(x, y, bias=True)[0, 1] / x.var(), 0.25, 4.0))
            intercept = float(y.mean() - slope * x.mean())
        elif len(x) >= 3:
            slope, intercept = 1.0, float((y - x).mean())
        else:
            slope, intercept = 1.0, 0.0
        links[name] = SurveyLink(name, intercept, slope, len(x))
    return links


@dataclass(frozen=True)
class OpinionStart:
    """The latent opinion of every pair at the start, and where it goes with no events.

    Attributes:
        prior: (observer, actor) the structural prior (logit).
        mean: (observer, actor) latent logit at the start.
        variance: (observer, actor) its variance (logit²).
        long_run: (observer, actor) long-run level m (logit).
        observations: (observer, actor) polls used.
        last_year: (observer, actor) fieldwork year of the latest poll used (0 if none).
        persistence: φ per year.

    """

    prior: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    long_run: np.ndarray
    observations: np.ndarray
    last_year: np.ndarray
    persistence: float

    def offset_at(self, years: float) -> np.ndarray:
        """Return (observer, actor) the logit offset from the prior ``years`` after the start."""
        decay = self.persistence**years
        return (self.long_run - self.prior) + decay * (self.mean - self.long_run)

    def forecast(
        self,
        observer: np.ndarray,
        actor: np.ndarray,
        years: np.ndarray,
        settings: OpinionSettings,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the latent logit of each pair (observer[j], actor[j]) ``years[j]`` after the
        start with no events, and its variance: `offset_at` and `variance_at` pair by pair.
        """
        decay = settings.persistence**years
        level = self.long_run[observer, actor]
        mean = level + decay * (self.mean[observer, actor] - level)
        stationary = settings.stationary_variance
        return mean, decay**2 * self.variance[observer, actor] + (1 - decay**2) * stationary

    def variance_at(self, years: float, settings: OpinionSettings) -> np.ndarray:
        """Return (observer, actor) the forecast variance of the latent logit ``years`` on."""
        phi2 = settings.persistence ** (2.0 * years)
        return phi2 * self.variance + (1.0 - phi2) * settings.stationary_variance


def assimilate(
    prior: np.ndarray,
    observer: np.ndarray,
    actor: np.ndarray,
    year: np.ndarray,
    latent: np.ndarray,
    noise: np.ndarray,
    start: float,
    settings: OpinionSettings,
) -> OpinionStart:
    """Filter the observations of every pair up to ``start`` and forecast them to it.

    Args:
        prior: (observer, actor) structural prior of the latent logit.
        observer: (row,) observer index of each observation.
        actor: (row,) actor index.
        year: (row,) fieldwork year (each must fall before ``start``).
        latent: (row,) the observation mapped to the latent scale (`SurveyLink.to_latent`).
        noise: (row,) its measurement variance on the latent scale.
        start: The start as a fractional year (2025-Q1 is 2025.0).
        settings: φ, q, r, κ.

    Returns:
        The start of every pair; pairs without observations keep the prior.

    """
    n = prior.shape[0]
    mean, variance = prior.copy(), np.full(prior.shape, settings.stationary_variance)
    long_run = prior.copy()
    count = np.zeros(prior.shape, dtype=np.int64)
    last = np.zeros(prior.shape, dtype=np.int64)
    if len(latent):
        pair = observer * n + actor
        pairs, where = np.unique(pair, return_inverse=True)
        obs_prior = prior.ravel()[pairs]
        npairs = len(pairs)
        total = np.bincount(where, weights=latent, minlength=npairs)
        seen = np.bincount(where, minlength=npairs)
        pooled = obs_prior + seen / (seen + settings.pooling) * (total / seen - obs_prior)
        x = pooled.copy()
        v = np.full(npairs, settings.stationary_variance)
        phi, q = settings.persistence, settings.drift
        started = np.zeros(npairs, dtype=bool)
        latest = np.zeros(npairs, dtype=np.int64)
        for y in range(int(year.min()), int(year.max()) + 1):
            rows = year == y
            if not rows.any():
                x = pooled + phi * (x - pooled)
                v = np.where(started, phi**2 * v + q, v)
                continue
            x = np.where(started, pooled + phi * (x - pooled), x)
            v = np.where(started, phi**2 * v + q, v)
            precision = np.bincount(where[rows], weights=1.0 / noise[rows], minlength=npairs)
            weighted = np.bincount(
                where[rows], weights=latent[rows] / noise[rows], minlength=npairs
            )
            hit = precision > 0
            z = np.divide(weighted, precision, out=np.zeros(npairs), where=hit)
            gain = np.divide(v, v + 1.0 / np.where(hit, precision, 1.0))
            x = np.where(hit, x + gain * (z - x), x)
            v = np.where(hit, (1.0 - gain) * v, v)
            started |= hit
            latest = np.where(hit, y, latest)
        # every pair's state now stands at the last fieldwork year of the panel: forecast it on
        # to the start
        h = max(start - (int(year.max()) + FIELDWORK), 0.0)
        decay = phi**h
        x = pooled + decay * (x - pooled)
        v = decay**2 * v + (1.0 - decay**2) * settings.stationary_variance
        for arr, values in ((mean, x), (variance, v), (long_run, pooled)):
            arr.ravel()[pairs] = values
        count.ravel()[pairs] = seen
        last.ravel()[pairs] = latest
    return OpinionStart(
        prior=prior,
        mean=mean,
        variance=variance,
        long_run=long_run,
        observations=count,
        last_year=last,
        persistence=settings.persistence,
    )


def settings_of(params: Parameters) -> OpinionSettings:
    """Return the `OpinionSettings` held by a `sim.params.Parameters`."""
    return OpinionSettings(
        persistence=params.opinion_persistence,
        drift=params.opinion_drift,
        noise=params.opinion_noise,
        pooling=params.opinion_pooling,
    )


@dataclass(frozen=True)
class PanelRows:
    """Panel rows in the indices of one world, before one start, on the latent scale.

    Attributes:
        observer: (row,) observer index.
        actor: (row,) actor index.
        year: (row,) fieldwork year.
        family: (row,) ``survey:question``.
        measured: (row,) logit of the published share.
        latent: (row,) the same on the latent scale.
        links: The observation model of each family, fitted on these rows.

    """

    observer: np.ndarray
    actor: np.ndarray
    year: np.ndarray
    family: np.ndarray
    measured: np.ndarray
    latent: np.ndarray
    links: dict[str, SurveyLink]

    def before(self, start: float) -> np.ndarray:
        """Return (row,) whether each row was fielded before ``start`` (a fractional year)."""
        return self.year + FIELDWORK <= start

    def noise(self, settings: OpinionSettings) -> np.ndarray:
        """Return (row,) each observation's measurement variance on the latent scale."""
        slope = np.array([self.links[f].slope for f in self.family])
        return settings.noise / slope**2


def panel_rows(panel: OpinionPanel, iso3: tuple[str, ...], until: int) -> PanelRows:
    """Select the rows of ``panel`` (a `sim.world.opinion.OpinionPanel`) between nations of the
    world up to fieldwork year ``until``, and fit the survey links on them.
    """
    index = {code: i for i, code in enumerate(iso3)}
    observer = np.array([index.get(c, -1) for c in panel.observer])
    actor = np.array([index.get(c, -1) for c in panel.target])
    year = panel.year
    keep = (observer >= 0) & (actor >= 0) & (observer != actor) & (year <= until)
    family = panel.family[keep]
    measured = logit(panel.value[keep])
    o, a, y = observer[keep], actor[keep], year[keep]
    links = fit_survey_links(family, o * len(iso3) + a, y, measured)
    latent = np.array(
        [links[f].to_latent(m) for f, m in zip(family, measured, strict=True)], dtype=float
    )
    return PanelRows(o, a, y, family, measured, latent, links)


def start_from_rows(
    prior: np.ndarray, rows: PanelRows, start: float, settings: OpinionSettings
) -> OpinionStart:
    """Return the assimilated start of ``rows`` (fieldwork before ``start``) over ``prior``."""
    before = rows.before(start)
    return assimilate(
        prior,
        rows.observer[before],
        rows.actor[before],
        rows.year[before],
        rows.latent[before],
        rows.noise(settings)[before],
        start,
        settings,
    )
