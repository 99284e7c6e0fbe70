"""Follow-up mail throughput: render and deliver a 5,000-attendee event's follow-ups.

Against a local aiosmtpd server running in its own process, in the same run:

- baseline: a bare smtplib loop sending one pre-rendered follow-up N times over one
  connection (the most the server and the wire allow);
- eventnet: ``queue_followups`` (matching engine, rendering every email in its language,
  outbox rows and proposed introductions) then ``deliver_due`` (claims, the step-wise SMTP
  conversation with its commit before the final dot, the ``sent`` commit).

Reports messages per second for both and their ratio (issue 5's target: at least 0.5).

    .venv/bin/python benchmarks/bench_followups.py [--attendees 5000] [--scans-per 6]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import smtplib
import socket
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(port: int, count: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def _populate(app: Any, attendees: int, scans_per: int, seed: int) -> int:
    """An event with ``attendees`` people and random scans among them; returns its id."""
    from sqlalchemy import insert

    from eventnet.database import write_transaction
    from eventnet.models import Scan, utcnow
    from eventnet.services.attendees import Profile, new_attendee
    from eventnet.services.events import EventData, create_event
    from eventnet.services.organizers import create_organizer

    rng = random.Random(seed)
    organizer = create_organizer("bench@example.org", "benchmark password 123", "Bench")
    event = create_event(organizer, "bench", EventData(
        name="Bench Conf", followup_sender_name="Bench Conf team",
        followup_intro="Thank you for coming!"))
    topics = ["rust", "python", "design", "fundraising", "hiring", "ml", "devops", "sales"]
    ids: list[int] = []
    for start in range(0, attendees, 500):
        with write_transaction():
            for n in range(start, min(attendees, start + 500)):
                profile = Profile(
                    name=f"Person {n}", email=f"p{n}@example.org", company=f"Co {n % 300}",
                    title="Engineer", interests=rng.sample(topics, 2),
                    offers=rng.sample(topics, 1), asks=rng.sample(topics, 1),
                    consent_share_contact=n % 2 == 0, consent_introductions=True,
                    consent_followup=True, language="fr" if n % 3 == 0 else "en")
                ids.append(new_attendee(event, profile, source="bench").id)
    now = utcnow() - timedelta(days=1)
    rows = []
    for scanner in ids:
        for _ in range(scans_per):
            scanned = rng.choice(ids)
            if scanned != scanner:
                rows.append({"event_id": event.id, "scanner_id": scanner, "scanned_id": scanned,
                             "scanned_at": now + timedelta(seconds=rng.randrange(8 * 3600)),
                             "recorded_at": now, "note": "nice chat" if rng.random() < 0.2
                             else "", "tags": [], "source": "import", "is_counted": True})
    with write_transaction() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Scan), rows[start:start + 5000])
    return int(event.id)


def main() -> None:
    """Measure both rates in one run and print them with their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attendees", type=int, default=5000)
    parser.add_argument("--scans-per", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    port = _free_port()
    count, ready, stop = mp.Value("i", 0), mp.Event(), mp.Event()
    server = mp.Process(target=_serve, args=(port, count, ready, stop), daemon=True)
    server.start()
    ready.wait(30)
    with tempfile.TemporaryDirectory(prefix="eventnet-bench-mail-") as tmp:
        os.environ["EVENTNET_INSTANCE_PATH"] = tmp
        from eventnet import create_app

        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/eventnet.sqlite3",
            "SECRET_KEY": "benchmark", "MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port, "MAIL_SYNC": False, "EVENTNET_BASE_URL": "https://events.example",
        })
        with app.app_context():
            from flask_migrate import upgrade
            from sqlalchemy import select

            from eventnet.extensions import db
            from eventnet.mail.worker import build_message, deliver_due
            from eventnet.models import OutboundEmail
            from eventnet.services.followup_mail import queue_followups

            upgrade()
            t0 = time.perf_counter()
            event_id = _populate(app, args.attendees, args.scans_per, args.seed)
            setup = time.perf_counter() - t0
            print(f"setup done in {setup:.1f}s", file=sys.stderr, flush=True)

            # What `eventnet followups send` and the organizer's button do: queue (engine,
            # rendering, outbox rows, proposed introductions), then deliver.
            t0 = time.perf_counter()
            queued = queue_followups(event_id)
            t_queue = time.perf_counter() - t0
            t0 = time.perf_counter()
            stats = deliver_due(limit=500)
            t_deliver = time.perf_counter() - t0
            total = queued.queued
            assert stats.sent == total == count.value, (stats, total, count.value)

            sample = db.session.scalar(select(OutboundEmail).limit(1))
            assert sample is not None
            message = build_message(sample)
            raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n",
                                                               max_line_length=998))
            sender, to = "bench@events.example", "p0@example.org"
            t0 = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as conn:
                for _ in range(total):
                    conn.sendmail(sender, [to], raw)
            t_loop = time.perf_counter() - t0
    stop.set()
    server.join(10)

    rate = total / (t_queue + t_deliver)
    loop_rate = total / t_loop
    print(f"attendees {args.attendees}, follow-ups {total} "
          f"(~{len(raw) // 1024} KiB each), setup {setup:.1f}s (not timed)")
    print(f"eventnet: render+queue {t_queue:.1f}s ({total / t_queue:.0f}/s), deliver "
          f"{t_deliver:.1f}s ({total / t_deliver:.0f}/s): {rate:.0f} messages/s overall")
    print(f"bare smtplib loop: {t_loop:.1f}s, {loop_rate:.0f} messages/s")
    print(f"ratio eventnet / loop: {rate / loop_rate:.2f} (target >= 0.5); "
          f"server received {count.value} messages in all")


if __name__ == "__main__":
    main()
