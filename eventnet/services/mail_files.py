"""Files that travel with mail: the badge's QR code and the event's calendar entry."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app

from eventnet.badges import qr_png
from eventnet.extensions import db
from eventnet.ics import CalendarEvent, event_ics
from eventnet.mail.mime import Attachment
from eventnet.models import Attendee, Event, utcnow
from eventnet.services.attendees import badge_url

#: the HTML of the confirmation shows the badge with ``<img src="cid:...">``
BADGE_CONTENT_ID = "badge-qr@eventnet"


def event_calendar(event: Event) -> bytes | None:
    """The event as an iCalendar file; None when it has no start time yet."""
    if event.starts_at is None:
        return None
    base = current_app.config["EVENTNET_BASE_URL"]
    host = urlsplit(base).hostname or "eventnet"
    # The UID stays the same for the event, so a second import updates the first.
    return event_ics(CalendarEvent(
        uid=f"event-{event.slug}@{host}", summary=event.name, starts_at=event.starts_at,
        ends_at=event.ends_at, location=event.venue, description=event.description,
        url=f"{base}/e/{event.slug}"), now=utcnow())


def calendar_filename(event: Event) -> str:
    """The .ics file's name: the event's slug (ASCII, no quotes)."""
    return f"{event.slug}.ics"


def attachments_for(kind: str, event_id: int | None,
                    attendee_id: int | None) -> list[Attachment]:
    """The files an outbox message carries: a confirmation gets the attendee's current badge
    QR code (inline) and the event's .ics. Other kinds, or nothing left to attach: none."""
    if kind != "confirmation" or attendee_id is None:
        return []
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or attendee.erased_at is not None:
        return []
    files: list[Attachment] = []
    badge = attendee.badge
    if badge is not None:
        files.append(Attachment("badge.png", "image/png", qr_png(badge_url(badge.token), 8),
                                content_id=BADGE_CONTENT_ID))
    event = db.session.get(Event, event_id) if event_id is not None else attendee.event
    calendar = event_calendar(event) if event is not None else None
    if calendar is not None and event is not None:
        files.append(Attachment(calendar_filename(event),
                                'text/calendar; charset="utf-8"; method=PUBLISH', calendar))
    return files
