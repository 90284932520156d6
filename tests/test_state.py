"""`WorldState` (sim.model.state): after every public mutator and every event kind, each value
the state keeps equals a fresh recomputation from the primary state — exposure, the social mix,
trade after tariffs, the anchor and the anchor in force, the credibility target, the decision
context and the kernel's inputs — so that no change leaves a stale value behind.

The fresh values are computed here from the primary arrays with the pure functions of
`sim.model.exposure`, `sim.model.structure` and `sim.model.dynamics`, not through the state's
own recomputation. Before each change every kept value is read, so that a change that fails to
mark what depends on it shows as a difference. A public method added to `WorldState` fails
`test_every_public_method_of_the_state_is_a_case` until it is classified here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from test_event_kinds import RESPONSES, WORLD, resolve

import sim.model.model
from sim.axes import AUDIENCES, CHANNELS
from sim.model import Plan, PlannedEvent, SoftPowerModel, dynamics, effects, exposure, structure
from sim.model.kinds import KINDS
from sim.model.state import PRIMARY, READS, STALE_AFTER, WorldState, _stale_after, changes
from sim.params import Parameters
from sim.world import World
from sim.world.world import INITIATIVE_LEADERS

CULTURE, TECH, AID = (CHANNELS.index(c) for c in ("culture", "tech", "aid"))
YOUTH = AUDIENCES.index("youth")

# Decisions every quarter, so that a step exercises joining, restricting and reallocating.
SETTINGS = {**RESPONSES, "decision_rate": 1.0, "join_threshold": -1.0, "restriction_threshold": 0.0}


def new_model() -> SoftPowerModel:
    """A model of the six-nation world of tests/test_event_kinds.py."""
    return SoftPowerModel(WORLD, Plan(steps=6), Parameters.from_mapping(SETTINGS), rng=1)


def fresh(state: WorldState, world: World = WORLD) -> dict[str, Any]:
    """Every derived value, computed from the state's primary arrays and the world alone."""
    p = state.parameters
    e = p.tariff_elasticity
    trade = state.untaxed_trade / (1.0 + e * (state.tariff + state.tariff.T) / 2.0)
    imports = state.untaxed_imports / (1.0 + e * state.tariff)
    values = (world.freedom[:, None] - world.freedom[None, :], world.governance)
    anchor = structure.anchor(state.alliance, state.rivalry, world.same_region(), trade, p, *values)
    shared = exposure.shared_membership(state.members)
    boost = np.ones((world.n, world.n))
    for initiative, leader in INITIATIVE_LEADERS.items():
        if leader in world.iso3 and initiative in state.initiatives:
            column = state.members[:, state.initiatives.index(initiative)]
            boost[:, world.iso3.index(leader)] += p.initiative_exposure_boost * column
    reach = exposure.audience_reach(world.internet, p)
    exposed = exposure.exposure(
        same_region=world.same_region(),
        trade=trade,
        imports=imports,
        alliance=state.alliance,
        shared=shared,
        aid_allocation=state.aid_allocation,
        need=world.need(),
        reach=reach,
        restriction=state.restriction,
        initiative_boost=boost,
        params=p,
    )
    kernel = sim.model.state.kernel_parameters(p)
    in_force = anchor + state.standing[:, None, :, None]
    return {
        "trade": trade,
        "imports": imports,
        "anchor": anchor,
        "anchor_in_force": in_force,
        "credibility_target": structure.credibility_target(state.alliance, state.rivalry, p),
        "shared": shared,
        "reach": reach,
        "audience_weight": exposure.audience_weights(world.median_age, p),
        "valence": np.full((world.n, len(CHANNELS)), p.message_valence),
        "exposure": exposed,
        "ties": exposure.social_ties(trade, state.alliance, shared, p).toarray(),
        "decision_context": structure.DecisionContext.of(
            trade, state.rivalry, state.initiatives, world.iso3
        ),
        "kernel_parameters": kernel,
        "pull": dynamics.pull(state.capacity, exposed, kernel),
        "anchored": dynamics.anchored(in_force, kernel),
        "cut": structure.cut(state.reference_capacity, state.capacity),
    }


def kept(state: WorldState) -> dict[str, Any]:
    """Every derived value as the state gives it (recomputing what it has marked stale)."""
    inputs = state.kernel_inputs()
    return {
        "trade": state.trade,
        "imports": state.imports,
        "anchor": state.anchor,
        "anchor_in_force": state.anchor_in_force,
        "credibility_target": state.credibility_target,
        "shared": state.shared,
        "reach": state.reach,
        "audience_weight": state.audience_weight,
        "valence": state.valence,
        "exposure": state.exposure,
        "ties": state.ties.toarray(),
        "decision_context": state.decision_context,
        "kernel_parameters": state.kernel_parameters,
        "pull": inputs.pull,
        "anchored": inputs.anchored,
        "cut": inputs.cut,
    }


def assert_fresh(state: WorldState, after: str) -> None:
    """Every kept value equals the fresh one, bit for bit."""
    want, got = fresh(state), kept(state)
    assert set(want) == set(got)
    for name in want:
        a, b = got[name], want[name]
        if dataclasses.is_dataclass(a):
            for field in dataclasses.fields(a):
                x, y = getattr(a, field.name), getattr(b, field.name)
                if isinstance(x, np.ndarray):
                    np.testing.assert_array_equal(x, y, err_msg=f"{name} after {after}")
                else:
                    assert x == y, f"{name}.{field.name} after {after}"
        else:
            np.testing.assert_array_equal(a, b, err_msg=f"{name} after {after}")
    # The kernel's inputs are the state's arrays themselves.
    inputs = state.kernel_inputs()
    assert inputs.capacity is state.capacity and inputs.good is state.good
    assert inputs.bad is state.bad and inputs.exposure is state.exposure


# ---------------------------------------------------------------------- every mutator

THEM = np.array([1, 2])

#: One case per public mutator of `WorldState` (the parameters' setter included).
MUTATORS: dict[str, Callable[[SoftPowerModel], None]] = {
    "set_capacity": lambda m: m.state.set_capacity(0, CULTURE, 0.9),
    "adapt_reference": lambda m: (m.state.set_capacity(0, AID, 0.2), m.state.adapt_reference(0.5)),
    "set_tariff": lambda m: m.state.set_tariff(0, THEM, 0.3, both_ways=False),
    "set_tie": lambda m: [
        m.state.set_tie(layer, 3, np.array([5]), 0.1)
        for layer in ("trade", "alliance", "rivalry", "aid")
    ],
    "set_trade_tie": lambda m: m.state.set_trade_tie(0, THEM, None),
    "set_bond": lambda m: m.state.set_bond("rivalry", 0, THEM, True),
    "set_aid_tie": lambda m: m.state.set_aid_tie(0, THEM, 0.4),
    "set_membership": lambda m: (
        m.state.set_membership(np.array([4]), "BRI", True),
        m.state.set_membership(np.array([1]), "BRI", False),
        m.state.set_membership(np.array([0, 5]), "NEW_CLUB", True),
    ),
    "set_membership_of": lambda m: m.state.set_membership_of(
        2, m.state.initiatives.index("BRI"), 0
    ),
    "restrict": lambda m: m.state.restrict(THEM, [YOUTH], 0, [CULTURE, AID], 0.5),
    "restrict_rival": lambda m: m.state.restrict_rival(4, 0, 0.6),
    "set_aid_strategy": lambda m: m.state.set_aid_strategy(0, "strategic"),
    "reallocate_aid": lambda m: (
        m.state.set_aid_strategy(0, "retreat"),
        m.state.reallocate_aid(0, m.current_attraction),
    ),
    "shock_credibility": lambda m: m.state.shock_credibility(THEM, 0, 0.3, good=True),
    "add_standing": lambda m: m.state.add_standing(THEM, 0, np.array([-0.2, 0.1])),
    "feel_threat": lambda m: m.state.feel_threat(THEM, 0, 0.4),
    "new_quarter": lambda m: (m.state.shock_credibility(THEM, 0, 0.3), m.state.new_quarter()),
    "parameters": lambda m: setattr(
        m.state,
        "parameters",
        Parameters.from_mapping(
            {"tariff_elasticity": 2.0, "initiative_exposure_boost": 0.9, "stubbornness": 0.2},
            base=m.parameters,
        ),
    ),
}

#: Public methods of `WorldState` that change nothing.
READERS = {
    "aid_target",
    "kernel_inputs",
    "member_of",
    "restricted_as_rival",
    "restricted_as_rivals",
}


def test_every_public_method_of_the_state_is_a_case():
    public = {
        name
        for name, value in vars(WorldState).items()
        if not name.startswith("_") and (callable(value) or isinstance(value, property))
    }
    setters = {n for n, v in vars(WorldState).items() if isinstance(v, property) and v.fset}
    derived = {n for n, v in vars(WorldState).items() if isinstance(v, property)} - setters
    assert public - derived == set(MUTATORS) | READERS


def test_every_mutator_says_what_it_changes():
    dispatch = {"set_tie"}  # calls set_trade_tie, set_bond or set_aid_tie by layer
    for name in set(MUTATORS) - dispatch:
        method = vars(WorldState)[name]
        method = method.fset if isinstance(method, property) else method
        assert method.changes and set(method.changes) <= set(PRIMARY), name


@pytest.mark.parametrize("name", sorted(MUTATORS))
def test_kept_values_equal_a_fresh_recomputation_after_each_mutator(name):
    model = new_model()
    model.step()  # a quarter of decisions: allocations and memberships moved
    assert_fresh(model.state, "a step")
    MUTATORS[name](model)
    assert_fresh(model.state, name)
    model.step()
    assert_fresh(model.state, f"{name} and a step")


def test_kept_values_equal_a_fresh_recomputation_through_every_mutator_in_turn():
    model = new_model()
    for name, mutate in MUTATORS.items():
        mutate(model)
        assert_fresh(model.state, name)
    model.step()
    assert_fresh(model.state, "all of them and a step")


# ---------------------------------------------------------------------- every event kind

#: Events of each kind as a scenario file writes them (the random kind fires a news shock).
EVENTS: dict[str, list[dict[str, Any]]] = {
    "capacity": [
        {"actor": "N000", "channel": "aid", "scale": 0.5},
        {"actor": "N002", "channel": "tech", "add": 0.4, "ramp": 2},
    ],
    "credibility_shock": [{"actor": "N000", "observers": ["N001", "N002"], "magnitude": 0.4}],
    "news_shock": [{"actor": "N000", "observers": "all", "channel": "culture", "magnitude": 0.3}],
    "tariff": [{"actor": "N000", "targets": ["N001", "N002"], "rate": 0.25}],
    "join": [
        {"nations": ["N004", "N005"], "initiative": "bri"},
        {"nations": "N000", "initiative": "new_club"},
    ],
    "leave": [{"nations": "N001", "initiative": "BRI"}],
    "restriction": [
        {
            "actor": "N000",
            "channel": "culture",
            "observers": "N001",
            "audiences": ["youth"],
            "severity": 0.4,
        }
    ],
    "edge": [
        {"action": "add", "layer": layer, "source": "N003", "targets": "N005", "weight": 0.2}
        for layer in ("trade", "alliance", "rivalry", "aid")
    ]
    + [{"action": "remove", "layer": "alliance", "source": "N000", "targets": "N001"}],
    "aid_policy": [{"actor": "N000", "strategy": "strategic"}],
    "threat": [{"actor": "N000", "targets": ["N002", "N004"], "severity": 0.5}],
    "war": [{"actor": "N000", "target": "N004", "coalition": ["N001"], "opponents": ["N005"]}],
    "leader_change": [{"actor": "N000", "leader": "X", "stance": 1.0}],
    "random": [
        {
            "hazard": 1.0,
            "magnitude": {"distribution": "fixed", "value": -0.5},
            "event": {"kind": "capacity", "actor": "N000", "channel": "aid"},
        }
    ],
}


def test_every_kind_has_events_here():
    assert set(EVENTS) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_kept_values_equal_a_fresh_recomputation_after_each_event_kind(kind):
    events = [resolve(kind, event) for event in EVENTS[kind]]
    if kind == "random":  # drawn when the run starts, it fires through the model's schedule
        plan = Plan(steps=6, events=tuple(PlannedEvent(1, ev) for ev in events))
        model = SoftPowerModel(WORLD, plan, Parameters.from_mapping(SETTINGS), rng=1)
        model.step()
        assert_fresh(model.state, "a step")
        model.step()  # the shock fires at step 1
        assert [e[1] for e in model.recorder.events if e[0] == 2][:1] == ["capacity"]
        assert_fresh(model.state, kind)
        return
    model = new_model()
    model.step()
    assert_fresh(model.state, "a step")
    for event in events:
        effects.apply_event(model, event)
        assert_fresh(model.state, f"{kind} {event}")
    for quarter in range(2):  # ramps advance, decisions follow
        model.step()
        assert_fresh(model.state, f"{kind} and {quarter + 1} step(s)")


# ---------------------------------------------------------------------- the table itself


def test_the_table_reaches_everything_that_reads_a_change_through_another():
    # tariffs move trade, which moves the anchor, the anchor in force and θ·p0; exposure and
    # the pull; the social mix and the decision context's partners
    assert {"trade", "anchor", "anchor_in_force", "anchored", "exposure", "pull", "ties"} <= (
        STALE_AFTER["tariff"]
    )
    assert {"network", "decision_context"} <= STALE_AFTER["tariff"]
    # a quarter's shocks and the reference capacity are read by the kernel directly
    assert STALE_AFTER["good"] == STALE_AFTER["bad"] == STALE_AFTER["reference_capacity"] == set()
    assert STALE_AFTER["members"] >= {"shared", "initiative_boost", "exposure", "ties", "pull"}
    assert "decision_context" not in STALE_AFTER["members"]  # it reads no membership value
    assert STALE_AFTER["aid_allocation"] == {"aid_exposure", "pull"}
    assert STALE_AFTER["parameters"] == set(READS) - {"shared", "led_initiatives"}


def test_a_name_that_is_neither_primary_nor_derived_is_refused():
    with pytest.raises(ValueError, match="neither primary nor derived"):
        _stale_after({**READS, "exposure": ("restrictions",)})
    with pytest.raises(ValueError, match="not primary state"):
        changes("exposure")


def test_the_models_names_of_the_state_are_read_only():
    model = new_model()
    assert model.capacity is model.state.capacity
    np.testing.assert_array_equal(model.exposure, model.state.exposure)
    with pytest.raises(AttributeError, match="mutator"):
        model.capacity = np.zeros_like(model.capacity)


# ---------------------------------------------------------------------- the spin-up cache


def test_the_spin_up_cache_is_keyed_by_the_worlds_content_and_the_parameters():
    cache = sim.model.model._SPIN_UP_CACHE
    cache.clear()
    first = SoftPowerModel(WORLD, Plan(steps=1), rng=1)
    same = dataclasses.replace(WORLD)  # another object, equal in content
    assert same is not WORLD and same.fingerprint == WORLD.fingerprint
    second = SoftPowerModel(same, Plan(steps=1), rng=1)
    assert len(cache) == 1
    np.testing.assert_array_equal(first.perception, second.perception)
    capacity = WORLD.capacity.copy()
    capacity[3, CULTURE] += 0.01
    other = dataclasses.replace(WORLD, capacity=capacity)
    assert other.fingerprint != WORLD.fingerprint
    third = SoftPowerModel(other, Plan(steps=1), rng=1)
    assert len(cache) == 2
    assert not np.array_equal(third.perception, first.perception)
    SoftPowerModel(WORLD, Plan(steps=1), Parameters.from_mapping({"stubbornness": 0.2}), rng=1)
    assert len(cache) == 3
    cache.clear()


def test_models_whose_spin_up_reads_the_same_share_it_bit_for_bit():
    """Event responses, decision and output parameters (a parameter ensemble's members) do not
    enter the spin-up: their models share one entry, equal to a spin-up computed afresh; a
    parameter the spin-up reads, or its length, gives another.
    """
    cache = sim.model.model._SPIN_UP_CACHE
    cache.clear()
    sim.model.model._SPIN_UP_DIGESTS.clear()
    base = SoftPowerModel(WORLD, Plan(steps=1), rng=1)
    members = [
        {"war_perception": 0.9, "event_persistence": 0.3},
        {"threat_perception": 2.0, "leader_pivot": 0.5},
        {"decision_rate": 1.0, "join_threshold": -1.0, "weight_aid": 0.5},
    ]
    for values in members:
        model = SoftPowerModel(WORLD, Plan(steps=1), Parameters.from_mapping(values), rng=1)
        assert len(cache) == 1
        np.testing.assert_array_equal(model.perception, base.perception)
        np.testing.assert_array_equal(model.credibility, base.credibility)
        cache.clear()
        fresh = SoftPowerModel(WORLD, Plan(steps=1), Parameters.from_mapping(values), rng=1)
        assert fresh.perception.tobytes() == model.perception.tobytes()
        assert fresh.credibility.tobytes() == model.credibility.tobytes()
    cache.clear()
    SoftPowerModel(WORLD, Plan(steps=1), rng=1)
    for values in ({"receptivity_youth": 0.3}, {"spinup_steps": 39}, {"prior_trade": 0.4}):
        SoftPowerModel(WORLD, Plan(steps=1), Parameters.from_mapping(values), rng=1)
    assert len(cache) == 4
    narrow = SoftPowerModel(WORLD, Plan(steps=1), rng=1, precision="float32")
    assert narrow.perception.dtype == np.float32 and len(cache) == 5
    cache.clear()
