"""Badges of an event, rendered from the database through the pure ``eventnet.badges``."""

from __future__ import annotations

from flask_babel import gettext as _

from eventnet.badges import BadgeCard, qr_png, qr_svg, render_badges_pdf
from eventnet.models import Event
from eventnet.services.attendees import badge_url, list_attendees
from eventnet.services.errors import Invalid

__all__ = ["event_badges_pdf", "qr_png", "qr_svg"]


def event_badges_pdf(event: Event, *, layout: str = "a6", paper: str = "a4",
                     attendee_id: int | None = None) -> bytes:
    """The badges of the event's attendees (or one of them) as a PDF. Raises Invalid."""
    cards = [
        BadgeCard(name=a.name, company=a.company, title=a.title,
                  interests=tuple(a.interests[:4]), url=badge_url(a.badge.token),
                  event_name=event.name)
        for a in list_attendees(event.id)
        if a.badge is not None and (attendee_id is None or a.id == attendee_id)
    ]
    if not cards:
        raise Invalid(_("There are no badges to print yet."))
    try:
        return render_badges_pdf(cards, layout=layout, paper=paper)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
