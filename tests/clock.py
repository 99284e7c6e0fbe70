"""A stopped clock for the rate limiter, so no limit's window ends in the middle of a test.

Flask-Limiter, limits' strategies and in-memory storage and eventnet's own checks read
``time.time()``, and limits' windows are aligned on the clock (a minute window ends at
every whole minute; the sliding-window counter weighs the previous one by what is left of
it). On a loaded machine a burst of 121 scans straddled a minute's end and the 121st got
through (``assert 201 == 429``). The stopped clock starts one second into an hour, so every
window a test uses starts there too; tests move the clock themselves with ``advance``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest


class StoppedClock:
    """Stands in for the ``time`` module where the limiter reads it: time moves on request."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def limiter_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[StoppedClock]:
    import flask_limiter._extension
    import limits.storage.memory
    import limits.strategies

    import eventnet.web.limits
    import eventnet.web.signin_limits

    clock = StoppedClock(time.time() // 3600 * 3600 + 1)
    for module in (limits.storage.memory, limits.strategies, flask_limiter._extension,
                   eventnet.web.limits, eventnet.web.signin_limits):
        monkeypatch.setattr(module, "time", clock)
    yield clock
