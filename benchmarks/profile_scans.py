"""Where a badge scan's CPU goes: the scan API in-process, against the floor, with a breakdown.

Creates a fresh database with 2,000 attendees (as bench_scans.py does), then calls eventnet's
WSGI app and the floor's (benchmarks/floor_app.py) directly, one scan after another in one
thread, and reports the CPU per scan of each (``time.process_time``, the median of five
rounds). A last round of eventnet runs under cProfile and is split into the phases of a scan.
cProfile slows small Python functions more than C code, so the shares are indicative; the CPU
per scan above them is measured without it.

    .venv/bin/python benchmarks/profile_scans.py                  # SQLite
    .venv/bin/python benchmarks/profile_scans.py \\
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_scans  # beside this script
import floor_app

#: phase → the functions whose cumulative time it is (file suffix, function name); a phase
#: lists the names the scan path had before and after issue 15 (only one is ever called)
PHASES: dict[str, list[tuple[str, str]]] = {
    "token lookup (Bearer → attendee)": [("services/scans.py", "scanner_for_token")],
    "rate limits (two, in-process storage)": [("web/limits.py", "_require")],
    "badge lookup": [("services/scans.py", "badge_owner_cached"),
                     ("services/scans.py", "_badge_owner")],
    # on PostgreSQL since issue 15 one statement writes the scan row and the connection's fold
    "the scan row": [("services/scans.py", "stmt_scan"),
                     ("services/scans.py", "stmt_scan_and_update")],
    "the connection fold (upsert, repeat window, update)": [
        ("services/scans.py", "stmt_upsert"), ("services/scans.py", "stmt_upsert_checked"),
        ("services/scans.py", "stmt_previous"), ("services/scans.py", "stmt_update")],
    # PostgreSQL: the pipelined write, minus its statements (see ``breakdown``)
    "BEGIN, commit and the writer lock": [("eventnet/database.py", "raw_write_transaction"),
                                          ("eventnet/database.py", "_raw_transaction"),
                                          ("eventnet/database.py", "_write_pipelined")],
    "serialization (JSON body in, answer out)": [
        ("web/edge.py", "loads"), ("web/api/routes.py", "scan_answer"),
        ("flask/json/provider.py", "dumps")],
}
#: the scan itself: the scan endpoint's (``web/api/scan_endpoint.py``), or the view's when
#: Flask answers (a request the endpoint does not take)
VIEWS = [("web/api/scan_endpoint.py", "_scan"), ("web/api/routes.py", "create_scan")]


def scan_environ(token: str, body: dict[str, Any]) -> dict[str, Any]:
    """The WSGI environ of a badge scan: ``body`` posted with ``token`` (also used by
    count_scan_instructions.py)."""
    data = json.dumps(body).encode()
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/scans", "SCRIPT_NAME": "",
        "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data)),
        "HTTP_HOST": "127.0.0.1:8000", "HTTP_AUTHORIZATION": f"Bearer {token}",
    }


def _round(wsgi: Callable[..., Any], pairs: list[tuple[str, str]], n: int,
           rng: random.Random) -> float:
    """CPU ms per scan over ``n`` scans between random pairs; every one must be a 201."""
    run = uuid.uuid4().hex[:8]
    environs = []
    for k in range(n):
        i = rng.randrange(len(pairs))
        j = rng.randrange(len(pairs) - 1)
        j += j >= i
        environs.append(scan_environ(pairs[i][0], {"badge": pairs[j][1],
                                                   "client_id": f"{run}-{k}"}))
    statuses: list[str] = []

    def start_response(status: str, _headers: Any, _exc: Any = None) -> None:
        statuses.append(status)

    started = time.process_time()
    for environ in environs:
        for _chunk in wsgi(environ, start_response):
            pass
    spent = time.process_time() - started
    if any(not s.startswith("201") for s in statuses):
        raise SystemExit(f"unexpected answers: {sorted(set(statuses))}")
    return 1000 * spent / n


def _name_statements() -> None:
    """Give each compiled statement's ``run`` and ``send`` (PostgreSQL's pipelined writes)
    its own name, so that cProfile tells them apart."""
    from eventnet.services import scans

    for name, statement in scans._sql().items():
        namespace: dict[str, Any] = {}
        source = f"def stmt_{name}(call, cursor, params):\n    return call(cursor, params)\n"
        exec(compile(source, scans.__file__, "exec"), namespace)  # noqa: S102
        statement.run = functools.partial(  # type: ignore[method-assign]
            namespace[f"stmt_{name}"], statement.run)
        statement.send = functools.partial(  # type: ignore[method-assign]
            namespace[f"stmt_{name}"], statement.send)


def breakdown(profile: cProfile.Profile, per_scan_ms: float) -> list[tuple[str, float]]:
    """The phases' shares of a profiled round, in ms of the unprofiled CPU per scan."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    cumulative: dict[tuple[str, str], float] = {}
    for (filename, _line, function), (_cc, _nc, _tt, ct, _callers) in stats.items():
        for phase_functions in PHASES.values():
            for suffix, name in phase_functions:
                if function == name and filename.endswith(suffix):
                    cumulative[(suffix, name)] = cumulative.get((suffix, name), 0.0) + ct
    def function_total(suffix: str, name: str) -> float:
        return sum(ct for (f, _l, fn), (_a, _b, _c, ct, _d) in stats.items()
                   if fn == name and f.endswith(suffix))

    total = function_total("flask/app.py", "__call__")
    view = sum(function_total(suffix, name) for suffix, name in VIEWS)
    rows = []
    for phase, functions in PHASES.items():
        rows.append((phase, sum(cumulative.get(f, 0.0) for f in functions)))
    # PostgreSQL's pipelined write runs the statements inside it: leave them to their phases
    inside = function_total("eventnet/database.py", "_write_pipelined")
    if inside:
        statements = sum(v for phase, v in rows if phase.startswith(("the scan row",
                                                                      "the connection fold")))
        rows = [(phase, v - statements if phase.startswith("BEGIN") else v)
                for phase, v in rows]
    rows.append(("the rest of the view and service (checks, fold arithmetic, answer)",
                 view - sum(v for _, v in rows)))
    rows.append(("around the scan: the WSGI call, the app context, the answer's headers "
                 "(and Flask's request handling when the view answers)", total - view))
    return [(phase, per_scan_ms * value / total) for phase, value in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", help="PostgreSQL server URL (a fresh database is made)")
    parser.add_argument("--scans", type=int, default=2000, help="scans per round")
    args = parser.parse_args()
    backend = "postgresql" if args.pg_url else "sqlite"
    with tempfile.TemporaryDirectory(prefix="eventnet-profile-") as tmp, \
            bench_scans.fresh_database(backend, args.pg_url, Path(tmp)) as url:
        pairs = bench_scans.populate(url, 2000)
        os.environ.update(EVENTNET_DATABASE_URL=url, EVENTNET_SECRET_KEY=bench_scans.SECRET,
                          EVENTNET_INSTANCE_PATH=str(Path(tmp) / "instance"),
                          EVENTNET_MAIL_BACKEND="file")
        floor_app.URL, floor_app.SQLITE = url, url.startswith("sqlite")
        floor_app.prepare(url)
        from eventnet import create_app

        app = create_app()
        rng = random.Random(7)
        with app.app_context():
            _name_statements()
        _round(app, pairs, 300, rng)
        _round(floor_app.app, pairs, 300, rng)
        eventnet_ms, floor_ms = [], []
        for _ in range(5):
            floor_ms.append(_round(floor_app.app, pairs, args.scans, rng))
            eventnet_ms.append(_round(app, pairs, args.scans, rng))
        per_scan = statistics.median(eventnet_ms)
        floor = statistics.median(floor_ms)
        profile = cProfile.Profile()
        profile.enable()
        _round(app, pairs, args.scans, rng)
        profile.disable()
    print(f"{backend}: CPU per scan in-process, eventnet {per_scan:.3f} ms, floor {floor:.3f} ms "
          f"({per_scan / floor:.2f} ×); load average {os.getloadavg()[0]:.1f}")
    for phase, ms in breakdown(profile, per_scan):
        print(f"  {ms:6.3f} ms  {100 * ms / per_scan:4.0f} %  {phase}")
    print(json.dumps({"backend": backend, "eventnet_cpu_ms": round(per_scan, 3),
                      "floor_cpu_ms": round(floor, 3), "ratio": round(per_scan / floor, 2)}))


if __name__ == "__main__":
    main()
