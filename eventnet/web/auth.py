"""Who is asking: attendee sessions (magic links) and organizer access to events."""

from __future__ import annotations

from flask import abort, g, request, session
from flask_login import current_user, login_user, logout_user

from eventnet.extensions import db
from eventnet.models import Attendee, Event
from eventnet.models.organizer import ROLE_ORGANIZER
from eventnet.services.events import get_event
from eventnet.services.organizers import end_session, role_in, start_session
from eventnet.services.scans import ScannerRef, scanner_for_token

_KEY = "attendees"  # event id (str) → attendee id, for people at several events


def sign_in_attendee(attendee: Attendee) -> None:
    """Remember in the session that this browser belongs to ``attendee``."""
    signed_in = dict(session.get(_KEY, {}))
    signed_in[str(attendee.event_id)] = [attendee.id, attendee.secret_version]
    session[_KEY] = signed_in
    session.permanent = True
    session.setdefault("lang", attendee.language)


def sign_out_attendee(event_id: int) -> None:
    """Forget the attendee of this event in the session."""
    signed_in = dict(session.get(_KEY, {}))
    signed_in.pop(str(event_id), None)
    session[_KEY] = signed_in


def current_attendee(event_id: int) -> Attendee | None:
    """The attendee of this event signed in on this browser, if any."""
    entry = session.get(_KEY, {}).get(str(event_id))
    if not entry:
        return None
    attendee = db.session.get(Attendee, entry[0])
    if attendee is None or attendee.erased_at or attendee.secret_version != entry[1]:
        return None
    return attendee


def sign_in_organizer(organizer_id: int) -> None:
    """Sign the organizer in on this browser, remembered for ``REMEMBER_COOKIE_DURATION``,
    with a session (and secret) of its own."""
    login_user(start_session(organizer_id), remember=True)


def sign_out_organizer() -> None:
    """Sign the organizer out on this browser: its session and remember cookies stop
    working, copies included (other browsers stay signed in)."""
    if current_user.is_authenticated:
        end_session(current_user.get_id())
    logout_user()


def organizer_event(slug: str, *, staff_ok: bool = False) -> Event:
    """The event if the signed-in organizer may manage it (or staff it); else 404."""
    if not current_user.is_authenticated:
        abort(404)
    event = get_event(slug)
    role = role_in(current_user, event.community_id)
    if role == ROLE_ORGANIZER or (staff_ok and role is not None):
        return event
    abort(404)


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def api_scanner(*, cached: bool = False) -> ScannerRef | None:
    """The attendee whose access token authorizes this request (resolved once per request).

    ``cached``: may come from the per-process token cache; only for the scan API, whose
    ``scan_badge`` checks the token again in its own statement.
    """
    if "api_scanner" not in g:
        token = bearer_token()
        g.api_scanner = scanner_for_token(token, cached=cached) if token else None
    return g.api_scanner  # type: ignore[no-any-return]
