"""Pooled server connections: no ping per checkout, yet a dead idle connection is replaced."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from eventnet import database
from eventnet.extensions import db
from eventnet.services.scans import scan_badge


def _scans_after_the_server_ended_our_sessions(make_event, make_attendee):
    """Scan (a connection is pooled), let the server end every other session of this
    database (a restart, a failover), and return a callable that scans again."""
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event)
    event_id, ann_id, bob_id = event.id, ann.id, bob.id
    ann_badge, bob_badge = ann.badge.token, bob.badge.token
    assert scan_badge(ann_id, event_id, bob_badge).is_new
    db.session.remove()
    killer = create_engine(db.engine.url, poolclass=None, isolation_level="AUTOCOMMIT")
    with killer.connect() as conn:
        pids = conn.execute(text(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalars().all()
        assert pids
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(:p) AS pid"),
                     {"p": list(pids)})
        deadline = time.monotonic() + 60  # until the server has ended them (loaded CI too)
        while conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)"),
                           {"p": list(pids)}).scalar() and time.monotonic() < deadline:
            time.sleep(0.05)
    killer.dispose()
    return lambda: scan_badge(bob_id, event_id, ann_badge)


@pytest.fixture
def postgresql_only(app, backend):
    if backend != "postgresql":
        pytest.skip("SQLite files have no server to drop the connection")
    yield
    db.session.remove()
    db.engine.dispose()  # the other pooled connections died too: none for later tests


def test_a_connection_the_server_closed_is_replaced_at_once(postgresql_only, make_event,
                                                           make_attendee):
    """Used moments ago, so not pinged: the server's goodbye waiting on the socket gives the
    closed connection away, and the very next scan works (it used to fail once)."""
    scan_again = _scans_after_the_server_ended_our_sessions(make_event, make_attendee)
    assert scan_again().is_new


def test_a_connection_idle_for_long_is_pinged_and_replaced(postgresql_only, make_event,
                                                          make_attendee, monkeypatch):
    """Idle long enough to be pinged (a firewall may drop it without a word)."""
    scan_again = _scans_after_the_server_ended_our_sessions(make_event, make_attendee)
    monkeypatch.setattr(database, "_closed_by_server", lambda _conn: False)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert scan_again().is_new


def test_a_connection_lost_in_the_middle_of_a_write_is_not_pooled_again(
        postgresql_only, make_event, make_attendee):
    """The server ends the connection while a scan's write holds it (a restart mid-batch):
    that write fails, the connection is dropped rather than handed out again, and the next
    scan works."""
    import psycopg
    from sqlalchemy import func, select

    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event)
    event_id, ann_id, bob_badge = event.id, ann.id, bob.badge.token
    db.session.remove()
    suicide = database.CompiledStatement(
        select(func.pg_terminate_backend(func.pg_backend_pid())), db.engine.dialect)

    def dies() -> database.Steps:
        yield suicide, {}

    with pytest.raises(psycopg.OperationalError):
        database.group_write(dies)
    # every pooled connection is alive: the next scan gets one without a retry
    assert scan_badge(ann_id, event_id, bob_badge).is_new
