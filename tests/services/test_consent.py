"""Consent decides which mail goes out, when it is queued and again when it is sent.

Withdrawing a consent cancels the mail it covers, queued or not, as unsubscribing does
(issue 16, bug 1): ``consent.may_receive`` is the one rule, used by the follow-ups, the
introductions and the delivery worker.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.worker import deliver_due
from eventnet.models import Attendee, Introduction, OutboundEmail, utcnow
from eventnet.services import consent, followup_mail, intros
from eventnet.services.attendees import update_profile
from eventnet.services.errors import Conflict
from eventnet.services.profiles import Profile
from tests.followup_data import small_event


def _status(attendee_id: int, kind: str) -> str:
    db.session.rollback()
    return str(db.session.scalar(select(OutboundEmail.status).where(
        OutboundEmail.attendee_id == attendee_id, OutboundEmail.kind == kind)))


def _profile_of(attendee: Attendee, **changes: Any) -> Profile:
    profile = Profile(
        name=attendee.name, email=attendee.email, company=attendee.company,
        title=attendee.title, bio=attendee.bio, interests=list(attendee.interests),
        offers=list(attendee.offers), asks=list(attendee.asks), links=list(attendee.links),
        answers=dict(attendee.answers or {}),
        consent_share_contact=attendee.consent_share_contact,
        consent_introductions=attendee.consent_introductions,
        consent_followup=attendee.consent_followup, language=attendee.language)
    return replace(profile, **changes)


def test_unticking_followup_consent_cancels_the_queued_followup(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any) -> None:
    app.config["MAIL_SYNC"] = False
    ev = small_event(make_event, make_attendee)
    assert followup_mail.queue_followups(ev.event.id).queued == 4
    ada = db.session.get(Attendee, ev.ada.id)
    update_profile(ev.ada.id, _profile_of(ada, consent_followup=False))
    assert _status(ev.ada.id, "followup") == "cancelled"
    deliver_due()
    assert not smtp.to("ada@example.org")
    assert len(smtp.messages) == 3


def test_the_worker_rechecks_consent_before_sending(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any) -> None:
    """A withdrawal that did not cancel the queued mail (it raced with the queueing, or came
    from anywhere else) is still honoured: the worker asks ``may_receive`` again."""
    app.config["MAIL_SYNC"] = False
    ev = small_event(make_event, make_attendee)
    followup_mail.queue_followups(ev.event.id)
    with write_transaction() as session:
        session.get(Attendee, ev.bob.id).consent_followup = False
    stats = deliver_due()
    assert stats.cancelled == 1 and stats.sent == 3
    assert not smtp.to("bob@example.org")
    assert _status(ev.bob.id, "followup") == "cancelled"


def test_the_attendee_page_untick_cancels_the_queued_followup(
        app: Any, client: Any, auth: Any, make_event: Any, make_attendee: Any,
        smtp: Any) -> None:
    app.config["MAIL_SYNC"] = False
    ev = small_event(make_event, make_attendee)
    followup_mail.queue_followups(ev.event.id)
    auth.attendee(ev.cy)
    form = {"name": "Cy Young", "language": "en", "consent_introductions": "y"}
    response = client.post(f"/e/{ev.event.slug}/me", data=form)
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    assert db.session.get(Attendee, ev.cy.id).consent_followup is False
    assert _status(ev.cy.id, "followup") == "cancelled"
    deliver_due()
    assert not smtp.to("cy@example.org") and len(smtp.messages) == 3


def test_a_confirmed_registration_update_without_the_tick_cancels_the_followup(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any) -> None:
    """Registering again with the box left empty, then confirming from the email, withdraws
    the consent like the attendee's page does."""
    from eventnet.services.attendees import apply_signed_update, register

    ev = small_event(make_event, make_attendee)
    app.config["MAIL_SYNC"] = False
    followup_mail.queue_followups(ev.event.id)
    app.config["MAIL_SYNC"] = True
    register(ev.event.id, Profile(name="Dee Dee", email="dee@example.org"))
    [update] = smtp.to("dee@example.org")
    link = re.search(r"http\S*/update/(\S+)", update.get_body(("plain",)).get_content())
    assert link is not None
    apply_signed_update(link.group(1))
    assert db.session.get(Attendee, ev.dee.id).consent_followup is False
    assert _status(ev.dee.id, "followup") == "cancelled"
    deliver_due()
    assert len(smtp.to("dee@example.org")) == 1  # the update link only


def _requested(make_event: Any, make_attendee: Any) -> tuple[Any, Any, Any, int]:
    event = make_event(name="Intro Night")
    a = make_attendee(event, "Alice", "alice@example.org")
    b = make_attendee(event, "Bruno", "bruno@example.org")
    with write_transaction() as session:
        intro = Introduction(event_id=event.id, requester_id=a.id, recipient_id=b.id,
                             score=1.0, reasons=[])
        session.add(intro)
        session.flush()
        intro_id = int(intro.id)
    return event, a, b, intro_id


def test_withdrawing_introductions_consent_cancels_queued_intro_mail(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any) -> None:
    app.config["MAIL_SYNC"] = False
    _event, a, b, intro_id = _requested(make_event, make_attendee)
    intros.request_introduction(intro_id, a.id)
    assert _status(b.id, "intro_request") == "queued"
    update_profile(b.id, _profile_of(db.session.get(Attendee, b.id),
                                     consent_introductions=False))
    assert _status(b.id, "intro_request") == "cancelled"
    deliver_due()
    assert not smtp.messages


def test_no_reminder_after_introductions_consent_is_withdrawn(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any) -> None:
    _event, a, b, intro_id = _requested(make_event, make_attendee)
    intros.request_introduction(intro_id, a.id)
    assert len(smtp.to("bruno@example.org")) == 1
    update_profile(b.id, _profile_of(db.session.get(Attendee, b.id),
                                     consent_introductions=False))
    assert intros.maintain(utcnow() + timedelta(days=8)).reminded == 0
    assert len(smtp.to("bruno@example.org")) == 1


def test_a_withdrawn_consent_keeps_the_mail_the_attendee_asked_for(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any) -> None:
    """Sign-in links and confirmations follow no consent: they answer the attendee's request."""
    from eventnet.services.attendees import request_magic_link

    event = make_event()
    ann = make_attendee(event, "Ann", "ann@example.org", consent_followup=False,
                        consent_introductions=False, consent_share_contact=False)
    consent.unsubscribe(ann.id)
    request_magic_link(event.id, "ann@example.org")
    assert len(smtp.to("ann@example.org")) == 1


# --- the rule, in Python and in SQL --------------------------------------------------------

KINDS = (*consent.SUPPRESSIBLE_KINDS, "magic_link", "confirmation", "test")
STATES = list(itertools.product((True, False), repeat=3))  # followup, intros, unsubscribed


@pytest.mark.parametrize("kind", KINDS)
def test_may_receive_and_the_workers_sql_agree_on_every_consent_combination(
        app: Any, make_event: Any, make_attendee: Any, kind: str) -> None:
    event = make_event()
    people = {}
    for followup, introductions, unsubscribed in STATES:
        person = make_attendee(event, consent_followup=followup,
                               consent_introductions=introductions)
        people[(followup, introductions, unsubscribed)] = person.id
    erased = make_attendee(event).id
    with write_transaction() as session:
        for (_f, _i, unsubscribed), attendee_id in people.items():
            if unsubscribed:
                session.get(Attendee, attendee_id).unsubscribed_at = utcnow()
        session.get(Attendee, erased).erased_at = utcnow()
        for attendee_id in [*people.values(), erased]:
            session.add(OutboundEmail(kind=kind, to_address="x@example.org",
                                      from_address="events@eventnet.test", subject="s",
                                      attendee_id=attendee_id, event_id=event.id))
    people[("erased",)] = erased  # type: ignore[index]
    with write_transaction() as session:
        cancelled = consent.cancel_withheld(session)
    db.session.expire_all()
    for state, attendee_id in people.items():
        attendee = db.session.get(Attendee, attendee_id)
        expected = {
            "followup": state == ("erased",) or not state[0] or state[2],
            "intro_request": state == ("erased",) or not state[1] or state[2],
            "intro_reminder": state == ("erased",) or not state[1] or state[2],
            "intro_made": state == ("erased",) or not state[1] or state[2],
        }.get(kind, False)
        assert consent.may_receive(kind, attendee) is not expected, (kind, state)
        assert (_status(attendee_id, kind) == "cancelled") is expected, (kind, state)
    assert cancelled == sum(1 for s in people if _status(people[s], kind) == "cancelled")


def test_the_requesters_withdrawal_closes_the_request_and_cancels_its_mail(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any) -> None:
    """Double opt-in holds to the end: once the requester withdraws, the recipient cannot
    accept (and so get the requester's details), and the request still queued is cancelled."""
    app.config["MAIL_SYNC"] = False
    _event, a, b, intro_id = _requested(make_event, make_attendee)
    intros.request_introduction(intro_id, a.id)
    assert _status(b.id, "intro_request") == "queued"
    update_profile(a.id, _profile_of(db.session.get(Attendee, a.id),
                                     consent_introductions=False))
    assert _status(b.id, "intro_request") == "cancelled"
    assert db.session.get(Introduction, intro_id).status == "expired"
    assert intros.for_attendee(b.id)["received"] == []
    with pytest.raises(Conflict):
        intros.answer_introduction(intro_id, b.id, accept=True)
    deliver_due()
    assert not smtp.messages


def test_a_request_cannot_be_accepted_once_the_requester_may_not_take_part(
        make_event: Any, make_attendee: Any, smtp: Any) -> None:
    """Even when the withdrawal did not close the request (it raced with it, or the flag was
    changed by an import), accepting checks the requester again; so do reminders."""
    _event, a, b, intro_id = _requested(make_event, make_attendee)
    intros.request_introduction(intro_id, a.id)
    assert len(smtp.to("bruno@example.org")) == 1
    with write_transaction() as session:
        session.get(Attendee, a.id).consent_introductions = False
    assert not intros.is_answerable(db.session.get(Introduction, intro_id))
    with pytest.raises(Conflict) as refused:
        intros.answer_introduction(intro_id, b.id, accept=True)
    assert refused.value.code == "intro_unavailable"
    assert intros.maintain(utcnow() + timedelta(days=8)).reminded == 0
    assert len(smtp.to("bruno@example.org")) == 1 and not smtp.to("alice@example.org")
    db.session.rollback()
    assert db.session.get(Introduction, intro_id).status == "requested"


def test_an_unsubscribed_requester_can_ask_no_one_and_their_requests_close(
        make_event: Any, make_attendee: Any, smtp: Any) -> None:
    _event, a, b, intro_id = _requested(make_event, make_attendee)
    consent.unsubscribe(a.id)
    with pytest.raises(Conflict):
        intros.request_introduction(intro_id, a.id)
    consent.resubscribe(a.id)
    intros.request_introduction(intro_id, a.id)
    consent.unsubscribe(a.id)
    db.session.rollback()
    assert db.session.get(Introduction, intro_id).status == "expired"
    with pytest.raises(Conflict):
        intros.answer_introduction(intro_id, b.id, accept=True)
    assert not smtp.to("alice@example.org")
