"""Parameter ensembles: plausible parameter sets that an experiment's replications draw from.

A parameter-ensemble file is a CSV with the columns ``member,source,<registry parameter>...``, one
row per plausible parameter set (``softpower calibrate responses`` writes
``experiments/ensemble/responses_ensemble.csv``: the full fit, each leave-one-scenario-out fit and
bootstrap fits).
An experiment names it with ``parameter_ensemble: PATH`` (relative to the experiment file); each
replication then runs with one member's values (`Ensemble.assign`), so the spread over runs holds
what is not known about the parameters as well as the seeds' chance (docs/batch.md).

Members are assigned to replications in shuffled rounds: replications ``0..M−1`` take the ``M``
members in a random order, the next ``M`` another order, and so on, the orders drawn from a
generator seeded by the experiment's root seed alone (a stream of its own, not the runs' seeds).
With ``R = k·M`` replications every member is used ``k`` times; replication ``r`` has the same
member in every scenario and design point, so differences stay paired.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import ExperimentError, ParameterError, suggest
from sim.params import REGISTRY

__all__ = ["ENSEMBLE_STREAM", "Ensemble", "load_ensemble"]

#: Second entropy word of the generator that orders members (so it is no run's seed stream).
ENSEMBLE_STREAM = 0x656E73  # "ens"

_EXPECTED = "a CSV with columns member,source,<parameter>... (softpower calibrate responses)"


@dataclass(frozen=True)
class Ensemble:
    """A loaded parameter ensemble.

    Attributes:
        path: The file as named in the experiment (resolved against its folder).
        relative: The path as written in the experiment file.
        sha256: SHA-256 of the file's bytes.
        names: Parameter names, in file order.
        members: Each member's values, in file order.
        sources: Each member's ``source`` label (e.g. ``without iraq_war_2003 (USA)``).

    """

    path: str
    relative: str
    sha256: str
    names: tuple[str, ...]
    members: tuple[dict[str, float | int], ...]
    sources: tuple[str, ...]

    def assign(self, seed: int, replications: int) -> list[int]:
        """Return the member of each replication (shuffled rounds over the members).

        Example:
            >>> e = Ensemble("f.csv", "f.csv", "", ("x",), ({"x": 0.0}, {"x": 1.0}), ("a", "b"))
            >>> sorted(e.assign(7, 4))
            [0, 0, 1, 1]

        """
        rng = np.random.default_rng([seed, ENSEMBLE_STREAM])
        m = len(self.members)
        rounds = -(-replications // m)
        order = np.concatenate([rng.permutation(m) for _ in range(rounds)])
        return [int(i) for i in order[:replications]]

    def to_dict(self, seed: int, replications: int) -> dict[str, Any]:
        """Plain data for the batch manifest (``parameter_ensemble``)."""
        return {
            "file": self.relative,
            "path": self.path,
            "sha256": self.sha256,
            "names": list(self.names),
            "members": [
                {"member": i, "source": s, "values": dict(v)}
                for i, (s, v) in enumerate(zip(self.sources, self.members, strict=True))
            ],
            "assignment": "shuffled rounds over the members, seeded by the root seed",
            "replication_member": self.assign(seed, replications),
        }


def _suggest_csv(relative: str, folder: Path) -> str | None:
    """A did-you-mean among the CSV files up to two folders below the experiment's folder."""
    if not folder.is_dir():
        return None
    found = [*folder.glob("*.csv"), *folder.glob("*/*.csv"), *folder.glob("*/*/*.csv")]
    choices = [p.relative_to(folder).as_posix() for p in found[:500]]
    return suggest(relative, choices)


def _fail(message: str, file: str, line: int | None, key: str, expected: str, suggestion=None):
    return ExperimentError(
        message, file=file, line=line, key=key, expected=expected, suggestion=suggestion
    )


def load_ensemble(
    relative: str, folder: Path, *, experiment_file: str, line: int | None
) -> Ensemble:
    """Read and validate a parameter-ensemble CSV named by an experiment file.

    Args:
        relative: The path as written in the experiment (relative to its folder).
        folder: The experiment file's folder.
        experiment_file: The experiment file, for errors about the reference itself.
        line: The line of ``parameter_ensemble:`` in the experiment file.

    Raises:
        ExperimentError: A missing or unreadable file, an unknown parameter name (with a
            did-you-mean), a value outside the registry's range, or no member.

    """
    path = folder / relative
    if not path.is_file():
        raise _fail(
            f"parameter ensemble {relative!r} not found",
            experiment_file,
            line,
            "parameter_ensemble",
            "a CSV path relative to the experiment file",
            _suggest_csv(relative, folder),
        )
    file = str(path)
    try:
        data = path.read_bytes()
        rows = list(csv.reader(data.decode("utf-8").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read file ({exc})", file, None, "", _EXPECTED) from None
    if not rows or rows[0][:2] != ["member", "source"]:
        raise _fail("bad header", file, 1, "", _EXPECTED)
    names = tuple(h.strip() for h in rows[0][2:])
    if not names:
        raise _fail("no parameter columns", file, 1, "", _EXPECTED)
    for name in names:
        if name not in REGISTRY:
            raise _fail(
                "unknown parameter",
                file,
                1,
                name,
                "a name from `softpower params`",
                suggest(name, REGISTRY),
            )
    if len(set(names)) != len(names):
        raise _fail("a parameter appears twice", file, 1, "", "distinct parameter columns")
    members: list[dict[str, float | int]] = []
    sources: list[str] = []
    for n, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(names) + 2:
            raise _fail(
                f"{len(row)} fields", file, n, "", f"{len(names) + 2} fields, as in the header"
            )
        values: dict[str, float | int] = {}
        for name, text in zip(names, row[2:], strict=True):
            reg = REGISTRY[name]
            try:
                number = float(text)
                whole = reg.type is int and number.is_integer()
                value = reg.validate(int(number) if whole else number)
                reg.check_settable(value)
            except ValueError:
                raise _fail(f"{text!r} is not a number", file, n, name, "a number") from None
            except ParameterError as exc:
                raise _fail(exc.message, file, n, name, exc.expected or "a valid value") from None
            values[name] = value
        members.append(values)
        sources.append(row[1])
    if not members:
        raise _fail("no member", file, 2, "", "at least one row of parameter values")
    return Ensemble(
        path=file,
        relative=relative,
        sha256=hashlib.sha256(data).hexdigest(),
        names=names,
        members=tuple(members),
        sources=tuple(sources),
    )
