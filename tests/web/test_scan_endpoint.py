"""The scan endpoint in front of Flask (``web/api/scan_endpoint.py``): a good scan answered
without Flask's request handling, exactly as Flask would answer it; everything else handed
to the view with its body, each rate limit spent once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import request_started
from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import Scan
from eventnet.services.attendees import access_token
from eventnet.web import limits
from tests.clock import StoppedClock, limiter_clock  # noqa: F401
from tests.web.test_scan_ratelimits import limited_app  # noqa: F401


@pytest.fixture
def through_flask(app: Any) -> Iterator[list[str]]:
    """The paths of the requests that Flask handled (its ``request_started`` signal)."""
    seen: list[str] = []

    def record(sender: Any, **_extra: Any) -> None:
        from flask import request

        seen.append(request.path)

    request_started.connect(record, app)
    yield seen
    request_started.disconnect(record, app)


def _bearer(attendee: Any, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token(attendee)}", **more}


def _scans() -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(Scan)) or 0)


def test_a_good_scan_is_answered_without_flask_and_as_flask_answers_it(
        app: Any, client: Any, make_event: Callable[..., Any], make_attendee: Callable[..., Any],
        through_flask: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event, "Bob", company="Acme")
    fast = client.post("/api/v1/scans", json={"badge": bob.badge.token, "note": "Rust",
                                              "tags": ["hiring"], "client_id": "f-1"},
                       headers=_bearer(ann))
    assert fast.status_code == 201, fast.get_json()
    assert through_flask == []  # the endpoint answered it
    # the same scan again by Flask alone (the endpoint taken out), from another client id
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app.wsgi_app)
    slow = client.post("/api/v1/scans", json={"badge": bob.badge.token, "note": "Rust",
                                              "tags": ["hiring"], "client_id": "f-2"},
                       headers=_bearer(ann))
    assert slow.status_code == 201, slow.get_json()
    assert through_flask == ["/api/v1/scans"]
    assert _scans() == 2

    def headers(response: Any) -> dict[str, str]:
        # Flask's view reads the (empty) session, hence its "Vary: Cookie"; the endpoint's
        # answer cannot depend on a cookie (a request with one goes to Flask)
        return {name: value for name, value in response.headers.items()
                if name not in ("Content-Length", "Vary")}

    assert headers(fast) == headers(slow)
    assert fast.headers["Content-Length"] == str(len(fast.data))
    first, second = fast.get_json(), slow.get_json()
    assert first["scan"]["client_id"] == "f-1" and first["scan"]["is_new"]
    assert first["connection"]["person"]["name"] == "Bob"
    assert first["connection"]["note"] == "Rust" and first["connection"]["tags"] == ["hiring"]
    # the same answer but for what the second scan changed (its id, its count, its time)
    for answer in (first, second):
        del answer["scan"]["id"], answer["scan"]["client_id"], answer["scan"]["is_counted"]
        del answer["connection"]["scan_count"], answer["connection"]["last_met_at"]
    assert first == second


@pytest.mark.parametrize(("body", "cookie", "query", "why"), [
    ({}, True, "", "a cookie"),
    ({}, False, "?lang=fr", "a query string"),
    ({"note": "n" * 70_000}, False, "", "a large body"),
])
def test_what_the_endpoint_does_not_take_goes_to_flask(
        client: Any, make_event: Callable[..., Any], make_attendee: Callable[..., Any],
        through_flask: list[str], body: dict[str, Any], cookie: bool, query: str,
        why: str) -> None:
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event, "Bob")
    if cookie:
        client.set_cookie("seen", "1")
    response = client.post(f"/api/v1/scans{query}", json={**body, "badge": bob.badge.token},
                           headers=_bearer(ann))
    assert through_flask == ["/api/v1/scans"], why
    # the view answers it (a 70 kB note is refused by the scan's own check)
    assert response.status_code == (422 if body else 201), response.get_json()


def test_refusals_are_flasks_own_with_the_body_kept(
        client: Any, make_event: Callable[..., Any], make_attendee: Callable[..., Any],
        through_flask: list[str]) -> None:
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event, "Bob")
    # a wrong field: the view reads the very body the endpoint read, and names the field
    wrong = client.post("/api/v1/scans", json={"badge": bob.badge.token, "tags": "hiring"},
                        headers=_bearer(ann))
    assert wrong.status_code == 400
    assert wrong.get_json()["error"]["code"] == "invalid_field"
    # an unknown badge, in the client's language
    unknown = client.post("/api/v1/scans", json={"badge": "nope"},
                          headers=_bearer(ann, **{"Accept-Language": "fr"}))
    assert unknown.status_code == 404
    assert unknown.get_json()["error"] == {"code": "unknown_badge", "message": "Badge inconnu."}
    # no token, bad JSON
    assert client.post("/api/v1/scans", json={"badge": bob.badge.token}).status_code == 401
    bad = client.post("/api/v1/scans", data=b"{not json", headers=_bearer(
        ann, **{"Content-Type": "application/json"}))
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_json"
    assert len(through_flask) == 4 and _scans() == 0
    # a replayed client_id: the view answers 200 with the connection
    assert client.post("/api/v1/scans", json={"badge": bob.badge.token, "client_id": "r"},
                       headers=_bearer(ann)).status_code == 201
    replay = client.post("/api/v1/scans", json={"badge": bob.badge.token, "client_id": "r"},
                         headers=_bearer(ann))
    assert replay.status_code == 200 and replay.get_json()["connection"]["scan_count"] == 1
    assert len(through_flask) == 5 and _scans() == 1


def _left(spec: str, key: str) -> int:
    """How much of the first limit of ``spec`` is left for ``key``."""
    from eventnet.extensions import limiter

    item = limits.items_of(spec)[0]
    return int(limiter.limiter.get_window_stats(item, spec, key).remaining)


def test_each_limit_is_spent_once_when_the_view_answers_instead(
        app: Any, make_event: Callable[..., Any], make_attendee: Callable[..., Any],
        limited_app: Callable[..., Any]) -> None:  # noqa: F811
    limited = limited_app()
    client = limited.test_client()
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event, "Bob")
    me = f"attendee:{ann.id}"
    headers = _bearer(ann)
    assert client.post("/api/v1/scans", json={"badge": bob.badge.token},
                       headers=headers).status_code == 201
    # an unknown badge: the endpoint spent the scan, the view must not spend it again
    assert client.post("/api/v1/scans", json={"badge": "nope"},
                       headers=headers).status_code == 404
    # a field the endpoint refuses before spending: the view spends it, once
    assert client.post("/api/v1/scans", json={"badge": bob.badge.token, "tags": 3},
                       headers=headers).status_code == 400
    with limited.app_context():
        scans_allowed = limits.items_of(limits.SCANS_PER_ATTENDEE)[0].amount
        unknown_allowed = limits.items_of(limits.UNKNOWN_BADGES)[0].amount
        assert _left(limits.SCANS_PER_ATTENDEE, me) == scans_allowed - 3
        assert _left(limits.UNKNOWN_BADGES, me) == unknown_allowed - 1


def test_a_failure_before_the_scan_leaves_it_to_the_view(
        client: Any, make_event: Callable[..., Any], make_attendee: Callable[..., Any],
        through_flask: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The endpoint's token lookup fails once (a dropped connection, say): nothing was
    stored or spent, and the view (its own lookup works) records the scan once."""
    from eventnet.services import scans

    lookup = scans.scanner_for_token
    calls: list[str] = []

    def failing_once(token: str, **kwargs: Any) -> Any:
        calls.append(token)
        if len(calls) == 1:
            raise RuntimeError("connection dropped")
        return lookup(token, **kwargs)

    monkeypatch.setattr(scans, "scanner_for_token", failing_once)
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event, "Bob")
    response = client.post("/api/v1/scans", json={"badge": bob.badge.token, "client_id": "x"},
                           headers=_bearer(ann))
    assert response.status_code == 201, response.get_json()
    assert through_flask == ["/api/v1/scans"] and len(calls) == 1 and _scans() == 1
