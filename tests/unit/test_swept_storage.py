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


def test_two_requests_finding_the_sweep_stopped_start_one_timer(monkeypatch):
    """Both pass the first look at a stopped sweep at once (a barrier holds them there): one
    starts the timer, the other leaves it alone. Before, both made timers, and one could set
    ``daemon`` on the other's running timer: a RuntimeError, a 500 to a scan."""
    import threading

    storage = SweptMemoryStorage("eventnet-memory://")
    storage.timer.join()
    barrier, seen = threading.Barrier(2), set()

    class Stopped:
        def is_alive(self) -> bool:
            me = threading.get_ident()
            if me not in seen:  # each thread's first look waits for the other's
                seen.add(me)
                barrier.wait(timeout=30)
            return False

    made = []

    class CountingTimer(threading.Timer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    storage.timer = Stopped()
    monkeypatch.setattr(threading, "Timer", CountingTimer)
    errors = []

    def schedule():
        try:
            storage._MemoryStorage__schedule_expiry()
        except Exception as exc:  # the failure under test
            errors.append(exc)

    threads = [threading.Thread(target=schedule) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(made) == 1 and storage.timer is made[0]
    made[0].cancel()


def test_sliding_windows_count_as_limits_own_storage_does(limiter_clock):  # noqa: F811
    """The sliding window's two operations are eventnet's own (one lock, one pass): over a
    random run of checks, hits and time passing, they answer exactly as limits' do."""
    import random

    from limits.storage import MemoryStorage

    ours, theirs = SweptMemoryStorage("eventnet-memory://"), MemoryStorage()
    ours.SWEEP_SECONDS = 3600.0  # no sweep: both keep what they counted
    rng = random.Random(15)
    keys = ["attendee:1", "attendee:2", "ip:10.0.0.1"]
    answers = []
    for _ in range(5000):
        key, expiry, limit = rng.choice(keys), rng.choice([1, 60, 3600]), rng.choice([1, 3, 30])
        if rng.random() < 0.5:
            amount = rng.choice([1, 1, 1, 2, 40])
            answer = ours.acquire_sliding_window_entry(key, limit, expiry, amount)
            assert answer == theirs.acquire_sliding_window_entry(key, limit, expiry, amount)
        else:
            answer = ours.get_sliding_window(key, expiry)
            assert answer == theirs.get_sliding_window(key, expiry)
        answers.append(answer)
        limiter_clock.advance(rng.choice([0, 0, 0.01, 0.5, 7, 61]))
    # the run went through every case: refused, taken, empty and counted windows
    assert {True, False} <= set(answers)
    assert any(isinstance(a, tuple) and a[0] and a[2] for a in answers)
    assert any(isinstance(a, tuple) and not a[0] and not a[2] for a in answers)
