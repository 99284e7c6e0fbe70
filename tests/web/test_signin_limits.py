"""Organizer sign-in: failures slow down who fails, they never lock the real organizer out.

A wrong password counts against the (account, IP address) pair, which waits longer after each
failure past the first few; against the address (one address guessing many accounts); and
against an account-wide ceiling far above what one address can reach (guessing spread over
many addresses). Run on the in-memory storage and on Redis (``EVENTNET_TEST_REDIS_URL``); the
limiter's clock is stopped (``tests/clock.py``), so waits end when a test moves the clock.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from eventnet.web import limits
from tests.clock import StoppedClock, limiter_clock  # noqa: F401  (fixture of limited_app)
from tests.conftest import PASSWORD
from tests.web.test_scan_ratelimits import _random_ip, limited_app  # noqa: F401  (fixture)

REDIS_URL = os.environ.get("EVENTNET_TEST_REDIS_URL")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.skipif(
    not REDIS_URL, reason="EVENTNET_TEST_REDIS_URL is not set"))])
def signin_app(request: Any, limited_app: Any) -> Any:  # noqa: F811
    return limited_app("memory://" if request.param == "memory" else REDIS_URL)


@pytest.fixture
def owner(make_organizer: Any) -> Any:
    # a fresh address per test: Redis keeps the counts of earlier runs for a day
    return make_organizer(f"owner.{uuid.uuid4().hex[:10]}@example.org")


def _sign_in(client: Any, email: str, password: str, ip: str) -> Any:
    return client.post("/organizer/sign-in", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_someone_hammering_an_account_does_not_lock_its_organizer_out(signin_app, owner):
    attacker, ip = signin_app.test_client(), _random_ip()
    codes = [_sign_in(attacker, owner.email, f"guess {n}", ip).status_code for n in range(15)]
    assert codes[:limits.SIGNIN_FREE_FAILURES] == [422] * limits.SIGNIN_FREE_FAILURES
    assert set(codes[limits.SIGNIN_FREE_FAILURES:]) == {429}  # that address waits
    # the organizer, from an address that has not failed, signs in meanwhile
    response = _sign_in(signin_app.test_client(), owner.email, PASSWORD, _random_ip())
    assert response.status_code == 302
    # and the slowed address is slowed for the right password too: it learns nothing
    assert _sign_in(attacker, owner.email, PASSWORD, ip).status_code == 429


def test_the_wait_doubles_with_each_further_failure_up_to_an_hour(
        signin_app, owner, limiter_clock: StoppedClock) -> None:  # noqa: F811
    client, ip = signin_app.test_client(), _random_ip()
    for _ in range(limits.SIGNIN_FREE_FAILURES):
        assert _sign_in(client, owner.email, "wrong", ip).status_code == 422
    waits = []
    for _ in range(9):
        slowed = _sign_in(client, owner.email, "wrong", ip)
        assert slowed.status_code == 429
        wait = int(slowed.headers["Retry-After"])
        waits.append(wait)
        page = slowed.get_data(as_text=True)
        assert "Too many failed sign-ins: try again in" in page
        assert 'name="email"' in page and 'name="password"' in page  # the form, to try again
        limiter_clock.advance(wait - 1)
        assert _sign_in(client, owner.email, "wrong", ip).status_code == 429  # not yet
        limiter_clock.advance(1)
        assert _sign_in(client, owner.email, "wrong", ip).status_code == 422  # tried again
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert "try again in 60 minutes" in _sign_in(client, owner.email, "x", ip).get_data(
        as_text=True)
    # once the wait is over, the right password signs in and the failures are forgotten
    limiter_clock.advance(3600)
    assert _sign_in(client, owner.email, PASSWORD, ip).status_code == 302
    fresh = signin_app.test_client()
    assert _sign_in(fresh, owner.email, "wrong", ip).status_code == 422


def test_one_address_guessing_many_accounts_is_stopped(signin_app, owner):
    client, ip = signin_app.test_client(), _random_ip()
    tag = uuid.uuid4().hex[:8]
    codes = [_sign_in(client, f"org{n}.{tag}@example.org", "guess", ip).status_code
             for n in range(21)]
    assert codes[:20] == [422] * 20 and codes[20] == 429
    assert int(_sign_in(client, owner.email, PASSWORD, ip).headers["Retry-After"]) >= 1
    # others are not affected
    assert _sign_in(signin_app.test_client(), owner.email, PASSWORD,
                    _random_ip()).status_code == 302


def test_the_account_ceiling_stops_guessing_spread_over_many_addresses(
        signin_app, owner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "FAILED_SIGNINS_PER_ACCOUNT", "8/day")  # 500 in production
    client = signin_app.test_client()
    for _ in range(4):
        ip = _random_ip()
        assert [_sign_in(client, owner.email, "guess", ip).status_code
                for _ in range(2)] == [422, 422]
    refused = _sign_in(client, owner.email, PASSWORD, _random_ip())
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 3600


def test_a_failed_form_is_no_failed_password(signin_app, owner):
    client, ip = signin_app.test_client(), _random_ip()
    for _ in range(10):
        assert _sign_in(client, owner.email, "", ip).status_code == 422  # no password sent
    assert _sign_in(client, owner.email, PASSWORD, ip).status_code == 302
