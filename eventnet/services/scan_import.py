"""Importing scans collected elsewhere (a lead-retrieval app, sensor badges) from CSV.

Columns: ``scanner_email, scanned_email, scanned_at`` and optionally ``note``. All rows or
none: a plan lists every rejected row and why, and is applied in one transaction. Each row
gets a deterministic ``client_id`` (``import:`` + a hash of the row), so importing the same
file twice records nothing the second time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Event, utcnow
from eventnet.services.errors import Invalid, NotFound
from eventnet.services.imports import RowError, decode_csv
from eventnet.services.scans import MAX_CLOCK_SKEW, MAX_NOTE_LENGTH, record
from eventnet.services.storable import clean_text

REQUIRED_COLUMNS = ("scanner_email", "scanned_email", "scanned_at")


@dataclass
class ScanRow:
    """One scan to record."""

    line: int
    scanner_id: int
    scanned_id: int
    scanned_at: datetime
    note: str
    client_id: str


@dataclass
class ScanImportPlan:
    """The parsed file: scans to record and rejected rows."""

    rows: list[ScanRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        """Whether the plan can be applied (no rejected row)."""
        return not self.errors


@dataclass
class ScanImportResult:
    """What applying a plan did: new scans, and rows recorded by an earlier import."""

    recorded: int = 0
    already_imported: int = 0


def _parse_time(raw: str, zone: ZoneInfo) -> datetime:
    value = datetime.fromisoformat(raw.replace("z", "Z"))
    # Naive times are the event's local time, as other tools usually write them.
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def plan_scan_import(event: Event, data: bytes, timezone: str | None = None) -> ScanImportPlan:
    """Parse a scans CSV into a plan without changing anything. Raises Invalid.

    Naive ``scanned_at`` values are read in ``timezone`` (default: the event's).
    """
    rows = decode_csv(data)
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise Invalid(ngettext("Missing column: %(cols)s. Found: %(found)s",
                               "Missing columns: %(cols)s. Found: %(found)s", len(missing),
                               cols=", ".join(missing), found=", ".join(rows[0])))
    try:
        zone = ZoneInfo(timezone or event.timezone)
    except (KeyError, ValueError) as exc:
        raise Invalid(_("Unknown time zone: %(tz)s", tz=timezone)) from exc
    cols = {name: i for i, name in enumerate(header)}
    by_email = {
        (email or "").lower(): attendee_id
        for attendee_id, email in db.session.execute(
            select(Attendee.id, Attendee.email).where(
                Attendee.event_id == event.id, Attendee.erased_at.is_(None),
                Attendee.email.is_not(None)))
    }
    plan = ScanImportPlan()
    seen: dict[str, int] = {}
    now = utcnow()
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            plan.errors.append(RowError(line, _("expected %(n)d columns, found %(m)d",
                                                n=len(header), m=len(row))))
            continue
        cell = {name: row[i].strip() for name, i in cols.items()}
        scanner_email = cell["scanner_email"].lower()
        scanned_email = cell["scanned_email"].lower()
        note = cell.get("note", "")
        problems = []
        scanner_id = by_email.get(scanner_email)
        scanned_id = by_email.get(scanned_email)
        if scanner_id is None:
            problems.append(_("scanner_email %(email)s is not registered for this event",
                              email=scanner_email or "''"))
        if scanned_id is None:
            problems.append(_("scanned_email %(email)s is not registered for this event",
                              email=scanned_email or "''"))
        if scanner_email and scanner_email == scanned_email:
            problems.append(_("self-scan: scanner and scanned are the same person"))
        scanned_at = None
        try:
            scanned_at = _parse_time(cell["scanned_at"], zone)
        except ValueError:
            problems.append(_("scanned_at %(value)s is not an ISO 8601 time "
                              "(e.g. 2026-05-04T18:30:00+02:00)", value=cell["scanned_at"] or "''"))
        if scanned_at is not None and scanned_at > now + MAX_CLOCK_SKEW:
            problems.append(_("scanned_at %(value)s is in the future", value=cell["scanned_at"]))
        if len(note) > MAX_NOTE_LENGTH:
            problems.append(_("the note is too long (%(n)d characters at most)",
                              n=MAX_NOTE_LENGTH))
        if problems:
            plan.errors.append(RowError(line, "; ".join(problems)))
            continue
        assert scanner_id is not None and scanned_id is not None and scanned_at is not None
        key = "|".join((str(scanner_id), str(scanned_id), scanned_at.isoformat(), note))
        if key in seen:
            plan.errors.append(RowError(line, _("duplicate of line %(n)d", n=seen[key])))
            continue
        seen[key] = line
        digest = hashlib.sha256(key.encode()).hexdigest()[:40]
        # stored as every note is (``storable.clean_text``); the key keeps the line as it
        # came, so importing the same file again stays harmless
        plan.rows.append(ScanRow(line, scanner_id, scanned_id, scanned_at, clean_text(note),
                                 f"import:{digest}"))
    return plan


def apply_scan_import(event_id: int, plan: ScanImportPlan) -> ScanImportResult:
    """Record every scan of a valid plan in one transaction. Raises Invalid or NotFound."""
    if not plan.is_valid:
        raise Invalid(ngettext("The file has %(num)d rejected row; nothing was imported.",
                               "The file has %(num)d rejected rows; nothing was imported.",
                               len(plan.errors)))
    result = ScanImportResult()
    with write_transaction() as session:
        if session.get(Event, event_id) is None:
            raise NotFound(_("No such event."))
        for row in sorted(plan.rows, key=lambda r: r.scanned_at):
            recorded = record(event_id, row.scanner_id, row.scanned_id, row.note, [],
                              row.scanned_at, row.client_id, "import")
            if recorded.is_new:
                result.recorded += 1
            else:
                result.already_imported += 1
    return result
