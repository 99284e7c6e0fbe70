"""Registration, updates through the owner's inbox, capacity and closed events."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import Attendee, Person
from eventnet.services import attendees as service
from eventnet.services.badges import reissue_badge
from eventnet.services.errors import Conflict, Invalid
from eventnet.services.profiles import Profile
from eventnet.services.tokens import InvalidLink


def profile(**fields):
    fields.setdefault("name", "Ada Lovelace")
    fields.setdefault("email", "ada@example.org")
    return Profile(**fields)


def count(event):
    return db.session.scalar(select(func.count(Attendee.id)).where(Attendee.event_id == event.id))


def test_new_registration_creates_attendee_badge_and_sends_magic_link(make_event, smtp):
    event = make_event(name="Paris Python")
    result = service.register(event.id, profile(interests=["Python", "Data"]))
    assert result.is_new
    attendee = db.session.get(Attendee, result.attendee_id)
    assert attendee.badge is not None and len(attendee.badge.token) >= 22
    assert attendee.interests == ["Python", "Data"]
    [mail] = smtp.to("ada@example.org")
    assert "Paris Python" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    link = next(line for line in body.splitlines() if "/m/" in line).strip()
    found, _next = service.attendee_from_magic_token(link.rsplit("/m/", 1)[1])
    assert found.id == attendee.id


def test_same_email_again_does_not_duplicate_and_updates_only_after_confirmation(
        make_event, smtp):
    event = make_event()
    first = service.register(event.id, profile(company="Analytical Engines"))
    smtp.clear()
    second = service.register(event.id, profile(email="ADA@example.org", company="Babbage & Co"))
    assert second.attendee_id == first.attendee_id and not second.is_new
    assert count(event) == 1
    attendee = db.session.get(Attendee, first.attendee_id)
    assert attendee.company == "Analytical Engines"  # not before the owner confirms
    [mail] = smtp.to("ada@example.org")
    link = next(line for line in mail.get_body(("plain",)).get_content().splitlines()
                if "/update/" in line).strip()
    service.apply_signed_update(link.rsplit("/update/", 1)[1])
    db.session.expire_all()
    assert db.session.get(Attendee, first.attendee_id).company == "Babbage & Co"


def test_tampered_update_link_changes_nothing(make_event, smtp):
    event = make_event()
    service.register(event.id, profile())
    service.register(event.id, profile(company="Evil Corp"))
    mail = smtp.to("ada@example.org")[-1]
    link = next(line for line in mail.get_body(("plain",)).get_content().splitlines()
                if "/update/" in line).strip()
    with pytest.raises(InvalidLink):
        service.apply_signed_update(link.rsplit("/update/", 1)[1][:-3] + "xyz")
    assert db.session.scalar(select(Attendee.company)) == ""


def test_capacity_and_closed_registration(make_event):
    event = make_event(capacity=1)
    service.register(event.id, profile())
    with pytest.raises(Conflict) as full:
        service.register(event.id, profile(name="Grace", email="grace@example.org"))
    assert full.value.code == "event_full"
    closed = make_event(is_registration_open=False)
    with pytest.raises(Conflict) as exc:
        service.register(closed.id, profile())
    assert exc.value.code == "registration_closed"
    assert count(closed) == 0


@pytest.mark.parametrize("fields, field", [
    ({"name": "  "}, "name"),
    ({"email": "not-an-email"}, "email"),
    ({"links": ["javascript:alert(1)"]}, "links"),
    ({"interests": ["x" * 200]}, "interests"),
])
def test_invalid_profiles_are_refused_and_nothing_is_stored(make_event, fields, field):
    event = make_event()
    with pytest.raises(Invalid) as exc:
        service.register(event.id, profile(**fields))
    assert exc.value.field == field
    assert count(event) == 0


def test_required_custom_question(make_event):
    event = make_event(questions=[{"key": "diet", "label": "Diet", "kind": "choice",
                                   "required": True, "choices": ["none", "vegan"]}])
    with pytest.raises(Invalid) as exc:
        service.register(event.id, profile())
    assert exc.value.field == "q_diet"
    service.register(event.id, profile(answers={"diet": "vegan"}))
    assert db.session.scalar(select(Attendee.answers)) == {"diet": "vegan"}


def test_person_links_the_same_human_across_events_of_a_community(make_event, make_organizer):
    organizer = make_organizer()
    first = make_event(organizer=organizer)
    second = make_event(organizer=organizer)
    a = service.register(first.id, profile())
    b = service.register(second.id, profile())
    person_ids = {db.session.get(Attendee, a.attendee_id).person_id,
                  db.session.get(Attendee, b.attendee_id).person_id}
    assert len(person_ids) == 1 and None not in person_ids
    assert db.session.scalar(select(func.count(Person.id))) == 1


def test_reissued_badge_revokes_the_old_one(make_event, make_attendee):
    event = make_event()
    attendee = make_attendee(event)
    old = attendee.badge.token
    new = reissue_badge(attendee.id)
    assert new.token != old
    assert service.get_by_badge(old).is_revoked
    assert not service.get_by_badge(new.token).is_revoked


def test_access_token_is_stored_hashed_and_resolves(make_event, make_attendee):
    attendee = make_attendee(make_event())
    token = service.access_token(attendee)
    assert token not in (attendee.access_token_hash, attendee.badge.token)
    assert service.attendee_for_access_token(token).id == attendee.id
    assert service.attendee_for_access_token(token + "x") is None
