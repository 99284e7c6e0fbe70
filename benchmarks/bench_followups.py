"""Follow-up mail throughput: render and deliver a 5,000-attendee event's follow-ups.

Against a local aiosmtpd server running in its own process, in the same run:

- baseline: a bare smtplib loop sending one of the follow-ups eventnet sent (the same
  bytes) N times over one connection: the most the server and the wire allow;
- eventnet: the organizer's `eventnet followups send SLUG`, run in this process with the
  default settings (matching engine, rendering every email in its language, outbox rows
  and proposed introductions, then delivering what is left), while the documented
  delivery service `eventnet outbox work --loop` runs in its own process and picks up
  each committed batch (claims, batches of SMTP transactions over several connections,
  one commit before their final dots). Timed from the start of the command until every
  follow-up is recorded as sent. ``--sequential``: no service; the command hands each
  committed batch to a delivery process it spawns itself (what a meetup without an
  ``outbox work`` service gets).

Reports messages per second for both and their ratio (issue 5's target: at least 0.5),
and the CPU seconds of the two eventnet processes.

    .venv/bin/python benchmarks/bench_followups.py [--attendees 5000] [--sequential]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import smtplib
import socket
import subprocess
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
    from eventnet.models import Connection, Scan, utcnow
    from eventnet.services.attendees import new_attendee
    from eventnet.services.events import EventData, create_event
    from eventnet.services.organizers import create_organizer
    from eventnet.services.profiles import Profile

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
        connections = _connections(event.id, rows)
        for start in range(0, len(connections), 5000):
            session.execute(insert(Connection), connections[start:start + 5000])
    return int(event.id)


def _connections(event_id: int, scans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The connections recording these scans would have made: the follow-ups read each
    side's note from there (what the attendee last wrote), not from the scans."""
    pairs: dict[tuple[int, int], dict[str, Any]] = {}
    for scan in sorted(scans, key=lambda s: s["scanned_at"]):
        a, b = sorted((scan["scanner_id"], scan["scanned_id"]))
        side = "a" if scan["scanner_id"] == a else "b"
        pair = pairs.setdefault((a, b), {
            "event_id": event_id, "a_id": a, "b_id": b, "first_met_at": scan["scanned_at"],
            "last_met_at": scan["scanned_at"], "scan_count": 0, "a_scan_count": 0,
            "b_scan_count": 0, "is_mutual": False, "a_note": "", "b_note": "",
            "a_tags": [], "b_tags": []})
        pair["last_met_at"] = scan["scanned_at"]
        pair["scan_count"] += 1
        pair[f"{side}_scan_count"] += 1
        pair["is_mutual"] = pair["a_scan_count"] > 0 and pair["b_scan_count"] > 0
        if scan["note"] and scan["note"] not in pair[f"{side}_note"]:
            pair[f"{side}_note"] = f"{pair[f'{side}_note']}\n{scan['note']}".strip()
    return list(pairs.values())


def _cpu(pid: int) -> float:
    """CPU seconds used so far by a process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker(tmp: str, port: int) -> subprocess.Popen[bytes]:
    """`eventnet outbox work --loop`, the delivery service of the embedded setup."""
    env = dict(os.environ)
    env.update({
        "EVENTNET_DATABASE_URL": f"sqlite:///{tmp}/eventnet.sqlite3",
        "EVENTNET_SECRET_KEY": "benchmark", "EVENTNET_BASE_URL": "https://events.example",
        "EVENTNET_INSTANCE_PATH": tmp, "EVENTNET_MAIL_BACKEND": "smtp",
        "EVENTNET_SMTP_HOST": "127.0.0.1", "EVENTNET_SMTP_PORT": str(port),
        "PYTHONPATH": str(ROOT),  # this tree's eventnet, like this process
    })
    env.pop("EVENTNET_BROKER_URL", None)
    command = [str(Path(sys.executable).with_name("eventnet")), "outbox", "work", "--loop"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


def main() -> None:
    """Measure both rates in one run and print them with their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attendees", type=int, default=5000)
    parser.add_argument("--scans-per", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sequential", action="store_true",
                        help="no `outbox work` service: `followups send` delivers from a "
                             "process of its own")
    args = parser.parse_args()

    port = _free_port()
    count, ready, stop = mp.Value("i", 0), mp.Event(), mp.Event()
    server = mp.Process(target=_serve, args=(port, count, ready, stop), daemon=True)
    server.start()
    ready.wait(30)
    worker = None
    with tempfile.TemporaryDirectory(prefix="eventnet-bench-mail-") as tmp:
        os.environ["EVENTNET_INSTANCE_PATH"] = tmp
        from eventnet import create_app

        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/eventnet.sqlite3",
            "SECRET_KEY": "benchmark", "MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port, "EVENTNET_BASE_URL": "https://events.example",
        })
        with app.app_context():
            from flask_migrate import upgrade
            from sqlalchemy import func, select

            from eventnet.extensions import db
            from eventnet.mail.worker import load_message
            from eventnet.models import OutboundEmail

            upgrade()
            t0 = time.perf_counter()
            _populate(app, args.attendees, args.scans_per, args.seed)
            setup = time.perf_counter() - t0
            db.session.remove()
            if not args.sequential:
                worker = _worker(tmp, port)  # a running service, started before timing
                time.sleep(3)
            print(f"setup done in {setup:.1f}s", file=sys.stderr, flush=True)

            def sent() -> int:
                db.session.remove()
                return int(db.session.scalar(select(func.count(OutboundEmail.id))
                                             .where(OutboundEmail.status == "sent")) or 0)

            # The organizer's command, in this process, with the default settings: the
            # matching engine, rendering, outbox rows and proposed introductions, then
            # delivery of what the worker has not taken yet (all of it without a worker).
            t0, cpu0 = time.perf_counter(), time.process_time()
            worker_cpu0 = _cpu(worker.pid) if worker else 0.0
            result = app.test_cli_runner().invoke(args=["followups", "send", "bench"])
            t_queue, cpu_queue = time.perf_counter() - t0, time.process_time() - cpu0
            assert result.exit_code == 0, result.output
            total = int(re.search(r"(\d+) follow-ups? queued", result.output).group(1))
            while sent() < total and worker is not None and worker.poll() is None:
                time.sleep(0.02)  # the worker's last batch
            t_total = time.perf_counter() - t0
            print(f"CPU seconds: `followups send` {cpu_queue:.1f}, `outbox work` "
                  f"{(_cpu(worker.pid) - worker_cpu0) if worker else 0.0:.1f}, "
                  f"load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
            assert sent() == total == count.value, (sent(), total, count.value)
            if worker is not None:
                worker.terminate()
                worker.wait(30)

            sample = db.session.scalar(select(OutboundEmail.id).limit(1))
            assert sample is not None
            raw = load_message(sample).data  # the bytes eventnet sent for that follow-up
            sender, to = "bench@events.example", "p0@example.org"
            t0 = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as conn:
                for _ in range(total):
                    conn.sendmail(sender, [to], raw)
            t_loop = time.perf_counter() - t0
    stop.set()
    server.join(10)

    rate = total / t_total
    loop_rate = total / t_loop
    print(f"attendees {args.attendees}, follow-ups {total} "
          f"(~{len(raw) // 1024} KiB each), setup {setup:.1f}s (not timed)")
    if args.sequential:
        print(f"eventnet (`followups send`, no worker): {t_total:.1f}s, "
              f"{rate:.0f} messages/s")
    else:
        print(f"eventnet (`followups send` beside `outbox work --loop`): the command took "
              f"{t_queue:.1f}s, all delivered after {t_total:.1f}s: {rate:.0f} messages/s")
    print(f"bare smtplib loop: {t_loop:.1f}s, {loop_rate:.0f} messages/s")
    print(f"ratio eventnet / loop: {rate / loop_rate:.2f} (target >= 0.5); "
          f"server received {count.value} messages in all")


if __name__ == "__main__":
    main()
