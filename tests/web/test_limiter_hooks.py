"""Flask-Limiter's per-request hooks: skipped for the scan API, which checks its limits by
hand (issue 15), and still at work for every view whose limits it evaluates itself."""

from __future__ import annotations

import uuid
from typing import Any

from tests.clock import limiter_clock  # noqa: F401
from tests.web.test_scan_ratelimits import _bearer, limited_app  # noqa: F401


def test_decorated_views_still_get_the_limiters_headers_the_scan_api_none(
        limited_app: Any, make_event: Any, make_attendee: Any) -> None:  # noqa: F811
    limited = limited_app()
    event = make_event()
    me, other = make_attendee(event), make_attendee(event)
    client = limited.test_client()
    listed = client.get("/api/v1/me/connections", headers=_bearer(me))
    assert listed.status_code == 200
    assert listed.headers["X-RateLimit-Limit"] == "300"  # API_READS_PER_ATTENDEE
    scanned = client.post("/api/v1/scans", headers=_bearer(me),
                          json={"badge": other.badge.token, "client_id": uuid.uuid4().hex})
    assert scanned.status_code == 201
    assert "X-RateLimit-Limit" not in scanned.headers
    assert scanned.headers["Cache-Control"] == "no-store"  # our own after-request hook ran
