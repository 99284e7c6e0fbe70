"""Time the organizer dashboard at conference scale: 5,000 attendees and 100,000 scans.

Fills a fresh database with bulk inserts (SQLAlchemy Core, not service calls): one event with
5,000 attendees, 80 % checked in, 100,000 scans over four hours and the connections they make,
follow-up emails in every delivery state, and an earlier event of the same community whose
2,000 returning people had 20,000 connections. Then times each dashboard page and JSON endpoint
through the Flask test client (server-side time only: no network, no browser), next to the
public landing page as the baseline measured in the same run.

Run from the project's root:

    .venv/bin/python benchmarks/bench_dashboard.py --backend sqlite
    .venv/bin/python benchmarks/bench_dashboard.py --backend postgresql \
        --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test

The PostgreSQL run creates its own database next to the given one and drops it at the end.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from benchdb import postgres_database
from sqlalchemy import insert, select, text

INTERESTS = ["Python", "machine learning", "open source", "DevOps", "fintech", "venture capital",
             "climate tech", "santé numérique", "health data", "UX research", "accessibility",
             "edtech", "research", "design systems", "startups", "Rust", "data engineering",
             "énergie", "circular economy", "impact investing", "jeux vidéo", "open science",
             "clinical trials", "sustainability", "product management", "IA générative"]
COMPANIES = [f"Company {n}" for n in range(400)]
PASSWORD = "benchmark-password"
TARGET_MS = 300


def _rows_in_chunks(rows: list[dict[str, Any]], size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def populate(attendee_count: int = 5000, scan_count: int = 100_000, seed: int = 7,
             returning: int = 2000, earlier_connections: int = 20_000) -> tuple[str, str]:
    """Fill the current app's database; returns (organizer email, event slug).

    A small event gets a small earlier one: at most its own attendees return, and the earlier
    event has at most half the connections its people could have."""
    returning = min(returning, attendee_count)
    from eventnet.extensions import db
    from eventnet.models import (
        Attendee,
        CheckIn,
        Connection,
        Event,
        OutboundEmail,
        Person,
        Scan,
    )
    from eventnet.services.events import EventData, create_event
    from eventnet.services.organizers import create_organizer

    rng = random.Random(seed)
    email = "bench@example.org"
    organizer = create_organizer(email, PASSWORD, "Bench Conf")
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=4)
    earlier = create_event(organizer, "bench-earlier", EventData(
        name="Bench Conf 2025", starts_at=start - timedelta(days=365),
        ends_at=start - timedelta(days=364)))
    event = create_event(organizer, "bench-conf", EventData(
        name="Bench Conf 2026", starts_at=start, ends_at=now + timedelta(hours=4),
        capacity=attendee_count + 500, interest_tags=INTERESTS[:10]))
    community_id = event.community_id

    conn = db.session.connection()
    persons = [{"community_id": community_id, "email": f"p{n}@example.org", "created_at": start}
               for n in range(attendee_count + returning)]
    for chunk in _rows_in_chunks(persons):
        conn.execute(insert(Person), chunk)
    person_ids = list(conn.scalars(select(Person.id).order_by(Person.id)))

    def attendee_rows(event_id: int, people: list[int], offset: int) -> list[dict[str, Any]]:
        rows = []
        for n, person_id in enumerate(people):
            rows.append({
                "event_id": event_id, "person_id": person_id,
                "email": f"p{person_id}@example.org", "name": f"Attendee {offset + n}",
                "company": rng.choice(COMPANIES), "title": "Engineer", "bio": "",
                "interests": rng.sample(INTERESTS, rng.randint(1, 4)), "offers": [], "asks": [],
                "links": [], "phone": "", "answers": {}, "consent_share_contact": True,
                "consent_introductions": True, "consent_followup": True, "language": "en",
                "source": "import:eventnet", "access_token_hash": secrets.token_hex(32),
                "secret_version": 1, "registered_at": start - timedelta(days=10),
                "updated_at": start - timedelta(days=10),
            })
        return rows

    # The earlier event: the first `returning` people of this event plus others.
    earlier_people = person_ids[:returning] + person_ids[attendee_count:]
    for chunk in _rows_in_chunks(attendee_rows(earlier.id, earlier_people, 100_000)):
        conn.execute(insert(Attendee), chunk)
    for chunk in _rows_in_chunks(attendee_rows(event.id, person_ids[:attendee_count], 0)):
        conn.execute(insert(Attendee), chunk)
    ids = list(conn.scalars(select(Attendee.id).where(Attendee.event_id == event.id)
                            .order_by(Attendee.id)))
    earlier_ids = list(conn.scalars(select(Attendee.id).where(Attendee.event_id == earlier.id)
                                    .order_by(Attendee.id)))

    checkins = [{"event_id": event.id, "attendee_id": a, "method": "badge",
                 "checked_in_at": start + timedelta(seconds=rng.randint(0, 5400))}
                for a in ids if rng.random() < 0.8]
    for chunk in _rows_in_chunks(checkins):
        conn.execute(insert(CheckIn), chunk)

    # Scans: popularity is skewed (a few speakers are scanned a lot), people scan their
    # neighbours in id order more often (groups), and about 10 % stay wallflowers.
    active = [a for a in ids if rng.random() < 0.9]
    is_active = set(active)
    cum_weights = list(itertools.accumulate(1.0 / (1 + (rank % 500)) ** 0.5
                                            for rank in range(len(active))))
    scans = []
    pairs: dict[tuple[int, int], dict[str, Any]] = {}
    span = int((now - start).total_seconds()) - 60
    for _ in range(scan_count):
        scanner = rng.choice(active)
        scanned = scanner + rng.choice((-1, 1)) * rng.randint(1, 40)
        if rng.random() < 0.4 or scanned not in is_active:
            scanned = rng.choices(active, cum_weights=cum_weights)[0]
        if scanned == scanner:
            continue
        at = start + timedelta(seconds=rng.randint(0, span))
        scans.append({"event_id": event.id, "scanner_id": scanner, "scanned_id": scanned,
                      "scanned_at": at, "recorded_at": at, "note": "", "tags": [],
                      "client_id": uuid.uuid4().hex, "source": "api", "is_counted": True})
        key = (min(scanner, scanned), max(scanner, scanned))
        pair = pairs.setdefault(key, {"event_id": event.id, "a_id": key[0], "b_id": key[1],
                                      "first_met_at": at, "last_met_at": at, "scan_count": 0,
                                      "a_scan_count": 0, "b_scan_count": 0, "is_mutual": False,
                                      "a_note": "", "b_note": "", "a_tags": [], "b_tags": []})
        pair["scan_count"] += 1
        pair["a_scan_count" if scanner == key[0] else "b_scan_count"] += 1
        pair["is_mutual"] = pair["a_scan_count"] > 0 and pair["b_scan_count"] > 0
        pair["first_met_at"] = min(pair["first_met_at"], at)
        pair["last_met_at"] = max(pair["last_met_at"], at)
    for chunk in _rows_in_chunks(scans):
        conn.execute(insert(Scan), chunk)
    for chunk in _rows_in_chunks(list(pairs.values())):
        conn.execute(insert(Connection), chunk)

    earlier_pairs: set[tuple[int, int]] = set()
    earlier_connections = min(earlier_connections,
                              len(earlier_ids) * (len(earlier_ids) - 1) // 4)
    while len(earlier_pairs) < earlier_connections:
        a, b = rng.sample(earlier_ids, 2)
        earlier_pairs.add((min(a, b), max(a, b)))
    past = earlier.starts_at
    assert past is not None
    conn.execute(insert(Connection), [
        {"event_id": earlier.id, "a_id": a, "b_id": b, "first_met_at": past,
         "last_met_at": past, "scan_count": 1, "a_scan_count": 1, "b_scan_count": 0,
         "is_mutual": False, "a_note": "", "b_note": "", "a_tags": [], "b_tags": []}
        for a, b in sorted(earlier_pairs)])

    statuses = ["sent"] * 6 + ["queued"] * 2 + ["failed", "sending"]
    conn.execute(insert(OutboundEmail), [
        {"event_id": event.id, "attendee_id": a, "kind": "followup",
         "dedupe_key": f"followup:{event.id}:{a}", "to_address": f"a{a}@example.org",
         "from_address": "events@example.org", "reply_to": "", "subject": "Your follow-up",
         "headers": {}, "status": rng.choice(statuses),
         "attempts": 1, "next_attempt_at": now, "last_error": "", "message_id": "",
         "created_at": now} for a in ids[:3000]])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does on a live server within a minute: statistics and visibility map.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
    assert db.session.get(Event, event.id) is not None
    return email, event.slug


def timed(client: Any, url: str, repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per GET of ``url`` (after a warm-up request), each a 200.

    CPU time is this process's: the whole request on SQLite, everything but the database
    server's own work on PostgreSQL. On a shared machine it moves less than wall time.
    """
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return wall, cpu


@contextmanager
def database(backend: str, postgres_url: str) -> Iterator[str]:
    """A fresh database URL for this run, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    with postgres_database(postgres_url, "eventnet_bench_dashboard") as url:
        yield url


def run(backend: str, postgres_url: str, attendees: int, scans: int, repeat: int) -> None:
    """Populate, then print median and p95 per URL and the ratio to the baseline."""
    from flask_migrate import upgrade

    from eventnet import create_app

    with database(backend, postgres_url) as url, tempfile.TemporaryDirectory() as instance:
        os.environ["EVENTNET_INSTANCE_PATH"] = instance
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                          "EVENTNET_BASE_URL": "http://eventnet.test"})
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            email, slug = populate(attendees, scans)
            print(f"{backend}: {attendees} attendees, {scans} scans inserted in "
                  f"{time.perf_counter() - started:.1f} s")
        client = app.test_client()
        response = client.post("/organizer/sign-in", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        urls = [("baseline: public landing page", "/"),
                ("overview page", f"/events/{slug}/"),
                ("overview JSON (poll)", f"/events/{slug}/overview.json"),
                ("network page", f"/events/{slug}/network"),
                ("network JSON (graph)", f"/events/{slug}/network.json")]
        baseline = None
        print(f"{'':32} {'median ms':>10} {'p95 ms':>8} {'× baseline':>11} {'CPU ms':>8}  "
              f"target: median < {TARGET_MS} ms")
        for label, path in urls:
            wall, cpu = timed(client, path, repeat)
            wall.sort()
            median = statistics.median(wall)
            p95 = wall[min(len(wall) - 1, round(0.95 * (len(wall) - 1)))]
            baseline = baseline or median
            verdict = "" if label.startswith("baseline") else (
                "ok" if median < TARGET_MS else "SLOW")
            print(f"{label:32} {median:10.1f} {p95:8.1f} {median / baseline:11.1f} "
                  f"{statistics.median(cpu):8.1f}  {verdict}")
        with app.app_context():
            from eventnet.extensions import db

            db.session.remove()
            db.engine.dispose()


def main() -> None:
    """Parse the command line and run the benchmark on one backend."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--attendees", type=int, default=5000)
    parser.add_argument("--scans", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    run(args.backend, args.postgres_url, args.attendees, args.scans, args.repeat)
    print(f"load average {os.getloadavg()[0]:.1f} at the end (the machine is shared: "
          f"compare each line with the baseline measured in the same run)")


if __name__ == "__main__":
    main()
