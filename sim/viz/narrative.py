"""Plain-language sentences for students: what an event or a nation's decision means, and what
happened in a quarter. Reads the model's event log (``recorder.events``: step, kind, actor,
target, detail) and its recorded scores; no Solara here.
"""

from __future__ import annotations

import re

import numpy as np

from sim.model.model import SoftPowerModel
from sim.viz import words

__all__ = ["CREDIBILITY_HELP", "event_sentence", "quarter_story"]

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
    """Return one event or decision of the model's log as a sentence (see `_sentence`)."""
    text = _sentence(model, kind, actor, target, detail)
    return text[:1].upper() + text[1:]


def _sentence(model: SoftPowerModel, kind: str, actor: str, target: str, detail: str) -> str:
    """Return one event or decision of the model's log as a sentence in correct English.

    Verbs agree with how many nations act ("Denmark loses trust", "Denmark, Canada and Mexico
    lose trust"); groups and initiatives are named ("the Paris Agreement", not ``PARIS``); the
    scenario's source notes stay out (they are in the scenario file and its documentation).

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
    if kind == "capacity":
        m = re.match(r"([\d.]+) -> ([\d.]+) over (\d+)", detail)
        channel = _CHANNEL.get(target, target)
        if m:
            before, after, quarters = float(m.group(1)), float(m.group(2)), int(m.group(3))
            verb = "cuts" if after < before else "raises" if after > before else "keeps"
            over = f" over {quarters} quarters" if quarters > 1 else ""
            return (
                f"{who} {verb} its {channel} capacity from {before:.2f} to {after:.2f}{over} "
                "(1 = the strongest nation at the start)."
            )
        return f"{words.possessive(who)} {channel} capacity changes."
    if kind == "credibility_shock":
        size = _number(r"([\d.]+)", detail) or 0.0
        if detail.startswith("good"):
            return (
                f"{whom} {words.verb(n_whom, 'trusts', 'trust')} {who} more: a gain of "
                f"credibility of strength {size:.2f} (0 none, 1 the largest), so its messages "
                "count for more there."
            )
        return (
            f"{whom} {words.verb(n_whom, 'loses', 'lose')} trust in {who}: a blow to its "
            f"credibility of strength {size:.2f} (0 none, 1 the largest), so its messages count "
            "for less there."
        )
    if kind == "news_shock":
        size = _number(r"([+-]?[\d.]+)", detail) or 0.0
        channel = detail.split(" on ")[-1] if " on " in detail else "its image"
        mood = "better" if size > 0 else "worse"
        return f"News makes {whom} think {mood} of {who} ({_CHANNEL.get(channel, channel)})."
    if kind == "tariff":
        rate = _number(r"rate (\d+)%", detail)
        answer = words.verb(n_whom, "it answers", "they answer")
        both = f" and {answer} in kind" if "both ways" in detail else ""
        rate_text = f"{rate:.0f}%" if rate is not None else "a"
        return f"{who} puts a {rate_text} tariff on goods from {whom}{both}."
    if kind == "restriction":
        share = _number(r"-(\d+)%", detail)
        channel = detail.split()[0] if detail else "media"
        cut = f" by {share:.0f}%" if share is not None else ""
        return (
            f"{whom} {words.verb(n_whom, 'restricts', 'restrict')} {words.possessive(who)} "
            f"{_CHANNEL.get(channel, channel)} reach{cut} (for example a ban on its platforms)."
        )
    if kind in ("edge_add", "edge_remove"):
        layer = detail.split()[0] if detail else ""
        what = _LAYER.get(layer, f"a {layer} tie")
        verb = "opens" if kind == "edge_add" else "ends"
        return f"{who} {verb} {what} with {whom}."
    if kind == "threat":
        size = _number(r"severity ([\d.]+)", detail) or 0.0
        how = "with force or annexation" if size >= 1.0 else "to force a concession"
        if size < 0.5:
            how = "in hostile words"
        again = whom if n_whom == 1 else "they"
        return (
            f"{who} threatens {whom} {how}; {again} {words.verb(n_whom, 'loses', 'lose')} "
            f"trust in {who}."
        )
    if kind == "war":
        return f"{who} goes to war against {whom}; most of the world thinks worse of {who}."
    if kind == "leader_change":
        name = detail.split(",")[0] if detail else "a new leader"
        turn = "more nationalist" if "+" in detail else "less nationalist"
        has = words.verb(n_who, "has", "have")
        return f"{who} {has} a new leader, {name}, with a {turn} programme."
    if kind == "aid_policy":
        return f"{who} changes how it gives aid: its strategy is now '{detail}'."
    if kind in ("join", "leave"):
        verb = words.verb(n_who, kind + "s", kind)
        return f"{who} {verb} {words.group_name(target)}."
    if kind in ("decision_join", "decision_leave"):
        pull = _number(r"attraction ([+-]?[\d.]+)", detail)
        partners = _number(r"partners (\d+)%", detail)
        verb = "join" if kind == "decision_join" else "leave"
        why = []
        if pull is not None:
            why.append(f"its attraction to the leader is {pull:+.2f}")
        if partners is not None:
            why.append(f"{partners:.0f}% of its trade partners are members")
        reason = f": {' and '.join(why)}" if why else ""
        return f"{who} decides on its own to {verb} {words.group_name(target)}{reason}."
    if kind == "decision_restrict":
        threat = _number(r"perception ([+-]?[\d.]+)", detail)
        seen = (
            f" (its elite's view of it: {threat:+.2f} on a scale from −1 to 1)".replace("-", "−")
            if threat is not None
            else ""
        )
        return (
            f"{who} restricts {words.possessive(whom)} culture and technology reach: its elite "
            f"sees {whom} as a threat{seen}."
        )
    return f"{kind.replace('_', ' ').capitalize()}: {who} {whom}".strip() + "."


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
