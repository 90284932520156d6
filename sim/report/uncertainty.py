"""What the report's intervals hold: seeds only, parameters only, or both.

Read from the batch manifest: the replications (each its own seed), the design points (parameter
values the design varies) and the parameter ensemble (``parameter_ensemble``: each replication
with one plausible parameter set, `sim.batch.ensemble`). `interval_phrase` is put next to every
interval the report shows, `uncertainty_blocks` into the methods appendix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.report.batch import Batch
from sim.report.document import Block, Heading, Paragraph, Table

__all__ = ["interval_caption", "interval_kind", "interval_phrase", "uncertainty_blocks"]


def _members_used(manifest: Mapping[str, Any]) -> int:
    ensemble = manifest.get("parameter_ensemble") or {}
    return len(set(ensemble.get("replication_member") or []))


def interval_kind(manifest: Mapping[str, Any]) -> str:
    """Return ``seeds only``, ``parameters only`` or ``seeds and parameters``."""
    seeds = int(manifest.get("replications", 1) or 1) > 1
    points = int((manifest.get("design") or {}).get("points", 1) or 1)
    parameters = points > 1 or _members_used(manifest) > 1
    if seeds and parameters:
        return "seeds and parameters"
    return "parameters only" if parameters else "seeds only"


def interval_phrase(manifest: Mapping[str, Any]) -> str:
    """Return what the runs vary over, e.g. ``seeds and the parameter ensemble (6 members)``."""
    parts = []
    if int(manifest.get("replications", 1) or 1) > 1:
        parts.append("seeds")
    members = _members_used(manifest)
    if members > 1:
        parts.append(f"the parameter ensemble ({members} members)")
    design = manifest.get("design") or {}
    if int(design.get("points", 1) or 1) > 1:
        parts.append(f"the {design.get('method', 'grid')} design's {design['points']} points")
    if not parts:
        return "a single run (no interval)"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def interval_caption(manifest: Mapping[str, Any], what: str = "90 % interval") -> str:
    """A caption for intervals: ``90 % interval over seeds and ... (uncertainty: both)``."""
    kind = interval_kind(manifest)
    caption = f"{what} over {interval_phrase(manifest)}: uncertainty of {kind}"
    if kind == "seeds only":
        caption += " (the parameters are taken as known)"
    return caption + "."


def uncertainty_blocks(batch: Batch) -> list[Block]:
    """The methods appendix's account of the intervals, and the ensemble's members if any."""
    m = batch.manifest
    blocks: list[Block] = [
        Heading("Uncertainty in the intervals"),
        Paragraph(
            (
                f"Every interval in this report is taken over {interval_phrase(m)}: it holds the "
                f"uncertainty of {interval_kind(m)}. ",
                (
                    "Seeds carry the model's chance (which events fire, which nations review "
                    "their policies); "
                    if int(m.get("replications", 1) or 1) > 1
                    else ""
                ),
                (
                    "the parameter ensemble carries what is not known about the parameters: each "
                    "replication runs with one plausible parameter set, the same in every "
                    "scenario, so differences stay paired."
                    if _members_used(m) > 1
                    else "the parameters are held at their values (no parameter ensemble), so "
                    "the intervals leave out what is not known about them."
                    if interval_kind(m) == "seeds only"
                    else ""
                ),
            )
        ),
    ]
    ensemble = m.get("parameter_ensemble") or {}
    if not ensemble:
        return blocks
    assignment = ensemble.get("replication_member") or []
    names = list(ensemble.get("names") or [])
    rows = []
    for member in ensemble.get("members") or []:
        i = int(member["member"])
        used = [str(r) for r, k in enumerate(assignment) if k == i]
        rows.append(
            (
                str(i),
                str(member.get("source", "")),
                *(f"{member['values'].get(n, float('nan')):g}" for n in names),
                str(len(used)),
                ", ".join(used[:12]) + (" …" if len(used) > 12 else "") or "none",
            )
        )
    blocks.append(
        Table(
            ("Member", "Source", *names, "Replications", "Replication numbers"),
            tuple(rows),
            caption=(
                f"Parameter ensemble {ensemble.get('file', '')} (sha256 "
                f"{str(ensemble.get('sha256', ''))[:12]}…): {ensemble.get('assignment', '')}"
            ),
            numeric=tuple(range(2, 3 + len(names))),
        )
    )
    return blocks
