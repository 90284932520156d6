"""The model core: the kernel, exposure, metrics, nations, event effects, recording and
`SoftPowerModel`. No files, no drawing: scenarios arrive as a resolved `Plan`.

Modules: `dynamics` (the vectorised kernel), `exposure` (who hears whom, through which channel),
`structure` (anchor, credibility target, cut, aid target as pure functions), `metrics`
(attraction, salience, score, rank), `plan` (resolved events), `effects` (what events do),
`nation` (`Nation` agents and their decisions), `record` (per-step arrays), `model`
(`SoftPowerModel`).
"""

from sim.model import dynamics, effects, exposure, metrics, observe, plan, structure
from sim.model.model import Plannable, SoftPowerModel, StepPastEndError
from sim.model.nation import DecisionContext, Nation
from sim.model.plan import Plan, PlannedEvent
from sim.model.record import Recorder, recorded_steps

__all__ = [
    "DecisionContext",
    "Nation",
    "Plan",
    "Plannable",
    "PlannedEvent",
    "Recorder",
    "SoftPowerModel",
    "StepPastEndError",
    "dynamics",
    "effects",
    "exposure",
    "metrics",
    "observe",
    "plan",
    "recorded_steps",
    "structure",
]
