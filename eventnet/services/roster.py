"""The organizer's view of an event's attendees: search, filters, pages, edits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, func, not_, or_, select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, CheckIn, Scan
from eventnet.services.errors import Conflict, NotFound
from eventnet.services.profiles import Profile, apply_profile, person_for, validate_profile

PER_PAGE = 50
FILTERS = ("checked_in", "not_checked_in", "scanned", "not_scanned", "no_consent")


@dataclass
class RosterPage:
    """One page of the attendee list, with the scan count of each attendee shown."""

    items: list[Attendee]
    scans: dict[int, int]
    total: int
    page: int
    pages: int


def _like(query: str) -> str:
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def roster(event_id: int, query: str = "", filters: tuple[str, ...] = (), page: int = 1,
           per_page: int = PER_PAGE) -> RosterPage:
    """Attendees (not erased) matching a search in name, company or email and the filters.

    Filters: checked_in, not_checked_in, scanned (made a scan), not_scanned, no_consent
    (any of the three consents missing).
    """
    conditions: list[Any] = [Attendee.event_id == event_id, Attendee.erased_at.is_(None)]
    query = " ".join((query or "").split())
    if query:
        pattern = _like(query)
        conditions.append(or_(func.lower(Attendee.name).like(pattern, escape="\\"),
                              func.lower(Attendee.company).like(pattern, escape="\\"),
                              func.lower(Attendee.email).like(pattern, escape="\\")))
    checked = exists().where(CheckIn.attendee_id == Attendee.id)
    scanned = exists().where(Scan.scanner_id == Attendee.id)
    for name in filters:
        if name == "checked_in":
            conditions.append(checked)
        elif name == "not_checked_in":
            conditions.append(not_(checked))
        elif name == "scanned":
            conditions.append(scanned)
        elif name == "not_scanned":
            conditions.append(not_(scanned))
        elif name == "no_consent":
            conditions.append(or_(Attendee.consent_share_contact.is_(False),
                                  Attendee.consent_introductions.is_(False),
                                  Attendee.consent_followup.is_(False)))
    total = db.session.scalar(select(func.count(Attendee.id)).where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(db.session.scalars(
        select(Attendee).where(*conditions).order_by(Attendee.name, Attendee.id)
        .offset((page - 1) * per_page).limit(per_page)))
    scans = dict(db.session.execute(
        select(Scan.scanner_id, func.count(Scan.id))
        .where(Scan.scanner_id.in_([a.id for a in items])).group_by(Scan.scanner_id)).all())
    return RosterPage(items, scans, total, page, pages)


def event_attendee(event_id: int, attendee_id: int) -> Attendee:
    """An attendee of this event who was not erased; raises NotFound."""
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or attendee.event_id != event_id or attendee.erased_at is not None:
        raise NotFound(_("No such attendee."))
    return attendee


def edit_attendee(event_id: int, attendee_id: int, profile: Profile) -> Attendee:
    """An organizer corrects an attendee's profile, email included; consents and language
    stay the attendee's own choice. Raises Invalid, Conflict."""
    with write_transaction() as session:
        attendee = event_attendee(event_id, attendee_id)
        for name in ("consent_share_contact", "consent_introductions", "consent_followup",
                     "language"):
            setattr(profile, name, getattr(attendee, name))
        validate_profile(profile, attendee.event, email_required=attendee.email is not None)
        if profile.email and profile.email != attendee.email:
            if session.scalar(select(Attendee.id).where(Attendee.event_id == event_id,
                                                        Attendee.email == profile.email)):
                raise Conflict(_("Another attendee has this email address."), field="email",
                               code="email_taken")
            attendee.person = person_for(attendee.event, profile.email)
        apply_profile(attendee, profile)
    return attendee
