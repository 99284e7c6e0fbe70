"""Withdrawing a consent stops what it covered, even in mail already queued for others.

Sharing contact details withdrawn: the follow-ups queued for the people one met are
rendered again without one's address, phone and links (same row, same dedupe key: each
recipient still gets exactly one follow-up), and the introduction emails queued for the
other side keep only the address. Introductions withdrawn: the introduction emails queued
for the other side are cancelled, and so are the suggestions in queued follow-ups. A
follow-up cancelled by a withdrawal comes back, once, when the consent is given again.
(``services.consent_change``.)
"""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import func, select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.worker import deliver_due
from eventnet.models import Attendee, Introduction, OutboundEmail
from eventnet.services import consent, followup_mail, intros
from eventnet.services.attendees import update_profile
from eventnet.services.errors import Conflict
from eventnet.services.profiles import Profile
from tests.followup_data import small_event

ADA_PHONE = "+33 6 12 34 56 78"
ADA_LINK = "https://ada.example/portfolio"
ADA_DETAILS = ("ada@example.org", ADA_PHONE, ADA_LINK)


def _profile_of(attendee: Attendee, **changes: Any) -> Profile:
    profile = Profile(
        name=attendee.name, email=attendee.email, company=attendee.company,
        title=attendee.title, bio=attendee.bio, interests=list(attendee.interests),
        offers=list(attendee.offers), asks=list(attendee.asks), links=list(attendee.links),
        phone=attendee.phone, answers=dict(attendee.answers or {}),
        consent_share_contact=attendee.consent_share_contact,
        consent_introductions=attendee.consent_introductions,
        consent_followup=attendee.consent_followup, language=attendee.language)
    return replace(profile, **changes)


def _change(attendee_id: int, **changes: Any) -> None:
    """The attendee changes their consents on their own page."""
    db.session.rollback()
    update_profile(attendee_id, _profile_of(db.session.get(Attendee, attendee_id), **changes))


def _stored(dedupe_key: str) -> OutboundEmail:
    db.session.rollback()
    db.session.expire_all()
    message = db.session.scalar(select(OutboundEmail).where(
        OutboundEmail.dedupe_key == dedupe_key))
    assert message is not None, dedupe_key
    return message


def _text(message: EmailMessage) -> str:
    """Every header and text part of a received message, decoded."""
    parts = [f"{k}: {v}" for k, v in message.items()]
    parts += [str(p.get_content()) for p in message.walk()
              if p.get_content_maintype() == "text"]
    return "\n".join(parts)


@pytest.fixture
def ev(app: Any, make_event: Any, make_attendee: Any) -> Any:
    """The small event, Ada (who shares and met Bob both ways) with a phone and a link, and
    the follow-ups queued, not delivered."""
    event = small_event(make_event, make_attendee)
    with write_transaction() as session:
        ada = session.get(Attendee, event.ada.id)
        ada.phone, ada.links = ADA_PHONE, [ADA_LINK]
    app.config["MAIL_SYNC"] = False
    assert followup_mail.queue_followups(event.event.id).queued == 4
    return event


def test_withdrawing_contact_sharing_rerenders_the_followups_queued_for_others(
        ev: Any, smtp: Any) -> None:
    key = followup_mail.dedupe_key(ev.event.id, ev.bob.id)
    before = _stored(key)
    before_id = before.id
    assert all(d in before.body_text and d in before.body_html for d in ADA_DETAILS)
    _change(ev.ada.id, consent_share_contact=False)
    # In the withdrawal's own transaction: nothing of hers is stored any more.
    after = _stored(key)
    assert (after.id, after.status, after.dedupe_key) == (before_id, "queued", key)
    for detail in ADA_DETAILS:
        assert detail not in after.body_text and detail not in after.body_html, detail
    assert "Ada Lovelace" in after.body_text  # she is still among the people Bob met
    assert "Dee Dee" in after.body_text  # and the rest of his follow-up is there
    deliver_due()
    [received] = smtp.to("bob@example.org")  # Bob still gets his one follow-up
    text = _text(received)
    assert "Ada Lovelace" in text
    for detail in ADA_DETAILS:
        assert detail not in text, detail
    assert len(smtp.messages) == 4  # everyone's, once


def test_a_failed_followup_is_rendered_again_before_an_organizer_retries_it(
        ev: Any, smtp: Any) -> None:
    from eventnet.mail.worker import retry_failed

    key = followup_mail.dedupe_key(ev.event.id, ev.bob.id)
    with write_transaction() as session:  # the server refused it (5xx) once
        message = session.get(OutboundEmail, _stored(key).id)
        message.status, message.message_id, message.attempts = "failed", "<f@eventnet>", 1
    _change(ev.ada.id, consent_share_contact=False)
    failed = _stored(key)
    assert failed.status == "failed"
    assert not any(d in failed.body_text for d in ADA_DETAILS)
    assert retry_failed(ev.event.id) == 1
    deliver_due()
    [received] = smtp.to("bob@example.org")
    assert not any(d in _text(received) for d in ADA_DETAILS)


def test_a_followup_that_cannot_be_rendered_again_is_withdrawn_not_sent(
        ev: Any, smtp: Any, monkeypatch: Any) -> None:
    """Never the old content: withdrawn (deleted), the next "Send follow-ups" queues it
    afresh."""
    key = followup_mail.dedupe_key(ev.event.id, ev.bob.id)
    real = followup_mail._render_storable

    def broken(event: Any, row: Any, *args: Any) -> Any:
        if row.id == ev.bob.id:
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return real(event, row, *args)

    monkeypatch.setattr(followup_mail, "_render_storable", broken)
    _change(ev.ada.id, consent_share_contact=False)
    db.session.rollback()
    assert db.session.scalar(select(OutboundEmail).where(
        OutboundEmail.dedupe_key == key)) is None
    monkeypatch.setattr(followup_mail, "_render_storable", real)
    assert followup_mail.queue_followups(ev.event.id).queued == 1
    deliver_due()
    [received] = smtp.to("bob@example.org")
    assert "Ada Lovelace" in _text(received)
    assert not any(d in _text(received) for d in ADA_DETAILS)


def test_other_changes_leave_the_queued_followups_alone(ev: Any) -> None:
    """Only a withdrawal (or a detail no longer shared) renders others' mail again."""
    key = followup_mail.dedupe_key(ev.event.id, ev.bob.id)
    before = _stored(key).body_text
    _change(ev.ada.id, company="Analytical Engines")
    assert _stored(key).body_text == before


def test_a_detail_removed_while_shared_leaves_the_queued_followups(ev: Any) -> None:
    key = followup_mail.dedupe_key(ev.event.id, ev.bob.id)
    _change(ev.ada.id, phone="", links=[])
    text = _stored(key).body_text
    assert ADA_PHONE not in text and ADA_LINK not in text
    assert "ada@example.org" in text  # still shared


def test_rendering_again_gives_the_follow_up_as_it_was_queued(ev: Any) -> None:
    """Rendering in place rebuilds each follow-up from its scans and the introductions it
    proposed: with nothing changed, the same text (the links are signed anew)."""
    import re

    def without_links(text: str) -> str:
        return re.sub(r"http://eventnet\.test/\S+", "<link>", text)

    keys = [followup_mail.dedupe_key(ev.event.id, a.id) for a in ev.everyone]
    before = {k: without_links(m.body_text) for k in keys
              if (m := db.session.scalar(select(OutboundEmail).where(
                  OutboundEmail.dedupe_key == k))) is not None}
    assert len(before) == 4
    with write_transaction() as session:
        ids = [_stored(k).id for k in before]
        done = followup_mail.rerender_followups(session, ids)
    assert sorted(done.rendered) == sorted(ids) and not done.withdrawn
    for key, text in before.items():
        assert without_links(_stored(key).body_text) == text, key


def test_withdrawing_at_an_earlier_event_rerenders_a_later_events_reconnect_list(
        app: Any, make_event: Any, make_attendee: Any, make_organizer: Any,
        smtp: Any) -> None:
    from datetime import timedelta

    from eventnet.models import utcnow
    from eventnet.services.scans import record_scan

    org = make_organizer()
    now = utcnow()
    first = make_event(organizer=org, name="Meetup 1", starts_at=now - timedelta(days=30))
    second = make_event(organizer=org, name="Meetup 2", starts_at=now - timedelta(days=1))
    ann = make_attendee(first, "Ann Arbor", "ann@example.org")
    ben = make_attendee(first, "Ben Bailey", "ben@example.org")
    record_scan(ann.id, ben.id)
    record_scan(ben.id, ann.id)
    ben2 = make_attendee(second, "Ben Bailey", "ben@example.org")
    cat2 = make_attendee(second, "Cat Crane", "cat@example.org")
    record_scan(ben2.id, cat2.id)
    app.config["MAIL_SYNC"] = False
    followup_mail.queue_followups(second.id)
    key = followup_mail.dedupe_key(second.id, ben2.id)
    assert "ann@example.org" in _stored(key).body_text  # Ann, to reconnect with
    _change(ann.id, consent_share_contact=False)
    text = _stored(key).body_text
    assert "Ann Arbor" in text and "ann@example.org" not in text
    deliver_due()
    [received] = smtp.to("ben@example.org")
    assert "ann@example.org" not in _text(received)


def _accepted(ev: Any) -> int:
    """An introduction of Dee to Ada, both said yes; its emails queued, not sent."""
    with write_transaction() as session:
        intro = session.scalar(select(Introduction).where(
            Introduction.requester_id == ev.dee.id, Introduction.recipient_id == ev.ada.id))
        if intro is None:
            intro = Introduction(event_id=ev.event.id, requester_id=ev.dee.id,
                                 recipient_id=ev.ada.id, score=1.0, reasons=[])
            session.add(intro)
            session.flush()
        intro_id = int(intro.id)
    intros.request_introduction(intro_id, ev.dee.id)
    intros.answer_introduction(intro_id, ev.ada.id, accept=True)
    return intro_id


def test_withdrawing_contact_sharing_leaves_only_the_address_in_a_queued_introduction(
        ev: Any, smtp: Any) -> None:
    intro_id = _accepted(ev)
    key = intros.made_key(intro_id, ev.dee.id)
    assert all(d in _stored(key).body_text for d in ADA_DETAILS)
    _change(ev.ada.id, consent_share_contact=False)
    made = _stored(key)
    assert made.status == "queued" and made.reply_to == "ada@example.org"
    assert "ada@example.org" in made.body_text  # the introduction passes the address
    assert ADA_PHONE not in made.body_text and ADA_LINK not in made.body_text
    assert ADA_PHONE not in made.body_html and ADA_LINK not in made.body_html
    deliver_due()
    [to_dee] = [m for m in smtp.to("dee@example.org") if "Ada" in str(m["Subject"])]
    assert ADA_PHONE not in _text(to_dee) and ADA_LINK not in _text(to_dee)


def test_withdrawing_introductions_cancels_the_queued_introduction_to_the_other_side(
        ev: Any, client: Any, auth: Any, smtp: Any) -> None:
    """Both said yes, but the email that would pass Ada's details to Dee has not gone:
    Ada withdrawing from introductions stops it, and Dee's page shows no address."""
    intro_id = _accepted(ev)
    _change(ev.ada.id, consent_introductions=False)
    assert _stored(intros.made_key(intro_id, ev.dee.id)).status == "cancelled"
    assert _stored(intros.made_key(intro_id, ev.ada.id)).status == "cancelled"  # hers
    deliver_due()
    assert smtp.to("dee@example.org")  # her follow-up
    assert not [m for m in smtp.to("dee@example.org") if "ada@example.org" in _text(m)]
    auth.attendee(ev.dee)
    page = client.get(f"/e/{ev.event.slug}/me").get_data(as_text=True)
    assert "Ada Lovelace" in page and "ada@example.org" not in page


def test_a_recipient_who_no_longer_takes_part_cannot_accept(ev: Any) -> None:
    with write_transaction() as session:
        intro = Introduction(event_id=ev.event.id, requester_id=ev.eve.id,
                             recipient_id=ev.ada.id, score=1.0, reasons=[])
        session.add(intro)
        session.flush()
        intro_id = int(intro.id)
    intros.request_introduction(intro_id, ev.eve.id)
    _change(ev.ada.id, consent_introductions=False)
    with pytest.raises(Conflict) as refused:
        intros.answer_introduction(intro_id, ev.ada.id, accept=True)
    assert refused.value.code == "intro_unavailable"


@pytest.mark.parametrize("how", ["withdraw", "unsubscribe"])
def test_a_person_who_may_no_longer_be_suggested_leaves_the_queued_followups(
        ev: Any, how: str) -> None:
    suggestions = db.session.execute(select(Introduction.requester_id).where(
        Introduction.recipient_id == ev.dee.id)).scalars().all()
    assert suggestions  # Dee is suggested to someone
    keys = [followup_mail.dedupe_key(ev.event.id, r) for r in suggestions]
    assert all("Dee Dee" in _stored(k).body_text for k in keys)
    if how == "withdraw":
        _change(ev.dee.id, consent_introductions=False)
    else:
        consent.unsubscribe(ev.dee.id)
    for key in keys:
        message = _stored(key)
        assert message.status == "queued" and "Dee Dee" not in message.body_text, key


# --- giving the follow-up consent again --------------------------------------------------


def _followups_of(attendee_id: int) -> list[OutboundEmail]:
    db.session.rollback()
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundEmail).where(
        OutboundEmail.attendee_id == attendee_id, OutboundEmail.kind == "followup")))


def test_ticking_the_followup_consent_again_requeues_the_cancelled_followup_once(
        app: Any, ev: Any, smtp: Any) -> None:
    _change(ev.dee.id, consent_followup=False)
    [cancelled] = _followups_of(ev.dee.id)
    assert cancelled.status == "cancelled"
    deliver_due()  # everyone else's goes out
    assert len(smtp.messages) == 3 and not smtp.to("dee@example.org")
    app.config["MAIL_SYNC"] = True  # delivered after the request, as on a server
    _change(ev.dee.id, consent_followup=True)
    [requeued] = _followups_of(ev.dee.id)
    assert (requeued.id, requeued.dedupe_key) == (cancelled.id, cancelled.dedupe_key)
    assert requeued.status == "sent"
    [received] = smtp.to("dee@example.org")
    assert "Bob" in _text(received)
    # Again and again: a follow-up that went never goes twice.
    _change(ev.dee.id, consent_followup=False)
    _change(ev.dee.id, consent_followup=True)
    deliver_due()
    assert len(smtp.to("dee@example.org")) == 1
    assert followup_mail.queue_followups(ev.event.id).queued == 0


def test_ticking_it_again_before_delivery_keeps_one_followup(ev: Any, smtp: Any) -> None:
    _change(ev.dee.id, consent_followup=False)
    _change(ev.dee.id, consent_followup=True)
    [message] = _followups_of(ev.dee.id)
    assert message.status == "queued"
    deliver_due()
    assert len(smtp.to("dee@example.org")) == 1 and len(smtp.messages) == 4


def test_resubscribing_requeues_the_followup_the_unsubscribe_cancelled(
        app: Any, ev: Any, smtp: Any) -> None:
    consent.unsubscribe(ev.cy.id)
    assert [m.status for m in _followups_of(ev.cy.id)] == ["cancelled"]
    deliver_due()
    app.config["MAIL_SYNC"] = True
    consent.resubscribe(ev.cy.id)
    assert [m.status for m in _followups_of(ev.cy.id)] == ["sent"]
    assert len(smtp.to("cy@example.org")) == 1


def test_a_followup_that_reached_a_mail_server_is_never_queued_again(ev: Any) -> None:
    """A cancelled follow-up with a Message-ID was handed to a server once (unconfirmed,
    then cancelled): it may have arrived, so giving the consent again does not resend it."""
    _change(ev.dee.id, consent_followup=False)
    with write_transaction() as session:
        [message] = _followups_of(ev.dee.id)
        session.get(OutboundEmail, message.id).message_id = "<once@eventnet>"
    _change(ev.dee.id, consent_followup=True)
    assert [m.status for m in _followups_of(ev.dee.id)] == ["cancelled"]


def test_giving_the_consent_for_the_first_time_queues_nothing_by_itself(
        app: Any, make_event: Any, make_attendee: Any) -> None:
    """Without a cancelled follow-up there is nothing to bring back: the organizer's next
    "Send follow-ups" queues whoever is due."""
    event = small_event(make_event, make_attendee)
    with write_transaction() as session:
        session.get(Attendee, event.dee.id).consent_followup = False
    app.config["MAIL_SYNC"] = False
    assert followup_mail.queue_followups(event.event.id).queued == 3
    _change(event.dee.id, consent_followup=True)
    assert _followups_of(event.dee.id) == []
    assert followup_mail.queue_followups(event.event.id).queued == 1
    assert db.session.scalar(select(func.count(OutboundEmail.id)).where(
        OutboundEmail.kind == "followup")) == 4
