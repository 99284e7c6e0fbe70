"""Import jobs: a file an organizer uploaded, checked and stored in the background."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventnet.extensions import db
from eventnet.models._types import JSONType, UTCDateTime, utcnow

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
#: the states a job does not leave
FINISHED = (DONE, FAILED)


class ImportJob(db.Model):  # type: ignore[name-defined,misc]
    """One upload's import, from the upload to its result (all rows or none).

    The file is kept in ``data`` (not on a local disk: any app server or worker may run the
    job) only until the job ends; the result, or the rejected lines, stay for the page.
    """

    __tablename__ = "import_job"
    __table_args__ = (Index("ix_import_job_event_created", "event_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    #: who uploaded the file (None: the account was deleted since)
    organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizer.id", ondelete="SET NULL"))
    #: what the file holds: attendees
    kind: Mapped[str] = mapped_column(String(16), default="attendees")
    #: the format asked for (auto, eventnet, eventbrite, meetup, luma); the one read is in result
    format: Mapped[str] = mapped_column(String(16), default="auto")
    filename: Mapped[str] = mapped_column(String(200), default="")
    #: the language of the page it was uploaded from: what the job writes (every rejected
    #: line's reason, the error) is in it, though it runs in the background
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: the uploaded bytes, until the job ends
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: queued, running, done, failed
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    #: while running: "checking" every row, then "storing" them
    phase: Mapped[str] = mapped_column(String(16), default="")
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_checked: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    #: when done: counts (created, updated, unchanged, checked_in), skipped rows, ignored columns
    result: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: when refused: every rejected line as [line, reason]
    errors: Mapped[list[list[Any]]] = mapped_column(JSONType, default=list)
    #: when failed: why, in a sentence (with ``error_code``)
    error: Mapped[str] = mapped_column(Text, default="")
    error_code: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: a job not finished by then was lost with its process (renewed while it works)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_finished(self) -> bool:
        """Whether the job is done or failed."""
        return self.state in FINISHED
