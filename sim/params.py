"""The one parameter registry: each model parameter's type, default, range, unit and meaning.

The scenario schema, experiment designs, the app's sliders, calibration and the ODD document all
read this registry; nothing else lists parameter names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.errors import ParameterError, suggest
from sim.parameter_spec import ASSUMPTION, ParameterSpec, parameter

__all__ = [
    "ASSUMPTION",
    "ParameterSpec",
    "Parameters",
    "REGISTRY",
    "KEY_PARAMETERS",
    "parameter",
]


@dataclass(frozen=True)
class Parameters:
    """All model parameters. Build with ``Parameters.from_mapping({...})`` to validate overrides."""

    # --- the world as built from data (read by `sim.world` when it loads the bundled files) ---
    unlisted_trade_share: float = parameter(
        0.5,
        0.0,
        1.0,
        "1",
        "share of the trade outside a nation's listed top-5 partners spread over the other nations",
        "world",
    )
    loan_aid_equivalence: float = parameter(
        0.5,
        0.0,
        1.0,
        "1",
        "share of China's development-finance face value counted as aid (mostly loans, not grants)",
        "world",
    )
    # --- audiences: who listens, through which channel ---
    youth_share_reference: float = parameter(
        0.3,
        0.0,
        1.0,
        "share of population",
        "youth audience weight of a nation with median age 30 (scales as 30 / median age)",
        "audience",
    )
    youth_share_min: float = parameter(
        0.1, 0.0, 1.0, "share of population", "smallest youth audience weight", "audience"
    )
    youth_share_max: float = parameter(
        0.5, 0.0, 1.0, "share of population", "largest youth audience weight", "audience"
    )
    elite_share: float = parameter(
        0.1,
        0.0,
        0.5,
        "share of population",
        "weight of the elite audience in every nation",
        "audience",
    )
    offline_reach: float = parameter(
        0.5,
        0.0,
        1.0,
        "1",
        "reach of culture and tech for youth and public where nobody is online",
        "audience",
    )
    reach_youth_culture: float = parameter(
        1.0,
        0.0,
        1.0,
        "1",
        "how far culture reaches the youth audience (before internet use)",
        "audience",
    )
    reach_youth_tech: float = parameter(
        1.0,
        0.0,
        1.0,
        "1",
        "how far tech reaches the youth audience (before internet use)",
        "audience",
    )
    reach_youth_aid: float = parameter(
        0.5,
        0.0,
        1.0,
        "1",
        "how far aid reaches the youth audience (before internet use)",
        "audience",
    )
    reach_youth_diplomacy: float = parameter(
        0.3,
        0.0,
        1.0,
        "1",
        "how far diplomacy reaches the youth audience (before internet use)",
        "audience",
    )
    reach_public_culture: float = parameter(
        0.8,
        0.0,
        1.0,
        "1",
        "how far culture reaches the public audience (before internet use)",
        "audience",
    )
    reach_public_tech: float = parameter(
        0.7,
        0.0,
        1.0,
        "1",
        "how far tech reaches the public audience (before internet use)",
        "audience",
    )
    reach_public_aid: float = parameter(
        0.8,
        0.0,
        1.0,
        "1",
        "how far aid reaches the public audience (before internet use)",
        "audience",
    )
    reach_public_diplomacy: float = parameter(
        0.6,
        0.0,
        1.0,
        "1",
        "how far diplomacy reaches the public audience (before internet use)",
        "audience",
    )
    reach_elite_culture: float = parameter(
        0.6,
        0.0,
        1.0,
        "1",
        "how far culture reaches the elite audience (before internet use)",
        "audience",
    )
    reach_elite_tech: float = parameter(
        0.9,
        0.0,
        1.0,
        "1",
        "how far tech reaches the elite audience (before internet use)",
        "audience",
    )
    reach_elite_aid: float = parameter(
        1.0,
        0.0,
        1.0,
        "1",
        "how far aid reaches the elite audience (before internet use)",
        "audience",
    )
    reach_elite_diplomacy: float = parameter(
        1.0,
        0.0,
        1.0,
        "1",
        "how far diplomacy reaches the elite audience (before internet use)",
        "audience",
    )
    # --- perception dynamics (Friedkin-Johnsen with a channel as external neighbour) ---
    stubbornness: float = parameter(
        0.1,
        0.0,
        1.0,
        "1",
        "weight θ of the structural anchor p0 in each quarterly update",
        "dynamics",
    )
    saturation: float = parameter(
        0.5, 0.01, 10.0, "capacity units", "κ: signal level at which returns halve", "dynamics"
    )
    receptivity_youth: float = parameter(
        0.7, 0.0, 1.0, "1", "ν for youth: how far youth move toward the channel message", "dynamics"
    )
    receptivity_public: float = parameter(
        0.5, 0.0, 1.0, "1", "ν for the general public", "dynamics"
    )
    receptivity_elite: float = parameter(0.4, 0.0, 1.0, "1", "ν for elites", "dynamics")
    message_valence: float = parameter(
        0.8,
        0.0,
        1.0,
        "1",
        "tone of an actor's projection before credibility discounts it",
        "dynamics",
    )
    loss_aversion: float = parameter(
        1.5,
        0.0,
        5.0,
        "1",
        "λ_L: penalty per unit of withdrawn capacity, felt where exposure was high",
        "dynamics",
    )
    reference_adaptation: float = parameter(
        0.05,
        0.0,
        1.0,
        "1/quarter",
        "rate at which the reference capacity forgets a cut",
        "dynamics",
    )
    self_tie_weight: float = parameter(
        4.0, 0.0, 10.0, "1", "weight of a nation's own opinion in its social mix W", "dynamics"
    )
    trade_tie_weight: float = parameter(
        1.0, 0.0, 10.0, "1", "weight of trade ties in the social mix W", "dynamics"
    )
    alliance_tie_weight: float = parameter(
        0.5, 0.0, 10.0, "1", "weight of alliance ties in the social mix W", "dynamics"
    )
    membership_tie_weight: float = parameter(
        0.3, 0.0, 10.0, "1", "weight of shared memberships in the social mix W", "dynamics"
    )
    social_tie_count: int = parameter(
        16,
        1,
        200,
        "ties",
        "strongest ties each observer listens to in the social mix W (the weight of all its ties"
        " spread over them)",
        "dynamics",
    )
    # --- credibility ---
    credibility_recovery: float = parameter(
        0.04,
        0.0,
        1.0,
        "1/quarter",
        "ε: pull of credibility back to its structural level",
        "credibility",
    )
    credibility_gain: float = parameter(
        0.3,
        0.0,
        1.0,
        "1",
        "r⁺: share of the gap to full credibility closed by a good event",
        "credibility",
    )
    credibility_loss: float = parameter(
        0.6,
        0.0,
        1.0,
        "1",
        "r⁻: share of credibility lost by a bad event of magnitude 1",
        "credibility",
    )
    credibility_weight_culture: float = parameter(
        0.3, 0.0, 1.0, "1", "c: how far a culture message depends on credibility", "credibility"
    )
    credibility_weight_tech: float = parameter(
        0.5, 0.0, 1.0, "1", "c: how far a technology message depends on credibility", "credibility"
    )
    credibility_weight_aid: float = parameter(
        0.7, 0.0, 1.0, "1", "c: how far an aid message depends on credibility", "credibility"
    )
    credibility_weight_diplomacy: float = parameter(
        1.0, 0.0, 1.0, "1", "c: how far a diplomatic message depends on credibility", "credibility"
    )
    credibility_base: float = parameter(
        0.55, 0.0, 1.0, "1", "structural credibility between unrelated nations", "credibility"
    )
    credibility_alliance: float = parameter(
        0.3, 0.0, 1.0, "1", "added structural credibility between allies", "credibility"
    )
    credibility_rivalry: float = parameter(
        0.45, 0.0, 1.0, "1", "structural credibility removed between rivals", "credibility"
    )
    # --- exposure ---
    exposure_global_reach: float = parameter(
        0.3,
        0.0,
        1.0,
        "1",
        "culture/diplomacy exposure every observer has to every actor",
        "exposure",
    )
    exposure_region: float = parameter(
        0.3, 0.0, 1.0, "1", "added culture exposure within a UN region", "exposure"
    )
    initiative_exposure_boost: float = parameter(
        0.5,
        0.0,
        3.0,
        "1",
        "relative rise of the initiator's aid and diplomacy exposure in members",
        "exposure",
    )
    exposure_tech_global_share: float = parameter(
        0.5, 0.0, 1.0, "1", "share of the global reach that tech exposure gets", "exposure"
    )
    exposure_tech_imports: float = parameter(
        2.0, 0.0, 10.0, "1", "tech exposure per unit of the observer's import share", "exposure"
    )
    exposure_diplomacy_alliance: float = parameter(
        0.4, 0.0, 1.0, "1", "diplomacy exposure added by an alliance", "exposure"
    )
    exposure_diplomacy_membership: float = parameter(
        0.6,
        0.0,
        1.0,
        "1",
        "diplomacy exposure per unit of shared membership (Jaccard of groups)",
        "exposure",
    )
    tariff_elasticity: float = parameter(
        1.0, 0.0, 5.0, "1", "trade ties are divided by 1 + elasticity × tariff rate", "exposure"
    )
    # --- initial state ---
    prior_alliance: float = parameter(0.5, 0.0, 1.0, "1", "anchor perception of an ally", "initial")
    prior_rivalry: float = parameter(
        0.6, 0.0, 1.0, "1", "anchor perception removed for a rival", "initial"
    )
    prior_region: float = parameter(
        0.1, 0.0, 1.0, "1", "anchor perception added for a nation of the same UN region", "initial"
    )
    prior_values_distance: float = parameter(
        1.25,
        0.0,
        2.0,
        "1",
        "anchor perception removed per unit of values distance |freedom_i − freedom_k|",
        "initial",
        "calibrated on polls up to 2024 (docs/validation.md)",
    )
    prior_common_rival: float = parameter(
        1.0,
        0.0,
        1.0,
        "1",
        "anchor perception added for an actor that shares a rival with the observer (the enemy "
        "of my enemy)",
        "initial",
        "calibrated on polls up to 2024 (docs/validation.md)",
    )
    prior_values_asymmetry: float = parameter(
        0.0,
        0.0,
        1.0,
        "1",
        "share of the values distance not held against an actor freer than the observer (0: "
        "|freedom_i − freedom_k| both ways; 1: only an actor's lesser freedom counts)",
        "initial",
        "tried on polls up to 2024, not adopted: it lowered the held-out index fit more than it "
        "improved the polls (docs/validation.md)",
    )
    prior_governance: float = parameter(
        0.0,
        0.0,
        2.0,
        "1",
        "anchor perception added per unit of the actor's governance quality (WGI, −1..1)",
        "initial",
        "calibrated on polls up to 2024 (docs/validation.md)",
    )
    prior_trade: float = parameter(
        0.5, 0.0, 2.0, "1", "anchor perception per unit of trade share", "initial"
    )
    spinup_steps: int = parameter(
        40,
        0,
        400,
        "quarters",
        "frozen-input quarters run before step 0 to reach the 2024/25 state",
        "initial",
    )
    opinion_start: int = parameter(
        1, 0, 1, "switch", "start surveyed pairs from their polls (1) or structure (0)", "initial"
    )
    opinion_persistence: float = parameter(
        0.95,
        0.0,
        1.0,
        "1/year",
        "share of a pair's deviation from its long-run opinion left after a year (the slow pull)",
        "initial",
        "fitted on the opinion panel up to 2024 (softpower backtest, docs/validation.md)",
    )
    opinion_drift: float = parameter(
        0.04,
        0.0,
        2.0,
        "logit²/year",
        "variance of the yearly change of a pair's latent opinion",
        "initial",
        "fitted on the opinion panel up to 2024 (softpower backtest, docs/validation.md)",
    )
    opinion_noise: float = parameter(
        0.03,
        0.001,
        1.0,
        "logit²",
        "variance of one survey's measurement of the latent opinion (sampling and house effects)",
        "initial",
        "fitted on the opinion panel up to 2024 (softpower backtest, docs/validation.md)",
    )
    opinion_pooling: float = parameter(
        100.0,
        0.0,
        100.0,
        "observations",
        "polls' worth of the structural prior in a pair's long-run opinion (partial pooling)",
        "initial",
        "fitted on the opinion panel up to 2024 (softpower backtest, docs/validation.md)",
    )
    # --- nation decisions ---
    decision_rate: float = parameter(
        0.25,
        0.0,
        1.0,
        "1/quarter",
        "probability that a nation reviews its choices in a quarter",
        "decisions",
    )
    join_threshold: float = parameter(
        0.25,
        -1.0,
        1.0,
        "attraction",
        "attraction to the initiator above which a nation joins",
        "decisions",
    )
    leave_threshold: float = parameter(
        -0.65,
        -1.0,
        1.0,
        "attraction",
        "attraction below which a member leaves (hysteresis)",
        "decisions",
        "set to the observed Belt and Road exit rate up to 2024 (one exit, Italy 2023, among about "
        "150 members: sim/data/bri_members_full.csv): the un193 baseline loses 2-5 of 143 in ten "
        "years (docs/ODD.md)",
    )
    contagion_weight: float = parameter(
        0.2,
        0.0,
        1.0,
        "attraction",
        "threshold relief when enough partners are members",
        "decisions",
    )
    contagion_threshold: float = parameter(
        0.4,
        0.0,
        1.0,
        "1",
        "share of trade partners in the initiative that triggers contagion",
        "decisions",
    )
    restriction_threshold: float = parameter(
        -0.3,
        -1.0,
        0.0,
        "perception",
        "elite perception of a rival below which it is restricted",
        "decisions",
    )
    restriction_severity: float = parameter(
        0.5,
        0.0,
        1.0,
        "1",
        "share of a rival's culture exposure removed by a restriction",
        "decisions",
    )
    aid_reallocation_rate: float = parameter(
        0.25,
        0.0,
        1.0,
        "1/quarter",
        "speed at which donors move aid toward their strategy's target",
        "decisions",
    )
    aid_retreat_floor: float = parameter(
        0.25,
        0.0,
        1.0,
        "1",
        "weight of a non-ally under the retreat aid strategy (allies get 1 more)",
        "decisions",
    )
    withdrawal_credibility_cost: float = parameter(
        0.15,
        0.0,
        1.0,
        "1",
        "bad-event magnitude among members when an actor leaves an agreement",
        "decisions",
    )
    # --- outputs ---
    weight_culture: float = parameter(
        0.3, 0.0, 1.0, "1", "ω: weight of culture in attraction (weights are normalised)", "output"
    )
    weight_tech: float = parameter(
        0.25, 0.0, 1.0, "1", "ω: weight of technology in attraction", "output"
    )
    weight_aid: float = parameter(0.2, 0.0, 1.0, "1", "ω: weight of aid in attraction", "output")
    weight_diplomacy: float = parameter(
        0.25, 0.0, 1.0, "1", "ω: weight of diplomacy in attraction", "output"
    )
    # --- event responses: measurable event sizes mapped to perception and credibility ---
    event_persistence: float = parameter(
        1.0,
        0.0,
        1.0,
        "1",
        "share of an event's jump in perception that lasts: it shifts the observers' anchor "
        "toward the actor until an opposite event undoes it (news shocks do not last)",
        "events",
        "estimated on the later poll waves of history episodes (docs/validation.md)",
    )
    tariff_perception: float = parameter(
        0.103,
        0.0,
        10.0,
        "attraction per (rate × trade share)",
        "fall of a target's attraction to a tariffing actor per unit of rate × its trade share",
        "events",
        "not estimated (no episode): set equal to threat_perception, so that a 100 % tariff on "
        "all of a partner's trade counts as a threat of severity 1 (docs/validation.md)",
    )
    aid_cut_perception: float = parameter(
        0.1,
        0.0,
        2.0,
        "attraction per % of GDP",
        "fall of a recipient's attraction to a donor per % of its GDP in aid withdrawn",
        "events",
        "not estimated (no aid-cut episode): a stated assumption (docs/validation.md)",
    )
    withdrawal_perception: float = parameter(
        0.0,
        0.0,
        1.0,
        "attraction",
        "fall of the remaining members' attraction to a nation that leaves an agreement",
        "events",
        "estimated on history episodes (docs/validation.md): 0",
    )
    threat_perception: float = parameter(
        0.103,
        0.0,
        5.0,
        "attraction per severity",
        "fall of a threatened nation's attraction to the actor per unit of severity",
        "events",
        "estimated on history episodes (docs/validation.md)",
    )
    threat_spillover: float = parameter(
        0.0,
        0.0,
        1.0,
        "1",
        "share of a threat's effect felt by the target's allies and region",
        "events",
        "estimated on history episodes (docs/validation.md)",
    )
    threat_credibility: float = parameter(
        0.5,
        0.0,
        1.0,
        "1 per severity",
        "bad-credibility magnitude of a threat among the threatened, per unit of severity",
        "events",
    )
    war_perception: float = parameter(
        0.3274,
        0.0,
        2.0,
        "attraction",
        "fall of every other nation's attraction to an actor that starts a war",
        "events",
        "estimated on history episodes (docs/validation.md)",
    )
    war_coalition_factor: float = parameter(
        0.25,
        0.0,
        1.0,
        "1",
        "share of a war's effect felt by the nations that joined the coalition",
        "events",
    )
    war_opponent_factor: float = parameter(
        1.5,
        1.0,
        4.0,
        "1",
        "multiple of a war's effect felt by the nations that opposed it",
        "events",
    )
    leader_perception: float = parameter(
        0.7851,
        0.0,
        2.0,
        "attraction per stance",
        "attraction change per unit of a new leader's nationalist stance and of values distance",
        "events",
        "estimated on history episodes (docs/validation.md)",
    )
    leader_pivot: float = parameter(
        0.1839,
        0.0,
        1.0,
        "freedom score",
        "freedom score (0-1) of the observers a change of leader leaves indifferent",
        "events",
        "estimated on history episodes (docs/validation.md)",
    )
    # --- observation: from the state to polls and the index (sim.model.observe) ---
    favourable_intercept: float = parameter(
        -0.0965,
        -5.0,
        5.0,
        "logit",
        "logit of the favourable share at attraction 0 (the link's midpoint)",
        "output",
        "fitted to Pew favourability 2019-2024 (docs/validation.md)",
    )
    favourable_slope: float = parameter(
        1.3247,
        0.0,
        20.0,
        "logit per attraction unit",
        "slope of the logistic link from attraction to the favourable share",
        "output",
        "fitted to Pew favourability 2019-2024 (docs/validation.md)",
    )
    familiarity_memory: float = parameter(
        16.0,
        1.0,
        80.0,
        "quarters",
        "memory of the familiarity stock (it moves 1/memory of the way to today's attention)",
        "output",
    )
    index_curvature: float = parameter(
        0.25,
        0.05,
        1.0,
        "1",
        "exponent of familiarity and influence relative to the best nation (diminishing returns)",
        "output",
        "fitted by softpower calibrate observation (docs/validation.md)",
    )
    score_weight_familiarity: float = parameter(
        0.5958,
        0.0,
        2.0,
        "points per point",
        "weight of familiarity (0-100) in the soft power score",
        "output",
        "fitted to GSPI 2024 scores on core60, US-China gap held (docs/validation.md)",
    )
    score_weight_reputation: float = parameter(
        0.3449,
        0.0,
        2.0,
        "points per point",
        "weight of reputation (favourable % among the polled publics) in the soft power score",
        "output",
        "fitted to GSPI 2024 scores on core60, US-China gap held (docs/validation.md)",
    )
    score_weight_influence: float = parameter(
        0.0,
        0.0,
        2.0,
        "points per point",
        "weight of influence (diplomatic presence, 0-100) in the soft power score",
        "output",
        "fitted to GSPI 2024 scores on core60, US-China gap held (docs/validation.md)",
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            REGISTRY[f.name].validate(getattr(self, f.name))

    @classmethod
    def from_mapping(
        cls,
        values: Mapping[str, Any] | None = None,
        *,
        base: Parameters | None = None,
        file: str | None = None,
        lines: Mapping[str, int] | None = None,
    ) -> Parameters:
        """Build parameters from defaults (or ``base``) with validated overrides.

        Args:
            values: Overrides by name.
            base: Parameters to start from (defaults when None).
            file: File the overrides came from, for error messages.
            lines: Line of each override in that file.

        Returns:
            A new, validated `Parameters`.

        Raises:
            ParameterError: An unknown name or a value of the wrong type or out of range.

        """
        base = base or cls()
        lines = lines or {}
        changes = {}
        for name, value in (values or {}).items():
            if name not in REGISTRY:
                raise ParameterError(
                    "unknown parameter",
                    file=file,
                    line=lines.get(name),
                    key=str(name),
                    expected="a name from `softpower params`",
                    suggestion=suggest(str(name), REGISTRY),
                )
            changes[name] = REGISTRY[name].validate(value, file=file, line=lines.get(name))
            REGISTRY[name].check_settable(changes[name], file=file, line=lines.get(name))
        return dataclasses.replace(base, **changes)

    def to_dict(self) -> dict[str, float | int]:
        """Return the parameters as a plain ``{name: value}`` dictionary."""
        return dataclasses.asdict(self)

    @property
    def channel_weights(self) -> tuple[float, float, float, float]:
        """Normalised ω over (culture, tech, aid, diplomacy)."""
        raw = (self.weight_culture, self.weight_tech, self.weight_aid, self.weight_diplomacy)
        total = sum(raw) or 1.0
        # Four weights make four shares; mypy does not count through tuple(generator).
        return tuple(w / total for w in raw)  # type: ignore[return-value]


REGISTRY: dict[str, ParameterSpec] = {
    f.name: ParameterSpec(
        name=f.name,
        type=int if f.type in ("int", int) else float,
        # Every field has a default (Parameters() is the reference set), never MISSING.
        default=f.default,  # type: ignore[arg-type]
        low=f.metadata["low"],
        high=f.metadata["high"],
        unit=f.metadata["unit"],
        meaning=f.metadata["meaning"],
        group=f.metadata["group"],
        source=f.metadata["source"],
    )
    for f in dataclasses.fields(Parameters)
}

#: Parameters shown as sliders in the app and swept by the default sensitivity design.
KEY_PARAMETERS: tuple[str, ...] = (
    "stubbornness",
    "saturation",
    "receptivity_youth",
    "loss_aversion",
    "credibility_loss",
    "credibility_recovery",
    "familiarity_memory",
    "event_persistence",
)
