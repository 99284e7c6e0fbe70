"""The outbox: messages written in the same transaction as the state they report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventnet.extensions import db
from eventnet.models._types import JSONType, UTCDateTime, utcnow

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
#: the worker stopped right after handing the message to the server: probably delivered,
#: never sent again automatically
UNCONFIRMED = "unconfirmed"
#: not sent because the recipient withdrew the consent it needed, unsubscribed or was erased
#: after it was queued
CANCELLED = "cancelled"
#: messages that may still go out: queued, to be sent again after an unconfirmed attempt,
#: or failed (an organizer may retry them); what a withdrawal must reach
STILL_TO_GO = (QUEUED, UNCONFIRMED, FAILED)


class OutboundEmail(db.Model):  # type: ignore[name-defined,misc]
    """One email to deliver; ``dedupe_key`` makes a message go out at most once."""

    __tablename__ = "outbound_email"
    __table_args__ = (
        Index("ix_outbound_email_due", "status", "next_attempt_at"),
        Index("ix_outbound_email_event_kind", "event_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    attendee_id: Mapped[int | None] = mapped_column(
        ForeignKey("attendee.id", ondelete="SET NULL"), index=True
    )
    #: confirmation, magic_link, followup, intro_request, intro_reminder, intro_made, test, ...
    kind: Mapped[str] = mapped_column(String(32))
    #: e.g. "followup:<event>:<attendee>"; unique so a second "send" queues nothing
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    from_address: Mapped[str] = mapped_column(String(320))
    reply_to: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300))
    headers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: a worker holds the message until then; a killed worker's claim lapses
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    body: Mapped[OutboundEmailBody | None] = relationship(
        back_populates="email", cascade="all, delete-orphan", passive_deletes=True)
    #: the plain-text and HTML parts, kept in ``outbound_email_body``
    body_text: AssociationProxy[str] = association_proxy(
        "body", "text", creator=lambda text: OutboundEmailBody(text=text, html=""))
    body_html: AssociationProxy[str] = association_proxy(
        "body", "html", creator=lambda html: OutboundEmailBody(text="", html=html))


class OutboundEmailBody(db.Model):  # type: ignore[name-defined,misc]
    """The content of an outbox message, written once when it is queued.

    Apart from the row whose status changes as the message is delivered: on SQLite an
    UPDATE rewrites the whole row, overflow pages included, and a follow-up is ~20 KiB.
    """

    __tablename__ = "outbound_email_body"

    email_id: Mapped[int] = mapped_column(
        ForeignKey("outbound_email.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text, default="")

    email: Mapped[OutboundEmail] = relationship(back_populates="body")
