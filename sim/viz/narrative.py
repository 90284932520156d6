"""Plain-language sentences for students: what an event or a nation's decision means, and what
happened in a quarter. Reads the model's event log (``recorder.events``: step, kind, actor,
target, detail) and its recorded scores; no Solara here. Each logged kind's sentence is
registered by the kind's name (`SENTENCES`; tests check that every kind of the registry of
event kinds, `sim.model.kinds.KINDS`, has one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.model.model import SoftPowerModel
from sim.viz import words

__all__ = [
    "CREDIBILITY_HELP",
    "SENTENCES",
    "Logged",
    "Sentence",
    "event_sentence",
    "quarter_story",
]

#: What the inspector's credibility numbers mean.
CREDIBILITY_HELP = (
    "Credibility it gives: how far this nation's people believe what each nation says, from 0 "
    "(not at all) to 1 (fully). Every message a nation sends (its culture, aid, technology and "
    "diplomacy) is multiplied by it, so a nation with low credibility here wins little "
    "attraction whatever it spends; broken promises lower it fast and it is rebuilt slowly."
)

_CHANNEL = {
    "culture": "culture",
    "tech": "technology",
    "aid": "aid",
    "diplomacy": "diplomacy",
}
_LAYER = {
    "aid": "an aid link",
    "trade": "a trade tie",
    "alliance": "an alliance",
    "rivalry": "a rivalry",
    "membership": "a membership tie",
}


def _the(name: str) -> str:
    """Put "the" before names that take it ("the United States", "the Philippines")."""
    return words.nation_name(name)


def _nations(model: SoftPowerModel, codes: str, most: int = 4) -> tuple[str, int]:
    """Turn ``"KEN PAK EGY"`` or ``"all"`` into ("Kenya, Pakistan and Egypt", 3): the list in
    English (long lists cut) and how many nations it names, for the verb to agree with.
    """
    if not codes:
        return "", 0
    if codes == "all":
        return "every other nation", 1
    lookup = dict(zip(model.iso3, model.world.name, strict=True))
    names = [_the(lookup.get(c, c)) for c in codes.split()]
    return words.listing(names, most), len(names)


def _names(model: SoftPowerModel, codes: str, most: int = 4) -> str:
    """Turn ``"KEN PAK EGY"`` or ``"all"`` into "Kenya, Pakistan and Egypt" (long lists cut)."""
    return _nations(model, codes, most)[0]


def _number(pattern: str, text: str) -> float | None:
    found = re.search(pattern, text)
    return float(found.group(1)) if found else None


def event_sentence(model: SoftPowerModel, kind: str, actor: str, target: str, detail: str) -> str:
    """Return one event or decision of the model's log as a sentence in correct English.

    Verbs agree with how many nations act ("Denmark loses trust", "Denmark, Canada and Mexico
    lose trust"); groups and initiatives are named ("the Paris Agreement", not ``PARIS``); the
    scenario's source notes stay out (they are in the scenario file and its documentation).
    Each logged kind has its sentence in `SENTENCES`; another kind is named as it is logged.

    Args:
        model: The model whose log it is (for nation names).
        kind: Event kind (``capacity``, ``credibility_shock``, ``decision_join``, ...).
        actor: ISO3 code(s) of who acts.
        target: ISO3 codes, ``all``, a channel or an initiative, by kind.
        detail: The log's detail text.

    Returns:
        A sentence, e.g. "The United States cuts its aid capacity from 1.00 to 0.43 (...)".
    """
    who, n_who = _nations(model, actor)
    whom, n_whom = _nations(model, target)
    line = Logged(kind, target, detail, who, n_who, whom, n_whom)
    tell = SENTENCES.get(kind)
    text = (
        tell(line) if tell else f"{kind.replace('_', ' ').capitalize()}: {who} {whom}".strip() + "."
    )
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Logged:
    """One line of the event log with its nations named, as a sentence reads it.

    Attributes:
        kind: The logged kind.
        target: The log's target (ISO3 codes, ``all``, a channel or an initiative).
        detail: The log's detail text.
        who: Who acts, in English ("Kenya, Pakistan and Egypt").
        n_who: How many nations act (for the verb to agree).
        whom: The target nations in English ("" when the target names none).
        n_whom: How many target nations.

    """

    kind: str
    target: str
    detail: str
    who: str
    n_who: int
    whom: str
    n_whom: int


#: A sentence of a logged event or decision.
Sentence = Callable[[Logged], str]

#: The sentence of each logged kind: the kinds the registry of event kinds logs
#: (`sim.model.kinds.EventKind.logs`) and the nations' own decisions.
SENTENCES: dict[str, Sentence] = {}


def _tells(*kinds: str) -> Callable[[Sentence], Sentence]:
    """Register the decorated function as the sentence of the logged ``kinds``."""

    def decorate(sentence: Sentence) -> Sentence:
        for kind in kinds:
            SENTENCES[kind] = sentence
        return sentence

    return decorate


@_tells("capacity")
def _capacity(e: Logged) -> str:
    m = re.match(r"([\d.]+) -> ([\d.]+) over (\d+)", e.detail)
    channel = _CHANNEL.get(e.target, e.target)
    if m:
        before, after, quarters = float(m.group(1)), float(m.group(2)), int(m.group(3))
        verb = "cuts" if after < before else "raises" if after > before else "keeps"
        over = f" over {quarters} quarters" if quarters > 1 else ""
        return (
            f"{e.who} {verb} its {channel} capacity from {before:.2f} to {after:.2f}{over} "
            "(1 = the strongest nation at the start)."
        )
    return f"{words.possessive(e.who)} {channel} capacity changes."


@_tells("credibility_shock")
def _credibility_shock(e: Logged) -> str:
    size = _number(r"([\d.]+)", e.detail) or 0.0
    if e.detail.startswith("good"):
        return (
            f"{e.whom} {words.verb(e.n_whom, 'trusts', 'trust')} {e.who} more: a gain of "
            f"credibility of strength {size:.2f} (0 none, 1 the largest), so its messages "
            "count for more there."
        )
    return (
        f"{e.whom} {words.verb(e.n_whom, 'loses', 'lose')} trust in {e.who}: a blow to its "
        f"credibility of strength {size:.2f} (0 none, 1 the largest), so its messages count "
        "for less there."
    )


@_tells("news_shock")
def _news_shock(e: Logged) -> str:
    size = _number(r"([+-]?[\d.]+)", e.detail) or 0.0
    channel = e.detail.split(" on ")[-1] if " on " in e.detail else "its image"
    mood = "better" if size > 0 else "worse"
    return f"News makes {e.whom} think {mood} of {e.who} ({_CHANNEL.get(channel, channel)})."


@_tells("tariff")
def _tariff(e: Logged) -> str:
    rate = _number(r"rate (\d+)%", e.detail)
    answer = words.verb(e.n_whom, "it answers", "they answer")
    both = f" and {answer} in kind" if "both ways" in e.detail else ""
    rate_text = f"{rate:.0f}%" if rate is not None else "a"
    return f"{e.who} puts a {rate_text} tariff on goods from {e.whom}{both}."


@_tells("restriction")
def _restriction(e: Logged) -> str:
    share = _number(r"-(\d+)%", e.detail)
    channel = e.detail.split()[0] if e.detail else "media"
    cut = f" by {share:.0f}%" if share is not None else ""
    return (
        f"{e.whom} {words.verb(e.n_whom, 'restricts', 'restrict')} {words.possessive(e.who)} "
        f"{_CHANNEL.get(channel, channel)} reach{cut} (for example a ban on its platforms)."
    )


@_tells("edge_add", "edge_remove")
def _edge(e: Logged) -> str:
    layer = e.detail.split()[0] if e.detail else ""
    what = _LAYER.get(layer, f"a {layer} tie")
    verb = "opens" if e.kind == "edge_add" else "ends"
    return f"{e.who} {verb} {what} with {e.whom}."


@_tells("threat")
def _threat(e: Logged) -> str:
    size = _number(r"severity ([\d.]+)", e.detail) or 0.0
    how = "with force or annexation" if size >= 1.0 else "to force a concession"
    if size < 0.5:
        how = "in hostile words"
    again = e.whom if e.n_whom == 1 else "they"
    return (
        f"{e.who} threatens {e.whom} {how}; {again} {words.verb(e.n_whom, 'loses', 'lose')} "
        f"trust in {e.who}."
    )


@_tells("war")
def _war(e: Logged) -> str:
    return f"{e.who} goes to war against {e.whom}; most of the world thinks worse of {e.who}."


@_tells("leader_change")
def _leader_change(e: Logged) -> str:
    name = e.detail.split(",")[0] if e.detail else "a new leader"
    turn = "more nationalist" if "+" in e.detail else "less nationalist"
    has = words.verb(e.n_who, "has", "have")
    return f"{e.who} {has} a new leader, {name}, with a {turn} programme."


@_tells("aid_policy")
def _aid_policy(e: Logged) -> str:
    return f"{e.who} changes how it gives aid: its strategy is now '{e.detail}'."


@_tells("join", "leave")
def _membership(e: Logged) -> str:
    verb = words.verb(e.n_who, e.kind + "s", e.kind)
    return f"{e.who} {verb} {words.group_name(e.target)}."


@_tells("decision_join", "decision_leave")
def _decision_membership(e: Logged) -> str:
    pull = _number(r"attraction ([+-]?[\d.]+)", e.detail)
    partners = _number(r"partners (\d+)%", e.detail)
    verb = "join" if e.kind == "decision_join" else "leave"
    why = []
    if pull is not None:
        why.append(f"its attraction to the leader is {pull:+.2f}")
    if partners is not None:
        why.append(f"{partners:.0f}% of its trade partners are members")
    reason = f": {' and '.join(why)}" if why else ""
    return f"{e.who} decides on its own to {verb} {words.group_name(e.target)}{reason}."


@_tells("decision_restrict")
def _decision_restrict(e: Logged) -> str:
    threat = _number(r"perception ([+-]?[\d.]+)", e.detail)
    seen = (
        f" (its elite's view of it: {threat:+.2f} on a scale from −1 to 1)".replace("-", "−")
        if threat is not None
        else ""
    )
    return (
        f"{e.who} restricts {words.possessive(e.whom)} culture and technology reach: its elite "
        f"sees {e.whom} as a threat{seen}."
    )


def quarter_story(
    model: SoftPowerModel, step: int | None = None, most: int = 4, since: int | None = None
) -> list[str]:
    """Return what happened in a quarter or a period, in plain sentences: its events and
    decisions, then the largest moves of the soft power score over the whole period.

    Args:
        model: The model.
        step: The last quarter of the period (default: the latest).
        most: Largest number of event sentences (the rest are counted).
        since: The step the period starts after (default: ``step - 1``, one quarter); the app
            passes the step it showed before, so a render interval of 7 tells all 7 quarters.

    Returns:
        Sentences; at step 0 one that says the run has not started.
    """
    step = model.steps if step is None else step
    if step == 0:
        return ["The run starts here: press Step to play one quarter, or ▶ to play on."]
    since = step - 1 if since is None or not 0 <= since < step else since
    quarters = step - since
    events = [e for e in model.recorder.events if since < e[0] <= step]
    lines = [event_sentence(model, *e[1:]) for e in events[:most]]
    if len(events) > most:
        rest = len(events) - most
        lines.append(
            f"… and {rest} more {'event or decision' if rest == 1 else 'events and decisions'} "
            "(see Events)."
        )
    period = "this quarter" if quarters == 1 else f"in these {quarters} quarters"
    if not events:
        lines.append(f"No event and no decision {period}: opinion kept drifting on its own.")
    before, now = model.recorder.score[since], model.recorder.score[step]
    delta = now - before
    order = np.argsort(-np.abs(delta))[:2]
    moves = [
        f"{_the(model.world.name[i])} {'gains' if delta[i] > 0 else 'loses'} "
        f"{abs(delta[i]):.1f} points (now {now[i]:.1f})"
        for i in order
        if abs(delta[i]) >= 0.05
    ]
    if moves:
        head = (
            "Largest score moves"
            if quarters == 1
            else f"Largest score moves over {quarters} quarters"
        )
        lines.append(f"{head}: " + "; ".join(moves) + ".")
    return lines
