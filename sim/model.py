"""`SoftPowerModel`: the Mesa model that ties world, scenario, nations and the kernel together.

One step is one quarter: due events → nations decide → dynamics kernel → record (DESIGN §1-2).
The model owns the numpy arrays; `Nation` agents are views that make decisions.
"""

from __future__ import annotations

import weakref

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from sim import dynamics, events, exposure, metrics
from sim.dynamics import AUDIENCES, CHANNELS
from sim.nation import DecisionContext, Nation
from sim.params import Parameters
from sim.record import Recorder
from sim.scenario import Scenario, baseline_scenario
from sim.world import INITIATIVE_LEADERS, World

__all__ = ["SoftPowerModel"]

_STRATEGIES = ("need", "strategic", "retreat")


# Spin-up depends only on the world and the parameters (no randomness, no events), so its result
# is reused by later models of the same world and parameters in this process, such as the
# replications and scenarios of a batch. Bounded; entries of a collected world are dropped.
_SPIN_UP_CACHE: dict[tuple[int, Parameters], tuple[weakref.ref, np.ndarray, np.ndarray]] = {}
_SPIN_UP_CACHE_SIZE = 8


def _spin_up(model: SoftPowerModel) -> tuple[np.ndarray, np.ndarray]:
    """Return (perception, credibility) after ``spinup_steps`` frozen-input kernel steps."""
    key = (id(model.world), model.parameters)
    hit = _SPIN_UP_CACHE.get(key)
    if hit is not None and hit[0]() is model.world:
        return hit[1].copy(), hit[2].copy()
    state = dynamics.State(model.anchor.copy(), model.credibility_target.copy())
    inputs = model._inputs()
    kernel = model.kernel_parameters
    for _ in range(model.parameters.spinup_steps):
        state = dynamics.step(state, inputs, kernel)
    for k in [k for k, v in _SPIN_UP_CACHE.items() if v[0]() is None]:
        del _SPIN_UP_CACHE[k]
    while len(_SPIN_UP_CACHE) >= _SPIN_UP_CACHE_SIZE:
        del _SPIN_UP_CACHE[next(iter(_SPIN_UP_CACHE))]
    _SPIN_UP_CACHE[key] = (weakref.ref(model.world), state.perception, state.credibility)
    return state.perception.copy(), state.credibility.copy()


class SoftPowerModel(mesa.Model):
    """Nations projecting soft power over a trade-and-alliance network.

    Args:
        world: The starting world (default: the bundled 60 nations).
        scenario: What happens when (default: the baseline, no events).
        parameters: Base parameters; the scenario's overrides are applied on top.
        rng: Seed, `numpy.random.SeedSequence` or Generator; the same value gives the same run.
        record_every: Record attraction every K steps (the last step always).
        steps: Horizon override (default: the scenario's).

    Attributes:
        capacity: (actor, channel), current.
        perception: (observer, audience, actor, channel) in [-1, 1].
        credibility: (observer, actor) in [0, 1].
        current_attraction: (observer, actor) attraction when this step's decisions are made.
        current_elite_perception: (observer, actor) elite perception averaged over channels,
            when this step's decisions are made.
        recorder: Per-step outputs.

    """

    def __init__(
        self,
        world: World | None = None,
        scenario: Scenario | None = None,
        parameters: Parameters | None = None,
        rng: int | np.random.SeedSequence | np.random.Generator | None = None,
        record_every: int = 1,
        steps: int | None = None,
    ) -> None:
        if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
            # An int means the same run as `softpower run --seed N`: SeedSequence(N).
            rng = np.random.SeedSequence(int(rng))
        if isinstance(rng, np.random.SeedSequence):
            rng = np.random.default_rng(rng)
        super().__init__(rng=rng)
        self.world = world if world is not None else World.load()
        scenario = scenario if scenario is not None else baseline_scenario()
        if steps is not None:
            scenario = scenario.with_steps(steps)
        self.spec = scenario
        self.parameters = Parameters.from_mapping(scenario.parameters, base=parameters)
        self.horizon = scenario.steps
        w, p = self.world, self.parameters
        n = w.n
        self.n = n
        self.iso3 = w.iso3

        # --- structure that events and decisions change ---
        self.capacity = w.capacity.copy()
        self.reference_capacity = w.capacity.copy()
        self.valence = np.full((n, len(CHANNELS)), p.message_valence)
        self.untaxed_trade = w.trade.copy()
        self.untaxed_imports = w.imports.copy()
        self.tariff = np.zeros((n, n))  # tariff[i, j]: i's tariff rate on imports from j
        self.trade = w.trade.copy()
        self.imports = w.imports.copy()
        self.alliance = w.alliance.copy()
        self.rivalry = w.rivalry.copy()
        self.initiatives = sorted(set(w.groups) | {"BRI", "PARIS", "WHO"})
        self.members = w.membership_matrix(self.initiatives)
        self.restriction = np.ones((n, len(AUDIENCES), n, len(CHANNELS)))
        self.aid_strategy = np.array(
            [_STRATEGIES.index(w.aid_strategy.get(c, "need")) for c in w.iso3]
        )
        self.same_region = w.same_region()
        self.need = w.need()
        self.audience_weight = exposure.audience_weights(w.median_age)
        self.reach = exposure.audience_reach(w.internet)
        self.good = np.zeros((n, n))
        self.bad = np.zeros((n, n))
        self.aid_allocation = np.zeros((n, n))
        for k in np.flatnonzero(self.capacity[:, CHANNELS.index("aid")] > 0):
            self.aid_allocation[k] = self._aid_target(k, strategy=0)
        self._pending_ramps: list[events.Ramp] = []
        self._dirty = True
        self._aid_dirty = False
        self._decision_context: DecisionContext | None = None
        self._kernel_parameters: tuple[Parameters, dynamics.KernelParameters] | None = None
        self._refresh()

        # --- initial state from structure, then spin-up with frozen inputs ---
        self.anchor = self._anchor()
        self.credibility_target = self._credibility_target()
        self.perception, self.credibility = _spin_up(self)

        # --- Mesa agents on a network space with integer node ids ---
        graph = nx.Graph()
        graph.add_nodes_from((i, {"iso3": c}) for i, c in enumerate(w.iso3))
        ties = (self.trade + self.trade.T > 0.02) | (self.alliance > 0)
        graph.add_edges_from(zip(*np.nonzero(np.triu(ties, 1)), strict=True))
        layout = {i: (float(w.lon[i]), float(w.lat[i])) for i in range(n)}
        self.space = Network(graph, random=self.random, layout=layout)
        Nation.create_agents(self, n, index=list(range(n)), cell=[self.space[i] for i in range(n)])
        self.nations: list[Nation] = sorted(self.agents_by_type[Nation], key=lambda a: a.index)

        self.current_attraction = self.attraction()
        self.current_elite_perception = self.elite_perception()
        self.familiarity_reference = float(self.salience().mean(axis=0).max())
        self.schedule_events = events.schedule(scenario)
        self.recorder = Recorder(self, record_every=record_every)
        self.recorder.record(0)

    # ------------------------------------------------------------------ derived arrays
    @property
    def kernel_parameters(self) -> dynamics.KernelParameters:
        """The parameters in the shapes the kernel needs (rebuilt when `parameters` changes)."""
        cached = self._kernel_parameters
        if cached is not None and cached[0] is self.parameters:
            return cached[1]
        kernel = self._shape_kernel_parameters(self.parameters)
        self._kernel_parameters = (self.parameters, kernel)
        return kernel

    @staticmethod
    def _shape_kernel_parameters(p: Parameters) -> dynamics.KernelParameters:
        receptivity = np.array([p.receptivity_youth, p.receptivity_public, p.receptivity_elite])[
            :, None
        ] * np.ones(len(CHANNELS))
        return dynamics.KernelParameters(
            stubbornness=p.stubbornness,
            receptivity=receptivity,
            saturation=np.full(len(CHANNELS), p.saturation),
            loss_aversion=p.loss_aversion,
            credibility_recovery=p.credibility_recovery,
            credibility_gain=p.credibility_gain,
            credibility_loss=p.credibility_loss,
            credibility_weight=np.array(
                [
                    p.credibility_weight_culture,
                    p.credibility_weight_tech,
                    p.credibility_weight_aid,
                    p.credibility_weight_diplomacy,
                ]
            ),
        )

    def mark_dirty(self) -> None:
        """Ask for exposure, ties and the decision context to be recomputed before next use."""
        self._dirty = True
        self._decision_context = None

    @property
    def decision_context(self) -> DecisionContext:
        """Partners, rivals and initiative leaders as nations' decisions read them."""
        if self._decision_context is None:
            self._decision_context = DecisionContext.of(self)
        return self._decision_context

    def mark_aid_dirty(self) -> None:
        """Ask for the aid slice of exposure to be recomputed (aid allocations changed)."""
        self._aid_dirty = True

    def _refresh(self) -> None:
        if not self._dirty:
            if self._aid_dirty:
                self.exposure[:, :, :, CHANNELS.index("aid")] = exposure.aid_exposure(
                    self.aid_allocation, self.need, self._boost, self.reach, self.restriction
                )
                self._aid_dirty = False
            return
        p = self.parameters
        self.shared = exposure.shared_membership(self.members)
        boost = np.ones((self.n, self.n))
        for initiative, leader in INITIATIVE_LEADERS.items():
            if leader in self.iso3 and initiative in self.initiatives:
                k = self.iso3.index(leader)
                col = self.members[:, self.initiatives.index(initiative)]
                boost[:, k] += p.initiative_exposure_boost * col
        self.exposure = exposure.exposure(
            same_region=self.same_region,
            trade=self.trade,
            imports=self.imports,
            alliance=self.alliance,
            shared=self.shared,
            aid_allocation=self.aid_allocation,
            need=self.need,
            reach=self.reach,
            restriction=self.restriction,
            initiative_boost=boost,
            params=p,
        )
        self._boost = boost
        self.ties = exposure.social_ties(self.trade, self.alliance, self.shared, p)
        self._dirty = False
        self._aid_dirty = False

    def apply_tariffs(self) -> None:
        """Recompute trade ties from the untaxed ties and the tariff levels in force.

        Imports of i from j are divided by 1 + elasticity × tariff[i, j]; the two-way trade tie by
        1 + elasticity × the mean of both directions' tariffs. Then the anchor follows trade.
        """
        e = self.parameters.tariff_elasticity
        self.imports = self.untaxed_imports / (1.0 + e * self.tariff)
        self.trade = self.untaxed_trade / (1.0 + e * (self.tariff + self.tariff.T) / 2.0)
        self.anchor = self._anchor()
        self.mark_dirty()

    def _anchor(self) -> np.ndarray:
        """Structural perception p0 from alliances, rivalries, region and trade."""
        p = self.parameters
        trade = (self.trade + self.trade.T) / 2.0
        base = (
            p.prior_alliance * self.alliance
            - p.prior_rivalry * self.rivalry
            + p.prior_region * self.same_region
            + p.prior_trade * trade
        )
        base = np.clip(base, -1.0, 1.0)
        np.fill_diagonal(base, 1.0)
        return np.broadcast_to(
            base[:, None, :, None], (self.n, len(AUDIENCES), self.n, len(CHANNELS))
        ).copy()

    def _credibility_target(self) -> np.ndarray:
        p = self.parameters
        target = (
            p.credibility_base
            + p.credibility_alliance * self.alliance
            - p.credibility_rivalry * self.rivalry
        )
        target = np.clip(target, 0.0, 1.0)
        np.fill_diagonal(target, 1.0)
        return target

    def _cut(self) -> np.ndarray:
        ref = self.reference_capacity
        return np.divide(
            np.maximum(ref - self.capacity, 0.0), ref, out=np.zeros_like(ref), where=ref > 0
        )

    def _inputs(self) -> dynamics.Inputs:
        self._refresh()
        return dynamics.Inputs(
            capacity=self.capacity,
            exposure=self.exposure,
            anchor=self.anchor,
            ties=self.ties,
            valence=self.valence,
            cut=self._cut(),
            credibility_target=self.credibility_target,
            good=self.good,
            bad=self.bad,
        )

    def _aid_target(self, donor: int, strategy: int | None = None) -> np.ndarray:
        """Allocation shares of a donor's aid over recipients under its strategy."""
        strategy = self.aid_strategy[donor] if strategy is None else strategy
        weight = self.need.copy()
        weight[donor] = 0.0
        if _STRATEGIES[strategy] == "strategic":
            lean = np.clip(self.current_attraction[:, donor], 0.0, None)
            weight = weight * (1.0 + self.alliance[donor] + lean)
        elif _STRATEGIES[strategy] == "retreat":
            # What is left goes to allies first (the volume cut itself is a capacity event).
            weight = weight * (0.25 + self.alliance[donor])
        total = weight.sum()
        return weight / total if total > 0 else weight

    # ------------------------------------------------------------------ outputs
    def attraction(self) -> np.ndarray:
        """Return a[i,k] (observer, actor) in [-1, 1]."""
        return metrics.attraction(
            self.perception, self.audience_weight, np.array(self.parameters.channel_weights)
        )

    def elite_perception(self) -> np.ndarray:
        """Return (observer, actor): the elite's perception averaged over channels."""
        elite = self.perception[:, AUDIENCES.index("elite")]
        # Channel by channel: a reduction over the short last axis is slow in NumPy.
        total = elite[:, :, 0].copy()
        for d in range(1, len(CHANNELS)):
            total += elite[:, :, d]
        return total / len(CHANNELS)

    def salience(self) -> np.ndarray:
        """Return f[i,k] (observer, actor): k's share of i's attention."""
        self._refresh()
        return metrics.salience(self.capacity, self.exposure, self.audience_weight)

    def scores(self) -> np.ndarray:
        """Return the soft power index of each nation, in [0, 100]."""
        return metrics.soft_power_score(
            self.attraction(),
            self.salience(),
            self.parameters.salience_alpha,
            self.familiarity_reference,
        )

    def member_of(self, initiative: str) -> np.ndarray:
        """Return the 0/1 membership vector of an initiative or group."""
        return self.members[:, self.initiatives.index(initiative)]

    # ------------------------------------------------------------------ step
    def step(self) -> None:
        """Advance one quarter: due events, nations' decisions, the kernel, recording."""
        t = self.steps - 1  # Mesa has already counted this step; events at step t act now.
        events.apply_due(self, t)
        if t in self.schedule_events:  # an event (a news shock) may have moved perception
            self.current_attraction = self.attraction()
        else:  # perception is as the recorder saw it at the end of the last step
            self.current_attraction = self.recorder.last_attraction
        self.current_elite_perception = self.elite_perception()
        draws = iter(self.rng.random(len(self.nations)).tolist())
        self.agents_by_type[Nation].shuffle_do(lambda nation: nation.decide(next(draws)))
        state = dynamics.step(
            dynamics.State(self.perception, self.credibility),
            self._inputs(),
            self.kernel_parameters,
        )
        self.perception, self.credibility = state.perception, state.credibility
        rate = self.parameters.reference_adaptation
        self.reference_capacity += rate * (self.capacity - self.reference_capacity)
        self.good[:] = 0.0
        self.bad[:] = 0.0
        self.recorder.record(self.steps)
        if self.steps >= self.horizon:
            self.running = False

    def run(self) -> SoftPowerModel:
        """Run to the horizon and return self."""
        while self.running and self.steps < self.horizon:
            self.step()
        return self
