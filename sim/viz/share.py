"""Shareable setups: the page's address carries a run's scenario, seed, world, comparison and
every changed parameter (``?scenario=us_aid_cuts&seed=5&world=un193&event_persistence=0.3``),
and opening such an address builds that run.

Only the inputs travel, never the model: the same inputs give the same run. Plain functions of
strings and dictionaries, no Solara here.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sim.viz.controls import parse_seed

__all__ = ["QUERY_NAMES", "parse_query", "share_query"]

#: Address parameter → the app's input (the key parameters keep their own names).
QUERY_NAMES: dict[str, str] = {
    "scenario": "scenario_name",
    "seed": "seed",
    "world": "world_name",
    "compare": "compare_with",
}
_INPUT_NAMES = {value: key for key, value in QUERY_NAMES.items()}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def share_query(inputs: dict[str, Any], params: dict[str, dict[str, Any]]) -> str:
    """Return the query string of a setup: scenario, seed and world always, the comparison
    when there is one, and each parameter that differs from its default.

    Args:
        inputs: The values the run was built from (``AppModel.inputs``).
        params: The input descriptions (`sim.viz.app_model.model_params`).

    Returns:
        E.g. ``"scenario=us_aid_cuts&seed=5&world=un193&event_persistence=0.3"``.
    """
    pairs: list[tuple[str, str]] = []
    for name, spec in params.items():
        if name not in inputs:
            continue
        value = inputs[name]
        key = _INPUT_NAMES.get(name, name)
        always = name in ("scenario_name", "seed", "world_name")
        if always or not _same(value, spec["value"]):
            pairs.append((key, f"{value:g}" if isinstance(value, float) else str(value)))
    return urlencode(pairs)


def parse_query(
    query: str | None, params: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], list[str]]:
    """Return the inputs an address asks for and, in one line each, what it asked for in vain.

    Args:
        query: The query string (without ``?``), or None.
        params: The input descriptions (`sim.viz.app_model.model_params`).

    Returns:
        ``(inputs, refused)``: the valid values by input name (the others keep their
        defaults), and a sentence per unknown name or invalid value.
    """
    inputs: dict[str, Any] = {}
    refused: list[str] = []
    for key, text in parse_qsl(query or "", keep_blank_values=True):
        name = QUERY_NAMES.get(key, key)
        spec = params.get(name)
        if spec is None:
            refused.append(f"{key}: not a setting of this app")
            continue
        kind = spec["type"]
        try:
            if kind == "Select":
                if text not in spec["values"]:
                    raise ValueError(f"not one of {', '.join(spec['values'])}")
                value: Any = text
            elif kind == "InputInt":
                value = parse_seed(text, spec["min"], spec["max"])
            else:
                number = float(text)
                if not spec["min"] <= number <= spec["max"]:
                    raise ValueError(f"outside {spec['min']:g} to {spec['max']:g}")
                if kind == "SliderInt":
                    if number != int(number):
                        raise ValueError("not a whole number")
                    number = int(number)
                value = number
        except ValueError as exc:
            refused.append(f"{key}={text}: {exc}")
            continue
        inputs[name] = value
    return inputs, refused
