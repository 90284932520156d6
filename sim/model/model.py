"""`SoftPowerModel`: the Mesa model that ties world, scenario, nations and the kernel together.

One step is one quarter: due events → nations decide → dynamics kernel → record
(docs/architecture.md §1, docs/ODD.md §3).
The model owns the numpy arrays; `Nation` agents are views that make decisions.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from typing import Any, Protocol, overload

import mesa
import numpy as np
from scipy import sparse

from sim.axes import AUDIENCES, CHANNELS
from sim.model import assimilation, dynamics, effects, metrics, observe
from sim.model.nation import Nation
from sim.model.plan import Plan
from sim.model.record import Recorder
from sim.model.state import WorldState
from sim.model.structure import DecisionContext
from sim.params import Parameters
from sim.world.bundled import bundled_world
from sim.world.opinion import PANEL_FILE, bundled_panel
from sim.world.world import World

__all__ = ["Plannable", "SoftPowerModel", "StepPastEndError", "surveyed_publics"]


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


# Spin-up depends only on what it reads (no randomness, no events): the structural anchor and
# credibility target it starts from, the kernel's inputs and parameters, and its number of steps.
# Its result is reused by later models in this process whose spin-up reads the same, such as the
# replications and scenarios of a batch, and the members of a parameter ensemble (event
# responses, decision and output parameters do not enter it): entries are keyed by a digest of
# those inputs' bytes and types (`_spin_up_digest`), so equal inputs hit and any other never
# does. The digest of a (world content, parameters, precision) is remembered too, so that a model
# with all three seen before does not hash its inputs again. Bounded.
_SPIN_UP_CACHE: dict[str, tuple[np.ndarray, np.ndarray]] = {}
_SPIN_UP_DIGESTS: dict[tuple[str, Parameters, str], str] = {}
_SPIN_UP_CACHE_SIZE = 8


def _spin_up_digest(inputs: dynamics.Inputs, params: dynamics.KernelParameters, steps: int) -> str:
    """Return a digest of everything `dynamics.spin_up` reads: the number of steps, every array
    of ``inputs`` (the start, the anchor and credibility target, is among them) and ``params``,
    each with its dtype and shape.
    """
    digest = hashlib.blake2b(f"spin-up {steps}".encode(), digest_size=32)

    def add(name: str, value: object) -> None:
        if sparse.issparse(value):
            csr = sparse.csr_array(value)
            for part in ("data", "indices", "indptr"):
                add(f"{name}.{part}", getattr(csr, part))
            add(f"{name}.shape", np.asarray(csr.shape))
            return
        array = np.ascontiguousarray(value)
        digest.update(f"|{name} {array.dtype.str} {array.shape}|".encode())
        digest.update(array.data if array.ndim else array.tobytes())

    for field in dataclasses.fields(inputs):
        value = getattr(inputs, field.name)
        if value is not None:
            add(field.name, value)
    for field in dataclasses.fields(params):
        add(field.name, getattr(params, field.name))
    return digest.hexdigest()


def _spin_up(world: World, state: WorldState) -> tuple[np.ndarray, np.ndarray]:
    """Return (perception, credibility) after ``spinup_steps`` frozen-input kernel steps from
    the structural anchor and credibility target of ``state``, the start of a run of ``world``.
    """
    key = (world.fingerprint, state.parameters, state.precision)
    digest = _SPIN_UP_DIGESTS.get(key)
    hit = _SPIN_UP_CACHE.get(digest) if digest is not None else None
    if hit is not None:
        return hit[0].copy(), hit[1].copy()
    # float64 lets the kernel compute the pull and θ·p0 (as it always has); a float32 state
    # keeps them in float32, the type the kernel then runs in.
    inputs = state.kernel_inputs(kept=state.precision != "float64")
    params, steps = state.kernel_parameters, state.parameters.spinup_steps
    digest = _spin_up_digest(inputs, params, steps)
    while len(_SPIN_UP_DIGESTS) >= 4 * _SPIN_UP_CACHE_SIZE:
        del _SPIN_UP_DIGESTS[next(iter(_SPIN_UP_DIGESTS))]
    _SPIN_UP_DIGESTS[key] = digest
    hit = _SPIN_UP_CACHE.get(digest)
    if hit is None:
        kernel_state = dynamics.spin_up(
            dynamics.State(state.anchor.astype(state.precision), state.credibility_target.copy()),
            inputs,
            params,
            steps,
        )
        while len(_SPIN_UP_CACHE) >= _SPIN_UP_CACHE_SIZE:
            del _SPIN_UP_CACHE[next(iter(_SPIN_UP_CACHE))]
        hit = _SPIN_UP_CACHE[digest] = (kernel_state.perception, kernel_state.credibility)
    return hit[0].copy(), hit[1].copy()


class _FromState[T]:
    """A read-only attribute of the model that reads the same name of its `WorldState` (the
    model held these arrays itself before the state was one object; callers may still read
    them there).
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, model: None, owner: type) -> _FromState[T]: ...

    @overload
    def __get__(self, model: SoftPowerModel, owner: type) -> T: ...

    def __get__(self, model: SoftPowerModel | None, owner: type) -> _FromState[T] | T:
        if model is None:
            return self
        return getattr(model.state, self.name)

    def __set__(self, model: SoftPowerModel, value: object) -> None:
        raise AttributeError(
            f"{self.name} belongs to the model's state: change it through a mutator of "
            "sim.model.state.WorldState"
        )


@functools.lru_cache(maxsize=16)
def _panel_rows(iso3: tuple[str, ...], until: int) -> assimilation.PanelRows:
    """The bundled panel's rows between nations of a world up to fieldwork year ``until``."""
    return assimilation.panel_rows(bundled_panel(), iso3, until)


def surveyed_publics(iso3: tuple[str, ...], until: int) -> np.ndarray:
    """Return (nation,) whether a survey of the bundled panel polled each nation's public about
    another nation of the world, in fieldwork up to ``until`` (the index's publics, §7.6).
    """
    return _surveyed_publics(iso3, until).copy()


@functools.lru_cache(maxsize=16)
def _surveyed_publics(iso3: tuple[str, ...], until: int) -> np.ndarray:
    """`surveyed_publics`, read once per (world, year) in a process (every model asks)."""
    panel = bundled_panel()
    known = set(iso3)
    polled = {
        o
        for o, t, y in zip(panel.observer, panel.target, panel.year, strict=True)
        if y <= until and o != t and o in known and t in known
    }
    return np.array([code in polled for code in iso3], dtype=bool)


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
        precision: The kernel's floating type: ``float64`` (default, the reference) or
            ``float32`` (perception, the pull, θ·p0 and the social mix in float32: faster on
            large worlds, within the tolerance docs/batch.md states, and still the same run for
            the same seed wherever it runs).

    The model coordinates: it holds the run's spec, its clock and generator (Mesa's), the
    `WorldState` that events and decisions change, the kernel's state (perception,
    credibility) and the observation scales, and steps them in order (docs/ODD.md §3).

    Attributes:
        world: The starting world (never changed).
        spec: The run's spec as passed (a scenario keeps its file and hash for outputs).
        plan: The spec resolved for the world.
        horizon: Number of quarters.
        state: Ties, memberships, tariffs, restrictions, aid, capacities and what derives
            from them (`sim.model.state.WorldState`); its mutators change them.
        perception: (observer, audience, actor, channel): in [-1, 1] from structure and
            messages; events add to it without a bound (the latent scale, docs/ODD.md §7.7).
        credibility: (observer, actor) in [0, 1].
        current_attraction: (observer, actor) attraction when this step's decisions are made.
        current_elite_perception: (observer, actor) elite perception averaged over channels,
            when this step's decisions are made.
        opinion: The assimilated start, or None.
        opinion_offset: (observer, actor) logit offset of favourable shares now.
        index_weight: (observer,) weight of each observer in familiarity, reputation and
            influence: its population if a survey polled it before the start, else 0
            (`observe.index_weight`).
        familiarity_stock: (actor,) the slow stock of attention.
        familiarity_reference: The best familiarity stock at step 0 (the 0-100 scale).
        influence_reference: The best diplomatic presence at step 0 (the 0-100 scale).
        due_events: Step → the plan's events due then.
        random_draws: Random shocks drawn when the run starts.
        nations: The `Nation` agents in array order.
        recorder: Per-step outputs.

    The model also reads, without changing them, ``parameters`` (settable: the state
    recomputes what reads them), ``n``, ``iso3`` and, for callers written before the state was
    one object, the state's arrays by their names (``capacity``, ``trade``, ``members``, ...).

    """

    def __init__(
        self,
        world: World | None = None,
        scenario: Plannable | Plan | None = None,
        parameters: Parameters | None = None,
        rng: int | np.random.SeedSequence | np.random.Generator | None = None,
        record_every: int = 1,
        steps: int | None = None,
        precision: str = "float64",
    ) -> None:
        if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
            # An int means the same run as `softpower run --seed N`: SeedSequence(N).
            rng = np.random.SeedSequence(int(rng))
        if isinstance(rng, np.random.SeedSequence):
            rng = np.random.default_rng(rng)
        super().__init__(rng=rng)
        self.world = world if world is not None else bundled_world()
        #: What the caller passed (a scenario keeps its file, hash and calendar for outputs).
        self.spec: Plannable = scenario if scenario is not None else Plan()
        if steps is not None:
            self.spec = self.spec.with_steps(steps)
        plan = self.plan = self.spec.plan(self.world)
        self.horizon = plan.steps
        #: Ties, memberships, tariffs, restrictions, aid, capacities, the standing events leave
        #: and this quarter's shocks, with everything derived from them (`WorldState`).
        self.state = WorldState(
            self.world, Parameters.from_mapping(plan.parameters, base=parameters), precision
        )
        self._pending_ramps: list[effects.Ramp] = []

        # --- initial state from structure, then spin-up with frozen inputs ---
        self.perception, self.credibility = _spin_up(self.world, self.state)

        # --- Mesa agents: thin views with decisions; the network lives in the arrays ---
        Nation.create_agents(self, self.n, index=list(range(self.n)))
        self.nations: list[Nation] = sorted(self.agents_by_type[Nation], key=lambda a: a.index)

        self.current_attraction = self.attraction()
        self.current_elite_perception = self.elite_perception()
        #: The assimilated start (`sim.model.assimilation`): each surveyed pair's latent opinion
        #: from its polls before the start, or None (structure alone).
        self.opinion = self._assimilate()
        #: (observer, actor) logit offset of the favourable shares from the structural link now.
        self.opinion_offset = self.opinion_offset_at(0)
        # --- observation: the index reads the publics polled before the start; the familiarity
        # stock starts at today's attention; the best nation at the start sets the 0-100 scale
        # of familiarity and influence for the whole run ---
        self.index_weight = observe.index_weight(
            self.world.population, surveyed_publics(self.iso3, plan.start[0] - 1)
        )
        self.familiarity_stock = self.attention()
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

    # ------------------------------------------------------------------ the state
    @property
    def parameters(self) -> Parameters:
        """The run's parameters (held by the state; setting them recomputes what reads them)."""
        return self.state.parameters

    @parameters.setter
    def parameters(self, value: Parameters) -> None:
        self.state.parameters = value

    @property
    def n(self) -> int:
        """Number of nations."""
        return self.world.n

    @property
    def iso3(self) -> tuple[str, ...]:
        """The nations' ISO3 codes, in array order."""
        return self.world.iso3

    # Read-only names of the state, for callers that read them from the model (the app, the
    # analysis, the recorder and tests); `state` has them all, and its mutators change them.
    capacity = _FromState[np.ndarray]()
    tariff = _FromState[np.ndarray]()
    untaxed_trade = _FromState[np.ndarray]()
    trade = _FromState[np.ndarray]()
    alliance = _FromState[np.ndarray]()
    rivalry = _FromState[np.ndarray]()
    same_region = _FromState[np.ndarray]()
    initiatives = _FromState[list[str]]()
    members = _FromState[np.ndarray]()
    restriction = _FromState[np.ndarray]()
    aid_strategy = _FromState[np.ndarray]()
    aid_allocation = _FromState[np.ndarray]()
    audience_weight = _FromState[np.ndarray]()
    exposure = _FromState[np.ndarray]()
    ties = _FromState[Any]()
    anchor = _FromState[np.ndarray]()
    credibility_target = _FromState[np.ndarray]()
    standing = _FromState[np.ndarray]()
    bad = _FromState[np.ndarray]()
    decision_context = _FromState[DecisionContext]()
    kernel_parameters = _FromState[dynamics.KernelParameters]()

    # ------------------------------------------------------------------ what events do here
    # The state's mutators change the structure (`sim.model.effects` and nations' decisions call
    # them); these move perception, which the model holds, or schedule capacity over quarters.

    def add_ramp(self, ramp: effects.Ramp) -> None:
        """Spread a capacity change over the quarters of ``ramp`` (advanced by `advance_ramps`)."""
        self._pending_ramps.append(ramp)

    def advance_ramps(self) -> None:
        """Advance every pending capacity ramp by one quarter."""
        if not self._pending_ramps:
            return
        for ramp in self._pending_ramps:
            self.state.set_capacity(ramp.actor, ramp.channel, ramp.advance())
        self._pending_ramps = [r for r in self._pending_ramps if r.done < r.total]

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
        of the observers' anchor toward the actor (`WorldState.standing`), which an opposite
        event undoes.
        """
        self.shift_perception(
            observers, list(range(len(AUDIENCES))), actor, list(range(len(CHANNELS))), magnitude
        )
        share = self.parameters.event_persistence
        if share:
            self.state.add_standing(observers, actor, share * np.asarray(magnitude, dtype=float))

    def threat_jump(self, observers: np.ndarray, actor: int, size: float | np.ndarray) -> None:
        """A threat's fall of ``size`` (≥ 0) in the observers' view of ``actor``, felt once a
        quarter: each observer takes only what exceeds the largest threat it has already felt
        from the actor this quarter (as target or bystander, `WorldState.feel_threat`), so that
        a policy of threats gives the same result whether a scenario writes it as one event with
        several targets or as several events.
        """
        observers = np.asarray(observers, dtype=int)
        extra = self.state.feel_threat(observers, actor, size)
        hit = extra > 0
        if hit.any():
            self.event_jump(observers[hit], actor, -extra[hit])

    # ------------------------------------------------------------------ outputs
    def attraction(self) -> np.ndarray:
        """Return a[i,k] (observer, actor): in [-1, 1] from structure, beyond it after events."""
        return metrics.attraction(
            self.perception, self.state.audience_weight, np.array(self.parameters.channel_weights)
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
        state = self.state
        return metrics.salience(state.capacity, state.exposure, state.audience_weight)

    def attention(self) -> np.ndarray:
        """Return (actor,) k's share of the attention of the index's publics now."""
        return observe.attention(self.salience(), self.index_weight)

    def favourable(self, attraction: np.ndarray | None = None) -> np.ndarray:
        """Return (observer, actor) predicted favourable shares, 0-100 (`observe.favourable`)."""
        a = self.attraction() if attraction is None else attraction
        return observe.favourable(a, self.parameters, self.opinion_offset)

    def diplomatic_presence(self) -> np.ndarray:
        """Return (actor,) the mean diplomacy signal that reaches the index's publics."""
        state = self.state
        return observe.diplomatic_presence(
            state.capacity, state.exposure, state.audience_weight, self.index_weight
        )

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
        """Return (actor,) reputation 0-100: the favourable share among the index's publics."""
        fav = self.favourable() if favourable is None else favourable
        return observe.reputation(fav, self.index_weight)

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
        return self.state.member_of(initiative)

    # ------------------------------------------------------------------ step
    def step(self) -> None:
        """Advance one quarter: due events, nations' decisions, the kernel, recording."""
        if self.steps > self.horizon:  # Mesa has counted a quarter past the end
            self._refuse_step()
        t = self.steps - 1  # Mesa has already counted this step; events at step t act now.
        effects.apply_due(self, t)
        if t in self.due_events:  # an event (a news shock) may have moved perception
            self.current_attraction = self.attraction()
        else:  # perception is as the recorder saw it at the end of the last step
            self.current_attraction = self.recorder.last_attraction
        self.current_elite_perception = self.elite_perception()
        # One draw per nation, in Mesa's shuffled order: a nation reviews when its draw is under
        # the decision rate (`Nation.decide`). `shuffle` draws the same permutation from the
        # model's random as `shuffle_do` (the same list, one `random.shuffle`); only the nations
        # that review are called.
        draws = self.rng.random(len(self.nations)).tolist()
        order = list(self.agents_by_type[Nation].shuffle())
        rate = self.parameters.decision_rate
        for t, draw in enumerate(draws):
            if draw < rate:
                order[t].decide(draw)
        kernel_state = dynamics.step(
            dynamics.State(self.perception, self.credibility),
            self.state.kernel_inputs(),
            self.state.kernel_parameters,
        )
        self.perception, self.credibility = kernel_state.perception, kernel_state.credibility
        self.state.adapt_reference(self.parameters.reference_adaptation)
        self.familiarity_stock = observe.update_stock(
            self.familiarity_stock,
            self.attention(),
            self.parameters.familiarity_memory,
        )
        self.state.new_quarter()
        self.opinion_offset = self.opinion_offset_at(self.steps)
        self.recorder.record(self.steps)
        if self.steps >= self.horizon:
            self.running = False

    def _refuse_step(self) -> None:
        """Refuse a step past the horizon, with the clock left at the last quarter.

        Mesa counts a step and moves ``time`` before it calls `step`; both are set back here.
        The exception ends Mesa's recurring step event, so the refusal is scheduled (with
        Mesa's public ``schedule_event``) for the next quarter: every later call refuses too.

        Raises:
            StepPastEndError: Always.

        """
        self.steps = self.horizon
        self.time = float(self.horizon)
        self.running = False
        self.schedule_event(self._refuse_step, at=self.horizon + 1)
        raise StepPastEndError(
            f"the run has reached its last quarter ({self.plan.date(self.horizon)}, step "
            f"{self.horizon}); start a new run to go on"
        )

    def run(self) -> SoftPowerModel:
        """Run to the horizon and return self."""
        while self.running and self.steps < self.horizon:
            self.step()
        return self
