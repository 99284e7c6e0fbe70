"""Security headers on every response, and the reverse-proxy setting.

The pages load only eventnet's own scripts and styles (the vendored libraries included), so the
Content-Security-Policy allows ``'self'`` and nothing inline. ``'wasm-unsafe-eval'`` lets the
QR decoder (zxing-wasm, for browsers without a native BarcodeDetector) compile its WebAssembly;
``data:`` images are the claim-link QR codes drawn into the page; the network graph's layout
runs in a worker that graphology starts from a ``blob:`` URL. JSON data blocks
(``<script type="application/json">``) are not scripts and need nothing.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
#: a year, as browsers' preload lists expect; sent only when the base URL is https
HSTS = "max-age=31536000"


_ALWAYS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),  # frame-ancestors, for older browsers
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)


def security_headers(base_url: str, *, is_static: bool = False) -> list[tuple[str, str]]:
    """The security headers of an answer: pages and API answers without a caching policy of
    their own get ``no-store`` (they are personal: attendee, organizer and badge pages,
    tokens); static files carry their own (revalidated) policy."""
    wanted = list(_ALWAYS)
    if base_url.startswith("https://"):
        wanted.append(("Strict-Transport-Security", HSTS))
    if not is_static:
        wanted.append(("Cache-Control", "no-store"))
    return wanted


def add_security_headers(response: Response) -> Response:
    """Set the security headers (``security_headers``) the answer does not set itself."""
    headers = response.headers
    # One pass over the answer's headers: werkzeug's setdefault scans them once per header
    # and validates each value again, which cost as much as a badge scan's JSON answer.
    present = {name.lower() for name, _value in headers.items()}
    wanted = security_headers(current_app.config["EVENTNET_BASE_URL"],
                              is_static=request.endpoint == "static")
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response, and trust ``PROXY_FIX`` reverse proxies' X-Forwarded-*
    headers (the client's address for per-IP limits, https for secure cookies)."""
    app.after_request(add_security_headers)
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies,
            x_prefix=proxies)
