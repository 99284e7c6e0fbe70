"""Rate limits: generous per attendee, strict on guessing, shared through Redis.

Flask-Limiter reads RATELIMIT_ENABLED when it is attached, so these tests build their own
app with limits on (same database as the ``app`` fixture, so the factories work).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from eventnet.services.attendees import access_token
from tests.clock import StoppedClock, limiter_clock  # noqa: F401

REDIS_URL = os.environ.get("EVENTNET_TEST_REDIS_URL")


@pytest.fixture
def limited_app(app: Any,
                limiter_clock: StoppedClock) -> Iterator[Callable[..., Any]]:  # noqa: F811
    """Build apps with rate limits on; their database connections are closed afterwards.

    The limiter's clock is stopped (``limiter_clock``): however slow the machine, a burst
    stays in one window; tests that need a window to end move the clock.
    """
    from eventnet import create_app
    from eventnet.extensions import db

    made: list[Any] = []

    def make(storage: str = "memory://") -> Any:
        config = {key: app.config[key] for key in (
            "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "EVENTNET_BASE_URL", "MAIL_BACKEND",
            "MAIL_FROM", "SMTP_HOST", "SMTP_PORT", "PASSWORD_HASH_METHOD")}
        limited = create_app({**config, "TESTING": True, "WTF_CSRF_ENABLED": False,
                              "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage})
        made.append(limited)
        return limited

    yield make
    for limited in made:
        with limited.app_context():
            db.session.remove()
            db.engine.dispose()


def _random_ip() -> str:
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2] or 1}"


def _bearer(attendee: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token(attendee)}"}


def test_scans_are_limited_per_attendee_not_per_ip(limited_app, make_event, make_attendee):
    limited = limited_app()
    event = make_event()
    ann, bob, target = make_attendee(event), make_attendee(event), make_attendee(event)
    client = limited.test_client()
    ip = {"REMOTE_ADDR": _random_ip()}  # the whole venue behind one address
    statuses = [client.post("/api/v1/scans", json={"badge": target.badge.token},
                            headers=_bearer(ann), environ_base=ip).status_code
                for _ in range(121)]
    assert statuses[:120] == [201] * 120  # two a second for a minute: fine
    assert statuses[120] == 429
    blocked = client.post("/api/v1/scans", json={"badge": target.badge.token},
                          headers=_bearer(ann), environ_base=ip)
    assert blocked.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 61  # when the minute's budget is back
    # Bob shares the venue's IP address and is not affected
    assert client.post("/api/v1/scans", json={"badge": target.badge.token},
                       headers=_bearer(bob), environ_base=ip).status_code == 201


def test_the_budget_comes_back_when_the_minute_is_over(limited_app, limiter_clock,  # noqa: F811
                                                       make_event, make_attendee):
    limited = limited_app()
    event = make_event()
    ann, target = make_attendee(event), make_attendee(event)
    client = limited.test_client()

    def scan() -> int:
        return client.post("/api/v1/scans", json={"badge": target.badge.token},
                           headers=_bearer(ann)).status_code

    assert [scan() for _ in range(121)][-2:] == [201, 429]
    limiter_clock.advance(58)  # the same minute
    assert scan() == 429
    limiter_clock.advance(62)  # two minutes on: the sliding window holds none of them
    assert scan() == 201


def test_guessing_tokens_and_badges_is_stopped(limited_app, make_event, make_attendee):
    limited = limited_app()
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event)
    client = limited.test_client()
    ip = {"REMOTE_ADDR": _random_ip()}
    guesses = [client.post("/api/v1/scans", json={"badge": bob.badge.token}, environ_base=ip,
                           headers={"Authorization": f"Bearer ea_{n}"}).status_code
               for n in range(21)]
    assert guesses[:20] == [401] * 20 and guesses[20] == 429
    # an honest attendee behind the same address still scans
    assert client.post("/api/v1/scans", json={"badge": bob.badge.token}, environ_base=ip,
                       headers=_bearer(ann)).status_code == 201
    # unknown badges: 30 a minute per scanner, then that scanner waits
    unknown = [client.post("/api/v1/scans", json={"badge": f"guess-{n}"}, environ_base=ip,
                           headers=_bearer(ann)).status_code for n in range(31)]
    assert unknown[:30] == [404] * 30 and unknown[30] == 429
    # ... and known badges seen successfully do not use that budget up (only 404s count)
    assert client.post("/api/v1/scans", json={"badge": ann.badge.token}, environ_base=ip,
                       headers=_bearer(bob)).status_code == 201


def test_magic_link_requests_are_limited_per_address(limited_app, make_event, make_attendee):
    limited = limited_app()
    event = make_event()
    make_attendee(event, email="ann@example.org")
    client = limited.test_client()
    codes = [client.post(f"/e/{event.slug}/signin", data={"email": "ann@example.org"},
                         environ_base={"REMOTE_ADDR": _random_ip()}).status_code
             for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429  # no mail bombing from many addresses
    other = client.post(f"/e/{event.slug}/signin", data={"email": "bob@example.org"},
                        environ_base={"REMOTE_ADDR": _random_ip()})
    assert other.status_code == 200


_OTHER_SERVER = textwrap.dedent("""
    import sys, tempfile
    from eventnet import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + tempfile.mkdtemp() + "/x.db",
                      "SECRET_KEY": "x", "TESTING": True, "RATELIMIT_ENABLED": True,
                      "RATELIMIT_STORAGE_URI": sys.argv[1]})
    print("ready", flush=True)
    sys.stdin.readline()  # the test used the budget up meanwhile
    r = app.test_client().post("/api/v1/scans", json={"badge": "x"},
                               headers={"Authorization": "Bearer nope"},
                               environ_base={"REMOTE_ADDR": sys.argv[2]})
    print(r.status_code, flush=True)
""")


class OtherServer:
    """Another app server in its own process, started (the slow part) before the test's
    requests, so its one request follows them at once, within the same minute window
    however loaded the machine (Redis's windows run on its own clock, not ours)."""

    def __init__(self, storage: str, ip: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _OTHER_SERVER, storage, ip], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True,
            env={**os.environ, "EVENTNET_INSTANCE_PATH": ""})
        assert self.process.stdout.readline().strip() == "ready"

    def status(self) -> int:
        out, _ = self.process.communicate("go\n", timeout=300)
        return int(out.strip().splitlines()[-1])


@pytest.mark.skipif(not REDIS_URL, reason="EVENTNET_TEST_REDIS_URL is not set")
def test_two_app_servers_share_limits_through_redis(limited_app, make_event, make_attendee):
    limited = limited_app(REDIS_URL)
    ip = _random_ip()
    shared, local = OtherServer(REDIS_URL, ip), OtherServer("memory://", ip)
    client = limited.test_client()
    codes = [client.post("/api/v1/scans", json={"badge": "x"}, environ_base={"REMOTE_ADDR": ip},
                         headers={"Authorization": "Bearer nope"}).status_code
             for _ in range(20)]
    assert codes == [401] * 20
    # another process (another gunicorn worker or server) sees the same budget, used up
    assert shared.status() == 429
    # control: with per-process memory storage it would not
    assert local.status() == 401


def _signed_in(limited: Any, attendee: Any) -> Any:
    """A browser of ``limited`` signed in as ``attendee`` through their magic link."""
    from eventnet.services.attendees import magic_link
    from tests.conftest import open_magic_link

    browser = limited.test_client()
    assert open_magic_link(browser, magic_link(attendee)).status_code in (200, 302)
    return browser


@pytest.mark.parametrize("first", ["api", "badge page"])
def test_one_scan_budget_per_attendee_across_routes(limited_app, make_event, make_attendee,
                                                    first):
    limited = limited_app()
    event = make_event()
    ann, bob, cat = make_attendee(event), make_attendee(event), make_attendee(event)
    api, browser = limited.test_client(), _signed_in(limited, ann)

    def by_api() -> int:
        return api.post("/api/v1/scans", json={"badge": bob.badge.token},
                        headers=_bearer(ann)).status_code

    def by_page() -> int:
        return browser.post(f"/b/{cat.badge.token}", data={"note": ""}).status_code

    spend, other = (by_api, by_page) if first == "api" else (by_page, by_api)
    assert set(spend() for _ in range(70)) <= {201, 302}
    assert set(other() for _ in range(50)) <= {201, 302}  # 120 in all: the minute's budget
    assert spend() == 429 and other() == 429  # one budget, whichever route asks
