"""docs/ODD.md describes every registry parameter, and its parameter table is the registry's;
its table of event kinds is the registry of event kinds' (`sim.model.kinds.KINDS`).

Regenerate both tables after changing `sim.params.REGISTRY` or an event kind:
``.venv/bin/python tests/test_docs_odd.py --write``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sim.model.kinds import KINDS, odd_table
from sim.params import REGISTRY

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
BEGIN = "<!-- parameter-table:begin (generated from sim.params.REGISTRY; do not edit by hand) -->"
END = "<!-- parameter-table:end -->"
KINDS_BEGIN = (
    "<!-- event-kinds:begin (generated from sim.model.kinds.KINDS; do not edit by hand) -->"
)
KINDS_END = "<!-- event-kinds:end -->"
SIZES_BEGIN = "<!-- event-sizes:begin (generated from sim.params.REGISTRY; do not edit by hand) -->"
SIZES_END = "<!-- event-sizes:end -->"
GROUP_TITLES = {
    "dynamics": "Perception dynamics",
    "credibility": "Credibility",
    "exposure": "Exposure",
    "initial": "Initial state and spin-up",
    "decisions": "Nation decisions",
    "output": "Outputs and the score",
}


def parameter_table() -> str:
    """Return the Markdown parameter table generated from the registry, grouped by submodel."""
    lines = []
    groups = list(dict.fromkeys(p.group for p in REGISTRY.values()))
    for group in groups:
        lines.append(f"**{GROUP_TITLES.get(group, group)}** (`{group}`)")
        lines.append("")
        lines.append("| Parameter | Default | Range | Unit | Meaning |")
        lines.append("|---|---|---|---|---|")
        for p in REGISTRY.values():
            if p.group != group:
                continue
            meaning = p.meaning.replace("|", "\\|")
            lines.append(
                f"| `{p.name}` | {p.default} | [{p.low}, {p.high}] | {p.unit} | {meaning} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def size_table() -> str:
    """Return the sizes of the opinion responses in the logit of the favourable share at the
    registry's defaults (β₁ × the jump), and in points at a share of 50 % (× 25).
    """
    d = {name: spec.default for name, spec in REGISTRY.items()}
    slope = d["favourable_slope"]
    rows = [
        ("`tariff`", "a 100 % rate on all of a target's trade", d["tariff_perception"]),
        ("`capacity` (aid cut)", "1 % of the recipient's GDP withdrawn", d["aid_cut_perception"]),
        ("`leave`", "a remaining member", d["withdrawal_perception"]),
        ("`threat`", "a target, severity 1", d["threat_perception"]),
        (
            "`threat`",
            "an ally or neighbour of a target",
            d["threat_perception"] * d["threat_spillover"],
        ),
        ("`war`", "every other nation", d["war_perception"]),
        ("`war`", "a coalition member", d["war_perception"] * d["war_coalition_factor"]),
        ("`war`", "an opponent", d["war_perception"] * d["war_opponent_factor"]),
        (
            "`war`",
            "the attacked nation",
            d["war_perception"] * d["war_opponent_factor"] + d["threat_perception"],
        ),
        (
            "`leader_change`",
            "stance +1, observer of freedom 0.9",
            d["leader_perception"] * (0.9 - d["leader_pivot"]),
        ),
        (
            "`leader_change`",
            "stance +1, observer of freedom 0.3",
            d["leader_perception"] * (0.3 - d["leader_pivot"]),
        ),
        ("`news_shock`", "magnitude −0.1 on every audience and channel", 0.1),
    ]
    lines = [
        f"β₁ = `favourable_slope` = {slope:g}; `event_persistence` = "
        f"{d['event_persistence']:g} of each jump lasts (news shocks pass).",
        "",
        "| Kind | Observer | Fall of attraction | Fall of the logit | Points at 50 % |",
        "|---|---|---:|---:|---:|",
    ]
    for kind, who, jump in rows:
        lines.append(
            f"| {kind} | {who} | {jump:.3f} | {slope * jump:.3f} | {25.0 * slope * jump:.1f} |"
        )
    return "\n".join(lines) + "\n"


def generated_block(text: str, begin: str = BEGIN, end: str = END) -> str:
    start, stop = text.index(begin) + len(begin), text.index(end)
    return text[start:stop].strip("\n") + "\n"


def _replaced(text: str, begin: str, end: str, block: str) -> str:
    start, stop = text.index(begin) + len(begin), text.index(end)
    return text[:start] + "\n" + block + text[stop:]


def write() -> None:
    text = ODD.read_text(encoding="utf-8")
    text = _replaced(text, BEGIN, END, parameter_table())
    text = _replaced(text, KINDS_BEGIN, KINDS_END, odd_table())
    text = _replaced(text, SIZES_BEGIN, SIZES_END, size_table())
    ODD.write_text(text, encoding="utf-8")


def test_every_registry_parameter_is_named_in_backticks_in_the_odd():
    text = ODD.read_text(encoding="utf-8")
    missing = [name for name in REGISTRY if f"`{name}`" not in text]
    assert not missing, f"docs/ODD.md does not describe: {', '.join(missing)}"


def test_every_registry_parameter_appears_in_the_submodel_text_not_only_the_table():
    text = ODD.read_text(encoding="utf-8")
    prose = text[: text.index(BEGIN)]
    missing = [name for name in REGISTRY if not re.search(rf"\b{name}\b", prose)]
    assert not missing, f"docs/ODD.md submodels do not mention: {', '.join(missing)}"


def test_odd_parameter_table_matches_the_registry():
    text = ODD.read_text(encoding="utf-8")
    assert generated_block(text) == parameter_table(), (
        "docs/ODD.md parameter table is out of date; run "
        "`.venv/bin/python tests/test_docs_odd.py --write`"
    )


def test_odd_names_no_parameter_that_is_not_in_the_registry():
    text = ODD.read_text(encoding="utf-8")
    table = generated_block(text)
    named = set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))
    assert named == set(REGISTRY)


def test_odd_table_of_event_kinds_matches_the_registry():
    text = ODD.read_text(encoding="utf-8")
    assert generated_block(text, KINDS_BEGIN, KINDS_END) == odd_table(), (
        "docs/ODD.md table of event kinds is out of date; run "
        "`.venv/bin/python tests/test_docs_odd.py --write`"
    )


def test_odd_event_sizes_are_the_registry_defaults():
    text = ODD.read_text(encoding="utf-8")
    assert generated_block(text, SIZES_BEGIN, SIZES_END) == size_table(), (
        "docs/ODD.md table of event sizes is out of date; run "
        ".venv/bin/python tests/test_docs_odd.py --write"
    )


def test_every_registered_event_kind_has_its_row_in_the_odd():
    table = generated_block(ODD.read_text(encoding="utf-8"), KINDS_BEGIN, KINDS_END)
    rows = re.findall(r"^\| `([a-z_]+)` \| `[A-Za-z]+` \|", table, flags=re.MULTILINE)
    assert rows == list(KINDS)


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
        print(f"wrote the parameter table and the table of event kinds into {ODD}")
    else:
        print(parameter_table())
        print(odd_table())
