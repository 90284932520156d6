"""One safe YAML reader for every file the project reads (scenarios, experiments, parameter files).

Files load as safe YAML (no ``!!python`` tags) with limits that keep a hostile or broken file
from exhausting memory or the stack, each refused as a one-line error with file and line:

- size: at most `MAX_BYTES` (5 MB; the largest bundled file is a few kB);
- nesting: at most `MAX_DEPTH` (50) levels of mappings and lists;
- aliases: none (``*name``; no bundled file uses them, and a few nested aliases expand to a
  billion values: the "billion laughs" bomb);
- duplicate keys: refused, naming the key and both lines (YAML would silently keep the last).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.errors import SoftPowerError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "read_yaml"]

#: Largest YAML file read, in bytes.
MAX_BYTES = 5_000_000

#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 50


class _Refused(Exception):
    """A limit was hit while composing (`read_yaml` turns it into the caller's error)."""

    def __init__(
        self, message: str, line: int | None, expected: str, suggestion: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.expected = expected
        self.suggestion = suggestion


class _Loader(yaml.SafeLoader):
    """A safe loader that refuses aliases, deep nesting and duplicate keys while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(
                f"YAML alias *{event.anchor} refused",
                event.start_mark.line + 1,
                "values written out in full (aliases and anchors are not accepted)",
                f"replace *{event.anchor} by a copy of the value it names",
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused(
                    f"nesting deeper than {MAX_DEPTH} levels",
                    mark.line + 1,
                    f"at most {MAX_DEPTH} levels of mappings and lists",
                    "flatten the file",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    # types-PyYAML types the anchor as a dict; PyYAML passes the anchor's name (or None).
    def compose_mapping_node(self, anchor: str | None) -> yaml.MappingNode:  # type: ignore[override]
        node = super().compose_mapping_node(anchor)  # type: ignore[arg-type]
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                raise _Refused(
                    f"duplicate key {key_node.value!r} (first at line {seen[key_node.value]})",
                    line,
                    "each key once per mapping",
                    "remove one of them or merge their values",
                )
            seen[key_node.value] = line
        return node


def _code(character: int | str) -> int:
    """Return the code point of the character PyYAML's reader refused (an int or a str)."""
    return character if isinstance(character, int) else ord(character)


def _line_map(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map each key path (keys and list indices) to its 1-based line."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*path, key)] = key_node.start_mark.line + 1
            _line_map(value_node, (*path, key), out)
            out[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*path, i), out)
    return out


def read_yaml(
    path: str | Path,
    *,
    error: type[SoftPowerError] = SoftPowerError,
    what: str = "YAML file",
    missing_suggestion: str | None = None,
) -> tuple[Any, dict[tuple, int]]:
    """Read a YAML (or JSON) file safely and return its data with the line of every key path.

    Args:
        path: The file.
        error: The `SoftPowerError` subclass to raise (`ScenarioError`, `ParameterError`, ...).
        what: What the file is, for messages (``scenario file``, ``parameter file``).
        missing_suggestion: Suggestion when the file does not exist (e.g. a did-you-mean).

    Returns:
        The data (any YAML value; None for an empty file) and ``{key path: line}``.

    Raises:
        SoftPowerError: As ``error``: a missing or unreadable file, a file over `MAX_BYTES`,
            bad syntax, a tag, an alias, nesting over `MAX_DEPTH` or a duplicate key; one line
            with file and line.

    """
    path = Path(path)
    try:
        if path.is_dir():
            raise error(f"{what} is a directory", file=str(path), expected=f"a {what}")
        with path.open("rb") as fh:  # at most one byte over the limit, even from /dev/zero
            raw = fh.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise error(
                f"{what} too large (over {MAX_BYTES / 1e6:.0f} MB)",
                file=str(path),
                expected=f"at most {MAX_BYTES / 1e6:.0f} MB",
                suggestion="check that this is the file you meant",
            )
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise error(
            f"{what} not found",
            file=str(path),
            expected="a YAML file",
            suggestion=missing_suggestion,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read file ({exc})", file=str(path)) from None
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        # The reader refuses control characters (a NUL, say) before any parsing.
        raise error(
            f"character U+{_code(exc.character):04X} not allowed in a YAML file",
            file=str(path),
            line=text.count("\n", 0, max(exc.position, 0)) + 1,
            expected="printable text",
            suggestion="remove the character (was the file saved by a text editor?)",
        ) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        raise error(
            exc.message,
            file=str(path),
            line=exc.line,
            expected=exc.expected,
            suggestion=exc.suggestion,
        ) from None
    except yaml.constructor.ConstructorError as exc:
        # Safe loading refuses tags such as !!python/object: they could run code.
        mark = exc.problem_mark or exc.context_mark
        raise error(
            f"YAML tag refused ({exc.problem})",
            file=str(path),
            line=mark.line + 1 if mark else None,
            expected="plain YAML without !!python or other custom tags (files load as safe YAML)",
            suggestion="remove the tag and write the value itself",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        if exc.context and exc.context_mark and exc.context_mark.line != getattr(mark, "line", -1):
            problem += f" {exc.context} that starts at line {exc.context_mark.line + 1}"
        raise error(
            f"YAML syntax error: {problem}",
            file=str(path),
            line=line,
            expected="valid YAML (check indentation and colons)",
        ) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        # ValueError and friends: a scalar the safe constructor cannot build (e.g. a date such
        # as 2025-13-45, or a timestamp out of range).
        raise error(f"YAML error: {exc}".replace("\n", " "), file=str(path)) from None
    finally:
        loader.dispose()
    return data, (_line_map(node) if node is not None else {})
