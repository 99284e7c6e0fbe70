"""Transient SMTP errors retried with backoff, permanent ones recorded; unsubscribe cancels."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.worker import deliver_due, retry_failed
from eventnet.models import OutboundEmail, utcnow
from eventnet.services import consent, followup_mail
from tests.followup_data import small_event


def _rows() -> list[OutboundEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


def test_transient_then_permanent_errors(app: Any, make_event: Any, make_attendee: Any,
                                         smtp: Any) -> None:
    app.config["MAIL_SYNC"] = False
    ev = small_event(make_event, make_attendee)
    followup_mail.queue_followups(ev.event.id)
    smtp.reject_with = "451"
    stats = deliver_due()
    assert stats.retried == 4 and not smtp.messages
    rows = _rows()
    assert {r.status for r in rows} == {"queued"}
    assert all(r.attempts == 1 and r.next_attempt_at > utcnow() for r in rows)
    assert deliver_due().retried == 0  # not due yet: backoff
    with write_transaction() as session:
        session.execute(update(OutboundEmail).values(next_attempt_at=utcnow()))
    smtp.reject_with = "550"
    assert deliver_due().failed == 4
    assert {r.status for r in _rows()} == {"failed"}
    assert "550" in _rows()[0].last_error
    smtp.reject_with = None
    assert retry_failed(ev.event.id, kind="followup") == 4
    assert deliver_due().sent == 4 and len(smtp.messages) == 4


def test_unsubscribed_after_queueing_receives_nothing(app: Any, make_event: Any,
                                                      make_attendee: Any, smtp: Any) -> None:
    app.config["MAIL_SYNC"] = False
    ev = small_event(make_event, make_attendee)
    followup_mail.queue_followups(ev.event.id)
    consent.unsubscribe(ev.ada.id)
    deliver_due()
    assert "ada@example.org" not in {str(m["To"]) for m in smtp.messages}
    assert len(smtp.messages) == 3
    ada = next(r for r in _rows() if r.attendee_id == ev.ada.id)
    assert ada.status == "cancelled"
