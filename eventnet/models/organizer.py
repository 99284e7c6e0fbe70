"""Organizers, communities and their team."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from eventnet.extensions import db
from eventnet.models._types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from eventnet.models.event import Event

ROLE_ORGANIZER = "organizer"
ROLE_STAFF = "staff"
ROLES = (ROLE_ORGANIZER, ROLE_STAFF)

#: how new passwords are hashed: Werkzeug's scrypt at its standard cost (N=2**15, r=8, p=1:
#: 32 MiB and tens of milliseconds per hash); ``services.organizers.password_hash_method``
#: says which one an app uses
PASSWORD_HASH_METHOD = "scrypt:32768:8:1"


class Organizer(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """Someone who runs events (or staffs the door) and signs in with a password."""

    __tablename__ = "organizer"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organizer", cascade="all, delete-orphan"
    )

    def set_password(self, password: str, method: str = PASSWORD_HASH_METHOD) -> None:
        """Store a salted hash of ``password`` (``services.organizers.change_password`` also
        ends the account's sessions). A stored hash names its method: one made with another
        method still checks."""
        self.password_hash = generate_password_hash(password, method=method)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie: the id and the
        secret of this sign-in (``services.organizers.start_session``), never the id alone."""
        session_id = self.__dict__.get("_session_id")
        if not session_id:
            raise RuntimeError("no session: sign in with services.organizers.start_session")
        return str(session_id)

    def check_password(self, password: str) -> bool:
        """Whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)


class OrganizerSession(db.Model):  # type: ignore[name-defined,misc]
    """One sign-in of an organizer on one browser. Its cookies carry ``<id>.<secret>``; only
    the secret's SHA-256 is kept. Signing out deletes the row, so copies of the cookies stop
    working; a password change deletes every row of the account."""

    __tablename__ = "organizer_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizer.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Community(db.Model):  # type: ignore[name-defined,misc]
    """A recurring meetup group or conference series; it owns events and people."""

    __tablename__ = "community"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="community", cascade="all, delete-orphan"
    )
    events: Mapped[list[Event]] = relationship(back_populates="community")


class Membership(db.Model):  # type: ignore[name-defined,misc]
    """An organizer's role in a community: full organizer or door staff."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("community_id", "organizer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizer.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default=ROLE_ORGANIZER)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    community: Mapped[Community] = relationship(back_populates="memberships")
    organizer: Mapped[Organizer] = relationship(back_populates="memberships")


class Invitation(db.Model):  # type: ignore[name-defined,misc]
    """A pending invitation to join a community's team, accepted through a token link."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizer.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
