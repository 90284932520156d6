"""The methods appendix of a report: model, data and sources, settings, and the commands to
rerun.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.params import REGISTRY
from sim.version import __version__
from sim.world.bundled import loaded_name

if TYPE_CHECKING:  # matplotlib is imported when figures are drawn, so bad input fails fast
    pass
from sim.report.batch import Batch
from sim.report.document import Block, Code, Heading, Paragraph, Section, Table
from sim.report.uncertainty import uncertainty_blocks

__all__ = ["methods_section", "rerun_commands"]


def _event_settings(event: Mapping[str, Any]) -> str:
    skip = {"at", "kind", "actor", "note", "step"}
    return "; ".join(
        f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in event.items()
        if k not in skip and v not in (None, [], {})
    )


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _data_fingerprint() -> tuple[str, int]:
    from sim.world.world import DATA_DIR

    digest = hashlib.sha256()
    files = sorted(p for p in DATA_DIR.rglob("*.csv"))
    for path in files:
        digest.update(str(path.relative_to(DATA_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest(), len(files)


def _short_sources(sources: Iterable[str]) -> str:
    heads: dict[str, int] = {}
    for text in sources:
        head = text.split(" (", 1)[0].strip()
        heads[head] = heads.get(head, 0) + 1
    return "; ".join(f"{h} ({n} entries)" if n > 1 else h for h, n in heads.items())


def methods_section(batch: Batch, commands: str) -> Section:
    """The methods appendix: model, parameters, data sources, events and settings."""
    m = batch.manifest
    design = m.get("design", {})
    record = m.get("record", {})
    blocks: list[Block] = [Heading("Experiment")]
    varied = ", ".join(
        f"{k} {'in' if design.get('method') == 'grid' else 'from'} "
        + (
            "{" + ", ".join(f"{v:g}" for v in vals) + "}"
            if design.get("method") == "grid"
            else f"{min(vals):g} to {max(vals):g}"
        )
        for k, vals in design.get("parameters", {}).items()
    )
    failed = batch.runs[batch.runs["status"] != "ok"]
    rows = [
        ("Name", m.get("name", "")),
        ("Title", m.get("title", "") or "—"),
        ("Experiment file", m.get("experiment_file", "")),
        ("Experiment sha256", m.get("experiment_sha256", "")),
        ("Root seed", str(m.get("seed", ""))),
        ("Replications", str(m.get("replications", ""))),
        ("Design", f"{design.get('method', 'grid')}, {design.get('points', 1)} point(s)"),
        ("Parameters varied", varied or "none"),
        ("Horizon override", f"{m['steps']} quarters" if m.get("steps") else "none"),
        (
            "Recorded",
            f"attraction every {record.get('every', 1)} quarter(s); targets "
            + ", ".join(record.get("perception_targets", [])),
        ),
        ("Runs", f"{len(batch.ok_runs)} ok, {len(failed)} failed"),
        ("Executor", f"{m.get('executor', '?')}, {m.get('workers', '?')} worker(s)"),
        ("Created / updated", f"{m.get('created', '?')} / {m.get('updated', '?')}"),
        ("Baseline of the differences", batch.baseline),
    ]
    blocks.append(Table(("Field", "Value"), tuple(rows)))

    blocks.append(Heading("Scenarios as loaded"))
    for name, entry in m["scenarios"].items():
        doc = entry.get("scenario", {})
        events = doc.get("events", [])
        blocks.append(Paragraph((f"{doc.get('title', name)} ({name})",), "subheading"))
        if doc.get("description"):
            blocks.append(Paragraph((str(doc["description"]),)))
        facts = [
            ("File", str(entry.get("path", ""))),
            ("Scenario sha256", str(entry.get("hash", ""))),
            ("Start, steps", f"{doc.get('start', '?')}, {doc.get('steps', '?')} quarters"),
            (
                "Parameter overrides",
                ", ".join(f"{k} = {v}" for k, v in (doc.get("parameters") or {}).items()) or "none",
            ),
            ("Sources", "; ".join(map(str, doc.get("sources", []))) or "—"),
        ]
        blocks.append(Table(("Field", "Value"), tuple(facts)))
        if events:
            blocks.append(
                Table(
                    ("At", "Kind", "Actor", "Settings", "Note"),
                    tuple(
                        (
                            str(e.get("at", "")),
                            str(e.get("kind", "")),
                            str(e.get("actor", "")),
                            _event_settings(e),
                            str(e.get("note", "")),
                        )
                        for e in events
                    ),
                    caption=f"Events of {name}",
                )
            )
        else:
            blocks.append(Paragraph(("No scheduled events.",)))

    blocks.append(Heading("Parameters"))
    blocks.append(
        Paragraph(
            (
                "Every model parameter with its default (registry sim.params), valid range and "
                "unit; scenario overrides and design ranges are listed where they apply.",
            )
        )
    )
    used: dict[str, list[str]] = {}
    for name, entry in m["scenarios"].items():
        for k, v in (entry.get("scenario", {}).get("parameters") or {}).items():
            used.setdefault(k, []).append(f"{name}: {v}")
    for k, vals in design.get("parameters", {}).items():
        used.setdefault(k, []).append(f"design {min(vals):g}–{max(vals):g}")
    blocks.append(
        Table(
            ("Parameter", "Default", "Range", "Unit", "Meaning", "In this batch"),
            tuple(
                (p.name, f"{p.default:g}", f"{p.low:g}–{p.high:g}", p.unit, p.meaning)
                + ("; ".join(used.get(p.name, [])) or "default",)
                for p in REGISTRY.values()
            ),
            numeric=(1,),
        )
    )

    blocks += uncertainty_blocks(batch)
    blocks.append(Heading("Seeds"))
    blocks.append(
        Paragraph(
            (
                f"Seeds are numpy SeedSequence({m.get('seed', '?')}).spawn(replications); "
                "replication r uses the same seed in every scenario and design point (common "
                "random numbers), so scenario differences are paired. Each seed is written into "
                "every output row as 'root:index'.",
            )
        )
    )
    seeds = batch.runs[["replication", "seed"]].drop_duplicates().sort_values("replication")
    shown = seeds.head(60)
    blocks.append(
        Table(
            ("Replication", "Seed"),
            tuple((str(r.replication), str(r.seed)) for r in shown.itertuples()),
            caption=(f"first 60 of {len(seeds)}" if len(seeds) > 60 else ""),
            numeric=(0,),
        )
    )
    if not failed.empty:
        blocks.append(Heading("Failed runs"))
        blocks.append(
            Table(
                ("Run", "Error"),
                tuple((str(r.run_id), str(r.error)) for r in failed.itertuples()),
            )
        )

    blocks.append(Heading("Software and data versions"))
    fingerprint, n_files = _data_fingerprint()
    world = batch.world
    versions = [
        ("softpower (batch)", str(m.get("package_version", "?"))),
        ("softpower (report)", __version__),
        ("Python", platform.python_version()),
        *(
            (name, _package_version(name))
            for name in ("numpy", "mesa", "pandas", "pyarrow", "scipy", "SALib", "matplotlib")
        ),
        ("Bundled data (sim/data)", f"{n_files} CSV files, sha256 {fingerprint}"),
        (
            "World",
            f"{loaded_name(world) or 'custom'}: {world.n} nations; {len(world.flags)} imputed "
            "values (documented rules)",
        ),
    ]
    blocks.append(Table(("Component", "Version"), tuple(versions)))

    blocks.append(Heading("Data sources"))
    blocks.append(
        Paragraph(
            (
                "Sources of the bundled world data by indicator (World.sources; details "
                "and imputation rules in sim/data/README.md). URLs are given as text.",
            )
        )
    )
    blocks.append(
        Table(
            ("Indicator", "Sources"),
            tuple((k, _short_sources(v)) for k, v in sorted(world.sources.items())),
        )
    )

    blocks.append(Heading("Reproducibility"))
    blocks.append(
        Paragraph(
            (
                "The same experiment file, seed and package version give bit-identical runs "
                "whatever the executor or number of workers. From a checkout of softpower "
                f"{m.get('package_version', __version__)}:",
            )
        )
    )
    blocks.append(Code(commands))
    return Section("methods", "Methods appendix", blocks)


def rerun_commands(
    batch: Batch, out: Path, pdf: Path | None, focus: tuple[str, ...], question: str = ""
) -> str:
    """The commands that reproduce the batch and this report (``question``: the report's
    ``--condition`` and ``--at`` options, if any).
    """
    m = batch.manifest
    report = f"softpower report {batch.root} --out {out}"
    if pdf is not None:
        report += f" --pdf {pdf}"
    report += f" --baseline {batch.baseline} --focus {','.join(focus)}{question}"
    return "\n".join(
        [
            "make venv                      # Python 3.12 venv with the locked dependencies",
            f".venv/bin/softpower batch {m.get('experiment_file', 'EXPERIMENT.yaml')} "
            f"--out {batch.root}",
            f".venv/bin/softpower summarize {batch.root} --baseline {batch.baseline}",
            f".venv/bin/{report}",
            f"# {batch.root}/experiment.yaml is a copy of the experiment file "
            f"(sha256 {m.get('experiment_sha256', '?')[:16]}…)",
        ]
    )
