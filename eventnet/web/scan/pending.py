"""A scan asked for before signing in, carried by the magic link itself.

Someone not signed in leaves their email on ``/b/<badge>``; the scan they were about to save
(note, tags, client id, time) is signed into ``/b/<badge>/pending/<token>``, which becomes
the magic link's next path. The link can then be opened anywhere: phones open mail links in
the mail app's own browser, which does not share cookies with the one that asked.

A GET never records by itself: opened in another browser (or by a mail scanner following
links), the page shows the card with the note and tags filled in and a "We met — save"
button (POST with CSRF). Only the browser that asked, which already said so with a POST,
gets the scan recorded on arrival. The token's client id makes every repeat harmless, and
it is bound to the attendee the link was mailed to: forwarded, it records nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from eventnet.extensions import db, limiter
from eventnet.models import Attendee, Scan
from eventnet.services import attendees as attendee_service
from eventnet.services import links
from eventnet.services import scans as scan_service
from eventnet.services.errors import EventnetError
from eventnet.services.tokens import InvalidLink
from eventnet.web import limits
from eventnet.web.auth import current_attendee
from eventnet.web.scan import bp
from eventnet.web.scan.forms import IdentifyForm, ScanForm
from eventnet.web.scan.routes import load_badge, render_badge, saved_by

#: client ids of the pending scans this browser asked for (it said so with a POST)
_ASKED = "pending_scans"


@bp.post("/b/<token>/identify")
@limiter.limit(limits.LINK_REQUESTS_PER_IP, key_func=limits.ip_key)
@limiter.limit(limits.LINK_REQUESTS_PER_EMAIL, key_func=limits.email_key)
def identify(token: str) -> Any:
    """Not signed in: mail a sign-in link that carries the scan back to this badge."""
    found, person, event = load_badge(token)
    if found.is_revoked:
        return redirect(url_for("scan.badge", token=token))
    form = IdentifyForm.for_event(event)
    if not form.validate_on_submit():
        return render_badge(found, person, event, None, form, status=422)
    try:
        next_path = scan_service.pending_path(
            event.id, token, form.email.data or "", note=form.note.data or "",
            tags=list(form.tags.data or []), client_id=form.client_id.data or "",
            prefix=request.script_root)
        attendee_service.request_magic_link(event.id, form.email.data or "",
                                            next_path or url_for("scan.badge", token=token))
    except EventnetError as exc:
        target = form.note if exc.field == "note" else form.email
        target.errors = [*list(target.errors), exc.message]
        return render_badge(found, person, event, None, form, status=422)
    remember_asked(form.client_id.data or "")
    return render_template("scan/link_sent.html", event=event, person=person,
                           email=form.email.data)


def remember_asked(client_id: str) -> None:
    """Note that this browser asked for the scan ``client_id`` (it may complete on arrival)."""
    asked = [c for c in session.get(_ASKED, []) if c != client_id]
    session[_ASKED] = [*asked, client_id][-10:]


def _error(message: str, status: int) -> Any:
    return render_template("errors/error.html", status=status, message=message), status


def _check(token: str, pending: str) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Load the badge and the pending scan; raises InvalidLink for a token of another badge."""
    found, person, event = load_badge(token)
    payload = links.check(links.PENDING_SCAN, pending)
    if payload.get("b") != token or not isinstance(payload.get("c"), str):
        raise InvalidLink(_("This link is invalid."))
    return found, person, event, payload


def _record(viewer: Attendee, event_id: int, token: str, payload: dict[str, Any],
            note: str | None, tags: list[str] | None) -> None:
    """Record the pending scan, at the time it was asked for; raises EventnetError."""
    scanned_at = payload.get("s")
    scan_service.scan_badge(
        viewer.id, event_id, token, note=note, tags=tags, client_id=payload["c"],
        scanned_at=datetime.fromtimestamp(scanned_at, UTC)
        if isinstance(scanned_at, int) else None, source="badge")


def _is_recorded(viewer: Attendee, client_id: str) -> bool:
    return db.session.scalar(select(Scan.id).where(
        Scan.scanner_id == viewer.id, Scan.client_id == client_id)) is not None


@bp.get("/b/<token>/pending/<pending>")
@limiter.limit(limits.BAD_LINKS_PER_IP, key_func=limits.ip_key, deduct_when=limits.is_bad_link)
def pending(token: str, pending: str) -> Any:
    """Where the magic link lands: the card with the pending scan, ready to confirm."""
    try:
        found, person, event, payload = _check(token, pending)
    except InvalidLink as exc:
        return _error(exc.message, 400)
    viewer = current_attendee(event.id)
    if viewer is None:  # not through the magic link: the ordinary badge page
        return redirect(url_for("scan.badge", token=token))
    if viewer.id != payload.get("a"):
        return _error(_("This link was sent to someone else: nothing was saved."), 403)
    if found.is_revoked:
        return render_badge(found, person, event, viewer, None, status=410)
    client_id = payload["c"]
    if _is_recorded(viewer, client_id):
        return render_badge(found, person, event, viewer, None, saved=True,
                            mine=saved_by(viewer, person))
    if client_id in session.get(_ASKED, []):
        session[_ASKED] = [c for c in session.get(_ASKED, []) if c != client_id]
        limits.spend_scan(viewer.id)
        try:
            _record(viewer, event.id, token, payload, payload.get("n"), payload.get("t"))
        except EventnetError as exc:
            flash(exc.message, "error")
        else:
            return render_badge(found, person, event, viewer, None, saved=True,
                                mine=saved_by(viewer, person))
    form = ScanForm.for_event(event)
    form.note.data = payload.get("n") or ""
    form.tags.data = [t for t in payload.get("t") or [] if t in event.scan_tags]
    form.client_id.data = client_id
    return render_badge(found, person, event, viewer, form,
                   action=url_for("scan.pending_save", token=token, pending=pending))


@bp.post("/b/<token>/pending/<pending>")
def pending_save(token: str, pending: str) -> Response | Any:
    """Confirm the pending scan (CSRF): recorded once, with the note and tags as edited."""
    try:
        found, person, event, payload = _check(token, pending)
    except InvalidLink as exc:
        return _error(exc.message, 400)
    viewer = current_attendee(event.id)
    if viewer is None or found.is_revoked:
        return redirect(url_for("scan.badge", token=token))
    if viewer.id != payload.get("a"):
        return _error(_("This link was sent to someone else: nothing was saved."), 403)
    limits.spend_scan(viewer.id)
    form = ScanForm.for_event(event)
    action = url_for("scan.pending_save", token=token, pending=pending)
    if not form.validate_on_submit():
        return render_badge(found, person, event, viewer, form, status=422, action=action)
    try:
        _record(viewer, event.id, token, payload, form.note.data, form.tags.data)
    except EventnetError as exc:
        form.form_errors.append(exc.message)
        return render_badge(found, person, event, viewer, form, status=exc.status, action=action)
    flash(_("Saved: %(name)s is in your connections.", name=person.name), "success")
    return redirect(url_for("scan.badge", token=token))
