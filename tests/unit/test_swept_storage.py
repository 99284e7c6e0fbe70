"""The in-process rate-limit storage sweeps expired keys once a second, and stays exact."""

from __future__ import annotations

from eventnet.web.limits import SweptMemoryStorage
from tests.clock import limiter_clock  # noqa: F401


def test_the_sweep_runs_once_a_second_not_every_10_ms():
    """It overrides a private method of limits' MemoryStorage: if an upgrade of limits
    renames it, the override goes unused and this test says so."""
    storage = SweptMemoryStorage("eventnet-memory://")
    storage.timer.join()  # limits' constructor starts one 10 ms timer of its own
    storage.incr("k", expiry=60)
    assert storage.timer.is_alive()
    assert storage.timer.interval == SweptMemoryStorage.SWEEP_SECONDS


def test_an_expired_key_reads_as_expired_before_any_sweep(limiter_clock):  # noqa: F811
    storage = SweptMemoryStorage("eventnet-memory://")
    storage.SWEEP_SECONDS = 60.0  # no sweep during this test
    storage.incr("k", expiry=1)
    limiter_clock.advance(0.9)
    assert storage.get("k") == 1
    limiter_clock.advance(0.2)
    assert storage.get("k") == 0
