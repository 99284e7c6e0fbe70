"""Routes of the JSON API: scans, my connections, event stats.

Every error is ``{"error": {"code", "message"}}`` with its 4xx status; a request that fails
changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_babel import ngettext

from eventnet.extensions import db, limiter
from eventnet.models import Attendee
from eventnet.models.organizer import ROLE_ORGANIZER
from eventnet.services import connections as connection_service
from eventnet.services import scans as scan_service
from eventnet.services.errors import EventnetError, NotFound, Unauthorized
from eventnet.services.events import get_event
from eventnet.services.organizers import organizer_for_token, role_in
from eventnet.services.scan_stats import event_counts
from eventnet.web import limits, nul_character
from eventnet.web.api import bp
from eventnet.web.api.openapi import document
from eventnet.web.auth import api_scanner, bearer_token

#: set in the WSGI environ by ``scan_endpoint`` when it spent the scan's rate limit before
#: handing the request to ``create_scan`` (which must not spend it twice)
SCAN_SPENT = "eventnet.scan_spent"


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3 document of this API."""
    return jsonify(document())


def _scanner() -> scan_service.ScannerRef:
    scanner = api_scanner()
    if scanner is None:
        if bearer_token() is None:
            raise Unauthorized(_("Send your access token: Authorization: Bearer ea_..."),
                               code="missing_token")
        raise scan_service.invalid_token()
    return scanner


def _json_object() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise EventnetError(_("The body must be a JSON object."), code="invalid_json")
    return body


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise EventnetError(_("%(field)s must be a string.", field=name), code="invalid_field",
                            field=name)
    if value is not None and "\x00" in value:
        raise nul_character(name)
    return value


def _tags(body: dict[str, Any]) -> list[str] | None:
    value = body.get("tags")
    if value is not None and not (isinstance(value, list)
                                  and all(isinstance(t, str) for t in value)):
        raise EventnetError(_("tags must be a list of strings."), code="invalid_field",
                            field="tags")
    if value is not None and any("\x00" in tag for tag in value):
        raise nul_character("tags")
    return value


def _source(body: dict[str, Any]) -> str:
    """Who sends the scan: the in-app scanner says so; a plain API client need not."""
    source = body.get("source")
    if source not in (None, "api", "scanner"):
        raise EventnetError(_('source must be "api" or "scanner".'), code="invalid_field",
                            field="source")
    return source or "api"


def scan_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The arguments of ``scans.scan_badge`` that a scan's JSON body gives, checked.

    Raises EventnetError (400) naming the field that is missing or wrong.
    """
    badge = body.get("badge")
    if not isinstance(badge, str) or not badge.strip():
        raise EventnetError(_("badge is required: the token (or URL) read from the QR code."),
                            code="missing_badge", field="badge")
    if "\x00" in badge:
        raise nul_character("badge")
    return {"token": badge, "client_id": _text(body, "client_id"),
            "note": _text(body, "note") or "", "tags": _tags(body) or [],
            "scanned_at": scan_service.parse_scanned_at(body.get("scanned_at")),
            "source": _source(body)}


def scan_answer(scanner: scan_service.ScannerRef, result: scan_service.ScanResult,
                client_id: str | None) -> dict[str, Any]:
    """The JSON answer to a recorded scan: the scan, and the connection as the scanner sees it."""
    return {
        "scan": {"id": result.scan_id, "client_id": client_id, "is_new": result.is_new,
                 "is_counted": result.is_counted},
        "connection": connection_service.connection_json(result.connection)
        if result.connection is not None
        else connection_service.connection_for(scanner.attendee_id, result.connection_id),
    }


@bp.post("/scans")
def create_scan() -> Any:
    """Record a badge scan: 201 when new, 200 when its client_id was recorded before.

    Most scans never reach this view: ``scan_endpoint`` answers them without Flask's request
    handling, and hands here (with the body kept) every request it does not answer itself,
    so that refusals are made and worded in one place.
    """
    scanner = api_scanner(cached=True)
    if scanner is None:
        ip = limits.ip_key()
        limits.ensure_left(limits.BAD_TOKENS_PER_IP, ip)
        limits.deduct(limits.BAD_TOKENS_PER_IP, ip)
        _scanner()  # raises the 401 that says what is wrong
    assert scanner is not None
    me = f"attendee:{scanner.attendee_id}"
    if not request.environ.get(SCAN_SPENT):  # the fast path spent it already
        limits.spend_scan(scanner.attendee_id)
    limits.ensure_left(limits.UNKNOWN_BADGES, me)
    fields = scan_fields(_json_object())
    try:
        result = scan_service.scan_badge(scanner.attendee_id, scanner.event_id,
                                         token_hash=scanner.token_hash, **fields)
    except NotFound:
        limits.deduct(limits.UNKNOWN_BADGES, me)  # only unknown badges use this budget up
        raise
    response = jsonify(scan_answer(scanner, result, fields["client_id"]))
    response.status_code = 201 if result.is_new else 200
    return response


def _me() -> Attendee:
    scanner = _scanner()
    attendee = db.session.get(Attendee, scanner.attendee_id)
    assert attendee is not None
    return attendee


@bp.get("/me/connections")
@limiter.limit(limits.BAD_TOKENS_PER_IP, key_func=limits.ip_key,
               deduct_when=limits.is_unauthorized, exempt_when=limits.has_valid_token)
@limiter.limit(limits.API_READS_PER_ATTENDEE, key_func=limits.attendee_key)
def my_connections() -> Any:
    """The people I met, newest first, with my notes and tags."""
    me = _me()
    entries = connection_service.connections_for(me)
    return jsonify({"connections": [connection_service.connection_json(e) for e in entries]})


@bp.patch("/me/connections/<int:connection_id>")
@limiter.limit(limits.BAD_TOKENS_PER_IP, key_func=limits.ip_key,
               deduct_when=limits.is_unauthorized, exempt_when=limits.has_valid_token)
@limiter.limit(limits.API_READS_PER_ATTENDEE, key_func=limits.attendee_key)
def edit_connection(connection_id: int) -> Any:
    """Replace my note and/or tags on one of my connections."""
    scanner = _scanner()
    body = _json_object()
    unknown = sorted(set(body) - {"note", "tags"})
    if unknown:
        raise EventnetError(ngettext("Unknown field: %(fields)s. Only note and tags can change.",
                                     "Unknown fields: %(fields)s. Only note and tags can change.",
                                     len(unknown), fields=", ".join(unknown)),
                            code="invalid_field")
    return jsonify(connection_service.update_my_connection(
        scanner.attendee_id, connection_id, note=_text(body, "note"), tags=_tags(body)))


@bp.delete("/me/connections/<int:connection_id>")
@limiter.limit(limits.BAD_TOKENS_PER_IP, key_func=limits.ip_key,
               deduct_when=limits.is_unauthorized, exempt_when=limits.has_valid_token)
@limiter.limit(limits.API_READS_PER_ATTENDEE, key_func=limits.attendee_key)
def forget_connection(connection_id: int) -> Any:
    """Remove my side of a connection (my scans of them, my note and tags)."""
    scanner = _scanner()
    connection_service.forget_connection(scanner.attendee_id, connection_id)
    return "", 204


@bp.get("/events/<slug>/stats")
@limiter.limit(limits.BAD_TOKENS_PER_IP, key_func=limits.ip_key,
               deduct_when=limits.is_unauthorized, exempt_when=limits.has_valid_token)
def stats(slug: str) -> Any:
    """Live counts of an event, for its organizers' API token."""
    token = bearer_token()
    organizer = organizer_for_token(token) if token and token.startswith("eo_") else None
    if organizer is None:
        raise Unauthorized(_("Send an organizer API token: Authorization: Bearer eo_... "
                             "(eventnet organizers token EMAIL)."), code="invalid_token")
    try:
        event = get_event(slug)
    except NotFound:
        event = None
    # Door staff only check people in; event figures are for the community's organizers.
    if event is None or role_in(organizer, event.community_id) != ROLE_ORGANIZER:
        raise NotFound(_("No such event."), code="unknown_event")
    return jsonify(event_counts(event))
