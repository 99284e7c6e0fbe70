"""The live numbers of an event for its organizers: counts, scans over time, interests, history.

Every figure is aggregated in the database (COUNT and GROUP BY over indexed columns) so the
overview stays fast at thousands of attendees and a hundred thousand scans; the few lines of
Python only merge spellings and fill empty time buckets.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, select, true
from sqlalchemy.orm import aliased

from eventnet.extensions import db
from eventnet.matching.text import normalise, topic_key
from eventnet.models import Attendee, CheckIn, Connection, Event, OutboundEmail, Scan, utcnow
from eventnet.models.outbox import CANCELLED, FAILED, QUEUED, SENDING, SENT, UNCONFIRMED

BUCKET = timedelta(minutes=10)
#: a timeline longer than this (offline replays from days ago) keeps its latest buckets
MAX_BUCKETS = 6 * 24 * 3
TOP_INTERESTS = 12
FOLLOWUP_STATES = (QUEUED, SENDING, SENT, FAILED, UNCONFIRMED, CANCELLED)


def _dialect() -> str:
    return str(db.session.get_bind().dialect.name)


def _bucket_counts(event_id: int) -> dict[int, int]:
    """Scans of the event per 10-minute bucket, buckets counted from 1970-01-01 UTC."""
    seconds = int(BUCKET.total_seconds())
    if _dialect() == "sqlite":
        # SQLite keeps UTC datetimes as text, "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's
        # format): the first 15 characters name the 10-minute period. Grouping on them reads
        # the covering index at twice the speed of strftime('%s') on every row.
        period = func.substr(Scan.scanned_at, 1, 15)
        rows = db.session.execute(
            select(period, func.count()).where(Scan.event_id == event_id).group_by(period))
        return {int(datetime.fromisoformat(f"{text}0").replace(tzinfo=UTC).timestamp())
                // seconds: count for text, count in rows}
    # date_part gives a double; extract() gives a numeric, three times slower to divide.
    bucket = cast(func.floor(func.date_part("epoch", Scan.scanned_at) / seconds), Integer)
    return dict(db.session.execute(
        select(bucket, func.count()).where(Scan.event_id == event_id).group_by(bucket)
    ).all())


def scan_timeline(event_id: int) -> list[dict[str, Any]]:
    """Scans per 10 minutes, oldest first, empty buckets included: [{"start", "scans"}]."""
    counts = _bucket_counts(event_id)
    if not counts:
        return []
    last = max(counts)
    first = max(min(counts), last - MAX_BUCKETS + 1)
    seconds = int(BUCKET.total_seconds())
    return [{"start": datetime.fromtimestamp(b * seconds, UTC).isoformat(),
             "scans": counts.get(b, 0)} for b in range(first, last + 1)]


def _interest_values() -> Any:
    """A table-valued function that unnests Attendee.interests (a JSON list) to ``value``."""
    if _dialect() == "sqlite":
        return func.json_each(Attendee.interests).table_valued("value")
    return func.json_array_elements_text(Attendee.interests).table_valued("value")


def spelling(variants: Counter[str]) -> str:
    """The spelling to show for variants of one phrase: the most used; on a tie, accents and
    capitals ("Santé numérique" over "sante numerique")."""
    return max(variants, key=lambda v: (variants[v], v != v.lower() or not v.isascii(), v))


def interest_key(value: str) -> str:
    """The group an interest counts in: the matching engine's concepts and topics, so "climat"
    and "climate" (or "ML" and "machine learning") are one interest; the plain lower-case
    ASCII form for a phrase the engine finds no topic in."""
    key = topic_key(value)
    return "|".join(sorted(key)) if key else normalise(value)


def top_interests(event_id: int, limit: int = TOP_INTERESTS) -> list[dict[str, Any]]:
    """The interests most attendees share: [{"label", "count"}], spellings and words of the
    same concept merged (interest_key), shown in their most used spelling."""
    values = _interest_values()
    rows = db.session.execute(
        select(values.c.value, func.count())
        .select_from(Attendee).join(values, true())
        .where(Attendee.event_id == event_id, Attendee.erased_at.is_(None))
        .group_by(values.c.value)
    ).all()
    totals: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for value, count in rows:
        if not isinstance(value, str) or not value.strip():
            continue
        key = interest_key(value)
        totals[key] += count
        spellings.setdefault(key, Counter())[value.strip()] += count
    labels = {key: spelling(variants) for key, variants in spellings.items()}
    ranked = sorted(totals.items(), key=lambda item: (-item[1], normalise(labels[item[0]])))
    return [{"label": labels[key], "count": count} for key, count in ranked[:limit]]


def followup_status(event_id: int) -> dict[str, int]:
    """Follow-up emails of the event by delivery state, with their total."""
    rows = db.session.execute(
        select(OutboundEmail.status, func.count())
        .where(OutboundEmail.event_id == event_id, OutboundEmail.kind == "followup")
        .group_by(OutboundEmail.status)
    ).all()
    result = {state: 0 for state in FOLLOWUP_STATES}
    for status, count in rows:
        result[status] = result.get(status, 0) + count
    result["total"] = sum(count for _status, count in rows)
    return result


def earlier_event_ids(event: Event) -> list[int]:
    """Events of the same community that took place before this one."""
    when = func.coalesce(Event.starts_at, Event.created_at)
    reference = event.starts_at or event.created_at
    return list(db.session.scalars(
        select(Event.id).where(Event.community_id == event.community_id,
                               Event.id != event.id, when < reference)
    ))


def returning_count(event: Event, earlier_ids: list[int]) -> int:
    """Attendees (not erased) who registered for an earlier event of the community."""
    if not earlier_ids:
        return 0
    before = aliased(Attendee)
    return db.session.scalar(
        select(func.count()).select_from(Attendee)
        .where(Attendee.event_id == event.id, Attendee.erased_at.is_(None),
               Attendee.person_id.is_not(None),
               select(before.id).where(before.person_id == Attendee.person_id,
                                       before.event_id.in_(earlier_ids)).exists())
    ) or 0


def met_before_counts(event: Event, earlier_ids: list[int]) -> dict[str, int]:
    """Pairs of this event's attendees who met at an earlier event, and how many met again."""
    if not earlier_ids:
        return {"pairs": 0, "met_again": 0}
    past_a, past_b = aliased(Attendee), aliased(Attendee)
    here_a, here_b = aliased(Attendee), aliased(Attendee)
    low = case((here_a.id < here_b.id, here_a.id), else_=here_b.id)
    high = case((here_a.id < here_b.id, here_b.id), else_=here_a.id)
    pairs = (
        select(low.label("low"), high.label("high"))
        .select_from(Connection)
        .join(past_a, past_a.id == Connection.a_id)
        .join(past_b, past_b.id == Connection.b_id)
        .join(here_a, and_(here_a.person_id == past_a.person_id, here_a.event_id == event.id,
                           here_a.erased_at.is_(None)))
        .join(here_b, and_(here_b.person_id == past_b.person_id, here_b.event_id == event.id,
                           here_b.erased_at.is_(None)))
        .where(Connection.event_id.in_(earlier_ids))
        .distinct()
        .subquery()
    )
    # One probe of the (a_id, b_id) unique index per pair, rather than a join that reads
    # every connection of every event.
    met_again = select(Connection.id).where(Connection.a_id == pairs.c.low,
                                            Connection.b_id == pairs.c.high).exists()
    total, again = db.session.execute(
        select(func.count(), func.count(case((met_again, 1)))).select_from(pairs)
    ).one()
    return {"pairs": int(total or 0), "met_again": int(again or 0)}


def overview(event: Event) -> dict[str, Any]:
    """Everything the live overview shows, JSON-ready; each figure is one aggregate query."""
    registrations = db.session.scalar(
        select(func.count()).select_from(Attendee).where(Attendee.event_id == event.id)) or 0
    checked_in = db.session.scalar(
        select(func.count()).select_from(CheckIn).where(CheckIn.event_id == event.id)) or 0
    scans = db.session.scalar(
        select(func.count()).select_from(Scan).where(Scan.event_id == event.id)) or 0
    # One index probe per attendee beats COUNT(DISTINCT) over every scan of the event.
    scanners = db.session.scalar(
        select(func.count()).select_from(Attendee)
        .where(Attendee.event_id == event.id,
               select(Scan.id).where(Scan.scanner_id == Attendee.id).exists())) or 0
    connections, mutual = db.session.execute(
        select(func.count(), func.count(case((Connection.is_mutual, 1))))
        .where(Connection.event_id == event.id)
    ).one()
    earlier_ids = earlier_event_ids(event)
    return {
        "registrations": registrations,
        "capacity": event.capacity,
        "checked_in": checked_in,
        "scanners": scanners,
        "scans": scans + (event.erased_scan_count or 0),
        "connections": int(connections or 0),
        "mutual": int(mutual or 0),
        "timeline": scan_timeline(event.id),
        "bucket_minutes": int(BUCKET.total_seconds() // 60),
        "top_interests": top_interests(event.id),
        "followups": followup_status(event.id),
        "earlier_events": len(earlier_ids),
        "returning": returning_count(event, earlier_ids),
        "met_before": met_before_counts(event, earlier_ids),
        "timezone": event.timezone,
        "generated_at": utcnow().isoformat(),
    }
