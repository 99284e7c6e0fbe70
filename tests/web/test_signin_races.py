"""Simultaneous sign-in attempts: no more get their password checked than the limits allow.

Each test sends its attempts from threads released together by a barrier. Every attempt let
through is then held inside the password check until every other attempt has either been
answered or reached the check too: so, if the limits only counted a failure after its
password check, all of them would be checked (which is what happened before). No sleep, no
timing: the order is forced. On the in-memory storage and on Redis
(``EVENTNET_TEST_REDIS_URL``), with the limiter's clock stopped.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from eventnet.web import limits
from eventnet.web.signin_limits import DEVICE_COOKIE
from tests.clock import limiter_clock  # noqa: F401  (fixture of limited_app)
from tests.conftest import PASSWORD
from tests.web.test_scan_ratelimits import _random_ip, limited_app  # noqa: F401  (fixture)

REDIS_URL = os.environ.get("EVENTNET_TEST_REDIS_URL")
#: more than any limit below lets through
ATTEMPTS = 8


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.skipif(
    not REDIS_URL, reason="EVENTNET_TEST_REDIS_URL is not set"))])
def signin_app(request: Any, limited_app: Any) -> Any:  # noqa: F811
    return limited_app("memory://" if request.param == "memory" else REDIS_URL)


@pytest.fixture
def owner(make_organizer: Any) -> Any:
    return make_organizer(f"owner.{uuid.uuid4().hex[:10]}@example.org")


@pytest.fixture
def race(signin_app: Any, monkeypatch: pytest.MonkeyPatch
         ) -> Iterator[Callable[[list[dict[str, Any]]], list[int]]]:
    """Send sign-ins at once; returns their status codes (422: the password was checked)."""
    from eventnet.web.organizer import routes

    real = routes.authenticate
    settled = threading.Condition()
    state = {"settled": 0, "total": 0}
    mine = threading.local()

    def settle() -> None:
        with settled:
            state["settled"] += 1
            settled.notify_all()

    def held(email: str, password: str) -> Any:
        if not getattr(mine, "racing", False):  # a sign-in before the race
            return real(email, password)
        mine.checked = True
        settle()
        with settled:  # wait for every other attempt: answered, or in here too
            assert settled.wait_for(lambda: state["settled"] == state["total"], timeout=120)
        return real(email, password)

    monkeypatch.setattr(routes, "authenticate", held)

    def run(attempts: list[dict[str, Any]]) -> list[int]:
        state.update(settled=0, total=len(attempts))
        start = threading.Barrier(len(attempts))

        def one(attempt: dict[str, Any]) -> int:
            client = signin_app.test_client()
            if attempt.get("cookie"):
                client.set_cookie(DEVICE_COOKIE, attempt["cookie"], path="/organizer/sign-in")
            mine.racing, mine.checked = True, False
            start.wait()
            response = client.post("/organizer/sign-in", data={
                "email": attempt["email"], "password": attempt.get("password", "guess")},
                environ_base={"REMOTE_ADDR": attempt["ip"]})
            if not mine.checked:
                settle()
            return int(response.status_code)

        with ThreadPoolExecutor(len(attempts)) as pool:
            return sorted(pool.map(one, attempts))

    yield run


def test_one_address_gets_its_free_failures_on_one_account_and_no_more(race, owner):
    ip = _random_ip()
    codes = race([{"email": owner.email, "ip": ip}] * ATTEMPTS)
    n = limits.SIGNIN_FREE_FAILURES
    assert codes == [422] * n + [429] * (ATTEMPTS - n)


def test_one_address_guessing_many_accounts_at_once_is_held_to_its_limit(
        race, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "FAILED_SIGNINS_PER_IP", "4/minute")  # 20 in production
    ip, tag = _random_ip(), uuid.uuid4().hex[:8]
    codes = race([{"email": f"org{n}.{tag}@example.org", "ip": ip} for n in range(ATTEMPTS)])
    assert codes == [422] * 4 + [429] * (ATTEMPTS - 4)


def test_many_addresses_at_once_are_held_to_the_account_ceiling(
        race, owner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "FAILED_SIGNINS_PER_ACCOUNT", "4/day")  # 500 in production
    codes = race([{"email": owner.email, "ip": _random_ip()} for _ in range(ATTEMPTS)])
    assert codes == [422] * 4 + [429] * (ATTEMPTS - 4)


def test_a_trusted_browser_gets_its_free_failures_and_no_more(race, signin_app, owner):
    browser = signin_app.test_client()
    assert browser.post("/organizer/sign-in", data={"email": owner.email, "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": _random_ip()}).status_code == 302
    cookie = browser.get_cookie(DEVICE_COOKIE, path="/organizer/sign-in").value
    codes = race([{"email": owner.email, "ip": _random_ip(), "cookie": cookie}] * ATTEMPTS)
    n = limits.SIGNIN_FREE_FAILURES
    assert codes == [422] * n + [429] * (ATTEMPTS - n)
