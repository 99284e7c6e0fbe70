"""Security headers on every answer; no caching of personal pages; the reverse-proxy setting."""

from __future__ import annotations

from eventnet import create_app

PERSONAL_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
                    "X-Frame-Options": "DENY", "Cache-Control": "no-store"}


def _assert_hardened(response, path: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
    assert "unsafe-inline" not in policy, path
    for name, value in PERSONAL_HEADERS.items():
        assert response.headers.get(name) == value, (path, name, response.headers.get(name))


def test_personal_pages_are_hardened_and_never_cached(client, auth, make_organizer, make_event,
                                                      make_attendee):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    ann = make_attendee(event, "Ann")
    auth.attendee(ann)
    for path in (f"/e/{event.slug}/me", f"/b/{ann.badge.token}", f"/e/{event.slug}",
                 "/api/v1/openapi.json", "/no-such-page"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        _assert_hardened(response, path)
        assert "Strict-Transport-Security" not in response.headers  # the base URL is http
    auth.organizer(organizer.email)
    for path in ("/communities/", f"/events/{event.slug}/", f"/events/{event.slug}/attendees",
                 f"/events/{event.slug}/followups"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_hardened(response, path)
    # static files keep their own, revalidated caching
    with client.get("/static/css/app.css") as static:
        assert static.status_code == 200 and static.headers["Cache-Control"] != "no-store"
        assert static.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_under_an_https_base_url(app, client):
    app.config["EVENTNET_BASE_URL"] = "https://meet.example.org"
    try:
        response = client.get("/organizer/sign-in")
    finally:
        app.config["EVENTNET_BASE_URL"] = "http://eventnet.test"
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def _remote_addresses(tmp_path, **config) -> list[str]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                      "SECRET_KEY": "x" * 40, "TESTING": True, **config})
    seen: list[str] = []
    app.before_request(lambda: seen.append(_request_remote_addr()))
    app.test_client().get("/organizer/sign-in", environ_base={"REMOTE_ADDR": "10.0.0.2"},
                          headers={"X-Forwarded-For": "203.0.113.9"})
    with app.app_context():
        from eventnet.extensions import db

        db.engine.dispose()
    return seen


def _request_remote_addr() -> str:
    from flask import request

    return str(request.remote_addr)


def test_proxy_fix_makes_per_ip_limits_see_the_client(tmp_path):
    """Behind one reverse proxy every request came from its address: one shared budget."""
    assert _remote_addresses(tmp_path) == ["10.0.0.2"]  # by default no header is trusted
    assert _remote_addresses(tmp_path, PROXY_FIX=1) == ["203.0.113.9"]
