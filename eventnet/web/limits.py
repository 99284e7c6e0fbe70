"""Rate limits of scanning, sign-in and magic-link endpoints (Flask-Limiter).

Authenticated endpoints count per attendee, not per IP address: a whole venue often shares
one public address behind its Wi-Fi. Failures that could be guessing (a wrong access token,
an unknown badge, a bad magic link) are counted separately and strictly: only failed
attempts use them up, so an honest crowd never reaches them.

Limits live in Flask-Limiter's storage: in memory per process by default, shared by every
app server when ``EVENTNET_RATELIMIT_STORAGE_URL`` points at Redis.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from functools import cache
from math import floor

from flask import Response, current_app, request, session
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from werkzeug.exceptions import TooManyRequests

from eventnet.extensions import limiter

#: a scan a second is a busy attendee; twice that for a minute is still a person. One budget
#: per attendee, whichever route records the scan (``spend_scan``)
SCANS_PER_ATTENDEE = "120/minute;3000/hour"
#: reading and annotating one's own connections
API_READS_PER_ATTENDEE = "300/minute"
#: wrong or unknown access tokens, per IP address: a guesser, not a venue
BAD_TOKENS_PER_IP = "20/minute;100/hour"
#: badges that do not exist, per scanner (attendee, or IP address when not signed in)
UNKNOWN_BADGES = "30/minute;200/hour"
#: magic links that do not verify, per IP address
BAD_LINKS_PER_IP = "60/minute;300/hour"
#: opening magic links at all (a venue's crowd signing in at the door), per IP address
MAGIC_LINKS_PER_IP = "300/minute"
#: asking for a magic link: per IP (a venue) and per address asked for (no mail bombing)
LINK_REQUESTS_PER_IP = "60/minute;600/hour"
LINK_REQUESTS_PER_EMAIL = "5/10 minutes;20/day"
#: organizer password attempts from browsers the account never signed in on (see
#: ``web/signin_limits.py``), per IP address (one address guessing many accounts)
FAILED_SIGNINS_PER_IP = "20/minute;100/hour"
#: ... and per account from every such browser: only against guessing spread over many
#: addresses (one address alone is slowed down long before, see ``SIGNIN_FREE_FAILURES``).
#: A browser the organizer signed in on has its own budget and never meets this ceiling.
FAILED_SIGNINS_PER_ACCOUNT = "500/day"
#: failures of one account from one address (or from one trusted browser) that wait for
#: nothing; each further failure makes that pair (or browser) wait, SIGNIN_FIRST_WAIT
#: seconds after the first, doubling up to SIGNIN_MAX_WAIT
SIGNIN_FREE_FAILURES = 5
SIGNIN_FIRST_WAIT = 30
SIGNIN_MAX_WAIT = 3600
#: a pair's failures are forgotten a day after its first one (or at its next sign-in)
SIGNIN_FAILURES_KEPT = 86400
#: how long an attempt holds its turn at most (a worker killed mid-check frees it so)
SIGNIN_TURN_SECONDS = 60
#: how long a browser stays trusted for an account after signing in on it (device cookie)
SIGNIN_DEVICE_DAYS = 365
#: door check-in scans, per signed-in organizer or staff member
CHECKINS_PER_USER = "240/minute"
#: a door device's offline queue sent when the network returns (up to 500 check-ins each)
CHECKIN_SYNCS_PER_USER = "60/minute"


def ip_key() -> str:
    """The client's IP address (as seen by the app: put ProxyFix in front of a proxy)."""
    return "ip:" + (get_remote_address() or "unknown")


def attendee_key() -> str:
    """The attendee behind the request (Bearer token or session), else the IP address."""
    from eventnet.web.auth import api_scanner

    scanner = api_scanner()
    if scanner is not None:
        return f"attendee:{scanner.attendee_id}"
    signed_in = session.get("attendees") or {}
    if signed_in:
        return "attendee:" + ",".join(str(v[0]) for _, v in sorted(signed_in.items()))
    return ip_key()


def organizer_key() -> str:
    """The signed-in organizer, else the IP address."""
    from flask_login import current_user

    if current_user.is_authenticated:
        return f"organizer:{current_user.id}"
    return ip_key()


def email_key() -> str:
    """The email address a form asks about, for per-account limits, as a keyed hash.

    The limiter's storage (Redis, shared by every app server) must hold no addresses: the
    key is an HMAC of the lower-cased address under the secret key, the same on every
    server and meaningless to anyone reading Redis without the key.
    """
    email = (request.form.get("email") or "").strip().lower()[:254]
    if not email:
        return ip_key()
    secret = current_app.secret_key or ""
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    # surrogatepass: a lone surrogate in a form must still make a key, not a 500
    digest = hmac.new(key, email.encode(errors="surrogatepass"), hashlib.sha256)
    return "email:" + digest.hexdigest()[:32]


def has_valid_token() -> bool:
    """Exempt requests carrying a valid attendee token from the per-IP failure limit.

    A guesser at the venue must not lock out the honest people behind the same address.
    """
    from eventnet.web.auth import api_scanner

    return api_scanner() is not None


def is_unauthorized(response: Response) -> bool:
    """Deduct only for a refused credential."""
    return response.status_code == 401


def is_not_found(response: Response) -> bool:
    """Deduct only for an unknown badge (or page)."""
    return response.status_code == 404


def is_bad_link(response: Response) -> bool:
    """Deduct only for a magic link that did not verify."""
    return response.status_code == 400


# --- limits checked by hand -------------------------------------------------------------------
# Flask-Limiter's decorators resolve, filter and evaluate every limit of a view on each request
# and inject headers afterwards: on the badge-scan API that bookkeeping cost more than the scan
# itself. That view checks its limits with these few calls instead, on the same storage and
# strategy (``limiter.limiter``), so the limits are the same ones, shared through Redis alike.


@cache
def items_of(spec: str) -> tuple[RateLimitItem, ...]:
    """The limits of ``spec`` ("20/minute;100/hour"), parsed once."""
    return tuple(parse_many(spec))


def is_active() -> bool:
    """Whether rate limits apply (on, and the limiter attached to an app)."""
    return bool(limiter.enabled and limiter.initialized)


def retry_after(spec: str, key: str, item: RateLimitItem) -> int:
    """Seconds until ``key`` may use ``item`` of ``spec`` again (at least 1)."""
    reset_at = limiter.limiter.get_window_stats(item, spec, key).reset_time
    return max(1, int(reset_at - time.time()) + 1)


def _too_many(spec: str, key: str, item: RateLimitItem) -> TooManyRequests:
    return TooManyRequests(retry_after=retry_after(spec, key, item))


def _require(spec: str, key: str, check: str) -> None:
    """429 unless the strategy's ``check`` (``hit`` uses one, ``test`` only looks) passes
    for every limit in ``spec``."""
    if not is_active():
        return
    passes = getattr(limiter.limiter, check)
    for item in items_of(spec):
        if not passes(item, spec, key):
            raise _too_many(spec, key, item)


def spend(spec: str, key: str) -> None:
    """Use one request of every limit in ``spec`` for ``key``; 429 when one is used up."""
    _require(spec, key, "hit")


def spend_scan(attendee_id: int) -> None:
    """Use one scan of the attendee's one scan budget; 429 when it is used up.

    Every route that records a scan calls this (the API, the badge page, a pending scan's
    page), so they all draw on the same counters: one storage call, as before.
    """
    _require(SCANS_PER_ATTENDEE, f"attendee:{attendee_id}", "hit")


def ensure_left(spec: str, key: str) -> None:
    """429 when ``key`` has used up a limit of ``spec``; uses nothing (see ``deduct``)."""
    _require(spec, key, "test")


def deduct(spec: str, key: str) -> None:
    """Count one failure against ``spec`` for ``key`` (after ``ensure_left`` let it through)."""
    if not is_active():
        return
    for item in items_of(spec):
        limiter.limiter.hit(item, spec, key)


class SweptMemoryStorage(MemoryStorage):
    """The in-process storage, with expired keys swept once a second instead of every 10 ms,
    and each operation whole under one lock.

    limits' MemoryStorage walks every key 100 times a second; with a key per attendee and
    limit, at a 2,000-person event that sweep alone ate a large share of a worker's CPU.
    Expiry stays exact: every read checks the key's own expiry; the sweep only frees memory.

    Its per-key locks do not make a new key's first increment atomic: ``get`` drops the lock
    of a key that has no expiry yet, so two threads incrementing a new key could both read 1
    (two sign-in attempts taking the same turn, ``web/signin_limits.py``). One lock around
    each operation, the sweep included, makes them whole; each holds it for microseconds.
    """

    STORAGE_SCHEME = ["eventnet-memory"]
    SWEEP_SECONDS = 1.0

    _sweep_lock = threading.Lock()
    _lock = threading.RLock()

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """limits' ``incr``, atomic."""
        with self._lock:
            return super().incr(key, expiry, amount)

    def decr(self, key: str, amount: int = 1) -> int:
        """limits' ``decr``, atomic."""
        with self._lock:
            return super().decr(key, amount)

    def get(self, key: str) -> int:
        """limits' ``get``, atomic."""
        with self._lock:
            return super().get(key)

    def clear(self, key: str) -> None:
        """limits' ``clear``, atomic."""
        with self._lock:
            super().clear(key)

    # The sliding window's two operations run on every badge scan (four times: two limits,
    # looked at or spent): limits' versions go through ``get`` and ``incr`` and their per-key
    # locks, 10 µs for a check-and-count. These compute the same from the same keys, counters
    # and expiries, once, under the one lock (no other hit can slip in, so nothing to undo).

    def _live_count(self, key: str, now: float) -> int:
        """The counter of ``key``, 0 (and forgotten) once expired, as limits' ``get``."""
        if self.expirations.get(key, 0) <= now:
            if key in self.storage:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)
            return 0
        return self.storage.get(key, 0)

    def _window(self, key: str, expiry: int, now: float) -> tuple[str, int, float, int, float]:
        """(current window's key, previous count, its time left, current count, its time
        left), as limits' ``_get_sliding_window_info``; call with the lock held."""
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        previous_count = self._live_count(previous_key, now)
        current_count = self._live_count(current_key, now)
        previous_ttl = ((1 - (((now - expiry) / expiry) % 1)) * expiry
                        if previous_count else 0.0)
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return current_key, previous_count, previous_ttl, current_count, current_ttl

    def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int,
                                     amount: int = 1) -> bool:
        """limits' check-and-count of a sliding window, atomic."""
        if amount > limit:
            return False
        now = time.time()
        with self._lock:
            current_key, previous_count, previous_ttl, current_count, _ = self._window(
                key, expiry, now)
            if floor(previous_count * previous_ttl / expiry + current_count) + amount > limit:
                return False
            self.storage[current_key] = current_count + amount
            if not current_count:  # a new counter: lives two windows, as limits sets it
                self.expirations[current_key] = now + 2 * expiry
                self._MemoryStorage__schedule_expiry()  # type: ignore[attr-defined]
            return True

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        """limits' read of a sliding window, atomic."""
        with self._lock:
            return self._window(key, expiry, time.time())[1:]

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        """limits' reset of a sliding window, atomic."""
        with self._lock:
            super().clear_sliding_window(key, expiry)

    def _MemoryStorage__expire_events(self) -> None:  # overrides the private sweep
        with self._lock:
            super()._MemoryStorage__expire_events()  # type: ignore[misc]

    def _MemoryStorage__schedule_expiry(self) -> None:  # overrides the private scheduler
        if self.timer.is_alive():
            return
        # Two requests may both find the sweep stopped: one starts it, and the other must not
        # touch that running timer (setting ``daemon`` on it raised, a 500 to a scan).
        with self._sweep_lock:
            if self.timer.is_alive():
                return
            timer = threading.Timer(self.SWEEP_SECONDS, self._MemoryStorage__expire_events)
            timer.daemon = True
            timer.start()
            self.timer = timer


def storage_uri(configured: str) -> str:
    """The storage to use for ``EVENTNET_RATELIMIT_STORAGE_URL`` (memory → the swept one)."""
    return "eventnet-memory://" if configured in ("memory://", "") else configured
