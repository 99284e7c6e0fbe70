"""A consent withdrawn holds against mail already queued, up to the last moment of sending.

End to end: follow-ups queued, a withdrawal on the attendee's page, then the real delivery
worker (``eventnet outbox work`` in its own process) against the loopback SMTP server; and
in process, a withdrawal made while a worker holds the message it already read: the
worker sends only what is still queued under its claim (``mail.worker``).
"""

from __future__ import annotations

import subprocess
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.transports import make_transport
from eventnet.mail.worker import deliver_due
from eventnet.models import Attendee, OutboundEmail
from eventnet.services import followup_mail
from tests.followup_data import small_event
from tests.mail.conftest import eventnet_command, worker_env
from tests.services.test_consent_queued_mail import (
    ADA_DETAILS,
    ADA_LINK,
    ADA_PHONE,
    _change,
    _text,
)


@pytest.fixture
def ev(app: Any, make_event: Any, make_attendee: Any) -> Any:
    event = small_event(make_event, make_attendee)
    with write_transaction() as session:
        ada = session.get(Attendee, event.ada.id)
        ada.phone, ada.links = ADA_PHONE, [ADA_LINK]
    app.config["MAIL_SYNC"] = False  # queued only: delivery is the test's to run
    assert followup_mail.queue_followups(event.event.id).queued == 4
    return event


def _work(app: Any, smtp: Any) -> None:
    """One pass of the real delivery worker, in its own process."""
    db.session.remove()
    done = subprocess.run(eventnet_command("outbox", "work"), env=worker_env(app, smtp),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.processes
def test_the_worker_delivers_the_followups_without_the_withdrawn_details(
        app: Any, ev: Any, client: Any, auth: Any, smtp: Any) -> None:
    auth.attendee(ev.ada)
    form = {"name": "Ada Lovelace", "company": "Analytical", "offers": "fundraising",
            "asks": "hiring", "links": ADA_LINK, "language": "en",
            "consent_introductions": "y", "consent_followup": "y"}  # sharing unticked
    response = client.post(f"/e/{ev.event.slug}/me", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    smtp.clear()  # the sign-in link
    _work(app, smtp)
    received = {str(m["To"]): m for m in smtp.messages}
    assert sorted(received) == ["ada@example.org", "bob@example.org", "cy@example.org",
                                "dee@example.org"]  # one follow-up each
    bob = _text(received["bob@example.org"])
    assert "Ada Lovelace" in bob  # he still has his follow-up, with her in it
    for detail in ADA_DETAILS:
        assert detail not in bob, detail
    assert "bob@example.org" in _text(received["ada@example.org"])  # Bob still shares


@pytest.mark.processes
def test_a_followup_cancelled_then_consented_again_goes_once(
        app: Any, ev: Any, smtp: Any) -> None:
    dee_id = ev.dee.id
    _change(dee_id, consent_followup=False)
    _work(app, smtp)
    assert len(smtp.messages) == 3 and not smtp.to("dee@example.org")
    _change(dee_id, consent_followup=True)  # queued again (MAIL_SYNC off: not sent)
    _work(app, smtp)
    _work(app, smtp)
    assert len(smtp.to("dee@example.org")) == 1 and len(smtp.messages) == 4


class ChangesMidSend:
    """A transport that lets something happen after the worker read the messages and
    before they become irreversible: the worst moment for a withdrawal."""

    def __init__(self, inner: Any, action: Any) -> None:
        self.inner, self.action = inner, action
        self.batch_size = inner.batch_size

    def send_batch(self, messages: Any, before_commit: Any = None) -> list[Any]:
        if self.action is not None:
            action, self.action = self.action, None
            action()
        return list(self.inner.send_batch(messages, before_commit))

    def close(self) -> None:
        self.inner.close()


def _eml_texts(directory: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in directory.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        found.setdefault(str(message["To"]), []).append(_text(message))  # type: ignore[arg-type]
    return found


@pytest.mark.parametrize("mail_backend", ["smtp", "file"])
def test_a_withdrawal_while_the_worker_holds_the_message_stops_the_old_content(
        app: Any, ev: Any, smtp: Any, mail_backend: str, tmp_path: Path,
        monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "MAIL_BACKEND", mail_backend)
    transport = ChangesMidSend(make_transport(app.config, str(tmp_path)),
                               lambda: _change(ev.ada.id, consent_share_contact=False))
    stats = deliver_due(transport=transport)
    transport.close()
    assert stats.sent == 4
    if mail_backend == "smtp":
        received = {str(m["To"]): [_text(m)] for m in smtp.messages}
    else:
        received = _eml_texts(tmp_path / "outbox")
        assert not list((tmp_path / "outbox").glob("*.tmp"))
    assert len(received["bob@example.org"]) == 1 and len(received) == 4
    [bob] = received["bob@example.org"]
    assert "Ada Lovelace" in bob
    for detail in ADA_DETAILS:
        assert detail not in bob, detail


def test_a_cancellation_while_the_worker_holds_the_message_stops_it(
        app: Any, ev: Any, smtp: Any) -> None:
    transport = ChangesMidSend(make_transport(app.config, app.instance_path),
                               lambda: _change(ev.bob.id, consent_followup=False))
    stats = deliver_due(transport=transport)
    transport.close()
    assert stats.sent == 3 and not smtp.to("bob@example.org")
    db.session.rollback()
    assert db.session.scalar(select(OutboundEmail.status).where(
        OutboundEmail.attendee_id == ev.bob.id)) == "cancelled"
