"""The right to erasure: remove an attendee's personal data, keep anonymous counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.redaction import find_candidates, person_pattern, scrub_person
from eventnet.mail.retention import forget_files
from eventnet.models import (
    Attendee,
    Connection,
    Event,
    ImportJob,
    Introduction,
    Scan,
    utcnow,
)
from eventnet.services.errors import NotFound

ERASED_NAME = "Deleted attendee"


@dataclass
class ErasureResult:
    """What an erasure removed."""

    attendee_id: int
    scans: int
    connections: int
    introductions: int
    #: unsent messages that went with her: hers, and those to others that named her
    messages: int
    #: sent messages kept as log rows without their body, her name or her address
    redacted: int = 0
    #: import reports of her event that quoted her (rejected or skipped rows)
    import_reports: int = 0


def erase_attendee(attendee_id: int, event_id: int | None = None) -> ErasureResult:
    """Erase an attendee's personal data, scans, connections, introductions, and every
    stored message that names her (``eventnet.mail.redaction``) with its ``.eml`` file.

    The row stays, anonymous (registration and check-in counts hold), and the event's
    ``erased_scan_count`` grows by the scans removed so totals can still be reported.
    Raises NotFound (unknown, already erased, or not of ``event_id``).
    """
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or attendee.erased_at is not None or (
            event_id is not None and attendee.event_id != event_id):
        raise NotFound(_("No such attendee."))
    # The slow part (a LIKE over every body of her events) before the write lock is taken.
    candidates = find_candidates(db.session, event_ids=_events_naming(db.session, attendee),
                                 name=attendee.name or "", email=attendee.email or "")
    with write_transaction() as session:
        attendee = session.get(Attendee, attendee_id, populate_existing=True)
        if attendee is None or attendee.erased_at is not None or (
                event_id is not None and attendee.event_id != event_id):
            raise NotFound(_("No such attendee."))
        involves = or_(Scan.scanner_id == attendee_id, Scan.scanned_id == attendee_id)
        scans = session.scalar(select(func.count(Scan.id)).where(involves)) or 0
        session.execute(delete(Scan).where(involves)
                        .execution_options(synchronize_session=False))
        connections = session.execute(
            delete(Connection).where(or_(Connection.a_id == attendee_id,
                                         Connection.b_id == attendee_id))
            .execution_options(synchronize_session=False)).rowcount or 0
        introductions = session.execute(
            delete(Introduction).where(or_(Introduction.requester_id == attendee_id,
                                           Introduction.recipient_id == attendee_id))
            .execution_options(synchronize_session=False)).rowcount or 0
        # Mail not yet sent that names her goes (hers, and others' that list her); sent
        # mail keeps its log row, without body, her name or her address.
        scrubbed = scrub_person(session, attendee_id=attendee_id,
                                event_ids=_events_naming(session, attendee),
                                name=attendee.name or "", email=attendee.email or "",
                                replacement=ERASED_NAME, candidates=candidates)
        reports = _scrub_import_reports(session, attendee.event_id, attendee.name or "",
                                        attendee.email or "")
        session.execute(update(Event).where(Event.id == attendee.event_id)
                        .values(erased_scan_count=Event.erased_scan_count + scans)
                        .execution_options(synchronize_session=False))
        person = attendee.person
        now = utcnow()
        attendee.name = ERASED_NAME
        attendee.email = None
        attendee.external_ref = None
        attendee.person = None
        for name in ("company", "title", "bio", "phone"):
            setattr(attendee, name, "")
        for name in ("interests", "offers", "asks", "links"):
            setattr(attendee, name, [])
        attendee.answers = {}
        attendee.consent_share_contact = False
        attendee.consent_introductions = False
        attendee.consent_followup = False
        attendee.secret_version += 1
        attendee.erased_at = now
        for badge in attendee.badges:
            if badge.revoked_at is None:
                badge.revoked_at = now
        session.flush()
        if person is not None and not session.scalar(
                select(func.count(Attendee.id)).where(Attendee.person_id == person.id)):
            session.delete(person)  # the address is personal data too
        # The old access token hash is derived from the previous secret version: replace it.
        from eventnet.services.tokens import attendee_access_token, sha256

        attendee.access_token_hash = sha256(attendee_access_token(attendee.id,
                                                                  attendee.secret_version))
        result = ErasureResult(attendee_id, scans, connections, introductions,
                               scrubbed.withdrawn, scrubbed.redacted, reports)
    forget_files(scrubbed.message_ids)  # after the commit: files cannot be rolled back
    return result


def _scrub_import_reports(session: Any, event_id: int, name: str, email: str) -> int:
    """Her name and address out of her event's import reports: a rejected or skipped row
    quotes them ("duplicate of line 3 (ann@example.org)", "Ann Martin: RSVP "no""), and
    a report stays for the organizers' page after the import. Returns how many changed."""
    pattern = person_pattern(name, email)
    if pattern is None:
        return 0

    def scrub(rows: list[list[Any]]) -> list[list[Any]]:
        return [[line, pattern.sub(ERASED_NAME, str(message))] for line, message in rows]

    changed = 0
    for job in session.scalars(select(ImportJob).where(ImportJob.event_id == event_id)):
        errors = scrub(job.errors or [])
        result = dict(job.result or {})
        if result.get("skipped"):
            result["skipped"] = scrub(result["skipped"])
        error = pattern.sub(ERASED_NAME, job.error or "")
        if (errors, result, error) != (job.errors or [], job.result or {}, job.error or ""):
            job.errors, job.result, job.error = errors, result, error
            changed += 1
    return changed


def _events_naming(session: Any, attendee: Attendee) -> list[int]:
    """The events whose mail may name her: hers, and the community's others (their
    follow-ups list people to reconnect with from earlier events) where nobody registered
    has her name or address: there, her name would be someone else's."""
    namesakes = select(Attendee.event_id).where(
        Attendee.id != attendee.id, Attendee.erased_at.is_(None),
        or_(Attendee.name == attendee.name,
            func.lower(Attendee.email) == (attendee.email or "").lower()))
    community = select(Event.community_id).where(Event.id == attendee.event_id)
    others = session.scalars(select(Event.id).where(
        Event.community_id == community.scalar_subquery(), Event.id != attendee.event_id,
        Event.id.not_in(namesakes))).all()
    return [attendee.event_id, *others]
