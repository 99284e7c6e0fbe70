"""Badge scans and the connections they make."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventnet.extensions import db
from eventnet.models._types import JSONType, UTCDateTime, utcnow
from eventnet.models.attendee import Attendee


class Scan(db.Model):  # type: ignore[name-defined,misc]
    """One attendee scanning another's badge: the raw, append-only record."""

    __tablename__ = "scan"
    __table_args__ = (
        CheckConstraint("scanner_id <> scanned_id", name="ck_scan_not_self"),
        UniqueConstraint("scanner_id", "client_id", name="uq_scan_scanner_client_id"),
        Index("ix_scan_event_time", "event_id", "scanned_at"),
        Index("ix_scan_pair", "scanner_id", "scanned_id"),
        Index("ix_scan_scanned", "scanned_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    scanner_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    scanned_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: client-generated id: a replayed scan (offline sync, retry) is recorded once
    client_id: Mapped[str | None] = mapped_column(String(100))
    #: badge (web page), api, import
    source: Mapped[str] = mapped_column(String(16), default="api")
    #: False when a repeat within the short window: stored, but not counted again
    is_counted: Mapped[bool] = mapped_column(Boolean, default=True)

    scanner: Mapped[Attendee] = relationship(foreign_keys=[scanner_id])
    scanned: Mapped[Attendee] = relationship(foreign_keys=[scanned_id])


class Connection(db.Model):  # type: ignore[name-defined,misc]
    """Two attendees who met, aggregated over their scans; ``a_id < b_id``.

    Each side keeps its own note and tags about the other.
    """

    __tablename__ = "connection"
    __table_args__ = (
        UniqueConstraint("a_id", "b_id", name="uq_connection_pair"),
        CheckConstraint("a_id < b_id", name="ck_connection_ordered"),
        Index("ix_connection_event", "event_id"),
        Index("ix_connection_b", "b_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    a_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    b_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    first_met_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_met_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: counted scans in both directions
    scan_count: Mapped[int] = mapped_column(Integer, default=0)
    a_scan_count: Mapped[int] = mapped_column(Integer, default=0)
    b_scan_count: Mapped[int] = mapped_column(Integer, default=0)
    is_mutual: Mapped[bool] = mapped_column(Boolean, default=False)
    a_note: Mapped[str] = mapped_column(Text, default="")
    b_note: Mapped[str] = mapped_column(Text, default="")
    a_tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    b_tags: Mapped[list[str]] = mapped_column(JSONType, default=list)

    a: Mapped[Attendee] = relationship(foreign_keys=[a_id])
    b: Mapped[Attendee] = relationship(foreign_keys=[b_id])

    def other(self, attendee_id: int) -> Attendee:
        """The other side of the connection, seen from ``attendee_id``."""
        return self.b if attendee_id == self.a_id else self.a
