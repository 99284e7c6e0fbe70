"""Reconnect: people met at earlier events of the same community, not met this time."""

from __future__ import annotations

from datetime import datetime, timedelta

from eventnet.matching import Encounter, PastEncounter, Person, build_followups

T0 = datetime(2026, 6, 4, 9, 0)


def person(pid: int, person_id: int | None) -> Person:
    return Person(id=pid, person_id=person_id, name=f"P{pid}", email=f"p{pid}@x.org",
                  company="", title="")


def past(a: int, b: int, event: str, days_ago: int, **kw: object) -> PastEncounter:
    return PastEncounter(a, b, event, T0 - timedelta(days=days_ago), **kw)  # type: ignore[arg-type]


def test_reconnect_lists_people_from_earlier_events_not_met_this_time() -> None:
    people = [person(1, 10), person(2, 20), person(3, 30)]
    history = [
        past(10, 20, "Meetup #1", 60, notes=("met at the bar",), name_b="P2"),
        past(10, 30, "Meetup #1", 60, name_b="P3"),
        past(10, 40, "Meetup #1", 60, name_b="Zoe", company_b="Zed", email_b="z@x.org"),
        past(10, 40, "Meetup #2", 30, name_b="Zoe", company_b="Zed", email_b="z@x.org"),
    ]
    result = build_followups("Meetup #3", people, [Encounter(1, 3, T0)], history)
    entries = result[1].reconnect
    assert [e.person_id for e in entries] == [40, 20]  # 30 was met again this time
    zoe, p2 = entries
    assert (zoe.name, zoe.company, zoe.email, zoe.times_met) == ("Zoe", "Zed", "z@x.org", 2)
    assert zoe.event_name == "Meetup #2" and zoe.attendee_id is None
    assert p2.attendee_id == 2 and p2.notes == ("met at the bar",)


def test_only_earlier_events_of_the_same_community_count() -> None:
    people = [person(1, 10), person(2, 20)]
    history = [
        past(10, 20, "Other conf", 10, community="other"),
        past(10, 30, "This conf", 0),  # the event itself is not "earlier"
        past(10, 40, "Meetup #1", 30, community="paris-python", name_b="Zoe"),
    ]
    result = build_followups("This conf", people, [], history, community="paris-python")
    assert [e.person_id for e in result[1].reconnect] == [40]


def test_notes_of_the_other_side_are_not_shown() -> None:
    people = [person(1, 10), person(2, 20)]
    history = [past(20, 10, "Meetup #1", 30, notes=("theirs",), name_b="P1")]
    result = build_followups("Meetup #2", people, [], history)
    assert result[1].reconnect == []
    assert result[2].reconnect[0].notes == ("theirs",)
