"""softpower: an agent-based simulator of how nations win and lose soft power.

The package is organised along the data flow (docs/architecture.md §1): `sim.world` → `sim.model` →
`sim.scenario` → `sim.batch` → `sim.analysis` → `sim.report` / `sim.viz`, with `sim.cli` on top.
For notebooks, a handful of names are available here (see docs/api.md): `load_world`,
`load_scenario`, `run`, `run_experiment`, `results` and `summary`. They are imported on first
use, so that ``import sim.model`` stays free of the file and drawing stack; type checkers
read them from `sim.api` directly.
"""

from typing import TYPE_CHECKING, Any

from sim.version import __version__

if TYPE_CHECKING:
    from sim.api import RunResult, load_scenario, load_world, results, run, run_experiment, summary

__all__ = [
    "RunResult",
    "__version__",
    "load_scenario",
    "load_world",
    "results",
    "run",
    "run_experiment",
    "summary",
]

_API = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
