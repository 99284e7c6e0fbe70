"""Organizer sign-in limits: failures slow down who fails, never the organizer's own browser.

An attempt comes from one of two kinds of client (OWASP's "device cookies"):

- **a browser the organizer signed in on**, which carries a signed device cookie for the
  account (``DEVICE_COOKIE``): its attempts count against that browser alone, whatever
  others do to the account or from its address;
- **any other client**, whose attempts count against the account from its IP address (the
  pair), against the address (``limits.FAILED_SIGNINS_PER_IP``), and against the account
  from every such client (``limits.FAILED_SIGNINS_PER_ACCOUNT``, the ceiling against
  guessing spread over many addresses). Someone who reaches that ceiling stops every client
  without a device cookie, not the organizer's browsers.

A pair, or a trusted browser, has ``SIGNIN_FREE_FAILURES`` failures that wait for nothing;
after that, each attempt waits after the last failure, twice as long each time.

Every attempt takes its place before its password is checked (``begin``): a *turn* of the
pair or browser (one of the free ones, or the one next attempt once the wait is over), and
one hit of each Flask-Limiter limit, which checks and counts in one step (atomically in
Redis). So attempts sent at the same moment cannot all pass before the first failure is
counted: those beyond the places left are answered 429 at once. A success forgets the pair's
or browser's failures; its hits of the two limits stay (limits has no way to give a hit
back), so those limits count attempts by clients without a device cookie, right or wrong.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass

from flask import current_app, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from limits.storage import Storage
from werkzeug.wrappers import Response

from eventnet.extensions import limiter
from eventnet.web import limits

#: the device cookie: account key (``limits.email_key``, no address) → this browser's nonce
DEVICE_COOKIE = "eventnet_device"
_DEVICE_SALT = "eventnet.signin-device"
#: accounts one browser stays trusted for (the door's laptop, shared by a team), latest kept
MAX_DEVICE_ACCOUNTS = 8


class SlowDown(Exception):
    """The attempt may not check its password now: try again in ``seconds``."""

    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = max(1, seconds)


@dataclass
class Attempt:
    """A sign-in attempt the limits let through, holding its turn until it ends."""

    #: the account's key (``limits.email_key``)
    account: str
    #: where its failures count: the pair (account, IP address) or the trusted browser
    counter: str
    is_trusted: bool
    #: the storage key of the turn it holds (None: limits are off, nothing held)
    turn: str | None = None

    def failed(self) -> None:
        """Count a wrong password against the pair or browser, and start its wait."""
        if self.turn is None:
            return
        storage = _storage()
        failures = storage.incr(f"{self.counter}/failures", limits.SIGNIN_FAILURES_KEPT)
        if failures >= limits.SIGNIN_FREE_FAILURES:
            wait = min(limits.SIGNIN_FIRST_WAIT * 2 ** (failures - limits.SIGNIN_FREE_FAILURES),
                       limits.SIGNIN_MAX_WAIT)
            until = f"{self.counter}/until/{failures}"
            # Storage keeps counters only: the time is set by a first increment, and a time
            # left by an earlier round of failures (before a success) must not add to it.
            storage.clear(until)
            storage.incr(until, limits.SIGNIN_FAILURES_KEPT, amount=int(time.time()) + wait)
        self.turn = None

    def succeeded(self) -> None:
        """Forget the failures of the pair or browser: the organizer got in from there."""
        if self.turn is None:
            return
        storage = _storage()
        failures = storage.get(f"{self.counter}/failures")
        storage.clear(f"{self.counter}/failures")
        for number in range(max(failures + 1, limits.SIGNIN_FREE_FAILURES)):
            storage.clear(f"{self.counter}/turn/{number}")
        for number in range(limits.SIGNIN_FREE_FAILURES, failures + 1):
            storage.clear(f"{self.counter}/until/{number}")
        self.turn = None

    def abandoned(self) -> None:
        """Give the turn back: the attempt ended without an answer (an error)."""
        if self.turn is not None:
            _storage().clear(self.turn)
            self.turn = None

    def trust_browser(self, response: Response) -> None:
        """Set (or renew, with a new nonce) the device cookie of the account that signed in:
        this browser's next attempts count against itself alone."""
        entries = _trusted_accounts()
        entries.pop(self.account, None)
        entries[self.account] = secrets.token_urlsafe(16)
        kept = dict(list(entries.items())[-MAX_DEVICE_ACCOUNTS:])
        response.set_cookie(
            DEVICE_COOKIE, _serializer().dumps(kept), max_age=_device_max_age(),
            path=url_for("organizer.sign_in"), httponly=True, samesite="Strict",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))


def begin() -> Attempt:
    """Let a sign-in attempt through the limits, its place taken before the password is
    checked. Raises SlowDown (nothing used) when it must wait."""
    account = limits.email_key()
    nonce = _trusted_accounts().get(account)
    if nonce is not None:
        attempt = Attempt(account, f"signin/device/{nonce}", is_trusted=True)
    else:
        attempt = Attempt(account, f"signin/{account}/{limits.ip_key()}", is_trusted=False)
    if not limits.is_active():
        return attempt
    shared = () if attempt.is_trusted else (
        (limits.FAILED_SIGNINS_PER_IP, limits.ip_key()),
        (limits.FAILED_SIGNINS_PER_ACCOUNT, account))
    for spec, key in shared:  # look first: an attempt refused here uses nothing
        for item in limits.items_of(spec):
            if not limiter.limiter.test(item, spec, key):
                raise SlowDown(limits.retry_after(spec, key, item))
    attempt.turn = _take_turn(attempt.counter)
    for spec, key in shared:
        for item in limits.items_of(spec):
            if not limiter.limiter.hit(item, spec, key):  # a simultaneous attempt took the last
                attempt.abandoned()
                raise SlowDown(limits.retry_after(spec, key, item))
    return attempt


def _take_turn(counter: str) -> str:
    """Take a turn of the pair or browser: a free one while there are failures left that
    wait for nothing, else the next one once the wait is over. Returns its key; raises
    SlowDown when there is none to take."""
    storage = _storage()
    failures = storage.get(f"{counter}/failures")
    if failures >= limits.SIGNIN_FREE_FAILURES:
        # the end of the wait is a stored time, not a key's expiry: the same clock
        # (``time.time()`` here) decides in memory and in Redis
        until = storage.get(f"{counter}/until/{failures}")
        if not until:
            raise SlowDown(1)  # the failure that sets it is being counted
        wait = math.ceil(until - time.time())
        if wait > 0:
            raise SlowDown(wait)
        numbers = range(failures, failures + 1)
    else:
        numbers = range(failures, limits.SIGNIN_FREE_FAILURES)
    for number in numbers:
        turn = f"{counter}/turn/{number}"
        # the first increment takes it; the expiry frees a turn whose worker died
        if storage.incr(turn, limits.SIGNIN_TURN_SECONDS) == 1:
            return turn
    raise SlowDown(1)  # every open turn is held by an attempt under way


def _storage() -> Storage:
    return limiter.limiter.storage


def _device_max_age() -> int:
    return limits.SIGNIN_DEVICE_DAYS * 86400


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_DEVICE_SALT)


def _trusted_accounts() -> dict[str, str]:
    """The accounts this browser's device cookie vouches for, and its nonce for each; none
    for a cookie that is missing, forged, altered or too old."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return {}
    try:
        entries = _serializer().loads(raw, max_age=_device_max_age())
    except BadData:
        return {}
    if not isinstance(entries, dict):
        return {}
    return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, str)}
