"""English for the app's sentences: nation names with "the", possessives, lists, plurals, verbs
that agree with their subject, and the names of groups and initiatives instead of their IDs.

No model and no Solara here: plain functions of strings, so every rule is tested on its own.
"""

from __future__ import annotations

import re

__all__ = [
    "GROUP_NAMES",
    "group_name",
    "listing",
    "nation_name",
    "plural",
    "possessive",
    "verb",
]

# Country names that take "the" in running English (as the world files spell them).
_TAKES_THE = frozenset(
    {
        "United States",
        "United Kingdom",
        "United Arab Emirates",
        "Netherlands",
        "Philippines",
        "Gambia",
        "Bahamas",
        "Central African Republic",
        "Dominican Republic",
        "Comoros",
        "Maldives",
        "Marshall Islands",
        "Seychelles",
        "Solomon Islands",
        "Czech Republic",
    }
)

# World-file spellings that cannot stand in a list separated by commas.
_SPOKEN = {"Micronesia, Fed. Sts.": "the Federated States of Micronesia"}

#: Group and initiative IDs of the world's membership data (``sim/data/membership_groups.csv``)
#: and the model's own initiatives, as a sentence names them.
GROUP_NAMES: dict[str, str] = {
    "BRI": "the Belt and Road Initiative",
    "PARIS": "the Paris Agreement",
    "WHO": "the World Health Organization",
    "NATO": "NATO",
    "EU": "the European Union",
    "G7": "the G7",
    "G20": "the G20",
    "BRICS": "BRICS",
    "BRICS_invited_not_formalised": "the BRICS invitees (not yet members)",
    "SCO": "the Shanghai Cooperation Organisation",
    "ASEAN": "ASEAN",
    "AU": "the African Union",
    "GCC": "the Gulf Cooperation Council",
    "Quad": "the Quad",
    "AUKUS": "AUKUS",
    "CSTO": "the Collective Security Treaty Organization",
    "OPEC": "OPEC",
    "OECD": "the OECD",
    "OECD_DAC": "the OECD Development Assistance Committee",
    "US_treaty_ally_bilateral": "the US bilateral defence treaties",
    "ANZUS": "ANZUS",
    "Rio_Treaty_TIAR": "the Rio Treaty (TIAR)",
    "Saudi_Pakistan_SMDA_2025": "the Saudi–Pakistan Strategic Mutual Defence Agreement (2025)",
}


def nation_name(name: str) -> str:
    """Return a nation's name as a sentence uses it: "the United States", "Kenya"."""
    if name in _SPOKEN:
        return _SPOKEN[name]
    return f"the {name}" if name in _TAKES_THE else name


def group_name(code: str, article: bool = True) -> str:
    """Return a group's or initiative's name for its ID: ``PARIS`` → "the Paris Agreement".

    Args:
        code: The ID (``BRI``, ``OECD_DAC``, ...); an unknown ID is shown with spaces for
            underscores.
        article: Keep a leading "the" (False for a list of names: "OECD Development ...").
    """
    name = GROUP_NAMES.get(code, code.replace("_", " "))
    return name if article else re.sub(r"^the ", "", name)


def possessive(phrase: str) -> str:
    """Return the possessive of a name: "Kenya's", "the United States'", "Turkey's" (a
    bracketed alternative name is left out: "Turkey (Türkiye)" → "Turkey's").
    """
    bare = re.sub(r"\s*\([^)]*\)$", "", phrase.strip())
    return f"{bare}'" if bare.endswith("s") else f"{bare}'s"


def plural(count: int, singular: str, many: str | None = None) -> str:
    """Return "1 event", "2 events" (``many`` for irregular plurals)."""
    return f"{count} {singular if count == 1 else many or singular + 's'}"


def verb(count: int, singular: str, many: str) -> str:
    """Return the verb form that agrees with a subject of ``count`` nations."""
    return singular if count == 1 else many


def listing(names: list[str], most: int = 4, noun: str = "nation") -> str:
    """Return names as an English list: "A", "A and B", "A, B and C", "A, B, C, D and 3 more
    nations" (at most ``most`` names, the rest counted).
    """
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    if len(names) > most:
        rest = len(names) - most
        return f"{', '.join(names[:most])} and {rest} more {noun if rest == 1 else noun + 's'}"
    return f"{', '.join(names[:-1])} and {names[-1]}"
