"""The encounter graph of one event: scans folded into pairs, then weighted adjacency lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from eventnet.matching.model import Encounter, Match
from eventnet.matching.order import GOLDEN, MASK, TieBreak


@dataclass(slots=True)
class Side:
    """What one attendee of a pair did: their scans of the other, notes and tags."""

    scans: int = 0
    notes: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Pair:
    """All scans between two attendees (low id first), in both directions."""

    low: int
    high: int
    first_at: datetime
    last_at: datetime
    sides: dict[int, Side] = field(default_factory=dict)
    scan_count: int = 0  # scans in both directions
    # Profile matches, computed once for both sides: (low helps high, high helps low, shared
    # interests from low's side); dropped once the high side has used them.
    matches: tuple[list[Match], list[Match], list[Match]] | None = None

    @property
    def is_mutual(self) -> bool:
        """Both attendees scanned each other."""
        return len(self.sides) == 2

    def side(self, attendee_id: int) -> Side:
        """What `attendee_id` did in this pair (empty when they never scanned the other)."""
        return self.sides.get(attendee_id) or Side()

    def strength(self) -> float:
        """Tie strength used by the walk: repeated and annotated encounters count more.

        Mutuality is left out on purpose: whether the second person also scanned is mostly
        about scanning habits, and a one-way scan is as good a bridge for an introduction.
        """
        extra = max(0, self.scan_count - len(self.sides))
        annotated = any(s.notes or s.tags for s in self.sides.values())
        return 1.0 + 0.25 * min(extra, 4) + 0.5 * annotated


def fold(encounters: Iterable[Encounter], known: set[int]) -> dict[tuple[int, int], Pair]:
    """Fold scans into pairs; self-scans and unknown attendees are ignored."""
    pairs: dict[tuple[int, int], Pair] = {}
    for e in encounters:
        a, b = e.scanner_id, e.scanned_id
        if a == b or a not in known or b not in known:
            continue
        key = (a, b) if a < b else (b, a)
        pair = pairs.get(key)
        if pair is None:
            pair = pairs[key] = Pair(key[0], key[1], e.at, e.at)
        else:
            pair.first_at = min(pair.first_at, e.at)
            pair.last_at = max(pair.last_at, e.at)
        side = pair.sides.get(a)
        if side is None:
            side = pair.sides[a] = Side()
        side.scans += 1
        pair.scan_count += 1
        if e.note.strip():
            side.notes.append(e.note.strip())
        side.tags.extend(t.strip() for t in e.tags if t.strip())
    return pairs


@dataclass
class Graph:
    """Adjacency lists, strongest tie first, with the times each pair first and last met.

    Equally strong ties are ordered by the more recent encounter, then by the event's
    `TieBreak` (never by id: only the first ties of a busy person are followed, and ids grow
    with registration order).
    """

    # id -> [(other, strength, first_ts, last_ts)]
    neighbours: dict[int, list[tuple[int, float, float, float]]]
    total: dict[int, float]  # sum of strengths per attendee
    last_seen: dict[int, float]  # timestamp of each attendee's last encounter
    start: float
    end: float


def build_graph(pairs: dict[tuple[int, int], Pair], tiebreak: TieBreak) -> Graph:
    """Weighted, time-stamped adjacency of the event."""
    neighbours: dict[int, list[tuple[int, float, float, float]]] = {}
    last_seen: dict[int, float] = {}
    start, end = float("inf"), float("-inf")
    for (a, b) in sorted(pairs):
        pair = pairs[(a, b)]
        weight = pair.strength()
        first = pair.first_at.timestamp()
        last = pair.last_at.timestamp()
        start, end = min(start, first), max(end, last)
        neighbours.setdefault(a, []).append((b, weight, first, last))
        neighbours.setdefault(b, []).append((a, weight, first, last))
        for x in (a, b):
            if last > last_seen.get(x, float("-inf")):
                last_seen[x] = last
    total = {}
    rank = tiebreak.rank
    for node, adj in neighbours.items():
        mine = rank[node]
        adj.sort(key=lambda item: (-item[1], -item[3], ((rank[item[0]] ^ mine) * GOLDEN) & MASK))
        total[node] = sum(item[1] for item in adj)
    if not pairs:
        start = end = 0.0
    return Graph(neighbours, total, last_seen, start, end)
