"""Who met whom, for the organizers' network page: the graph, hubs and the people left alone.

The graph is served as plain JSON for the browser to lay out and explore (sigma.js with
graphology, which also finds the groups and the bridges between them, in JavaScript: at 5,000
people that takes a fraction of a second there, seconds in Python). Here, in the database:
degrees, the edges to draw (all of them up to ``MAX_EDGES``, beyond that the strong ties and an
even sample of the others), and the "wallflowers" with someone to introduce them to.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, or_, select

from eventnet.extensions import db
from eventnet.matching.text import features, matches, normalise
from eventnet.models import Attendee, CheckIn, Connection, Event, Scan
from eventnet.services.stats import spelling, top_interests

#: more edges than this are sampled before they are sent to the browser
MAX_EDGES = 10_000
#: colours in the legend; the other interests and companies share one grey
COLOUR_GROUPS = 8
TOP_CONNECTED = 10
WALLFLOWER_LIMIT = 40
#: nobody is suggested to more than this many wallflowers at once
MAX_SUGGESTIONS_PER_PERSON = 2
#: candidates sharing the most interest features who are then compared phrase by phrase
SHORTLIST = 30


@dataclass
class Member:
    """An attendee (not erased) as the network page needs them."""

    id: int
    name: str
    company: str
    title: str
    interests: list[str]
    is_checked_in: bool
    degree: int = 0
    features: frozenset[str] = field(default_factory=frozenset)


def degrees(event_id: int) -> dict[int, int]:
    """How many people each attendee of the event is connected with (attendees with ties only)."""
    here = select(Attendee.id).where(Attendee.event_id == event_id).scalar_subquery()
    result: Counter[int] = Counter()
    # Two GROUP BYs that each read one covering index (a_id, b_id) and (b_id).
    for column in (Connection.a_id, Connection.b_id):
        result.update(dict(db.session.execute(
            select(column, func.count()).where(column.in_(here)).group_by(column)
        ).all()))
    return dict(result)


def members(event_id: int) -> dict[int, Member]:
    """The event's attendees who were not erased, by id, with their check-in."""
    rows = db.session.execute(
        select(Attendee.id, Attendee.name, Attendee.company, Attendee.title, Attendee.interests,
               CheckIn.id.is_not(None))
        .outerjoin(CheckIn, CheckIn.attendee_id == Attendee.id)
        .where(Attendee.event_id == event_id, Attendee.erased_at.is_(None))
    ).all()
    return {
        aid: Member(aid, name, company or "", title or "",
                    [i for i in (interests or []) if isinstance(i, str)],
                    bool(is_checked_in))
        for aid, name, company, title, interests, is_checked_in in rows
    }


def _cached(function: Callable[[str], str]) -> Callable[[str], str]:
    """``function`` memoised for one request: a few hundred phrases recur thousands of times."""
    memo: dict[str, str] = {}

    def call(value: str) -> str:
        if value not in memo:
            memo[value] = function(value)
        return memo[value]

    return call


def _group_labels(values: list[str], limit: int) -> dict[str, str]:
    """The ``limit`` most common values, normalised → most common spelling."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for value in values:
        key = normalise(value)
        if key:
            counts[key] += 1
            spellings.setdefault(key, Counter())[value.strip()] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return {key: spelling(spellings[key]) for key, _count in ranked}


def _edges(event_id: int) -> tuple[list[list[int]], int]:
    """The edges to draw as [a, b, scans, mutual] and the event's total number of connections."""
    strong = or_(Connection.is_mutual, Connection.scan_count > 1)
    total, strong_count = db.session.execute(
        select(func.count(), func.count(case((strong, 1)))).where(Connection.event_id == event_id)
    ).one()
    query = select(Connection.a_id, Connection.b_id, Connection.scan_count,
                   Connection.is_mutual).where(Connection.event_id == event_id)
    if total > MAX_EDGES:
        # Keep the strong ties (mutual or repeated) and an even sample of the others: the
        # picture keeps its shape without sending a hundred thousand edges to the browser.
        step = math.ceil((total - strong_count) / max(1, MAX_EDGES - strong_count))
        query = (query.where(or_(strong, Connection.id % step == 0))
                 .order_by(case((strong, 0), else_=1), Connection.scan_count.desc(),
                           Connection.id)
                 .limit(MAX_EDGES))
    rows = db.session.execute(query).all()
    return [[a, b, count, int(bool(mutual))] for a, b, count, mutual in rows], int(total)


def graph(event: Event) -> dict[str, Any]:
    """Nodes (people with at least one connection), edges and colour groups, JSON-ready."""
    degree = degrees(event.id)
    people = members(event.id)
    edges, total_edges = _edges(event.id)
    edges = [e for e in edges if e[0] in people and e[1] in people]
    connected = [p for p in people.values() if degree.get(p.id)]
    interest_groups = {normalise(t["label"]): t["label"]
                       for t in top_interests(event.id, COLOUR_GROUPS)}
    company_groups = _group_labels([p.company for p in connected], COLOUR_GROUPS)
    norm = _cached(normalise)
    nodes = []
    for person in sorted(connected, key=lambda p: p.id):
        interest = next((interest_groups[norm(i)] for i in person.interests
                         if norm(i) in interest_groups), "")
        nodes.append({
            "id": person.id, "name": person.name, "company": person.company,
            "interests": person.interests[:3],
            "degree": degree[person.id], "checked_in": person.is_checked_in,
            "interest_group": interest, "company_group":
                company_groups.get(norm(person.company), ""),
        })
    return {
        "nodes": nodes,
        "edges": edges,
        "interest_groups": list(interest_groups.values()),
        "company_groups": list(company_groups.values()),
        "total_edges": total_edges,
        "is_sampled": len(edges) < total_edges,
        "unconnected": len(people) - len(connected),
    }


def most_connected(people: dict[int, Member], degree: dict[int, int],
                   limit: int = TOP_CONNECTED) -> list[Member]:
    """The attendees with the most connections, most first."""
    ranked = sorted((aid for aid in degree if aid in people),
                    key=lambda aid: (-degree[aid], people[aid].name, aid))[:limit]
    for aid in ranked:
        people[aid].degree = degree[aid]
    return [people[aid] for aid in ranked]


def wallflower_ids(event_id: int) -> list[int]:
    """Attendees (not erased) who scanned no one and whom nobody scanned: here first, by arrival."""
    return list(db.session.scalars(
        select(Attendee.id)
        .outerjoin(CheckIn, CheckIn.attendee_id == Attendee.id)
        .where(Attendee.event_id == event_id, Attendee.erased_at.is_(None),
               ~select(Scan.id).where(Scan.scanner_id == Attendee.id).exists(),
               ~select(Scan.id).where(Scan.scanned_id == Attendee.id).exists())
        .order_by(CheckIn.checked_in_at.is_(None), CheckIn.checked_in_at, Attendee.name,
                  Attendee.id)
    ))


def _with_features(people: dict[int, Member]) -> dict[str, list[int]]:
    """Fill each member's interest features; returns feature → member ids."""
    index: dict[str, list[int]] = {}
    for person in people.values():
        person.features = frozenset().union(*(features(i) for i in person.interests))
        for feature in person.features:
            index.setdefault(feature, []).append(person.id)
    return index


def suggest_partners(wallflowers: list[Member], people: dict[int, Member]) -> dict[int, Any]:
    """For each wallflower, someone at the event who shares interests, and the shared ones.

    Candidates are the attendees who are checked in when anybody is (they are in the room),
    else everyone; each candidate is suggested to at most ``MAX_SUGGESTIONS_PER_PERSON``
    wallflowers so that no one is sent a queue of people.
    """
    present = any(p.is_checked_in for p in people.values())
    pool = {pid: p for pid, p in people.items() if p.is_checked_in or not present}
    index = _with_features(pool)
    load: Counter[int] = Counter()
    result: dict[int, Any] = {}
    for person in wallflowers:
        mine = frozenset().union(*(features(i) for i in person.interests))
        overlap: Counter[int] = Counter()
        for feature in mine:
            overlap.update(index.get(feature, ()))
        overlap.pop(person.id, None)
        shortlist = sorted(overlap, key=lambda pid: (-overlap[pid], load[pid], pid))
        best = None
        for pid in shortlist[:SHORTLIST]:
            if load[pid] >= MAX_SUGGESTIONS_PER_PERSON:
                continue
            shared = [theirs for _mine, theirs in
                      matches(tuple(person.interests), tuple(pool[pid].interests))]
            if shared and (best is None or (-len(shared), load[pid], pid) < best[0]):
                best = ((-len(shared), load[pid], pid), pid, shared)
        if best is not None:
            load[best[1]] += 1
            result[person.id] = {"person": pool[best[1]], "shared": best[2]}
    return result


def summary(event: Event) -> dict[str, Any]:
    """What the network page lists: the most connected people and the wallflowers."""
    people = members(event.id)
    degree = degrees(event.id)
    lonely = [people[aid] for aid in wallflower_ids(event.id) if aid in people]
    shown = lonely[:WALLFLOWER_LIMIT]
    return {
        "most_connected": most_connected(people, degree),
        "wallflowers": shown,
        "wallflower_total": len(lonely),
        "wallflowers_here": sum(1 for p in lonely if p.is_checked_in),
        "suggestions": suggest_partners(shown, people),
        "connected": sum(1 for aid in degree if aid in people),
        "attendees": len(people),
    }
