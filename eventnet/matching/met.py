"""The curated list of people an attendee met: depth of the encounter first, context attached."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from eventnet.matching.graph import Pair
from eventnet.matching.model import Match, MetEntry, Person, Reason
from eventnet.matching.profiles import ProfileIndex, help_matches, shared_interests

# Depth of an encounter, in points. Product choices, not fitted to any data set.
MUTUAL = 1.5
REPEATED = 0.5  # per scan beyond one per side, at most 3
MET_BEFORE = 1.0  # per earlier event of the community, at most 3
NOTE = 1.5
TAG = 1.0
SHARED_INTEREST = 0.5  # per shared interest, at most 3
HELP = 0.75  # per offer answering an ask, at most 2 in each direction


def _join(items: list[str]) -> str:
    return ", ".join(items)


def _profile_matches(
    me: int, other: int, pair: Pair, index: ProfileIndex
) -> tuple[list[Match], list[Match], list[Match]]:
    """(you can help, they can help, shared interests) from `me`'s side, as Match(mine, theirs)."""
    cached = pair.matches
    if cached is None:
        low, high = pair.low, pair.high
        cached = (help_matches(index, low, high), help_matches(index, high, low),
                  shared_interests(index, low, high))
        pair.matches = cached if me == low else None
    else:
        pair.matches = None
    low_helps, high_helps, shared = cached
    if me == pair.low:
        return low_helps, [Match(m.theirs, m.mine) for m in high_helps], shared
    return (high_helps, [Match(m.theirs, m.mine) for m in low_helps],
            [Match(m.theirs, m.mine) for m in shared])


def depth(
    me: int,
    pair: Pair,
    earlier_events: list[str],
    found: tuple[list[Match], list[Match], list[Match]],
) -> float:
    """How deep the encounter was, from `me`'s side (see the constants above)."""
    mine = pair.side(me)
    you_can_help, they_can_help, shared = found
    score = 1.0 + MUTUAL * pair.is_mutual
    score += REPEATED * min(max(0, pair.scan_count - len(pair.sides)), 3)
    score += MET_BEFORE * min(len(earlier_events), 3)
    score += NOTE * bool(mine.notes) + TAG * bool(mine.tags)
    score += HELP * (min(len(you_can_help), 2) + min(len(they_can_help), 2))
    score += SHARED_INTEREST * min(len(shared), 3)
    return round(score, 6)


def met_entry(
    me: Person,
    other: Person,
    pair: Pair,
    score: float,
    earlier_events: list[str],
    found: tuple[list[Match], list[Match], list[Match]],
) -> MetEntry:
    """One encounter from `me`'s side, with its reasons and context."""
    mine = pair.side(me.id)
    you_can_help, they_can_help, shared = found
    reasons: list[Reason] = []
    if pair.is_mutual:
        reasons.append(Reason("mutual_scan", {"name": other.name}))
    if pair.scan_count > len(pair.sides):
        reasons.append(Reason("repeated", {"name": other.name, "count": str(pair.scan_count)}))
    if earlier_events:
        reasons.append(Reason("met_before", {"name": other.name,
                                             "events": _join(earlier_events)}))
    if mine.notes:
        reasons.append(Reason("note", {"name": other.name}))
    tags = tuple(dict.fromkeys(mine.tags))
    if tags:
        reasons.append(Reason("tag", {"name": other.name, "tags": _join(list(tags))}))
    for m in you_can_help[:2]:
        reasons.append(Reason("you_can_help", {"name": other.name, "offer": m.mine,
                                               "ask": m.theirs}))
    for m in they_can_help[:2]:
        reasons.append(Reason("they_can_help", {"name": other.name, "offer": m.theirs,
                                                "ask": m.mine}))
    if shared:
        reasons.append(Reason("shared_interests", {
            "name": other.name, "interests": _join([m.mine for m in shared])}))
    return MetEntry(
        attendee_id=other.id,
        score=score,
        reasons=reasons,
        first_met_at=pair.first_at,
        last_met_at=pair.last_at,
        scan_count=pair.scan_count,
        is_mutual=pair.is_mutual,
        my_notes=tuple(mine.notes),
        tags=tags,
        you_can_help=you_can_help,
        they_can_help=they_can_help,
    )


def met_list(
    me: Person,
    partners: list[tuple[int, Pair]],
    people: Mapping[int, Person],
    index: ProfileIndex,
    earlier: Mapping[tuple[int, int], list[str]],
    size: int,
) -> list[MetEntry]:
    """The `size` deepest encounters of `me`, deepest first (ties: latest, then lowest id).

    Partners must be handed over in increasing id order across attendees, so that the profile
    matches of each pair are computed once (see _profile_matches).
    """
    scored = []
    for other_id, pair in partners:
        other = people[other_id]
        events: list[str] = []
        if me.person_id is not None and other.person_id is not None:
            events = earlier.get(_key(me.person_id, other.person_id), [])
        found = _profile_matches(me.id, other_id, pair, index)
        score = depth(me.id, pair, events, found)
        scored.append((-score, -_ts(pair.last_at), other_id, pair, events, found))
    scored.sort(key=lambda item: item[:3])
    return [met_entry(me, people[other_id], pair, -neg, events, found)
            for neg, _, other_id, pair, events, found in scored[: max(0, size)]]

def _key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _ts(at: datetime) -> float:
    return at.timestamp()
