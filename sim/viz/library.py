"""The app's scenario library and world: found once, loaded once, shared by every session.

The bundled scenarios live in ``scenarios/`` at the root of the repository (next to the ``sim``
package in a checkout or an editable install). ``SOFTPOWER_SCENARIOS`` points the app elsewhere;
``SOFTPOWER_WORLD`` names the bundled world the app opens with (``softpower app --world``).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import ScenarioError, SoftPowerError, suggest
from sim.scenario.scenario import Scenario, baseline_scenario, load_scenario
from sim.world.bundled import DEFAULT_WORLD, bundled_world, world_name
from sim.world.world import World

__all__ = [
    "BASELINE",
    "SCENARIOS_ENV",
    "WORLD_ENV",
    "app_world",
    "ScenarioLibrary",
    "scenario_folder",
    "scenario_library",
    "load_named",
    "world",
]

#: Environment variable naming a folder of scenario files to show instead of the bundled ones.
SCENARIOS_ENV = "SOFTPOWER_SCENARIOS"

#: Environment variable naming the bundled world the app opens with (``softpower app --world``).
WORLD_ENV = "SOFTPOWER_WORLD"

#: Name of the scenario selected when the app opens (the built-in baseline if no file has it).
BASELINE = "baseline"


def app_world() -> str:
    """Return the name of the world the app opens with: ``$SOFTPOWER_WORLD``, else the project's
    default world (`sim.world.bundled.DEFAULT_WORLD`, as for the command line, the API and the
    scenario files; the World input and ``softpower app --world core60`` choose another).

    Raises:
        WorldError: ``$SOFTPOWER_WORLD`` names no bundled world.
    """
    return world_name(os.environ.get(WORLD_ENV) or DEFAULT_WORLD, key=WORLD_ENV)


def world(name: str | None = None) -> World:
    """Return the bundled world ``name`` (default `app_world`), shared by the process (models
    copy what they change).
    """
    return bundled_world(name or app_world())


def scenario_folder() -> Path | None:
    """Return the folder of scenario files the app offers, or None if there is none.

    Looks at ``$SOFTPOWER_SCENARIOS`` first, then ``scenarios/`` next to the ``sim`` package
    (a checkout or editable install), then ``scenarios/`` in the working directory.

    Raises:
        ScenarioError: ``$SOFTPOWER_SCENARIOS`` is set but holds no ``*.yaml`` file.

    """
    env = os.environ.get(SCENARIOS_ENV)
    if env:
        folder = Path(env)
        if not folder.is_dir() or not any(folder.glob("*.yaml")):
            raise ScenarioError(
                "no scenario files in this folder",
                file=str(folder),
                key=SCENARIOS_ENV,
                expected="a folder of *.yaml scenario files",
                suggestion=f"unset {SCENARIOS_ENV} to use the bundled scenarios",
            )
        return folder
    package_root = Path(__file__).resolve().parents[2]
    for folder in (package_root / "scenarios", Path.cwd() / "scenarios"):
        if folder.is_dir() and any(folder.glob("*.yaml")):
            return folder
    return None


@functools.lru_cache(maxsize=64)
def _load_file(path: str, mtime_ns: int, world_name: str | None = None) -> Scenario:
    """Load a scenario file against a shared world (cached until the file changes)."""
    del mtime_ns  # part of the cache key only
    return load_scenario(path, world_name or app_world())


@dataclass(frozen=True)
class ScenarioLibrary:
    """The scenario files the app offers.

    Attributes:
        folder: Where they were found (None: only the built-in baseline).
        files: Scenario name (the file's stem) → path, for the files that load.
        errors: File name → one-line error, for files that do not load.

    """

    folder: Path | None
    files: dict[str, Path] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Scenario names for the selector: the baseline first, then the others sorted."""
        names = sorted(self.files)
        if BASELINE in names:
            names.remove(BASELINE)
        return [BASELINE, *names]

    def load(self, name: str, world_name: str | None = None) -> Scenario:
        """Return the scenario called ``name`` (the built-in baseline if no file has that name),
        its nations resolved against the bundled world ``world_name`` (default `app_world`).

        Raises:
            ScenarioError: ``name`` is neither a file of the library nor the baseline.
            SoftPowerError: The file names a nation or group the chosen world lacks.

        """
        path = self.files.get(name)
        if path is not None:
            return _load_file(str(path), path.stat().st_mtime_ns, world_name)
        if name == BASELINE:
            return baseline_scenario()
        raise ScenarioError(
            "unknown scenario",
            file=str(self.folder) if self.folder else None,
            key=name,
            expected="one of " + ", ".join(self.names),
            suggestion=suggest(name, self.names),
        )


def scenario_library() -> ScenarioLibrary:
    """Find the scenario files and check that each loads (unchanged files are not re-read).

    Returns:
        The library; files that fail to load are listed in ``errors``, not raised.

    """
    folder = scenario_folder()
    if folder is None:
        return ScenarioLibrary(folder=None)
    files: dict[str, Path] = {}
    errors: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            _load_file(str(path), path.stat().st_mtime_ns)
        except SoftPowerError as exc:
            errors[path.name] = exc.one_line()
            continue
        files[path.stem] = path
    return ScenarioLibrary(folder=folder, files=files, errors=errors)


def load_named(name: str) -> Scenario:
    """Return the library's scenario called ``name`` (see `ScenarioLibrary.load`)."""
    return scenario_library().load(name)
