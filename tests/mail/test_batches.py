"""Delivery in batches over several SMTP connections, one commit per batch."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, select, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.compose import Rendered
from eventnet.mail.outbox import queue_email
from eventnet.mail.transports import SMTPTransport, UnconfirmedError
from eventnet.mail.worker import MAX_ATTEMPTS, deliver_due, retry_failed
from eventnet.models import OutboundEmail, OutboundEmailBody, utcnow
from tests.conftest import SMTPSink, free_port


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs in the worker."""


class PickySink(SMTPSink):
    """Refuses some mailboxes at RCPT and some messages after their final dot."""

    is_full: bool = True

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                          address: str, rcpt_options: list[str]) -> str:
        if address.startswith("unknown"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        to = envelope.rcpt_tos[0]
        if to.startswith("full") and self.is_full:
            return "452 4.2.2 mailbox full"
        if to.startswith("refused"):
            return "554 5.7.1 refused after the data"
        return await super().handle_DATA(server, session, envelope)


def _serve(sink: SMTPSink, **smtp_parameters: Any) -> Controller:
    controller = Controller(sink, hostname=sink.host, port=sink.port, **smtp_parameters)
    controller.start()
    return controller


@pytest.fixture
def picky(app: Any, monkeypatch: Any) -> Iterator[PickySink]:
    sink = PickySink("127.0.0.1", free_port())
    controller = _serve(sink)
    monkeypatch.setitem(app.config, "SMTP_HOST", sink.host)
    monkeypatch.setitem(app.config, "SMTP_PORT", sink.port)
    yield sink
    controller.stop()


def _queue(*addresses: str) -> dict[str, int]:
    ids = {}
    with write_transaction():
        for address in addresses:
            message = queue_email(kind="test", to=address, from_address="Org <o@example.org>",
                                  rendered=Rendered(f"Hi {address}", f"Text for {address}\n",
                                                    f"<p>HTML for {address}</p>"))
            assert message is not None
            db.session.flush()
            ids[address] = message.id
    return ids


def _rows() -> dict[str, OutboundEmail]:
    db.session.expire_all()
    return {r.to_address: r for r in db.session.scalars(select(OutboundEmail))}


def _received(sink: SMTPSink) -> Counter[str]:
    return Counter(str(m["To"]) for m in sink.messages)


def test_a_batch_in_doubt_after_a_kill_is_sent_again_with_its_message_id(
        app: Any, smtp: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "SMTP_CONNECTIONS", 4)
    everyone = [f"p{i}@example.org" for i in range(10)]
    _queue(*everyone)
    batches: list[list[str]] = []
    send_batch = SMTPTransport.send_batch

    def dies_after_second_commit(self: Any, messages: Any, before_commit: Any = None) -> Any:
        def commit_then_die(ready: list[int]) -> None:
            before_commit(ready)
            batches.append([messages[i].recipients[0] for i in ready])
            if len(batches) == 2:
                raise Killed

        return send_batch(self, messages, commit_then_die)

    monkeypatch.setattr(SMTPTransport, "send_batch", dies_after_second_commit)
    with pytest.raises(Killed):
        deliver_due()
    first, in_doubt = batches
    assert len(first) == len(in_doubt) == 4
    # The second batch was committed as going out, but its dots never were: the server
    # dropped those transactions.
    assert _received(smtp) == Counter(first)
    rows = _rows()
    assert {rows[a].status for a in first} == {"sent"}  # recorded with the next commit
    assert {rows[a].status for a in in_doubt} == {"sending"}

    monkeypatch.setattr(SMTPTransport, "send_batch", send_batch)  # "restart" the worker
    with write_transaction() as session:  # the killed worker's claim lapses
        session.execute(update(OutboundEmail).where(OutboundEmail.claimed_until.is_not(None))
                        .values(claimed_until=utcnow() - timedelta(seconds=1)))
    assert deliver_due().sent == len(everyone) - 8
    received = _received(smtp)
    assert max(received.values()) == 1  # nobody got anything twice
    assert set(received) == set(everyone) - set(in_doubt)  # in doubt: not sent yet
    rows = _rows()
    assert {rows[a].status for a in in_doubt} == {"unconfirmed"}
    assert sum(r.status == "sent" for r in rows.values()) == len(everyone) - 4
    message_ids = {a: rows[a].message_id for a in in_doubt}
    assert all(message_ids.values())

    # Not before its wait (OUTBOX_RESEND_UNCONFIRMED_SECONDS) is over; then it goes out
    # again, without a person, with the Message-ID the first attempt had.
    assert deliver_due().sent == 0
    with write_transaction() as session:  # the wait is over
        session.execute(update(OutboundEmail).where(OutboundEmail.status == "unconfirmed")
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    assert deliver_due().sent == len(in_doubt)
    assert _received(smtp) == Counter(everyone)
    resent = {str(m["To"]): str(m["Message-ID"]) for m in smtp.messages
              if str(m["To"]) in in_doubt}
    assert resent == message_ids
    assert {r.status for r in _rows().values()} == {"sent"}


def test_failures_in_a_batch_leave_their_neighbours_alone(
        app: Any, picky: PickySink, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "SMTP_CONNECTIONS", 8)
    addresses = ["ok1@example.org", "unknown@example.org", "full@example.org",
                 "ok2@example.org", "refused@example.org", "ok3@example.org"]
    _queue(*addresses)
    stats = deliver_due()
    assert (stats.sent, stats.failed, stats.retried) == (3, 2, 1)
    assert _received(picky) == Counter(["ok1@example.org", "ok2@example.org",
                                        "ok3@example.org"])
    assert "HTML for ok2@example.org" in picky.to("ok2@example.org")[0].get_body(
        ("html",)).get_content()
    rows = _rows()
    assert rows["unknown@example.org"].status == "failed"
    assert "550" in rows["unknown@example.org"].last_error  # refused at RCPT
    assert rows["refused@example.org"].status == "failed"
    assert "554" in rows["refused@example.org"].last_error  # refused after the dot
    full = rows["full@example.org"]
    assert full.status == "queued" and full.attempts == 1 and "452" in full.last_error
    assert full.next_attempt_at > utcnow()
    assert all(rows[a].status == "sent" and rows[a].attempts == 1 and rows[a].message_id
               for a in ("ok1@example.org", "ok2@example.org", "ok3@example.org"))

    # The same connections carry on: the retry goes out once, and only it.
    picky.is_full = False
    with write_transaction() as session:
        session.execute(update(OutboundEmail).values(next_attempt_at=utcnow()))
    assert deliver_due().sent == 1
    assert _received(picky)["full@example.org"] == 1
    assert sum(_received(picky).values()) == 4


def test_connections_closed_by_the_server_between_batches_are_reopened(
        app: Any, monkeypatch: Any) -> None:
    sink = SMTPSink("127.0.0.1", free_port())
    controller = _serve(sink, timeout=0.3)  # the server drops idle clients after 0.3 s
    try:
        transport = SMTPTransport(sink.host, sink.port, connections=3)
        _queue("a@example.org", "b@example.org", "c@example.org")
        assert deliver_due(transport=transport).sent == 3
        time.sleep(0.8)
        _queue("d@example.org", "e@example.org")
        stats = deliver_due(transport=transport)
        assert (stats.sent, stats.retried) == (2, 0)
        transport.close()
        assert sorted(_received(sink)) == [f"{c}@example.org" for c in "abcde"]
    finally:
        controller.stop()


class _Unanswered:
    """A transport whose server takes every final dot and never answers."""

    batch_size = 4

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send_batch(self, messages: Any, before_commit: Any = None) -> list[Any]:
        if before_commit is not None:
            before_commit(list(range(len(messages))))
        self.sent.extend(messages)
        return [UnconfirmedError("no answer after the message was sent") for _ in messages]

    def close(self) -> None:
        pass


def test_a_message_never_answered_is_sent_again_after_the_wait(app: Any, smtp: Any) -> None:
    _queue("a@example.org", "b@example.org")
    unanswered = _Unanswered()
    assert deliver_due(transport=unanswered).unconfirmed == 2
    assert deliver_due().sent == 0  # the wait is not over
    with write_transaction() as session:
        session.execute(update(OutboundEmail)
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    assert deliver_due().sent == 2
    assert {str(m["Message-ID"]) for m in smtp.messages} == {
        m.message_id for m in unanswered.sent}
    assert {r.status for r in _rows().values()} == {"sent"}


def test_a_message_whose_body_went_is_cancelled_not_sent_empty(app: Any, smtp: Any) -> None:
    ids = _queue("a@example.org")
    with write_transaction() as session:  # an erasure took its content while it waited
        session.execute(delete(OutboundEmailBody)
                        .where(OutboundEmailBody.email_id == ids["a@example.org"]))
    stats = deliver_due()
    assert stats.sent == 0 and stats.cancelled == 1 and not smtp.messages
    assert _rows()["a@example.org"].status == "cancelled"


def test_retry_failures_also_queues_messages_unconfirmed_after_every_attempt(
        app: Any, smtp: Any) -> None:
    ids = _queue("a@example.org")
    with write_transaction() as session:
        session.execute(update(OutboundEmail).where(OutboundEmail.id == ids["a@example.org"])
                        .values(status="unconfirmed", attempts=MAX_ATTEMPTS,
                                next_attempt_at=utcnow() - timedelta(days=1)))
    assert deliver_due().sent == 0  # given up on: not sent again by itself
    assert retry_failed() == 1  # the organizer's "Retry failures"
    assert deliver_due().sent == 1 and _rows()["a@example.org"].status == "sent"
