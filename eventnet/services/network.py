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
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from eventnet.extensions import db
from eventnet.matching.text import features, matches, normalise
from eventnet.models import Attendee, CheckIn, Connection, Event, Scan
from eventnet.services.stats import interest_key, spelling, top_interests

#: more edges than this are sampled before they are sent to the browser
MAX_EDGES = 10_000
#: colours in the legend; the other interests and companies share one grey
COLOUR_GROUPS = 8
TOP_CONNECTED = 10
WALLFLOWER_LIMIT = 40
#: nobody is suggested to more than this many wallflowers at once
MAX_SUGGESTIONS_PER_PERSON = 2
#: candidates sharing the most interest features who are then compared phrase by phrase
SHORTLIST = 12


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


def degrees(event_id: int) -> dict[int, int]:
    """How many people each attendee of the event is connected with (attendees with ties only)."""
    where: dict[Any, ColumnElement[bool]]
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite reads the covering (a_id, b_id) and (b_id) indexes per attendee: 3x faster
        # than filtering the table on event_id.
        here = select(Attendee.id).where(Attendee.event_id == event_id).scalar_subquery()
        where = {Connection.a_id: Connection.a_id.in_(here),
                 Connection.b_id: Connection.b_id.in_(here)}
    else:  # PostgreSQL hashes one scan of the event's rows faster than 5,000 index probes
        where = {Connection.a_id: Connection.event_id == event_id,
                 Connection.b_id: Connection.event_id == event_id}
    result: Counter[int] = Counter()
    for column, condition in where.items():
        result.update(dict(db.session.execute(
            select(column, func.count()).where(condition).group_by(column)
        ).all()))
    return dict(result)


def members(event_id: int, ids: list[int] | None = None) -> dict[int, Member]:
    """Attendees of the event (not erased) by id, all of them or those in ``ids``."""
    query = (select(Attendee.id, Attendee.name, Attendee.company, Attendee.title,
                    Attendee.interests, CheckIn.id.is_not(None))
             .outerjoin(CheckIn, CheckIn.attendee_id == Attendee.id)
             .where(Attendee.event_id == event_id, Attendee.erased_at.is_(None)))
    if ids is not None:
        query = query.where(Attendee.id.in_(ids))
    return {
        aid: Member(aid, name, company or "", title or "",
                    [i for i in (interests or []) if isinstance(i, str)], bool(is_checked_in))
        for aid, name, company, title, interests, is_checked_in in db.session.execute(query)
    }


def _cached(function: Callable[[str], str]) -> Callable[[str], str]:
    """``function`` memoised for one request: a few hundred phrases recur thousands of times."""
    memo: dict[str, str] = {}

    def call(value: str) -> str:
        if value not in memo:
            memo[value] = function(value)
        return memo[value]

    return call


def _group_labels(values: list[str], limit: int,
                  norm: Callable[[str], str] = normalise) -> dict[str, str]:
    """The ``limit`` most common values, normalised → most common spelling."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for value in values:
        key = norm(value)
        if key:
            counts[key] += 1
            spellings.setdefault(key, Counter())[value.strip()] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return {key: spelling(spellings[key]) for key, _count in ranked}


def _edges(event_id: int) -> tuple[list[tuple[int, int, int, bool]], int]:
    """The edges to draw as (a, b, scans, mutual) and the event's total number of connections."""
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
    return [tuple(row) for row in db.session.execute(query)], int(total)  # type: ignore[misc]


def graph(event: Event) -> dict[str, Any]:
    """People with at least one connection and who met whom, JSON-ready and compact.

    Columns rather than one object per person, and the edges as one flat list of
    ``a, b, scans, mutual`` quadruples: at 5,000 people, per-item objects cost more in
    allocation (and garbage collection) than the queries themselves.
    """
    degree = degrees(event.id)
    rows = [row for row in db.session.execute(
        select(Attendee.id, Attendee.name, Attendee.company, Attendee.interests,
               CheckIn.id.is_not(None))
        .outerjoin(CheckIn, CheckIn.attendee_id == Attendee.id)
        .where(Attendee.event_id == event.id, Attendee.erased_at.is_(None))
        .order_by(Attendee.id)
    ) if row[0] in degree]
    unconnected = db.session.scalar(
        select(func.count()).select_from(Attendee)
        .where(Attendee.event_id == event.id, Attendee.erased_at.is_(None))) or 0
    norm = _cached(normalise)
    group = _cached(interest_key)
    interest_labels = [t["label"] for t in top_interests(event.id, COLOUR_GROUPS)]
    interest_index = {group(label): n for n, label in enumerate(interest_labels)}
    company_labels = list(_group_labels([row[2] or "" for row in rows], COLOUR_GROUPS,
                                        norm).items())
    company_index = {key: n for n, (key, _label) in enumerate(company_labels)}
    nodes: dict[str, list[Any]] = {key: [] for key in (
        "id", "name", "company", "interests", "degree", "checked_in", "interest_group",
        "company_group")}
    for aid, name, company, interests, is_checked_in in rows:
        interests = [i for i in (interests or []) if isinstance(i, str)]
        nodes["id"].append(aid)
        nodes["name"].append(name)
        nodes["company"].append(company or "")
        nodes["interests"].append(", ".join(interests[:3]))
        nodes["degree"].append(degree[aid])
        nodes["checked_in"].append(bool(is_checked_in))
        nodes["interest_group"].append(next(
            (interest_index[group(i)] for i in interests if group(i) in interest_index), -1))
        nodes["company_group"].append(company_index.get(norm(company or ""), -1))
    drawn = set(nodes["id"])
    edges, total_edges = _edges(event.id)
    flat: list[int] = []
    for a, b, count, mutual in edges:
        if a in drawn and b in drawn:
            flat += (a, b, count, int(bool(mutual)))
    return {
        "nodes": nodes,
        "edges": flat,
        "interest_groups": interest_labels,
        "company_groups": [label for _key, label in company_labels],
        "total_edges": total_edges,
        "is_sampled": len(flat) // 4 < total_edges,
        "unconnected": unconnected - len(rows),
    }


def most_connected(degree: dict[int, int], event_id: int,
                   limit: int = TOP_CONNECTED) -> list[Member]:
    """The attendees (not erased) with the most connections, most first."""
    # Erased attendees have no connections left, so a few spare candidates are plenty.
    candidates = sorted(degree, key=lambda aid: (-degree[aid], aid))[:limit * 2]
    people = members(event_id, candidates)
    ranked = sorted(people.values(), key=lambda p: (-degree[p.id], p.name, p.id))[:limit]
    for person in ranked:
        person.degree = degree[person.id]
    return ranked


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


def candidate_pool(event_id: int) -> dict[int, tuple[str, ...]]:
    """Whom wallflowers may be introduced to, with their interests: the attendees checked in
    when anybody is (they are in the room), else everyone (not erased)."""
    here = select(CheckIn.id).where(CheckIn.event_id == event_id).exists()
    is_here = select(CheckIn.id).where(CheckIn.attendee_id == Attendee.id).exists()
    present = bool(db.session.scalar(select(here)))
    query = select(Attendee.id, Attendee.interests).where(
        Attendee.event_id == event_id, Attendee.erased_at.is_(None))
    if present:
        query = query.where(is_here)
    return {aid: tuple(i for i in (interests or []) if isinstance(i, str))
            for aid, interests in db.session.execute(query)}


def suggest_partners(wallflowers: list[Member], pool: dict[int, tuple[str, ...]]
                     ) -> dict[int, tuple[int, list[str]]]:
    """For each wallflower, someone in ``pool`` who shares interests: (their id, the shared ones).

    Nobody is suggested to more than ``MAX_SUGGESTIONS_PER_PERSON`` wallflowers, so that no one
    is sent a queue of people.
    """
    index: dict[str, list[int]] = {}
    for pid, interests in pool.items():
        for feature in frozenset().union(*(features(i) for i in interests)):
            index.setdefault(feature, []).append(pid)
    load: Counter[int] = Counter()
    result: dict[int, tuple[int, list[str]]] = {}
    for person in wallflowers:
        mine = frozenset().union(*(features(i) for i in person.interests))
        overlap: Counter[int] = Counter()
        for feature in mine:
            overlap.update(index.get(feature, ()))
        overlap.pop(person.id, None)
        # most_common (C heap) first: sorting thousands of candidates per person is slow.
        shortlist = sorted((pid for pid, _n in overlap.most_common(3 * SHORTLIST)),
                           key=lambda pid: (-overlap[pid], load[pid], pid))
        best = None
        for pid in shortlist[:SHORTLIST]:
            if load[pid] >= MAX_SUGGESTIONS_PER_PERSON:
                continue
            shared = [theirs for _mine, theirs in matches(tuple(person.interests), pool[pid])]
            if shared and (best is None or (-len(shared), load[pid], pid) < best[0]):
                best = ((-len(shared), load[pid], pid), pid, shared)
        if best is not None:
            load[best[1]] += 1
            result[person.id] = (best[1], best[2])
    return result


def summary(event: Event) -> dict[str, Any]:
    """What the network page lists: the most connected people and the wallflowers."""
    degree = degrees(event.id)
    lonely = wallflower_ids(event.id)
    shown = list(members(event.id, lonely[:WALLFLOWER_LIMIT]).values())
    order = {aid: n for n, aid in enumerate(lonely)}
    shown.sort(key=lambda p: order[p.id])
    tips = suggest_partners(shown, candidate_pool(event.id))
    partners = members(event.id, [pid for pid, _shared in tips.values()])
    attendee_ids = set(db.session.scalars(
        select(Attendee.id).where(Attendee.event_id == event.id, Attendee.erased_at.is_(None))))
    here = set(db.session.scalars(
        select(CheckIn.attendee_id).where(CheckIn.attendee_id.in_(lonely))))
    return {
        "most_connected": most_connected(degree, event.id),
        "wallflowers": shown,
        "wallflower_total": len(lonely),
        "wallflowers_here": len(here),
        "suggestions": {aid: {"person": partners[pid], "shared": shared}
                        for aid, (pid, shared) in tips.items()},
        "connected": sum(1 for aid in degree if aid in attendee_ids),
        "attendees": len(attendee_ids),
    }
