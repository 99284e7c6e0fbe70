"""Queueing messages in the outbox, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from eventnet.extensions import db
from eventnet.mail.compose import Rendered
from eventnet.models import OutboundEmail, OutboundEmailBody


def queue_email(*, kind: str, to: str, rendered: Rendered, from_address: str,
                event_id: int | None = None, attendee_id: int | None = None,
                dedupe_key: str | None = None, reply_to: str = "",
                headers: dict[str, Any] | None = None) -> OutboundEmail | None:
    """Add a message to the outbox in the current transaction.

    Returns None when a message with the same ``dedupe_key`` exists already: that message
    goes out at most once, however often it is queued.
    """
    session = db.session
    if dedupe_key is not None:
        existing = session.scalar(
            select(OutboundEmail.id).where(OutboundEmail.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return None
    message = OutboundEmail(
        kind=kind, to_address=to, from_address=from_address, reply_to=reply_to,
        subject=rendered.subject, body=body_of(rendered), headers=headers or {},
        event_id=event_id, attendee_id=attendee_id, dedupe_key=dedupe_key,
    )
    session.add(message)
    return message


def body_of(rendered: Rendered) -> OutboundEmailBody:
    """The stored content of a message: the plain-text and HTML parts."""
    return OutboundEmailBody(text=rendered.text, html=rendered.html)
