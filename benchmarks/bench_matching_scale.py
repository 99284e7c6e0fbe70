"""How the matching engine scales: a synthetic event of N attendees, 20 scans per attendee.

Each size runs in its own subprocess so that peak memory (ru_maxrss) belongs to that size alone.
For comparison, the same process times networkx's adamic_adar_index over the same graph, with
ebunch = every non-adjacent pair at distance 2 (networkx's default, ebunch=None, scores *all*
non-edges and is quadratic; distance-2 pairs are the only ones with a non-zero score).

    .venv/bin/python benchmarks/bench_matching_scale.py [--sizes 1000 2000 5000 10000 20000]
                                                        [--no-networkx]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta

from eventnet.matching import Encounter, Person, Settings, build_followups
from eventnet.matching.concepts import CONCEPTS

SCANS_PER_ATTENDEE = 20  # 20,000 attendees -> 400,000 scans
COMMUNITY_SIZE = 60
TITLES = ("Engineer", "Founder", "CTO", "Designer", "Product manager", "Researcher", "Student",
          "Investor", "Recruiter", "Sales lead", "Marketing manager", "Data scientist",
          "Ingénieure", "Directrice commerciale", "Chef de projet")


def synthetic_event(n: int, seed: int = 1) -> tuple[list[Person], list[Encounter]]:
    """Communities with shared topics, heavy-tailed activity, scans mostly within a community."""
    rng = random.Random(seed)
    vocabulary = [phrase for concept in sorted(CONCEPTS) for phrase in CONCEPTS[concept]]
    vocabulary += [f"topic {i}" for i in range(200)]
    communities = max(1, n // COMMUNITY_SIZE)
    topics = [rng.sample(vocabulary, 12) for _ in range(communities)]
    companies = [f"Company {i}" for i in range(max(1, n // 15))]
    community_of = [rng.randrange(communities) for _ in range(n)]
    activity = [rng.paretovariate(1.8) for _ in range(n)]  # heavy-tailed degrees

    def draw(c: int, k: int) -> tuple[str, ...]:
        own = topics[c]
        return tuple(dict.fromkeys(rng.choice(own) if rng.random() < 0.7 else rng.choice(vocabulary)
                                   for _ in range(k)))

    people = [
        Person(id=i + 1, person_id=None, name=f"Attendee {i + 1}", email=f"a{i + 1}@example.org",
               company=rng.choice(companies), title=rng.choice(TITLES),
               interests=draw(community_of[i], 3), offers=draw(community_of[i], 2),
               asks=draw(community_of[i], 2),
               consents_to_introductions=rng.random() < 0.9)
        for i in range(n)
    ]
    members: list[list[int]] = [[] for _ in range(communities)]
    for i, c in enumerate(community_of):
        members[c].append(i)
    member_weights = [[activity[i] for i in m] for m in members]
    everyone = list(range(n))
    start = datetime(2026, 6, 4, 9, 0)
    session = [start + timedelta(minutes=rng.randrange(0, 9 * 60)) for _ in range(communities)]
    encounters: list[Encounter] = []
    target = SCANS_PER_ATTENDEE * n
    while len(encounters) < target:
        u = rng.choices(everyone, weights=activity)[0] if rng.random() < 0.01 else rng.randrange(n)
        c = community_of[u]
        if rng.random() < 0.8 and len(members[c]) > 1:
            v = rng.choices(members[c], weights=member_weights[c])[0]
        else:
            v = rng.choices(everyone, weights=activity)[0]
        if u == v:
            continue
        at = session[c] + timedelta(minutes=rng.gauss(0, 90))
        encounters.append(Encounter(u + 1, v + 1, at, tags=("follow-up",) if rng.random() < 0.05
                                    else ()))
        if rng.random() < 0.4:
            encounters.append(Encounter(v + 1, u + 1, at + timedelta(seconds=30)))
    return people, encounters[:target]


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(n: int, with_networkx: bool) -> dict[str, float]:
    """Time and peak memory of build_followups (and networkx) for one size, in this process."""
    people, encounters = synthetic_event(n)
    before = _maxrss_mb()
    t0, cpu0 = time.perf_counter(), time.process_time()
    followups = build_followups("Synthetic", people, encounters, settings=Settings())
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    peak = _maxrss_mb()
    consenting = {p.id for p in people if p.consents_to_introductions}
    intros = [len(f.introductions) for f in followups.values()
              if f.met and f.attendee_id in consenting]
    exposure: dict[int, int] = {}
    for f in followups.values():
        for s in f.introductions:
            exposure[s.attendee_id] = exposure.get(s.attendee_id, 0) + 1
    out = {
        "attendees": n, "scans": len(encounters), "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(peak, 1), "rss_before_mb": round(before, 1),
        "full_intro_lists": round(sum(1 for k in intros if k >= 5) / max(1, len(intros)), 3),
        "max_exposure": max(exposure.values(), default=0),
    }
    if with_networkx:
        import networkx as nx

        graph = nx.Graph()
        graph.add_nodes_from(p.id for p in people)
        graph.add_edges_from((e.scanner_id, e.scanned_id) for e in encounters
                             if e.scanner_id != e.scanned_id)

        # Handed over one attendee at a time: the full list of pairs would not fit in memory
        # at 20k attendees, and networkx's default (ebunch=None) would score all non-edges.
        t0, cpu0 = time.perf_counter(), time.process_time()
        pairs = 0
        for u in graph:
            near = graph[u]
            ebunch = sorted({(u, v) for w in near for v in graph[w] if v > u and v not in near})
            pairs += sum(1 for _ in nx.adamic_adar_index(graph, ebunch))
        out["networkx_aa_seconds"] = round(time.perf_counter() - t0, 2)
        out["networkx_aa_cpu_seconds"] = round(time.process_time() - cpu0, 2)
        out["networkx_pairs"] = pairs
        # CPU time, not wall time: the machine is shared and wall time depends on its load.
        out["ratio_networkx_over_eventnet"] = round(out["networkx_aa_cpu_seconds"] / cpu, 2)
    return out


def main() -> None:
    """Run each size in a fresh subprocess and print one JSON line per size, then a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 2000, 5000, 10000, 20000])
    parser.add_argument("--no-networkx", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, not args.no_networkx)))
        return
    rows = []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n)]
        if args.no_networkx:
            cmd.append("--no-networkx")
        result = subprocess.run(cmd, check=True, capture_output=True, text=True)
        row = json.loads(result.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"{'attendees':>9} {'scans':>8} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}"
          f" {'cpu s/1k':>8} {'nx AA cpu s':>11} {'nx/eventnet':>11}")
    for r in rows:
        print(f"{r['attendees']:>9} {r['scans']:>8} {r['seconds']:>7} {r['cpu_seconds']:>7}"
              f" {r['peak_rss_mb']:>8} {1000 * r['cpu_seconds'] / r['attendees']:>8.2f}"
              f" {r.get('networkx_aa_cpu_seconds', '-'):>11}"
              f" {r.get('ratio_networkx_over_eventnet', '-'):>11}")


if __name__ == "__main__":
    main()
