"""Attendees, their badges and check-ins."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventnet.extensions import db
from eventnet.models._types import JSONType, UTCDateTime, utcnow

if TYPE_CHECKING:
    from eventnet.models.event import Event, Person


class Attendee(db.Model):  # type: ignore[name-defined,misc]
    """A person at one event, with the profile and consents they gave for it."""

    __tablename__ = "attendee"
    __table_args__ = (
        UniqueConstraint("event_id", "email", name="uq_attendee_event_email"),
        UniqueConstraint("event_id", "external_ref", name="uq_attendee_event_external_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    #: None for imports that carry no email (Meetup) until the attendee claims the profile
    email: Mapped[str | None] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    interests: Mapped[list[str]] = mapped_column(JSONType, default=list)
    offers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    asks: Mapped[list[str]] = mapped_column(JSONType, default=list)
    links: Mapped[list[str]] = mapped_column(JSONType, default=list)
    phone: Mapped[str] = mapped_column(String(50), default="")
    #: answers to the event's custom questions, by question key
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    consent_share_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_introductions: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_followup: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: where the registration came from: form, import:<format>, onsite, demo
    source: Mapped[str] = mapped_column(String(32), default="form")
    #: id on the platform it was imported from (Meetup user id, Luma api_id, ...)
    external_ref: Mapped[str | None] = mapped_column(String(120))
    #: sha256 of the personal API secret (see services.tokens)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: bump to invalidate the attendee's access token and magic links
    secret_version: Mapped[int] = mapped_column(default=1)
    #: magic links issued at or before this instant no longer sign in (each signs in once)
    magic_link_spent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: set when the personal data was erased on request; the row stays for anonymous counts
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event: Mapped[Event] = relationship(back_populates="attendees")
    person: Mapped[Person | None] = relationship(back_populates="attendances")
    badges: Mapped[list[Badge]] = relationship(
        back_populates="attendee", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Badge.id",
    )
    check_in: Mapped[CheckIn | None] = relationship(
        back_populates="attendee", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def badge(self) -> Badge | None:
        """The attendee's current (not revoked) badge."""
        for badge in reversed(self.badges):
            if badge.revoked_at is None:
                return badge
        return None

    @property
    def is_checked_in(self) -> bool:
        """Whether the attendee was checked in at the door."""
        return self.check_in is not None


class Badge(db.Model):  # type: ignore[name-defined,misc]
    """A printed badge: its QR code carries only the random token."""

    __tablename__ = "badge"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    attendee: Mapped[Attendee] = relationship(back_populates="badges")

    @property
    def is_revoked(self) -> bool:
        """Whether the badge was revoked (lost, reissued)."""
        return self.revoked_at is not None


class CheckIn(db.Model):  # type: ignore[name-defined,misc]
    """An attendee's arrival at the door; at most one per attendee."""

    __tablename__ = "check_in"
    __table_args__ = (Index("ix_check_in_event_time", "event_id", "checked_in_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), unique=True
    )
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizer.id", ondelete="SET NULL")
    )
    #: badge, search, onsite, import
    method: Mapped[str] = mapped_column(String(16), default="badge")

    attendee: Mapped[Attendee] = relationship(back_populates="check_in")
