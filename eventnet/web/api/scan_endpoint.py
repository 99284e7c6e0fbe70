"""``POST /api/v1/scans``, answered without Flask's request handling: a scan from end to end.

A badge scan is the request every attendee makes at once at the breaks, and Flask's handling
around the view (the request context, URL matching, the session, the hooks before and after,
the response object) cost about as much server CPU as the scan itself (docs/benchmarks.md,
issue 15). So this WSGI middleware answers a scan that goes well by itself, with the same
pieces as the view (``routes.scan_fields``, ``routes.scan_answer``, the same limits and the
same service), in an application context only:

1. the scanner, from the ``Authorization: Bearer`` token (``scans.scanner_for_token``);
2. the JSON body, parsed and checked as ``request.get_json`` would (``edge.JSONProvider``);
3. the unknown-badge budget looked at, then one scan of the scanner's budget spent;
4. the scan recorded (``scans.scan_badge``: durable before the answer);
5. the 201 answer, with the security headers every answer carries.

Everything else goes to Flask, with the body it read: a request it does not take (another
route or method, a query string, a cookie, no ``Content-Length``, a large body), and a scan
that does not go well (no or bad token, bad JSON or fields, a limit reached, an unknown or
revoked badge, a replayed ``client_id``...). The view ``create_scan`` then answers it as it
answers any request, so every refusal is decided and worded (in the client's language) in
one place. Before step 3 nothing has changed; from step 3 on, the environ says the scan's
budget was spent (``SCAN_SPENT``), so the view does not spend it again; a scan that failed
stored nothing, so the view's second try stores only what a first try would have.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from eventnet.services import scans as scan_service
from eventnet.web import limits
from eventnet.web.api.routes import SCAN_SPENT, scan_answer, scan_fields
from eventnet.web.headers import security_headers

PATH = "/api/v1/scans"
#: a scan's body is a few hundred bytes; larger ones (up to the app's limit) go to Flask
MAX_BODY = 64 * 1024

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ScanEndpoint:
    """WSGI middleware: answers the badge scans it can, hands the rest to ``wsgi_app``."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        """Answer a scan, or pass the request on (see the module's docstring)."""
        token = self._takes(environ)
        if token is not None:
            length = int(environ["CONTENT_LENGTH"])
            raw = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(raw)  # what Flask reads if it answers
            if len(raw) == length:
                with self.app.app_context():
                    answer = self._scan(environ, token, raw)
                if answer is not None:
                    status, body = answer
                    headers = [("Content-Type", "application/json"),
                               ("Content-Length", str(len(body))),
                               *security_headers(self.app.config["EVENTNET_BASE_URL"])]
                    start_response(status, headers)
                    return [body]
        return self.wsgi_app(environ, start_response)

    @staticmethod
    def _takes(environ: dict[str, Any]) -> str | None:
        """The Bearer token of a scan request this endpoint answers, else None."""
        if (environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST"
                or environ.get("QUERY_STRING") or "HTTP_COOKIE" in environ
                or "HTTP_TRANSFER_ENCODING" in environ):
            return None
        length = environ.get("CONTENT_LENGTH") or ""
        if not length.isdigit() or not 0 < int(length) <= MAX_BODY:
            return None
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        token = token.strip()
        return token if scheme.lower() == "bearer" and token else None

    def _scan(self, environ: dict[str, Any], token: str, raw: bytes) -> tuple[str, bytes] | None:
        """Record the scan: its status line and JSON answer, or None for Flask to answer."""
        try:
            scanner = scan_service.scanner_for_token(token, cached=True)
            if scanner is None:
                return None
            body = self.app.json.loads(raw)
            if not isinstance(body, dict):
                return None
            fields = scan_fields(body)
            limits.ensure_left(limits.UNKNOWN_BADGES, f"attendee:{scanner.attendee_id}")
            limits.spend_scan(scanner.attendee_id)
        except Exception:  # noqa: BLE001  # bad JSON or fields, a limit, a failure: nothing
            return None   # changed yet, and the view answers (and logs what failed)
        environ[SCAN_SPENT] = True
        try:
            result = scan_service.scan_badge(scanner.attendee_id, scanner.event_id,
                                             token_hash=scanner.token_hash, **fields)
        except Exception:  # noqa: BLE001  # stored nothing: the view answers (and logs)
            return None
        if result.connection is None:  # a replayed client_id: the view reads the connection
            return None
        # Stored: from here on, an error is a bug that must not make the view store it again
        text = self.app.json.dumps(scan_answer(scanner, result, fields["client_id"]),
                                   separators=(",", ":"))
        return "201 CREATED", text.encode("utf-8", "replace")


def init_app(app: Flask) -> None:
    """Put the scan endpoint in front of the app (inside any proxy middleware added later)."""
    app.wsgi_app = ScanEndpoint(app, app.wsgi_app)  # type: ignore[method-assign]
