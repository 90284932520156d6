"""`SoftPowerModel`: the Mesa model that ties world, scenario, nations and the kernel together.

One step is one quarter: due events → nations decide → dynamics kernel → record
(docs/architecture.md §1, docs/ODD.md §3).
The model owns the numpy arrays; `Nation` agents are views that make decisions.
"""

from __future__ import annotations

import dataclasses
import functools
import weakref
from typing import Any, Protocol

import mesa
import numpy as np

from sim.axes import AUDIENCES, CHANNELS
from sim.model import assimilation, dynamics, effects, exposure, metrics, observe, structure
from sim.model.nation import DecisionContext, Nation
from sim.model.plan import Plan
from sim.model.record import Recorder
from sim.params import Parameters
from sim.world.bundled import bundled_world
from sim.world.opinion import PANEL_FILE, bundled_panel
from sim.world.world import INITIATIVE_LEADERS, World

__all__ = ["Plannable", "SoftPowerModel", "StepPastEndError"]


class Plannable(Protocol):
    """A run's spec: a `Plan`, or a scenario (`sim.scenario.Scenario`) that resolves to one.

    Besides resolving itself for a world, it is what readers of a run ask for: the manifest
    writes its document, file and hash (`sim.batch.tables.write_run`); reports and the app show
    its name, title, description and dates.
    """

    @property
    def name(self) -> str:
        """Slug."""
        ...

    @property
    def title(self) -> str:
        """Title for people."""
        ...

    @property
    def description(self) -> str:
        """What it asks (empty for a bare plan)."""
        ...

    @property
    def path(self) -> str | None:
        """File it came from (None for none)."""
        ...

    @property
    def as_loaded(self) -> dict[str, Any]:
        """The document as loaded, as plain data for manifests."""
        ...

    @property
    def hash(self) -> str:
        """SHA-256 of ``as_loaded``."""
        ...

    def date(self, step: int) -> str:
        """Return the ``YYYY-Qn`` label of a step."""
        ...

    def plan(self, world: World) -> Plan:
        """Return the resolved plan for ``world``."""
        ...

    def with_steps(self, steps: int) -> Plannable:
        """Return a copy with another horizon (events beyond it dropped)."""
        ...


class StepPastEndError(RuntimeError):
    """A model was asked to step beyond its horizon."""


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
    state = dynamics.spin_up(
        state, model._inputs(), model.kernel_parameters, model.parameters.spinup_steps
    )
    for k in [k for k, v in _SPIN_UP_CACHE.items() if v[0]() is None]:
        del _SPIN_UP_CACHE[k]
    while len(_SPIN_UP_CACHE) >= _SPIN_UP_CACHE_SIZE:
        del _SPIN_UP_CACHE[next(iter(_SPIN_UP_CACHE))]
    _SPIN_UP_CACHE[key] = (weakref.ref(model.world), state.perception, state.credibility)
    return state.perception.copy(), state.credibility.copy()


@functools.lru_cache(maxsize=16)
def _panel_rows(iso3: tuple[str, ...], until: int) -> assimilation.PanelRows:
    """The bundled panel's rows between nations of a world up to fieldwork year ``until``."""
    return assimilation.panel_rows(bundled_panel(), iso3, until)


class SoftPowerModel(mesa.Model):
    """Nations projecting soft power over a trade-and-alliance network.

    Args:
        world: The starting world (default: the bundled world, `sim.world.bundled_world`).
        scenario: What happens when: a `Plan`, or a scenario that resolves to one
            (default: the baseline, no events, 40 quarters from 2025-Q1).
        parameters: Base parameters; the scenario's overrides are applied on top.
        rng: Seed, `numpy.random.SeedSequence` or Generator; the same value gives the same run.
        record_every: Record attraction every K steps (the last step always).
        steps: Horizon override (default: the scenario's).

    Attributes:
        capacity: (actor, channel), current.
        perception: (observer, audience, actor, channel): in [-1, 1] from structure and
            messages; events add to it without a bound (the latent scale, docs/ODD.md §7.7).
        credibility: (observer, actor) in [0, 1].
        current_attraction: (observer, actor) attraction when this step's decisions are made.
        current_elite_perception: (observer, actor) elite perception averaged over channels,
            when this step's decisions are made.
        recorder: Per-step outputs.

    """

    def __init__(
        self,
        world: World | None = None,
        scenario: Plannable | Plan | None = None,
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
        # Refuse a step past the horizon before Mesa advances its clock and counter (the
        # instance's step is replaced on purpose, which mypy reports as method-assign).
        self._mesa_step, self.step = self.step, self._step_within_horizon  # type: ignore[method-assign]
        self.world = world if world is not None else bundled_world()
        #: What the caller passed (a scenario keeps its file, hash and calendar for outputs).
        self.spec: Plannable = scenario if scenario is not None else Plan()
        if steps is not None:
            self.spec = self.spec.with_steps(steps)
        plan = self.plan = self.spec.plan(self.world)
        self.parameters = Parameters.from_mapping(plan.parameters, base=parameters)
        self.horizon = plan.steps
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
        #: (initiatives list, its length, leader → led columns) for `_led_columns`.
        self._led: tuple[list[str], int, dict[str, list[int]]] | None = None
        self.restriction = np.ones((n, len(AUDIENCES), n, len(CHANNELS)))
        self.aid_strategy = np.array(
            [structure.AID_STRATEGIES.index(w.aid_strategy.get(c, "need")) for c in w.iso3]
        )
        self.same_region = w.same_region()
        #: (values gap freedom_i − freedom_k (observer, actor), governance (actor,)): reputation
        #: drivers of the anchor (`structure.anchor`).
        self._values = (w.freedom[:, None] - w.freedom[None, :], w.governance)
        self.need = w.need()
        self.audience_weight = exposure.audience_weights(w.median_age, p)
        self.reach = exposure.audience_reach(w.internet, p)
        self.good = np.zeros((n, n))
        self.bad = np.zeros((n, n))
        #: (observer, actor) the largest threat each observer has felt from each actor this
        #: quarter (`threat_jump`).
        self._threat_felt = np.zeros((n, n))
        #: standing[i, k]: the lasting shift of i's anchor toward k that events have set (the
        #: climate of opinion a leader, a war or a threat leaves; `event_jump`).
        self.standing = np.zeros((n, n))
        self._anchor_in_force: np.ndarray | None = None
        self.aid_allocation = np.zeros((n, n))
        self.current_attraction = np.zeros((n, n))
        for k in np.flatnonzero(self.capacity[:, CHANNELS.index("aid")] > 0):
            self.aid_allocation[k] = self.aid_target(int(k), strategy="need")
        self._pending_ramps: list[effects.Ramp] = []
        self._dirty = True
        self._aid_dirty = False
        self._decision_context: DecisionContext | None = None
        #: The last decision context, while trade and rivalry have not changed since it was built.
        self._network_context: DecisionContext | None = None
        self._kernel_parameters: tuple[Parameters, dynamics.KernelParameters] | None = None
        #: Counts recomputations of exposure (whole or its aid slice), so that derived arrays
        #: know when they are stale.
        self._exposure_version = 0
        #: The kernel's pull ν·u with what it was computed from (exposure version, capacity,
        #: kernel parameters), and θ·p0 with its anchor and kernel parameters (`_kept_inputs`).
        self._kept_pull: tuple[int, np.ndarray, dynamics.KernelParameters, np.ndarray] | None = None
        self._kept_anchored: tuple[np.ndarray, dynamics.KernelParameters, np.ndarray] | None = None
        self._refresh()

        # --- initial state from structure, then spin-up with frozen inputs ---
        self._update_structure()
        self.perception, self.credibility = _spin_up(self)

        # --- Mesa agents: thin views with decisions; the network lives in the arrays ---
        Nation.create_agents(self, n, index=list(range(n)))
        self.nations: list[Nation] = sorted(self.agents_by_type[Nation], key=lambda a: a.index)

        self.current_attraction = self.attraction()
        self.current_elite_perception = self.elite_perception()
        #: The assimilated start (`sim.model.assimilation`): each surveyed pair's latent opinion
        #: from its polls before the start, or None (structure alone).
        self.opinion = self._assimilate()
        #: (observer, actor) logit offset of the favourable shares from the structural link now.
        self.opinion_offset = self.opinion_offset_at(0)
        # --- observation: the familiarity stock starts at today's attention; the best nation at
        # the start sets the 0-100 scale of familiarity and influence for the whole run ---
        self.familiarity_stock = self.salience().mean(axis=0)
        self.familiarity_reference = float(self.familiarity_stock.max())
        self.influence_reference = float(self.diplomatic_presence().max())
        self.due_events = plan.due()
        #: Random shocks drawn when the run starts, from children of the run's generator.
        self.random_draws = effects.draw_random(plan.events, plan.steps, self.rng)
        self.recorder = Recorder(self, record_every=record_every)
        self.recorder.record(0)

    def _assimilate(self) -> assimilation.OpinionStart | None:
        p = self.parameters
        if not p.opinion_start:
            return None
        return self.assimilated_start(
            p.favourable_intercept + p.favourable_slope * self.current_attraction
        )

    def assimilated_start(self, prior: np.ndarray) -> assimilation.OpinionStart | None:
        """Return the assimilated start over a structural ``prior`` (observer, actor; logit):
        the polls of the bundled panel fielded before the run's start (None if there are none).
        The model's own start is this over the link of its step-0 attraction; calibration asks
        it for other links.
        """
        year, quarter = self.plan.start
        rows = _panel_rows(self.iso3, year - 1)
        if not len(rows.year):
            return None
        start = year + (quarter - 1) / 4.0
        settings = assimilation.settings_of(self.parameters)
        return assimilation.start_from_rows(prior, rows, start, settings)

    def opinion_sources(self) -> dict[str, object]:
        """Say which pairs started from which polls: the panel file, the last fieldwork year
        read, and per pair ``OBSERVER>ACTOR`` the survey families and years used.
        """
        year, quarter = self.plan.start
        if self.opinion is None:
            return {"from": "structure alone (opinion_start 0 or no poll of these nations)"}
        rows = _panel_rows(self.iso3, year - 1)
        used = rows.before(year + (quarter - 1) / 4.0)
        pairs: dict[str, dict[str, list[int]]] = {}
        for i, k, f, y in zip(
            rows.observer[used], rows.actor[used], rows.family[used], rows.year[used], strict=True
        ):
            pair = pairs.setdefault(f"{self.iso3[i]}>{self.iso3[k]}", {})
            pair.setdefault(str(f), []).append(int(y))
        return {
            "from": str(PANEL_FILE.relative_to(PANEL_FILE.parents[3])),
            "fieldwork_until": int(rows.year[used].max()) if used.any() else None,
            "pairs": len(pairs),
            "observations": int(used.sum()),
            "by_pair": {p: {f: sorted(y) for f, y in v.items()} for p, v in sorted(pairs.items())},
        }

    def opinion_offset_at(self, step: int) -> np.ndarray | float:
        """Return the (observer, actor) logit offset of favourable shares at ``step`` (0 when
        the run starts from structure alone).
        """
        if self.opinion is None:
            return 0.0
        return self.opinion.offset_at(step / 4.0)

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
            self._decision_context = DecisionContext.of(self, self._network_context)
            self._network_context = self._decision_context
        return self._decision_context

    def _mark_network_dirty(self) -> None:
        """Trade or rivalry changed: trade partners and rivals must be read afresh."""
        self._network_context = None
        self.mark_dirty()

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
                self._exposure_version += 1
            return
        p = self.parameters
        self.shared = exposure.shared_membership(self.members)
        boost = np.ones((self.n, self.n))
        for initiative, leader in INITIATIVE_LEADERS.items():
            if leader in self.iso3 and initiative in self.initiatives:
                k = self.iso3.index(leader)
                col = self.members[:, self.initiatives.index(initiative)]
                boost[:, k] += p.initiative_exposure_boost * col
        self.exposure: np.ndarray = exposure.exposure(
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
        self._boost: np.ndarray = boost
        self.ties = exposure.social_ties(self.trade, self.alliance, self.shared, p)
        self._dirty = False
        self._aid_dirty = False
        self._exposure_version += 1

    def _update_structure(self) -> None:
        """Recompute the anchor and the credibility target from the ties in force."""
        self._update_anchor()
        self.credibility_target = structure.credibility_target(
            self.alliance, self.rivalry, self.parameters
        )

    def _update_anchor(self) -> None:
        """Recompute the structural anchor from the ties in force (the standing stays)."""
        p = self.parameters
        self.anchor = structure.anchor(
            self.alliance, self.rivalry, self.same_region, self.trade, p, *self._values
        )
        self._anchor_in_force = None

    def _inputs(self) -> dynamics.Inputs:
        self._refresh()
        return dynamics.Inputs(
            capacity=self.capacity,
            exposure=self.exposure,
            anchor=self.anchor_in_force(),
            ties=self.ties,
            valence=self.valence,
            cut=structure.cut(self.reference_capacity, self.capacity),
            credibility_target=self.credibility_target,
            good=self.good,
            bad=self.bad,
        )

    def _kept_inputs(self) -> dynamics.Inputs:
        """`_inputs` with the derived pull ν·u and θ·p0 kept from earlier steps while what they
        are computed from has not changed (the same arrays, so the same numbers).
        """
        inputs = self._inputs()
        kernel = self.kernel_parameters
        kept = self._kept_pull
        if (
            kept is None
            or kept[0] != self._exposure_version
            or kept[2] is not kernel
            or not np.array_equal(kept[1], inputs.capacity)
        ):
            memory = (
                kept[3] if kept is not None and kept[3].shape == inputs.exposure.shape else None
            )
            value = dynamics.pull(inputs.capacity, inputs.exposure, kernel, memory)
            kept = self._kept_pull = (self._exposure_version, inputs.capacity.copy(), kernel, value)
        anchored = self._kept_anchored
        if anchored is None or anchored[0] is not inputs.anchor or anchored[1] is not kernel:
            value = dynamics.anchored(inputs.anchor, kernel)
            anchored = self._kept_anchored = (inputs.anchor, kernel, value)
        return dataclasses.replace(inputs, pull=kept[3], anchored=anchored[2])

    # ------------------------------------------------------------------ changes of structure
    # Events (`sim.model.effects`) and nations' decisions change the world only through these
    # methods, which keep the rules of what must be recomputed inside the model.

    def apply_tariffs(self) -> None:
        """Recompute trade ties from the untaxed ties and the tariff levels in force.

        Imports of i from j are divided by 1 + elasticity × tariff[i, j]; the two-way trade tie by
        1 + elasticity × the mean of both directions' tariffs. Then the anchor follows trade.
        """
        e = self.parameters.tariff_elasticity
        self.imports = self.untaxed_imports / (1.0 + e * self.tariff)
        self.trade = self.untaxed_trade / (1.0 + e * (self.tariff + self.tariff.T) / 2.0)
        self._update_anchor()
        self._mark_network_dirty()

    def set_tariff(
        self, actor: int, targets: np.ndarray, rate: float, *, both_ways: bool = True
    ) -> None:
        """Set the tariff rate ``actor`` levies on ``targets`` (and theirs on it if both ways)."""
        self.tariff[actor, targets] = rate
        if both_ways:
            self.tariff[targets, actor] = rate
        self.apply_tariffs()

    def set_capacity(self, actor: int, channel: int, value: float) -> None:
        """Set one capacity now.

        Exposure, the social mix and the decision context do not read capacity (the kernel and
        the outputs read it directly), so nothing is marked for recomputation.
        """
        self.capacity[actor, channel] = value

    def add_ramp(self, ramp: effects.Ramp) -> None:
        """Spread a capacity change over the quarters of ``ramp`` (advanced by `advance_ramps`)."""
        self._pending_ramps.append(ramp)

    def advance_ramps(self) -> None:
        """Advance every pending capacity ramp by one quarter."""
        if not self._pending_ramps:
            return
        for ramp in self._pending_ramps:
            self.capacity[ramp.actor, ramp.channel] = ramp.advance()
        self._pending_ramps = [r for r in self._pending_ramps if r.done < r.total]
        # Capacity alone changed: nothing to recompute (see `set_capacity`).

    def shock_credibility(
        self, observers: np.ndarray, actor: int, magnitude: float, *, good: bool = False
    ) -> None:
        """Register a credibility shock of ``actor`` among ``observers`` for this step."""
        arr = self.good if good else self.bad
        arr[observers, actor] = np.maximum(arr[observers, actor], magnitude)

    def shift_perception(
        self,
        observers: np.ndarray,
        audiences: list[int],
        actor: int,
        channels: list[int],
        magnitude: float | np.ndarray,
    ) -> None:
        """Move perception of ``actor`` by ``magnitude``: a news shock.

        ``magnitude`` is one number, or one per observer. Nothing is clipped: perception is a
        latent scale on which events add (docs/ODD.md §7.7), so an observer whose view is already
        low still moves, and its favourable logit moves by ``favourable_slope`` × ``magnitude``.
        """
        sel = np.ix_(observers, audiences, [actor], channels)
        shift = np.asarray(magnitude, dtype=float)
        if shift.ndim:
            shift = shift[:, None, None, None]
        self.perception[sel] += shift

    def event_jump(self, observers: np.ndarray, actor: int, magnitude: float | np.ndarray) -> None:
        """An event's jump in the view of ``actor`` (every audience and channel): perception
        moves by ``magnitude`` at once, and ``event_persistence`` of it becomes a lasting shift
        of the observers' anchor toward the actor (`standing`), which an opposite event undoes.
        """
        self.shift_perception(
            observers, list(range(len(AUDIENCES))), actor, list(range(len(CHANNELS))), magnitude
        )
        share = self.parameters.event_persistence
        if share:
            self.standing[observers, actor] += share * np.asarray(magnitude, dtype=float)
            self._anchor_in_force = None

    def threat_jump(self, observers: np.ndarray, actor: int, size: float | np.ndarray) -> None:
        """A threat's fall of ``size`` (≥ 0) in the observers' view of ``actor``, felt once a
        quarter: each observer takes only what exceeds the largest threat it has already felt
        from the actor this quarter (as target or bystander), so that a policy of threats gives
        the same result whether a scenario writes it as one event with several targets or as
        several events.
        """
        observers = np.asarray(observers, dtype=int)
        wanted = np.broadcast_to(np.asarray(size, dtype=float), observers.shape)
        felt = self._threat_felt[observers, actor]
        extra = np.clip(wanted - felt, 0.0, None)
        self._threat_felt[observers, actor] = np.maximum(felt, wanted)
        hit = extra > 0
        if hit.any():
            self.event_jump(observers[hit], actor, -extra[hit])

    def anchor_in_force(self) -> np.ndarray:
        """The anchor the kernel pulls toward: the structural anchor plus the `standing` that
        events have set (not clipped: events add on the latent scale, docs/ODD.md §7.7).
        """
        if self._anchor_in_force is None:
            if self.standing.any():
                self._anchor_in_force = self.anchor + self.standing[:, None, :, None]
            else:
                self._anchor_in_force = self.anchor
        return self._anchor_in_force

    def restrict(
        self,
        observers: np.ndarray,
        audiences: list[int],
        actor: int,
        channels: list[int],
        severity: float,
    ) -> None:
        """Multiply the exposure of ``observers`` to ``actor``'s channels by 1 − ``severity``."""
        sel = np.ix_(observers, audiences, [actor], channels)
        self.restriction[sel] *= 1.0 - severity
        self.mark_dirty()

    def set_membership(self, nations: np.ndarray, initiative: str, member: bool) -> None:
        """Let ``nations`` join (or leave) an initiative, adding it if new.

        Leaving costs credibility (``withdrawal_credibility_cost``) among those who stay.
        """
        if initiative not in self.initiatives:
            self.initiatives.append(initiative)
            self.members = np.column_stack([self.members, np.zeros(self.n)])
        j = self.initiatives.index(initiative)
        self.members[nations, j] = 1.0 if member else 0.0
        if not member:
            stay = np.flatnonzero(self.members[:, j])
            cost = self.parameters.withdrawal_credibility_cost
            for k in nations:
                self.bad[stay, k] = np.maximum(self.bad[stay, k], cost)
        self.mark_dirty()

    def set_tie(self, layer: str, source: int, targets: np.ndarray, weight: float | None) -> None:
        """Add (``weight``) or remove (None) ties of a network layer between source and targets.

        Trade ties add ``weight`` toward the source and half of it back (capped at 1); alliance
        and rivalry ties are 0/1 both ways and move the anchor and credibility target; aid sets
        the source's allocation to the targets.
        """
        s, tgt = source, targets
        if layer == "trade":
            for arr in (self.untaxed_trade, self.untaxed_imports):
                if weight is not None:
                    arr[tgt, s] = np.minimum(arr[tgt, s] + weight, 1.0)
                    arr[s, tgt] = np.minimum(arr[s, tgt] + weight / 2.0, 1.0)
                else:
                    arr[tgt, s] = 0.0
                    arr[s, tgt] = 0.0
            self.apply_tariffs()
        elif layer in ("alliance", "rivalry"):
            arr = self.alliance if layer == "alliance" else self.rivalry
            arr[s, tgt] = arr[tgt, s] = 0.0 if weight is None else 1.0
            self._update_structure()
        else:  # aid
            self.aid_allocation[s, tgt] = 0.0 if weight is None else weight
        self._mark_network_dirty()

    def set_membership_of(self, nation: int, column: int, member: bool) -> None:
        """Set one nation's membership of the initiative in ``column`` (a nation's decision)."""
        self.members[nation, column] = 1.0 if member else 0.0
        self.mark_dirty()

    def set_aid_strategy(self, donor: int, strategy: str) -> None:
        """Switch a donor's aid allocation strategy (one of `structure.AID_STRATEGIES`)."""
        self.aid_strategy[donor] = structure.AID_STRATEGIES.index(strategy)

    def _rival_channels(self, observer: int, rival: int) -> np.ndarray:
        """View of (youth and public, culture and tech) restriction of a rival in an observer."""
        elite = AUDIENCES.index("elite")
        channels = [CHANNELS.index("culture"), CHANNELS.index("tech")]
        return self.restriction[observer, :elite, rival][:, channels]

    def restricted_as_rival(self, observer: int, rival: int, severity: float) -> bool:
        """Whether the rival's culture and tech are closed by at least ``severity`` already."""
        return bool((self._rival_channels(observer, rival) <= 1.0 - severity).all())

    def restrict_rival(self, observer: int, rival: int, severity: float) -> None:
        """Close a rival's culture and tech channels to the observer's youth and public by at
        least ``severity`` (restrictions already stronger stay as they are).
        """
        elite = AUDIENCES.index("elite")
        for channel in (CHANNELS.index("culture"), CHANNELS.index("tech")):
            view = self.restriction[observer, :elite, rival, channel]
            np.minimum(view, 1.0 - severity, out=view)
        self.mark_dirty()

    def reallocate_aid(self, donor: int) -> None:
        """Move a donor's aid allocation toward its strategy's target at the reallocation rate."""
        target = self.aid_target(donor)
        current = self.aid_allocation[donor]
        current += self.parameters.aid_reallocation_rate * (target - current)
        self.mark_aid_dirty()

    def aid_target(self, donor: int, strategy: str | None = None) -> np.ndarray:
        """Allocation shares of a donor's aid over recipients under its (or a given) strategy."""
        if strategy is None:
            strategy = structure.AID_STRATEGIES[self.aid_strategy[donor]]
        led = self._led_columns(self.iso3[donor])
        partners = self.members[:, led].max(axis=1) if led else None
        return structure.aid_target(
            donor,
            strategy,
            self.need,
            self.alliance,
            self.current_attraction,
            self.parameters,
            partners,
        )

    def _led_columns(self, leader: str) -> list[int]:
        """Membership columns of the initiatives ``leader`` leads, read once per list of
        initiatives (they are only ever added to).
        """
        kept = self._led
        if kept is None or kept[0] is not self.initiatives or kept[1] != len(self.initiatives):
            by_leader: dict[str, list[int]] = {}
            for j, name in enumerate(self.initiatives):
                if name in INITIATIVE_LEADERS:
                    by_leader.setdefault(INITIATIVE_LEADERS[name], []).append(j)
            kept = self._led = (self.initiatives, len(self.initiatives), by_leader)
        return kept[2].get(leader, [])

    # ------------------------------------------------------------------ outputs
    def attraction(self) -> np.ndarray:
        """Return a[i,k] (observer, actor): in [-1, 1] from structure, beyond it after events."""
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

    def favourable(self, attraction: np.ndarray | None = None) -> np.ndarray:
        """Return (observer, actor) predicted favourable shares, 0-100 (`observe.favourable`)."""
        a = self.attraction() if attraction is None else attraction
        return observe.favourable(a, self.parameters, self.opinion_offset)

    def diplomatic_presence(self) -> np.ndarray:
        """Return (actor,) the mean diplomacy signal that reaches the other nations."""
        self._refresh()
        return observe.diplomatic_presence(self.capacity, self.exposure, self.audience_weight)

    def familiarity(self) -> np.ndarray:
        """Return (actor,) familiarity 0-100: the slow stock of attention on the run's scale."""
        return observe.index_scale(
            self.familiarity_stock, self.familiarity_reference, self.parameters.index_curvature
        )

    def influence(self) -> np.ndarray:
        """Return (actor,) influence 0-100: diplomatic presence on the run's scale."""
        return observe.index_scale(
            self.diplomatic_presence(), self.influence_reference, self.parameters.index_curvature
        )

    def reputation(self, favourable: np.ndarray | None = None) -> np.ndarray:
        """Return (actor,) reputation 0-100: the population-weighted favourable share."""
        fav = self.favourable() if favourable is None else favourable
        return observe.reputation(fav, self.world.population)

    def scores(self, attraction: np.ndarray | None = None) -> np.ndarray:
        """Return the soft power score of each nation (`observe.soft_power_score`)."""
        return observe.soft_power_score(
            self.familiarity(),
            self.reputation(self.favourable(attraction)),
            self.influence(),
            self.parameters,
        )

    def member_of(self, initiative: str) -> np.ndarray:
        """Return the 0/1 membership vector of an initiative or group."""
        return self.members[:, self.initiatives.index(initiative)]

    # ------------------------------------------------------------------ step
    def step(self) -> None:
        """Advance one quarter: due events, nations' decisions, the kernel, recording."""
        t = self.steps - 1  # Mesa has already counted this step; events at step t act now.
        effects.apply_due(self, t)
        if t in self.due_events:  # an event (a news shock) may have moved perception
            self.current_attraction = self.attraction()
        else:  # perception is as the recorder saw it at the end of the last step
            self.current_attraction = self.recorder.last_attraction
        self.current_elite_perception = self.elite_perception()
        draws = iter(self.rng.random(len(self.nations)).tolist())
        self.agents_by_type[Nation].shuffle_do(lambda nation: nation.decide(next(draws)))
        state = dynamics.step(
            dynamics.State(self.perception, self.credibility),
            self._kept_inputs(),
            self.kernel_parameters,
        )
        self.perception, self.credibility = state.perception, state.credibility
        rate = self.parameters.reference_adaptation
        self.reference_capacity += rate * (self.capacity - self.reference_capacity)
        self.familiarity_stock = observe.update_stock(
            self.familiarity_stock,
            self.salience().mean(axis=0),
            self.parameters.familiarity_memory,
        )
        self.good[:] = 0.0
        self._threat_felt[:] = 0.0
        self.bad[:] = 0.0
        self.opinion_offset = self.opinion_offset_at(self.steps)
        self.recorder.record(self.steps)
        if self.steps >= self.horizon:
            self.running = False

    def _step_within_horizon(self) -> None:
        if self.steps >= self.horizon:
            self.running = False
            raise StepPastEndError(
                f"the run has reached its last quarter ({self.plan.date(self.horizon)}, step "
                f"{self.horizon}); start a new run to go on"
            )
        self._mesa_step()

    def run(self) -> SoftPowerModel:
        """Run to the horizon and return self."""
        while self.running and self.steps < self.horizon:
            self.step()
        return self
