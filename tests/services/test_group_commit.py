"""Group commit: concurrent scans share one transaction, and keep every promise of a scan.

The tests hold the writer inside a first write until the other scans have queued behind it
(no sleeps, no timing): they then run together, in one transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from eventnet import database
from eventnet.database import group_write
from eventnet.extensions import db
from eventnet.models import Connection, Scan, utcnow
from eventnet.services.errors import Conflict
from eventnet.services.scans import scan_badge


def _count(model: Any) -> int:
    db.session.rollback()  # end the read snapshot: other connections wrote
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def transactions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many write transactions the scan path opened (one entry each)."""
    opened: list[int] = []
    original = database._write_batch

    def counting(engine: Any, jobs: list[Any]) -> list[Any]:
        opened.append(1)
        return original(engine, jobs)

    monkeypatch.setattr(database, "_write_batch", counting)
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

    def hold() -> database.Steps:  # a write of no statement, held until released
        entered.set()
        release.wait()
        return
        yield

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
        failed = [o for o in outcomes[1:] if isinstance(o, Exception)]
        assert not failed, f"a scan failed before it queued: {failed!r}"
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


def test_scans_of_one_pair_in_one_batch_each_see_the_one_before(app, make_event,
                                                               make_attendee, transactions):
    """Same-pair scans share the batch's transaction, but never a step: each is folded into
    the connection as the scans before it left it (no lost count, note or tag)."""
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event)
    # read before the threads start (never lazily from this session, in a thread)
    ann_badge, bob_badge = ann.badge.token, bob.badge.token
    ann_id, bob_id, event_id = ann.id, bob.id, event.id
    earlier = utcnow() - timedelta(minutes=30)  # outside the repeat window of the last
    calls = [
        lambda: scan_badge(ann_id, event_id, bob_badge, note="met at lunch",
                           tags=["rust"], scanned_at=earlier, client_id="a1"),
        lambda: scan_badge(bob_id, event_id, ann_badge, note="ask about Go",
                           scanned_at=earlier, client_id="b1"),
        lambda: scan_badge(ann_id, event_id, bob_badge, note="second chat",
                           tags=["go"], client_id="a2"),
    ]
    outcomes = _together(app, calls)
    assert transactions == [1, 1]  # the held write, then the three scans together
    assert all(o.is_new and o.is_counted for o in outcomes)
    db.session.rollback()
    conn = db.session.scalars(select(Connection)).one()
    assert (conn.scan_count, conn.is_mutual) == (3, True)
    side = "a" if conn.a_id == ann_id else "b"
    other = "b" if side == "a" else "a"
    assert getattr(conn, f"{side}_scan_count") == 2
    # the threads queue in any order: both notes and tags are kept, in that order
    assert sorted(getattr(conn, f"{side}_note").split("\n")) == ["met at lunch", "second chat"]
    assert sorted(getattr(conn, f"{side}_tags")) == ["go", "rust"]
    assert getattr(conn, f"{other}_note") == "ask about Go"


def test_a_batch_costs_the_same_round_trips_however_many_scans_it_holds(
        app, backend, make_event, make_attendee, monkeypatch):
    """PostgreSQL: the scans of a batch send each step's statements together (pipeline
    mode): BEGIN and the upserts in one round trip, the scans in a second, COMMIT in a last
    one, for one scan as for six."""
    if backend != "postgresql":
        pytest.skip("SQLite runs in-process: there is no round trip to save")
    import psycopg

    syncs: list[int] = []
    original = psycopg.Pipeline.sync

    def counting(self: Any) -> None:
        syncs.append(1)
        original(self)

    monkeypatch.setattr(psycopg.Pipeline, "sync", counting)
    event = make_event()
    target = make_attendee(event)
    people = [make_attendee(event) for _ in range(6)]
    scan_badge(people[0].id, event.id, target.badge.token)  # alone
    assert len(syncs) == 2  # the upsert, then the scan; COMMIT goes with the pipeline's end
    syncs.clear()
    token, event_id, ids = target.badge.token, event.id, [p.id for p in people[1:]]
    outcomes = _together(app, [lambda i=i: scan_badge(i, event_id, token) for i in ids])
    assert all(o.is_new for o in outcomes)
    assert len(syncs) == 2
    assert _count(Scan) == 6
