"""Reading YAML with line numbers, and turning schema errors into one-line `ScenarioError`s
(file, line, key, what was expected, a suggestion).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ValidationError,
)
from pydantic_core import ErrorDetails

from sim import yamlfile
from sim.errors import ScenarioError, suggest
from sim.params import REGISTRY
from sim.scenario.schema import EVENT_CLASSES, EVENT_KINDS, Distribution, RandomEvent, ScenarioFile

__all__ = ["clean_loc", "explain", "pydantic_error", "read_yaml", "suggest_file", "suggest_include"]


def read_yaml(path: Path) -> tuple[dict[str, Any], dict[tuple, int]]:
    """Read a scenario (YAML mapping) safely and return it with the line of every key path.

    The limits of `sim.yamlfile.read_yaml` apply (size, depth, no aliases, no duplicate keys).

    Raises:
        ScenarioError: Missing file, bad YAML or not a mapping (one line, with a suggestion).

    """
    data, lines = yamlfile.read_yaml(
        path,
        error=ScenarioError,
        what="scenario file",
        missing_suggestion=None if path.exists() else suggest_file(path),
    )
    if not isinstance(data, dict):
        raise ScenarioError(
            "not a mapping", file=str(path), line=1, expected="keys name, title, steps, events"
        )
    _refuse_other_kind(data, path, lines)
    return data, lines


#: Top-level keys only an experiment file has, and those of a parameter file.
_EXPERIMENT_KEYS = ("scenarios", "replications", "design", "parameter_ensemble", "record")
_PARAMETER_FILE_KEYS = frozenset({"parameters", "calibration"})


def _refuse_other_kind(data: dict[str, Any], path: Path, lines: dict[tuple, int]) -> None:
    """Refuse an experiment or a parameter file (a `parameters:` mapping, or registry names
    only) given where a scenario file is read, saying which command takes it (instead of naming
    its first unknown or missing key).
    """
    keys = [str(k) for k in data]
    found = next((k for k in keys if k in _EXPERIMENT_KEYS), None)
    if found is not None:
        raise ScenarioError(
            "this is an experiment file, not a scenario file",
            file=str(path),
            line=lines.get((found,)),
            key=found,
            expected="a scenario file (keys name, title, start, steps, events)",
            suggestion=f"run it with `softpower batch {path} --out DIR`",
        )
    if keys and (set(keys) <= _PARAMETER_FILE_KEYS or all(k in REGISTRY for k in keys)):
        raise ScenarioError(
            "this is a parameter file, not a scenario file",
            file=str(path),
            line=lines.get((keys[0],)),
            key=keys[0],
            expected="a scenario file (keys name, title, start, steps, events)",
            suggestion=f"give it as `--params-file {path}` beside a scenario file",
        )


def suggest_file(path: Path) -> str | None:
    """Return a did-you-mean for a missing file from the YAML files next to it (or None)."""
    folder = path.parent if path.parent.is_dir() else Path("scenarios")
    if not folder.is_dir():
        return None
    names = [p.name for p in folder.glob("*.yaml")]
    hint = suggest(path.name, names)
    return hint.replace("did you mean ", f"did you mean {folder}/") if hint else None


def clean_loc(loc: tuple) -> tuple:
    """Drop the parts of a pydantic location that are not keys: event kinds (the discriminator
    tag), union members such as ``str`` or ``list[str]``, and validator names.
    """
    return tuple(
        p
        for p in loc
        if isinstance(p, int)
        or (
            p not in EVENT_KINDS
            and p not in _UNION_MEMBERS
            and "[" not in str(p)
            and not str(p).startswith("function")
        )
    )


_UNION_MEMBERS = {"str", "int", "float", "bool"}


def suggest_include(written: str, child: Path) -> str | None:
    """Suggest a YAML file next to the missing ``child``, spelt relative like ``written``."""
    if not child.parent.is_dir():
        return None
    hint = suggest(child.name, [p.name for p in child.parent.glob("*.yaml")])
    prefix = str(Path(written).parent)
    if hint and prefix != ".":
        return hint.replace("did you mean ", f"did you mean {prefix}/")
    return hint


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    """Return the line of the deepest known prefix of a pydantic error location."""
    clean = clean_loc(loc)
    for end in range(len(clean), -1, -1):
        if clean[:end] in lines:
            return lines[clean[:end]]
    return None


_TARGETS_EXPECTED = "an ISO3 code, a group, a UN region or all, or a list of them"


_TIME_EXPECTED = "YYYY-Qn such as 2025-Q3, or a step number"


#: What a field accepts, for fields whose type is a union (pydantic reports each member apart).
_FIELD_EXPECTED: dict[str, str] = {
    "observers": _TARGETS_EXPECTED,
    "targets": _TARGETS_EXPECTED,
    "nations": _TARGETS_EXPECTED,
    "exclude": "a list of ISO3 codes, groups or UN regions",
    "audiences": "all or a list of youth, public, elite",
    "at": _TIME_EXPECTED,
    "until": _TIME_EXPECTED,
}


_TYPE_NAMES = {
    "int": "an integer",
    "float": "a number",
    "string": "text",
    "list": "a list",
    "dict": "a mapping",
    "bool": "true or false",
    "model attributes": "a mapping of keys",
}


def explain(
    errors: list[ErrorDetails], model_title: str | None
) -> tuple[ErrorDetails, str, str | None, str | None]:
    """Pick the most telling of pydantic's errors and say it plainly.

    An unknown key is reported before the missing key it was probably meant to be; of the errors
    pydantic gives for each member of a union, the deepest one, with the choices of all members.

    Returns:
        The chosen error, the message, what was expected and a suggestion.

    """
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    where = clean_loc(tuple(err["loc"]))
    related = [e for e in errors if clean_loc(tuple(e["loc"]))[: len(where)] == where]
    deepest = max(related, key=lambda e: len(clean_loc(tuple(e["loc"]))))
    if len(clean_loc(tuple(deepest["loc"]))) > len(where):
        err, where = deepest, clean_loc(tuple(deepest["loc"]))
    siblings = [e for e in errors if clean_loc(tuple(e["loc"])) == where]
    field = next((str(p) for p in reversed(where) if isinstance(p, str)), "")
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    message = err["msg"].replace("Value error, ", "")
    expected: str | None = None
    suggestion: str | None = None
    if kind == "extra_forbidden":
        model = _model_at(tuple(err["loc"]), model_title)
        message = f"unknown key {field!r}"
        if model is not None:
            expected = f"one of {', '.join(model.model_fields)}"
            suggestion = suggest(field, model.model_fields)
        else:
            expected = "one of the documented keys (docs/scenarios.md)"
    elif kind == "missing":
        message = "required key is missing"
        expected = f"a value for {field}" if field else "this key to be present"
    elif kind == "union_tag_invalid":
        tag = ctx.get("tag", "")
        message = f"unknown event kind {tag!r}"
        expected = ", ".join(EVENT_KINDS)
        suggestion = suggest(str(tag), EVENT_KINDS)
    elif kind == "union_tag_not_found":
        message = "event without a kind"
        expected = f"kind: one of {', '.join(EVENT_KINDS)}"
    elif all(e["type"] == "literal_error" for e in siblings):
        choices = [c for e in siblings for c in re.findall(r"'([^']+)'", e["msg"])]
        message = f"{value!r} is not allowed"
        expected = f"{', '.join(choices[:-1])} or {choices[-1]}" if len(choices) > 1 else choices[0]
        suggestion = suggest(str(value), choices)
    elif field in _FIELD_EXPECTED and len(siblings) > 1:
        message = f"{value!r} is not valid here"
        expected = _FIELD_EXPECTED[field]
        choices = [c for e in siblings for c in re.findall(r"'([^']+)'", e["msg"])]
        if field == "audiences":
            choices += ["youth", "public", "elite"]
        suggestion = suggest(str(value), choices) if choices else None
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        sign = {"greater_than_equal": "≥", "less_than_equal": "≤", "greater_than": ">"}
        limit = next(iter(ctx.values()), "")
        message = f"{value!r} is out of range"
        expected = f"a number {sign.get(kind, '<')} {limit}"
    elif kind.endswith(("_type", "_parsing")) or kind == "int_from_float":
        wanted = re.match(r"Input should be (a valid [\w ]+)", err["msg"])
        message = f"{value!r} is not {wanted.group(1)}" if wanted else message
        name = kind.replace("_parsing", "").replace("_type", "").replace("_", " ")
        name = "int" if kind == "int_from_float" else name
        expected = _FIELD_EXPECTED.get(field) or _TYPE_NAMES.get(name, name)
        if where and where[0] == "events" and len(where) == 2:
            expected = "a mapping with at, kind and the keys of that kind (docs/scenarios.md)"
    elif kind == "string_pattern_mismatch":
        message = f"{value!r} is not a valid {field or 'value'}"
        expected = "lower-case letters, digits, - and _"
        slug = re.sub(r"[^a-z0-9_\-]+", "_", str(value).lower()).strip("_")
        suggestion = f"did you mean {slug}?" if slug else None
    if expected is None and "; expected " in message:
        message, expected = message.split("; expected ", 1)
    return err, message, expected or "see docs/scenarios.md", suggestion


def pydantic_error(exc: ValidationError, path: Path, lines: dict[tuple, int]) -> ScenarioError:
    """Turn the first schema error of a file into a one-line `ScenarioError` with its line."""
    err, message, expected, suggestion = explain(exc.errors(), exc.title)
    key_path = clean_loc(tuple(err["loc"]))
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in key_path).lstrip(".")
    return ScenarioError(
        message,
        file=str(path),
        line=_line_for(lines, key_path),
        key=key or None,
        expected=expected,
        suggestion=suggestion,
    )


def _model_at(loc: tuple, model_title: str | None = "ScenarioFile") -> type[BaseModel] | None:
    """Return the schema class whose keys are valid at the parent of ``loc``."""
    kinds = [p for p in loc[:-1] if p in EVENT_CLASSES]
    if kinds:
        model = EVENT_CLASSES[kinds[0]]
        if model is RandomEvent and "magnitude" in loc[loc.index(kinds[0]) : -1]:
            return Distribution
        return model
    return ScenarioFile if len(loc) == 1 and model_title == "ScenarioFile" else None
