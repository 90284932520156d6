"""`AppModel`: the soft power model built from the app's simple controls.

Mesa's controller rebuilds a model on Reset by calling its class with the values of the app's
inputs as keyword arguments; `AppModel` takes exactly those (a scenario name, a seed and the key
parameters) and builds a `SoftPowerModel` from the shared world and scenario library.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from mesa.experimental.scenarios import Scenario as MesaScenario

from sim.model.model import SoftPowerModel
from sim.params import KEY_PARAMETERS, REGISTRY, Parameters
from sim.viz.library import BASELINE, ScenarioLibrary, scenario_library, world

__all__ = ["AppModel", "model_params", "slider_step"]


class AppModel(SoftPowerModel):
    """A `SoftPowerModel` made from a scenario name, a seed and parameter values.

    The same scenario and seed give the same run as ``softpower run SCENARIO --seed SEED``.
    A parameter the scenario file sets keeps the file's value unless its slider was moved away
    from the registry default; a moved slider overrides the file.

    Args:
        scenario_name: A name from the scenario library (a file stem, e.g. ``us_aid_cuts``).
        seed: Root seed of the run.
        library: The scenario library (default: the bundled one, found once per call).
        **parameters: Registry parameters by name, e.g. ``stubbornness=0.2``.

    Attributes:
        scenario_name: The scenario's name in the library.
        seed: The seed.
        overrides: Parameters the app set on top of the scenario's own.
        initial_perception: Perception at step 0, to show changes since the start.

    Raises:
        ScenarioError: Unknown scenario name.
        ParameterError: Unknown parameter name or a value out of range.

    """

    def __init__(
        self,
        scenario_name: str = BASELINE,
        seed: int = 0,
        library: ScenarioLibrary | None = None,
        **parameters: Any,
    ) -> None:
        # On Reset, Mesa also passes its own `scenario` object to models taking **kwargs.
        if isinstance(parameters.get("scenario"), MesaScenario):
            del parameters["scenario"]
        spec = (library or scenario_library()).load(scenario_name)
        Parameters.from_mapping(parameters)  # validates names and ranges, one-line errors
        overrides = {
            name: REGISTRY[name].type(value)
            for name, value in parameters.items()
            if not math.isclose(value, REGISTRY[name].default, rel_tol=1e-9, abs_tol=1e-12)
        }
        if overrides:
            merged = {**spec.parameters, **overrides}
            spec = dataclasses.replace(
                spec, parameters=merged, as_loaded={**spec.as_loaded, "parameters": merged}
            )
        self.scenario_name = scenario_name
        self.seed = int(seed)
        self.overrides = overrides
        super().__init__(world=world(), scenario=spec, rng=np.random.SeedSequence(self.seed))
        self.initial_perception = self.perception.copy()


def slider_step(name: str) -> float | int:
    """Return a slider step for a registry parameter: about 1/100 of its range, fine enough that
    the default lies on a step (a browser slider snaps its value to a step, which would change a
    calibrated default such as 0.9165 to 0.92 without anyone touching the slider).
    """
    p = REGISTRY[name]
    if p.type is int:
        step = max(1, int((p.high - p.low) // 100))
        while (p.default - p.low) % step:
            step -= 1
        return step
    step = 10.0 ** np.floor(np.log10(float(p.high - p.low) / 100.0))
    for _ in range(8):
        units = (p.default - p.low) / step
        if abs(units - round(units)) < 1e-6:
            break
        step /= 10.0
    return float(f"{step:.10g}")


def model_params(library: ScenarioLibrary | None = None) -> dict[str, dict[str, Any]]:
    """Return SolaraViz's ``model_params``: scenario selector, seed and key-parameter sliders.

    Args:
        library: Scenario library for the selector (default: the bundled one).

    Returns:
        ``{keyword of AppModel: Mesa input description}``; slider ranges come from the registry.

    """
    library = library or scenario_library()
    params: dict[str, dict[str, Any]] = {
        "scenario_name": {
            "type": "Select",
            "value": BASELINE,
            "values": library.names,
            "label": "Scenario",
        },
        "seed": {"type": "SliderInt", "value": 0, "min": 0, "max": 999, "step": 1, "label": "Seed"},
    }
    for name in KEY_PARAMETERS:
        p = REGISTRY[name]
        params[name] = {
            "type": "SliderInt" if p.type is int else "SliderFloat",
            "value": p.default,
            "min": p.low,
            "max": p.high,
            "step": slider_step(name),
            "label": f"{name} ({p.unit})" if p.unit != "1" else name,
        }
    return params
