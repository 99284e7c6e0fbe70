"""Door check-in: one service for the scanner page, the search fallback and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from eventnet.database import conflict_insert, write_transaction
from eventnet.extensions import db
from eventnet.mail.worker import dispatch
from eventnet.models import Attendee, Badge, CheckIn, CheckInRead, Event, utcnow
from eventnet.services.attendees import (
    check_capacity,
    lock_for_registration,
    new_attendee,
    queue_confirmation,
    registration_of,
)
from eventnet.services.errors import Conflict, EventnetError, Invalid, NotFound
from eventnet.services.organizers import normalize_email
from eventnet.services.profiles import Profile, validate_profile
from eventnet.services.scans import (
    MAX_CLIENT_ID_LENGTH,
    MAX_CLOCK_SKEW,
    MAX_REPLAY_AGE,
    badge_owner,
    parse_scanned_at,
)

MAX_SEARCH_RESULTS = 20


#: at most this many queued check-ins in one sync request
MAX_SYNC_BATCH = 500


@dataclass
class CheckInResult:
    """``is_new`` False means the attendee was already checked in at ``checked_in_at``.

    ``is_new`` is True when this read checked them in: it created the check-in, moved it
    earlier (an offline read older than the one recorded), or is a replay of such a read.
    """

    attendee_id: int
    is_new: bool
    checked_in_at: datetime


@dataclass(frozen=True)
class DoorRead:
    """A badge read by a door device, with the device's id for it and its time."""

    client_id: str
    badge: str
    read_at: datetime


@dataclass
class SyncAnswer:
    """What became of one queued read: a check-in, or the error that refused it."""

    client_id: str
    result: CheckInResult | None = None
    error: EventnetError | None = None


@dataclass
class RosterEntry:
    """One attendee as the door keeps them offline: the name and nothing else personal."""

    attendee_id: int
    name: str
    badges: list[str]
    checked_in_at: datetime | None


@dataclass
class Roster:
    """The event's attendees for the door, and the revoked badges (tokens only)."""

    attendees: list[RosterEntry]
    revoked: list[str]


def _check_in(session: Any, attendee: Attendee, at: datetime, by_organizer_id: int | None,
              method: str) -> CheckInResult:
    """Insert the attendee's check-in, or move it earlier to ``at``: the earliest time wins.

    The unique index on ``check_in.attendee_id`` keeps one row per attendee however many
    devices send a read at once; the conditional UPDATE takes the row lock (PostgreSQL) and
    is checked again once it holds it, so the earliest time wins whatever the order.
    """
    inserted = session.execute(
        conflict_insert(CheckIn).values(event_id=attendee.event_id, attendee_id=attendee.id,
                                        checked_in_at=at, by_organizer_id=by_organizer_id,
                                        method=method)
        .on_conflict_do_nothing(index_elements=["attendee_id"])
        .returning(CheckIn.id)
    ).scalar()
    moved = inserted is None and session.execute(
        update(CheckIn).where(CheckIn.attendee_id == attendee.id, CheckIn.checked_in_at > at)
        .values(checked_in_at=at, by_organizer_id=by_organizer_id, method=method)
        .execution_options(synchronize_session=False)
    ).rowcount > 0
    first = session.scalar(select(CheckIn.checked_in_at).where(CheckIn.attendee_id == attendee.id))
    assert first is not None
    return CheckInResult(attendee.id, inserted is not None or moved, first)


def check_in(attendee_id: int, *, by_organizer_id: int | None = None,
             method: str = "badge", at: datetime | None = None,
             event_id: int | None = None) -> CheckInResult:
    """Check an attendee in, once; a second check-in reports the first (the earliest wins).

    Raises NotFound (``not_registered``) for an unknown or erased attendee, or one of
    another event than ``event_id`` when given.
    """
    with write_transaction() as session:
        attendee = session.get(Attendee, attendee_id)
        if attendee is None or attendee.erased_at is not None or (
                event_id is not None and attendee.event_id != event_id):
            raise NotFound(_("Not registered for this event."), code="not_registered")
        return _check_in(session, attendee, at or utcnow(), by_organizer_id, method)


def _badge_wearer(event_id: int, token: str) -> int:
    """The attendee id of a badge read at ``event_id``'s door. Raises NotFound/Conflict."""
    try:
        return badge_owner(event_id, token).attendee_id
    except NotFound as exc:
        raise NotFound(_("Not registered for this event."), code="not_registered") from exc
    except Conflict as exc:
        if exc.code == "other_event":
            raise NotFound(_("Not registered for this event: this badge is for another "
                             "event."), code="not_registered") from exc
        raise


def check_in_badge(event_id: int, token: str, *, by_organizer_id: int | None = None,
                   client_id: str | None = None, read_at: datetime | None = None
                   ) -> CheckInResult:
    """Check in the wearer of a scanned badge at ``event_id``.

    With ``client_id`` (the device's id for this read) the read is recorded once: sending it
    again changes nothing and answers as the first time. ``read_at`` is when the device read
    the badge (offline reads are sent later); the earliest read of a badge is its check-in
    time. Raises NotFound (``not_registered``: unknown badge or another event's), Conflict
    (``badge_revoked``, ``client_id_reused``) or Invalid (``invalid_client_id``,
    ``invalid_read_at``).
    """
    at = _read_time(read_at)
    if client_id is not None:
        client_id = _valid_client_id(client_id)
    attendee_id = _badge_wearer(event_id, token)
    if client_id is None:
        return check_in(attendee_id, by_organizer_id=by_organizer_id, method="badge", at=at)
    with write_transaction() as session:
        attendee = session.get(Attendee, attendee_id)
        assert attendee is not None
        read_id = session.execute(
            conflict_insert(CheckInRead).values(
                event_id=event_id, attendee_id=attendee_id, client_id=client_id, read_at=at,
                recorded_at=utcnow(), by_organizer_id=by_organizer_id)
            .on_conflict_do_nothing(index_elements=["event_id", "client_id"])
            .returning(CheckInRead.id)
        ).scalar()
        if read_id is None:  # sent before: answer as then, change nothing
            return _replayed_read(session, event_id, attendee_id, client_id)
        return _check_in(session, attendee, at, by_organizer_id, "badge")


def _replayed_read(session: Any, event_id: int, attendee_id: int,
                   client_id: str) -> CheckInResult:
    """The answer to a read whose client id was recorded before. Raises Conflict if that
    id was recorded for another badge."""
    stored = session.execute(
        select(CheckInRead.attendee_id, CheckInRead.read_at)
        .where(CheckInRead.event_id == event_id, CheckInRead.client_id == client_id)
    ).one()
    if stored.attendee_id != attendee_id:
        raise Conflict(_("This client_id was already used for another badge."),
                       code="client_id_reused", field="client_id")
    first = session.scalar(select(CheckIn.checked_in_at).where(CheckIn.attendee_id == attendee_id))
    assert first is not None
    return CheckInResult(attendee_id, first == stored.read_at, first)


def _read_time(read_at: datetime | None) -> datetime:
    """A device's read time, checked: never after the server's now (clocks drift a little)."""
    now = utcnow()
    if read_at is None:
        return now
    if read_at.tzinfo is None:
        raise Invalid(_("read_at needs a time zone offset (e.g. Z or +02:00)."),
                      code="invalid_read_at", field="read_at")
    if read_at > now + MAX_CLOCK_SKEW or read_at < now - MAX_REPLAY_AGE:
        raise Invalid(_("read_at is too far from the current time."),
                      code="invalid_read_at", field="read_at")
    return min(read_at, now)


def _valid_client_id(client_id: object) -> str:
    if not isinstance(client_id, str) or not client_id.strip() or \
            len(client_id) > MAX_CLIENT_ID_LENGTH:
        raise Invalid(_("client_id must be 1 to %(n)d characters.", n=MAX_CLIENT_ID_LENGTH),
                      code="invalid_client_id", field="client_id")
    return client_id


def parse_door_reads(body: object) -> list[DoorRead]:
    """The queued reads of a sync request (``{"checkins": [{"client_id", "badge",
    "read_at"}]}``), checked before any is recorded.

    Raises EventnetError (400) naming the first problem: ``invalid_body``,
    ``invalid_checkins``, ``too_many_checkins``, ``invalid_client_id``, ``invalid_badge``,
    ``invalid_read_at``, ``duplicate_client_id``.
    """
    if not isinstance(body, dict):
        raise EventnetError(_("Send a JSON object."), code="invalid_body")
    items = body.get("checkins")
    if not isinstance(items, list):
        raise EventnetError(_("checkins must be a list of check-ins."), code="invalid_checkins",
                            field="checkins")
    if len(items) > MAX_SYNC_BATCH:
        raise EventnetError(_("checkins holds at most %(n)d check-ins per request.",
                              n=MAX_SYNC_BATCH), code="too_many_checkins", field="checkins")
    reads: list[DoorRead] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"checkins[{index}]"
        if not isinstance(item, dict):
            raise EventnetError(_("%(where)s must be an object.", where=where),
                                code="invalid_checkins", field=where)
        client_id, badge = item.get("client_id"), item.get("badge")
        if not isinstance(client_id, str) or not client_id.strip() or \
                len(client_id) > MAX_CLIENT_ID_LENGTH or "\x00" in client_id:
            raise EventnetError(_("%(where)s.client_id must be a text of 1 to %(n)d "
                                  "characters.", where=where, n=MAX_CLIENT_ID_LENGTH),
                                code="invalid_client_id", field=f"{where}.client_id")
        if client_id in seen:
            raise EventnetError(_("%(where)s.client_id is sent twice.", where=where),
                                code="duplicate_client_id", field=f"{where}.client_id")
        seen.add(client_id)
        if not isinstance(badge, str) or not badge.strip() or "\x00" in badge:
            raise EventnetError(_("%(where)s.badge must be the text the camera read.",
                                  where=where), code="invalid_badge", field=f"{where}.badge")
        read_at = parse_read_at(item.get("read_at"), where=f"{where}.read_at")
        if read_at is None:
            raise _bad_read_at(f"{where}.read_at")
        reads.append(DoorRead(client_id, badge, read_at))
    return reads


def _bad_read_at(where: str) -> EventnetError:
    return EventnetError(_("%(where)s must be an ISO 8601 time with an offset, e.g. "
                           "2026-05-04T18:30:00Z.", where=where),
                         code="invalid_read_at", field=where)


def parse_read_at(raw: object, *, where: str = "read_at") -> datetime | None:
    """A device's read time as sent (ISO 8601 with an offset), or None when absent.

    Raises EventnetError (400, ``invalid_read_at``) naming ``where``.
    """
    if raw is None:
        return None
    try:
        value = parse_scanned_at(raw) if isinstance(raw, str) else None
    except EventnetError:
        value = None
    if value is None:
        raise _bad_read_at(where)
    return value


def sync_door_reads(event_id: int, reads: list[DoorRead], *,
                    by_organizer_id: int | None = None) -> list[SyncAnswer]:
    """Record a door device's queued reads, each once (see ``check_in_badge``); a read the
    rules refuse (unknown or revoked badge, a time out of range) is answered with its error
    and the others are recorded all the same."""
    answers = []
    for read in reads:
        try:
            result = check_in_badge(event_id, read.badge, by_organizer_id=by_organizer_id,
                                    client_id=read.client_id, read_at=read.read_at)
        except EventnetError as exc:
            answers.append(SyncAnswer(read.client_id, error=exc))
        else:
            answers.append(SyncAnswer(read.client_id, result=result))
    return answers


def door_roster(event_id: int) -> Roster:
    """The event's attendees as the door keeps them offline: names, badge tokens, check-in
    times; and the revoked badges' tokens (so an old badge reads as revoked, not unknown)."""
    rows = db.session.execute(
        select(Attendee.id, Attendee.name, Badge.token, Badge.revoked_at, CheckIn.checked_in_at)
        .join(Badge, Badge.attendee_id == Attendee.id)
        .outerjoin(CheckIn, CheckIn.attendee_id == Attendee.id)
        .where(Attendee.event_id == event_id, Attendee.erased_at.is_(None))
        .order_by(Attendee.name, Attendee.id, Badge.id)
    ).all()
    entries: dict[int, RosterEntry] = {}
    revoked: list[str] = []
    for attendee_id, name, token, revoked_at, checked_in_at in rows:
        if revoked_at is not None:
            revoked.append(token)
            continue
        entry = entries.setdefault(attendee_id, RosterEntry(attendee_id, name, [], checked_in_at))
        entry.badges.append(token)
    return Roster(list(entries.values()), revoked)


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
    """Register someone at the door and check them in at once; with an email, mail them the
    registration's confirmation (their link), through the outbox, once committed.

    The same rules as the public form, through the same functions (``validate_profile``,
    ``attendees.registration_of``, ``check_capacity``), except that the email is optional,
    registration need not be open, an address registered already is refused (the form mails
    its owner a link instead), and a full event is refused unless ``over_capacity`` (an
    organizer's explicit decision at the door).
    Raises Invalid (name, email, a required question; ``field`` names the form field) or
    Conflict (``already_registered``, ``event_full``). Nothing is stored on a refusal.
    """
    clean_email = normalize_email(email) if email and email.strip() else None
    profile = Profile(name=name or "", email=clean_email, company=(company or "").strip()[:200],
                      answers=dict(answers or {}),
                      consent_followup=consent_followup and bool(clean_email))
    message_ids: list[int] = []
    with write_transaction() as session:
        locked = lock_for_registration(event.id)
        validate_profile(profile, locked, email_required=False)
        if registration_of(locked, profile.email) is not None:
            raise Conflict(_("%(email)s is already registered: find them by name instead.",
                             email=clean_email), code="already_registered", field="email")
        if not over_capacity:
            check_capacity(locked)
        attendee = new_attendee(locked, profile, source="onsite")
        result = _check_in(session, attendee, utcnow(), by_organizer_id, "onsite")
        if clean_email:
            message = queue_confirmation(attendee, locked)
            session.flush()
            if message is not None:
                message_ids.append(message.id)
    dispatch(message_ids)
    return attendee, result
