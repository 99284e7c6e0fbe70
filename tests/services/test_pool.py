"""Pooled server connections: no ping per checkout, yet a dead idle connection is replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from eventnet import database
from eventnet.extensions import db
from eventnet.services.scans import scan_badge


def test_a_connection_the_server_dropped_while_idle_is_replaced(app, backend, make_event,
                                                               make_attendee, monkeypatch):
    if backend != "postgresql":
        pytest.skip("SQLite files have no server to drop the connection")
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event)
    event_id, ann_id, bob_id = event.id, ann.id, bob.id
    ann_badge, bob_badge = ann.badge.token, bob.badge.token
    assert scan_badge(ann_id, event_id, bob_badge).is_new  # a connection is pooled
    db.session.remove()
    # The server ends every other session of this database (a restart, a firewall timeout).
    killer = create_engine(db.engine.url, poolclass=None)
    with killer.connect() as conn:
        ended = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    killer.dispose()
    assert ended >= 1
    # Idle long enough to be checked: the pool notices and opens a fresh connection.
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    try:
        assert scan_badge(bob_id, event_id, ann_badge).is_new
    finally:
        db.session.remove()
        db.engine.dispose()  # the other pooled connections died too: none for later tests
