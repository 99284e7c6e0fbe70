"""Organizer sign-in: failures slow down who fails, they never lock the real organizer out.

A wrong password counts against the (account, IP address) pair, which waits longer after each
failure past the first few; against the address (one address guessing many accounts); and
against an account-wide ceiling far above what one address can reach (guessing spread over
many addresses). A browser the organizer signed in on carries a device cookie: its attempts
count against that browser alone, so whoever reaches the account's ceiling does not stop it.
Run on the in-memory storage and on Redis (``EVENTNET_TEST_REDIS_URL``); the limiter's clock is
stopped (``tests/clock.py``), so waits end when a test moves the clock. Simultaneous attempts:
``tests/web/test_signin_races.py``.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from eventnet.web import limits
from eventnet.web.signin_limits import DEVICE_COOKIE
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


# --- a browser the organizer signed in on (OWASP's device cookies) -----------------------------


def _trusted_browser(signin_app: Any, owner: Any) -> Any:
    """A browser the owner signed in on, then out: it keeps its device cookie only."""
    browser = signin_app.test_client()
    assert _sign_in(browser, owner.email, PASSWORD, _random_ip()).status_code == 302
    assert browser.get_cookie(DEVICE_COOKIE, path="/organizer/sign-in") is not None
    browser.post("/organizer/sign-out")
    return browser


def _reach_the_ceiling(signin_app: Any, owner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "FAILED_SIGNINS_PER_ACCOUNT", "8/day")  # 500 in production
    attacker = signin_app.test_client()
    for _ in range(4):
        ip = _random_ip()
        assert [_sign_in(attacker, owner.email, "guess", ip).status_code
                for _ in range(2)] == [422, 422]
    assert _sign_in(attacker, owner.email, PASSWORD, _random_ip()).status_code == 429


def test_the_account_ceiling_does_not_stop_a_browser_the_organizer_signed_in_on(
        signin_app, owner, monkeypatch: pytest.MonkeyPatch) -> None:
    laptop = _trusted_browser(signin_app, owner)
    _reach_the_ceiling(signin_app, owner, monkeypatch)
    # a browser the organizer never used is refused, as every client without the cookie
    assert _sign_in(signin_app.test_client(), owner.email, PASSWORD,
                    _random_ip()).status_code == 429
    # the laptop signs in, from anywhere, and is trusted again afterwards (a new nonce)
    before = laptop.get_cookie(DEVICE_COOKIE, path="/organizer/sign-in").value
    assert _sign_in(laptop, owner.email, PASSWORD, _random_ip()).status_code == 302
    after = laptop.get_cookie(DEVICE_COOKIE, path="/organizer/sign-in").value
    assert after != before
    laptop.post("/organizer/sign-out")
    assert _sign_in(laptop, owner.email, PASSWORD, _random_ip()).status_code == 302


def test_a_trusted_browser_is_slowed_by_its_own_failures_only(
        signin_app, owner, monkeypatch: pytest.MonkeyPatch) -> None:
    laptop = _trusted_browser(signin_app, owner)
    monkeypatch.setattr(limits, "FAILED_SIGNINS_PER_ACCOUNT", "3/day")
    ip = _random_ip()
    codes = [_sign_in(laptop, owner.email, "typo", ip).status_code for _ in range(7)]
    n = limits.SIGNIN_FREE_FAILURES
    assert codes == [422] * n + [429] * (7 - n)  # its own waits, not the account's ceiling
    assert _sign_in(laptop, owner.email, PASSWORD, ip).status_code == 429  # waits, learns nothing
    # its failures used nothing of the account's ceiling, nor of the address's limit: another
    # browser at the same address signs in
    assert _sign_in(signin_app.test_client(), owner.email, PASSWORD, ip).status_code == 302


def test_someone_at_the_organizers_address_does_not_slow_their_trusted_browser(
        signin_app, owner):
    laptop, ip = _trusted_browser(signin_app, owner), _random_ip()
    attacker = signin_app.test_client()  # the venue's Wi-Fi: one address for everyone
    tag = uuid.uuid4().hex[:8]
    for n in range(20):  # the address's limit, on other accounts
        _sign_in(attacker, f"org{n}.{tag}@example.org", "guess", ip)
    for _ in range(8):  # and the owner's account from that address
        _sign_in(attacker, owner.email, "guess", ip)
    assert _sign_in(attacker, owner.email, PASSWORD, ip).status_code == 429
    assert _sign_in(laptop, owner.email, PASSWORD, ip).status_code == 302


def test_a_device_cookie_vouches_for_its_own_account_only_and_cannot_be_forged(
        signin_app, owner, make_organizer, monkeypatch: pytest.MonkeyPatch) -> None:
    from itsdangerous import URLSafeTimedSerializer

    mallory = make_organizer(f"mallory.{uuid.uuid4().hex[:10]}@example.org")
    own = _trusted_browser(signin_app, mallory)  # trusted, for Mallory's own account
    value = _trusted_browser(signin_app, owner).get_cookie(
        DEVICE_COOKIE, path="/organizer/sign-in").value
    _reach_the_ceiling(signin_app, owner, monkeypatch)
    assert _sign_in(own, owner.email, PASSWORD, _random_ip()).status_code == 429
    # an altered cookie, and one signed with another key, vouch for nothing
    with signin_app.test_request_context("/organizer/sign-in", method="POST",
                                         data={"email": owner.email}):
        account = limits.email_key()
    forged = URLSafeTimedSerializer("another key", salt="eventnet.signin-device").dumps(
        {account: "n" * 22})
    for bad in (value[:-2] + ("AA" if not value.endswith("AA") else "BB"), forged, "garbage"):
        browser = signin_app.test_client()
        browser.set_cookie(DEVICE_COOKIE, bad, path="/organizer/sign-in")
        assert _sign_in(browser, owner.email, PASSWORD, _random_ip()).status_code == 429
    genuine = signin_app.test_client()  # the cookie as issued, copied the same way, does
    genuine.set_cookie(DEVICE_COOKIE, value, path="/organizer/sign-in")
    assert _sign_in(genuine, owner.email, PASSWORD, _random_ip()).status_code == 302


def test_the_device_cookie_holds_no_address_and_stays_on_the_sign_in_page(signin_app, owner):
    browser = signin_app.test_client()
    response = _sign_in(browser, owner.email, PASSWORD, _random_ip())
    [header] = [h for h in response.headers.getlist("Set-Cookie")
                if h.startswith(DEVICE_COOKIE + "=")]
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert {"httponly", "path", "max-age", "samesite"} <= attributes
    assert "Path=/organizer/sign-in" in header and "SameSite=Strict" in header
    assert f"Max-Age={limits.SIGNIN_DEVICE_DAYS * 86400}" in header
    cookie = browser.get_cookie(DEVICE_COOKIE, path="/organizer/sign-in")
    from itsdangerous import URLSafeTimedSerializer

    payload = URLSafeTimedSerializer(signin_app.secret_key,
                                     salt="eventnet.signin-device").loads(cookie.value)
    assert owner.email not in cookie.value and owner.email.split("@")[0] not in str(payload)
    assert [len(nonce) for nonce in payload.values()] == [22]  # 128 random bits


def test_a_new_round_of_failures_after_a_sign_in_waits_as_the_first_did(
        signin_app, owner, limiter_clock: StoppedClock) -> None:  # noqa: F811
    """The waits' end times of a round of failures before a sign-in do not add up with the
    next round's (they were counters: the sixth attempt of a second round was told to wait
    57 years)."""
    ip, n = _random_ip(), limits.SIGNIN_FREE_FAILURES
    for round_ in range(2):
        browser = signin_app.test_client()  # no device cookie: the pair counts
        assert [_sign_in(browser, owner.email, "wrong", ip).status_code
                for _ in range(n)] == [422] * n
        slowed = _sign_in(browser, owner.email, "wrong", ip)
        assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "30", round_
        limiter_clock.advance(30)
        assert _sign_in(browser, owner.email, "wrong", ip).status_code == 422
        assert _sign_in(browser, owner.email, "wrong", ip).headers["Retry-After"] == "60"
        limiter_clock.advance(60)
        assert _sign_in(browser, owner.email, PASSWORD, ip).status_code == 302
