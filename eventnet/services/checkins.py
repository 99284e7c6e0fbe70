"""Door check-in: one service for the scanner page, the search fallback and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from eventnet.database import conflict_insert, write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, CheckIn, Event, utcnow
from eventnet.services.attendees import Profile, new_attendee
from eventnet.services.errors import Conflict, Invalid, NotFound
from eventnet.services.organizers import normalize_email

MAX_SEARCH_RESULTS = 20


@dataclass
class CheckInResult:
    """``is_new`` False means the attendee was already checked in at ``checked_in_at``."""

    attendee_id: int
    is_new: bool
    checked_in_at: datetime


def check_in(attendee_id: int, *, by_organizer_id: int | None = None,
             method: str = "badge", at: datetime | None = None,
             event_id: int | None = None) -> CheckInResult:
    """Check an attendee in, once; a second check-in reports the first.

    Raises NotFound (``not_registered``) for an unknown or erased attendee, or one of
    another event than ``event_id`` when given.
    """
    with write_transaction() as session:
        attendee = session.get(Attendee, attendee_id)
        if attendee is None or attendee.erased_at is not None or (
                event_id is not None and attendee.event_id != event_id):
            raise NotFound(_("Not registered for this event."), code="not_registered")
        now = at or utcnow()
        inserted = session.execute(
            conflict_insert(CheckIn).values(event_id=attendee.event_id, attendee_id=attendee.id,
                                   checked_in_at=now, by_organizer_id=by_organizer_id,
                                   method=method)
            .on_conflict_do_nothing(index_elements=["attendee_id"])
            .returning(CheckIn.id)
        ).scalar()
        first = db.session.scalar(
            select(CheckIn.checked_in_at).where(CheckIn.attendee_id == attendee.id))
        assert first is not None
        return CheckInResult(attendee.id, inserted is not None, first)


def check_in_badge(event_id: int, token: str, *, by_organizer_id: int | None = None
                   ) -> CheckInResult:
    """Check in the wearer of a scanned badge at ``event_id``.

    Raises NotFound (``not_registered``: unknown badge or another event's) or Conflict
    (``badge_revoked``).
    """
    from eventnet.services.scans import badge_owner

    try:
        owner = badge_owner(event_id, token)
    except NotFound as exc:
        raise NotFound(_("Not registered for this event."), code="not_registered") from exc
    except Conflict as exc:
        if exc.code == "other_event":
            raise NotFound(_("Not registered for this event: this badge is for another "
                             "event."), code="not_registered") from exc
        raise
    return check_in(owner.attendee_id, by_organizer_id=by_organizer_id, method="badge")


def search_attendees(event_id: int, query: str) -> list[Attendee]:
    """Attendees of the event whose name, email or company contains ``query`` (by name)."""
    query = " ".join((query or "").split())
    if len(query) < 2:
        return []
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return list(db.session.scalars(
        select(Attendee)
        .where(Attendee.event_id == event_id, Attendee.erased_at.is_(None),
               or_(func.lower(Attendee.name).like(pattern, escape="\\"),
                   func.lower(Attendee.email).like(pattern, escape="\\"),
                   func.lower(Attendee.company).like(pattern, escape="\\")))
        .order_by(Attendee.name, Attendee.id)
        .limit(MAX_SEARCH_RESULTS)
    ))


def register_onsite(event: Event, name: str, email: str | None = None, company: str = "",
                    *, consent_followup: bool = False, by_organizer_id: int | None = None
                    ) -> tuple[Attendee, CheckInResult]:
    """Register someone at the door and check them in at once (capacity is the door's call).

    Raises Invalid (no name, bad email) or Conflict (``already_registered``).
    """
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise Invalid(_("Please give a name (200 characters at most)."), field="name")
    clean_email = normalize_email(email) if email and email.strip() else None
    company = (company or "").strip()[:200]
    with write_transaction() as session:
        if clean_email and session.scalar(select(Attendee.id).where(
                Attendee.event_id == event.id, Attendee.email == clean_email)):
            raise Conflict(_("%(email)s is already registered: find them by name instead.",
                             email=clean_email), code="already_registered", field="email")
        attendee = new_attendee(
            event, Profile(name=name, email=clean_email, company=company,
                           consent_followup=consent_followup and bool(clean_email)),
            source="onsite")
        result = check_in(attendee.id, by_organizer_id=by_organizer_id, method="onsite")
    return attendee, result
