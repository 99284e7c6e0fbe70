"""Reasons render as sentences an attendee can read, in English and in French; the export
carries them as text."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from babel.support import Translations

from eventnet.matching import Encounter, Person, Reason, build_followups
from eventnet.matching.export import export_json
from eventnet.matching.reasons import describe
from eventnet.matching.typography import elide, fill

TRANSLATIONS = Path(__file__).resolve().parents[2] / "eventnet" / "translations"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def french() -> Translations:
    catalogue = Translations.load(str(TRANSLATIONS), ["fr"])
    assert isinstance(catalogue, Translations)
    return catalogue


def in_french(reason: Reason, catalogue: Translations) -> str:
    return describe(reason, catalogue.gettext, catalogue.ngettext, "fr")


def test_describe_renders_parameters_through_gettext() -> None:
    seen: list[str] = []

    def gettext(message: str) -> str:
        seen.append(message)
        return message.replace("You both talked with", "Vous avez tous deux parlé avec")

    reason = Reason("common_contacts", {"names": "Bob, Carol", "name": "Alice", "count": "2"})
    assert describe(reason) == "You both talked with Bob, Carol"
    assert describe(reason, gettext) == "Vous avez tous deux parlé avec Bob, Carol"
    assert seen == ["You both talked with %(names)s"]


def test_unknown_codes_and_missing_parameters_do_not_crash() -> None:
    assert describe(Reason("something_new")) == "something_new"
    assert describe(Reason("note", {})) == "You wrote a note about %(name)s"


CODES = ["mutual_scan", "repeated", "met_before", "note", "tag", "you_can_help",
         "they_can_help", "complementary", "shared_ask", "shared_interests", "common_contacts",
         "same_conversation", "extended_network", "other_field", "well_connected"]


def test_every_code_the_engine_emits_has_a_sentence() -> None:
    for code in CODES:
        assert describe(Reason(code, {})) != code


EVE = {"name": "Eve Martin"}


@pytest.mark.parametrize(("reason", "english"), [
    (Reason("mutual_scan", EVE), "You scanned each other's badges"),
    (Reason("repeated", {**EVE, "count": "3"}), "3 scans between you at this event"),
    (Reason("met_before", {**EVE, "events": "PyCon 2025"}), "You also met at PyCon 2025"),
    (Reason("note", EVE), "You wrote a note about Eve Martin"),
    (Reason("tag", {**EVE, "tags": "hiring"}), "You tagged Eve Martin: hiring"),
    (Reason("you_can_help", {**EVE, "offer": "Code review", "ask": "Relecture de code"}),
     "Eve Martin is looking for “Relecture de code”; you offer “Code review”"),
    (Reason("complementary", {**EVE, "offer": "Seed investing", "ask": "Fundraising"}),
     "You are looking for “Fundraising”; Eve Martin offers “Seed investing”"),
    (Reason("shared_ask", {**EVE, "ask": "A co-founder for a climate startup"}),
     "You and Eve Martin are both looking for “A co-founder for a climate startup”"),
    (Reason("shared_interests", {**EVE, "interests": "AI, climate"}),
     "Interests you share: AI, climate"),
    (Reason("common_contacts", {**EVE, "names": "Bob, Carol, Dan", "count": "5", "more": "2"}),
     "You both talked with Bob, Carol, Dan and 2 other people"),
    (Reason("common_contacts", {**EVE, "names": "Bob, Carol, Dan", "count": "4", "more": "1"}),
     "You both talked with Bob, Carol, Dan and 1 other person"),
    (Reason("same_conversation", {**EVE, "contact": "Bob"}),
     "You and Eve Martin were talking with Bob at about the same time"),
    (Reason("extended_network", EVE), "People you met know people who met Eve Martin"),
    (Reason("other_field", {**EVE, "field": "Investor", "title": "Investor", "company": "Fund"}),
     "Eve Martin works as Investor, unlike the people you met"),
    (Reason("other_field", {**EVE, "field": "Acme", "title": "", "company": "Acme"}),
     "Eve Martin works at Acme, unlike the people you met"),
    # Stored by an earlier version: only "field".
    (Reason("other_field", {**EVE, "field": "Investor"}),
     "Eve Martin works as Investor, unlike the people you met"),
    (Reason("well_connected", {**EVE, "count": "1"}), "Eve Martin met 1 person at this event"),
    (Reason("well_connected", {**EVE, "count": "12"}), "Eve Martin met 12 people at this event"),
])
def test_each_reason_reads_as_a_sentence(reason: Reason, english: str) -> None:
    assert describe(reason) == english


@pytest.mark.parametrize("code", CODES)
def test_every_sentence_is_translated_into_french(code: str, french: Translations) -> None:
    params = {"name": "Eve", "names": "Bob", "count": "2", "more": "1", "events": "X",
              "tags": "t", "offer": "o", "ask": "a", "interests": "i", "contact": "Bob",
              "field": "f", "title": "f", "company": "c"}
    assert in_french(Reason(code, params), french) != describe(Reason(code, params))


def test_french_elides_before_a_vowel_and_not_before_a_consonant(french: Translations) -> None:
    eve = in_french(Reason("same_conversation", {"name": "Eve", "contact": "Bob"}), french)
    assert eve == "Vous parliez avec Bob à peu près en même temps qu’Eve"
    bob = in_french(Reason("same_conversation", {"name": "Bob", "contact": "Eve"}), french)
    assert bob.endswith("en même temps que Bob")
    ask = in_french(Reason("shared_ask", {"name": "Émile", "ask": "Un cofondateur"}), french)
    assert ask == f"Vous cherchez la même chose qu’Émile{NBSP}: «{NBSP}Un cofondateur{NBSP}»"


def test_french_puts_a_non_breaking_space_before_colons_and_semicolons(
        french: Translations) -> None:
    tag = in_french(Reason("tag", {"name": "Bob", "tags": "suivi"}), french)
    assert tag == f"Vos étiquettes pour Bob{NBSP}: suivi"
    help_ = in_french(Reason("complementary", {"name": "Bob", "offer": "o", "ask": "a"}), french)
    assert f"{NBSP};" in help_ and " ;" not in help_


def test_french_counts_use_the_french_plural_rule(french: Translations) -> None:
    one = in_french(Reason("well_connected", {"name": "Bob", "count": "1"}), french)
    assert one == "Bob a rencontré 1 personne pendant cet événement"
    many = in_french(Reason("well_connected", {"name": "Bob", "count": "2"}), french)
    assert many == "Bob a rencontré 2 personnes pendant cet événement"


def test_elision_only_touches_french_words_before_a_placeholder() -> None:
    params = {"a": "Ocean", "b": "Bob", "c": "Irène"}
    assert fill("l’équipe de %(a)s et de %(b)s", params, "fr") == "l’équipe d’Ocean et de Bob"
    assert fill("Que %(c)s", params, "fr_FR") == "Qu’Irène"
    assert fill("que %(a)s", params, "en") == "que Ocean"
    assert elide("de Hugues %(a)s", params, "fr") == "de Hugues %(a)s"


def test_a_shared_ask_is_a_reason_of_its_own() -> None:
    at = datetime(2026, 6, 4, 9, 0)
    ask = "A co-founder for a climate startup"
    people = [Person(1, None, "Alice", None, "", "", asks=(ask,)),
              Person(2, None, "Bob", None, "", ""),
              Person(3, None, "Eve Martin", None, "", "", asks=("Cofondateur, start-up climat",))]
    result = build_followups("E", people, [Encounter(1, 2, at), Encounter(3, 2, at)])
    eve = next(s for s in result[1].introductions if s.attendee_id == 3)
    shared = [r for r in eve.reasons if r.code == "shared_ask"]
    assert [describe(r) for r in shared] == [f"You and Eve Martin are both looking for “{ask}”"]


def test_export_is_json_with_rendered_reasons() -> None:
    at = datetime(2026, 6, 4, 9, 0)
    people = [Person(1, None, "Ann", "a@x.org", "", ""), Person(2, None, "Bob", "b@x.org", "", ""),
              Person(3, None, "Cleo", "c@x.org", "", "")]
    result = build_followups("E", people, [Encounter(1, 2, at, note="hi"), Encounter(2, 3, at)])
    data = export_json({"name": "E"}, result, people)
    json.dumps(data)
    ann = data["attendees"][0]
    assert ann["email"] == "a@x.org"
    assert ann["met"][0]["email"] == "b@x.org" and ann["met"][0]["my_notes"] == ["hi"]
    assert ann["introductions"][0]["email"] == "c@x.org"
    assert "You both talked with Bob" in ann["introductions"][0]["reasons"]
