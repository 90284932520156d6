"""The sidebar's model inputs: scenario, seed, comparison and parameter sliders, each with its
value, unit and a one-line help text, a way back to the defaults, and what waits for Reset.

Mesa's own inputs (``SolaraViz``'s ``ModelCreator``) show no slider values, no help and no
pending state, and take the seed only as a slider; these inputs write to the same reactive
dictionary of keyword arguments that Mesa's ``ModelController`` builds the model from on Reset.
"""

from __future__ import annotations

import html
import math
from typing import Any

import solara

from sim.model.model import SoftPowerModel

__all__ = ["ParameterPanel", "pending_changes"]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def pending_changes(
    params: dict[str, dict[str, Any]], inputs: dict[str, Any], model: SoftPowerModel
) -> tuple[str, ...]:
    """Return the inputs whose value differs from the running model's, as ``label value``.

    Args:
        params: The input descriptions (`sim.viz.model.model_params`).
        inputs: The inputs' current values.
        model: The running model (its ``inputs`` are the values it was built from).

    Returns:
        One ``"Label value"`` text per pending input, in the order of ``params``.
    """
    built = getattr(model, "inputs", {})
    return tuple(
        f"{spec.get('label', name)} {_shown(inputs[name])}"
        for name, spec in params.items()
        if name in inputs and name in built and not _same(inputs[name], built[name])
    )


@solara.component
def ParameterPanel(
    params: dict[str, dict[str, Any]],
    inputs: solara.Reactive[dict[str, Any]],
    model: SoftPowerModel,
):
    """The model's inputs, bound to ``inputs`` (Mesa's controller reads them on Reset).

    Args:
        params: Input descriptions: ``type`` (Select, InputInt, SliderInt, SliderFloat),
            ``value`` (default), ``label``, ``help``, and ``values`` / ``min`` / ``max`` /
            ``step`` / ``unit`` as the type needs.
        inputs: Reactive keyword arguments of the next model.
        model: The running model, to mark pending inputs.
    """
    values = inputs.value
    built = getattr(model, "inputs", {})

    def set_input(name: str, value: Any) -> None:
        inputs.set({**inputs.value, name: value})

    def defaults() -> None:
        keep = {"scenario_name", "compare_with"}  # the story stays; numbers go back
        inputs.set(
            {
                **inputs.value,
                **{n: s["value"] for n, s in params.items() if n not in keep},
            }
        )

    pending = pending_changes(params, values, model)
    with solara.Column(gap="6px") as main:
        if pending:
            solara.Warning(
                "Pending until Reset: " + "; ".join(pending),
                dense=True,
                classes=["softpower-pending-inputs"],
            )
        for name, spec in params.items():
            value = values.get(name, spec["value"])
            waiting = name in built and not _same(value, built[name])
            label = spec.get("label", name) + (" (pending)" if waiting else "")
            kind = spec["type"]
            if kind == "Select":
                solara.Select(
                    label,
                    values=spec["values"],
                    value=value,
                    on_value=lambda v, name=name: set_input(name, v),
                )
            elif kind == "InputInt":
                solara.InputInt(
                    label,
                    value=int(value),
                    on_value=lambda v, name=name, spec=spec: set_input(
                        name, min(max(int(v), spec["min"]), spec["max"])
                    ),
                    continuous_update=True,
                )
            elif kind in ("SliderInt", "SliderFloat"):
                slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
                slider(
                    label,
                    value=value,
                    min=spec["min"],
                    max=spec["max"],
                    step=spec["step"],
                    on_value=lambda v, name=name: set_input(name, v),
                    thumb_label=False,
                )
            else:  # a future input type: leave it to Mesa's own component
                raise ValueError(f"{kind} is not a supported input type")
            help_text = html.escape(spec.get("help", ""))
            if kind.startswith("Slider"):
                unit = f" {spec['unit']}" if spec.get("unit") else ""
                help_text = (
                    f"<b>{_shown(value)}{html.escape(unit)}</b> "
                    f"(default {_shown(spec['value'])}) — {help_text}"
                )
            solara.HTML(
                tag="div",
                unsafe_innerHTML=help_text,
                style="font-size:12px;opacity:0.8;margin:-6px 0 4px 0",
                classes=["softpower-input-help", f"softpower-help-{name}"],
            )
        solara.Button(
            "Back to defaults",
            on_click=defaults,
            outlined=True,
            small=True,
            classes=["softpower-defaults"],
        )
        solara.Text(
            "Changes take effect when you press Reset.",
            style={"font-size": "12px", "opacity": "0.8"},
        )
    return main
