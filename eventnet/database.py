"""Engine tuning and write transactions.

SQLite allows one writer at a time. With several gunicorn workers a transaction that starts
as a reader and later writes fails at once with "database is locked" when another process
wrote in between; the busy timeout cannot help it. So every transaction that intends to
write starts with ``BEGIN IMMEDIATE`` (it takes the write lock up front and waits for it),
and readers use plain ``BEGIN`` so that, under WAL, they never block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from eventnet.extensions import db

_write_intent: ContextVar[bool] = ContextVar("eventnet_write_intent", default=False)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_engine(engine: Engine) -> None:
    """Install per-connection settings: WAL, busy timeout, foreign keys on SQLite."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours to emit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


@contextmanager
def write_transaction() -> Iterator[Any]:
    """Run a block in one write transaction that is committed at the end, rolled back on error.

    Services wrap their work in it; it is the only place that commits.
    """
    session = db.session()
    if _write_intent.get():
        # Nested use: the outer block owns the transaction.
        yield session
        return
    if session.in_transaction():
        # End the read snapshot so the write transaction begins with the lock taken.
        session.commit()
    token = _write_intent.set(True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _write_intent.reset(token)
