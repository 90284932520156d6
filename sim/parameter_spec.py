"""How one model parameter is described: type, default, range, unit, meaning, group, source.

`sim.params` declares every parameter with `parameter` and builds the one registry from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sim.errors import ParameterError

__all__ = ["ASSUMPTION", "ParameterSpec", "parameter"]


#: The source of a default chosen by the modellers (see docs/ODD.md for the reasoning).
ASSUMPTION = "modelling assumption (docs/ODD.md)"


@dataclass(frozen=True)
class ParameterSpec:
    """Description of one model parameter.

    Attributes:
        name: Identifier used in scenario and experiment files.
        type: ``float`` or ``int``.
        default: Default value (calibrated where `docs/validation.md` says so).
        low: Smallest valid value (inclusive).
        high: Largest valid value (inclusive).
        unit: Unit of measure, or ``"1"`` for dimensionless.
        meaning: One-line meaning.
        group: Which submodel uses it (world, audience, dynamics, credibility, exposure, initial,
            decisions, output).
        source: Where the default comes from (a publication, a calibration, or a stated
            modelling assumption).

    """

    name: str
    type: type
    default: float | int
    low: float | int
    high: float | int
    unit: str
    meaning: str
    group: str
    source: str = ASSUMPTION

    def validate(self, value: Any, *, file: str | None = None, line: int | None = None) -> Any:
        """Return ``value`` converted to this parameter's type, or raise `ParameterError`.

        Args:
            value: The proposed value.
            file: File the value came from, for the error message.
            line: Line in that file.

        Returns:
            The value as ``int`` or ``float``.

        """
        expected = f"{self.type.__name__} in [{self.low}, {self.high}] ({self.meaning})"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(
                f"{value!r} is not a number", file=file, line=line, key=self.name, expected=expected
            )
        if self.type is int and float(value) != int(value):
            raise ParameterError(
                f"{value!r} is not an integer",
                file=file,
                line=line,
                key=self.name,
                expected=expected,
            )
        if not math.isfinite(float(value)) or not (self.low <= value <= self.high):
            raise ParameterError(
                f"{value!r} is out of range", file=file, line=line, key=self.name, expected=expected
            )
        return self.type(value)

    def check_settable(
        self, value: float | int, *, file: str | None = None, line: int | None = None
    ) -> None:
        """Refuse a value that cannot act where it is set: a parameter of the ``world`` group
        shapes a world only when it is built from its data files, so a scenario, an experiment or
        a parameter file may not change it (it would be recorded and do nothing).

        Raises:
            ParameterError: A world parameter away from its default.

        """
        if self.group == "world" and value != self.default:
            raise ParameterError(
                "acts only when a world is built from its data files, not in a run",
                file=file,
                line=line,
                key=self.name,
                expected=f"no value, or the default {self.default}",
                suggestion="build the world with sim.world.load_world(folder, parameters)",
            )


def parameter(
    default: float | int,
    low: float | int,
    high: float | int,
    unit: str,
    meaning: str,
    group: str,
    source: str = ASSUMPTION,
) -> Any:
    """Declare a field of `Parameters` together with its registry entry."""
    return field(
        default=default,
        metadata={
            "low": low,
            "high": high,
            "unit": unit,
            "meaning": meaning,
            "group": group,
            "source": source,
        },
    )
