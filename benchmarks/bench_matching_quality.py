"""Quality of suggested introductions on real conference contact logs.

For each SocioPatterns log in ../shared/datasets: turn day 1 into badge scans with the shared
contacts_to_scans.py, run the matching engine on them, export the follow-ups and score the
introductions against who really met for the first time on a later day (eval_introductions.py).

    .venv/bin/python benchmarks/bench_matching_quality.py [--keep DIR] [--seed N]
                                                          [--min-minutes M] [--bootstrap] [LOG ...]

--seed and --min-minutes are passed to contacts_to_scans.py: the seed decides who scanned whom
and when (not who met), --min-minutes how long a pair must have talked to count as met (and so
both the day-1 graph and the truth); varying them checks that a result is not an artefact of
one workload.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import math
import random
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from eventnet.matching import Encounter, Person, Settings, build_followups
from eventnet.matching.export import export_json

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
LOGS = {"SFHH": "tij_SFHH.dat", "HT09": "tij_HT09.dat"}


def _split(cell: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in cell.split(";") if s.strip())


def load_workload(workdir: Path) -> tuple[list[Person], list[Encounter]]:
    """Person and Encounter values from attendees.csv and scans.csv."""
    people: list[Person] = []
    ids: dict[str, int] = {}
    with open(workdir / "attendees.csv", newline="") as f:
        for i, row in enumerate(csv.DictReader(f), start=1):
            email = row["email"].lower()
            ids[email] = i
            people.append(Person(
                id=i, person_id=None, name=row["name"], email=email,
                company=row["company"], title=row["title"],
                interests=_split(row["interests"]), offers=_split(row["offers"]),
                asks=_split(row["asks"]),
            ))
    encounters: list[Encounter] = []
    with open(workdir / "scans.csv", newline="") as f:
        for row in csv.DictReader(f):
            encounters.append(Encounter(
                scanner_id=ids[row["scanner_email"].lower()],
                scanned_id=ids[row["scanned_email"].lower()],
                at=datetime.fromisoformat(row["scanned_at"]),
            ))
    return people, encounters


def run(name: str, log: Path, workdir: Path, seed: int = 7,
        min_minutes: float = 3.0) -> dict[str, object]:
    """Build the workload, run the engine, evaluate; return eval's summary line."""
    tools = SHARED / "tools"
    subprocess.run([sys.executable, str(tools / "contacts_to_scans.py"), str(log),
                    "--out", str(workdir), "--seed", str(seed),
                    "--min-minutes", str(min_minutes)], check=True, capture_output=True)
    people, encounters = load_workload(workdir)
    followups = build_followups(name, people, encounters, settings=Settings())
    export = export_json({"name": name}, followups, people)
    out = workdir / "export.json"
    out.write_text(json.dumps(export, indent=1))
    result = subprocess.run([sys.executable, str(tools / "eval_introductions.py"), str(workdir),
                             str(out)], check=True, capture_output=True, text=True)
    print(result.stdout.rstrip())
    summary: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def bootstrap(workdir: Path, export: Path, baseline: str, rounds: int = 2000,
              k: int = 5) -> tuple[float, float, float]:
    """Ratio of eventnet's precision@k to a baseline's, with a 95% bootstrap interval over users.

    Recomputes the baseline per user exactly as eval_introductions.py does (same candidates,
    same tie-break by email), so that both methods are compared on the same resampled users.
    """
    with open(workdir / "attendees.csv", newline="") as f:
        emails = [r["email"].lower() for r in csv.DictReader(f)]
    nbrs: dict[str, set[str]] = collections.defaultdict(set)
    with open(workdir / "scans.csv", newline="") as f:
        for r in csv.DictReader(f):
            a, b = r["scanner_email"].lower(), r["scanned_email"].lower()
            nbrs[a].add(b)
            nbrs[b].add(a)
    new: dict[str, set[str]] = collections.defaultdict(set)
    with open(workdir / "truth.csv", newline="") as f:
        for r in csv.DictReader(f):
            new[r["email_a"].lower()].add(r["email_b"].lower())
            new[r["email_b"].lower()].add(r["email_a"].lower())
    users = sorted(u for u in list(nbrs) if new[u])

    def score(u: str, v: str) -> float:
        common = nbrs[u] & nbrs[v]
        if baseline == "common-neighbours":
            return float(len(common))
        return sum(1 / math.log(len(nbrs[w])) for w in common if len(nbrs[w]) > 1)

    ours = {r["email"].lower(): [i["email"].lower() for i in r["introductions"]][:k]
            for r in json.loads(export.read_text())["attendees"]}
    hits_ours, hits_base = [], []
    for u in users:
        candidates = [v for v in emails if v != u and v not in nbrs[u]]
        top = sorted(candidates, key=lambda v: (-score(u, v), v))[:k]
        hits_base.append(len(set(top) & new[u]))
        hits_ours.append(len(set(ours.get(u, [])) & new[u]))
    rng = random.Random(1)
    ratios = []
    for _ in range(rounds):
        idx = [rng.randrange(len(users)) for _ in users]
        base = sum(hits_base[i] for i in idx)
        if base:
            ratios.append(sum(hits_ours[i] for i in idx) / base)
    ratios.sort()
    point = sum(hits_ours) / max(1, sum(hits_base))
    return point, ratios[int(0.025 * len(ratios))], ratios[int(0.975 * len(ratios)) - 1]


def main() -> None:
    """Run every log given (default: all) and print a one-line verdict per log."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("logs", nargs="*", default=sorted(LOGS))
    parser.add_argument("--keep", help="write workloads and exports under this directory")
    parser.add_argument("--seed", type=int, default=7,
                        help="contacts_to_scans.py seed (who scanned whom, scan times)")
    parser.add_argument("--min-minutes", type=float, default=3.0,
                        help="contacts_to_scans.py threshold: minutes of contact that make a "
                             "pair 'met' (day-1 scans and later truth alike)")
    parser.add_argument("--bootstrap", action="store_true",
                        help="also print a 95%% bootstrap interval of the ratio to the baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep or tmp)
        for name in args.logs:
            log = SHARED / "datasets" / "sociopatterns" / LOGS[name]
            print(f"== {name}")
            s = run(name, log, base / name, args.seed, args.min_minutes)
            ratio = s.get("ratio_to_best_baseline")
            print(f"{name}: eventnet p@5 {s['eventnet_precision']:.4f} vs {s['best_baseline']} "
                  f"{s['best_baseline_precision']:.4f} -> ratio {ratio:.3f}" if ratio else name)
            if args.bootstrap:
                point, low, high = bootstrap(base / name, base / name / "export.json",
                                             str(s["best_baseline"]))
                print(f"{name}: ratio {point:.3f}, 95% bootstrap interval over attendees "
                      f"[{low:.3f}, {high:.3f}]")


if __name__ == "__main__":
    main()
