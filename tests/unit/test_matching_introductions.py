"""Weak ties, give first, diversity, and nobody suggested to everyone."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from eventnet.matching import Encounter, FollowUp, Person, Settings, build_followups
from eventnet.matching.reasons import describe

T0 = datetime(2026, 6, 4, 9, 0)


def person(pid: int, **kw: object) -> Person:
    values: dict[str, object] = {"person_id": None, "name": f"P{pid}", "email": f"p{pid}@x.org",
                                 "company": "", "title": ""}
    values.update(kw)
    return Person(id=pid, **values)  # type: ignore[arg-type]


def scan(a: int, b: int, minutes: int = 0) -> Encounter:
    return Encounter(a, b, T0 + timedelta(minutes=minutes))


def intro_ids(result: dict[int, FollowUp], pid: int) -> list[int]:
    return [s.attendee_id for s in result[pid].introductions]


def star_event(n: int) -> tuple[list[Person], list[Encounter]]:
    """Everybody met the host (1); nobody else met anyone."""
    people = [person(i) for i in range(1, n + 1)]
    return people, [scan(i, 1, i) for i in range(2, n + 1)]


def test_friends_of_friends_come_first_and_the_reason_names_the_shared_contact() -> None:
    people = [person(1, name="Ann"), person(2, name="Bob"), person(3, name="Cleo"),
              person(4, name="Dan"), person(5, name="Eve")]
    result = build_followups("E", people, [scan(1, 2), scan(2, 3), scan(4, 5)])
    assert intro_ids(result, 1)[0] == 3
    reasons = result[1].introductions[0].reasons
    common = next(r for r in reasons if r.code == "common_contacts")
    assert common.params["names"] == "Bob"
    assert describe(common) == "You both talked with Bob"


def test_complementary_offer_is_explained_and_giving_comes_first() -> None:
    people = [
        person(1, name="Ann", asks=("fundraising",), offers=("UX design review",)),
        person(2, name="Bob"),
        person(3, name="Alice", offers=("Levée de fonds",), asks=("user experience",)),
        person(4, name="Dan"),
    ]
    result = build_followups("E", people, [scan(1, 2), scan(2, 3), scan(2, 4)])
    first = result[1].introductions[0]
    assert first.attendee_id == 3
    text = [describe(r) for r in first.reasons]
    assert text[0] == "Alice is looking for “user experience”; you offer “UX design review”"
    assert text[1] == "You are looking for “fundraising”; Alice offers “Levée de fonds”"
    assert "You both talked with Bob" in text


def test_an_attendee_who_opted_out_is_never_suggested_and_gets_no_suggestions() -> None:
    people, encounters = star_event(12)
    people[4] = person(5, consents_to_introductions=False)
    result = build_followups("E", people, encounters)
    assert all(5 not in intro_ids(result, p.id) for p in people)
    assert result[5].introductions == []
    assert [m.attendee_id for m in result[5].met] == [1]


def test_nobody_is_suggested_more_often_than_the_cap() -> None:
    people, encounters = star_event(40)
    # 2 is popular: everyone's friend-of-friend through 1 and 3.
    encounters += [scan(2, 3)] + [scan(i, 3, 100 + i) for i in range(4, 41)]
    for settings in (Settings(), Settings(exposure_cap=4)):
        result = build_followups("E", people, encounters, settings=settings)
        exposure = Counter(s.attendee_id for f in result.values() for s in f.introductions)
        assert max(exposure.values()) <= settings.effective_exposure_cap


def test_default_cap_is_three_times_the_introduction_list() -> None:
    assert Settings().effective_exposure_cap == 15
    assert Settings(intro_count=4).effective_exposure_cap == 12


def test_every_attendee_who_met_someone_gets_a_full_list() -> None:
    people, encounters = star_event(30)
    people.append(person(31))  # registered, met nobody
    result = build_followups("E", people, encounters)
    # The host met everyone, so there is nobody left to introduce them to.
    assert result[1].introductions == []
    assert all(len(result[p.id].introductions) == 5 for p in people[1:30])
    assert result[31].introductions == []


def test_never_suggest_self_or_someone_already_met() -> None:
    people, encounters = star_event(20)
    encounters += [scan(2, 3), scan(4, 2)]
    result = build_followups("E", people, encounters)
    for p in people:
        met = {m.attendee_id for m in result[p.id].met}
        intros = set(intro_ids(result, p.id))
        assert p.id not in intros
        assert not intros & met


def test_people_from_another_field_get_a_nudge_and_say_so() -> None:
    people = [
        person(1, company="Acme", title="Engineer"),
        person(2, company="Acme", title="Engineer"),
        person(3, company="Acme", title="Engineer"),
        person(4, company="City Hospital", title="Nurse"),
    ]
    # 3 and 4 are equally close to 1 (both met 2 at the same time).
    result = build_followups("E", people, [scan(1, 2, 0), scan(2, 3, 0), scan(2, 4, 0)])
    assert intro_ids(result, 1)[0] == 4
    assert "other_field" in [r.code for r in result[1].introductions[0].reasons]


def test_synonyms_in_profiles_bring_in_people_outside_the_graph() -> None:
    people = [person(1, asks=("recrutement",)), person(2), person(3, offers=("Hiring engineers",)),
              person(4), person(5)]
    result = build_followups("E", people, [scan(1, 2), scan(3, 4), scan(4, 5)])
    assert intro_ids(result, 1)[0] == 3
