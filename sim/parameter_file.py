"""Reading a parameter file: ``name: value`` pairs of registry parameters, as ``softpower
calibrate`` writes them, given to a command with ``--params-file``.
"""

from __future__ import annotations

from pathlib import Path

from sim.errors import ParameterError, suggest
from sim.params import Parameters

__all__ = ["load_parameter_file"]


#: Top-level keys of a parameter file (`softpower calibrate` adds a record of the fit), and keys
#: that only a scenario or an experiment file has at the top level.
_PARAMETER_FILE_KEYS = frozenset({"parameters", "calibration"})
_OTHER_FILE_KEYS = frozenset(
    ["events", "steps", "start", "include", "title", "scenarios", "design", "replications"]
)

_PARAMETER_FILE_SHAPE = (
    "a parameter file: `name: value` pairs of registry parameters (`softpower params`), or a "
    "`parameters:` mapping of them as `softpower calibrate` writes"
)


def load_parameter_file(path: str | Path) -> Parameters:
    """Load a YAML or JSON file of ``name: value`` pairs (as written by ``softpower calibrate``).

    A ``parameters:`` mapping at the top level is also accepted (beside a ``calibration:``
    record). A scenario or experiment file is refused, saying what a parameter file looks like.

    Raises:
        ParameterError: Missing file, bad syntax (or a limit of `sim.yamlfile.read_yaml`), a file
            of another kind, an unknown name or a value out of range.

    """
    from sim.yamlfile import read_yaml

    path = Path(path)
    data, lines = read_yaml(path, error=ParameterError, what="parameter file")
    if isinstance(data, dict) and (_OTHER_FILE_KEYS & set(map(str, data))):
        kind = "an experiment" if "scenarios" in data else "a scenario"
        key = next(str(k) for k in data if str(k) in _OTHER_FILE_KEYS)
        raise ParameterError(
            f"this is {kind} file, not a parameter file",
            file=str(path),
            line=lines.get((key,)),
            key=key,
            expected=_PARAMETER_FILE_SHAPE,
            suggestion=f"give {kind} file as the command's argument, not as --params-file",
        )
    prefix: tuple[str, ...] = ()
    if isinstance(data, dict) and "parameters" in data:
        extra = sorted(set(map(str, data)) - _PARAMETER_FILE_KEYS)
        if extra:
            raise ParameterError(
                f"unexpected top-level key {extra[0]!r} beside parameters:",
                file=str(path),
                line=lines.get((extra[0],)),
                key=extra[0],
                expected=_PARAMETER_FILE_SHAPE,
                suggestion=suggest(extra[0], _PARAMETER_FILE_KEYS),
            )
        data, prefix = data["parameters"], ("parameters",)
    if not isinstance(data, dict):
        raise ParameterError(
            "not a mapping",
            file=str(path),
            line=lines.get(prefix) or 1,
            key=prefix[0] if prefix else None,
            expected=_PARAMETER_FILE_SHAPE,
        )
    where = {str(k): lines[(*prefix, k)] for k in data if (*prefix, k) in lines}
    return Parameters.from_mapping(
        {str(k): v for k, v in data.items()}, file=str(path), lines=where
    )
