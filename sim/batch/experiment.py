"""Experiment files: scenarios × a parameter design × seeded replications (docs/batch.md).

`load_experiment(path)` reads an ``experiments/*.yaml`` file with safe YAML, validates it with
pydantic and against the parameter registry, loads its scenarios and returns an `Experiment` whose
`Experiment.runs` lists every run with its design point and seed. Seeds come from
``SeedSequence(seed).spawn(replications)``: replication ``r`` uses the same seed in every scenario
and design point (common random numbers), so scenario differences are paired. `Design` samples a
design (grid, Latin hypercube, Sobol or Morris) and analyses model outputs over it; the same code
serves the batch and any Python callable (see `sim.analysis.summary.sensitivity`). An optional
``parameter_ensemble:`` CSV gives each replication one plausible parameter set
(`sim.batch.ensemble`), under the design point's overrides.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from sim import yamlfile
from sim.batch.ensemble import Ensemble, load_ensemble
from sim.errors import ExperimentError, ParameterError, suggest
from sim.params import REGISTRY
from sim.scenario.explain import pydantic_error, suggest_file
from sim.scenario.scenario import Scenario, load_scenario
from sim.world.bundled import DEFAULT_WORLD, bundled_world, loaded_name, world_name
from sim.world.world import World

__all__ = [
    "DESIGN_METHODS",
    "Design",
    "DesignSpec",
    "Experiment",
    "ExperimentFile",
    "RecordSpec",
    "RunSpec",
    "load_experiment",
    "seed_label",
    "seed_sequence",
]

DESIGN_METHODS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris")


# ---------------------------------------------------------------------- schema


class DesignSpec(BaseModel):
    """The ``design:`` block of an experiment file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    method: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    parameters: dict[str, list[float]] = {}
    samples: int | None = Field(default=None, ge=1, le=1_000_000)
    levels: int | None = Field(default=None, ge=2, le=100)
    second_order: bool | None = None


class RecordSpec(BaseModel):
    """The ``record:`` block: attraction every K steps, and for which targets."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    every: int = Field(default=1, ge=1, le=400)
    perception_targets: list[str] = Field(default=["USA", "CHN"], min_length=1)


class ExperimentFile(BaseModel):
    """The schema of an experiment file (see docs/batch.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z0-9_\-]+$")
    title: str = ""
    description: str = ""
    scenarios: list[str] = Field(min_length=1)
    replications: int = Field(ge=1, le=100_000)
    seed: StrictInt = Field(ge=0)  # `seed: true` or `seed: 2.0` is no seed
    design: DesignSpec = DesignSpec()
    record: RecordSpec = RecordSpec()
    steps: int | None = Field(default=None, ge=1, le=400)
    baseline: str | None = None
    world: str | None = None  # a bundled world for every scenario (sim.world.WORLDS)
    parameter_ensemble: str | None = None  # CSV of plausible parameter sets (sim.batch.ensemble)
    precision: Literal["float64", "float32"] = "float64"  # the kernel's (sim.model.state)


_MODELS: dict[str, type[BaseModel]] = {
    "": ExperimentFile,
    "design": DesignSpec,
    "record": RecordSpec,
}


# ---------------------------------------------------------------------- seeds


def seed_label(seed: np.random.SeedSequence) -> str:
    """Return ``ENTROPY:SPAWN_KEY`` of a seed sequence, e.g. ``2025:3`` (keys joined by dots)."""
    return f"{seed.entropy}:{'.'.join(str(k) for k in seed.spawn_key)}"


def seed_sequence(label: str) -> np.random.SeedSequence:
    """Rebuild the seed sequence written as ``ENTROPY:SPAWN_KEY`` by `seed_label`.

    Example:
        >>> seed_sequence("2025:3").spawn_key
        (3,)

    """
    entropy, _, key = label.partition(":")
    spawn_key = tuple(int(k) for k in key.split(".") if k)
    return np.random.SeedSequence(int(entropy), spawn_key=spawn_key)


# ---------------------------------------------------------------------- designs


@dataclass(frozen=True)
class Design:
    """A parameter design and its analysis.

    Args:
        method: ``grid``, ``lhs``, ``sobol`` or ``morris``.
        parameters: For ``grid`` the values of each parameter; otherwise ``(low, high)``.
        samples: N: points for ``lhs``, the base sample for ``sobol`` (N·(D+2) points, or
            N·(2D+2) with second order) and trajectories for ``morris`` (N·(D+1) points).
        levels: Grid levels of the Morris method.
        second_order: Whether Sobol samples and analyses second-order indices.
        seed: Seed of the sampler and of the bootstrap in the analysis.

    Example:
        >>> d = Design("grid", {"stubbornness": (0.1, 0.3)})
        >>> d.points()
        [{'stubbornness': 0.1}, {'stubbornness': 0.3}]

    """

    method: str = "grid"
    parameters: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    samples: int | None = None
    levels: int = 4
    second_order: bool = False
    seed: int = 0

    @property
    def names(self) -> list[str]:
        """Parameter names in design order."""
        return list(self.parameters)

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem: ``num_vars``, ``names``, ``bounds``."""
        return {
            "num_vars": len(self.parameters),
            "names": self.names,
            "bounds": [[float(v[0]), float(v[-1])] for v in self.parameters.values()],
        }

    def sample(self) -> np.ndarray:
        """Return the design matrix (point, parameter) in design order, before type rounding."""
        d = len(self.parameters)
        if self.method == "grid":
            if d == 0:
                return np.zeros((1, 0))
            return np.array(list(itertools.product(*self.parameters.values())), dtype=float)
        if self.method == "lhs":
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d, rng=np.random.default_rng(self.seed)).random(self.samples)
            bounds = np.array(self.problem["bounds"])
            return qmc.scale(unit, bounds[:, 0], bounds[:, 1])
        if self.method == "sobol":
            from SALib.sample import sobol

            return sobol.sample(
                self.problem, self.samples, calc_second_order=self.second_order, seed=self.seed
            )
        if self.method == "morris":
            from SALib.sample import morris

            return morris.sample(self.problem, self.samples, num_levels=self.levels, seed=self.seed)
        raise ValueError(f"unknown design method {self.method!r}")

    def points(self) -> list[dict[str, float | int]]:
        """Return the design points as ``{name: value}`` overrides (registry types applied)."""
        out = []
        for row in self.sample():
            point: dict[str, float | int] = {}
            for name, value in zip(self.names, row, strict=True):
                kind = REGISTRY[name].type if name in REGISTRY else float
                point[name] = int(round(float(value))) if kind is int else float(value)
            out.append(point)
        return out

    def analyze(self, x: np.ndarray, y: np.ndarray) -> list[dict[str, float | str]]:
        """Return sensitivity indices of output ``y`` (one value per design point) per parameter.

        Sobol: S1, S1_conf, ST, ST_conf (95% bootstrap, seeded). Morris: mu_star, mu_star_conf,
        sigma. Columns that do not apply are NaN.

        Args:
            x: The design matrix from `sample`.
            y: The output at each design point.

        Returns:
            One dictionary per parameter.

        Raises:
            ValueError: A method without sensitivity analysis (grid, lhs).

        """
        nan = float("nan")
        y = np.asarray(y, dtype=float)
        rows: list[dict[str, float | str]] = []
        if self.method == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(
                self.problem, y, calc_second_order=self.second_order, seed=self.seed
            )
            for i, name in enumerate(self.names):
                rows.append(
                    {
                        "parameter": name,
                        "S1": float(res["S1"][i]),
                        "S1_conf": float(res["S1_conf"][i]),
                        "ST": float(res["ST"][i]),
                        "ST_conf": float(res["ST_conf"][i]),
                        "mu_star": nan,
                        "mu_star_conf": nan,
                        "sigma": nan,
                    }
                )
            return rows
        if self.method == "morris":
            from SALib.analyze import morris

            res = morris.analyze(self.problem, x, y, num_levels=self.levels, seed=self.seed)
            for i, name in enumerate(self.names):
                rows.append(
                    {
                        "parameter": name,
                        "S1": nan,
                        "S1_conf": nan,
                        "ST": nan,
                        "ST_conf": nan,
                        "mu_star": float(res["mu_star"][i]),
                        "mu_star_conf": float(res["mu_star_conf"][i]),
                        "sigma": float(res["sigma"][i]),
                    }
                )
            return rows
        raise ValueError(
            f"a {self.method} design has no sensitivity analysis (use sobol or morris)"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the design as plain data, for the manifest (`from_dict` rebuilds it)."""
        return {
            "method": self.method,
            "parameters": {k: [float(v) for v in vals] for k, vals in self.parameters.items()},
            "names": self.names,  # design order (JSON writers may sort the mapping's keys)
            "N": self.samples if self.samples is not None else len(self.sample()),
            "samples": self.samples,
            "levels": self.levels,
            "second_order": self.second_order,
            "seed": self.seed,
            "points": len(self.sample()),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Design:
        """Rebuild a design written by `to_dict`."""
        names = data.get("names") or list(data["parameters"])
        return cls(
            method=data["method"],
            parameters={k: tuple(data["parameters"][k]) for k in names},
            samples=data.get("samples"),
            levels=int(data.get("levels") or 4),
            second_order=bool(data.get("second_order")),
            seed=int(data.get("seed", 0)),
        )


# ---------------------------------------------------------------------- experiment


@dataclass(frozen=True)
class RunSpec:
    """One run of an experiment.

    Attributes:
        run_id: ``<scenario>-d<design point>-r<replication>``.
        scenario: Scenario name.
        design_point: Index of the design point.
        replication: Replication index (the same seed in every scenario and design point).
        parameters: Parameter overrides: the ensemble member's values (if any) under the
            design point's.
        seed: The run's seed sequence.
        member: Index of the parameter-ensemble member, or None without an ensemble.

    """

    run_id: str
    scenario: str
    design_point: int
    replication: int
    parameters: dict[str, float | int]
    seed: np.random.SeedSequence
    member: int | None = None


@dataclass(frozen=True)
class Experiment:
    """A loaded, validated experiment.

    Attributes:
        name: Slug.
        path: The experiment file.
        sha256: SHA-256 of the file's bytes (a batch directory refuses a changed file).
        seed: Root seed.
        replications: Replications per scenario and design point.
        scenarios: Loaded scenarios by name, in file order.
        scenario_files: Path of each scenario file by name.
        design: The parameter design.
        record_every: Record attraction every K steps (the last step always).
        perception_targets: Targets whose attraction is stored.
        steps: Horizon override, or None for each scenario's own.
        baseline: Scenario that differences are taken against.
        title: Title.
        description: What the experiment asks.
        world: Name of the bundled world every scenario runs on (`sim.world.WORLDS`).
        ensemble: The parameter ensemble the replications draw from, or None.
        precision: The kernel's floating type, ``float64`` (default) or ``float32``
            (`sim.model.state.PRECISIONS`; docs/batch.md, "Precision").

    """

    name: str
    path: str
    sha256: str
    seed: int
    replications: int
    scenarios: dict[str, Scenario]
    scenario_files: dict[str, str]
    design: Design
    record_every: int = 1
    perception_targets: tuple[str, ...] = ("USA", "CHN")
    steps: int | None = None
    baseline: str = ""
    title: str = ""
    description: str = ""
    world: str = DEFAULT_WORLD
    ensemble: Ensemble | None = None
    precision: str = "float64"

    def seeds(self) -> list[np.random.SeedSequence]:
        """Return ``SeedSequence(seed).spawn(replications)``: one seed per replication index."""
        return np.random.SeedSequence(self.seed).spawn(self.replications)

    def members(self) -> list[int | None]:
        """Return the ensemble member of each replication (None without an ensemble)."""
        if self.ensemble is None:
            return [None] * self.replications
        return list(self.ensemble.assign(self.seed, self.replications))

    def runs(self) -> list[RunSpec]:
        """Return every run: scenarios × design points × replications, in that order.

        With a parameter ensemble, replication ``r`` runs with its member's values (the same
        member in every scenario and design point); a design point's values win over them.
        """
        seeds = self.seeds()
        points = self.design.points()
        members = self.members()

        def overrides(point: dict[str, float | int], m: int | None) -> dict[str, float | int]:
            if m is None or self.ensemble is None:
                return point
            return {**self.ensemble.members[m], **point}

        return [
            RunSpec(
                run_id=f"{name}-d{d}-r{r}",
                scenario=name,
                design_point=d,
                replication=r,
                parameters=overrides(point, members[r]),
                seed=seeds[r],
                member=members[r],
            )
            for name in self.scenarios
            for d, point in enumerate(points)
            for r in range(self.replications)
        ]


def _read(path: Path) -> tuple[dict[str, Any], dict[tuple, int]]:
    """Read an experiment file (the limits of `sim.yamlfile.read_yaml`); refuse a file that is
    not a mapping or is a scenario file, in one line.
    """
    data, lines = yamlfile.read_yaml(
        path,
        error=ExperimentError,
        what="experiment file",
        missing_suggestion=None if path.exists() else suggest_file(path),
    )
    if not isinstance(data, dict):
        raise ExperimentError(
            "not a mapping",
            file=str(path),
            line=1,
            expected="keys name, scenarios, replications, seed, design, record",
        )
    found = next((str(k) for k in data if str(k) in ("events", "start")), None)
    if found is not None and "scenarios" not in data:
        raise ExperimentError(
            "this is a scenario file, not an experiment file",
            file=str(path),
            line=lines.get((found,)),
            key=found,
            expected="an experiment file (keys name, scenarios, replications, seed)",
            suggestion=f"run it with `softpower run {path} --out DIR`, or name it under "
            "`scenarios:` of an experiment file",
        )
    return data, lines


def _schema_error(exc: ValidationError, path: Path, lines: dict[tuple, int]) -> ExperimentError:
    base = pydantic_error(exc, path, lines)
    err = exc.errors()[0]
    expected, suggestion = base.expected, base.suggestion
    if err["type"] == "extra_forbidden":
        loc = tuple(err["loc"])
        model = _MODELS.get(".".join(str(p) for p in loc[:-1]))
        fields = list(model.model_fields) if model else []
        expected = f"one of {', '.join(fields)} (docs/batch.md)" if fields else expected
        suggestion = suggest(str(loc[-1]), fields) if fields else None
    return ExperimentError(
        base.message,
        file=base.file,
        line=base.line,
        key=base.key,
        expected=expected,
        suggestion=suggestion,
    )


def _design(doc: ExperimentFile, file: str, lines: dict[tuple, int]) -> Design:
    spec = doc.design
    method = spec.method

    def where(*key: Any) -> int | None:
        for end in range(len(key), 0, -1):
            if ("design", *key[:end]) in lines:
                return lines[("design", *key[:end])]
        return lines.get(("design",))

    def fail(message: str, key: tuple, expected: str, suggestion: str | None = None):
        dotted = "design" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in key)
        raise ExperimentError(
            message,
            file=file,
            line=where(*key),
            key=dotted,
            expected=expected,
            suggestion=suggestion,
        )

    if method != "morris" and spec.levels is not None:
        fail(
            "levels applies to morris designs only",
            ("levels",),
            f"no levels in a {method} design",
            "remove levels or use method: morris",
        )
    if method != "sobol" and spec.second_order is not None:
        fail(
            "second_order applies to sobol designs only",
            ("second_order",),
            f"no second_order in a {method} design",
            "remove second_order or use method: sobol",
        )
    if method == "grid" and spec.samples is not None:
        fail(
            "samples does not apply to a grid",
            ("samples",),
            "lists of values per parameter",
            "remove samples or use method: lhs",
        )
    if method != "grid":
        if spec.samples is None:
            fail(
                f"samples is required for a {method} design",
                ("method",),
                "samples: N (e.g. 64)",
            )
        if not spec.parameters:
            fail(
                f"a {method} design needs parameters",
                ("parameters",),
                "parameters: {name: [low, high]}",
            )
    if method == "sobol" and spec.samples and spec.samples & (spec.samples - 1):
        lower = 2 ** int(math.log2(spec.samples))
        fail(
            f"samples {spec.samples} is not a power of two",
            ("samples",),
            "a power of two for Sobol sequences (16, 32, 64, 128, ...)",
            f"use {lower} or {lower * 2}",
        )
    params: dict[str, tuple[float, ...]] = {}
    for name, values in spec.parameters.items():
        if name not in REGISTRY:
            fail(
                "unknown parameter",
                ("parameters", name),
                "a name from `softpower params`",
                suggest(name, REGISTRY),
            )
        reg = REGISTRY[name]
        if method == "grid":
            if not values:
                fail(
                    "no values",
                    ("parameters", name),
                    f"a list of values in [{reg.low}, {reg.high}]",
                )
            for i, v in enumerate(values):
                try:
                    reg.check_settable(reg.validate(v))
                except ParameterError as exc:
                    fail(exc.message, ("parameters", name, i), exc.expected or "a valid value")
            params[name] = tuple(float(reg.type(v)) for v in values)
        else:
            if len(values) != 2 or not values[0] < values[1]:
                fail(
                    f"{values} is not a range",
                    ("parameters", name),
                    f"[low, high] with low < high within [{reg.low}, {reg.high}]",
                )
            if values[0] < reg.low or values[1] > reg.high:
                fail(
                    f"range {values} leaves the valid range",
                    ("parameters", name),
                    f"[low, high] within [{reg.low}, {reg.high}] ({reg.meaning})",
                    f"use [{max(values[0], reg.low)}, {min(values[1], reg.high)}]",
                )
            for v in values:
                try:  # a world parameter's range holds a value away from its default
                    reg.check_settable(v)
                except ParameterError as exc:
                    fail(exc.message, ("parameters", name), exc.expected or "a valid value")
            params[name] = (float(values[0]), float(values[1]))
    return Design(
        method=method,
        parameters=params,
        samples=spec.samples,
        levels=spec.levels or 4,
        second_order=bool(spec.second_order),
        seed=doc.seed,
    )


def load_experiment(path: str | Path, world: World | str | None = None) -> Experiment:
    """Load and validate an experiment file and the scenarios it names.

    Args:
        path: The YAML file; scenario paths in it are relative to its folder.
        world: World to resolve scenarios against, or the name of a bundled world (``--world``;
            it wins over the file's ``world:``). Default: the bundled world the file names in
            ``world:``, else `sim.world.DEFAULT_WORLD`; a ``world:`` in a scenario file is
            overridden by the experiment's.

    Returns:
        The `Experiment`.

    Raises:
        ExperimentError: A bad experiment file (file, line, key, expectation, suggestion).
        ScenarioError: A bad scenario file it names.

    """
    path = Path(path)
    data, lines = _read(path)
    try:
        doc = ExperimentFile.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(exc, path, lines) from None
    file = str(path)
    if world is None or isinstance(world, str):
        name = (
            world_name(world)
            if world is not None
            else world_name(doc.world, key="world", file=file, line=lines.get(("world",)))
        )
        world = bundled_world(name)
    else:
        name = loaded_name(world) or doc.world or DEFAULT_WORLD
    design = _design(doc, file, lines)
    ensemble = None
    if doc.parameter_ensemble is not None:
        ensemble = load_ensemble(
            doc.parameter_ensemble,
            path.parent,
            experiment_file=file,
            line=lines.get(("parameter_ensemble",)),
        )
    scenarios: dict[str, Scenario] = {}
    files: dict[str, str] = {}
    for i, rel in enumerate(doc.scenarios):
        line = lines.get(("scenarios", i))
        scenario_path = path.parent / rel
        if not scenario_path.is_file():
            raise ExperimentError(
                f"scenario file {rel!r} not found",
                file=file,
                line=line,
                key=f"scenarios[{i}]",
                expected="a path relative to the experiment file",
                suggestion=suggest_file(scenario_path),
            )
        scenario = load_scenario(scenario_path, world)
        if scenario.name in scenarios:
            raise ExperimentError(
                f"scenario name {scenario.name!r} appears twice",
                file=file,
                line=line,
                key=f"scenarios[{i}]",
                expected="scenarios with distinct names",
                suggestion=f"rename one of {files[scenario.name]} and {scenario_path}",
            )
        scenarios[scenario.name] = scenario
        files[scenario.name] = str(scenario_path)
    baseline = doc.baseline or next(iter(scenarios))
    if baseline not in scenarios:
        raise ExperimentError(
            f"baseline {baseline!r} is not one of the scenarios",
            file=file,
            line=lines.get(("baseline",)),
            key="baseline",
            expected="the name of a listed scenario (" + ", ".join(scenarios) + ")",
            suggestion=suggest(baseline, scenarios),
        )
    for i, code in enumerate(doc.record.perception_targets):
        if code not in world.iso3:
            raise ExperimentError(
                f"unknown nation {code!r}",
                file=file,
                line=lines.get(("record", "perception_targets", i)),
                key=f"record.perception_targets[{i}]",
                expected="an ISO3 code of the world",
                suggestion=suggest(code, world.iso3),
            )
    return Experiment(
        name=doc.name,
        path=file,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        seed=doc.seed,
        replications=doc.replications,
        scenarios=scenarios,
        scenario_files=files,
        design=design,
        record_every=doc.record.every,
        perception_targets=tuple(doc.record.perception_targets),
        steps=doc.steps,
        baseline=baseline,
        title=doc.title,
        description=doc.description,
        world=name,
        ensemble=ensemble,
        precision=doc.precision,
    )
