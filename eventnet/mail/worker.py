"""The delivery worker: claims due messages from the outbox and sends them.

At most once, and exactly once when nothing goes wrong between the last byte and the
server's answer:

- A worker *claims* a batch of queued messages (``claimed_until`` in the future; the status
  stays ``queued``) and keeps extending the claim while it works through them. A killed
  worker's claim lapses and another worker sends those messages: nothing of them reached
  the server yet.
- Right before the irreversible step (the final ``.`` of the SMTP DATA, the rename of the
  ``.eml`` file) the message is committed as ``sending``; after the server's answer it is
  committed as ``sent``. A killed worker leaves at most one message ``sending``; when its
  claim lapses it becomes ``unconfirmed`` (it was handed over and probably delivered) and
  is never sent again automatically.

Errors the transport reports are known and safe: transient ones are retried with
exponential backoff, permanent ones recorded. Messages of kinds that follow the
recipient's consent are cancelled if the recipient unsubscribed or was erased meanwhile.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from datetime import timedelta
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any

from flask import Flask, current_app
from sqlalchemy import or_, select, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.transports import (
    PermanentError,
    TransientError,
    Transport,
    UnconfirmedError,
    make_transport,
)
from eventnet.models import Attendee, OutboundEmail, utcnow
from eventnet.models.outbox import CANCELLED, FAILED, QUEUED, SENDING, SENT, UNCONFIRMED

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
#: default claim; each message sent extends the claim of the rest of the batch
CLAIM_SECONDS = 120
UNKNOWN_STATE = ("delivery not confirmed: the worker stopped after handing the message "
                 "to the server; it was probably delivered and is not sent again")
#: kinds that follow the recipient's consent: never sent after an unsubscribe or erasure
SUPPRESSIBLE_KINDS = ("followup", "intro_request", "intro_reminder", "intro_made")


@dataclass
class DeliveryStats:
    """What one worker pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    unconfirmed: int = 0


def build_message(row: Any) -> Message:
    """The MIME message for an outbox row: text with an HTML alternative.

    Built with the ``compat32`` MIME classes: the same wire format as ``EmailMessage`` for
    these simple messages, several times faster to build and flatten (it matters at
    thousands of follow-ups).
    """
    text = MIMEText(row.body_text, "plain", "utf-8")
    message: Message
    if row.body_html:
        message = MIMEMultipart("alternative")
        message.attach(text)
        message.attach(MIMEText(row.body_html, "html", "utf-8"))
    else:
        message = text
    message["Subject"] = Header(row.subject, "utf-8").encode() if not row.subject.isascii() \
        else row.subject
    message["From"] = _address(row.from_address)
    message["To"] = _address(row.to_address)
    if row.reply_to:
        message["Reply-To"] = _address(row.reply_to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = row.message_id or make_msgid(domain="eventnet")
    for name, value in (row.headers or {}).items():
        message[name] = value
    return message


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address


def _claim_seconds() -> int:
    return int(current_app.config.get("OUTBOX_CLAIM_SECONDS") or CLAIM_SECONDS)


def _claim(limit: int, ids: list[int] | None) -> list[int]:
    now = utcnow()
    until = now + timedelta(seconds=_claim_seconds())
    with write_transaction() as session:
        # A killed worker's message in flight may have gone out: never send it twice.
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.status == SENDING, OutboundEmail.claimed_until < now)
            .values(status=UNCONFIRMED, last_error=UNKNOWN_STATE, claimed_until=None)
        )
        query = (
            select(OutboundEmail.id)
            .where(OutboundEmail.status == QUEUED, OutboundEmail.next_attempt_at <= now,
                   or_(OutboundEmail.claimed_until.is_(None),
                       OutboundEmail.claimed_until < now))
            .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
            .limit(limit)
        )
        if ids is not None:
            query = query.where(OutboundEmail.id.in_(ids))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        claimed = list(session.scalars(query))
        if not claimed:
            return []
        gone = select(Attendee.id).where(
            or_(Attendee.unsubscribed_at.is_not(None), Attendee.erased_at.is_not(None)))
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id.in_(claimed), OutboundEmail.kind.in_(SUPPRESSIBLE_KINDS),
                   OutboundEmail.attendee_id.in_(gone))
            .values(status=CANCELLED, last_error="the recipient unsubscribed or was erased")
        )
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id.in_(claimed), OutboundEmail.status == QUEUED)
            .values(claimed_until=until)
        )
        return list(session.scalars(
            select(OutboundEmail.id).where(OutboundEmail.id.in_(claimed),
                                           OutboundEmail.status == QUEUED)
            .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)))


def _record(message_id: int, error: Exception | None, message_header: str,
            stats: DeliveryStats) -> None:
    with write_transaction() as session:
        row = session.get(OutboundEmail, message_id)
        assert row is not None
        row.attempts += 1
        row.claimed_until = None
        row.message_id = message_header
        if error is None:
            row.status, row.sent_at, row.last_error = SENT, utcnow(), ""
            stats.sent += 1
        elif isinstance(error, UnconfirmedError):
            row.status, row.last_error = UNCONFIRMED, str(error)
            stats.unconfirmed += 1
        elif isinstance(error, TransientError) and row.attempts < MAX_ATTEMPTS:
            row.status, row.last_error = QUEUED, str(error)
            row.next_attempt_at = utcnow() + timedelta(seconds=30 * 2 ** (row.attempts - 1))
            stats.retried += 1
        else:
            row.status, row.last_error = FAILED, str(error)
            stats.failed += 1
            log.warning("mail %s to %s failed: %s", row.id, row.to_address, error)


_MESSAGE_COLUMNS = ("id", "subject", "from_address", "to_address", "reply_to", "message_id",
                    "headers", "body_text", "body_html")
_NO_SYNC = {"synchronize_session": False}
#: how often (in messages) a worker extends its claim on the rest of its batch
EXTEND_EVERY = 25


def _send_batch(transport: Transport, claimed: list[int], stats: DeliveryStats) -> None:
    """Send a claimed batch with one commit per message.

    The commit right before a message's final dot marks it ``sending`` and the previous
    one ``sent``; a worker killed in between leaves only that one message unconfirmed.
    """
    # Plain column rows, not ORM objects: nothing to expire or synchronize on each commit.
    rows = {row.id: row for row in db.session.execute(
        select(*[getattr(OutboundEmail, name) for name in _MESSAGE_COLUMNS])
        .where(OutboundEmail.id.in_(claimed), OutboundEmail.status == QUEUED,
               OutboundEmail.claimed_until.is_not(None)))}
    db.session.rollback()  # end the read snapshot before the first write
    delivered: list[int] = []

    def mark_sent(session: Any) -> None:
        if delivered:
            session.execute(
                update(OutboundEmail).where(OutboundEmail.id.in_(delivered))
                .values(status=SENT, sent_at=utcnow(), last_error="", claimed_until=None,
                        attempts=OutboundEmail.attempts + 1)
                .execution_options(**_NO_SYNC))
            stats.sent += len(delivered)
            delivered.clear()

    for position, message_id in enumerate(claimed):
        row = rows.get(message_id)
        if row is None:
            continue
        message = build_message(row)
        header = str(message["Message-ID"])
        rest = claimed[position + 1:] if position % EXTEND_EVERY == 0 else []

        def going_out(message_id: int = message_id, header: str = header,
                      rest: list[int] = rest) -> None:
            with write_transaction() as session:
                mark_sent(session)
                session.execute(
                    update(OutboundEmail).where(OutboundEmail.id == message_id)
                    .values(status=SENDING, message_id=header).execution_options(**_NO_SYNC))
                if rest:
                    until = utcnow() + timedelta(seconds=_claim_seconds())
                    session.execute(
                        update(OutboundEmail)
                        .where(OutboundEmail.id.in_(rest), OutboundEmail.status == QUEUED)
                        .values(claimed_until=until).execution_options(**_NO_SYNC))

        try:
            transport.send(message, going_out)
        except (TransientError, PermanentError, UnconfirmedError) as exc:
            with write_transaction() as session:
                mark_sent(session)
            _record(message_id, exc, header, stats)
        else:
            delivered.append(message_id)
    if delivered:
        with write_transaction() as session:
            mark_sent(session)


def deliver_due(limit: int = 200, ids: list[int] | None = None,
                transport: Transport | None = None) -> DeliveryStats:
    """Send the messages that are due (optionally only ``ids``); returns the counts."""
    stats = DeliveryStats()
    own = transport is None
    transport = transport or make_transport(current_app.config, current_app.instance_path)
    try:
        while True:
            claimed = _claim(limit, ids)
            if not claimed:
                break
            _send_batch(transport, claimed, stats)
    finally:
        if own:
            transport.close()
    return stats


def retry_failed(event_id: int | None = None, kind: str | None = None) -> int:
    """Put failed messages back in the queue; returns how many."""
    with write_transaction() as session:
        query = update(OutboundEmail).where(OutboundEmail.status == FAILED)
        if event_id is not None:
            query = query.where(OutboundEmail.event_id == event_id)
        if kind is not None:
            query = query.where(OutboundEmail.kind == kind)
        result = session.execute(
            query.values(status=QUEUED, next_attempt_at=utcnow(), attempts=0,
                         claimed_until=None)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


CHUNK = 100


def dispatch(ids: list[int], *, background: bool = False) -> None:
    """Hand freshly committed messages to delivery.

    Celery when a broker is set; else now, in this process (in a thread when
    ``background``, so a page can show the progress). ``MAIL_SYNC=False`` leaves them to
    ``eventnet outbox work``.
    """
    if not ids:
        return
    if current_app.config.get("BROKER_URL"):
        from eventnet.mail.tasks import configure, deliver_batch_task

        configure(current_app.config)
        for start in range(0, len(ids), CHUNK):
            deliver_batch_task.delay(ids[start:start + CHUNK])
    elif current_app.config.get("MAIL_SYNC", True):
        if background:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            thread = threading.Thread(target=_deliver_in_thread, args=(app, list(ids)),
                                      name="eventnet-mail", daemon=True)
            thread.start()
            return
        try:
            deliver_due(ids=ids)
        except Exception:  # delivery must never break the request that queued the mail
            log.exception("immediate delivery failed; `eventnet outbox work` will retry")


def _deliver_in_thread(app: Flask, ids: list[int]) -> Any:
    with app.app_context():
        try:
            deliver_due(ids=ids)
        except Exception:
            log.exception("background delivery failed; `eventnet outbox work` will retry")
        finally:
            db.session.remove()


class DeliveryThread:
    """Delivers batches of message ids handed to it while the caller goes on working.

    One thread, one SMTP connection; used to deliver a send's first batches while the next
    ones are rendered. ``close(wait=True)`` waits until everything handed over was tried.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stats = DeliveryStats()
        self._queue: queue.Queue[list[int] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="eventnet-delivery",
                                        daemon=True)
        self._thread.start()

    def put(self, ids: list[int]) -> None:
        """Hand over committed message ids."""
        self._queue.put(list(ids))

    def close(self, wait: bool = False) -> None:
        """No more batches; optionally wait for the delivery to finish."""
        self._queue.put(None)
        if wait:
            self._thread.join()

    def _run(self) -> None:
        with self.app.app_context():
            transport = make_transport(self.app.config, self.app.instance_path)
            try:
                while (ids := self._queue.get()) is not None:
                    try:
                        done = deliver_due(ids=ids, transport=transport)
                    except Exception:
                        log.exception("background delivery failed; `eventnet outbox work` "
                                      "will retry")
                        continue
                    for name in ("sent", "retried", "failed", "cancelled", "unconfirmed"):
                        setattr(self.stats, name, getattr(self.stats, name) +
                                getattr(done, name))
            finally:
                transport.close()
                db.session.remove()
