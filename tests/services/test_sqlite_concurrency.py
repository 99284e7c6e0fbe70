"""Several processes writing to one SQLite file lose nothing ("database is locked")."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import create_engine, text

WORKER = textwrap.dedent("""
    import sys
    from eventnet import create_app
    from eventnet.services.attendees import Profile, register
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


def test_processes_writing_at_once_lose_no_check_in_scan_or_registration(tmp_path: Path):
    from flask_migrate import upgrade

    from eventnet import create_app
    from eventnet.database import write_transaction
    from eventnet.services.attendees import Profile, new_attendee
    from eventnet.services.events import EventData, create_event
    from eventnet.services.organizers import create_organizer

    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                      "MAIL_BACKEND": "file", "MAIL_SYNC": False})
    with app.app_context():
        upgrade()
        event = create_event(create_organizer("o@example.org", "long enough pw"), "race",
                             EventData(name="Race"))
        with write_transaction():
            ids = [new_attendee(event, Profile(name=f"A{i}", email=f"a{i}@example.org"),
                                source="test").id for i in range(30)]
        from eventnet.extensions import db

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
