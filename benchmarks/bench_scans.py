"""Scan throughput and latency over HTTP, against a trivial Flask endpoint as the baseline.

For each database (SQLite, and PostgreSQL when --pg-url is given) this script:

1. creates a fresh database and an event with 2,000 attendees (eventnet's services);
2. starts eventnet with gunicorn and the repository's gunicorn.conf.py, and with the very
   same settings the trivial endpoint (benchmarks/trivial_app.py) and the floor
   (benchmarks/floor_app.py: the trivial endpoint plus one durable insert per request);
3. capacity: 200 concurrent keep-alive connections in a closed loop (wrk + wrk_scans.lua),
   sustained scans/s for the three servers, and their ratios to the trivial endpoint; the
   floor and eventnet run side by side and are measured alternately, ``--rounds`` times
   each, so that what else runs on a shared machine weighs on both alike, after
   ``--warmup`` seconds of the same load on each, unrecorded (a server's first seconds fill
   its pool, caches and prepared statements);
4. busy event: 300 scans/s offered at a steady rate (open loop, an asyncio client); latency
   is counted from when each request was due, so a stall cannot hide (coordinated omission);
5. checks that exactly as many scans were stored as were acknowledged, none doubled, and
   that the server logged no "database is locked".

    .venv/bin/python benchmarks/bench_scans.py \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Needs `wrk` (Debian package). Prints Markdown tables, and on its last line JSON whose
``ratios_to_floor`` gives, per database, eventnet's CPU per scan and capacity over the floor's
(the median of the alternating rounds, and each round's) and the busy event's p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import floor_app  # beside this script (it is also the floor server's app)
from benchdb import postgres_database

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SECRET = "bench-secret-key-not-for-production"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- data ------------------------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, pg_url: str | None, workdir: Path) -> Any:
    """A new empty database URL, dropped afterwards (PostgreSQL)."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    assert pg_url
    with postgres_database(pg_url, "eventnet_bench") as url:
        yield url


def populate(db_url: str, attendees: int) -> list[tuple[str, str]]:
    """Create the schema, an organizer, an event and its attendees; (access token, badge)."""
    from flask_migrate import upgrade

    from eventnet import create_app
    from eventnet.database import write_transaction
    from eventnet.extensions import db
    from eventnet.services.attendees import access_token, new_attendee
    from eventnet.services.events import EventData, create_event
    from eventnet.services.organizers import create_organizer
    from eventnet.services.profiles import Profile

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": SECRET})
    with app.app_context():
        upgrade()
        organizer = create_organizer("bench@example.org", "benchmark password")
        event = create_event(organizer, "bench", EventData(name="Benchmark conference"))
        pairs = []
        with write_transaction():
            people = [new_attendee(event, Profile(name=f"Attendee {n}",
                                                  email=f"a{n}@example.org",
                                                  company="Acme", interests=["Rust", "Go"]),
                                   source="bench")
                      for n in range(attendees)]
        for person in people:
            pairs.append((access_token(person), person.badge.token))
        db.session.remove()
        db.engine.dispose()
    return pairs


def stored_scans(db_url: str, prefix: str) -> tuple[int, int]:
    """(scans whose client_id starts with ``prefix``, distinct such client ids)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT COUNT(*), COUNT(DISTINCT scanner_id || ':' || client_id) FROM scan "
            "WHERE client_id LIKE :p"), {"p": prefix + "%"}).one()
    engine.dispose()
    return int(row[0]), int(row[1])


# --- servers ---------------------------------------------------------------------------------


@contextmanager
def gunicorn(app_spec: str | None, db_url: str, workdir: Path, label: str,
             ratelimit_storage: str) -> Any:
    """Run gunicorn with the repository's gunicorn.conf.py; yields (base URL, log path)."""
    port = free_port()
    log = workdir / f"gunicorn-{label}.log"
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESSLOG": "",
           "EVENTNET_DATABASE_URL": db_url, "EVENTNET_SECRET_KEY": SECRET,
           "EVENTNET_INSTANCE_PATH": str(workdir / f"instance-{label}"),
           "EVENTNET_MAIL_BACKEND": "file", "PYTHONPATH": str(ROOT),
           "EVENTNET_RATELIMIT_STORAGE_URL": ratelimit_storage}
    cmd = [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")]
    if app_spec:
        cmd.append(app_spec)
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"gunicorn did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.2)
        time.sleep(1.0)  # let every worker finish importing
        yield f"http://127.0.0.1:{port}", log, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- load generators -------------------------------------------------------------------------


def server_cpu_seconds(group: int) -> float:
    """CPU time (user + system) used so far by the processes of session ``group``."""
    ticks = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == group:  # session id: gunicorn's master and its workers
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def capacity(base: str, pairs_file: Path, run: str, seconds: int, connections: int,
             server: int) -> dict[str, Any]:
    """Closed loop with wrk: ``connections`` keep-alive connections as fast as answered.

    Also the server's CPU time per answered request, sampled inside the recorded window:
    unlike requests per second, it hardly depends on what else runs on the machine.
    """
    drain = 3
    window: dict[str, float] = {}

    def sample() -> None:
        time.sleep(1.0)
        window["cpu0"], window["t0"] = server_cpu_seconds(server), time.monotonic()
        time.sleep(max(1.0, seconds - 2.0))
        window["cpu1"], window["t1"] = server_cpu_seconds(server), time.monotonic()

    sampler = threading.Thread(target=sample)
    sampler.start()
    env = {**os.environ, "BENCH_PAIRS": str(pairs_file), "BENCH_RECORD_SECONDS": str(seconds),
           "BENCH_RUN": run}
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds + drain}s", "--timeout", "10s",
         "-s", str(ROOT / "benchmarks" / "wrk_scans.lua"), base],
        env=env, capture_output=True, text=True, check=True)
    sampler.join()
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("BENCH "))
    result = json.loads(line[len("BENCH "):])
    result["per_second"] = result["ok"] / result["seconds"] if result["seconds"] else 0.0
    cores = (window["cpu1"] - window["cpu0"]) / (window["t1"] - window["t0"])
    result["server_cores"] = cores
    result["server_cpu_ms"] = 1000 * cores / result["per_second"] if result["per_second"] else None
    return result


async def _open_loop(host: str, port: int, pairs: list[tuple[str, str]], run: str, rate: float,
                     seconds: float) -> dict[str, Any]:
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    rng = random.Random(7)
    total = int(rate * seconds)

    async def one(n: int, due: float) -> None:
        nonlocal errors
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        i = rng.randrange(len(pairs))
        j = rng.randrange(len(pairs) - 1)
        j += j >= i
        body = json.dumps({"badge": pairs[j][1], "client_id": f"{run}-{n}"}).encode()
        request = (f"POST /api/v1/scans HTTP/1.1\r\nHost: {host}:{port}\r\n"
                   f"Authorization: Bearer {pairs[i][0]}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        conn = idle.pop() if idle else await asyncio.open_connection(host, port)
        reader, writer = conn
        try:
            writer.write(request)
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            length = 0
            while True:
                header = await reader.readline()
                if header in (b"\r\n", b""):
                    break
                name, _, value = header.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            errors += 1
            writer.close()
            return
        latencies.append(time.monotonic() - due)
        statuses[status] = statuses.get(status, 0) + 1
        idle.append(conn)

    start = time.monotonic() + 0.5
    await asyncio.gather(*(one(n, start + n / rate) for n in range(total)))
    for _, writer in idle:
        writer.close()
    latencies.sort()
    ok = statuses.get(201, 0) + statuses.get(200, 0)
    return {
        "offered": total, "ok": ok, "statuses": statuses, "errors": errors,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1] if latencies else None,
        "max_ms": 1000 * latencies[-1] if latencies else None,
        "mean_ms": 1000 * statistics.fmean(latencies) if latencies else None,
    }


def busy_event(base: str, pairs: list[tuple[str, str]], run: str, rate: float,
               seconds: float) -> dict[str, Any]:
    """Open loop: ``rate`` scans/s at a steady pace; latency from each request's due time."""
    host, port = re.match(r"http://([^:]+):(\d+)", base).groups()  # type: ignore[union-attr]
    return asyncio.run(_open_loop(host, int(port), pairs, run, rate, seconds))


# --- main ------------------------------------------------------------------------------------


def _median_capacity(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One server's capacity over alternating rounds: medians, with every round kept."""
    return {
        "per_second": statistics.median(r["per_second"] for r in rounds),
        "server_cpu_ms": statistics.median(r["server_cpu_ms"] for r in rounds),
        "server_cores": statistics.median(r["server_cores"] for r in rounds),
        "ok": sum(r["ok"] for r in rounds),
        "rounds": rounds,
    }


def bench_backend(backend: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    with fresh_database(backend, args.pg_url, workdir) as db_url:
        t0 = time.monotonic()
        pairs = populate(db_url, args.attendees)
        print(f"[{backend}] {len(pairs)} attendees created in {time.monotonic() - t0:.1f} s",
              file=sys.stderr)
        pairs_file = workdir / f"pairs-{backend}.txt"
        pairs_file.write_text("".join(f"{t} {b}\n" for t, b in pairs))
        result: dict[str, Any] = {"backend": backend}
        floor_app.prepare(db_url)
        with gunicorn("benchmarks.trivial_app:app", db_url, workdir, f"{backend}-trivial",
                      args.ratelimit_storage) as (base, _log, server):
            run = f"bench-trivial-{uuid.uuid4().hex[:6]}"
            result["trivial"] = {
                "capacity": capacity(base, pairs_file, run + "-cap", args.seconds,
                                     args.connections, server),
                "busy": busy_event(base, pairs, run + "-busy", args.rate, args.seconds)}
        print(f"[{backend}] trivial: {json.dumps(result['trivial'])}", file=sys.stderr)
        # The floor and eventnet side by side, measured alternately (floor, eventnet, floor,
        # ...): on a shared machine, what else runs weighs on both alike.
        with gunicorn("benchmarks.floor_app:app", db_url, workdir, f"{backend}-floor",
                      args.ratelimit_storage) as (floor_base, _floor_log, floor_server), \
                gunicorn(None, db_url, workdir, f"{backend}-eventnet",
                         args.ratelimit_storage) as (base, log, server):
            run = f"bench-eventnet-{uuid.uuid4().hex[:6]}"
            # Warm both up first (unrecorded): a server's first seconds fill its connection
            # pool, its caches and PostgreSQL's prepared statements, which a busy event's
            # server has long done.
            for warm_base, warm_server, label in ((floor_base, floor_server, "floor"),
                                                  (base, server, "eventnet")):
                capacity(warm_base, pairs_file, f"bench-warmup-{label}-{run}-", args.warmup,
                         args.connections, warm_server)
            floor_rounds, eventnet_rounds = [], []
            for n in range(args.rounds):
                floor_rounds.append(capacity(floor_base, pairs_file, f"bench-floor-{n}-",
                                             args.seconds, args.connections, floor_server))
                eventnet_rounds.append(capacity(base, pairs_file, f"{run}-cap-{n}-",
                                                args.seconds, args.connections, server))
                print(f"[{backend}] round {n + 1}: floor {floor_rounds[-1]['per_second']:.0f}/s "
                      f"{floor_rounds[-1]['server_cpu_ms']:.2f} ms, eventnet "
                      f"{eventnet_rounds[-1]['per_second']:.0f}/s "
                      f"{eventnet_rounds[-1]['server_cpu_ms']:.2f} ms", file=sys.stderr)
            result["floor"] = {"capacity": _median_capacity(floor_rounds)}
            cap = _median_capacity(eventnet_rounds)
            entry: dict[str, Any] = {"capacity": cap}
            entry["busy"] = busy_event(base, pairs, run + "-busy", args.rate, args.seconds)
            time.sleep(0.5)
            cap_stored, cap_distinct = stored_scans(db_url, run + "-cap")
            busy_stored, busy_distinct = stored_scans(db_url, run + "-busy")
            log_text = log.read_text()
            entry["check"] = {
                "capacity_acknowledged": cap["ok"], "capacity_stored": cap_stored,
                "busy_acknowledged": entry["busy"]["ok"], "busy_stored": busy_stored,
                "doubled": (cap_stored - cap_distinct) + (busy_stored - busy_distinct),
                "database_is_locked": log_text.count("database is locked"),
                "tracebacks": log_text.count("Traceback"),
            }
            if "Traceback" in log_text:
                start = log_text.index("Traceback")
                print(f"[{backend}] server error:\n{log_text[start:start + 3000]}",
                      file=sys.stderr)
            result["eventnet"] = entry
        print(f"[{backend}] eventnet: {json.dumps(entry)}", file=sys.stderr)
        return result


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\nRate limits on, storage {args.ratelimit_storage}. "
          f"{args.attendees} attendees; capacity: {args.connections} keep-alive connections, "
          f"closed loop, {args.seconds} s (wrk); busy event: {args.rate:g} scans/s open loop, "
          f"{args.seconds} s.\n")
    print("| database | trivial scans/s | floor scans/s (ratio) | eventnet scans/s | ratio | "
          "app-server CPU ms per request (trivial / floor / eventnet) | p50 ms | p99 ms | "
          "trivial p99 ms | stored = acknowledged | doubled | database is locked |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        t, f, e, c = r["trivial"], r["floor"], r["eventnet"], r["eventnet"]["check"]
        ratio = e["capacity"]["per_second"] / t["capacity"]["per_second"]
        floor = f["capacity"]["per_second"]
        exact = (c["capacity_stored"] == c["capacity_acknowledged"]
                 and c["busy_stored"] == c["busy_acknowledged"])
        print(f"| {r['backend']} | {t['capacity']['per_second']:.0f} | "
              f"{floor:.0f} ({floor / t['capacity']['per_second']:.2f}) | "
              f"{e['capacity']['per_second']:.0f} | {ratio:.2f} | "
              f"{t['capacity']['server_cpu_ms']:.2f} / {f['capacity']['server_cpu_ms']:.2f} / "
              f"{e['capacity']['server_cpu_ms']:.2f} | "
              f"{e['busy']['p50_ms']:.1f} | "
              f"{e['busy']['p99_ms']:.1f} | {t['busy']['p99_ms']:.1f} | "
              f"{'yes' if exact else 'NO'} ({c['capacity_stored'] + c['busy_stored']}) | "
              f"{c['doubled']} | {c['database_is_locked']} |")
    print(f"\nAgainst the floor (same run, {args.rounds} alternating capacity rounds: the median "
          f"ratio, and the range; load average {os.getloadavg()[0]:.1f}):\n")
    print("| database | CPU per scan, eventnet / floor (target ≤ 1.5) | "
          "capacity, eventnet / floor (target ≥ 0.7) | p99 ms at the busy rate |")
    print("|---|---|---|---|")
    ratios = {}
    for r in results:
        pairs_of_rounds = list(zip(r["floor"]["capacity"]["rounds"],
                                   r["eventnet"]["capacity"]["rounds"], strict=True))
        cpu = sorted(e["server_cpu_ms"] / f["server_cpu_ms"] for f, e in pairs_of_rounds)
        cap = sorted(e["per_second"] / f["per_second"] for f, e in pairs_of_rounds)
        ratios[r["backend"]] = {
            "cpu_to_floor": round(statistics.median(cpu), 2),
            "capacity_to_floor": round(statistics.median(cap), 2),
            "busy_p99_ms": round(r["eventnet"]["busy"]["p99_ms"], 1),
            "cpu_to_floor_rounds": [round(x, 2) for x in cpu],
            "capacity_to_floor_rounds": [round(x, 2) for x in cap],
        }
        spread = (f" ({cpu[0]:.2f}–{cpu[-1]:.2f})", f" ({cap[0]:.2f}–{cap[-1]:.2f})") \
            if len(cpu) > 1 else ("", "")
        print(f"| {r['backend']} | {ratios[r['backend']]['cpu_to_floor']:.2f}{spread[0]} | "
              f"{ratios[r['backend']]['capacity_to_floor']:.2f}{spread[1]} | "
              f"{ratios[r['backend']]['busy_p99_ms']:.1f} |")
    print(json.dumps({"ratios_to_floor": ratios, "load_average": os.getloadavg()[0],
                      "runs": results}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", default=os.environ.get("EVENTNET_BENCH_DATABASE_URL"),
                        help="PostgreSQL server URL (a fresh database is created on it)")
    parser.add_argument("--attendees", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--rounds", type=int, default=3,
                        help="capacity rounds of the floor and eventnet, alternately")
    parser.add_argument("--warmup", type=int, default=5,
                        help="seconds of unrecorded load on each server before the rounds")
    parser.add_argument("--ratelimit-storage", default="memory://",
                        help="EVENTNET_RATELIMIT_STORAGE_URL of the server (e.g. redis://...)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    backends = ["sqlite"] + (["postgresql"] if args.pg_url else [])
    if args.only:
        backends = [args.only]
    with tempfile.TemporaryDirectory(prefix="eventnet-bench-") as tmp:
        results = [bench_backend(b, args, Path(tmp)) for b in backends]
    report(results, args)


if __name__ == "__main__":
    main()
