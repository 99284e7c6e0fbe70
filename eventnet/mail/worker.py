"""The delivery worker: claims due messages from the outbox and sends them.

At most once: a message is marked ``sending`` (committed) before the SMTP conversation. A
worker killed mid-send leaves it ``sending``; when its claim lapses it is marked failed with
"delivery state unknown" instead of being sent again. Errors the transport reports are known
and safe: transient ones are retried with exponential backoff, permanent ones recorded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import select, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.transports import PermanentError, TransientError, Transport, make_transport
from eventnet.models import OutboundEmail, utcnow
from eventnet.models.outbox import FAILED, QUEUED, SENDING, SENT

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
CLAIM_SECONDS = 300
UNKNOWN_STATE = "delivery state unknown: a worker stopped while sending; retry by hand"


@dataclass
class DeliveryStats:
    """What one worker pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def build_message(row: OutboundEmail) -> EmailMessage:
    """The MIME message for an outbox row: text with an HTML alternative."""
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = row.from_address
    message["To"] = row.to_address
    if row.reply_to:
        message["Reply-To"] = row.reply_to
    message["Message-ID"] = row.message_id or make_msgid(domain="eventnet")
    for name, value in (row.headers or {}).items():
        message[name] = value
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    return message


def _claim(limit: int, ids: list[int] | None) -> list[int]:
    now = utcnow()
    with write_transaction() as session:
        # Claims of killed workers: the message may have gone out; never send it twice.
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.status == SENDING, OutboundEmail.claimed_until < now)
            .values(status=FAILED, last_error=UNKNOWN_STATE, claimed_until=None)
        )
        query = (
            select(OutboundEmail.id)
            .where(OutboundEmail.status == QUEUED, OutboundEmail.next_attempt_at <= now)
            .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
            .limit(limit)
        )
        if ids is not None:
            query = query.where(OutboundEmail.id.in_(ids))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        claimed = list(session.scalars(query))
        if claimed:
            session.execute(
                update(OutboundEmail)
                .where(OutboundEmail.id.in_(claimed))
                .values(status=SENDING, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
            )
    return claimed


def _send_one(transport: Transport, message_id: int, stats: DeliveryStats) -> None:
    row = db.session.get(OutboundEmail, message_id)
    if row is None or row.status != SENDING:
        return
    if not row.message_id:
        row.message_id = make_msgid(domain="eventnet")
    message = build_message(row)
    error: Exception | None = None
    try:
        transport.send(message)
    except (TransientError, PermanentError) as exc:
        error = exc
    with write_transaction() as session:
        row = session.get(OutboundEmail, message_id)
        assert row is not None
        row.attempts += 1
        row.claimed_until = None
        row.message_id = str(message["Message-ID"])
        if error is None:
            row.status, row.sent_at, row.last_error = SENT, utcnow(), ""
            stats.sent += 1
        elif isinstance(error, TransientError) and row.attempts < MAX_ATTEMPTS:
            row.status, row.last_error = QUEUED, str(error)
            row.next_attempt_at = utcnow() + timedelta(seconds=30 * 2 ** (row.attempts - 1))
            stats.retried += 1
        else:
            row.status, row.last_error = FAILED, str(error)
            stats.failed += 1
            log.warning("mail %s to %s failed: %s", row.id, row.to_address, error)


def deliver_due(limit: int = 200, ids: list[int] | None = None,
                transport: Transport | None = None) -> DeliveryStats:
    """Send the messages that are due (optionally only ``ids``); returns the counts."""
    stats = DeliveryStats()
    own = transport is None
    transport = transport or make_transport(current_app.config, current_app.instance_path)
    try:
        while True:
            claimed = _claim(limit, ids)
            for message_id in claimed:
                _send_one(transport, message_id, stats)
            if len(claimed) < limit or ids is not None:
                break
    finally:
        if own:
            transport.close()
    return stats


def retry_failed(event_id: int | None = None) -> int:
    """Put failed messages back in the queue; returns how many."""
    with write_transaction() as session:
        query = update(OutboundEmail).where(OutboundEmail.status == FAILED)
        if event_id is not None:
            query = query.where(OutboundEmail.event_id == event_id)
        result = session.execute(
            query.values(status=QUEUED, next_attempt_at=utcnow(), attempts=0)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def dispatch(ids: list[int]) -> None:
    """Hand freshly committed messages to delivery: Celery when a broker is set, else now."""
    if not ids:
        return
    if current_app.config.get("BROKER_URL"):
        from eventnet.mail.tasks import deliver_task

        for message_id in ids:
            deliver_task.delay(message_id)
    elif current_app.config.get("MAIL_SYNC", True):
        try:
            deliver_due(ids=ids)
        except Exception:  # delivery must never break the request that queued the mail
            log.exception("immediate delivery failed; `eventnet outbox work` will retry")

