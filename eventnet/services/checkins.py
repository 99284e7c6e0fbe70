"""Door check-in: one service for the scanner page, the search fallback and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from eventnet.database import conflict_insert, write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, CheckIn, Event, utcnow
from eventnet.services.attendees import (
    Profile,
    check_capacity,
    lock_for_registration,
    new_attendee,
    validate_profile,
)
from eventnet.services.errors import Conflict, NotFound
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
                    *, answers: dict[str, Any] | None = None, consent_followup: bool = False,
                    over_capacity: bool = False, by_organizer_id: int | None = None
                    ) -> tuple[Attendee, CheckInResult]:
    """Register someone at the door and check them in at once.

    The same rules as the public form (``attendees.validate_profile``, ``check_capacity``),
    except that the email is optional and registration need not be open; a full event is
    refused unless ``over_capacity`` (an organizer's explicit decision at the door).
    Raises Invalid (name, email, a required question; ``field`` names the form field) or
    Conflict (``already_registered``, ``event_full``). Nothing is stored on a refusal.
    """
    clean_email = normalize_email(email) if email and email.strip() else None
    profile = Profile(name=name or "", email=clean_email, company=(company or "").strip()[:200],
                      answers=dict(answers or {}),
                      consent_followup=consent_followup and bool(clean_email))
    with write_transaction() as session:
        locked = lock_for_registration(event.id)
        validate_profile(profile, locked, email_required=False)
        if clean_email and session.scalar(select(Attendee.id).where(
                Attendee.event_id == event.id, Attendee.email == clean_email)):
            raise Conflict(_("%(email)s is already registered: find them by name instead.",
                             email=clean_email), code="already_registered", field="email")
        if not over_capacity:
            check_capacity(locked)
        attendee = new_attendee(locked, profile, source="onsite")
        result = check_in(attendee.id, by_organizer_id=by_organizer_id, method="onsite")
    return attendee, result
