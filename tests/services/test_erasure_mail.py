"""Erasure leaves no copy of the person in stored mail; sent mail's content is not kept."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.compose import Rendered
from eventnet.mail.outbox import queue_email
from eventnet.mail.retention import purge_expired
from eventnet.mail.worker import deliver_due, retry_failed
from eventnet.models import Introduction, OutboundEmail, OutboundEmailBody, utcnow
from eventnet.services import followup_mail, intros
from eventnet.services.erasure import erase_attendee
from eventnet.services.scans import record_scan

NAME = "Alice O'Quillfeather"  # an apostrophe: the HTML part writes it &#39;
TRACES = ("quillfeather", "alice.q@")


@pytest.fixture
def file_mail(app: Any, monkeypatch: Any) -> Path:
    """Mail goes to the file transport's ``.eml`` files, as on a fresh checkout."""
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "file")
    return Path(app.instance_path) / "outbox"


def _stored_mail() -> str:
    """Every stored column of every message and body, as one lower-cased text."""
    db.session.expire_all()
    rows = db.session.scalars(select(OutboundEmail)).all()
    bodies = db.session.scalars(select(OutboundEmailBody)).all()
    return "\n".join([f"{r.to_address} {r.reply_to} {r.subject} {r.last_error} {r.headers}"
                      for r in rows] + [f"{b.text} {b.html}" for b in bodies]).lower()


def _files_naming(directory: Path, *traces: str) -> list[str]:
    """The ``.eml`` files whose decoded headers or parts mention one of ``traces``."""
    found = []
    for path in directory.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        text = " ".join(f"{k}: {v}" for k, v in message.items())
        text += " ".join(str(part.get_content()) for part in message.walk()
                         if part.get_content_maintype() == "text")
        if any(t in text.lower() for t in traces):
            found.append(path.name)
    return found


def test_erasure_leaves_her_in_no_stored_message_and_no_file(
        app: Any, make_event: Any, make_attendee: Any, file_mail: Path,
        monkeypatch: Any) -> None:
    event = make_event(name="Erasure Night", followup_reply_to="team@example.org")
    alice = make_attendee(event, NAME, "alice.q@example.org", company="Quill & Co",
                          consent_share_contact=True)
    bob = make_attendee(event, "Bob Baker", "bob@example.org", consent_share_contact=True)
    dan = make_attendee(event, "Dan Dale", "dan@example.org")
    alice_id, bob_id, dan_id, event_id = alice.id, bob.id, dan.id, event.id
    record_scan(alice_id, bob_id)
    record_scan(bob_id, alice_id)
    record_scan(dan_id, bob_id)
    # Follow-ups, delivered: Bob's lists Alice with her address.
    followup_mail.queue_followups(event_id)
    deliver_due()
    # An introduction Dan asked for and Alice accepted: Dan's mail replies to her.
    intro_id = db.session.scalar(select(Introduction.id).where(
        Introduction.requester_id == dan_id, Introduction.recipient_id == alice_id))
    if intro_id is None:  # not proposed by the follow-ups: propose it here
        with write_transaction() as session:
            intro = Introduction(event_id=event_id, requester_id=dan_id,
                                 recipient_id=alice_id, score=1.0, reasons=[])
            session.add(intro)
            session.flush()
            intro_id = intro.id
    intros.request_introduction(intro_id, dan_id, "Hello")
    intros.answer_introduction(intro_id, alice_id, accept=True)
    # The organizer's test of Bob's follow-up, sent; and one more, not sent yet.
    followup_mail.send_test(event, bob_id, "organizer@example.org")
    with write_transaction():  # mail to her address, not linked to her registration
        to_her = queue_email(kind="test", to="Alice.Q@example.org", event_id=event_id,
                             from_address="o@example.org", rendered=Rendered("Hi", "Hi", ""))
        assert to_her is not None
    deliver_due()
    monkeypatch.setitem(app.config, "MAIL_SYNC", False)
    followup_mail.send_test(event, bob_id, "organizer@example.org")
    # A failure whose server text names her.
    with write_transaction():
        failed = queue_email(kind="test", to="bob@example.org", from_address="o@example.org",
                             event_id=event_id, rendered=Rendered("About Alice", "x", ""))
        assert failed is not None
        failed.status, failed.last_error = "failed", "550 <alice.q@example.org> refused"
        db.session.flush()
        failed_id = failed.id
    db.session.remove()
    dan_made = db.session.scalar(select(OutboundEmail.id).where(
        OutboundEmail.kind == "intro_made", OutboundEmail.attendee_id == dan_id))
    assert dan_made is not None
    stored = _stored_mail()
    assert all(t in stored for t in TRACES)  # she is in there before
    assert _files_naming(file_mail, *TRACES)

    result = erase_attendee(alice_id)

    stored = _stored_mail()
    assert not [t for t in TRACES if t in stored], stored
    assert not _files_naming(file_mail, *TRACES)
    assert result.messages >= 1 and result.redacted >= 4
    # The log rows of mail to others stay, sent, without body, Reply-To or her name.
    made = db.session.get(OutboundEmail, dan_made)
    assert made.status == "sent" and made.reply_to == "" and made.body is None
    bobs = db.session.scalar(select(OutboundEmail).where(
        OutboundEmail.dedupe_key == followup_mail.dedupe_key(event_id, bob_id)))
    assert bobs.status == "sent" and bobs.body is None
    # The failure that named her is given up on, and cannot be retried without a body.
    assert db.session.get(OutboundEmail, failed_id).status == "cancelled"
    assert retry_failed() == 0


def test_erasure_redacts_only_whole_names(app: Any, make_event: Any, make_attendee: Any,
                                          smtp: Any) -> None:
    """Another attendee whose name merely contains hers keeps her queued mail."""
    event = make_event()
    ann = make_attendee(event, "Ann", "ann@example.org")
    with write_transaction():
        kept = queue_email(kind="test", to="o@example.org", from_address="o@example.org",
                           event_id=event.id,
                           rendered=Rendered("Joanne and Annabel", "Joanne, Annabel", ""))
        gone = queue_email(kind="test", to="o@example.org", from_address="o@example.org",
                           event_id=event.id, rendered=Rendered("You met Ann", "Ann.", ""))
        assert kept is not None and gone is not None
    kept_id, gone_id = kept.id, gone.id
    erase_attendee(ann.id)
    db.session.expire_all()
    assert db.session.get(OutboundEmail, kept_id).body_text == "Joanne, Annabel"
    assert db.session.get(OutboundEmail, gone_id) is None


def test_sent_mail_content_is_purged_after_the_retention(
        app: Any, make_event: Any, make_attendee: Any, file_mail: Path, runner: Any,
        monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "MAIL_RETENTION_DAYS", 3)
    with write_transaction():
        sent = queue_email(kind="test", to="a@example.org", from_address="o@example.org",
                           rendered=Rendered("Sent", "Sent text", ""))
        waiting = queue_email(kind="test", to="b@example.org", from_address="o@example.org",
                              rendered=Rendered("Waiting", "Waiting text", ""))
        assert sent is not None and waiting is not None
        waiting.next_attempt_at = utcnow() + timedelta(days=30)  # a retry, far off
    sent_id, waiting_id = sent.id, waiting.id
    assert deliver_due(ids=[sent_id]).sent == 1
    db.session.expire_all()
    message_id = db.session.get(OutboundEmail, sent_id).message_id
    eml = file_mail / f"{message_id.strip('<>')}.eml"
    assert eml.exists()

    assert purge_expired().bodies == 0  # delivered just now: kept a while
    assert purge_expired(utcnow() + timedelta(days=2)).bodies == 0
    later = purge_expired(utcnow() + timedelta(days=4))
    assert later.bodies == 1 and later.files >= 1 and not eml.exists()
    db.session.expire_all()
    row = db.session.get(OutboundEmail, sent_id)
    assert row.status == "sent" and row.body is None and row.subject == "Sent"  # the log
    assert db.session.get(OutboundEmail, waiting_id).body_text == "Waiting text"  # not sent

    result = runner.invoke(args=["outbox", "purge"])
    assert result.exit_code == 0, result.output
    assert "0 message bodies and 0 files deleted." in result.output


def test_erasure_reaches_later_events_that_list_her_to_reconnect_with(
        app: Any, make_event: Any, make_attendee: Any, make_organizer: Any, smtp: Any) -> None:
    """Ben met her at the first meetup; his follow-up of the second lists her to reconnect
    with. Erased from the first, she is gone from that mail too; a namesake's event is
    left alone."""
    org = make_organizer()
    now = utcnow()
    first = make_event(organizer=org, name="Meetup 1", starts_at=now - timedelta(days=30))
    second = make_event(organizer=org, name="Meetup 2", starts_at=now - timedelta(days=1))
    third = make_event(organizer=org, name="Meetup 3", starts_at=now)
    alice = make_attendee(first, NAME, "alice.q@example.org")
    ben1 = make_attendee(first, "Ben", "ben@example.org")
    record_scan(alice.id, ben1.id)
    record_scan(ben1.id, alice.id)
    ben2 = make_attendee(second, "Ben", "ben@example.org")
    cat2 = make_attendee(second, "Cat", "cat@example.org")
    record_scan(ben2.id, cat2.id)
    namesake = make_attendee(third, NAME, "another.alice@example.org")
    with write_transaction():
        about_namesake = queue_email(
            kind="test", to="o@example.org", from_address="o@example.org", event_id=third.id,
            rendered=Rendered("Hi", f"You met {NAME} at Meetup 3", ""))
        assert about_namesake is not None
    kept_id, alice_id, second_id = about_namesake.id, alice.id, second.id
    assert namesake.id
    followup_mail.queue_followups(second_id)
    deliver_due()
    bens = followup_mail.dedupe_key(second_id, ben2.id)
    assert "quillfeather" in (db.session.scalar(select(OutboundEmail).where(
        OutboundEmail.dedupe_key == bens)).body_text or "").lower()

    erase_attendee(alice_id)

    db.session.expire_all()
    row = db.session.scalar(select(OutboundEmail).where(OutboundEmail.dedupe_key == bens))
    assert row.body is None and "quillfeather" not in row.subject.lower()
    assert NAME in db.session.get(OutboundEmail, kept_id).body_text


def test_mail_queued_after_the_search_of_the_bodies_is_found_too(
        app: Any, make_event: Any, make_attendee: Any) -> None:
    """The bodies are searched before the write lock; what was queued since is searched
    again inside it."""
    from eventnet.mail.redaction import find_candidates, scrub_person

    event = make_event()
    event_id = event.id
    alice = make_attendee(event, NAME, "alice.q@example.org")
    alice_id = alice.id

    def queue_naming_her(subject: str) -> int:
        with write_transaction():
            message = queue_email(kind="test", to="o@example.org", from_address="o@example.org",
                                  event_id=event_id,
                                  rendered=Rendered(subject, f"You met {NAME}.", ""))
            assert message is not None
            db.session.flush()
            return int(message.id)

    before = queue_naming_her("before")
    candidates = find_candidates(db.session, event_ids=[event_id], name=NAME,
                                 email="alice.q@example.org")
    assert before in candidates.ids
    after = queue_naming_her("after")
    with write_transaction() as session:
        scrubbed = scrub_person(session, attendee_id=alice_id, event_ids=[event_id], name=NAME,
                                email="alice.q@example.org", replacement="Deleted attendee",
                                candidates=candidates)
    assert scrubbed.withdrawn == 2
    db.session.expire_all()
    assert db.session.get(OutboundEmail, before) is None
    assert db.session.get(OutboundEmail, after) is None
