"""Instructions per badge scan through the scan endpoint, counted by valgrind's callgrind.

Timings on a shared machine move by 20 % from one run to the next; instruction counts do not
(the same code, data and inputs give the same count whatever else runs). This counts what one
scan costs in-process, on SQLite, from the WSGI call to the answer (``ScanEndpoint``, rate
limits on, in-memory storage): it runs eventnet's WSGI app under callgrind twice, with
``--small`` and ``--large`` scans after the same warm-up, and divides the difference by the
extra scans, so start-up and warm-up cancel out. One scan at a time: each its own group commit.

    .venv/bin/python benchmarks/count_scan_instructions.py             # rate limits on
    .venv/bin/python benchmarks/count_scan_instructions.py --no-limits

Needs ``valgrind`` (Debian package). Takes about two minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import bench_scans  # beside this script
from profile_scans import scan_environ

ATTENDEES = 200
WARMUP = 200


def scan(database: Path, scans: int, limits: bool) -> None:
    """The measured program: ``WARMUP`` + ``scans`` scans between random attendees."""
    from eventnet import create_app

    copy = database.with_suffix(".run")
    shutil.copy(database, copy)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{copy}",
                      "SECRET_KEY": bench_scans.SECRET, "RATELIMIT_ENABLED": limits,
                      "RATELIMIT_STORAGE_URI": "memory://"})
    pairs = [line.split() for line in database.with_suffix(".pairs").read_text().splitlines()]
    rng = random.Random(3)
    environs = []
    for _ in range(WARMUP + scans):
        i = rng.randrange(len(pairs))
        j = rng.randrange(len(pairs) - 1)
        j += j >= i
        environs.append(scan_environ(pairs[i][0], {"badge": pairs[j][1],
                                               "client_id": uuid.uuid4().hex}))
    statuses: list[str] = []
    for environ in environs:
        b"".join(app.wsgi_app(environ, lambda status, _headers: statuses.append(status)))
    if not all(status.startswith("201") for status in statuses):
        raise SystemExit(f"not every scan was stored: {set(statuses)}")


def count(database: Path, scans: int, limits: bool, workdir: Path) -> int:
    """Instructions callgrind counted for a whole run of ``scan``."""
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={workdir}/cg.%p",
               sys.executable, __file__, "--run", str(database), str(scans)]
    if not limits:
        command.append("--no-limits")
    out = subprocess.run(command, capture_output=True, text=True, check=False,
                         env={**os.environ, "PYTHONHASHSEED": "0"})
    found = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode:
        raise SystemExit(f"the measured run failed: {out.stdout[-1000:]}{out.stderr[-3000:]}")
    if found is None:
        raise SystemExit(f"callgrind said no total: {out.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=600)
    parser.add_argument("--no-limits", action="store_true", help="rate limits off")
    parser.add_argument("--run", nargs=2, metavar=("DATABASE", "SCANS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        scan(Path(args.run[0]), int(args.run[1]), not args.no_limits)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="eventnet-count-") as tmp:
        workdir = Path(tmp)
        database = workdir / "count.sqlite3"
        pairs = bench_scans.populate(f"sqlite:///{database}", ATTENDEES)
        database.with_suffix(".pairs").write_text("".join(f"{t} {b}\n" for t, b in pairs))
        small = count(database, args.small, not args.no_limits, workdir)
        large = count(database, args.large, not args.no_limits, workdir)
    per_scan = (large - small) / (args.large - args.small)
    print(json.dumps({"instructions_per_scan": round(per_scan),
                      "rate_limits": not args.no_limits}))


if __name__ == "__main__":
    main()
