"""Attendee imports: parse a file into a plan, report every bad row, apply all or nothing.

The formats (eventnet, Eventbrite, Meetup, Luma) live in ``services.import_formats``; this
module plans, applies and keeps uploads between the web preview and its confirmation.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Event
from eventnet.services.attendees import Profile, _apply_profile, _person_for, new_attendee
from eventnet.services.checkins import check_in
from eventnet.services.errors import Invalid, NotFound
from eventnet.services.import_formats import (
    MAX_IMPORT_BYTES,
    PARSERS,
    ImportPlan,
    ImportRow,
    RowError,
    decode_csv,
    detect_format,
)

__all__ = [
    "MAX_IMPORT_BYTES", "PARSERS", "ImportPlan", "ImportResult", "ImportRow", "RowError",
    "apply_import", "decode_csv", "detect_format", "plan_import",
]

#: how long an uploaded file waits for its confirmation in the web UI
UPLOAD_MAX_AGE = 3600
_UPLOAD_NAME = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


@dataclass
class ImportResult:
    """What applying a plan did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    checked_in: int = 0


def plan_import(event: Event, data: bytes, fmt: str = "auto") -> ImportPlan:
    """Parse an uploaded file into a plan without changing anything. Raises Invalid."""
    rows = decode_csv(data)
    if fmt == "auto":
        fmt = detect_format(rows[0])
    parser = PARSERS.get(fmt)
    if parser is None:
        raise Invalid(_("Unknown import format: %(fmt)s", fmt=fmt), code="unknown_format")
    if len(rows) < 2:
        raise Invalid(_("The file has a header row but no attendees."), code="empty")
    return parser(rows, event)


#: profile fields an import may set on an attendee who exists already
_IMPORTED_FIELDS = ("name", "email", "company", "title", "interests", "offers", "asks",
                    "links", "phone")


def _find(row: ImportRow, by_email: dict[str, Attendee],
          by_ref: dict[str, Attendee]) -> Attendee | None:
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
        attendee.person = _person_for(attendee.event, row.profile.email)
    changed = _apply_profile(attendee, Profile(**current))
    if row.external_ref and attendee.external_ref is None:
        attendee.external_ref = row.external_ref
        changed = True
    return changed


CONSENTS = ("share_contact", "introductions", "followup")


def apply_import(event_id: int, plan: ImportPlan,
                 consents: frozenset[str] | set[str] = frozenset()) -> ImportResult:
    """Create or update every row of a valid plan in one transaction. Raises Invalid.

    Rows match existing attendees by platform id first, then by email, so importing the
    same file twice changes nothing. Erased attendees are left alone. ``consents`` (names
    from CONSENTS) are recorded for the attendees this import creates, when the organizer's
    registration platform collected them; an import never changes the consents of someone
    who is already registered, so a withdrawal always stands.
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
        event = session.get(Event, event_id)
        if event is None:
            raise NotFound(_("No such event."))
        attendees = list(session.scalars(select(Attendee).where(Attendee.event_id == event_id)))
        by_email = {a.email: a for a in attendees if a.email}
        by_ref = {a.external_ref: a for a in attendees if a.external_ref}
        source = f"import:{plan.format}"
        for row in plan.rows:
            attendee = _find(row, by_email, by_ref)
            if attendee is None:
                for name in consents:
                    setattr(row.profile, f"consent_{name}", True)
                attendee = new_attendee(event, row.profile, source=source)
                attendee.external_ref = row.external_ref
                result.created += 1
            elif attendee.erased_at is not None:
                result.unchanged += 1
                continue
            elif attendee.email is None and row.profile.email in by_email:
                # The platform id points at one attendee, the email at another: refuse
                # rather than merge two people.
                raise Invalid(_("Line %(line)d: %(email)s is already registered as another "
                                "attendee; nothing was imported.",
                                line=row.line, email=row.profile.email), code="email_taken")
            elif _update(attendee, row):
                result.updated += 1
            else:
                result.unchanged += 1
            if attendee.email:
                by_email[attendee.email] = attendee
            if attendee.external_ref:
                by_ref[attendee.external_ref] = attendee
            if row.checked_in_at is not None:
                session.flush()
                if check_in(attendee.id, method="import", at=row.checked_in_at).is_new:
                    result.checked_in += 1
    return result


# --- uploads kept between the preview and the confirmation ---------------------------------


def _upload_dir() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _expire_uploads(folder: Path) -> None:
    limit = time.time() - UPLOAD_MAX_AGE
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass  # another worker removed it first


def store_upload(data: bytes) -> str:
    """Keep an uploaded file under a random name for an hour; returns that name."""
    if len(data) > MAX_IMPORT_BYTES:
        raise Invalid(_("The file is too large (20 MB at most)."), code="too_large")
    folder = _upload_dir()
    _expire_uploads(folder)
    name = secrets.token_urlsafe(24)
    (folder / f"{name}.csv").write_bytes(data)
    return name


def load_upload(name: str) -> bytes:
    """The bytes of a stored upload; raises Invalid when it expired or never existed."""
    path = _upload_dir() / f"{name}.csv"
    expired = Invalid(_("This upload has expired: please upload the file again."),
                      code="upload_expired")
    if not _UPLOAD_NAME.match(name or ""):
        raise expired
    try:
        if path.stat().st_mtime < time.time() - UPLOAD_MAX_AGE:
            path.unlink(missing_ok=True)
            raise expired
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise expired from exc


def discard_upload(name: str) -> None:
    """Delete a stored upload (after it was applied or abandoned)."""
    if _UPLOAD_NAME.match(name or ""):
        (_upload_dir() / f"{name}.csv").unlink(missing_ok=True)


def preview(event: Event, plan: ImportPlan) -> list[dict[str, Any]]:
    """Each planned row with what applying it would do: ``new`` or ``update``."""
    attendees = list(db.session.scalars(select(Attendee).where(Attendee.event_id == event.id)))
    by_email = {a.email: a for a in attendees if a.email}
    by_ref = {a.external_ref: a for a in attendees if a.external_ref}
    return [{"row": row, "action": "update" if _find(row, by_email, by_ref) else "new"}
            for row in plan.rows]

