"""Fit the matching engine's fitted constants, validated leave-one-workload-out.

The engine has two kinds of constants (docs/matching.md, "Where the constants come from"):
product rules, written down and never fitted, and a few fitted ones. This script is where the
fitted ones come from. For each contact log in ../shared/datasets it builds workloads with the
shared, unchanged ../shared/tools/contacts_to_scans.py — the default one (3 minutes, seed 7) and
variants (`--min-minutes` 2 to 5, seeds 7 and 1: other day-1 graphs, other scan directions and
times) — and scores every engine in a small grid with the same precision@k as
../shared/tools/eval_introductions.py, as a ratio to that workload's best capped baseline
(computed by the evaluator itself).

One log's figures move by about ±5% when a single attendee's list changes, so an engine is
judged by the geometric mean of its ratios over all the workloads of a log, not by the default
workload alone. Leave-one-workload-out: for each log, the grid point with the best geometric
mean on the other three logs is chosen and reported on the held-out log (its default workload
and all its variants), next to the in-sample figure (the same grid point judged on all four
logs) and the best any grid point reaches on the held-out log (what fitting to it would give).
Ship a grid point only if it is chosen in every fold, or if its held-out figures are as good.

    .venv/bin/python benchmarks/fit_matching.py [--quick] [--k 5]

Takes about two minutes on one core (--quick: the default workloads only, seconds).
The shared data is read in place, never copied into the repository.
"""

from __future__ import annotations

import argparse
import collections
import csv
import itertools
import json
import math
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench_matching_quality import load_workload

import eventnet.matching.suggest as suggest
from eventnet.matching import Settings, build_followups

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATASETS = SHARED / "datasets"
# log -> (contact file, metadata file or None), as bench_matching_pipeline.py reads them
LOGS = {
    "SFHH": ("sociopatterns/tij_SFHH.dat", None),
    "HT09": ("sociopatterns/tij_HT09.dat", None),
    "WS16": ("gesis/tij_WS16.dat", "gesis/metadata_WS16.dat"),
    "InVS15": ("sociopatterns/tij_InVS15.dat", "sociopatterns/metadata_InVS15.dat"),
}
DEFAULT = (3, 7)  # the converter's defaults: --min-minutes 3 --seed 7
VARIANTS = [(m, s) for m in (2, 3, 4, 5) for s in (7, 1)]
# The fitted constants and the values tried; the shipped values are in eventnet/matching/suggest.py.
GRID = {
    "NEIGHBOUR_CAP": (25, 50, 100, 200),
    "RESTART": (0.15, 0.3, 0.5),
    "ENGAGEMENT": (0.5, 1.0, 1.5),
}


class Workload:
    """One converted log: the engine's input, the later first meetings, the baseline to beat."""

    def __init__(self, log: str, directory: Path, k: int) -> None:
        self.log = log
        self.people, self.encounters = load_workload(directory)
        self.k = k
        nbrs: dict[str, set[str]] = collections.defaultdict(set)
        with open(directory / "scans.csv", newline="") as f:
            for r in csv.DictReader(f):
                a, b = r["scanner_email"].lower(), r["scanned_email"].lower()
                nbrs[a].add(b)
                nbrs[b].add(a)
        self.new: dict[str, set[str]] = collections.defaultdict(set)
        with open(directory / "truth.csv", newline="") as f:
            for r in csv.DictReader(f):
                self.new[r["email_a"].lower()].add(r["email_b"].lower())
                self.new[r["email_b"].lower()].add(r["email_a"].lower())
        # Evaluated as eval_introductions.py does: present on day 1, met someone new later.
        self.users = sorted(u for u in nbrs if self.new[u])
        result = subprocess.run(
            [sys.executable, str(SHARED / "tools" / "eval_introductions.py"), str(directory),
             "--k", str(k)], check=True, capture_output=True, text=True)
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        self.baseline = float(summary["best_capped_baseline_precision"])

    def ratio(self) -> float:
        """The engine's precision@k over the best capped baseline's, with the current constants."""
        followups = build_followups(self.log, self.people, self.encounters, settings=Settings())
        email = {p.id: p.email for p in self.people}
        lists = {email[pid]: {email[s.attendee_id] for s in f.introductions[: self.k]}
                 for pid, f in followups.items()}
        hits = sum(len(lists.get(u, set()) & self.new[u]) for u in self.users)
        return hits / self.k / len(self.users) / self.baseline


def convert(log: str, minutes: int, seed: int, out: Path) -> Path:
    """Run the shared converter, unchanged, for one log and one variant."""
    contacts, metadata = LOGS[log]
    meta = ["--metadata", str(DATASETS / metadata)] if metadata else []
    target = out / f"{log}_m{minutes}_s{seed}"
    subprocess.run([sys.executable, str(SHARED / "tools" / "contacts_to_scans.py"),
                    str(DATASETS / contacts), "--out", str(target), "--min-minutes", str(minutes),
                    "--seed", str(seed), *meta], check=True, capture_output=True)
    return target


@contextmanager
def constants(values: dict[str, float]) -> Iterator[None]:
    """Set the engine's module constants for the duration of the block."""
    old = {name: getattr(suggest, name) for name in values}
    for name, value in values.items():
        setattr(suggest, name, value)
    try:
        yield
    finally:
        for name, value in old.items():
            setattr(suggest, name, value)


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(max(v, 1e-9)) for v in values) / len(values))


def main() -> None:
    """Score the grid on every workload, then report the leave-one-workload-out fit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="the default workloads only")
    args = parser.parse_args()
    variants = [DEFAULT] if args.quick else VARIANTS
    with tempfile.TemporaryDirectory(prefix="eventnet-fit-") as tmp:
        workloads = {(log, m, s): Workload(log, convert(log, m, s, Path(tmp)), args.k)
                     for log in LOGS for m, s in variants}
    points = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    scores: list[dict[tuple[str, int, int], float]] = []
    for point in points:
        with constants(point):
            scores.append({key: w.ratio() for key, w in workloads.items()})

    def per_log(i: int, logs: list[str]) -> float:
        return geometric_mean([r for (log, _, _), r in scores[i].items() if log in logs])

    shipped = {name: getattr(suggest, name) for name in GRID}
    print(f"grid: {json.dumps(GRID)}; {len(workloads)} workloads; shipped: {json.dumps(shipped)}")
    print("| held-out log | chosen on the other three | their figure | held-out, default "
          "workload | held-out, all variants | in-sample (all four) | best on the log itself |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    folds = {}
    for held in LOGS:
        train = [log for log in LOGS if log != held]
        best = max(range(len(points)), key=lambda i: per_log(i, train))
        default = scores[best][(held, *DEFAULT)]
        folds[held] = {"chosen": points[best], "train": round(per_log(best, train), 3),
                       "held_out_default": round(default, 3),
                       "held_out_all": round(per_log(best, [held]), 3),
                       "in_sample": round(per_log(best, list(LOGS)), 3),
                       "best_on_itself": round(max(per_log(i, [held])
                                                   for i in range(len(points))), 3)}
        f = folds[held]
        print(f"| {held} | {json.dumps(points[best])} | {f['train']} | {f['held_out_default']} "
              f"| {f['held_out_all']} | {f['in_sample']} | {f['best_on_itself']} |")
    mine = points.index(shipped) if shipped in points else None
    if mine is not None:
        row = {log: round(per_log(mine, [log]), 3) for log in LOGS}
        print(f"shipped constants, all variants per log: {json.dumps(row)}")
    print(json.dumps({"folds": folds, "workloads": len(workloads)}))


if __name__ == "__main__":
    main()
