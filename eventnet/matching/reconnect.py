"""People met at earlier events of the same community and not met at this one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from eventnet.matching.model import PastEncounter, Person, ReconnectEntry


def relevant_past(
    past: Sequence[PastEncounter], event_name: str, community: str | None
) -> list[PastEncounter]:
    """Past rows from other events of this community (rows of another community are dropped)."""
    return [
        p for p in past
        if p.event_name != event_name
        and (community is None or p.community is None or p.community == community)
        and p.person_a != p.person_b
    ]


def earlier_events(past: Sequence[PastEncounter]) -> dict[tuple[int, int], list[str]]:
    """Earlier events where each pair of person ids met, oldest first, either side's row."""
    seen: dict[tuple[int, int], dict[str, datetime]] = {}
    for p in past:
        key = (p.person_a, p.person_b) if p.person_a < p.person_b else (p.person_b, p.person_a)
        events = seen.setdefault(key, {})
        if p.event_name not in events or p.met_at < events[p.event_name]:
            events[p.event_name] = p.met_at
    return {k: sorted(v, key=lambda name: (v[name], name)) for k, v in seen.items()}


def reconnect_lists(
    people: Sequence[Person],
    past: Sequence[PastEncounter],
    met_now: Mapping[int, set[int]],
    size: int,
) -> dict[int, list[ReconnectEntry]]:
    """Per attendee, the people from earlier events to reconnect with, most met and latest first."""
    by_person: dict[int, Person] = {p.person_id: p for p in people if p.person_id is not None}
    rows: dict[int, list[PastEncounter]] = {}
    for p in past:
        rows.setdefault(p.person_a, []).append(p)
    out: dict[int, list[ReconnectEntry]] = {}
    for me in people:
        if me.person_id is None or me.person_id not in rows:
            continue
        met_ids = met_now.get(me.id, set())
        grouped: dict[int, list[PastEncounter]] = {}
        for row in rows[me.person_id]:
            other = by_person.get(row.person_b)
            if other is not None and (other.id in met_ids or other.id == me.id):
                continue
            grouped.setdefault(row.person_b, []).append(row)
        entries = []
        for person_id, group in grouped.items():
            group.sort(key=lambda r: (r.met_at, r.event_name))
            latest = group[-1]
            here = by_person.get(person_id)
            notes = tuple(n for r in group for n in r.notes if n.strip())
            entries.append(ReconnectEntry(
                person_id=person_id,
                name=here.name if here else latest.name_b,
                company=here.company if here else latest.company_b,
                event_name=latest.event_name,
                met_at=latest.met_at,
                notes=notes,
                attendee_id=here.id if here else None,
                email=latest.email_b,  # the caller decides whose contact may be shared
                times_met=len({r.event_name for r in group}),
            ))
        entries.sort(key=lambda e: (-e.times_met, -e.met_at.timestamp(), e.person_id))
        if entries:
            out[me.id] = entries[: max(0, size)]
    return out
