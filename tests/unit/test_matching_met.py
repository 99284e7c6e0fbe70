"""Depth over breadth: the people an attendee met, deepest encounters first, with context."""

from __future__ import annotations

from datetime import datetime, timedelta

from eventnet.matching import (
    Encounter,
    FollowUp,
    PastEncounter,
    Person,
    Settings,
    build_followups,
)

T0 = datetime(2026, 6, 4, 9, 0)


def person(pid: int, **kw: object) -> Person:
    values: dict[str, object] = {"person_id": None, "name": f"P{pid}", "email": f"p{pid}@x.org",
                                 "company": "", "title": ""}
    values.update(kw)
    return Person(id=pid, **values)  # type: ignore[arg-type]


def scan(a: int, b: int, minutes: int = 0, **kw: object) -> Encounter:
    return Encounter(a, b, T0 + timedelta(minutes=minutes), **kw)  # type: ignore[arg-type]


def met_ids(result: dict[int, FollowUp], pid: int) -> list[int]:
    return [m.attendee_id for m in result[pid].met]


def test_mutual_scan_with_note_outranks_one_way_scan() -> None:
    people = [person(1), person(2), person(3)]
    result = build_followups("E", people, [
        scan(1, 2, 0),
        scan(1, 3, 5, note="Talk about the API"), scan(3, 1, 6),
    ])
    assert met_ids(result, 1) == [3, 2]
    top = result[1].met[0]
    assert top.is_mutual and top.scan_count == 2
    assert [r.code for r in top.reasons][:2] == ["mutual_scan", "note"]


def test_repeated_encounters_and_follow_up_tags_count() -> None:
    people = [person(1), person(2), person(3)]
    result = build_followups("E", people, [
        scan(1, 2, 0), scan(1, 3, 1), scan(1, 3, 90), scan(1, 3, 200, tags=("follow-up",)),
    ])
    assert met_ids(result, 1) == [3, 2]
    entry = result[1].met[0]
    assert entry.scan_count == 3
    assert entry.first_met_at == T0 + timedelta(minutes=1)
    assert entry.last_met_at == T0 + timedelta(minutes=200)
    assert entry.tags == ("follow-up",)
    assert {"repeated", "tag"} <= {r.code for r in entry.reasons}


def test_meeting_again_after_an_earlier_event_of_the_community_ranks_higher() -> None:
    people = [person(1, person_id=10), person(2, person_id=20), person(3, person_id=30)]
    past = [PastEncounter(10, 30, "Meetup #1", T0 - timedelta(days=30), name_b="P3")]
    result = build_followups("Meetup #2", people, [scan(1, 2, 0), scan(1, 3, 0)], past)
    assert met_ids(result, 1) == [3, 2]
    reason = result[1].met[0].reasons[0]
    assert reason.code == "met_before" and reason.params["events"] == "Meetup #1"


def test_only_my_own_notes_are_shown_to_me() -> None:
    people = [person(1), person(2)]
    result = build_followups("E", people, [
        scan(1, 2, 0, note="mine"), scan(2, 1, 1, note="theirs", tags=("investor",)),
    ])
    assert result[1].met[0].my_notes == ("mine",)
    assert result[1].met[0].tags == ()
    assert result[2].met[0].my_notes == ("theirs",)
    assert result[2].met[0].tags == ("investor",)


def test_give_first_how_i_can_help_comes_before_how_they_can_help() -> None:
    me = person(1, offers=("Python mentoring",), asks=("Levée de fonds",))
    other = person(2, offers=("Raising money for startups",), asks=("learn python",))
    result = build_followups("E", [me, other], [scan(1, 2)])
    entry = result[1].met[0]
    assert [(m.mine, m.theirs) for m in entry.you_can_help] == [
        ("Python mentoring", "learn python")]
    assert [(m.mine, m.theirs) for m in entry.they_can_help] == [
        ("Levée de fonds", "Raising money for startups")]
    codes = [r.code for r in entry.reasons]
    assert codes.index("you_can_help") < codes.index("they_can_help")


def test_shared_interests_break_ties_between_equal_scans() -> None:
    people = [person(1, interests=("Machine learning",)), person(2, interests=("Cooking",)),
              person(3, interests=("ML",))]
    result = build_followups("E", people, [scan(1, 2, 0), scan(1, 3, 0)])
    assert met_ids(result, 1) == [3, 2]
    assert result[1].met[0].reasons[0].code == "shared_interests"


def test_the_list_is_short_and_configurable() -> None:
    people = [person(i) for i in range(1, 30)]
    encounters = [scan(1, i, i) for i in range(2, 30)]
    assert len(build_followups("E", people, encounters)[1].met) == 10
    small = build_followups("E", people, encounters, settings=Settings(list_size=3))
    assert len(small[1].met) == 3


def test_self_scans_and_unknown_attendees_are_ignored() -> None:
    result = build_followups("E", [person(1), person(2)], [scan(1, 1), scan(1, 99), scan(1, 2)])
    assert met_ids(result, 1) == [2]
