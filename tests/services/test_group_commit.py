"""Group commit: concurrent scans share one transaction, and keep every promise of a scan.

The tests hold the writer inside a first write until the other scans have queued behind it
(no sleeps, no timing): they then run together, in one transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select

from eventnet import database
from eventnet.database import group_write
from eventnet.extensions import db
from eventnet.models import Connection, Scan
from eventnet.services.errors import Conflict
from eventnet.services.scans import scan_badge


def _count(model: Any) -> int:
    db.session.rollback()  # end the read snapshot: other connections wrote
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def transactions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many write transactions the scan path opened (one entry each)."""
    opened: list[int] = []
    original = database._raw_transaction

    @contextmanager
    def counting(engine: Any) -> Iterator[Any]:
        opened.append(1)
        with original(engine) as cursor:
            yield cursor

    monkeypatch.setattr(database, "_raw_transaction", counting)
    return opened


def _queued() -> int:
    """How many writes wait behind the current writer of this process's group commit."""
    group = database._group_commits[db.engine][1]
    with group._mutex:
        return len(group._pending)


def _together(app: Any, scans: list[Callable[[], Any]]) -> list[Any]:
    """Run ``scans`` in threads, all queued behind one held write; their outcomes, in order."""
    entered, release = threading.Event(), threading.Event()
    outcomes: list[Any] = [None] * (len(scans) + 1)

    def hold(_cursor: Any) -> None:
        entered.set()
        release.wait()

    def in_thread(index: int, call: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                outcomes[index] = call()
            except Exception as exc:  # the outcome under test
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=in_thread, args=(0, lambda: group_write(hold)))]
    threads[0].start()
    entered.wait()
    threads += [threading.Thread(target=in_thread, args=(i + 1, call))
                for i, call in enumerate(scans)]
    for thread in threads[1:]:
        thread.start()
    while _queued() < len(scans):  # wait (no timed assertion) until all of them queued
        threading.Event().wait(0.001)
    release.set()
    for thread in threads:
        thread.join()
    return outcomes[1:]


def test_concurrent_scans_are_committed_in_one_transaction(app, make_event, make_attendee,
                                                           transactions):
    event = make_event()
    target = make_attendee(event)
    people = [make_attendee(event) for _ in range(4)]
    token = target.badge.token
    # the same client id twice: a retry racing its original, in the same transaction
    calls = [lambda p=p: scan_badge(p.id, event.id, token, client_id=f"c-{p.id}")
             for p in people]
    calls.append(lambda: scan_badge(people[0].id, event.id, token,
                                    client_id=f"c-{people[0].id}"))
    outcomes = _together(app, calls)
    assert transactions == [1, 1]  # the held write, then the five scans together
    # the threads queue in any order: either the original or its retry stores the scan
    assert all(o.is_new for o in outcomes[1:4])
    assert sorted([outcomes[0].is_new, outcomes[4].is_new]) == [False, True]
    assert outcomes[4].scan_id == outcomes[0].scan_id
    assert _count(Scan) == 4 and _count(Connection) == 4


def test_one_failing_scan_does_not_undo_the_others(app, make_event, make_attendee,
                                                   transactions):
    event = make_event()
    ann, bob, cid, dee = (make_attendee(event) for _ in range(4))
    scan_badge(ann.id, event.id, bob.badge.token, client_id="used")
    calls = [
        lambda: scan_badge(cid.id, event.id, bob.badge.token, client_id="x1"),
        # the same client id for another badge: refused, and only this scan
        lambda: scan_badge(ann.id, event.id, cid.badge.token, client_id="used"),
        lambda: scan_badge(dee.id, event.id, bob.badge.token, client_id="x2"),
    ]
    transactions.clear()
    first, reused, last = _together(app, calls)
    assert first.is_new and last.is_new
    assert isinstance(reused, Conflict) and reused.code == "client_id_reused"
    # the shared transaction was rolled back; each scan then ran alone
    assert transactions == [1, 1, 1, 1, 1]
    db.session.rollback()
    assert _count(Scan) == 3
    assert db.session.scalar(select(func.count()).select_from(Connection).where(
        Connection.a_id.in_((ann.id, cid.id)), Connection.b_id.in_((ann.id, cid.id)))) == 0
