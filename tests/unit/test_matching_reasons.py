"""Reasons render as translatable sentences; the export carries them as text."""

from __future__ import annotations

import json
from datetime import datetime

from eventnet.matching import Encounter, Person, Reason, build_followups
from eventnet.matching.export import export_json
from eventnet.matching.reasons import describe


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


def test_every_code_the_engine_emits_has_a_sentence() -> None:
    codes = ["mutual_scan", "repeated", "met_before", "note", "tag", "you_can_help",
             "they_can_help", "complementary", "shared_interests", "common_contacts",
             "same_conversation", "extended_network", "other_field", "well_connected"]
    for code in codes:
        assert describe(Reason(code, {})) != code


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
