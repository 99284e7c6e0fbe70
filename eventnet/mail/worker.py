"""The delivery worker: claims due messages from the outbox and sends them.

At most once, and exactly once when nothing goes wrong between the last byte and the
server's answer:

- A worker *claims* a batch of queued messages (``claimed_until`` in the future; the status
  stays ``queued``) and keeps extending the claim while it works through them. A killed
  worker's claim lapses and another worker sends those messages: nothing of them reached
  the server yet.
- Messages go to the transport in batches (one per SMTP connection). Right before the
  irreversible step (the final ``.`` of each SMTP DATA, the rename of the ``.eml`` files)
  the batch is committed as ``sending``, in one commit; its outcomes (``sent``, to retry,
  ``failed``) are committed with the next batch's. A killed worker leaves at most one
  batch ``sending``; when its claim lapses those messages become ``unconfirmed`` (handed
  over, maybe delivered), as do messages whose server never answered after the final dot.
- An unconfirmed message is sent again ``OUTBOX_RESEND_UNCONFIRMED_SECONDS`` later (5
  minutes by default), with the same Message-ID, until ``MAX_ATTEMPTS`` attempts: for
  those few messages delivery is at-least-once (a mail client shows a duplicate with the
  same Message-ID once), never silently lost.

Errors the transport reports are known and safe: transient ones are retried with
exponential backoff, permanent ones recorded. Messages the recipient may no longer receive
(a consent withdrawn, an unsubscribe, an erasure since they were queued) are cancelled
when claimed, by the rule the services give the worker (``init_app``): this module
imports nothing from them. A message cancelled or rendered again after the worker read it
(a consent withdrawn meanwhile: the change releases the claim) is not sent: the commit
before the final dots marks ``sending`` only what is still queued under the worker's own
claim, and the transport drops the rest (``Withheld``); rendered again, it is claimed
again and goes with its new content.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import bindparam, or_, select, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.mime import Attachment, encode_content, is_bare_address, message_bytes
from eventnet.mail.transports import (
    Outcome,
    Outgoing,
    TransientError,
    Transport,
    UnconfirmedError,
    Withheld,
    make_transport,
)
from eventnet.models import OutboundEmail, OutboundEmailBody, utcnow
from eventnet.models.outbox import CANCELLED, FAILED, QUEUED, SENDING, SENT, UNCONFIRMED

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
#: default claim; each message sent extends the claim of the rest of the batch
CLAIM_SECONDS = 120
#: default wait before an unconfirmed message is sent again (same Message-ID)
RESEND_UNCONFIRMED_SECONDS = 300
UNKNOWN_STATE = ("delivery not confirmed: the worker stopped after handing the message "
                 "to the server; it is sent again with the same Message-ID")
NO_BODY = "not sent: its content was deleted (an erasure) before it went out"
#: where the app keeps the rule that cancels mail its recipient may no longer receive
CANCEL_WITHHELD = "eventnet.mail.cancel_withheld"


#: where the app keeps the function that gives a message its files (badge QR code, .ics)
ATTACHMENTS = "eventnet.mail.attachments"
#: where the app keeps the factory a delivery process builds its own app with
FACTORY = "eventnet.mail.factory"


def init_app(app: Flask, *, cancel_withheld: Callable[..., int],
             attachments: Callable[[str, int | None, int | None], list[Attachment]] | None
             = None, factory: Callable[[dict[str, Any]], Flask] | None = None) -> None:
    """Give the worker the services' consent rule, asked again right before sending.

    ``cancel_withheld(session, message_ids=ids)`` cancels, in the worker's transaction, the
    claimed messages that must not go out any more and returns how many.
    ``attachments(kind, event_id, attendee_id)`` gives the files a message carries, made
    when it is encoded (so from the badge and event as they are when it goes out).
    ``factory(config)`` builds the app a ``DeliveryProcess`` runs in (a module-level
    function: the spawned process is handed it by name); mail imports no app factory
    outside the Celery workers' entry point.
    """
    app.extensions[CANCEL_WITHHELD] = cancel_withheld
    if attachments is not None:
        app.extensions[ATTACHMENTS] = attachments
    if factory is not None:
        app.extensions[FACTORY] = factory


def _cancel_withheld() -> Callable[..., int]:
    rule = current_app.extensions.get(CANCEL_WITHHELD)
    if rule is None:  # never send without asking: an app not built by create_app stops here
        raise RuntimeError("the mail worker has no consent rule: build the app with "
                           "eventnet.create_app")
    return rule  # type: ignore[no-any-return]


@dataclass
class DeliveryStats:
    """What one worker pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    unconfirmed: int = 0

    def add(self, other: DeliveryStats) -> None:
        """Count ``other``'s pass in this one."""
        for name in ("sent", "retried", "failed", "cancelled", "unconfirmed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def outgoing(row: Any) -> Outgoing:
    """The message of an outbox row (columns of both tables): envelope and bytes.

    Encoded here rather than stored encoded when queued: it costs a tenth of a
    millisecond (:mod:`eventnet.mail.mime`), storing it would double what queueing
    writes, and the process that renders the mail is the busier one. A retry keeps the
    Message-ID of the first attempt.
    """
    content = encode_content(row.text or "", row.html or "", _attachments(row))
    message_id = row.message_id or make_msgid(domain="eventnet")
    data = message_bytes(
        subject=row.subject, from_address=row.from_address, to_address=row.to_address,
        reply_to=row.reply_to, message_id=message_id,
        headers=(row.headers or {}).items(), content=content)
    return Outgoing(sender=_envelope_address(row.from_address),
                    recipients=(_envelope_address(row.to_address),), data=data,
                    message_id=message_id)


def _attachments(row: Any) -> list[Attachment]:
    kind = getattr(row, "kind", "")
    # Without an app (encoding a row by hand) there are no services to ask.
    make = current_app.extensions.get(ATTACHMENTS) if kind and has_app_context() else None
    if make is None:
        return []
    return list(make(kind, getattr(row, "event_id", None), getattr(row, "attendee_id", None)))


def _envelope_address(value: str) -> str:
    return value if is_bare_address(value) else _parsed_address(value)


@lru_cache(maxsize=256)
def _parsed_address(value: str) -> str:
    return parseaddr(value)[1]


def load_message(message_id: int) -> Outgoing:
    """The message of one outbox row, as it would be sent now."""
    row = db.session.execute(_message_query().where(OutboundEmail.id == message_id)).one()
    return outgoing(row)


def _message_query() -> Any:
    return (select(*_MESSAGE_COLUMNS, OutboundEmailBody.text, OutboundEmailBody.html)
            .outerjoin(OutboundEmailBody, OutboundEmailBody.email_id == OutboundEmail.id))


def _claim_seconds() -> int:
    return int(current_app.config.get("OUTBOX_CLAIM_SECONDS") or CLAIM_SECONDS)


def _resend_after() -> timedelta:
    seconds = current_app.config.get("OUTBOX_RESEND_UNCONFIRMED_SECONDS")
    return timedelta(seconds=RESEND_UNCONFIRMED_SECONDS if seconds is None else int(seconds))


def _claim(limit: int, ids: list[int] | None,
           stats: DeliveryStats) -> tuple[list[int], datetime]:
    """Claim due messages until the time returned, which also tells this claim apart from
    any other: the worker sends only rows whose ``claimed_until`` is still its own."""
    now = utcnow()
    until = now + timedelta(seconds=_claim_seconds())
    with write_transaction() as session:
        # A killed worker's message in flight may have gone out: it waits before going again.
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.status == SENDING, OutboundEmail.claimed_until < now)
            .values(status=UNCONFIRMED, last_error=UNKNOWN_STATE, claimed_until=None,
                    attempts=OutboundEmail.attempts + 1,
                    next_attempt_at=now + _resend_after())
        )
        # Unconfirmed long enough: queued again, keeping its Message-ID (at-least-once).
        # A message whose body is gone (erased, past retention) can never go again.
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.status == UNCONFIRMED, OutboundEmail.next_attempt_at <= now,
                   OutboundEmail.attempts < MAX_ATTEMPTS,
                   OutboundEmail.id.in_(select(OutboundEmailBody.email_id)))
            .values(status=QUEUED)
            .execution_options(**_NO_SYNC)
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
            return [], until
        stats.cancelled += _cancel_withheld()(session, message_ids=claimed)
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id.in_(claimed), OutboundEmail.status == QUEUED)
            .values(claimed_until=until)
        )
        return list(session.scalars(
            select(OutboundEmail.id).where(OutboundEmail.id.in_(claimed),
                                           OutboundEmail.status == QUEUED)
            .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id))), until


_MESSAGE_COLUMNS = (OutboundEmail.id, OutboundEmail.subject, OutboundEmail.from_address,
                    OutboundEmail.to_address, OutboundEmail.reply_to,
                    OutboundEmail.message_id, OutboundEmail.headers, OutboundEmail.attempts,
                    OutboundEmail.kind, OutboundEmail.event_id, OutboundEmail.attendee_id)
#: how often (in messages) a worker extends its claim on the rest of its batch
EXTEND_EVERY = 25
_NO_SYNC = {"synchronize_session": False}


def _by_id(**values: Any) -> Any:
    """An UPDATE of one outbox row by ``b_id``, for executemany (plain Core, no ORM)."""
    return (update(OutboundEmail.__table__)
            .where(OutboundEmail.__table__.c.id == bindparam("b_id")).values(**values))


#: only a message still queued under this worker's claim goes: a consent withdrawn since it
#: was read cancelled it or rendered it again (and released the claim: ``b_held``)
_SENDING = _by_id(status=SENDING, message_id=bindparam("b_message_id")).where(
    OutboundEmail.__table__.c.status == QUEUED,
    OutboundEmail.__table__.c.claimed_until == bindparam("b_held"))
_OUTCOME = _by_id(status=bindparam("b_status"), attempts=bindparam("b_attempts"),
                  last_error=bindparam("b_error"), message_id=bindparam("b_message_id"),
                  next_attempt_at=bindparam("b_next"), sent_at=bindparam("b_sent_at"),
                  claimed_until=None)


def _write_outcomes(session: Any, done: list[tuple[Any, Outgoing, Outcome]],
                    stats: DeliveryStats) -> None:
    """Record what became of messages: sent, to retry, failed or unconfirmed."""
    now = utcnow()
    params = []
    for row, message, outcome in done:
        if isinstance(outcome, Withheld):  # its row was changed for it: nothing to record
            continue
        attempts = row.attempts + 1
        sent_at: datetime | None
        status, error, next_at, sent_at = SENT, "", now, now
        if outcome is None:
            stats.sent += 1
        elif isinstance(outcome, UnconfirmedError):
            status, error, sent_at = UNCONFIRMED, str(outcome), None
            next_at = now + _resend_after()
            stats.unconfirmed += 1
        elif isinstance(outcome, TransientError) and attempts < MAX_ATTEMPTS:
            status, error, sent_at = QUEUED, str(outcome), None
            next_at = now + timedelta(seconds=30 * 2 ** (attempts - 1))
            stats.retried += 1
        else:
            status, error, sent_at = FAILED, str(outcome), None
            stats.failed += 1
            log.warning("mail %s to %s failed: %s", row.id, row.to_address, outcome)
        params.append({"b_id": row.id, "b_status": status, "b_attempts": attempts,
                       "b_error": error, "b_message_id": message.message_id,
                       "b_next": next_at, "b_sent_at": sent_at})
    if params:
        session.connection().execute(_OUTCOME, params)


def _send_claimed(transport: Transport, claimed: list[int], until: datetime,
                  stats: DeliveryStats) -> None:
    """Send claimed messages a transport batch at a time, with one commit per batch.

    That commit, right before the batch's final dots, marks its messages ``sending`` and
    records what became of the previous batch: a worker killed in between leaves at most
    one batch unconfirmed, and a worker killed earlier delivered nothing of it. A message
    that is no longer queued under this claim by then (cancelled, or rendered again and
    released, since its content was read) does not go (``Withheld``).
    """
    # Plain column rows, not ORM objects: nothing to expire or synchronize on each commit.
    found = {row.id: row for row in db.session.execute(
        _message_query().where(OutboundEmail.id.in_(claimed), OutboundEmail.status == QUEUED,
                               OutboundEmail.claimed_until == until))}
    #: the claim each message is held under (extending it gives the rest a new one)
    held = dict.fromkeys(claimed, until)
    db.session.rollback()  # end the read snapshot before the first write
    rows = [found[i] for i in claimed if i in found]
    bodiless = [row.id for row in rows if row.text is None and row.html is None]
    if bodiless:  # its body went (an erasure) while it waited: there is nothing to send
        with write_transaction() as session:
            session.execute(update(OutboundEmail).where(OutboundEmail.id.in_(bodiless))
                            .values(status=CANCELLED, claimed_until=None, last_error=NO_BODY)
                            .execution_options(**_NO_SYNC))
        stats.cancelled += len(bodiless)
        rows = [row for row in rows if row.text is not None or row.html is not None]
    done: list[tuple[Any, Outgoing, Outcome]] = []  # outcomes not written yet
    since_extended = 0
    for start in range(0, len(rows), transport.batch_size):
        batch = rows[start:start + transport.batch_size]
        messages = [outgoing(row) for row in batch]
        since_extended += len(batch)
        rest: list[int] = []
        if since_extended >= EXTEND_EVERY:
            rest, since_extended = [row.id for row in rows[start + len(batch):]], 0

        def going_out(ready: list[int], batch: Sequence[Any] = batch,
                      messages: list[Outgoing] = messages,
                      rest: list[int] = rest) -> list[int]:
            if not ready and not rest:
                return []  # nothing becomes irreversible: the outcomes can wait
            withheld: list[int] = []
            with write_transaction() as session:
                _write_outcomes(session, done, stats)
                if ready:
                    session.connection().execute(_SENDING, [
                        {"b_id": batch[i].id, "b_message_id": messages[i].message_id,
                         "b_held": held[batch[i].id]} for i in ready])
                    going = set(session.scalars(select(OutboundEmail.id).where(
                        OutboundEmail.id.in_([batch[i].id for i in ready]),
                        OutboundEmail.status == SENDING)))
                    withheld = [i for i in ready if batch[i].id not in going]
                if rest:
                    until = utcnow() + timedelta(seconds=_claim_seconds())
                    for was in set(held[i] for i in rest):
                        session.execute(
                            update(OutboundEmail)
                            .where(OutboundEmail.id.in_([i for i in rest if held[i] == was]),
                                   OutboundEmail.status == QUEUED,
                                   OutboundEmail.claimed_until == was)
                            .values(claimed_until=until).execution_options(**_NO_SYNC))
                    held.update(dict.fromkeys(rest, until))
            done.clear()
            return withheld

        outcomes = transport.send_batch(messages, going_out)
        done.extend(zip(batch, messages, outcomes, strict=True))
    if done:
        with write_transaction() as session:
            _write_outcomes(session, done, stats)


def deliver_due(limit: int = 200, ids: list[int] | None = None,
                transport: Transport | None = None) -> DeliveryStats:
    """Send the messages that are due (optionally only ``ids``); returns the counts."""
    stats = DeliveryStats()
    own = transport is None
    transport = transport or make_transport(current_app.config, current_app.instance_path)
    try:
        while True:
            claimed, until = _claim(limit, ids, stats)
            if not claimed:
                break
            _send_claimed(transport, claimed, until, stats)
    finally:
        if own:
            transport.close()
    return stats


def retry_failed(event_id: int | None = None, kind: str | None = None) -> int:
    """Put failed messages back in the queue, and those still unconfirmed after their last
    attempt (with their Message-ID); returns how many."""
    with write_transaction() as session:
        # A message whose body is gone (erased, past retention) cannot be sent again.
        query = update(OutboundEmail).where(
            or_(OutboundEmail.status == FAILED,
                (OutboundEmail.status == UNCONFIRMED)
                & (OutboundEmail.attempts >= MAX_ATTEMPTS)),
            OutboundEmail.id.in_(select(OutboundEmailBody.email_id)))
        if event_id is not None:
            query = query.where(OutboundEmail.event_id == event_id)
        if kind is not None:
            query = query.where(OutboundEmail.kind == kind)
        result = session.execute(
            query.values(status=QUEUED, next_attempt_at=utcnow(), attempts=0,
                         claimed_until=None)
        )
    return int(result.rowcount or 0)


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
        try:
            for start in range(0, len(ids), CHUNK):
                deliver_batch_task.delay(ids[start:start + CHUNK])
        except Exception:  # the mail is queued in the database: the deliver_due beat sends it
            log.exception("the Celery broker cannot be reached; the periodic deliver_due "
                          "task will send the queued mail")
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


class DeliveryProcess:
    """Delivers batches handed to it from a process of its own while the caller goes on.

    For ``eventnet followups send`` without a broker or an ``outbox work`` service: while
    this process renders the next batches, the other one sends the committed ones on the
    second core (a thread would only fight the rendering for the GIL). It is spawned, not
    forked (the caller has threads), and builds its app from the caller's configuration.
    It ends when the caller dies (``exit_with_parent``), however the caller was stopped.
    The outbox claims keep the two processes from ever sending a message twice; what the
    delivery process could not send (it died) stays queued, and ``complete`` sends it::

        with DeliveryProcess(app) as delivery:
            result = queue_followups(event_id, on_batch=delivery.put)
            for done in delivery.finish(): ...  # or delivery.wait()
        stats = delivery.complete(result.message_ids)
    """

    def __init__(self, app: Flask) -> None:
        factory = app.extensions.get(FACTORY)
        if factory is None:
            raise RuntimeError("the mail worker has no app factory for a delivery process: "
                               "build the app with eventnet.create_app")
        context = multiprocessing.get_context("spawn")
        self.stats = DeliveryStats()
        self._ids: Any = context.Queue()
        self._done: Any = context.Queue()
        self._process = context.Process(
            target=_delivery_process, name="eventnet-delivery", daemon=True,
            args=(factory, _picklable(app.config), app.instance_path, self._ids, self._done,
                  os.getpid()))
        self._process.start()

    def put(self, ids: list[int]) -> None:
        """Hand over committed message ids."""
        self._ids.put(list(ids))

    def finish(self) -> Iterator[int]:
        """No more batches: yields the size of each batch as it is done, to the last one
        (or until the process died), and fills ``stats``."""
        self._ids.put(None)
        while True:
            try:
                kind, value = self._done.get(timeout=1.0)
            except queue.Empty:
                if self._process.is_alive():
                    continue
                log.error("the delivery process ended early (exit code %s)",
                          self._process.exitcode)
                return
            if kind == "batch":
                yield int(value)
            else:
                self.stats = DeliveryStats(**value)
                self._process.join()
                return

    def wait(self) -> None:
        """No more batches: wait until they are done (or the process died)."""
        for _done in self.finish():
            pass

    def complete(self, ids: list[int]) -> DeliveryStats:
        """Deliver from here whatever of ``ids`` is still queued; the counts of both."""
        for start in range(0, len(ids), 500):
            self.stats.add(deliver_due(ids=ids[start:start + 500]))
        return self.stats

    def stop(self) -> None:
        """End the process if it still runs (the caller failed or was interrupted)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()

    def __enter__(self) -> DeliveryProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _picklable(config: Any) -> dict[str, Any]:
    picklable = {}
    for key, value in config.items():
        try:
            pickle.dumps(value)
        except Exception:  # noqa: S112  (a callable or a handle: the child builds its own)
            continue
        picklable[key] = value
    return picklable


#: seconds between two looks of an idle delivery process at whether its parent still lives
PARENT_CHECK_SECONDS = 1.0
#: linux/prctl.h
_PR_SET_PDEATHSIG = 1


def exit_with_parent(parent_pid: int) -> None:
    """Have this process end when ``parent_pid`` (its parent) dies, killed or not.

    On Linux the kernel sends SIGTERM (prctl PR_SET_PDEATHSIG); elsewhere the delivery loop
    notices that its parent is gone (``_serve``). A parent already gone ends it now.
    """
    if sys.platform.startswith("linux"):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # no libc to ask: the loop's check remains
            log.warning("cannot ask the kernel to end the delivery process with its parent")
    if os.getppid() != parent_pid:  # died before the request took effect
        os._exit(0)


def _serve(ids: Any, done: Any, transport: Transport, parent_pid: int) -> DeliveryStats | None:
    """Deliver the batches handed over until the last one (None); the counts.

    None when the parent died first: nobody will hand over anything more, and what it
    handed over and this process did not send stays queued for the next worker.
    """
    totals = DeliveryStats()
    while True:
        try:
            batch = ids.get(timeout=PARENT_CHECK_SECONDS)
        except queue.Empty:
            if os.getppid() != parent_pid:
                log.error("the process that started delivery is gone; delivery stops")
                return None
            continue
        if batch is None:
            return totals
        try:
            stats = deliver_due(ids=batch, transport=transport)
        except Exception:
            log.exception("delivering a batch failed; it stays queued")
        else:
            totals.add(stats)
        done.put(("batch", len(batch)))


def _delivery_process(factory: Callable[[dict[str, Any]], Flask], config: dict[str, Any],
                      instance_path: str, ids: Any, done: Any, parent_pid: int) -> None:
    exit_with_parent(parent_pid)
    os.environ["EVENTNET_INSTANCE_PATH"] = instance_path
    app = factory(config)
    with app.app_context():
        transport = make_transport(app.config, app.instance_path)
        try:
            totals = _serve(ids, done, transport, parent_pid)
        finally:
            transport.close()
            db.session.remove()
    if totals is None:
        done.cancel_join_thread()  # no reader any more: exit without flushing to it
        return
    done.put(("done", dataclasses.asdict(totals)))
