"""`AppModel`: the soft power model built from the app's simple controls.

Mesa's controller rebuilds a model on Reset by calling its class with the values of the app's
inputs as keyword arguments; `AppModel` takes exactly those (a scenario name, a world name, a seed
and the key parameters) and builds a `SoftPowerModel` from the shared world and scenario library.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import threading
from typing import Any

import numpy as np

from sim.model.model import SoftPowerModel, StepPastEndError
from sim.params import KEY_PARAMETERS, REGISTRY, Parameters
from sim.viz import words
from sim.viz.library import BASELINE, ScenarioLibrary, app_world, scenario_library, world
from sim.world.bundled import WORLDS, world_name

__all__ = [
    "NO_COMPARISON",
    "AppModel",
    "advance",
    "model_lock",
    "model_params",
    "slider_step",
    "default_inputs",
]

#: The "compare with" choice that runs no comparison.
NO_COMPARISON = "none"


class AppModel(SoftPowerModel):
    """A `SoftPowerModel` made from a scenario name, a seed and parameter values.

    The same scenario and seed give the same run as ``softpower run SCENARIO --seed SEED``.
    A parameter the scenario file sets keeps the file's value unless its slider was moved away
    from the registry default; a moved slider overrides the file.

    The app steps it with `advance`, which holds the model's ``lock`` and stops cleanly at the
    last quarter; the views read it holding the same lock (`model_lock`), so a student's click
    never draws a half-made step while Play steps in its own thread. A plain ``step()`` past the
    last quarter is refused as by any `SoftPowerModel` (`StepPastEndError`).

    Args:
        scenario_name: A name from the scenario library (a file stem, e.g. ``us_aid_cuts``).
        seed: Root seed of the run.
        compare_with: Another scenario of the library to run alongside with the same seed and
            parameters (``none``: no comparison).
        world_name: The bundled world (``un193`` or ``core60``; default: the app's,
            `sim.viz.library.app_world`, the project's default world unless the app was
            started with another).
        library: The scenario library (default: the bundled one, found once per call).
        **parameters: Registry parameters by name, e.g. ``stubbornness=0.2``.

    Attributes:
        scenario_name: The scenario's name in the library.
        world_name: The bundled world's name.
        seed: The seed.
        overrides: Parameters the app set on top of the scenario's own.
        inputs: The values of the app's inputs this model was built from (to show pending ones).
        initial_perception: Perception at step 0, to show changes since the start.
        twin: The comparison run (a `SoftPowerModel`), stepped with this one, or None.
        lock: Held while the model steps and while a view reads it.

    Raises:
        ScenarioError: Unknown scenario name.
        ParameterError: Unknown parameter name or a value out of range.

    """

    def __init__(
        self,
        scenario_name: str = BASELINE,
        seed: int = 0,
        compare_with: str = NO_COMPARISON,
        library: ScenarioLibrary | None = None,
        world_name: str | None = None,
        **parameters: Any,
    ) -> None:
        library = library or scenario_library()
        Parameters.from_mapping(parameters)  # validates names and ranges, one-line errors
        overrides = {
            name: REGISTRY[name].type(value)
            for name, value in parameters.items()
            if not math.isclose(value, REGISTRY[name].default, rel_tol=1e-9, abs_tol=1e-12)
        }
        chosen = _world_name(world_name)
        spec = _with_overrides(library.load(scenario_name, chosen), overrides)
        self.scenario_name = scenario_name
        self.world_name = chosen
        self.seed = int(seed)
        self.overrides = overrides
        self.compare_with = compare_with
        self.inputs = {
            "scenario_name": scenario_name,
            "seed": self.seed,
            "compare_with": compare_with,
            "world_name": chosen,
            **{name: REGISTRY[name].default for name in KEY_PARAMETERS},
            **parameters,
        }
        super().__init__(world=world(chosen), scenario=spec, rng=np.random.SeedSequence(self.seed))
        self.initial_perception = self.perception.copy()
        self.twin: SoftPowerModel | None = None
        if compare_with != NO_COMPARISON:
            other = _with_overrides(library.load(compare_with, chosen), overrides)
            self.twin = SoftPowerModel(
                world=world(chosen), scenario=other, rng=np.random.SeedSequence(self.seed)
            )
        self.lock = threading.RLock()

    def step(self) -> None:
        """Advance this run one quarter, and the comparison run with it."""
        super().step()
        twin = self.twin
        if twin is not None and twin.steps < twin.horizon:
            twin.step()


def model_lock(model: SoftPowerModel) -> contextlib.AbstractContextManager:
    """Return the lock to hold while reading ``model`` (an `AppModel`'s ``lock``; a plain
    `SoftPowerModel`, which nothing steps behind the reader's back, needs none).
    """
    lock = getattr(model, "lock", None)
    return lock if lock is not None else contextlib.nullcontext()


def advance(model: SoftPowerModel, quarters: int = 1) -> int:
    """Step ``model`` up to ``quarters`` quarters, holding its lock; stop at the last quarter.

    Args:
        model: The model (an `AppModel`, or any `SoftPowerModel`).
        quarters: How many quarters to step (the app's render interval).

    Returns:
        How many quarters were stepped; at the last quarter ``running`` is False and nothing
        more moves.
    """
    done = 0
    with model_lock(model):
        for _ in range(max(0, int(quarters))):
            if not model.running or model.steps >= model.horizon:
                model.running = False
                break
            try:
                model.step()
            except StepPastEndError:
                model.running = False
                break
            done += 1
    return done


def _world_name(name: str | None) -> str:
    """Return a checked world name (the app's world when None)."""
    return app_world() if name is None else world_name(name, key="world_name")


def _with_overrides(spec: Any, overrides: dict[str, Any]) -> Any:
    """Return the scenario with the app's parameter overrides on top of its own parameters."""
    if not overrides:
        return spec
    merged = {**spec.parameters, **overrides}
    return dataclasses.replace(
        spec, parameters=merged, as_loaded={**spec.as_loaded, "parameters": merged}
    )


def default_inputs(library: ScenarioLibrary | None = None) -> dict[str, Any]:
    """Return the default value of every input of `model_params`."""
    return {name: spec["value"] for name, spec in model_params(library).items()}


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
    """Return the app's inputs: scenario, seed, comparison and key-parameter sliders.

    In Mesa's ``model_params`` format (``type``, ``value``, ``label``, ...), plus ``help``:
    a one-line explanation in plain words (`sim.viz.words.PLAIN_PARAMETERS` for the
    parameters), ``modeller`` (the parameter's code name and the registry's meaning, with its
    symbol) and, for the scenario selectors, ``titles`` (name → the scenario's title, what the
    picker shows). Types: ``Select``, ``InputInt`` (the seed, typed by hand), ``SliderInt``,
    ``SliderFloat``.
    The world selector starts on the app's world (`sim.viz.library.app_world`).

    Args:
        library: Scenario library for the selectors (default: the bundled one).

    Returns:
        ``{keyword of AppModel: input description}``; slider ranges come from the registry.

    """
    library = library or scenario_library()
    titles = {name: _title(library, name) for name in library.names}
    params: dict[str, dict[str, Any]] = {
        "scenario_name": {
            "type": "Select",
            "value": BASELINE,
            "values": library.names,
            "titles": titles,
            "label": "Scenario",
            "help": "the story to run: what happens, and when",
        },
        "seed": {
            "type": "InputInt",
            "value": 0,
            "min": 0,
            "max": 2**32 - 1,
            "label": "Seed",
            "help": (
                "a whole number that fixes the run's random draws: the same scenario, seed and "
                f"world as softpower run SCENARIO.yaml --seed N --world {app_world()} give the "
                "same numbers"
            ),
        },
        "compare_with": {
            "type": "Select",
            "value": NO_COMPARISON,
            "values": [NO_COMPARISON, *library.names],
            "titles": {NO_COMPARISON: "no comparison", **titles},
            "label": "Compare with",
            "help": "run a second scenario alongside, same seed and sliders",
        },
        "world_name": {
            "type": "Select",
            "value": app_world(),
            "values": list(WORLDS),
            "label": "World",
            "help": (
                "un193: every UN member state (with Taiwan, Kosovo and Palestine), the default "
                "of the app and the command line; core60: 60 nations, a less crowded map and "
                "quicker steps"
            ),
        },
    }
    for name in KEY_PARAMETERS:
        p = REGISTRY[name]
        params[name] = {
            "type": "SliderInt" if p.type is int else "SliderFloat",
            "value": p.default,
            "min": p.low,
            "max": p.high,
            "step": slider_step(name),
            "label": words.parameter_label(name),
            "unit": "" if p.unit == "1" else p.unit,
            "help": words.parameter_help(name, p.meaning),
            "modeller": f"{name}: {p.meaning}",
        }
    return params


def _title(library: ScenarioLibrary, name: str) -> str:
    """Return a scenario's title for the picker (its name if it does not load)."""
    try:
        return library.load(name).title
    except Exception:  # a file that broke since the library was read: show its name
        return name
