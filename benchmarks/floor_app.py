"""The floor of bench_scans.py: the least a scan endpoint that stores what it acknowledges does.

A Flask JSON POST, like ``trivial_app``, that also writes one row in its own transaction and
commits before it answers 201, with the same database settings and writer queue as eventnet
(SQLite: WAL, ``synchronous = NORMAL``, a thread lock and ``flock`` before ``BEGIN
IMMEDIATE``; PostgreSQL: one connection per thread, synchronous commit). No authentication,
no rate limits, no badge lookup, no connection row: whatever a real scan endpoint adds comes
on top, so its capacity bounds what any such endpoint reaches on this machine and server.

    python -c 'from benchmarks import floor_app; floor_app.prepare("sqlite:////tmp/x.db")'
    EVENTNET_DATABASE_URL=sqlite:////tmp/x.db gunicorn -c gunicorn.conf.py \\
        benchmarks.floor_app:app
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from typing import Any

from flask import Flask, jsonify, request

app = Flask(__name__)

URL = os.environ.get("EVENTNET_DATABASE_URL", "")
SQLITE = URL.startswith("sqlite:///")
CREATE = ("CREATE TABLE IF NOT EXISTS bench_floor (id {pk}, badge VARCHAR(200) NOT NULL, "
          "client_id VARCHAR(100), UNIQUE (client_id))")
INSERT = "INSERT INTO bench_floor (badge, client_id) VALUES ({p}, {p})"

_local = threading.local()
_process: dict[str, Any] = {}
_guard = threading.Lock()


def prepare(url: str) -> None:
    """Create the floor's table (before the server starts: its workers only insert)."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///"):] + "-floor") as conn:
            conn.execute(CREATE.format(pk="INTEGER PRIMARY KEY"))
        return
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(CREATE.format(pk="BIGSERIAL PRIMARY KEY"))


def _sqlite() -> tuple[sqlite3.Connection, threading.Lock, int]:
    """This process's one writer connection, thread lock and lock file (as eventnet has)."""
    with _guard:
        if _process.get("pid") != os.getpid():
            path = URL[len("sqlite:///"):] + "-floor"
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "busy_timeout = 30000"):
                conn.execute(f"PRAGMA {pragma}")
            fd = os.open(path + ".write-lock", os.O_RDWR | os.O_CREAT, 0o600)
            _process.update(pid=os.getpid(), conn=conn, lock=threading.Lock(), fd=fd)
    return _process["conn"], _process["lock"], _process["fd"]


def _store_sqlite(badge: str, client_id: str | None) -> None:
    conn, lock, fd = _sqlite()
    with lock:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(INSERT.format(p="?"), (badge, client_id))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _store_postgresql(badge: str, client_id: str | None) -> None:
    conn = getattr(_local, "conn", None)
    if conn is None or getattr(_local, "pid", None) != os.getpid():
        import psycopg

        conn = _local.conn = psycopg.connect(URL.replace("postgresql+psycopg://",
                                                         "postgresql://"))
        _local.pid = os.getpid()
    with conn.transaction():
        conn.execute(INSERT.format(p="%s"), (badge, client_id))


@app.post("/api/v1/scans")
def scans() -> Any:
    """Parse the JSON body, store one row, answer 201; 400 without a badge (the drain)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body.get("badge"):
        return jsonify({"error": {"code": "missing_badge", "message": "no badge"}}), 400
    (_store_sqlite if SQLITE else _store_postgresql)(str(body["badge"]), body.get("client_id"))
    return jsonify({"scan": {"id": 1, "client_id": body.get("client_id"), "is_new": True,
                             "is_counted": True}}), 201
