"""`WorldState`: what events and decisions change during a run, and everything derived from it.

The primary state is the capacities, the ties (trade before tariffs, alliance, rivalry, aid
allocation), the tariffs, the memberships, the restrictions, the aid strategies, the lasting
standing events leave and this quarter's shocks. Trade after tariffs, exposure, the social mix,
the anchor, the credibility target, the decision context and the kernel's inputs are derived
from it. A mutator says what it changes (`changes`); the table `READS` says what each derived
value reads, and whatever depends on a change, directly or through another derived value, is
recomputed on its next use, in one place (`WorldState._refresh`). Axes (observer, audience,
actor, channel) as everywhere (docs/ODD.md §2).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import numpy as np

from sim.axes import AUDIENCES, CHANNELS
from sim.model import dynamics, exposure, structure
from sim.params import Parameters
from sim.world.world import INITIATIVE_LEADERS, World

__all__ = [
    "PRECISIONS",
    "PRIMARY",
    "READS",
    "STALE_AFTER",
    "WorldState",
    "changes",
    "kernel_parameters",
]

#: The kernel's floating types: float64, the reference (results bit-identical from run to run
#: and release to release), and float32, faster for large worlds and within a stated tolerance
#: of float64 (docs/batch.md, "Precision").
PRECISIONS = ("float64", "float32")

_AID = CHANNELS.index("aid")
_ELITE = AUDIENCES.index("elite")
_RIVAL_CHANNELS = (CHANNELS.index("culture"), CHANNELS.index("tech"))
# The same two channels as a slice (they are neighbours on the channel axis): a view, no copy.
_RIVAL_SLICE = slice(min(_RIVAL_CHANNELS), max(_RIVAL_CHANNELS) + 1)
assert _RIVAL_SLICE.stop - _RIVAL_SLICE.start == len(_RIVAL_CHANNELS)

#: The primary state: what mutators change. ``initiatives`` is the list of membership columns,
#: ``parameters`` the run's parameters (reassigned by tests; the model's setter forwards here).
PRIMARY: tuple[str, ...] = (
    "capacity",
    "reference_capacity",
    "untaxed_trade",
    "untaxed_imports",
    "tariff",
    "alliance",
    "rivalry",
    "initiatives",
    "members",
    "restriction",
    "aid_allocation",
    "aid_strategy",
    "standing",
    "good",
    "bad",
    "threat_felt",
    "parameters",
)

#: What each derived value reads: primary state or other derived values. The one dependency
#: table of the model: a change marks every derived value that reads it, directly or through
#: another, for recomputation (`STALE_AFTER`). ``trade`` holds trade and imports after tariffs;
#: ``exposure`` all channels, ``aid_exposure`` its aid slice alone (donors reallocate every
#: quarter); ``network`` the trade partners and rivals of the decision context; ``pull`` and
#: ``anchored`` the kernel's ν·u and θ·p0 (`dynamics.pull`, `dynamics.anchored`).
READS: dict[str, tuple[str, ...]] = {
    "reach": ("parameters",),
    "audience_weight": ("parameters",),
    "valence": ("parameters",),
    "kernel_parameters": ("parameters",),
    "trade": ("untaxed_trade", "untaxed_imports", "tariff", "parameters"),
    "anchor": ("alliance", "rivalry", "trade", "parameters"),
    "credibility_target": ("alliance", "rivalry", "parameters"),
    "anchor_in_force": ("anchor", "standing"),
    "shared": ("members",),
    "initiative_boost": ("members", "initiatives", "parameters"),
    "exposure": (
        "trade",
        "alliance",
        "shared",
        "initiative_boost",
        "reach",
        "restriction",
        "parameters",
    ),
    "aid_exposure": ("aid_allocation", "initiative_boost", "reach", "restriction"),
    "ties": ("trade", "alliance", "shared", "parameters"),
    "network": ("trade", "rivalry"),
    "led_initiatives": ("initiatives",),
    "decision_context": ("network", "led_initiatives"),
    "pull": ("capacity", "exposure", "aid_exposure", "kernel_parameters"),
    "anchored": ("anchor_in_force", "kernel_parameters"),
}


def _stale_after(reads: dict[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """Return, for each primary name, every derived value that reads it directly or through
    another derived value.

    Raises:
        ValueError: A derived value reads a name that is neither primary nor derived.
    """
    readers: dict[str, set[str]] = {name: set() for name in (*PRIMARY, *reads)}
    for node, inputs in reads.items():
        for name in inputs:
            if name not in readers:
                raise ValueError(f"{node!r} reads {name!r}, which is neither primary nor derived")
            readers[name].add(node)
    out = {}
    for name in PRIMARY:
        found: set[str] = set()
        todo = [name]
        while todo:
            for node in readers[todo.pop()]:
                if node not in found:
                    found.add(node)
                    todo.append(node)
        out[name] = frozenset(found)
    return out


#: Primary name → every derived value to recompute after it changes (from `READS`).
STALE_AFTER: dict[str, frozenset[str]] = _stale_after(READS)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def changes(
    *names: str,
) -> Callable[
    [Callable[Concatenate[WorldState, _P], _R]], Callable[Concatenate[WorldState, _P], _R]
]:
    """Declare what a mutator of `WorldState` changes: after it returns, every derived value
    that reads one of ``names`` (`STALE_AFTER`) is recomputed on its next use.

    The names are kept on the method as ``changes`` (tests apply every mutator and check each
    derived value against a fresh recomputation).

    Raises:
        ValueError: A name that is not primary state.
    """
    unknown = [name for name in names if name not in PRIMARY]
    if unknown:
        raise ValueError(f"not primary state: {', '.join(unknown)}")

    def decorate(
        method: Callable[Concatenate[WorldState, _P], _R],
    ) -> Callable[Concatenate[WorldState, _P], _R]:
        @functools.wraps(method)
        def mutator(self: WorldState, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
            result = method(self, *args, **kwargs)
            self._changed(names)
            return result

        mutator.changes = names  # type: ignore[attr-defined]
        return mutator

    return decorate


def kernel_parameters(p: Parameters) -> dynamics.KernelParameters:
    """Return the parameters in the shapes the kernel needs (`dynamics.KernelParameters`)."""
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


class WorldState:
    """The state of the world that events and decisions change, and what derives from it.

    Read the arrays freely; change them only through the mutators (the methods marked with
    `changes`), which say what they change so that what depends on it is recomputed. Derived
    values (properties) are recomputed on first use after a change of what they read (`READS`).

    Args:
        world: The starting world (copied: the world itself is never changed).
        parameters: The run's parameters.
        precision: The kernel's floating type, ``float64`` (the default, the reference) or
            ``float32``: the kernel's inputs that it reads every step over the full
            (observer, audience, actor, channel) arrays (the pull ν·u, θ·p0) and the social mix
            W are kept in it; everything else stays float64.

    Attributes:
        n: Number of nations.
        precision: The kernel's floating type (`PRECISIONS`).
        iso3: Their codes.
        same_region: (nation, nation) 0/1, zero diagonal (constant).
        need: (recipient,) aid need in [0, 1] (constant).
        capacity: (actor, channel), current.
        reference_capacity: (actor, channel) the level audiences are used to (a cut is felt
            against it; it adapts each step).
        untaxed_trade: (nation, partner) trade shares before tariffs.
        untaxed_imports: (importer, exporter) import shares before tariffs.
        tariff: (importer, exporter) tariff rate in force.
        alliance: (nation, nation) 0/1, symmetric.
        rivalry: (nation, nation) 0/1, symmetric.
        initiatives: Names of the membership columns (initiatives and groups; only added to).
        members: (nation, initiative) 0/1.
        restriction: (observer, audience, actor, channel) multipliers of exposure in [0, 1].
        aid_allocation: (donor, recipient) shares, rows summing to ≤ 1.
        aid_strategy: (donor,) index into `structure.AID_STRATEGIES`.
        standing: (observer, actor) the lasting shift of the anchor that events have set.
        good: (observer, actor) good-event magnitudes this quarter.
        bad: (observer, actor) bad-event magnitudes this quarter.
        threat_felt: (observer, actor) the largest threat each observer has felt from each
            actor this quarter (`feel_threat`).

    """

    def __init__(self, world: World, parameters: Parameters, precision: str = "float64") -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
        self.precision = precision
        self._dtype = np.dtype(precision)
        n = world.n
        self.n = n
        self.iso3 = world.iso3
        self.same_region = world.same_region()
        self.need = world.need()
        self._median_age = world.median_age
        self._internet = world.internet
        #: (values gap freedom_i − freedom_k (observer, actor), governance (actor,)): reputation
        #: drivers of the anchor (`structure.anchor`).
        self._values = (world.freedom[:, None] - world.freedom[None, :], world.governance)
        self._parameters = parameters
        self._derived: dict[str, Any] = {}
        self._stale: set[str] = set(READS)

        self.capacity = world.capacity.copy()
        self.reference_capacity = world.capacity.copy()
        self.untaxed_trade = world.trade.copy()
        self.untaxed_imports = world.imports.copy()
        self.tariff = np.zeros((n, n))
        self.alliance = world.alliance.copy()
        self.rivalry = world.rivalry.copy()
        self.initiatives = sorted(set(world.groups) | {"BRI", "PARIS", "WHO"})
        self.members = world.membership_matrix(self.initiatives)
        self.restriction = np.ones((n, len(AUDIENCES), n, len(CHANNELS)))
        self.aid_strategy = np.array(
            [structure.AID_STRATEGIES.index(world.aid_strategy.get(c, "need")) for c in world.iso3]
        )
        self.standing = np.zeros((n, n))
        self.good = np.zeros((n, n))
        self.bad = np.zeros((n, n))
        self.threat_felt = np.zeros((n, n))
        # Donors start from the shares of need (a strategy moves them as they reallocate).
        self.aid_allocation = np.zeros((n, n))
        no_attraction = np.zeros((n, n))
        for k in np.flatnonzero(self.capacity[:, _AID] > 0):
            self.aid_allocation[k] = self.aid_target(int(k), no_attraction, strategy="need")

    # ------------------------------------------------------------------ recomputation
    def _changed(self, names: tuple[str, ...]) -> None:
        """Mark what reads ``names`` (`STALE_AFTER`) for recomputation."""
        for name in names:
            self._stale |= STALE_AFTER[name]

    def _get(self, name: str) -> Any:
        """Return the derived value ``name``, recomputed first if what it reads has changed."""
        if name in self._stale:
            self._refresh(name)
        return self._derived[name]

    def _refresh(self, name: str) -> None:
        """Recompute the derived value ``name`` from what it reads (`READS`), those first where
        stale: the one place where derived values are computed.
        """
        p = self._parameters
        value: Any
        if name == "reach":
            value = exposure.audience_reach(self._internet, p)
        elif name == "audience_weight":
            value = exposure.audience_weights(self._median_age, p)
        elif name == "valence":
            value = np.full((self.n, len(CHANNELS)), p.message_valence)
        elif name == "kernel_parameters":
            value = kernel_parameters(p)
        elif name == "trade":
            # Imports of i from j are divided by 1 + elasticity × tariff[i, j]; the two-way tie
            # by 1 + elasticity × the mean of both directions' tariffs (§7.2).
            e = p.tariff_elasticity
            value = (
                self.untaxed_trade / (1.0 + e * (self.tariff + self.tariff.T) / 2.0),
                self.untaxed_imports / (1.0 + e * self.tariff),
            )
        elif name == "anchor":
            value = structure.anchor(
                self.alliance, self.rivalry, self.same_region, self.trade, p, *self._values
            )
        elif name == "credibility_target":
            value = structure.credibility_target(self.alliance, self.rivalry, p)
        elif name == "anchor_in_force":
            # Not clipped: events add on the latent scale (docs/ODD.md §7.7).
            anchor = self.anchor
            value = anchor + self.standing[:, None, :, None] if self.standing.any() else anchor
        elif name == "shared":
            value = exposure.shared_membership(self.members)
        elif name == "initiative_boost":
            value = np.ones((self.n, self.n))
            for initiative, leader in INITIATIVE_LEADERS.items():
                if leader in self.iso3 and initiative in self.initiatives:
                    column = self.members[:, self.initiatives.index(initiative)]
                    value[:, self.iso3.index(leader)] += p.initiative_exposure_boost * column
        elif name == "exposure":
            value = exposure.exposure(
                same_region=self.same_region,
                trade=self.trade,
                imports=self.imports,
                alliance=self.alliance,
                shared=self.shared,
                aid_allocation=self.aid_allocation,
                need=self.need,
                reach=self.reach,
                restriction=self.restriction,
                initiative_boost=self._get("initiative_boost"),
                params=p,
            )
            # The whole array includes its aid slice, computed from the same arrays.
            self._stale.discard("aid_exposure")
            self._derived["aid_exposure"] = None
        elif name == "aid_exposure":
            if "exposure" in self._stale:  # the whole array, aid slice included
                self._refresh("exposure")
                return
            self._derived["exposure"][:, :, :, _AID] = exposure.aid_exposure(
                self.aid_allocation,
                self.need,
                self._get("initiative_boost"),
                self.reach,
                self.restriction,
            )
            value = None
        elif name == "ties":
            value = exposure.social_ties(self.trade, self.alliance, self.shared, p)
            value = value.astype(self._dtype, copy=False)
        elif name == "network":
            value = structure.trade_partners_and_rivals(self.trade, self.rivalry)
        elif name == "led_initiatives":
            value = structure.led_initiatives(self.initiatives, self.iso3)
        elif name == "decision_context":
            partners, partner_count, rivals = self._get("network")
            value = structure.DecisionContext(
                partners, partner_count, rivals, self._get("led_initiatives")
            )
        elif name == "pull":
            whole = self.exposure
            memory = self._derived.get("pull")
            if memory is not None and memory.shape != whole.shape:
                memory = None
            if memory is None and self._dtype != np.float64:
                memory = np.empty(whole.shape, self._dtype)  # computed into it, rounded
            # Written into the memory of the stale one (fresh pages cost more than the sum).
            value = dynamics.pull(self.capacity, whole, self.kernel_parameters, memory)
        elif name == "anchored":
            value = dynamics.anchored(self.anchor_in_force, self.kernel_parameters)
            value = value.astype(self._dtype, copy=False)
        else:
            raise KeyError(f"no derived value {name!r}")
        self._derived[name] = value
        self._stale.discard(name)

    # ------------------------------------------------------------------ derived values
    @property
    def parameters(self) -> Parameters:
        """The run's parameters (setting them recomputes everything that reads them)."""
        return self._parameters

    @parameters.setter
    @changes("parameters")
    def parameters(self, value: Parameters) -> None:
        self._parameters = value

    @property
    def trade(self) -> np.ndarray:
        """(nation, partner) trade shares after tariffs (docs/ODD.md §7.2)."""
        return self._get("trade")[0]

    @property
    def imports(self) -> np.ndarray:
        """(importer, exporter) import shares after tariffs."""
        return self._get("trade")[1]

    @property
    def anchor(self) -> np.ndarray:
        """(observer, audience, actor, channel) the structural anchor p⁰ (`structure.anchor`)."""
        return self._get("anchor")

    @property
    def credibility_target(self) -> np.ndarray:
        """(observer, actor) the structural credibility R̄ (`structure.credibility_target`)."""
        return self._get("credibility_target")

    @property
    def anchor_in_force(self) -> np.ndarray:
        """(observer, audience, actor, channel) the anchor the kernel pulls toward: the
        structural anchor plus the `standing` events have set (not clipped).
        """
        return self._get("anchor_in_force")

    @property
    def shared(self) -> np.ndarray:
        """(nation, nation) Jaccard similarity of memberships (`exposure.shared_membership`)."""
        return self._get("shared")

    @property
    def exposure(self) -> np.ndarray:
        """(observer, audience, actor, channel) exposure in [0, 1] (`exposure.exposure`)."""
        self._get("exposure")  # the whole array, where what it reads has changed
        self._get("aid_exposure")  # then its aid slice alone, where only that has
        return self._derived["exposure"]

    @property
    def ties(self) -> Any:
        """(observer, observer) the social mix W, a sparse array (`exposure.social_ties`)."""
        return self._get("ties")

    @property
    def reach(self) -> np.ndarray:
        """(observer, audience, channel) reach (`exposure.audience_reach`)."""
        return self._get("reach")

    @property
    def audience_weight(self) -> np.ndarray:
        """(observer, audience) population weights (`exposure.audience_weights`)."""
        return self._get("audience_weight")

    @property
    def valence(self) -> np.ndarray:
        """(actor, channel) tone of each actor's projection (``message_valence``)."""
        return self._get("valence")

    @property
    def decision_context(self) -> structure.DecisionContext:
        """Partners, rivals and initiative leaders as nations' decisions read them."""
        return self._get("decision_context")

    @property
    def kernel_parameters(self) -> dynamics.KernelParameters:
        """The parameters in the shapes the kernel needs (`kernel_parameters`)."""
        return self._get("kernel_parameters")

    @property
    def pull(self) -> np.ndarray:
        """(observer, audience, actor, channel) the kernel's ν·u (`dynamics.pull`)."""
        return self._get("pull")

    @property
    def anchored(self) -> np.ndarray:
        """(observer, audience, actor, channel) the kernel's θ·p0 (`dynamics.anchored`)."""
        return self._get("anchored")

    def kernel_inputs(self, *, kept: bool = True) -> dynamics.Inputs:
        """Return what drives the next kernel step (`dynamics.Inputs`).

        Args:
            kept: Pass the pull ν·u and θ·p0 kept since what they are computed from last
                changed (the same numbers as computing them; False leaves them to the kernel).
        """
        return dynamics.Inputs(
            capacity=self.capacity,
            exposure=self.exposure,
            anchor=self.anchor_in_force,
            ties=self.ties,
            valence=self.valence,
            cut=structure.cut(self.reference_capacity, self.capacity),
            credibility_target=self.credibility_target,
            good=self.good,
            bad=self.bad,
            pull=self.pull if kept else None,
            anchored=self.anchored if kept else None,
        )

    # ------------------------------------------------------------------ reading
    def member_of(self, initiative: str) -> np.ndarray:
        """Return the 0/1 membership vector of an initiative or group."""
        return self.members[:, self.initiatives.index(initiative)]

    def aid_target(
        self, donor: int, attraction: np.ndarray, strategy: str | None = None
    ) -> np.ndarray:
        """Allocation shares of a donor's aid over recipients under its (or a given) strategy.

        Args:
            donor: Donor index.
            attraction: (observer, actor) attraction now (a strategic donor reads it).
            strategy: One of `structure.AID_STRATEGIES` (default: the donor's).
        """
        if strategy is None:
            strategy = structure.AID_STRATEGIES[self.aid_strategy[donor]]
        led = [j for _, j, leader in self._get("led_initiatives") if leader == donor]
        partners = self.members[:, led].max(axis=1) if led else None
        return structure.aid_target(
            donor, strategy, self.need, self.alliance, attraction, self._parameters, partners
        )

    def restricted_as_rival(self, observer: int, rival: int, severity: float) -> bool:
        """Whether a rival's culture and tech are closed to the observer's youth and public by
        at least ``severity`` already.
        """
        return bool(self.restricted_as_rivals(observer, [rival], severity)[0])

    def restricted_as_rivals(self, observer: int, rivals: list[int], severity: float) -> np.ndarray:
        """Return (rival,) `restricted_as_rival` of each of ``rivals`` at once."""
        closed = self.restriction[observer, :_ELITE, :, _RIVAL_SLICE][:, rivals]
        return (closed <= 1.0 - severity).all(axis=(0, 2))

    # ------------------------------------------------------------------ mutators
    # Events (`sim.model.effects`) and nations' decisions change the world only through these.

    @changes("capacity")
    def set_capacity(self, actor: int, channel: int, value: float) -> None:
        """Set one capacity now."""
        self.capacity[actor, channel] = value

    @changes("reference_capacity")
    def adapt_reference(self, rate: float) -> None:
        """Move the reference capacity toward the capacity by ``rate`` of the gap."""
        self.reference_capacity += rate * (self.capacity - self.reference_capacity)

    @changes("tariff")
    def set_tariff(
        self, actor: int, targets: np.ndarray, rate: float, *, both_ways: bool = True
    ) -> None:
        """Set the tariff rate ``actor`` levies on ``targets`` (and theirs on it if both ways)."""
        self.tariff[actor, targets] = rate
        if both_ways:
            self.tariff[targets, actor] = rate

    def set_tie(self, layer: str, source: int, targets: np.ndarray, weight: float | None) -> None:
        """Add (``weight``) or remove (None) ties of a network layer between source and targets.

        Trade ties add ``weight`` toward the source and half of it back (capped at 1); alliance
        and rivalry ties are 0/1 both ways; aid sets the source's allocation to the targets.
        """
        if layer == "trade":
            self.set_trade_tie(source, targets, weight)
        elif layer in ("alliance", "rivalry"):
            self.set_bond(layer, source, targets, weight is not None)
        else:
            self.set_aid_tie(source, targets, 0.0 if weight is None else weight)

    @changes("untaxed_trade", "untaxed_imports")
    def set_trade_tie(self, source: int, targets: np.ndarray, weight: float | None) -> None:
        """Add ``weight`` to the untaxed trade and import ties toward ``source`` and half of it
        back (capped at 1), or remove them both ways (None).
        """
        for arr in (self.untaxed_trade, self.untaxed_imports):
            if weight is not None:
                arr[targets, source] = np.minimum(arr[targets, source] + weight, 1.0)
                arr[source, targets] = np.minimum(arr[source, targets] + weight / 2.0, 1.0)
            else:
                arr[targets, source] = 0.0
                arr[source, targets] = 0.0

    @changes("alliance", "rivalry")
    def set_bond(self, layer: str, source: int, targets: np.ndarray, bond: bool) -> None:
        """Make (or end) an alliance or a rivalry between source and targets, both ways."""
        arr = self.alliance if layer == "alliance" else self.rivalry
        arr[source, targets] = arr[targets, source] = 1.0 if bond else 0.0

    @changes("aid_allocation")
    def set_aid_tie(self, donor: int, recipients: np.ndarray, share: float) -> None:
        """Set a donor's allocation share to ``recipients``."""
        self.aid_allocation[donor, recipients] = share

    @changes("members", "initiatives", "bad")
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
            cost = self._parameters.withdrawal_credibility_cost
            for k in nations:
                self.bad[stay, k] = np.maximum(self.bad[stay, k], cost)

    @changes("members")
    def set_membership_of(self, nation: int, column: int, member: bool) -> None:
        """Set one nation's membership of the initiative in ``column`` (a nation's decision)."""
        self.members[nation, column] = 1.0 if member else 0.0

    @changes("restriction")
    def restrict(
        self,
        observers: np.ndarray,
        audiences: list[int],
        actor: int,
        channels: list[int],
        severity: float,
    ) -> None:
        """Multiply the exposure of ``observers`` to ``actor``'s channels by 1 − ``severity``."""
        self.restriction[np.ix_(observers, audiences, [actor], channels)] *= 1.0 - severity

    @changes("restriction")
    def restrict_rival(self, observer: int, rival: int, severity: float) -> None:
        """Close a rival's culture and tech channels to the observer's youth and public by at
        least ``severity`` (restrictions already stronger stay as they are).
        """
        for channel in _RIVAL_CHANNELS:
            view = self.restriction[observer, :_ELITE, rival, channel]
            np.minimum(view, 1.0 - severity, out=view)

    @changes("aid_strategy")
    def set_aid_strategy(self, donor: int, strategy: str) -> None:
        """Switch a donor's aid allocation strategy (one of `structure.AID_STRATEGIES`)."""
        self.aid_strategy[donor] = structure.AID_STRATEGIES.index(strategy)

    @changes("aid_allocation")
    def reallocate_aid(self, donor: int, attraction: np.ndarray) -> None:
        """Move a donor's allocation toward its strategy's target at the reallocation rate.

        Args:
            donor: Donor index.
            attraction: (observer, actor) attraction now (a strategic donor reads it).
        """
        target = self.aid_target(donor, attraction)
        current = self.aid_allocation[donor]
        current += self._parameters.aid_reallocation_rate * (target - current)

    @changes("good", "bad")
    def shock_credibility(
        self, observers: np.ndarray, actor: int, magnitude: float, *, good: bool = False
    ) -> None:
        """Register a credibility shock of ``actor`` among ``observers`` for this quarter."""
        arr = self.good if good else self.bad
        arr[observers, actor] = np.maximum(arr[observers, actor], magnitude)

    @changes("standing")
    def add_standing(self, observers: np.ndarray, actor: int, shift: float | np.ndarray) -> None:
        """Add ``shift`` (one number or one per observer) to the observers' standing of
        ``actor``: the lasting share of an event's jump (`SoftPowerModel.event_jump`).
        """
        self.standing[observers, actor] += shift

    @changes("threat_felt")
    def feel_threat(
        self, observers: np.ndarray, actor: int, size: float | np.ndarray
    ) -> np.ndarray:
        """Record a threat of ``size`` (≥ 0) from ``actor`` felt by ``observers`` (an index
        array) and return, per observer, what exceeds the largest threat it has already felt
        from the actor this quarter.
        """
        wanted = np.broadcast_to(np.asarray(size, dtype=float), observers.shape)
        felt = self.threat_felt[observers, actor]
        extra = np.clip(wanted - felt, 0.0, None)
        self.threat_felt[observers, actor] = np.maximum(felt, wanted)
        return extra

    @changes("good", "bad", "threat_felt")
    def new_quarter(self) -> None:
        """Clear this quarter's event magnitudes (good, bad and threats felt)."""
        self.good[:] = 0.0
        self.threat_felt[:] = 0.0
        self.bad[:] = 0.0
