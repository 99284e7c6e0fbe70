"""The counts of an event's API (``GET /api/v1/events/<slug>/stats``).

The organizer dashboard has its own, richer overview in ``services.stats``; this one is the
small, stable contract of the API: ``scans`` counts every stored scan, repeats included.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from eventnet.extensions import db
from eventnet.models import Attendee, CheckIn, Connection, Event, Scan


def event_counts(event: Event) -> dict[str, Any]:
    """Registrations, check-ins, scans, scanners and connections of the event."""
    s = db.session
    registrations = s.scalar(select(func.count()).select_from(Attendee).where(
        Attendee.event_id == event.id, Attendee.erased_at.is_(None))) or 0
    checked_in = s.scalar(select(func.count()).select_from(CheckIn).where(
        CheckIn.event_id == event.id)) or 0
    scans, counted = s.execute(select(
        func.count(), func.count(case((Scan.is_counted, 1))),
    ).select_from(Scan).where(Scan.event_id == event.id)).one()
    scanners = s.scalar(select(func.count(func.distinct(Scan.scanner_id))).where(
        Scan.event_id == event.id)) or 0
    connections, mutual = s.execute(select(
        func.count(), func.count(case((Connection.is_mutual, 1))),
    ).select_from(Connection).where(Connection.event_id == event.id)).one()
    return {
        "event": event.slug,
        "registrations": registrations,
        "checked_in": checked_in,
        "scans": int(scans or 0),
        "counted_scans": int(counted or 0),
        "scanners": scanners,
        "connections": int(connections or 0),
        "mutual_connections": int(mutual or 0),
        "erased_scans": event.erased_scan_count or 0,
    }
