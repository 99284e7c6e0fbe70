"""Attendee imports: 50,000 generated rows, through the service and through the web upload.

Two paths, each on SQLite (a fresh file) and, with ``--postgres URL``, on PostgreSQL (a
database made for the run and dropped afterwards, so test runs on the same server are left
alone):

- service: ``plan_import`` (every row checked) then ``apply_import`` (one transaction,
  batched inserts), as ``eventnet attendees import`` runs them;
- web: the organizer's upload (``POST /events/<slug>/import``, test client), then the job
  in its background thread until its page says done; timed from the upload to the end.

Reports seconds and rows per second for each, and a re-import of the same file (every row
matched, nothing changed) through the service; beside them the CPU seconds of this process
(the app's share; the database server's is not in it), which a loaded machine inflates less.

    .venv/bin/python benchmarks/bench_imports.py [--rows 50000] \\
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchdb import postgres_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "benchmark password 123"


def make_file(rows: int, offset: int = 0) -> bytes:
    """An eventnet CSV of ``rows`` distinct attendees with lists and a company."""
    lines = ["name,email,company,title,interests,offers,asks"]
    for i in range(offset, offset + rows):
        lines.append(f"Person {i},person{i}@example.org,Company {i % 997},Engineer {i % 13},"
                     f"python;data;topic {i % 50},advice;intros,jobs;funding")
    return ("\n".join(lines) + "\n").encode()


def make_app(url: str, instance: str) -> Any:
    from flask_migrate import upgrade

    from eventnet import create_app

    os.environ["EVENTNET_INSTANCE_PATH"] = instance
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "EVENTNET_BASE_URL": "http://eventnet.test", "SERVER_NAME": None})
    with app.app_context():
        upgrade()
    return app


def bench(label: str, url: str, rows: int) -> list[tuple[str, float, float]]:
    """Time the service and the web path on one database; returns (what, seconds, CPU s)."""
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    from sqlalchemy import func, select

    from eventnet.extensions import db
    from eventnet.models import Attendee
    from eventnet.services import import_jobs, imports
    from eventnet.services.events import EventData, create_event
    from eventnet.services.organizers import create_organizer

    out = []
    with tempfile.TemporaryDirectory() as instance:
        if label == "sqlite":
            url = f"sqlite:///{instance}/bench.sqlite3"
        app = make_app(url, instance)
        data = make_file(rows)
        with app.app_context():
            organizer = create_organizer("bench@example.org", PASSWORD, "Bench")
            service_event = create_event(organizer, "bench-service", EventData(name="Service"))
            web_event = create_event(organizer, "bench-web", EventData(name="Web"))
            slug, web_event_id = web_event.slug, web_event.id

            started, cpu = time.perf_counter(), time.process_time()
            plan = imports.plan_import(service_event, data)
            checked, cpu_checked = time.perf_counter(), time.process_time()
            result = imports.apply_import(service_event.id, plan)
            stored, cpu_stored = time.perf_counter(), time.process_time()
            assert result.created == rows, result
            out += [("service: check", checked - started, cpu_checked - cpu),
                    ("service: store", stored - checked, cpu_stored - cpu_checked),
                    ("service: total", stored - started, cpu_stored - cpu)]

            started, cpu = time.perf_counter(), time.process_time()
            again = imports.apply_import(service_event.id, imports.plan_import(service_event, data))
            assert again.unchanged == rows, again
            out.append(("service: same file again (all unchanged)",
                        time.perf_counter() - started, time.process_time() - cpu))

        client = app.test_client()
        client.post("/organizer/sign-in", data={"email": "bench@example.org",
                                                "password": PASSWORD})
        started, cpu = time.perf_counter(), time.process_time()
        response = client.post(f"/events/{slug}/import", data={
            "file": (io.BytesIO(data), "bench.csv"), "format": "auto"},
            content_type="multipart/form-data")
        assert response.status_code == 302, response.status_code
        uploaded, cpu_uploaded = time.perf_counter(), time.process_time()
        job_id = int(response.headers["Location"].rsplit("/", 1)[1])
        import_jobs.wait(job_id)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        finished, cpu_finished = time.perf_counter(), time.process_time()
        assert 'data-state="done"' in page, page[:2000]
        with app.app_context():
            count = db.session.scalar(select(func.count(Attendee.id))
                                      .where(Attendee.event_id == web_event_id))
            assert count == rows, count
            db.session.remove()
            db.engine.dispose()
        out += [("web: upload answered", uploaded - started, cpu_uploaded - cpu),
                ("web: upload to done", finished - started, cpu_finished - cpu)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL; a database is made on its server")
    args = parser.parse_args()
    runs = [("sqlite", "")]
    if args.postgres:
        runs.append(("postgresql", args.postgres))
    for label, url in runs:
        if label == "postgresql":
            with postgres_database(url, "bench_imports") as bench_url:
                figures = bench(label, bench_url, args.rows)
        else:
            figures = bench(label, url, args.rows)
        print(f"{label}, {args.rows} rows")
        for what, seconds, cpu in figures:
            rate = args.rows / seconds if seconds else float("inf")
            print(f"  {what:44s} {seconds:7.2f} s  {rate:7.0f} rows/s  {cpu:7.2f} CPU s",
                  flush=True)


if __name__ == "__main__":
    main()
