"""Several processes writing to one SQLite file lose nothing ("database is locked")."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

WORKER = textwrap.dedent("""
    import sys
    from eventnet import create_app
    from eventnet.services.attendees import register
    from eventnet.services.profiles import Profile
    from eventnet.services.checkins import check_in
    from eventnet.services.scans import record_scan

    url, worker, ids = sys.argv[1], int(sys.argv[2]), [int(i) for i in sys.argv[3].split(",")]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                      "MAIL_BACKEND": "file", "MAIL_SYNC": False})
    with app.app_context():
        for n, attendee_id in enumerate(ids):
            check_in(attendee_id)              # every worker checks in the same people
            other = ids[(n + 1) % len(ids)]
            record_scan(attendee_id, other, client_id=f"w{worker}-{n}")
            register(1, Profile(name=f"P {worker}-{n}", email=f"p{worker}-{n}@example.org"))
    print("ok")
""")


@contextmanager
def _event_in_a_sqlite_file(url: str, attendees: int) -> Iterator[tuple[Any, list[Any]]]:
    """Inside an app on the SQLite file ``url``, migrated: an event of ``attendees`` people."""
    from flask_migrate import upgrade

    from eventnet import create_app
    from eventnet.database import write_transaction
    from eventnet.services.attendees import new_attendee
    from eventnet.services.events import EventData, create_event
    from eventnet.services.organizers import create_organizer
    from eventnet.services.profiles import Profile

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                      "MAIL_BACKEND": "file", "MAIL_SYNC": False})
    with app.app_context():
        upgrade()
        event = create_event(create_organizer("o@example.org", "long enough pw"), "race",
                             EventData(name="Race"))
        with write_transaction():
            people = [new_attendee(event, Profile(name=f"A{i}", email=f"a{i}@example.org"),
                                   source="test") for i in range(attendees)]
        yield event, people


@pytest.mark.processes
def test_processes_writing_at_once_lose_no_check_in_scan_or_registration(tmp_path: Path):
    from eventnet.extensions import db

    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    with _event_in_a_sqlite_file(url, 30) as (_event, people):
        ids = [person.id for person in people]
        db.engine.dispose()
    workers = 4
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, str(w),
                               ",".join(map(str, ids))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
             for w in range(workers)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0 and out.strip() == "ok", err[-2000:]
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM check_in")).scalar() == len(ids)
        assert conn.execute(text("SELECT count(*) FROM scan")).scalar() == workers * len(ids)
        assert conn.execute(text("SELECT count(*) FROM attendee")).scalar() == \
            len(ids) + workers * len(ids)
        total = conn.execute(text("SELECT sum(a_scan_count + b_scan_count) FROM connection"))
        counted = conn.execute(text("SELECT count(*) FROM scan WHERE is_counted"))
        assert total.scalar() == counted.scalar()
    engine.dispose()


def test_scans_leave_the_checkpoint_to_a_background_thread(tmp_path: Path, monkeypatch):
    """The scan writer never copies the WAL back itself (a disk flush under the writer
    lock); a thread of its own does, within a moment."""
    import time

    from eventnet import database
    from eventnet.services.scans import scan_badge

    monkeypatch.setattr(database, "CHECKPOINT_SECONDS", 0.2)
    path = tmp_path / "wal.sqlite3"
    with _event_in_a_sqlite_file(f"sqlite:///{path}", 40) as (event, people):
        pairs = [(a.id, b.badge.token) for a in people for b in people if a is not b]
        event_id = event.id
        from eventnet.extensions import db

        db.session.remove()
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        size_before = path.stat().st_size
        for n, (scanner, token) in enumerate(pairs[:600]):
            scan_badge(scanner, event_id, token, note=f"talked about topic {n}")
        writer = database._writer_connections[db.engine][1]
        assert writer.cursor().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        deadline = time.monotonic() + 60  # a condition, not a guess: on a loaded machine too
        while path.stat().st_size == size_before and time.monotonic() < deadline:
            time.sleep(0.05)
        # the new scans' pages reached the database file: something checkpointed, and no
        # commit did (the writer's automatic checkpoint is off)
        assert path.stat().st_size > size_before
        db.engine.dispose()


def _wal_pages(path: Path) -> int:
    """How many pages the WAL of the SQLite file ``path`` holds now, read from its index
    (the ``-shm`` file's header: ``mxFrame``, in the machine's byte order) without touching
    the database: asking SQLite (``PRAGMA wal_checkpoint``) would checkpoint."""
    with open(f"{path}-shm", "rb") as shm:
        header = shm.read(20)
    return int.from_bytes(header[16:20], sys.byteorder)


def test_the_wal_starts_over_under_steady_scans(tmp_path: Path, monkeypatch):
    """Under steady writes a checkpoint beside the writers never copies the whole WAL back,
    and SQLite starts the WAL over only then: it grew for as long as scans came (1 GB in 15 s
    of full load), and every read searched more of it. The checkpointer finishes with the writer
    lock held, so the WAL starts over again and again while scans keep coming."""
    import threading
    import time

    from flask import current_app

    from eventnet import database
    from eventnet.services.scans import scan_badge

    monkeypatch.setattr(database, "CHECKPOINT_SECONDS", 0.05)
    monkeypatch.setattr(database, "WAL_RESTART_PAGES", 20)
    path = tmp_path / "steady.sqlite3"
    with _event_in_a_sqlite_file(f"sqlite:///{path}", 60) as (event, people):
        app = current_app._get_current_object()
        pairs = [(a.id, b.badge.token) for a in people for b in people if a is not b]
        event_id = event.id
        from eventnet.extensions import db

        db.session.remove()
        scanning = threading.Event()
        scanning.set()
        restarts, longest, written = 0, 0, [0]

        def scan(offset: int) -> None:
            with app.app_context():
                for n, (scanner, token) in enumerate(pairs[offset::4]):
                    if not scanning.is_set():
                        break
                    scan_badge(scanner, event_id, token, note=f"topic {offset} {n}")
                    written[0] += 1

        threads = [threading.Thread(target=scan, args=(k,)) for k in range(4)]
        for thread in threads:
            thread.start()
        try:
            # the scans keep coming until the WAL has started over several times (a
            # condition, not a duration: on a loaded machine too), or until they run out
            before = _wal_pages(path)
            while restarts < 5 and any(thread.is_alive() for thread in threads):
                pages = _wal_pages(path)
                restarts += pages < before
                longest, before = max(longest, pages), pages
                time.sleep(0.001)
        finally:
            scanning.clear()
            for thread in threads:
                thread.join()
        db.engine.dispose()
    assert restarts >= 5, f"the WAL started over {restarts} times in {written[0]} scans " \
                          f"(at most {longest} pages)"
