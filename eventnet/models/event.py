"""Events and the people of a community."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventnet.extensions import db
from eventnet.models._types import JSONType, UTCDateTime, utcnow

if TYPE_CHECKING:
    from eventnet.models.attendee import Attendee
    from eventnet.models.organizer import Community

DEFAULT_SCAN_TAGS = ["follow-up", "potential-client", "hiring", "investor", "mentor"]
#: the languages an event's own texts can be written in (those of the interface)
LANGUAGES = ("en", "fr")
#: the organizer's texts that may be given a second time, in the other language
TRANSLATABLE_TEXTS = ("description", "followup_intro")


class Event(db.Model):  # type: ignore[name-defined,misc]
    """One meetup or conference day(s) with its registration settings."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_registration_open: Mapped[bool] = mapped_column(Boolean, default=True)
    capacity: Mapped[int | None] = mapped_column(Integer)
    #: custom registration questions: [{"key", "label", "kind": text|choice|checkbox,
    #: "required": bool, "choices": [...]}]
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    interest_tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    scan_tags: Mapped[list[str]] = mapped_column(
        JSONType, default=lambda: list(DEFAULT_SCAN_TAGS)
    )
    followup_list_size: Mapped[int] = mapped_column(Integer, default=10)
    followup_sender_name: Mapped[str] = mapped_column(String(200), default="")
    followup_reply_to: Mapped[str] = mapped_column(String(254), default="")
    followup_intro: Mapped[str] = mapped_column(Text, default="")
    #: the language the organizer wrote the texts above in (description, intro, questions)
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: the same texts in the other language, all optional: {"description": ..., "followup_intro":
    #: ..., "questions": {key: {"label": ..., "choices": [...]}}}
    second_texts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: while the follow-ups are being prepared (a lease: a crashed run lapses at this time)
    followups_preparing_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: scans of attendees who were erased (right to erasure): anonymous counts stay
    erased_scan_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    community: Mapped[Community] = relationship(back_populates="events")
    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )

    def text(self, name: str, language: str | None) -> str:
        """One of the organizer's texts (TRANSLATABLE_TEXTS) as a reader of ``language`` sees
        it: the second-language version when it is the reader's and was given, else the
        original."""
        original: str = getattr(self, name)
        if language and language != self.language:
            second = (self.second_texts or {}).get(name) or ""
            if second.strip():
                return str(second)
        return original

    def questions_in(self, language: str | None) -> list[dict[str, Any]]:
        """The custom questions with their labels, and the labels of their choices
        (``choice_labels``, beside the stored ``choices``), in ``language`` where given."""
        translated = ((self.second_texts or {}).get("questions") or {}
                      if language and language != self.language else {})
        out = []
        for q in self.questions:
            other = translated.get(q["key"]) or {}
            choices = list(q.get("choices") or [])
            labels = other.get("choices") or []
            out.append({**q, "label": other.get("label") or q["label"],
                        "choice_labels": labels if len(labels) == len(choices) else choices})
        return out


class Person(db.Model):  # type: ignore[name-defined,misc]
    """The same human across the events of a community, keyed by email."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("community_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    attendances: Mapped[list[Attendee]] = relationship(back_populates="person")
