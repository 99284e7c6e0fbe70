"""Attendee imports: parse a file into a plan, report every bad row, apply all or nothing.

The formats (eventnet, Eventbrite, Meetup, Luma) live in ``services.import_formats``; this
module plans and applies. Applying writes new attendees in batches (one multi-row statement
per ``BATCH_ROWS`` attendees, badges and people) inside one transaction, so that 50,000 rows
take seconds, not the minutes one ORM object at a time took. The web runs it as a job
(``services.import_jobs``); the CLI calls it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, insert, select, text

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Badge, CheckIn, Event, Person, utcnow
from eventnet.services import tokens
from eventnet.services.attendees import lock_for_registration
from eventnet.services.checkins import check_in
from eventnet.services.errors import Invalid
from eventnet.services.import_formats import (
    MAX_IMPORT_BYTES,
    PARSERS,
    ImportPlan,
    ImportRow,
    RowError,
    decode_csv,
    detect_format,
    row_progress,
)
from eventnet.services.profiles import Profile, apply_profile, person_for

__all__ = [
    "MAX_IMPORT_BYTES", "PARSERS", "ImportPlan", "ImportResult", "ImportRow", "RowError",
    "apply_import", "check_file", "decode_csv", "detect_format", "plan_import",
]

#: attendees (and their badges, people, check-ins) per INSERT of many rows
BATCH_ROWS = 1000

_T = TypeVar("_T")


@dataclass
class ImportResult:
    """What applying a plan did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    checked_in: int = 0


Parser = Callable[[list[list[str]], Event], ImportPlan]


def _read(data: bytes, fmt: str) -> tuple[list[list[str]], str, Parser]:
    """The file's rows, its format and that format's parser. Raises Invalid (encoding,
    separator, an unknown format, no data rows)."""
    rows = decode_csv(data)
    if fmt == "auto":
        fmt = detect_format(rows[0])
    parser = PARSERS.get(fmt)
    if parser is None:
        raise Invalid(_("Unknown import format: %(fmt)s", fmt=fmt), code="unknown_format")
    if len(rows) < 2:
        raise Invalid(_("The file has a header row but no attendees."), code="empty")
    return rows, fmt, parser


def plan_import(event: Event, data: bytes, fmt: str = "auto",
                on_progress: Callable[[int, int], None] | None = None) -> ImportPlan:
    """Parse an uploaded file into a plan without changing anything. Raises Invalid.

    ``on_progress`` is called with (rows read, data rows) as the rows are checked.
    """
    rows, _fmt, parser = _read(data, fmt)
    token = row_progress.set(on_progress)
    try:
        return parser(rows, event)
    finally:
        row_progress.reset(token)


def check_file(event: Event, data: bytes, fmt: str = "auto") -> tuple[str, int]:
    """Refuse a file that cannot be imported at all (size, encoding, separator, format,
    missing columns, no rows) without checking every row; returns its format and how many
    data rows it has. Raises Invalid."""
    rows, fmt, parser = _read(data, fmt)
    parser(rows[:2], event)  # the header's checks (required columns) raise here
    return fmt, len(rows) - 1


#: profile fields an import may set on an attendee who exists already
_IMPORTED_FIELDS = ("name", "email", "company", "title", "interests", "offers", "asks",
                    "links", "phone")


def _find(row: ImportRow, by_email: dict[str, Any], by_ref: dict[str, Any]) -> Any:
    if row.external_ref and row.external_ref in by_ref:
        return by_ref[row.external_ref]
    if row.profile.email and row.profile.email in by_email:
        return by_email[row.profile.email]
    return None


def _update(attendee: Attendee, row: ImportRow) -> bool:
    """Lay the row's non-empty fields over the attendee; returns whether anything changed."""
    changed = False
    current = {k: getattr(attendee, k) for k in Profile.__dataclass_fields__}
    for name in _IMPORTED_FIELDS:
        value = getattr(row.profile, name)
        # An import never changes an address the attendee already has: that is their login.
        if value and not (name == "email" and attendee.email):
            current[name] = value
    answers = {k: v for k, v in row.profile.answers.items() if v not in ("", None, False)}
    if answers:
        current["answers"] = {**(attendee.answers or {}), **answers}
    if attendee.email is None and row.profile.email:
        attendee.person = person_for(attendee.event, row.profile.email)
    changed = apply_profile(attendee, Profile(**current))
    if row.external_ref and attendee.external_ref is None:
        attendee.external_ref = row.external_ref
        changed = True
    return changed


CONSENTS = ("share_contact", "introductions", "followup")


def _chunks(items: Sequence[_T], size: int = BATCH_ROWS) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def apply_import(event_id: int, plan: ImportPlan,
                 consents: frozenset[str] | set[str] = frozenset(),
                 on_progress: Callable[[int], None] | None = None) -> ImportResult:
    """Create or update every row of a valid plan in one transaction. Raises Invalid.

    Rows match existing attendees by platform id first, then by email, so importing the
    same file twice changes nothing. Erased attendees are left alone. ``consents`` (names
    from CONSENTS) are recorded for the attendees this import creates, when the organizer's
    registration platform collected them; an import never changes the consents of someone
    who is already registered, so a withdrawal always stands.

    The event is locked for the transaction (as registrations lock it), so two imports of
    one event never interleave: the second sees what the first stored. ``on_progress`` is
    called with the number of rows handled after each batch, from inside the transaction.
    """
    unknown = set(consents) - set(CONSENTS)
    if unknown:
        raise Invalid(_("Unknown consent: %(names)s", names=", ".join(sorted(unknown))),
                      code="unknown_consent")
    if not plan.is_valid:
        raise Invalid(ngettext("The file has %(num)d rejected row; nothing was imported.",
                               "The file has %(num)d rejected rows; nothing was imported.",
                               len(plan.errors)), code="rejected_rows")
    result = ImportResult()
    with write_transaction() as session:
        event = lock_for_registration(event_id)
        existing = session.execute(
            select(Attendee.id, Attendee.email, Attendee.external_ref, Attendee.erased_at)
            .where(Attendee.event_id == event_id)).all()
        by_email = {a.email: a for a in existing if a.email}
        by_ref = {a.external_ref: a for a in existing if a.external_ref}
        new_rows: list[ImportRow] = []
        matched: list[tuple[ImportRow, int]] = []
        for row in plan.rows:
            found = _find(row, by_email, by_ref)
            if found is None:
                new_rows.append(row)
            elif found.erased_at is not None:
                result.unchanged += 1
            elif found.email is None and row.profile.email in by_email:
                # The platform id points at one attendee, the email at another: refuse
                # rather than merge two people.
                raise Invalid(_("Line %(line)d: %(email)s is already registered as another "
                                "attendee; nothing was imported.",
                                line=row.line, email=row.profile.email), code="email_taken")
            else:
                matched.append((row, found.id))
        handled = result.unchanged
        for pairs in _chunks(matched):
            _update_batch(pairs, result)
            handled += len(pairs)
            if on_progress is not None:
                on_progress(handled)
        source = f"import:{plan.format}"
        people = _people(event.community_id,
                         [r.profile.email for r in new_rows if r.profile.email])
        ids = _new_ids(Attendee, len(new_rows))
        for start in range(0, len(new_rows), BATCH_ROWS):
            chunk = new_rows[start:start + BATCH_ROWS]
            result.checked_in += _insert_batch(event_id, chunk, ids[start:start + len(chunk)],
                                               people, source, consents)
            result.created += len(chunk)
            handled += len(chunk)
            if on_progress is not None:
                on_progress(handled)
    return result


def _update_batch(chunk: Sequence[tuple[ImportRow, int]], result: ImportResult) -> None:
    """Lay the rows over the attendees they matched (rarely many: a file imported again)."""
    loaded = {a.id: a for a in db.session.scalars(
        select(Attendee).where(Attendee.id.in_([attendee_id for _row, attendee_id in chunk])))}
    arrivals = []
    for row, attendee_id in chunk:
        attendee = loaded[attendee_id]
        if _update(attendee, row):
            result.updated += 1
        else:
            result.unchanged += 1
        if row.checked_in_at is not None:
            arrivals.append((attendee_id, row.checked_in_at))
    db.session.flush()
    for attendee_id, at in arrivals:
        if check_in(attendee_id, method="import", at=at).is_new:
            result.checked_in += 1


def _people(community_id: int, emails: list[str]) -> dict[str, int]:
    """The community's person id for each address, adding the people it lacks."""
    # All of the community's people in one query: a long IN list per batch made PostgreSQL
    # scan the table once per batch (50,000 rows took minutes).
    found: dict[str, int] = {email: person_id for email, person_id in db.session.execute(
        select(Person.email, Person.id).where(Person.community_id == community_id))}
    missing = [email for email in emails if email not in found]
    ids = _new_ids(Person, len(missing))
    now = utcnow()
    for start in range(0, len(missing), BATCH_ROWS):
        batch = dict(zip(missing[start:start + BATCH_ROWS], ids[start:start + BATCH_ROWS],
                         strict=True))
        db.session.execute(insert(Person.__table__), [
            {"id": person_id, "community_id": community_id, "email": email, "created_at": now}
            for email, person_id in batch.items()])
        found.update(batch)
    return found


def _new_ids(model: Any, count: int) -> list[int]:
    """Ids for ``count`` new rows of ``model``, taken before the insert: an attendee's
    personal API secret (stored as its hash, which must be unique) is derived from its id,
    and a plain executemany (PostgreSQL pipelines it) returns no ids."""
    if count == 0:
        return []
    table = model.__tablename__
    if db.session.get_bind().dialect.name == "postgresql":
        return list(db.session.scalars(text(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
            "FROM generate_series(1, :n)"), {"n": count}))
    # SQLite: the write transaction holds the database's only write lock.
    first = (db.session.scalar(select(func.max(model.id))) or 0) + 1
    return list(range(first, first + count))


_PROFILE_FIELDS = tuple(Profile.__dataclass_fields__)


def _insert_batch(event_id: int, rows: Sequence[ImportRow], ids: Sequence[int],
                  people: dict[str, int], source: str, consents: frozenset[str] | set[str]
                  ) -> int:
    """Insert these new attendees with their badges (and check-ins) in a few statements;
    returns how many were checked in."""
    now = utcnow()
    attendees: list[dict[str, Any]] = []
    badges: list[dict[str, Any]] = []
    arrivals: list[dict[str, Any]] = []
    for row, attendee_id in zip(rows, ids, strict=True):
        values = {name: getattr(row.profile, name) for name in _PROFILE_FIELDS}
        for name in consents:
            values[f"consent_{name}"] = True
        values.update(
            id=attendee_id, event_id=event_id, source=source, external_ref=row.external_ref,
            person_id=people.get(row.profile.email) if row.profile.email else None,
            access_token_hash=tokens.sha256(tokens.attendee_access_token(attendee_id, 1)),
            secret_version=1, registered_at=now, updated_at=now, magic_link_spent_at=None,
            unsubscribed_at=None, erased_at=None)
        attendees.append(values)
        badges.append({"attendee_id": attendee_id, "token": tokens.new_badge_token(),
                       "created_at": now, "revoked_at": None})
        if row.checked_in_at is not None:
            arrivals.append({"event_id": event_id, "attendee_id": attendee_id,
                             "checked_in_at": row.checked_in_at, "by_organizer_id": None,
                             "method": "import"})
    # Plain executemany: psycopg pipelines it, SQLite runs it in C; both beat multi-row
    # VALUES statements, which SQLAlchemy spends more time rendering than they save.
    db.session.execute(insert(Attendee.__table__), attendees)
    db.session.execute(insert(Badge.__table__), badges)
    if arrivals:
        db.session.execute(insert(CheckIn.__table__), arrivals)
    return len(arrivals)
