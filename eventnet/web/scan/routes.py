"""Routes of badge pages and QR images."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template

from eventnet.services import badges as badge_service
from eventnet.services.attendees import badge_url, get_by_badge
from eventnet.web.auth import current_attendee
from eventnet.web.scan import bp


@bp.get("/b/<token>")
def badge(token: str) -> Any:
    """The public card behind a badge. A GET never records anything."""
    found = get_by_badge(token)
    attendee = found.attendee
    if attendee.erased_at is not None:
        abort(404)
    viewer = current_attendee(attendee.event_id)
    status = 410 if found.is_revoked else 200
    return render_template("scan/badge.html", badge=found, person=attendee,
                           event=attendee.event, viewer=viewer), status


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
