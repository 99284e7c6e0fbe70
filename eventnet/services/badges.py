"""Badges: reissuing and revoking an attendee's, and an event's rendered through the pure
``eventnet.badges``."""

from __future__ import annotations

from flask_babel import gettext as _

from eventnet.badges import LAYOUTS, BadgeCard, qr_png, qr_svg, render_badges_pdf
from eventnet.database import write_transaction
from eventnet.models import Attendee, Badge, Event, utcnow
from eventnet.services import tokens
from eventnet.services.attendees import badge_url, list_attendees
from eventnet.services.errors import Invalid, NotFound

# LAYOUTS: the layouts event_badges_pdf prints (the CLI offers them)
__all__ = ["LAYOUTS", "event_badges_pdf", "qr_png", "qr_svg", "reissue_badge", "revoke_badge"]


def reissue_badge(attendee_id: int) -> Badge:
    """Revoke the attendee's current badge and issue a new token. Raises NotFound."""
    with write_transaction() as session:
        attendee: Attendee | None = session.get(Attendee, attendee_id)
        if attendee is None or attendee.erased_at:
            raise NotFound(_("No such attendee."))
        now = utcnow()
        for badge in attendee.badges:
            if badge.revoked_at is None:
                badge.revoked_at = now
        badge = Badge(token=tokens.new_badge_token())
        attendee.badges.append(badge)
    return badge


def revoke_badge(attendee_id: int) -> None:
    """Revoke the attendee's badge without issuing a new one. Raises NotFound."""
    with write_transaction() as session:
        attendee: Attendee | None = session.get(Attendee, attendee_id)
        if attendee is None:
            raise NotFound(_("No such attendee."))
        for badge in attendee.badges:
            if badge.revoked_at is None:
                badge.revoked_at = utcnow()


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
