"""Door check-in without HTTP: one check-in per attendee, the earliest read wins, replays
change nothing, and the walk-in gets the registration's mail."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import Attendee, CheckIn, CheckInRead, OutboundEmail, utcnow
from eventnet.services.attendees import register
from eventnet.services.badges import reissue_badge
from eventnet.services.checkins import (
    DoorRead,
    check_in,
    check_in_badge,
    door_roster,
    parse_door_reads,
    register_onsite,
    sync_door_reads,
)
from eventnet.services.errors import Conflict, EventnetError, Invalid, NotFound
from eventnet.services.profiles import Profile


def _count(model):
    db.session.rollback()  # end the read snapshot: other connections wrote
    return db.session.scalar(select(func.count()).select_from(model))


def _check_in_of(attendee_id):
    db.session.rollback()
    return db.session.scalars(select(CheckIn).where(CheckIn.attendee_id == attendee_id)).one()


def test_two_offline_devices_reading_one_badge_make_one_check_in_at_the_earliest_time(
        make_event, make_attendee):
    event = make_event()
    ann = make_attendee(event, "Ann")
    now = utcnow()
    earlier, later = now - timedelta(minutes=20), now - timedelta(minutes=5)
    # the device that read later syncs first, then the one that read earlier
    second = sync_door_reads(event.id, [DoorRead("device-b-1", ann.badge.token, later)])
    first = sync_door_reads(event.id, [DoorRead("device-a-1", ann.badge.token, earlier)])
    assert second[0].result is not None and second[0].result.is_new
    assert first[0].result is not None and first[0].result.is_new
    assert first[0].result.checked_in_at == earlier
    assert _count(CheckIn) == 1 and _check_in_of(ann.id).checked_in_at == earlier
    # and in the other order it ends the same
    bob = make_attendee(event, "Bob")
    check_in_badge(event.id, bob.badge.token, client_id="a-2", read_at=earlier)
    late = check_in_badge(event.id, bob.badge.token, client_id="b-2", read_at=later)
    assert not late.is_new and late.checked_in_at == earlier
    assert _check_in_of(bob.id).checked_in_at == earlier and _count(CheckIn) == 2
    assert _count(CheckInRead) == 4  # every device's read is kept, by client id


def test_the_same_client_id_sent_again_changes_nothing(make_event, make_attendee):
    event = make_event()
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    read_at = utcnow() - timedelta(minutes=3)
    first = check_in_badge(event.id, ann.badge.token, client_id="c-1", read_at=read_at)
    again = check_in_badge(event.id, ann.badge.token, client_id="c-1", read_at=read_at)
    # a replay answers as the first time (green: this read checked them in)
    assert first.is_new and again.is_new and again.checked_in_at == read_at
    replayed = sync_door_reads(event.id, [DoorRead("c-1", ann.badge.token, read_at)] * 1)
    assert replayed[0].result is not None and replayed[0].result.checked_in_at == read_at
    assert _count(CheckIn) == 1 and _count(CheckInRead) == 1
    # a replay with another time is the same read: it does not move the check-in
    check_in_badge(event.id, ann.badge.token, client_id="c-1",
                   read_at=read_at - timedelta(minutes=10))
    assert _check_in_of(ann.id).checked_in_at == read_at
    with pytest.raises(Conflict) as reused:
        check_in_badge(event.id, bob.badge.token, client_id="c-1")
    assert reused.value.code == "client_id_reused" and _count(CheckIn) == 1


def test_a_read_of_another_device_replayed_after_a_later_one_is_still_answered_amber(
        make_event, make_attendee):
    event = make_event()
    ann = make_attendee(event)
    now = utcnow()
    check_in_badge(event.id, ann.badge.token, client_id="early", read_at=now - timedelta(hours=1))
    late = check_in_badge(event.id, ann.badge.token, client_id="late", read_at=now)
    replay = check_in_badge(event.id, ann.badge.token, client_id="late", read_at=now)
    assert not late.is_new and not replay.is_new and _count(CheckIn) == 1


def test_concurrent_reads_of_one_badge_from_many_devices_keep_the_earliest(
        app, make_event, make_attendee):
    event = make_event()
    ann = make_attendee(event)
    token, now = ann.badge.token, utcnow()
    times = [now - timedelta(minutes=minutes) for minutes in range(1, 13)]
    errors: list[str] = []

    def device(client_id, read_at):
        with app.app_context():
            try:
                check_in_badge(event.id, token, client_id=client_id, read_at=read_at)
            except Exception as exc:  # pragma: no cover - reported by the assertion
                errors.append(repr(exc))
            finally:
                db.session.remove()

    # each read sent twice at once: replays race the originals
    threads = [threading.Thread(target=device, args=(f"d-{i}", at))
               for i, at in enumerate(times) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert _count(CheckIn) == 1 and _count(CheckInRead) == len(times)
    assert _check_in_of(ann.id).checked_in_at == min(times)


def test_refused_reads_are_answered_and_the_others_recorded(make_event, make_attendee):
    event, other = make_event(), make_event()
    ann, bob, stranger = make_attendee(event), make_attendee(event), make_attendee(other)
    old = bob.badge.token
    reissue_badge(bob.id)
    now = utcnow()
    answers = sync_door_reads(event.id, [
        DoorRead("1", old, now), DoorRead("2", "made-up", now),
        DoorRead("3", stranger.badge.token, now), DoorRead("4", ann.badge.token, now),
        DoorRead("5", ann.badge.token, now + timedelta(hours=1))])
    codes = [answer.error.code if answer.error else "ok" for answer in answers]
    assert codes == ["badge_revoked", "not_registered", "not_registered", "ok",
                     "invalid_read_at"]
    assert _count(CheckIn) == 1 and _count(CheckInRead) == 1


def test_a_device_clock_a_little_ahead_is_read_as_now(make_event, make_attendee):
    event = make_event()
    ann = make_attendee(event)
    before = utcnow()
    result = check_in_badge(event.id, ann.badge.token, client_id="x",
                            read_at=before + timedelta(minutes=2))
    assert before <= result.checked_in_at <= utcnow()
    with pytest.raises(Invalid):
        check_in_badge(event.id, ann.badge.token, client_id="y",
                       read_at=before - timedelta(days=40))


def test_sync_input_is_checked_before_anything_is_recorded():
    ok = {"client_id": "a", "badge": "tok", "read_at": "2026-05-04T18:30:00Z"}
    assert parse_door_reads({"checkins": [ok]})[0].client_id == "a"
    cases = [
        ([], "invalid_body", None),
        ({}, "invalid_checkins", "checkins"),
        ({"checkins": "x"}, "invalid_checkins", "checkins"),
        ({"checkins": [1]}, "invalid_checkins", "checkins[0]"),
        ({"checkins": [ok, {**ok, "client_id": ""}]}, "invalid_client_id",
         "checkins[1].client_id"),
        ({"checkins": [{**ok, "client_id": "x" * 101}]}, "invalid_client_id",
         "checkins[0].client_id"),
        ({"checkins": [ok, ok]}, "duplicate_client_id", "checkins[1].client_id"),
        ({"checkins": [{**ok, "badge": " "}]}, "invalid_badge", "checkins[0].badge"),
        ({"checkins": [{**ok, "badge": "a\x00"}]}, "invalid_badge", "checkins[0].badge"),
        ({"checkins": [{**ok, "read_at": "yesterday"}]}, "invalid_read_at",
         "checkins[0].read_at"),
        ({"checkins": [{**ok, "read_at": "2026-05-04T18:30:00"}]}, "invalid_read_at",
         "checkins[0].read_at"),
        ({"checkins": [{k: v for k, v in ok.items() if k != "read_at"}]}, "invalid_read_at",
         "checkins[0].read_at"),
        ({"checkins": [{**ok, "client_id": str(i)} for i in range(501)]},
         "too_many_checkins", "checkins"),
    ]
    for body, code, field in cases:
        with pytest.raises(EventnetError) as error:
            parse_door_reads(body)
        assert (error.value.status, error.value.code, error.value.field) == (400, code, field)
        if field:
            assert field in error.value.message


def test_the_roster_holds_names_and_badges_only(make_event, make_attendee):
    event = make_event()
    ann = make_attendee(event, "Ann", company="Acme")
    bob = make_attendee(event, "Bob")
    make_attendee(make_event(), "Stranger")
    old = bob.badge.token
    new = reissue_badge(bob.id).token
    check_in(ann.id)
    roster = door_roster(event.id)
    assert [(e.name, e.badges, e.checked_in_at is not None) for e in roster.attendees] == [
        ("Ann", [ann.badge.token], True), ("Bob", [new], False)]
    assert roster.revoked == [old]


def test_a_walk_in_with_an_email_gets_the_registration_mail(make_event, make_organizer,
                                                              smtp):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    walk, result = register_onsite(event, "Walk In", "walk@example.org",
                                   by_organizer_id=organizer.id)
    assert result.is_new
    queued = db.session.scalars(select(OutboundEmail)).all()
    assert [(m.kind, m.to_address, m.attendee_id) for m in queued] == [
        ("confirmation", "walk@example.org", walk.id)]
    [mail] = smtp.to("walk@example.org")
    assert "/m/" in mail.get_body(("plain",)).get_content()
    # no email, no mail
    register_onsite(event, "No Mail")
    assert _count(OutboundEmail) == 1


def test_a_refused_walk_in_gets_no_mail(make_event, make_attendee):
    event = make_event()
    make_attendee(event, email="taken@example.org")
    with pytest.raises(Conflict):
        register_onsite(event, "Again", "taken@example.org")
    with pytest.raises(NotFound):
        check_in(10_000)
    assert _count(OutboundEmail) == 0


def test_the_door_refuses_an_address_and_a_full_event_as_registration_does(make_event):
    """Door and form share registration's checks (``attendees.registration_of``,
    ``check_capacity``): the same address in any case is one registration, and a full
    event is refused with the same code and message."""
    event = make_event(capacity=2)
    first = register(event.id, Profile(name="Ada", email="ada@example.org"))
    # the form: no second attendee, its owner is mailed a link instead; the door: refused
    again = register(event.id, Profile(name="Ada", email=" ADA@Example.org"))
    assert (again.attendee_id, again.is_new) == (first.attendee_id, False)
    with pytest.raises(Conflict) as at_door:
        register_onsite(event, "Ada", " ADA@Example.org")
    assert at_door.value.code == "already_registered" and at_door.value.field == "email"
    assert at_door.value.message == "ada@example.org is already registered: find them by " \
        "name instead."
    register_onsite(event, "Bob")  # no email: the second and last place
    with pytest.raises(Conflict) as on_form:
        register(event.id, Profile(name="Cy", email="cy@example.org"))
    with pytest.raises(Conflict) as at_door:
        register_onsite(event, "Cy", "cy@example.org")
    refusals = {(e.value.code, e.value.message) for e in (on_form, at_door)}
    assert refusals == {("event_full", "Sorry, this event is full.")}
    assert _count(Attendee) == 2
