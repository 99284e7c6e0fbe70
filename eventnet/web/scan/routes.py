"""Routes of badge pages, QR images and the in-app scanner.

``/b/<token>`` is what a phone's own camera opens: a GET shows the card and never records;
the "We met — save" POST (CSRF) records. Someone not signed in leaves their email: the scan
travels in the magic link (``pending.py``) and is recorded once, wherever it is opened.
"""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _

from eventnet.extensions import db, limiter
from eventnet.models import Attendee, Event
from eventnet.services import attendees as attendee_service
from eventnet.services import badges as badge_service
from eventnet.services import scans as scan_service
from eventnet.services.attendees import badge_url, get_by_badge
from eventnet.services.connections import (
    contact_when_mutual,
    my_side_with,
    shares_contact_with,
    update_my_connection,
)
from eventnet.services.errors import EventnetError
from eventnet.services.events import get_event
from eventnet.web import error_response, limits
from eventnet.web.auth import current_attendee
from eventnet.web.edge import Response  # text that cannot fail to encode
from eventnet.web.scan import bp
from eventnet.web.scan.forms import IdentifyForm, NoteForm, ScanForm


def load_badge(token: str) -> tuple[Any, Attendee, Event]:
    """The badge, its owner and their event; 404 for an unknown badge or an erased owner."""
    found = get_by_badge(token)
    person = found.attendee
    if person.erased_at is not None:
        abort(404)
    return found, person, person.event


def _other_event_names(event: Event) -> list[str]:
    """Events this browser is signed in for, other than ``event`` (for a clear message)."""
    ids = [int(k) for k in (session.get("attendees") or {}) if k != str(event.id)]
    return [e.name for e in db.session.query(Event).filter(Event.id.in_(ids))] if ids else []


def render_badge(found: Any, person: Attendee, event: Event, viewer: Attendee | None,
            form: ScanForm | None, status: int = 200, saved: bool = False,
            action: str | None = None, mine: dict[str, Any] | None = None,
            note_form: NoteForm | None = None) -> Any:
    """The badge page; ``action`` is where the save form posts (a pending scan's own URL).

    With ``mine`` (the viewer already saved this person) it shows what was saved, with
    "Edit", instead of a save form that would invite a second scan.
    """
    show_contact = shares_contact_with(viewer, person)
    # the viewer saved them: their details come once they scan the viewer back
    contact_on_scan_back = (mine is not None or saved) and not show_contact \
        and contact_when_mutual(person, False)
    if mine is not None and note_form is None:
        note_form = NoteForm.for_connection(event, mine)
    return render_template(
        "scan/badge.html", badge=found, person=person, event=event, viewer=viewer, form=form,
        is_self=bool(viewer and viewer.id == person.id), show_contact=show_contact,
        contact_on_scan_back=contact_on_scan_back,
        saved=saved, action=action, mine=mine, note_form=note_form,
        other_events=_other_event_names(event) if viewer is None else [],
    ), status


def saved_by(viewer: Attendee | None, person: Attendee) -> dict[str, Any] | None:
    """What ``viewer`` saved about ``person`` (note, tags), if they scanned them."""
    if viewer is None or viewer.id == person.id:
        return None
    return my_side_with(viewer.id, person.id)


@bp.get("/b/<token>")
@limiter.limit(limits.UNKNOWN_BADGES, key_func=limits.attendee_key,
               deduct_when=limits.is_not_found)
def badge(token: str) -> Any:
    """The public card behind a badge. A GET never records anything by itself."""
    found, person, event = load_badge(token)
    viewer = current_attendee(event.id)
    if found.is_revoked:
        return render_badge(found, person, event, viewer, None, status=410)
    if viewer is None:
        return render_badge(found, person, event, None, IdentifyForm.for_event(event))
    if viewer.id == person.id:
        return render_badge(found, person, event, viewer, None)
    mine = saved_by(viewer, person)
    if mine is not None:
        return render_badge(found, person, event, viewer, None, mine=mine)
    return render_badge(found, person, event, viewer, ScanForm.for_event(event))


@bp.post("/b/<token>")
@limiter.limit(limits.UNKNOWN_BADGES, key_func=limits.attendee_key,
               deduct_when=limits.is_not_found)
def save(token: str) -> Any:
    """"We met — save": record the scan with the optional note and tags."""
    found, person, event = load_badge(token)
    viewer = current_attendee(event.id)
    if viewer is None or viewer.id == person.id or found.is_revoked:
        return redirect(url_for("scan.badge", token=token))
    limits.spend_scan(viewer.id)  # the same budget as the API's
    form = ScanForm.for_event(event)
    if not form.validate_on_submit():
        return render_badge(found, person, event, viewer, form, status=422)
    try:
        scan_service.scan_badge(viewer.id, event.id, token, note=form.note.data,
                                tags=form.tags.data, client_id=form.client_id.data,
                                source="badge")
    except EventnetError as exc:
        form.form_errors.append(exc.message)
        return render_badge(found, person, event, viewer, form, status=exc.status)
    flash(_("Saved: %(name)s is in your connections.", name=person.name), "success")
    return redirect(url_for("scan.badge", token=token))


@bp.post("/b/<token>/edit")
@limiter.limit(limits.API_READS_PER_ATTENDEE, key_func=limits.attendee_key)
def edit(token: str) -> Any:
    """"Edit" after saving: replace my note and tags on the connection (no second scan)."""
    found, person, event = load_badge(token)
    viewer = current_attendee(event.id)
    mine = None if found.is_revoked else saved_by(viewer, person)
    if viewer is None or mine is None:
        return redirect(url_for("scan.badge", token=token))
    form = NoteForm.for_connection(event, mine)
    if form.validate_on_submit():
        try:
            update_my_connection(viewer.id, mine["id"], note=form.note.data or "",
                                 tags=list(form.tags.data or []))
        except EventnetError as exc:
            form.form_errors.append(exc.message)
            return render_badge(found, person, event, viewer, None, status=exc.status,
                                mine=mine, note_form=form)
        flash(_("Your note about %(name)s was saved.", name=person.name), "success")
        return redirect(url_for("scan.badge", token=token))
    return render_badge(found, person, event, viewer, None, status=422, mine=mine,
                        note_form=form)


@bp.get("/e/<slug>/scan")
def scanner(slug: str) -> Any:
    """The in-app scanner: the camera reads badges and records each at once (offline too).

    The page is a shell with nothing personal in it (the service worker keeps it to open
    offline); the attendee and their API token come from ``scanner_session``.
    """
    event = get_event(slug)
    attendee = current_attendee(event.id)
    if attendee is None:
        return redirect(url_for("public.signin", slug=slug, next=url_for("scan.scanner",
                                                                          slug=slug)))
    response = Response(render_template("scan/scanner.html", event=event))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/e/<slug>/scan/session")
def scanner_session(slug: str) -> Any:
    """JSON for the scanner page: who is signed in here and their API token (never cached)."""
    event = get_event(slug)
    attendee = current_attendee(event.id)
    if attendee is None:
        response = error_response(401, "signed_out", _("Sign in again to send your scans."))
    else:
        response = jsonify({"attendee": {"id": attendee.id, "name": attendee.name},
                            "token": attendee_service.access_token(attendee)})
    # It carries the attendee's personal token: never keep it in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/scan")
def scanner_home() -> Any:
    """``/scan``: straight to the scanner of the event this browser is signed in for."""
    signed_in = list((session.get("attendees") or {}).keys())
    events = [e for e in (db.session.get(Event, int(k)) for k in signed_in) if e is not None]
    events = [e for e in events if current_attendee(e.id) is not None]
    if len(events) == 1:
        return redirect(url_for("scan.scanner", slug=events[0].slug))
    return render_template("scan/choose.html", events=events)


def _qr_response(token: str, kind: str) -> Response:
    found = get_by_badge(token)
    if found.is_revoked or found.attendee.erased_at is not None:
        abort(404)
    url = badge_url(token)
    if kind == "svg":
        body: Any = badge_service.qr_svg(url)
        mimetype = "image/svg+xml"
    else:
        body = badge_service.qr_png(url)
        mimetype = "image/png"
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/b/<token>/qr.svg")
def qr_svg(token: str) -> Response:
    """The badge's QR code as SVG."""
    return _qr_response(token, "svg")


@bp.get("/b/<token>/qr.png")
def qr_png(token: str) -> Response:
    """The badge's QR code as PNG."""
    return _qr_response(token, "png")
