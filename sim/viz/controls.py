"""The sidebar's model inputs: scenario, seed, comparison and parameter sliders, each with its
value, unit and a one-line help text, a way back to the defaults, and what waits for Reset.

Mesa's own inputs (``SolaraViz``'s ``ModelCreator``) show no slider values, no help and no
pending state, and take the seed only as a slider; these inputs write to the same reactive
dictionary of keyword arguments that Mesa's ``ModelController`` builds the model from on Reset.
"""

from __future__ import annotations

import functools
import html
import math
import re
from collections.abc import Callable
from typing import Any

import solara

from sim.model.model import SoftPowerModel

__all__ = ["ParameterPanel", "SeedBox", "input_problems", "parse_seed", "pending_changes"]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _seed_value(text: Any, spec: dict[str, Any]) -> int | str:
    """Return the typed seed as an int when it is one, else the text as typed (Reset refuses)."""
    try:
        return parse_seed(text, spec["min"], spec["max"])
    except ValueError:
        return "" if text is None else str(text)


def _display(spec: dict[str, Any], value: Any) -> str:
    """Return an input's value as the page shows it (a scenario by its title)."""
    titles = spec.get("titles", {})
    return titles[value] if isinstance(value, str) and value in titles else _shown(value)


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_seed(text: Any, low: int = 0, high: int = 2**32 - 1) -> int:
    """Return the seed typed in the seed box as an int, or say in one line why it is not one.

    Only whole numbers written in digits are seeds: ``1.5``, ``1e3``, ``-1`` and ``abc`` are
    refused, and so is a number past ``high`` (never silently clamped).

    Raises:
        ValueError: Not a whole number from ``low`` to ``high``; the message is for students.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        typed = str(text if text is not None else "").strip()
        if not re.fullmatch(r"\d+", typed):
            raise ValueError(
                f"the seed must be a whole number from {low} to {high}, written in digits "
                f"(not {typed!r})"
            )
        value = int(typed)
    if not low <= value <= high:
        raise ValueError(f"the seed must be a whole number from {low} to {high} (not {value})")
    return value


def input_problems(params: dict[str, dict[str, Any]], inputs: dict[str, Any]) -> dict[str, str]:
    """Return the inputs that cannot build a model, each with a one-line reason.

    Args:
        params: The input descriptions (`sim.viz.app_model.model_params`).
        inputs: The inputs' current values (the seed as typed).

    Returns:
        ``{input name: reason}``; empty when Reset can build a model from ``inputs``.
    """
    problems = {}
    for name, spec in params.items():
        if spec["type"] == "InputInt" and name in inputs:
            try:
                parse_seed(inputs[name], spec["min"], spec["max"])
            except ValueError as exc:
                problems[name] = f"{spec.get('label', name)}: {exc}"
    return problems


def pending_changes(
    params: dict[str, dict[str, Any]], inputs: dict[str, Any], model: SoftPowerModel
) -> tuple[str, ...]:
    """Return the inputs whose value differs from the running model's, as ``label value``.

    Args:
        params: The input descriptions (`sim.viz.app_model.model_params`).
        inputs: The inputs' current values.
        model: The running model (its ``inputs`` are the values it was built from).

    Returns:
        One ``"Label value"`` text per pending input, in the order of ``params``.
    """
    built = getattr(model, "inputs", {})
    return tuple(
        f"{spec.get('label', name)} {_display(spec, inputs[name])}"
        for name, spec in params.items()
        if name in inputs and name in built and not _same(inputs[name], built[name])
    )


@solara.component
def SeedBox(
    label: str,
    value: str,
    on_commit: Callable[[str], None],
    error: str | bool = False,
):
    """A text box whose text belongs to the browser until the student commits it (Enter, or
    leaving the box): the seed typed by hand.

    Solara's ``InputText`` hands the server's copy of the text to the page at every redraw, so
    a step drawn while a student typed put the last committed seed back in the box (the keys
    typed so far were lost), and on a busy server its commit read the server's copy, which can
    lag a key behind the page (issue 24, finding 10: "-1" arrived as "-"). Here the server never
    writes the box while the student types, and the commit takes the text the browser sends
    with its ``change`` event (Vuetify's text field sends it on Enter and on leaving the box
    when the text changed).

    Args:
        label: The box's label (its accessible name).
        value: The committed text: shown at first, and again whenever it changes from outside
            the box (a shared address, "Back to defaults").
        on_commit: Called with the text as the student left it.
        error: Why the committed text is refused (shown under the box), or False.
    """
    field = solara.v.TextField(
        label=label,
        error=bool(error),
        messages=[error] if isinstance(error, str) and error else [],
        type="text",
    )
    commit = solara.use_ref(on_commit)
    commit.current = on_commit

    def listen() -> Callable[[], None]:
        widget = solara.get_widget(field)

        def changed(_widget: Any, _event: str, data: Any) -> None:
            commit.current("" if data is None else str(data))

        widget.on_event("change", changed)
        return lambda: widget.on_event("change", changed, remove=True)

    def show() -> None:
        widget = solara.get_widget(field)
        if widget.v_model != value:
            widget.v_model = value

    solara.use_effect(listen, [])
    solara.use_effect(show, [value])
    return field


@solara.component
def ParameterPanel(
    params: dict[str, dict[str, Any]],
    inputs: solara.Reactive[dict[str, Any]],
    model: SoftPowerModel,
    problems: dict[str, str] | None = None,
):
    """The model's inputs, bound to ``inputs`` (Mesa's controller reads them on Reset).

    Args:
        params: Input descriptions: ``type`` (Select, InputInt, SliderInt, SliderFloat),
            ``value`` (default), ``label``, ``help``, and ``values`` / ``min`` / ``max`` /
            ``step`` / ``unit`` as the type needs.
        inputs: Reactive keyword arguments of the next model.
        model: The running model, to mark pending inputs.
        problems: Inputs that cannot build a model, with their reasons (`input_problems`).
    """
    problems = problems or {}
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
                titles = spec.get("titles", {})
                solara.v.Select(
                    label=label,
                    items=[{"text": titles.get(v, v), "value": v} for v in spec["values"]],
                    v_model=value,
                    on_v_model=functools.partial(set_input, name),
                    dense=True,
                )
            elif kind == "InputInt":
                # Typed text is kept as typed (nothing rewrites the box while a student types);
                # a seed that is not a whole number in range blocks Reset with its reason.
                SeedBox(
                    label,
                    value=str(value),
                    on_commit=lambda v, name=name, spec=spec: set_input(name, _seed_value(v, spec)),
                    error=problems.get(name, False),
                )
            elif kind in ("SliderInt", "SliderFloat"):
                slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
                slider(
                    label,
                    value=value,
                    min=spec["min"],
                    max=spec["max"],
                    step=spec["step"],
                    on_value=functools.partial(set_input, name),
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
        modeller = "".join(
            f"<li>{html.escape(spec['modeller'])}</li>"
            for spec in params.values()
            if spec.get("modeller")
        )
        solara.Details(
            summary="For modellers: parameter names and symbols",
            children=[
                solara.HTML(
                    tag="ul",
                    unsafe_innerHTML=modeller,
                    style="font-size:12px;padding-left:1.2em",
                    classes=["softpower-modellers"],
                )
            ],
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
