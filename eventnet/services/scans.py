"""Recording badge scans and keeping each pair's Connection up to date.

One rule, one place: the badge page, the in-app scanner, the JSON API and the CSV importer
all end in ``record``. It is safe under concurrency on both backends: the pair's connection
row is upserted first, which locks it on PostgreSQL (and SQLite serializes every write with
BEGIN IMMEDIATE), so the repeat-window check and the counters see every earlier scan of the
pair; a replayed ``client_id`` hits a unique constraint and is answered from the stored row.

The path is kept lean on purpose (it is the hottest write of an event): statements built once
per dialect, run on a bare DB-API cursor, fetching only the columns they need.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    Boolean,
    Integer,
    String,
    and_,
    bindparam,
    case,
    extract,
    func,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import aliased

from eventnet.database import (
    CompiledStatement,
    Steps,
    conflict_insert,
    group_write,
    raw_read,
    run_steps,
    session_cursor,
    write_transaction,
)
from eventnet.extensions import db
from eventnet.models import Attendee, Badge, Connection, Scan, utcnow
from eventnet.models._types import JSONType, UTCDateTime
from eventnet.services import links, tokens
from eventnet.services.errors import Conflict, EventnetError, Invalid, NotFound, Unauthorized
from eventnet.services.organizers import normalize_email
from eventnet.services.storable import clean_name, clean_text

#: a second scan of the same person by the same scanner within this window is stored
#: but does not count as another encounter
REPEAT_WINDOW = timedelta(minutes=10)
#: the connection's values that depend on whether a scan counts
_COUNTED_ONLY = ("scan_count", "a_count", "b_count", "mutual")
MAX_NOTE_LENGTH = 2000
MAX_TAGS = 10
MAX_TAG_LENGTH = 50
MAX_CLIENT_ID_LENGTH = 100
#: offline replays may be this old, and no later than the server clock allows
MAX_REPLAY_AGE = timedelta(days=30)
MAX_CLOCK_SKEW = timedelta(minutes=5)
SOURCES = ("badge", "scanner", "api", "import")
#: a magic link must stay well under servers' request-line limits (gunicorn: 4094 bytes);
#: a pending scan's path is wrapped once more in the magic link's own token
MAX_PENDING_PATH = 2000


@dataclass
class ScanResult:
    """A recorded scan: ``is_new`` is False when its ``client_id`` was recorded before."""

    scan_id: int
    connection_id: int
    scanned_id: int
    is_new: bool
    is_counted: bool
    #: the connection as the scanner now sees it (id, counts, times, my note and tags);
    #: None for a replay, which changed nothing
    connection: dict[str, Any] | None = None


@dataclass
class BadgeOwner:
    """A badge's owner: what scanning needs, and their card for the scanner's answer."""

    attendee_id: int
    event_id: int
    card: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScannerRef:
    """The attendee behind an access token: just what the scan path needs."""

    attendee_id: int
    event_id: int
    #: the access token's hash, for ``scan_badge`` to check it again in its own statement
    token_hash: str = ""


#: valid access tokens seen lately, per process, for the scan API: it then finds the scanner
#: without a query of its own, and checks the token again inside its badge lookup, so a
#: revoked token (new secret_version, erasure) stops scanning at once. Other callers look the
#: token up each time. Unknown tokens are never cached.
TOKEN_CACHE_SECONDS = 30.0
TOKEN_CACHE_SIZE = 20_000
_token_cache: dict[str, tuple[float, ScannerRef]] = {}
#: badge token → (expiry, its owner and their card), as last read by a scan in this process.
#: A scan then reads nothing before it writes: its connection upsert checks, in the write
#: transaction, that the badge is still valid, its owner not erased and still as willing to
#: share contact details, and the scanner's access token still theirs (``upsert_checked``).
#: When one of these changed (in any process), the scan looks the badge up again at once.
#: Names and profiles on the card may lag an edit by up to BADGE_CACHE_SECONDS.
BADGE_CACHE_SECONDS = 30.0
_badge_cache: dict[str, tuple[float, BadgeOwner]] = {}


class _OwnerChanged(Exception):
    """The badge, its owner or the scanner changed since the cached lookup."""


def scanner_for_token(token: str, *, cached: bool = False) -> ScannerRef | None:
    """The (not erased) attendee owning this personal API secret, if any.

    ``cached``: may answer from the per-process cache (only for ``scan_badge``, which checks
    the token again).
    """
    if not token.startswith("ea_") or len(token) > 100:
        return None
    digest = tokens.sha256(token)
    now = time.monotonic()
    if cached:
        entry = _token_cache.get(digest)
        if entry is not None and entry[0] > now:
            return entry[1]
    with raw_read() as cursor:
        rows = _sql()["scanner"].run(cursor, {"hash": digest})
    if not rows:
        _token_cache.pop(digest, None)
        return None
    if len(_token_cache) >= TOKEN_CACHE_SIZE:
        _token_cache.clear()
    attendee_id, event_id = rows[0]
    ref = ScannerRef(attendee_id, event_id, token_hash=digest)
    _token_cache[digest] = (now + TOKEN_CACHE_SECONDS, ref)
    return ref


def invalid_token() -> Unauthorized:
    """The refusal of an access token that is not (or no longer) valid."""
    return Unauthorized(_("This access token is not valid (or no longer)."),
                        code="invalid_token")


def forget_cached_tokens() -> None:
    """Drop the token cache (after revoking or erasing in this process; tests)."""
    _token_cache.clear()
    _badge_cache.clear()


# The scan path's statements are built with SQLAlchemy once per dialect, compiled to the
# driver's SQL, and run on a bare DB-API cursor with the columns' own type conversions: on the
# hottest write of an event, the ORM session and the per-statement execution machinery cost
# several times more than the database work itself.
_CARD = (Attendee.name, Attendee.company, Attendee.title, Attendee.interests, Attendee.offers,
         Attendee.asks, Attendee.email, Attendee.links, Attendee.phone,
         Attendee.consent_share_contact)


_statements: dict[str, dict[str, CompiledStatement]] = {}


def _sql(dialect: Dialect | None = None) -> dict[str, CompiledStatement]:
    """The compiled statements of the scan path for the current database."""
    dialect = dialect or db.engine.dialect
    built = _statements.get(dialect.name)
    if built is not None:
        return built

    def insert(model: Any) -> Any:
        return conflict_insert(model, dialect.name)

    c = Connection.__table__.c
    scanner = aliased(Attendee)
    upsert = insert(Connection).values(
        event_id=bindparam("event_id"), a_id=bindparam("a_id"), b_id=bindparam("b_id"),
        first_met_at=bindparam("at"), last_met_at=bindparam("at"), scan_count=0,
        a_scan_count=0, b_scan_count=0, is_mutual=False, a_note="", b_note="",
        a_tags=[], b_tags=[])
    scan = insert(Scan).values(
        event_id=bindparam("event_id"), scanner_id=bindparam("scanner_id"),
        scanned_id=bindparam("scanned_id"), scanned_at=bindparam("scanned_at"),
        recorded_at=bindparam("recorded_at"), note=bindparam("note"), tags=bindparam("tags"),
        client_id=bindparam("client_id"), source=bindparam("source"),
        is_counted=bindparam("is_counted"))
    # the same upsert, made only while the badge, its owner and the scanner are as cached.
    # (Not the owner's event: an attendee never changes events, and the cached owner's event
    # is compared with the scanner's on every scan. With it, PostgreSQL may look the owner
    # up through the event's index, all of its attendees, instead of by id: 1 ms a scan.)
    badge_still_valid = select(Badge.id).join(Attendee, Attendee.id == Badge.attendee_id).where(
        Badge.token == bindparam("token"), Badge.attendee_id == bindparam("scanned_id"),
        Badge.revoked_at.is_(None), Attendee.erased_at.is_(None),
        Attendee.consent_share_contact == bindparam("consent", type_=Boolean())).exists()
    scanner_still_valid = select(scanner.id).where(
        scanner.id == bindparam("scanner_id"), scanner.erased_at.is_(None),
        or_(bindparam("token_hash", type_=String()) == "",
            scanner.access_token_hash == bindparam("token_hash", type_=String()))).exists()
    upsert_checked = insert(Connection).from_select(
        ["event_id", "a_id", "b_id", "first_met_at", "last_met_at", "scan_count", "a_scan_count",
         "b_scan_count", "is_mutual", "a_note", "b_note", "a_tags", "b_tags"],
        select(bindparam("event_id", type_=Integer()), bindparam("a_id", type_=Integer()),
               bindparam("b_id", type_=Integer()), bindparam("at", type_=UTCDateTime()),
               bindparam("at", type_=UTCDateTime()), literal(0), literal(0), literal(0),
               literal(False), literal(""), literal(""), literal([], JSONType),
               literal([], JSONType)).where(badge_still_valid, scanner_still_valid))
    previous = select(func.max(Scan.scanned_at)).where(
        Scan.scanner_id == bindparam("scanner_id"), Scan.scanned_id == bindparam("scanned_id"),
        Scan.is_counted.is_(True)).scalar_subquery()
    fold = update(Connection).where(Connection.id == bindparam("conn_id")).values(
        scan_count=bindparam("scan_count"), a_scan_count=bindparam("a_count"),
        b_scan_count=bindparam("b_count"), first_met_at=bindparam("first"),
        last_met_at=bindparam("last"), is_mutual=bindparam("mutual"),
        a_note=bindparam("a_note_new"), b_note=bindparam("b_note_new"),
        a_tags=bindparam("a_tags_new"), b_tags=bindparam("b_tags_new"))
    connection_state = (
        c.id, c.scan_count, c.a_scan_count, c.b_scan_count, c.first_met_at, c.last_met_at,
        c.a_note, c.b_note, c.a_tags, c.b_tags,
        # the scanner's last counted scan of this person, for the repeat window (PostgreSQL
        # decides it in the scan's own statement, below)
        (type_coerce(previous, UTCDateTime()) if dialect.name != "postgresql"
         else literal(None, UTCDateTime())).label("previous"))
    statements = {
        "scanner": select(Attendee.id, Attendee.event_id).where(
            Attendee.access_token_hash == bindparam("hash"), Attendee.erased_at.is_(None)),
        "owner": select(Badge.attendee_id, Badge.revoked_at, Attendee.event_id,
                        Attendee.erased_at, *_CARD,
                        # the scanner's access token is still theirs (API scans only)
                        select(scanner.id).where(
                            scanner.id == bindparam("scanner_id"),
                            scanner.access_token_hash == bindparam("token_hash"),
                            scanner.erased_at.is_(None)).scalar_subquery())
        .join(Attendee, Attendee.id == Badge.attendee_id)
        .where(Badge.token == bindparam("token")),
        # the no-op update takes the row lock (PostgreSQL) and returns the current state
        "upsert": upsert.on_conflict_do_update(index_elements=["a_id", "b_id"],
                                               set_={"a_id": upsert.excluded.a_id})
        .returning(*connection_state),
        "upsert_checked": upsert_checked.on_conflict_do_update(
            index_elements=["a_id", "b_id"], set_={"a_id": upsert_checked.excluded.a_id})
        .returning(*connection_state),
        "scan": scan.on_conflict_do_nothing(index_elements=["scanner_id", "client_id"])
        .returning(Scan.id),
        "replayed": select(Scan.id, Scan.scanned_id, Scan.is_counted, Connection.id)
        .outerjoin(Connection, and_(Connection.a_id == bindparam("a_id"),
                                    Connection.b_id == bindparam("b_id")))
        .where(Scan.scanner_id == bindparam("scanner_id"),
               Scan.client_id == bindparam("client_id")),
        "update": fold,
    }
    if dialect.name == "postgresql":
        # The scan row, whether it counts, and the fold only if the scan was new, in one
        # statement: the repeat window is decided by the statement that follows the upsert's
        # row lock (its snapshot sees a scan of the pair committed while the upsert waited).
        # (no earlier counted scan: NULL, which counts; one look at the scans, not two)
        is_counted = func.coalesce(func.abs(extract(
            "epoch", bindparam("scanned_at", type_=UTCDateTime()) - previous))
            >= REPEAT_WINDOW.total_seconds(), True)
        new_scan = scan.values(is_counted=is_counted).on_conflict_do_nothing(
            index_elements=["scanner_id", "client_id"]).returning(
            Scan.id, Scan.is_counted).cte("new_scan")

        def counted_or_repeat(name: str) -> Any:
            return case((new_scan.c.is_counted, bindparam(name)),
                        else_=bindparam(f"{name}_repeat"))

        statements["scan_and_update"] = fold.values(
            scan_count=counted_or_repeat("scan_count"),
            a_scan_count=counted_or_repeat("a_count"),
            b_scan_count=counted_or_repeat("b_count"),
            is_mutual=counted_or_repeat("mutual")).where(new_scan.c.id.is_not(None)) \
            .add_cte(new_scan).returning(new_scan.c.id, new_scan.c.is_counted)
    built = {name: CompiledStatement(statement, dialect)
             for name, statement in statements.items()}
    _statements[dialect.name] = built
    return built


def check_scan_input(note: str | None, tags: list[str] | tuple[str, ...] | None,
                     client_id: str | None,
                     scanned_at: datetime | None) -> tuple[str, list[str]]:
    """Validate a scan's free fields; returns the cleaned note and tags (no control or bidi
    character: ``storable.clean_text``; tags on one line). Raises Invalid."""
    if not isinstance(note, str | None):
        raise Invalid(_("The note must be text."), code="invalid_note", field="note")
    if len(note or "") > MAX_NOTE_LENGTH:
        raise Invalid(_("The note is too long (%(n)d characters at most).", n=MAX_NOTE_LENGTH),
                      code="note_too_long", field="note")
    note = clean_text(note or "").strip()
    if not isinstance(tags, list | tuple | None):
        raise Invalid(_("Tags must be a list of texts."), code="invalid_tags", field="tags")
    if len(tags or ()) > MAX_TAGS:  # as sent, repeats included: what the API document says
        raise Invalid(_("At most %(n)d tags.", n=MAX_TAGS), code="invalid_tags", field="tags")
    clean_tags: list[str] = []
    for tag in tags or []:
        clean = clean_name(tag) if isinstance(tag, str) else ""
        if not clean or len(tag) > MAX_TAG_LENGTH:
            raise Invalid(_("Tags are short non-empty texts (%(n)d characters at most).",
                            n=MAX_TAG_LENGTH), code="invalid_tags", field="tags")
        if clean not in clean_tags:
            clean_tags.append(clean)
    if client_id is not None and (not isinstance(client_id, str) or not client_id.strip()
                                  or len(client_id) > MAX_CLIENT_ID_LENGTH):
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


def parse_scanned_at(raw: object) -> datetime | None:
    """Parse an ISO 8601 timestamp with an offset (``Z`` allowed).

    Raises EventnetError (400, ``invalid_scanned_at``) when it is not one.
    """
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise EventnetError(
            _("scanned_at must be an ISO 8601 text, e.g. 2026-05-04T18:30:00Z."),
            code="invalid_scanned_at", field="scanned_at")
    try:
        value = datetime.fromisoformat(raw.strip().replace("z", "Z"))
    except ValueError as exc:
        raise EventnetError(_("scanned_at is not an ISO 8601 time, e.g. 2026-05-04T18:30:00Z."),
                            code="invalid_scanned_at", field="scanned_at") from exc
    if value.tzinfo is None:
        raise EventnetError(_("scanned_at needs a time zone offset (e.g. Z or +02:00)."),
                            code="invalid_scanned_at", field="scanned_at")
    return value


def badge_owner(event_id: int, token: str) -> BadgeOwner:
    """Who wears the badge ``token``, for a scanner at ``event_id``.

    Raises NotFound (unknown badge), Conflict (``other_event``, ``badge_revoked``).
    """
    return _badge_owner(session_cursor(), _sql(), event_id, token)


def _badge_owner(cursor: Any, sql: dict[str, CompiledStatement], event_id: int, token: str,
                 scanner_id: int = 0, token_hash: str = "") -> BadgeOwner:
    """The badge's owner; with ``token_hash``, also checks that the scanner's access token
    is still valid (raises Unauthorized), in the same statement."""
    owner: BadgeOwner = run_steps(cursor, _badge_owner_steps(sql, event_id, token, scanner_id,
                                                             token_hash))
    return owner


def _badge_owner_steps(sql: dict[str, CompiledStatement], event_id: int, token: str,
                       scanner_id: int = 0, token_hash: str = "") -> Steps:
    """``_badge_owner`` as statements (``database.Steps``), to run inside a scan's write."""
    if not isinstance(token, str) or not token or len(token) > 200:
        raise NotFound(_("Unknown badge."), code="unknown_badge")
    rows = yield sql["owner"], {"token": token_from_text(token), "scanner_id": scanner_id,
                                "token_hash": token_hash}
    if token_hash:
        # the owner row carries the check; with no row (an unknown badge) ask on its own
        token_valid = (rows[0][-1] is not None if rows
                       else bool((yield sql["scanner"], {"hash": token_hash})))
        if not token_valid:
            _token_cache.pop(token_hash, None)
            raise invalid_token()
    if not rows:
        raise NotFound(_("Unknown badge."), code="unknown_badge")
    attendee_id, revoked_at, owner_event_id, erased_at, *card_values, _scanner_ok = rows[0]
    if erased_at is not None:
        raise NotFound(_("Unknown badge."), code="unknown_badge")
    if owner_event_id != event_id:
        raise Conflict(_("This badge is for another event."), code="other_event")
    if revoked_at is not None:
        raise Conflict(_("This badge was revoked; its owner has a new one."),
                       code="badge_revoked")
    card = {"id": attendee_id, **{col.key: value for col, value in zip(_CARD, card_values,
                                                                       strict=True)}}
    return BadgeOwner(attendee_id, owner_event_id, card)


def token_from_text(text: str) -> str:
    """The badge token in what a QR code decodes to: a bare token or a ``.../b/<token>`` URL."""
    text = text.strip()
    if "/b/" in text:
        text = text.rsplit("/b/", 1)[1]
    return text.split("?", 1)[0].split("#", 1)[0].strip("/")


def resolve_badge(scanner: Attendee, token: str) -> Attendee:
    """The attendee behind a badge that ``scanner`` may record. Raises NotFound/Conflict."""
    owner = badge_owner(scanner.event_id, token)
    attendee = db.session.get(Attendee, owner.attendee_id)
    assert attendee is not None
    return attendee


def scan_badge(scanner_id: int, event_id: int, token: str, *, note: str | None = "",
               tags: list[str] | tuple[str, ...] | None = (),
               scanned_at: datetime | None = None, client_id: str | None = None,
               source: str = "api", token_hash: str = "") -> ScanResult:
    """Record that ``scanner`` scanned the badge ``token``; idempotent per ``client_id``.

    ``token_hash``: the scanner's access token (API scans), checked again in the badge lookup.
    Raises NotFound (unknown badge), Conflict (other event, revoked badge, reused client_id),
    Invalid (self-scan, bad fields) or Unauthorized (the access token is no longer valid).
    """
    note, clean_tags = check_scan_input(note, tags, client_id, scanned_at)
    sql, is_postgresql = _sql(), db.engine.dialect.name == "postgresql"
    now = time.monotonic()
    cached = _badge_cache.get(token)
    if cached is not None and cached[0] > now:
        owner = cached[1]
        if owner.event_id != event_id:
            raise Conflict(_("This badge is for another event."), code="other_event")
    else:
        with raw_read() as cursor:
            owner = _badge_owner(cursor, sql, event_id, token, scanner_id, token_hash)
        if len(_badge_cache) >= TOKEN_CACHE_SIZE:
            _badge_cache.clear()
        _badge_cache[token] = (now + BADGE_CACHE_SECONDS, owner)
    if owner.attendee_id == scanner_id:
        raise Invalid(_("This is your own badge: scan someone else's."), code="self_scan")

    def write() -> Steps:
        """The scan's statements (run in lockstep with concurrent scans: ``group_write``)."""
        try:
            result = yield from record_steps(
                event_id, scanner_id, owner.attendee_id, note, clean_tags, scanned_at,
                client_id, source, sql=sql, is_postgresql=is_postgresql,
                check=(token, owner.card["consent_share_contact"], token_hash))
            return owner, result
        except _OwnerChanged:
            # Look again, in this transaction: raises what changed (revoked, erased, token),
            # else (a new consent) records with what the badge's owner now shows.
            _badge_cache.pop(token, None)
            checked = yield from _badge_owner_steps(sql, event_id, token, scanner_id,
                                                    token_hash)
            result = yield from record_steps(
                event_id, scanner_id, checked.attendee_id, note, clean_tags, scanned_at,
                client_id, source, sql=sql, is_postgresql=is_postgresql)
            return checked, result

    # Committed together with concurrent scans (one commit for all), in the order of the
    # pairs whose connection rows they lock.
    written: tuple[BadgeOwner, ScanResult] = group_write(
        write, key=tuple(sorted((scanner_id, owner.attendee_id))))
    checked, result = written
    if result.connection is not None:
        result.connection["other"] = checked.card
    return result


def record_scan(scanner_id: int, scanned_id: int, *, note: str | None = "",
                tags: list[str] | tuple[str, ...] | None = (),
                scanned_at: datetime | None = None,
                client_id: str | None = None, source: str = "api") -> ScanResult:
    """Record that ``scanner`` scanned ``scanned``; idempotent per ``client_id``.

    Raises Invalid (self-scan, bad fields) or NotFound / Conflict (unknown, other event).
    """
    if scanner_id == scanned_id:
        raise Invalid(_("This is your own badge: scan someone else's."), code="self_scan")
    note, clean_tags = check_scan_input(note, tags, client_id, scanned_at)
    with write_transaction():
        rows = {r.id: r for r in db.session.execute(
            select(Attendee.id, Attendee.event_id, Attendee.erased_at)
            .where(Attendee.id.in_((scanner_id, scanned_id))))}
        scanner, scanned = rows.get(scanner_id), rows.get(scanned_id)
        if scanner is None or scanned is None or scanner.erased_at or scanned.erased_at:
            raise NotFound(_("Unknown attendee."), code="unknown_attendee")
        if scanner.event_id != scanned.event_id:
            raise Conflict(_("This badge is for another event."), code="other_event")
        return record(scanner.event_id, scanner_id, scanned_id, note, clean_tags, scanned_at,
                      client_id, source)


def record(event_id: int, scanner_id: int, scanned_id: int, note: str, tags: list[str],
           scanned_at: datetime | None, client_id: str | None, source: str) -> ScanResult:
    """Store one scan and fold it into the pair's connection, in the ORM session's write
    transaction (the importer, ``record_scan``). See ``record_steps``."""
    result: ScanResult = run_steps(session_cursor(), record_steps(
        event_id, scanner_id, scanned_id, note, tags, scanned_at, client_id, source))
    return result


def record_steps(event_id: int, scanner_id: int, scanned_id: int, note: str, tags: list[str],
                 scanned_at: datetime | None, client_id: str | None, source: str, *,
                 sql: dict[str, CompiledStatement] | None = None,
                 is_postgresql: bool | None = None,
                 check: tuple[str, bool, str] | None = None) -> Steps:
    """Store one scan and fold it into the pair's connection: the statements, as
    ``database.Steps`` (inside a write transaction); returns the ScanResult.

    A group commit may run it in another request's thread: it then gets ``sql`` and
    ``is_postgresql`` from its own request, and uses nothing of the thread's. ``check``:
    (badge token, its owner's consent to share contact details, the scanner's access token
    hash) as cached; raises _OwnerChanged, having written nothing, when they no longer hold.
    """
    sql = sql or _sql()
    if is_postgresql is None:
        is_postgresql = db.engine.dialect.name == "postgresql"
    now = utcnow()
    at = scanned_at or now
    a_id, b_id = sorted((scanner_id, scanned_id))
    side = "a" if scanner_id == a_id else "b"

    # Upsert the pair's connection first: it creates the row, or (PostgreSQL) locks it until
    # the commit, so that same-pair scans are applied one after the other.
    params = {"event_id": event_id, "a_id": a_id, "b_id": b_id, "at": at,
              "scanner_id": scanner_id, "scanned_id": scanned_id}
    if check is None:
        rows = yield sql["upsert"], params
    else:
        params.update(token=check[0], consent=check[1], token_hash=check[2])
        rows = yield sql["upsert_checked"], params
        if not rows:
            raise _OwnerChanged
    (conn_id, scan_count, a_scan_count, b_scan_count, first_met_at, last_met_at, a_note,
     b_note, a_tags, b_tags, previous) = rows[0]
    other = "b" if side == "a" else "a"

    def fold(is_counted: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        """The connection's new state (the update's values) and the scanner's view of it."""
        counts = {"a": a_scan_count, "b": b_scan_count}
        if is_counted:
            counts[side] += 1
        elif counts[side] == 0:
            counts[side] = 1
        notes = {"a": a_note or "", "b": b_note or ""}
        if note and note not in notes[side]:
            notes[side] = f"{notes[side]}\n{note}".strip()
        all_tags = {"a": list(a_tags or []), "b": list(b_tags or [])}
        all_tags[side] += [t for t in tags if t not in all_tags[side]]
        state = {
            "conn_id": conn_id, "scan_count": scan_count + (1 if is_counted else 0),
            "a_count": counts["a"], "b_count": counts["b"],
            "first": min(first_met_at, at), "last": max(last_met_at, at),
            "mutual": counts["a"] > 0 and counts["b"] > 0,
            "a_note_new": notes["a"], "b_note_new": notes["b"],
            "a_tags_new": all_tags["a"], "b_tags_new": all_tags["b"],
        }
        view = {
            "id": conn_id, "first_met_at": state["first"], "last_met_at": state["last"],
            "scan_count": state["scan_count"], "is_mutual": state["mutual"],
            "i_scanned": True, "note": notes[side], "tags": all_tags[side],
            "they_scanned": counts[other] > 0,
        }
        return state, view

    row = {"event_id": event_id, "scanner_id": scanner_id, "scanned_id": scanned_id,
           "scanned_at": at, "recorded_at": now, "note": note, "tags": tags,
           "client_id": client_id, "source": source}
    if is_postgresql:
        # One statement, one round trip: the scan row, whether it counts (decided in the
        # statement, which began after the upsert took the pair's row lock, so it sees a scan
        # of the pair committed while the upsert waited), and the connection's new state
        # for either answer, applied only if the scan was new.
        (state, view), repeat = fold(True), fold(False)
        inserted = yield sql["scan_and_update"], {
            **row, **state, **{f"{key}_repeat": repeat[0][key] for key in _COUNTED_ONLY}}
        is_counted = bool(inserted and inserted[0][1])
        if inserted and not is_counted:
            state, view = repeat
    else:
        # SQLite writers never overlap: the upsert's own reading of the last counted scan
        # is current.
        is_counted = previous is None or abs(at - previous) >= REPEAT_WINDOW
        state, view = fold(is_counted)
        inserted = yield sql["scan"], {**row, "is_counted": is_counted}
        if inserted:
            yield sql["update"], state
    if not inserted:
        # This client_id was recorded before (a replay): nothing changes.
        # (Reused for another badge, it raises: the transaction, upsert included, rolls back.)
        replay = yield from _replayed(sql, scanner_id, scanned_id, client_id or "")
        assert replay is not None
        return replay
    scan_id = inserted[0][0]
    return ScanResult(scan_id=scan_id, connection_id=conn_id, scanned_id=scanned_id,
                      is_new=True, is_counted=is_counted, connection=view)


def _client_id_reused() -> Conflict:
    return Conflict(_("This client_id was already used for another badge."),
                    code="client_id_reused", field="client_id")


def _replayed(sql: dict[str, CompiledStatement], scanner_id: int, scanned_id: int,
              client_id: str) -> Steps:
    """The stored scan with this ``client_id``, if any (``database.Steps``). Raises
    Conflict if for another badge."""
    a_id, b_id = sorted((scanner_id, scanned_id))
    rows = yield sql["replayed"], {"scanner_id": scanner_id, "client_id": client_id,
                                   "a_id": a_id, "b_id": b_id}
    if not rows:
        return None
    scan_id, stored_scanned_id, is_counted, connection_id = rows[0]
    if stored_scanned_id != scanned_id:
        raise _client_id_reused()
    return ScanResult(scan_id=scan_id, connection_id=connection_id or 0,
                      scanned_id=scanned_id, is_new=False, is_counted=is_counted)


def pending_path(event_id: int, badge_token: str, email: str, *, note: str, tags: list[str],
                 client_id: str, prefix: str = "") -> str | None:
    """The path that completes a scan asked for before signing in, for the attendee
    registered with ``email``: the magic link mailed to them goes on to it
    (``/b/<badge>/pending/<token>``, behind ``prefix``, where the app is mounted).

    None when the email is not registered for the event (no link is mailed then). Raises
    Invalid (``note_too_long_for_link``) when the note does not fit in a link, or as
    ``check_scan_input`` does.
    """
    try:
        email = normalize_email(email)
    except Invalid:
        return None
    attendee_id = db.session.scalar(select(Attendee.id).where(
        Attendee.event_id == event_id, Attendee.email == email, Attendee.erased_at.is_(None)))
    if attendee_id is None:
        return None
    note, tags = check_scan_input(note, tags, None, None)  # as it will be stored
    token = links.sign(links.PENDING_SCAN, {
        "a": attendee_id, "b": badge_token, "n": note, "t": tags, "c": client_id,
        "s": int(time.time())})
    path = f"{prefix}/b/{badge_token}/pending/{token}"
    if len(path) > MAX_PENDING_PATH:
        raise Invalid(_("This note is too long to travel in a sign-in link: shorten it, or "
                        "add it once you are signed in."), code="note_too_long_for_link",
                      field="note")
    return path
