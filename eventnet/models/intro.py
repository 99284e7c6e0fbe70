"""Double opt-in introductions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventnet.extensions import db
from eventnet.models._types import JSONType, UTCDateTime, utcnow
from eventnet.models.attendee import Attendee

PROPOSED = "proposed"
REQUESTED = "requested"
ACCEPTED = "accepted"
DECLINED = "declined"
EXPIRED = "expired"
STATES = (PROPOSED, REQUESTED, ACCEPTED, DECLINED, EXPIRED)


class Introduction(db.Model):  # type: ignore[name-defined,misc]
    """A suggested introduction of ``requester`` to ``recipient``.

    proposed (suggested to the requester) → requested (requester said yes; the recipient is
    asked) → accepted (both get each other's details) / declined / expired.
    """

    __tablename__ = "introduction"
    __table_args__ = (
        UniqueConstraint("event_id", "requester_id", "recipient_id", name="uq_intro_pair"),
        CheckConstraint("requester_id <> recipient_id", name="ck_intro_not_self"),
        Index("ix_intro_recipient_status", "recipient_id", "status"),
        Index("ix_intro_requester_status", "requester_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=PROPOSED)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    #: the engine's reasons: [{"code": ..., "params": {...}}]
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    requester: Mapped[Attendee] = relationship(foreign_keys=[requester_id])
    recipient: Mapped[Attendee] = relationship(foreign_keys=[recipient_id])
