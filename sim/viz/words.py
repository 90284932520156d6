"""English for the app's sentences: nation names with "the", possessives, lists, plurals, verbs
that agree with their subject, and the names of groups and initiatives instead of their IDs.

No model and no Solara here: plain functions of strings, so every rule is tested on its own.
"""

from __future__ import annotations

import re

__all__ = [
    "GROUP_NAMES",
    "PLAIN_PARAMETERS",
    "group_name",
    "listing",
    "nation_name",
    "parameter_help",
    "parameter_label",
    "plain_description",
    "plural",
    "possessive",
    "verb",
    "world_words",
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


#: The key parameters in a student's words: (label, what it does). The registry's symbols
#: (θ, κ, ν, ...) are shown only in the "for modellers" fold.
PLAIN_PARAMETERS: dict[str, tuple[str, str]] = {
    "stubbornness": (
        "Stubbornness",
        "how strongly opinion sticks to each nation's long-run starting view every quarter "
        "(0: not at all; 1: it never moves)",
    ),
    "saturation": (
        "Saturation",
        "how much effort (culture, aid, technology, diplomacy) it takes before more of it pays "
        "off only half as much",
    ),
    "receptivity_youth": (
        "Openness of the young",
        "how far young people move toward what they see of another nation each quarter",
    ),
    "loss_aversion": (
        "Resentment of cuts",
        "how much people hold it against a nation when it takes away aid or presence they were "
        "used to",
    ),
    "credibility_loss": (
        "Trust lost in a scandal",
        "the share of its credibility a nation loses after the worst kind of bad event",
    ),
    "credibility_recovery": (
        "Trust regained per quarter",
        "how fast lost credibility comes back to its usual level",
    ),
    "familiarity_memory": (
        "Memory of attention",
        "how many quarters people keep hearing of a nation after the attention it gets falls",
    ),
    "event_persistence": (
        "Do policy effects last?",
        "the share of an event's effect on opinion that lasts (0: it fades away; 1: it stays "
        "until an opposite event undoes it)",
    ),
}

_PATH = re.compile(r"\b[\w./-]+\.(?:csv|ya?ml|md|py|json)\b|\b(?:sim|docs|scenarios|tests)/")


def parameter_label(name: str) -> str:
    """Return a parameter's label in plain words (its code name when it has none)."""
    return PLAIN_PARAMETERS.get(name, (name.replace("_", " "), ""))[0]


def parameter_help(name: str, meaning: str = "") -> str:
    """Return what a parameter does in plain words (the registry's ``meaning`` if none)."""
    return PLAIN_PARAMETERS.get(name, ("", meaning))[1] or meaning


def plain_description(text: str) -> str:
    """Return a scenario's description without the sentences that cite files (source notes for
    modellers: "(sim/data/events/us_aid_cuts_2025.csv)").
    """
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", " ".join(text.split()))
    return " ".join(s for s in sentences if not _PATH.search(s)).strip()


def world_words(name: str | None, n: int) -> str:
    """Name a run's world for a view's caption: ``world un193 (196 nations)``.

    Args:
        name: The bundled world's name (None: a world without one, e.g. a synthetic world).
        n: Its number of nations.

    Returns:
        The words, e.g. ``"world core60 (60 nations)"``, or ``"60 nations"`` without a name.
    """
    nations = f"{n} nations"
    return f"world {name} ({nations})" if name else nations
