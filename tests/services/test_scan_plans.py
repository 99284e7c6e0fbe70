"""The scan path's statements find rows by key, whatever the database knows of its tables.

An event's attendees are imported just before the doors open, and its first scans come before
PostgreSQL's autovacuum has gathered statistics on the new rows. Without them the planner
chose, for a cached badge's owner check, the index of the owner's *event* over the owner's
primary key: it read all the event's attendees on every scan (1 ms of the server's CPU at
2,000 attendees, docs/benchmarks.md). These tests ask each database for its plan of that
statement on tables it never analysed.
"""

from __future__ import annotations

import re
from typing import Any

from eventnet.database import CompiledStatement
from eventnet.models import utcnow

PASSWORD = "correct horse battery staple"


def _plan(statement: CompiledStatement, params: dict[str, Any], dialect: str) -> str:
    """The database's plan of ``statement`` with ``params``, as one text (nothing is run)."""
    from eventnet.extensions import db

    explain = "EXPLAIN " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    shown = CompiledStatement.__new__(CompiledStatement)
    shown.__dict__.update(statement.__dict__, sql=explain + statement.sql, returns_rows=False)
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        shown.send(cursor, params)
        return "\n".join(" ".join(str(column) for column in row) for row in cursor.fetchall())
    finally:
        connection.rollback()
        connection.close()


def test_a_cached_badge_owner_is_checked_by_primary_key(app: Any, empty_database: str) -> None:
    from flask_migrate import upgrade

    from eventnet import create_app
    from eventnet.database import write_transaction
    from eventnet.extensions import db
    from eventnet.services import scans
    from eventnet.services.attendees import access_token, new_attendee
    from eventnet.services.events import EventData, create_event
    from eventnet.services.organizers import create_organizer
    from eventnet.services.profiles import Profile

    fresh = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": empty_database})
    with fresh.app_context():
        try:
            upgrade()
            organizer = create_organizer("ann@example.org", PASSWORD, "Ann")
            event = create_event(organizer, "rust", EventData(name="Rust"))
            with write_transaction():
                people = [new_attendee(event, Profile(name=f"Person {n}",
                                                      email=f"p{n}@example.org"),
                                       source="test") for n in range(300)]
            scanner, scanned = people[0], people[1]
            ref = scans.scanner_for_token(access_token(scanner))
            assert ref is not None
            badge = scanned.badge.token
            # as a scan of a cached badge writes: its upsert checks the owner again
            assert scans.scan_badge(ref.attendee_id, event.id, badge,
                                    token_hash=ref.token_hash).is_new
            a_id, b_id = sorted((scanner.id, scanned.id))
            dialect = db.engine.dialect.name
            plan = _plan(scans._sql()["upsert_checked"], {
                "event_id": event.id, "a_id": a_id, "b_id": b_id, "at": utcnow(),
                "scanner_id": scanner.id, "scanned_id": scanned.id, "token": badge,
                "consent": False, "token_hash": ref.token_hash}, dialect)
            # the owner and the scanner each found by a unique key, never among many rows
            assert "ix_attendee_event_id" not in plan, plan
            assert not re.search(r"Seq Scan on attendee|SCAN attendee", plan), plan
            assert len(re.findall(r"attendee_pkey on attendee |SEARCH attendee USING INTEGER "
                                  r"PRIMARY KEY", plan)) == 1, plan  # the owner
        finally:
            db.session.remove()
            db.engine.dispose()
