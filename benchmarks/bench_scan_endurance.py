"""Does a scan cost more as the event goes on? Consecutive capacity rounds on one database.

``bench_scans.py`` alternates eventnet with the floor, whose own commits checkpoint SQLite's
WAL and let it start over: a cost that grows only while eventnet alone writes for minutes
does not show there. This runs eventnet alone (gunicorn with the repository's settings, as
``bench_scans.py`` does), ``--rounds`` capacity rounds back to back on one database, and
reports each round's scans/s and CPU per scan as a ratio to the first round (the baseline,
measured in the same run), with the size of SQLite's WAL after each round.

This machine's virtual cores sometimes run at about half speed for a while (another tenant):
a fixed loop of Python is timed just before and just after each round, while the server is
idle, and reported against the first round's ("machine"), so that such a round can be told
from one where eventnet itself got slower.

    .venv/bin/python benchmarks/bench_scan_endurance.py                  # SQLite
    .venv/bin/python benchmarks/bench_scan_endurance.py \\
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Set ``EVENTNET_OUTBOX_WORKER=0``. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import bench_scans  # beside this script


def wal_pages(database: Path) -> int | None:
    """The pages in the SQLite WAL now (its index's ``mxFrame``); None without one."""
    shm = Path(f"{database}-shm")
    if not shm.exists():
        return None
    with open(shm, "rb") as index:
        return int.from_bytes(index.read(20)[16:20], sys.byteorder)


def loop_seconds() -> float:
    """The time a fixed loop of Python takes now: the machine's speed at the moment."""
    start = time.perf_counter()
    total = 0
    for n in range(2_000_000):
        total += n
    return time.perf_counter() - start


def endure(backend: str, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    rounds: list[dict[str, Any]] = []
    with bench_scans.fresh_database(backend, args.pg_url, workdir) as db_url:
        pairs = bench_scans.populate(db_url, args.attendees)
        pairs_file = workdir / f"pairs-{backend}.txt"
        pairs_file.write_text("".join(f"{t} {b}\n" for t, b in pairs))
        with bench_scans.gunicorn(None, db_url, workdir, f"{backend}-endurance",
                                  "memory://") as (base, _log, server):
            run = uuid.uuid4().hex[:6]
            bench_scans.capacity(base, pairs_file, f"warm-{run}-", 5, args.connections, server)
            for n in range(args.rounds):
                before = loop_seconds()
                result = bench_scans.capacity(base, pairs_file, f"{run}-{n}-", args.seconds,
                                              args.connections, server)
                # the slower of the two: a slow spell that began or ended during the round
                result["loop_seconds"] = max(before, loop_seconds())
                result["wal_pages"] = (wal_pages(workdir / "bench.sqlite3")
                                       if backend == "sqlite" else None)
                result["capacity_to_first"] = round(
                    result["per_second"] / rounds[0]["per_second"], 2) if rounds else 1.0
                result["cpu_to_first"] = round(
                    result["server_cpu_ms"] / rounds[0]["server_cpu_ms"], 2) if rounds else 1.0
                result["machine_to_first"] = round(
                    rounds[0]["loop_seconds"] / result["loop_seconds"], 2) if rounds else 1.0
                rounds.append(result)
                print(f"[{backend}] round {n + 1}: {result['per_second']:.0f} scans/s "
                      f"({result['capacity_to_first']:.2f} of the first), "
                      f"{result['server_cpu_ms']:.3f} ms CPU a scan "
                      f"({result['cpu_to_first']:.2f}), WAL {result['wal_pages']} pages, "
                      f"machine speed {result['machine_to_first']:.2f} of the first",
                      file=sys.stderr, flush=True)
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", help="also (only) PostgreSQL: a database URL to start from")
    parser.add_argument("--attendees", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    backend = "postgresql" if args.pg_url else "sqlite"
    with tempfile.TemporaryDirectory(prefix="eventnet-endurance-") as tmp:
        rounds = endure(backend, args, Path(tmp))
    print("\n| round | scans/s | ratio to round 1 | CPU ms a scan | ratio to round 1 | "
          "WAL pages after | machine speed, ratio to round 1 |\n|---|---|---|---|---|---|---|")
    for n, r in enumerate(rounds, 1):
        print(f"| {n} | {r['per_second']:.0f} | {r['capacity_to_first']:.2f} | "
              f"{r['server_cpu_ms']:.3f} | {r['cpu_to_first']:.2f} | {r['wal_pages']} | "
              f"{r['machine_to_first']:.2f} |")
    print(json.dumps({"backend": backend, "rounds": [
        {key: r[key] for key in ("per_second", "server_cpu_ms", "capacity_to_first",
                                 "cpu_to_first", "wal_pages", "machine_to_first", "ok")}
        for r in rounds]}))


if __name__ == "__main__":
    main()
