"""The app's sentences in correct English (issue 24, findings 5 and 7): every event kind of the
registry with one nation and with several, names that take "the", names with brackets, the
names of groups instead of their IDs, no source notes, and a period of several quarters told
whole.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from sim.model.model import SoftPowerModel
from sim.scenario import EVENT_KINDS
from sim.viz import narrative, words
from sim.viz.app_model import AppModel, advance
from sim.world.bundled import bundled_world


@pytest.fixture(scope="module")
def un193() -> SoftPowerModel:
    """A model of every UN member (for the names), never stepped."""
    return SoftPowerModel(world=bundled_world("un193"), steps=1, rng=0)


def told(model, kind, actor, target, detail=""):
    return narrative.event_sentence(model, kind, actor, target, detail)


# Each logged kind (the registry's kinds, `edge` logged as add or remove, and the nations' own
# decisions), with a detail as the model logs it.
LOGGED = {
    "capacity": ("USA", "aid", "1.000 -> 0.430 over 3 quarter(s)"),
    "credibility_shock": ("USA", "{many}", "bad 0.68"),
    "news_shock": ("CHN", "{many}", "+0.20 on culture"),
    "tariff": ("USA", "{many}", "rate 25% in force, both ways"),
    "join": ("{many}", "BRI", "signed in Beijing (bri.csv); this event is a no-op"),
    "leave": ("{many}", "PARIS", "exit effective 27 Jan 2026 (withdrawals.csv)."),
    "restriction": ("CHN", "{many}", "culture -50%"),
    "edge_add": ("CHN", "{many}", "aid 0.2"),
    "edge_remove": ("USA", "{many}", "aid 0"),
    "aid_policy": ("USA", "", "retreat"),
    "threat": ("USA", "{many}", "severity 1.00"),
    "war": ("RUS", "UKR", "coalition 0, opponents 1"),
    "leader_change": ("USA", "", "Donald Trump, nationalist stance +1.0"),
    "decision_join": ("KEN", "BRI", "attraction 0.54, partners 50%"),
    "decision_leave": ("KEN", "BRI", "attraction -0.30, partners 10%"),
    "decision_restrict": ("GRC", "TUR", "elite perception -0.54"),
}


def test_every_kind_of_the_registry_has_its_own_sentence(un193):
    logged = {k for k in LOGGED} | {"edge", "random"}  # random shocks log as a concrete kind
    assert set(EVENT_KINDS) <= logged
    for kind, (actor, target, detail) in LOGGED.items():
        for many in ("DNK", "DNK CAN MEX"):
            text = told(un193, kind, actor.format(many=many), target.format(many=many), detail)
            assert not text.lower().startswith(kind.replace("_", " ")), text  # not the fallback
            assert text[0].isupper() and text.endswith("."), text
            # no source notes, no raw codes, no slashes between names
            for leak in (".csv", "no-op", "PARIS", "BRI", "/", "DNK", "'s'"):
                assert leak not in text, (leak, text)


@pytest.mark.parametrize(
    ("kind", "one", "many"),
    [
        ("threat", "Denmark loses trust in", "they lose trust in"),
        ("credibility_shock", "Denmark loses trust in", "Denmark, Canada and Mexico lose trust"),
        ("restriction", "Denmark restricts China's", "Denmark, Canada and Mexico restrict"),
        ("tariff", "and it answers in kind", "and they answer in kind"),
        ("join", "Denmark joins the Belt and Road Initiative.", "Mexico join the Belt and Road"),
        ("leave", "Denmark leaves the Paris Agreement.", "Mexico leave the Paris Agreement."),
    ],
)
def test_verbs_agree_with_one_nation_and_with_several(un193, kind, one, many):
    # Finding 5: "Denmark/Canada/Mexico lose trust", "leave PARIS", "join BRI".
    actor, target, detail = LOGGED[kind]
    single = told(un193, kind, actor.format(many="DNK"), target.format(many="DNK"), detail)
    several = told(
        un193, kind, actor.format(many="DNK CAN MEX"), target.format(many="DNK CAN MEX"), detail
    )
    assert one in single, single
    assert many in several, several


def test_names_with_the_and_with_brackets_take_the_right_possessive(un193):
    # Finding 5: "the United States's", "the Philippines's", "Turkey (Türkiye)'s".
    us = told(un193, "decision_restrict", "IRN", "USA", "elite perception -0.32")
    assert "restricts the United States' culture" in us and "States's" not in us
    ph = told(un193, "decision_restrict", "CHN", "PHL", "elite perception -0.46")
    assert "the Philippines' culture" in ph and "Philippines's" not in ph
    tr = told(un193, "decision_restrict", "GRC", "TUR", "elite perception -0.54")
    assert "restricts Turkey's culture" in tr and ")'s" not in tr
    assert "sees Turkey (Türkiye) as a threat" in tr
    netherlands = told(un193, "restriction", "USA", "NLD", "culture -50%")
    assert netherlands.startswith("The Netherlands restricts the United States' culture reach")


def test_english_helpers():
    assert words.possessive("the Bahamas") == "the Bahamas'"
    assert words.possessive("Kenya") == "Kenya's"
    assert words.listing(["A"]) == "A"
    assert words.listing(["A", "B"]) == "A and B"
    assert words.listing(["A", "B", "C"]) == "A, B and C"
    assert words.listing(list("ABCDE")) == "A, B, C, D and 1 more nation"
    assert words.listing(list("ABCDEF")) == "A, B, C, D and 2 more nations"
    assert words.plural(1, "event") == "1 event" and words.plural(3, "event") == "3 events"
    assert words.nation_name("Micronesia, Fed. Sts.") == "the Federated States of Micronesia"
    assert words.group_name("OECD_DAC") == "the OECD Development Assistance Committee"
    assert words.group_name("Rio_Treaty_TIAR", article=False) == "Rio Treaty (TIAR)"


@pytest.fixture(scope="module")
def seven() -> AppModel:
    """America First, seven quarters in (a render interval of 7, one click)."""
    model = AppModel("america_first", seed=0)
    advance(model, 7)
    return model


def test_one_more_event_is_singular(seven):
    # Finding 5: "and 1 more events".
    count = sum(1 for e in seven.recorder.events if e[0] == 1)
    lines = narrative.quarter_story(seven, 1, most=count - 1)
    assert "… and 1 more event or decision (see Events)." in lines
    lines = narrative.quarter_story(seven, 1, most=count - 2)
    assert "… and 2 more events and decisions (see Events)." in lines


def test_a_period_of_seven_quarters_is_told_whole(seven):
    # Finding 7: at a render interval of 7 the story told only the last quarter and reported
    # its change as if it were the period's.
    lines = narrative.quarter_story(seven, 7, most=1000, since=0)
    every = [narrative.event_sentence(seven, *e[1:]) for e in seven.recorder.events]
    assert lines[: len(every)] == every  # quarters 1 to 7, not only the 7th
    last_only = narrative.quarter_story(seven, 7, most=1000)
    assert len(last_only) < len(lines)
    delta = seven.recorder.score[7] - seven.recorder.score[0]
    top = int(np.argmax(np.abs(delta)))
    moves = lines[-1]
    assert moves.startswith("Largest score moves over 7 quarters: ")
    name = words.nation_name(seven.world.name[top])
    verb = "gains" if delta[top] > 0 else "loses"
    assert f"{name} {verb} {abs(delta[top]):.1f} points" in moves
    assert re.search(r"\(now [\d.]+\)", moves)
