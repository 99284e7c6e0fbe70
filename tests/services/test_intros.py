"""The double opt-in state machine: request, accept, decline, pending cap, reminder, expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Introduction, utcnow
from eventnet.services import intros
from eventnet.services.errors import Conflict, Invalid


def _propose(event: Any, requester: Any, recipient: Any) -> int:
    with write_transaction() as session:
        intro = Introduction(event_id=event.id, requester_id=requester.id,
                             recipient_id=recipient.id, score=1.0,
                             reasons=[{"code": "common_contacts", "params": {"names": "Zoe"}}])
        session.add(intro)
        session.flush()
        return int(intro.id)


@pytest.fixture
def pair(make_event: Any, make_attendee: Any) -> Any:
    event = make_event(name="Intro Night")
    a = make_attendee(event, "Alice", "alice@example.org", company="A Corp",
                      consent_share_contact=False)
    b = make_attendee(event, "Bruno", "bruno@example.org", language="fr", phone="+33 1")
    return event, a, b


def test_accept_sends_one_introduction_email_to_each(pair: Any, smtp: Any) -> None:
    event, a, b = pair
    intro_id = _propose(event, a, b)
    result = intros.request_introduction(intro_id, a.id, "Hello <b>Bruno</b>")
    assert result.is_new
    [request] = smtp.to("bruno@example.org")
    body = request.get_body(("plain",)).get_content()
    assert "Alice" in body and "Hello <b>Bruno</b>" in body and "Zoe" in body
    assert "/i/answer/" in body
    assert not smtp.to("alice@example.org")
    again = intros.request_introduction(intro_id, a.id, "twice")
    assert not again.is_new and len(smtp.to("bruno@example.org")) == 1
    intros.answer_introduction(intro_id, b.id, accept=True)
    to_a, to_b = smtp.to("alice@example.org"), smtp.to("bruno@example.org")
    assert len(to_a) == 1 and len(to_b) == 2
    a_body = to_a[0].get_body(("plain",)).get_content()
    assert "bruno@example.org" in a_body and "+33 1" in a_body  # Bruno shares details
    b_body = to_b[1].get_body(("plain",)).get_content()
    assert "alice@example.org" in b_body
    assert str(to_a[0]["Reply-To"]) == "bruno@example.org"
    intros.answer_introduction(intro_id, b.id, accept=True)  # idempotent
    assert len(smtp.messages) == 3


def test_decline_is_never_announced(pair: Any, smtp: Any) -> None:
    event, a, b = pair
    intro_id = _propose(event, a, b)
    intros.request_introduction(intro_id, a.id)
    intros.answer_introduction(intro_id, b.id, accept=False)
    assert not smtp.to("alice@example.org")
    assert db.session.get(Introduction, intro_id).status == "declined"
    view = intros.for_attendee(a.id)
    assert [i.id for i in view["requested"]] == [intro_id]  # looks pending to Alice
    assert not intros.request_introduction(intro_id, a.id).is_new
    with pytest.raises(Conflict):
        intros.answer_introduction(intro_id, b.id, accept=True)


def test_pending_cap(make_event: Any, make_attendee: Any, smtp: Any) -> None:
    event = make_event()
    a = make_attendee(event, "Alice", "alice@example.org")
    others = [make_attendee(event) for _ in range(intros.PENDING_CAP + 1)]
    ids = [_propose(event, a, o) for o in others]
    for intro_id in ids[:-1]:
        intros.request_introduction(intro_id, a.id)
    with pytest.raises(Conflict) as exc:
        intros.request_introduction(ids[-1], a.id)
    assert exc.value.code == "pending_cap"
    assert db.session.get(Introduction, ids[-1]).status == "proposed"
    intros.answer_introduction(ids[0], others[0].id, accept=False)
    intros.request_introduction(ids[-1], a.id)  # a slot freed up


def test_reminder_once_then_expiry(pair: Any, smtp: Any) -> None:
    event, a, b = pair
    intro_id = _propose(event, a, b)
    intros.request_introduction(intro_id, a.id)
    now = utcnow()
    assert intros.maintain(now).reminded == 0
    assert intros.maintain(now + timedelta(days=8)).reminded == 1
    assert intros.maintain(now + timedelta(days=9)).reminded == 0
    reminders = [m for m in smtp.to("bruno@example.org") if "Rappel" in str(m["Subject"])
                 or "Reminder" in str(m["Subject"])]
    assert len(reminders) == 1
    result = intros.maintain(now + timedelta(days=15))
    assert result.expired == 1
    assert db.session.get(Introduction, intro_id).status == "expired"
    with pytest.raises(Conflict) as exc:
        intros.answer_introduction(intro_id, b.id, accept=True)
    assert exc.value.code == "intro_expired"
    assert not smtp.to("alice@example.org")


def test_withdrawn_consent_and_unsubscribe_stop_requests(pair: Any, smtp: Any) -> None:
    event, a, b = pair
    intro_id = _propose(event, a, b)
    with write_transaction() as session:
        session.get(Attendee, b.id).consent_introductions = False
    with pytest.raises(Conflict):
        intros.request_introduction(intro_id, a.id)
    with write_transaction() as session:
        person = session.get(Attendee, b.id)
        person.consent_introductions, person.unsubscribed_at = True, utcnow()
    with pytest.raises(Conflict):
        intros.request_introduction(intro_id, a.id)
    assert not smtp.messages


def test_message_length_and_wrong_requester(pair: Any) -> None:
    event, a, b = pair
    intro_id = _propose(event, a, b)
    with pytest.raises(Invalid):
        intros.request_introduction(intro_id, a.id, "x" * 501)
    from eventnet.services.errors import NotFound

    with pytest.raises(NotFound):
        intros.request_introduction(intro_id, b.id)
    assert db.session.scalar(select(Introduction.status)) == "proposed"


def test_the_recipient_reads_the_reasons_from_their_side_in_their_language(pair: Any) -> None:
    from flask_babel import force_locale

    event, a, b = pair
    with write_transaction() as session:
        intro = Introduction(event_id=event.id, requester_id=a.id, recipient_id=b.id, score=1.0,
                             reasons=[
                                 {"code": "you_can_help", "params": {
                                     "name": "Bruno", "offer": "Relecture de code",
                                     "ask": "Code review"}},
                                 {"code": "same_conversation", "params": {
                                     "name": "Bruno", "contact": "Zoe"}},
                                 {"code": "other_field", "params": {
                                     "name": "Bruno", "field": "Investor"}}])
        session.add(intro)
    nb = "\u00a0"
    assert intros.reasons_for(intro, for_recipient=False) == [
        "Bruno is looking for “Code review”; you offer “Relecture de code”",
        "You and Bruno were talking with Zoe at about the same time",
        "Bruno works as Investor, unlike the people you met"]
    with force_locale("fr"):
        assert intros.reasons_for(intro, for_recipient=True) == [
            f"Vous cherchez «{nb}Code review{nb}»{nb}; Alice propose «{nb}Relecture de code{nb}»",
            "Vous parliez avec Zoe à peu près en même temps qu’Alice"]
