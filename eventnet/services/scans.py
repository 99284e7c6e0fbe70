"""Recording badge scans and keeping each pair's Connection up to date.

Safe under concurrency on both backends: a replayed ``client_id`` and a pair's first
connection are inserted with ON CONFLICT DO NOTHING and the connection row is locked
(PostgreSQL) or the whole write serialized (SQLite, BEGIN IMMEDIATE) before it is updated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Badge, Connection, Scan, utcnow
from eventnet.services.errors import Conflict, Invalid, NotFound

#: a second scan of the same person by the same scanner within this window is stored
#: but does not count as another encounter
REPEAT_WINDOW = timedelta(minutes=10)
MAX_NOTE_LENGTH = 2000
MAX_TAGS = 10
MAX_CLIENT_ID_LENGTH = 100
#: offline replays may be this old, and no later than the server clock allows
MAX_REPLAY_AGE = timedelta(days=30)
MAX_CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class ScanResult:
    """A recorded scan: ``is_new`` is False when its ``client_id`` was recorded before."""

    scan_id: int
    connection_id: int
    is_new: bool
    is_counted: bool


def _insert(session: object, model: type) -> object:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model))


def check_scan_input(note: str, tags: list[str] | tuple[str, ...], client_id: str | None,
                     scanned_at: datetime | None) -> tuple[str, list[str]]:
    """Validate a scan's free fields; returns the cleaned note and tags. Raises Invalid."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise Invalid(_("The note is too long (%(n)d characters at most).", n=MAX_NOTE_LENGTH),
                      code="note_too_long", field="note")
    clean_tags: list[str] = []
    for tag in tags or []:
        if not isinstance(tag, str) or not tag.strip() or len(tag) > 50:
            raise Invalid(_("Tags are short non-empty texts."), code="invalid_tags",
                          field="tags")
        if tag.strip() not in clean_tags:
            clean_tags.append(tag.strip())
    if len(clean_tags) > MAX_TAGS:
        raise Invalid(_("At most %(n)d tags.", n=MAX_TAGS), code="invalid_tags", field="tags")
    if client_id is not None and (not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH):
        raise Invalid(_("client_id must be 1 to %(n)d characters.", n=MAX_CLIENT_ID_LENGTH),
                      code="invalid_client_id", field="client_id")
    if scanned_at is not None:
        if scanned_at.tzinfo is None:
            raise Invalid(_("scanned_at needs a time zone offset (e.g. Z or +02:00)."),
                          code="invalid_scanned_at", field="scanned_at")
        now = utcnow()
        if scanned_at > now + MAX_CLOCK_SKEW or scanned_at < now - MAX_REPLAY_AGE:
            raise Invalid(_("scanned_at is too far from the current time."),
                          code="invalid_scanned_at", field="scanned_at")
    return note, clean_tags


def resolve_badge(scanner: Attendee, token: str) -> Attendee:
    """The attendee behind a badge that ``scanner`` may record. Raises NotFound/Conflict."""
    badge = db.session.scalar(select(Badge).where(Badge.token == token))
    if badge is None or badge.attendee.erased_at is not None:
        raise NotFound(_("Unknown badge."), code="unknown_badge")
    if badge.attendee.event_id != scanner.event_id:
        raise Conflict(_("This badge is for another event."), code="other_event")
    if badge.revoked_at is not None:
        raise Conflict(_("This badge was revoked; its owner has a new one."),
                       code="badge_revoked")
    return badge.attendee


def record_scan(scanner_id: int, scanned_id: int, *, note: str = "",
                tags: list[str] | tuple[str, ...] = (), scanned_at: datetime | None = None,
                client_id: str | None = None, source: str = "api") -> ScanResult:
    """Record that ``scanner`` scanned ``scanned``; idempotent per ``client_id``.

    Raises Invalid (self-scan, bad fields) or NotFound / Conflict (unknown, other event).
    """
    if scanner_id == scanned_id:
        raise Invalid(_("You cannot scan your own badge."), code="self_scan")
    note, tags = check_scan_input(note, list(tags), client_id, scanned_at)
    with write_transaction() as session:
        return _record(session, scanner_id, scanned_id, note, tags, scanned_at, client_id,
                       source)


def _record(session: object, scanner_id: int, scanned_id: int, note: str, tags: list[str],
            scanned_at: datetime | None, client_id: str | None, source: str) -> ScanResult:
    s = db.session
    scanner = s.get(Attendee, scanner_id)
    scanned = s.get(Attendee, scanned_id)
    if scanner is None or scanned is None or scanner.erased_at or scanned.erased_at:
        raise NotFound(_("Unknown attendee."), code="unknown_attendee")
    if scanner.event_id != scanned.event_id:
        raise Conflict(_("This badge is for another event."), code="other_event")
    now = utcnow()
    at = scanned_at or now
    a_id, b_id = sorted((scanner_id, scanned_id))

    if client_id is not None:
        existing = s.scalar(select(Scan).where(Scan.scanner_id == scanner_id,
                                               Scan.client_id == client_id))
        if existing is not None:
            return _replayed(existing, scanned_id)

    previous = s.scalar(
        select(func.max(Scan.scanned_at)).where(
            Scan.scanner_id == scanner_id, Scan.scanned_id == scanned_id,
            Scan.is_counted.is_(True))
    )
    is_counted = previous is None or abs(at - previous) >= REPEAT_WINDOW

    values = dict(event_id=scanner.event_id, scanner_id=scanner_id, scanned_id=scanned_id,
                  scanned_at=at, recorded_at=now, note=note, tags=tags, client_id=client_id,
                  source=source, is_counted=is_counted)
    stmt = _insert(s, Scan).values(**values)
    if client_id is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["scanner_id", "client_id"])
    scan_id = s.execute(stmt.returning(Scan.id)).scalar()
    if scan_id is None:
        # A concurrent replay of the same client_id won the race (PostgreSQL).
        existing = s.scalar(select(Scan).where(Scan.scanner_id == scanner_id,
                                               Scan.client_id == client_id))
        assert existing is not None
        return _replayed(existing, scanned_id)

    s.execute(
        _insert(s, Connection).values(
            event_id=scanner.event_id, a_id=a_id, b_id=b_id, first_met_at=at, last_met_at=at,
            scan_count=0, a_scan_count=0, b_scan_count=0, is_mutual=False, a_note="",
            b_note="", a_tags=[], b_tags=[],
        ).on_conflict_do_nothing(index_elements=["a_id", "b_id"])
    )
    query = select(Connection).where(Connection.a_id == a_id, Connection.b_id == b_id)
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    conn = s.execute(query.execution_options(populate_existing=True)).scalar_one()
    side = "a" if scanner_id == a_id else "b"
    if is_counted:
        conn.scan_count += 1
        setattr(conn, f"{side}_scan_count", getattr(conn, f"{side}_scan_count") + 1)
    elif getattr(conn, f"{side}_scan_count") == 0:
        setattr(conn, f"{side}_scan_count", 1)
    conn.first_met_at = min(conn.first_met_at, at)
    conn.last_met_at = max(conn.last_met_at, at)
    conn.is_mutual = conn.a_scan_count > 0 and conn.b_scan_count > 0
    if note:
        old = getattr(conn, f"{side}_note")
        setattr(conn, f"{side}_note", f"{old}\n{note}".strip() if note not in old else old)
    if tags:
        merged = list(getattr(conn, f"{side}_tags"))
        merged += [t for t in tags if t not in merged]
        setattr(conn, f"{side}_tags", merged)
    return ScanResult(scan_id=scan_id, connection_id=conn.id, is_new=True,
                      is_counted=is_counted)


def _replayed(existing: Scan, scanned_id: int) -> ScanResult:
    if existing.scanned_id != scanned_id:
        raise Conflict(_("This client_id was already used for another badge."),
                       code="client_id_reused", field="client_id")
    a_id, b_id = sorted((existing.scanner_id, existing.scanned_id))
    conn_id = db.session.scalar(
        select(Connection.id).where(Connection.a_id == a_id, Connection.b_id == b_id))
    return ScanResult(scan_id=existing.id, connection_id=conn_id or 0, is_new=False,
                      is_counted=existing.is_counted)
