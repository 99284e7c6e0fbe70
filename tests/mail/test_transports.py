"""Mail transports: files for a fresh checkout, SMTP against a real loopback server."""

from __future__ import annotations

from email import message_from_bytes, policy
from types import SimpleNamespace

import pytest

from eventnet.mail.compose import render_email
from eventnet.mail.transports import (
    FileTransport,
    PermanentError,
    SMTPTransport,
    TransientError,
    send_one,
)
from eventnet.mail.worker import deliver_due, outgoing
from eventnet.models import OutboundEmail


def _fields(**fields):
    fields.setdefault("kind", "test")
    fields.setdefault("to_address", "ada@example.org")
    fields.setdefault("from_address", "Meetup <events@eventnet.test>")
    fields.setdefault("subject", "Hello ✓")
    fields.setdefault("body_text", "Plain body\n")
    fields.setdefault("body_html", "<p>HTML body</p>")
    fields.setdefault("headers", {})
    fields.setdefault("reply_to", "")
    fields.setdefault("message_id", "")
    return fields


def _row(**fields):
    return OutboundEmail(**_fields(**fields))


def _message(**fields):
    """The message the worker would send for an outbox row with these fields."""
    f = _fields(**fields)
    return outgoing(SimpleNamespace(**f, text=f["body_text"], html=f["body_html"],
                                    attempts=0))


def test_file_backend_writes_readable_eml(tmp_path):
    transport = FileTransport(tmp_path / "outbox")
    send_one(transport, _message())
    [path] = (tmp_path / "outbox").glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Hello ✓"
    assert message.get_body(("plain",)).get_content() == "Plain body\n"
    assert "HTML body" in message.get_body(("html",)).get_content()


def test_smtp_transport_sends_multipart(smtp):
    transport = SMTPTransport(smtp.host, smtp.port)
    send_one(transport, _message(reply_to="org@example.org"))
    transport.close()
    [message] = smtp.messages
    assert message["Reply-To"] == "org@example.org"
    assert message.get_content_type() == "multipart/alternative"


def test_smtp_errors_are_classified(smtp):
    transport = SMTPTransport(smtp.host, smtp.port)
    try:
        smtp.reject_with = "451"
        with pytest.raises(TransientError):
            send_one(transport, _message())
        smtp.reject_with = "550"
        with pytest.raises(PermanentError):
            send_one(transport, _message())
        smtp.reject_with = None
        send_one(transport, _message())  # the connection is still usable
    finally:
        transport.close()
    assert len(smtp.messages) == 1
    with pytest.raises(TransientError):
        send_one(SMTPTransport("127.0.0.1", 1), _message())
    with pytest.raises(ValueError):
        SMTPTransport(smtp.host, smtp.port, security="tls13")


def test_confirmation_renders_in_the_attendees_language(app, make_event, make_attendee):
    event = make_event(name="Nuit de la data")
    attendee = make_attendee(event, name="<b>Zoé</b>", language="fr")
    rendered = render_email("confirmation", "fr", attendee=attendee, event=event,
                            link="http://x/m/t")
    assert "Nuit de la data" in rendered.subject
    assert "inscription" in rendered.text.lower()
    assert "&lt;b&gt;Zoé&lt;/b&gt;" in rendered.html and "<b>Zoé</b>" not in rendered.html


def test_worker_retries_transient_and_records_permanent_failures(app, smtp):
    from eventnet.database import write_transaction

    with write_transaction() as session:
        session.add(_row(to_address="a@example.org"))
    smtp.reject_with = "451"
    stats = deliver_due()
    assert (stats.sent, stats.retried) == (0, 1)
    with write_transaction() as session:
        row = session.query(OutboundEmail).one()
        assert row.status == "queued" and row.attempts == 1 and "451" in row.last_error
        row.next_attempt_at = row.created_at  # due again now
    smtp.reject_with = "550"
    assert deliver_due().failed == 1
    row = app.extensions["sqlalchemy"].session.query(OutboundEmail).one()
    assert row.status == "failed" and "550" in row.last_error
    assert smtp.messages == []
