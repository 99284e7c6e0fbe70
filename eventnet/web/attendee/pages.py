"""What the attendee's pages share: who is signed in, and the pages an email link ends on.

Every email link carries a signed, expiring, single-purpose token; GET only shows a page,
the change happens on POST. A bad or expired token gets a clear page and changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import abort, render_template

from eventnet.models import Attendee, Event
from eventnet.services.events import get_event
from eventnet.services.tokens import InvalidLink
from eventnet.web.auth import current_attendee


def signed_in(slug: str) -> tuple[Event, Attendee]:
    """The event and the attendee signed in to it on this browser; 404 otherwise."""
    event = get_event(slug)
    attendee = current_attendee(event.id)
    if attendee is None:
        abort(404)
    return event, attendee


def invalid_link(exc: InvalidLink) -> Any:
    """The 400 page for a bad or expired email link."""
    return render_template("errors/error.html", status=400, message=exc.message), 400


def message_page(title: str, message: str, status: int = 200) -> Any:
    """The page an email link's action ends on: a title and one sentence."""
    return render_template("attendee/link_done.html", title=title, message=message), status
