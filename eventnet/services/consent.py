"""Unsubscribing from an event's mail, by signed link or one-click POST (RFC 8058)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.worker import SUPPRESSIBLE_KINDS
from eventnet.models import Attendee, OutboundEmail, utcnow
from eventnet.models.outbox import CANCELLED, QUEUED
from eventnet.services import links
from eventnet.services.tokens import InvalidLink


def attendee_from_unsubscribe_link(token: str) -> Attendee:
    """The attendee an unsubscribe link belongs to. Raises InvalidLink."""
    payload = links.check(links.UNSUBSCRIBE, token)
    attendee = db.session.get(Attendee, payload.get("a"))
    if attendee is None or attendee.erased_at is not None:
        raise InvalidLink(_("This link is no longer valid."))
    return attendee


def unsubscribe(attendee_id: int) -> bool:
    """Stop all follow-up and introduction mail to the attendee; returns whether it is new.

    Messages already queued for them are cancelled (the worker also checks before sending).
    """
    with write_transaction() as session:
        attendee = session.get(Attendee, attendee_id)
        if attendee is None:
            return False
        is_new = attendee.unsubscribed_at is None
        if is_new:
            attendee.unsubscribed_at = utcnow()
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.attendee_id == attendee_id, OutboundEmail.status == QUEUED,
                   OutboundEmail.kind.in_(SUPPRESSIBLE_KINDS))
            .values(status=CANCELLED, last_error="the recipient unsubscribed"))
    return is_new


def resubscribe(attendee_id: int) -> None:
    """Undo an unsubscribe (the attendee asked for it on their own page)."""
    with write_transaction() as session:
        attendee = session.get(Attendee, attendee_id)
        if attendee is not None:
            attendee.unsubscribed_at = None
