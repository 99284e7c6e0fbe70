"""The web layer: thin blueprints that load, authorize, call one service and render."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from flask import Flask, current_app, g, jsonify, render_template, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from eventnet.extensions import login
from eventnet.models import MAX_ID
from eventnet.services.errors import EventnetError
from eventnet.services.storable import nul_character as nul_character  # the API's checks
from eventnet.web import headers
from eventnet.web.edge import JSONProvider, Response, refuse_bad_text


def local_time(value: datetime | None, tz: str = "UTC", fmt: str = "medium") -> str:
    """Format an aware datetime in an event's time zone and the user's language.

    ``fmt`` is ``full``, ``medium`` or ``short`` (a date of that length and the time to the
    minute) or a CLDR pattern such as ``HH:mm``.
    """
    if value is None:
        return ""
    zone = ZoneInfo(tz)
    local = value.astimezone(zone)
    locale = get_locale() or "en"
    if fmt not in ("full", "medium", "short"):
        return format_datetime(local, fmt, tzinfo=zone, locale=locale)
    date = format_date(local, fmt, locale=locale)
    time = format_time(local, "short", tzinfo=zone, locale=locale)
    return f"{date}, {time}" if fmt != "full" else f"{date} · {time}"


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in every route. An id past what the database holds names no row, so it
    is looked up as 0, which names none either: the view answers its own 404 (PostgreSQL
    would fail with "integer out of range"; a converter that refused the URL would turn a
    route with several methods into a misleading 405)."""

    def to_python(self, value: str) -> Any:
        number = super().to_python(value)
        return number if number <= MAX_ID else 0


def row_id(text: str) -> int:
    """An id from a query argument: ``request.args.get("attendee", type=row_id)`` gives None
    for anything but a number in the range of ids."""
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ValueError(text)
    return value


def camera_texts() -> dict[str, str]:
    """What the door page and the scanner say when the camera does not start, by cause
    (``EventnetCamera.problem`` in qr-camera.js picks one from the browser's error name)."""
    return {
        "blocked": _("The camera is blocked: allow it for this site in the browser's settings, "
                     "then reload the page."),
        "missing": _("No camera was found on this device."),
        "busy": _("The camera is in use by another app: close that app, then reload the page."),
        "insecure": _("The browser gives this page no camera: it needs a secure address "
                      "(https://)."),
        "other": _("The camera could not start: reload the page to try again."),
    }


def wants_json() -> bool:
    """Whether the client should get a JSON error rather than a page."""
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def error_response(status: int, code: str, message: str) -> Any:
    """The one JSON error shape of the API: ``{"error": {"code", "message"}}``."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _handle_http(exc: HTTPException) -> Any:
    status = exc.code or 500
    messages = {
        400: _("The request could not be understood."),
        403: _("You may not do this."),
        404: _("This page does not exist."),
        405: _("This method is not allowed here."),
        413: _("The upload is too large."),
        429: _("Too many requests: please slow down and try again in a moment."),
    }
    message = messages.get(status, exc.description or "")
    if wants_json():
        codes = {400: "bad_request", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 413: "too_large", 429: "rate_limited"}
        response = error_response(status, codes.get(status, "error"), message)
    else:
        response = current_app.make_response(
            (render_template("errors/error.html", status=status, message=message), status))
    # What the exception says beyond its page: Allow (405), Retry-After (429), ...
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _handle_csrf(exc: CSRFError) -> Any:
    message = _("The form expired or was sent from elsewhere. Reload the page and try again.")
    if wants_json():
        return error_response(400, "csrf", message)
    return render_template("errors/error.html", status=400, message=message), 400


def _handle_service_error(exc: EventnetError) -> Any:
    if wants_json():
        return error_response(exc.status, exc.code, exc.message)
    return render_template("errors/error.html", status=exc.status, message=exc.message), exc.status


def register_web(app: Flask) -> None:
    """Attach blueprints, error handlers, the login loader and template helpers."""
    from eventnet.web.api import bp as api_bp
    from eventnet.web.api import scan_endpoint
    from eventnet.web.attendee import bp as attendee_bp
    from eventnet.web.organizer import bp as organizer_bp
    from eventnet.web.public import bp as public_bp
    from eventnet.web.scan import bp as scan_bp

    app.url_map.converters["int"] = RowIdConverter  # before the routes are added
    for bp in (public_bp, attendee_bp, organizer_bp, scan_bp, api_bp):
        app.register_blueprint(bp)

    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(EventnetError, _handle_service_error)

    app.json = JSONProvider(app)
    app.response_class = Response
    app.before_request(refuse_bad_text)
    scan_endpoint.init_app(app)  # before the proxy middleware, which must come first
    headers.init_app(app)

    @login.user_loader
    def _load_organizer(session_id: str) -> Any:
        from eventnet.services.organizers import organizer_for_session

        return organizer_for_session(session_id)

    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals["camera_texts"] = camera_texts
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"current_locale": str(get_locale() or "en"), "languages": ("en", "fr")}

    @app.before_request
    def _language_from_query() -> None:
        lang = request.args.get("lang")
        if lang in ("en", "fr"):
            session["lang"] = lang
        g.setdefault("attendee", None)
