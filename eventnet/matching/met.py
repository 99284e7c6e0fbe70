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


def met_entry(
    me: Person,
    other: Person,
    pair: Pair,
    index: ProfileIndex,
    earlier_events: list[str],
) -> MetEntry:
    """Score one encounter from `me`'s side and say why."""
    mine = pair.side(me.id)
    score = 1.0
    reasons: list[Reason] = []
    if pair.is_mutual:
        score += MUTUAL
        reasons.append(Reason("mutual_scan", {"name": other.name}))
    extra = pair.scan_count - len(pair.sides)
    if extra > 0:
        score += REPEATED * min(extra, 3)
        reasons.append(Reason("repeated", {"name": other.name, "count": str(pair.scan_count)}))
    if earlier_events:
        score += MET_BEFORE * min(len(earlier_events), 3)
        reasons.append(Reason("met_before", {"name": other.name,
                                             "events": _join(earlier_events)}))
    if mine.notes:
        score += NOTE
        reasons.append(Reason("note", {"name": other.name}))
    tags = tuple(dict.fromkeys(mine.tags))
    if tags:
        score += TAG
        reasons.append(Reason("tag", {"name": other.name, "tags": _join(list(tags))}))
    you_can_help: list[Match] = []
    they_can_help: list[Match] = []
    if index.offers[me.id] & index.asks[other.id]:
        you_can_help = help_matches(me, other)
    if index.offers[other.id] & index.asks[me.id]:
        they_can_help = [Match(mine=m.theirs, theirs=m.mine)
                         for m in help_matches(other, me)]
    for m in you_can_help[:2]:
        score += HELP
        reasons.append(Reason("you_can_help", {"name": other.name, "offer": m.mine,
                                               "ask": m.theirs}))
    for m in they_can_help[:2]:
        score += HELP
        reasons.append(Reason("they_can_help", {"name": other.name, "offer": m.theirs,
                                                "ask": m.mine}))
    if index.interests[me.id] & index.interests[other.id]:
        shared = shared_interests(me, other)
        if shared:
            score += SHARED_INTEREST * min(len(shared), 3)
            reasons.append(Reason("shared_interests", {
                "name": other.name, "interests": _join([m.mine for m in shared])}))
    return MetEntry(
        attendee_id=other.id,
        score=round(score, 6),
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
    """The `size` deepest encounters of `me`, deepest first (ties: latest, then lowest id)."""
    entries = []
    for other_id, pair in partners:
        other = people[other_id]
        events: list[str] = []
        if me.person_id is not None and other.person_id is not None:
            events = earlier.get(_key(me.person_id, other.person_id), [])
        entries.append(met_entry(me, other, pair, index, events))
    entries.sort(key=lambda e: (-e.score, -_ts(e.last_met_at), e.attendee_id))
    return entries[: max(0, size)]


def _key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _ts(at: datetime) -> float:
    return at.timestamp()
