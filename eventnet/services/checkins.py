"""Door check-in: one service for the scanner page, the search fallback and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, CheckIn, utcnow
from eventnet.services.errors import NotFound


@dataclass
class CheckInResult:
    """``is_new`` False means the attendee was already checked in at ``checked_in_at``."""

    attendee_id: int
    is_new: bool
    checked_in_at: datetime


def check_in(attendee_id: int, *, by_organizer_id: int | None = None,
             method: str = "badge", at: datetime | None = None) -> CheckInResult:
    """Check an attendee in, once; a second check-in reports the first. Raises NotFound."""
    with write_transaction() as session:
        attendee = session.get(Attendee, attendee_id)
        if attendee is None or attendee.erased_at is not None:
            raise NotFound(_("Not registered for this event."), code="not_registered")
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        now = at or utcnow()
        inserted = session.execute(
            insert(CheckIn).values(event_id=attendee.event_id, attendee_id=attendee.id,
                                   checked_in_at=now, by_organizer_id=by_organizer_id,
                                   method=method)
            .on_conflict_do_nothing(index_elements=["attendee_id"])
            .returning(CheckIn.id)
        ).scalar()
        first = db.session.scalar(
            select(CheckIn.checked_in_at).where(CheckIn.attendee_id == attendee.id))
        assert first is not None
        return CheckInResult(attendee.id, inserted is not None, first)
