"""The SMTP envelope sender is always EVENTNET_MAIL_FROM, whatever an organizer names the
sender: the name is only the display name of the From header, their address the Reply-To."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import compat32
from email.utils import formataddr, parseaddr

import pytest

from eventnet.extensions import db
from eventnet.mail.compose import Rendered
from eventnet.mail.outbox import queue_email
from eventnet.mail.worker import deliver_due
from eventnet.services import attendees
from eventnet.services.profiles import Profile

MAIL_FROM = "events@eventnet.test"  # tests/conftest.py's base_config

#: sender names an organizer may type (or a stored row may still hold)
HOSTILE_NAMES = [
    "evil@attacker.example",
    "Org <evil@attacker.example>",
    "<evil@attacker.example>",
    "Org\r\n<evil@attacker.example>\r\n",
    "\r\n<evil@attacker.example>",
    "Org\r\nBcc: victim@attacker.example",
    "Zoé\n<evil@attacker.example>",
    'Org" <evil@attacker.example>, "x',
]


def _envelope_and_header(smtp):
    [envelope] = smtp.envelopes
    [message] = smtp.messages
    return envelope, message


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_an_event_sender_name_never_becomes_the_envelope_sender(app, make_event, smtp, name):
    event = make_event(name="Meetup", followup_sender_name=name,
                       followup_reply_to="team@example.org")
    attendees.register(event.id, Profile(name="Ada", email="ada@example.org"))
    envelope, message = _envelope_and_header(smtp)
    assert envelope.mail_from == MAIL_FROM
    assert envelope.rcpt_tos == ["ada@example.org"]
    [sender] = message["From"].addresses
    assert sender.addr_spec == MAIL_FROM
    # The name is the display name, on one line, as it was saved.
    assert sender.display_name == event.followup_sender_name
    assert "\r" not in event.followup_sender_name and "\n" not in event.followup_sender_name
    assert message["Bcc"] is None
    assert str(message["Reply-To"]) == "team@example.org"


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_stored_message_goes_out_from_mail_from(app, smtp, name):
    """A row queued before names were cleaned on save (its From written by hand here) is
    still sent with MAIL FROM:<EVENTNET_MAIL_FROM>."""
    queue_email(kind="test", to="ada@example.org",
                rendered=Rendered(subject="Hello", text="Hi\n", html=""),
                from_address=formataddr((name, MAIL_FROM)))
    db.session.commit()
    assert deliver_due().sent == 1
    envelope, _ = _envelope_and_header(smtp)
    assert envelope.mail_from == MAIL_FROM
    # Read without the strict parser: an encoded display name of an old row may hold a
    # line break (harmless there, but Python's header registry refuses it).
    raw = message_from_bytes(envelope.content, policy=compat32)
    assert raw["Bcc"] is None
    assert parseaddr(" ".join(raw["From"].split()))[1] == MAIL_FROM


def test_the_reply_to_must_be_one_address(app, make_event):
    from eventnet.services.errors import Invalid

    for bad in ("a@example.org, b@example.org", "Org <a@example.org>",
                "a@example.org\r\nBcc: b@x.org"):
        with pytest.raises(Invalid) as caught:
            make_event(followup_reply_to=bad)
        assert caught.value.field == "followup_reply_to"
