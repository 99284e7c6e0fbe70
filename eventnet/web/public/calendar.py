"""The event's calendar file, ``/e/<slug>/event.ics``."""

from __future__ import annotations

from flask import abort

from eventnet.services.events import get_event
from eventnet.services.mail_files import calendar_filename, event_calendar
from eventnet.web.edge import Response  # text that cannot fail to encode
from eventnet.web.public import bp


@bp.get("/e/<slug>/event.ics")
def event_ics(slug: str) -> Response:
    """The event as an iCalendar file, to add to a calendar; 404 until it has a start time."""
    event = get_event(slug)
    calendar = event_calendar(event)
    if calendar is None:
        abort(404)
    response = Response(calendar, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{calendar_filename(event)}"'
    return response
