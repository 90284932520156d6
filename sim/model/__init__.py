"""The model core: the kernel, exposure, metrics, nations, event effects, recording and
`SoftPowerModel`. No files, no drawing: scenarios arrive as a resolved `Plan`.

Modules: `dynamics` (the vectorised kernel), `exposure` (who hears whom, through which channel),
`structure` (anchor, credibility target, cut, aid target, the decision context as pure
functions), `state` (`WorldState`: what events and decisions change, and what derives from it,
recomputed in one place), `metrics`
(attraction, salience, score, rank), `observe` (poll units), `plan` (resolved events), `kinds`
(the registry of event kinds), `effects` (what events do), `record` (per-step arrays),
`nation` (`Nation` agents and their decisions), `model` (`SoftPowerModel`).

The numpy core is imported with the package. The Mesa-facing names (`SoftPowerModel`, `Nation`,
`Plannable`, `StepPastEndError`) are imported on first use (PEP 562), like
the notebook API in `sim`: Mesa imports pandas, and pandas imports pyarrow whenever it is
installed, so a plain ``import sim.model`` loads neither Mesa nor anything of the file stack.
Type checkers read them from their modules directly.
"""

from typing import TYPE_CHECKING, Any

from sim.model import (
    dynamics,
    effects,
    exposure,
    kinds,
    metrics,
    observe,
    plan,
    record,
    state,
    structure,
)
from sim.model.plan import Plan, PlannedEvent
from sim.model.record import Recorder, recorded_steps
from sim.model.state import WorldState
from sim.model.structure import DecisionContext

if TYPE_CHECKING:
    from sim.model.model import Plannable, SoftPowerModel, StepPastEndError
    from sim.model.nation import Nation

_MESA_FACING = {
    "Nation": "sim.model.nation",
    "Plannable": "sim.model.model",
    "SoftPowerModel": "sim.model.model",
    "StepPastEndError": "sim.model.model",
}

__all__ = [
    "DecisionContext",
    "Nation",
    "Plan",
    "Plannable",
    "PlannedEvent",
    "Recorder",
    "SoftPowerModel",
    "StepPastEndError",
    "WorldState",
    "dynamics",
    "effects",
    "exposure",
    "kinds",
    "metrics",
    "observe",
    "plan",
    "record",
    "recorded_steps",
    "state",
    "structure",
]


def __getattr__(name: str) -> Any:
    if name in _MESA_FACING:
        from importlib import import_module

        value = getattr(import_module(_MESA_FACING[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim.model' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
