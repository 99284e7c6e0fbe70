"""Tie-breaks that favour nobody: a stable per-event hash instead of attendee-id order.

Attendee ids grow with registration order, so breaking ties by the lower id would give early
registrants the first places wherever a list is cut (ties followed in the walk, candidates
kept, allocation turns). The hash is deterministic for the same event and input, independent
of `PYTHONHASHSEED`, and different for every attendee and every event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

MASK = (1 << 64) - 1
# Odd 64-bit multiplier (the golden ratio): spreads the low bits of a pair's xor upwards.
GOLDEN = 0x9E3779B97F4A7C15


def mix(x: int) -> int:
    """A 64-bit bijection that scrambles every bit of `x` (the splitmix64 finaliser)."""
    x &= MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def event_seed(event_name: str) -> int:
    """A 64-bit seed from the event's name (not Python's `hash`, which varies per process)."""
    digest = hashlib.blake2b(event_name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class TieBreak:
    """A per-event shuffle of attendees, and of the other attendees as each one sees them.

    `rank[u]` orders attendees (lower first); `pair(u, v)` orders the others from `u`'s side.
    Hot loops inline `pair` as `((rank[u] ^ rank[v]) * GOLDEN) & MASK`.
    """

    __slots__ = ("rank",)

    def __init__(self, ids: Iterable[int], seed: int) -> None:
        self.rank: dict[int, int] = {i: mix(i ^ seed) for i in ids}

    def pair(self, u: int, v: int) -> int:
        """Where `v` comes among the others tied for `u` (lower first); symmetric."""
        return ((self.rank[u] ^ self.rank[v]) * GOLDEN) & MASK
