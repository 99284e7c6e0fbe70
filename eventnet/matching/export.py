"""A JSON-able export of an event's follow-ups, reasons rendered as sentences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from eventnet.matching.model import FollowUp, Match, Person
from eventnet.matching.reasons import Gettext, Ngettext, describe_all, english_plural, untranslated


def _when(at: datetime) -> str:
    return at.isoformat()


def _matches(items: list[Match]) -> list[dict[str, str]]:
    return [{"mine": m.mine, "theirs": m.theirs} for m in items]


def export_json(
    event: Mapping[str, Any],
    followups: Mapping[int, FollowUp],
    people: Sequence[Person],
    _: Gettext = untranslated,
    ngettext: Ngettext = english_plural,
    language: str = "en",
) -> dict[str, Any]:
    """The follow-ups of an event as plain dicts and lists, ready for json.dump.

    Reasons are sentences in `language`, translated by `_` and `ngettext` (see
    reasons.describe).
    """
    by_id = {p.id: p for p in people}
    rows = []
    for p in sorted(people, key=lambda p: p.id):
        f = followups.get(p.id)
        if f is None:
            continue
        rows.append({
            "id": p.id,
            "email": p.email,
            "name": p.name,
            "met": [{
                "id": m.attendee_id,
                "email": by_id[m.attendee_id].email,
                "name": by_id[m.attendee_id].name,
                "score": m.score,
                "reasons": describe_all(m.reasons, _, ngettext, language),
                "first_met_at": _when(m.first_met_at),
                "last_met_at": _when(m.last_met_at),
                "scan_count": m.scan_count,
                "is_mutual": m.is_mutual,
                "my_notes": list(m.my_notes),
                "tags": list(m.tags),
                "you_can_help": _matches(m.you_can_help),
                "they_can_help": _matches(m.they_can_help),
            } for m in f.met],
            "introductions": [{
                "id": s.attendee_id,
                "email": by_id[s.attendee_id].email,
                "name": by_id[s.attendee_id].name,
                "score": s.score,
                "reasons": describe_all(s.reasons, _, ngettext, language),
            } for s in f.introductions],
            "reconnect": [{
                "person_id": r.person_id,
                "attendee_id": r.attendee_id,
                "name": r.name,
                "company": r.company,
                "email": r.email,
                "event_name": r.event_name,
                "met_at": _when(r.met_at),
                "times_met": r.times_met,
                "notes": list(r.notes),
            } for r in f.reconnect],
        })
    return {"event": dict(event), "attendees": rows}
