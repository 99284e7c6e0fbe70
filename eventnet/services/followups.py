"""Loading an event into the matching engine; previews and the organizer's JSON export.

Loads with bulk column selects (no ORM object per scan) so that an event of 20,000
attendees and 400,000 scans fits in memory and time; the engine itself is pure.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from eventnet.extensions import db
from eventnet.matching import (
    Encounter,
    FollowUp,
    PastEncounter,
    Person,
    Reason,
    Settings,
    Suggestion,
    build_followups,
    build_some_followups,
)
from eventnet.matching.export import export_json
from eventnet.models import Attendee, Connection, Event, Introduction, Scan
from eventnet.services import wording
from eventnet.services.connections import shares_contact_with
from eventnet.services.errors import NotFound
from eventnet.services.organizers import normalize_email

#: suggested introductions per attendee (the issue asks for 3 to 5)
INTRO_COUNT = 5
RECONNECT_SIZE = 5


@dataclass
class EventFollowUps:
    """One run of the engine over an event, with the inputs needed to show its results."""

    event: Event
    people: list[Person]
    followups: dict[int, FollowUp]

    @property
    def by_id(self) -> dict[int, Person]:
        """The people of the event by attendee id."""
        return {p.id: p for p in self.people}


def load_people(event_id: int) -> list[Person]:
    """The event's attendees (not erased) as engine inputs.

    Only people who consented to introductions, did not unsubscribe and have an email can be
    suggested to others: a suggestion leads to an email to them.
    """
    rows = db.session.execute(
        select(Attendee.id, Attendee.person_id, Attendee.name, Attendee.email,
               Attendee.company, Attendee.title, Attendee.interests, Attendee.offers,
               Attendee.asks, Attendee.consent_introductions, Attendee.unsubscribed_at)
        .where(Attendee.event_id == event_id, Attendee.erased_at.is_(None))
        .order_by(Attendee.id)
    )
    return [
        Person(id=r.id, person_id=r.person_id, name=r.name, email=r.email,
               company=r.company or "", title=r.title or "",
               interests=tuple(r.interests or ()), offers=tuple(r.offers or ()),
               asks=tuple(r.asks or ()),
               consents_to_introductions=bool(r.consent_introductions)
               and r.unsubscribed_at is None and bool(r.email))
        for r in rows
    ]


#: what one attendee last wrote about another: (me, other) -> (note, tags)
Written = dict[tuple[int, int], tuple[str, tuple[str, ...]]]


def load_written(event_id: int, attendee_ids: Collection[int] | None = None) -> Written:
    """What each attendee of the event (or of ``attendee_ids`` and the people they met) last
    wrote about each of their connections.

    Read from the connection, not from the scans: the attendee edits their note and tags
    there afterwards (the scanner's note form, ``PATCH /api/v1/me/connections``, their
    page), and the follow-up shows what they see on their page.
    """
    written: Written = {}
    query = select(Connection.a_id, Connection.b_id, Connection.a_note, Connection.b_note,
                   Connection.a_tags, Connection.b_tags).where(Connection.event_id == event_id)
    if attendee_ids is not None:
        query = query.where(or_(Connection.a_id.in_(attendee_ids),
                                Connection.b_id.in_(attendee_ids)))
    for c in db.session.execute(query):
        for me, other, note, tags in ((c.a_id, c.b_id, c.a_note, c.a_tags),
                                      (c.b_id, c.a_id, c.b_note, c.b_tags)):
            if (note or "").strip() or tags:
                written[(me, other)] = ((note or "").strip(), tuple(tags or ()))
    return written


def load_encounters(event_id: int, written: Written | None = None,
                    attendee_ids: Collection[int] | None = None) -> list[Encounter]:
    """The event's counted scans (only those involving ``attendee_ids`` when given); each
    side's note and tags (``written``) ride on its last counted scan of the other."""
    query = select(Scan.scanner_id, Scan.scanned_id, Scan.scanned_at).where(
        Scan.event_id == event_id, Scan.is_counted.is_(True))
    if attendee_ids is not None:
        query = query.where(or_(Scan.scanner_id.in_(attendee_ids),
                                Scan.scanned_id.in_(attendee_ids)))
    rows = db.session.execute(query.order_by(Scan.scanned_at, Scan.id)).all()
    written = load_written(event_id, attendee_ids) if written is None else written
    last_index = {(r.scanner_id, r.scanned_id): i for i, r in enumerate(rows)}
    on_scan = {last_index[pair]: text for pair, text in written.items() if pair in last_index}
    encounters = []
    for i, r in enumerate(rows):
        note, tags = on_scan.get(i, ("", ()))
        encounters.append(Encounter(r.scanner_id, r.scanned_id, r.scanned_at, note, tags))
    return encounters


#: reasons the engine puts before a note's and a tag's (see matching.met.met_entry)
_BEFORE_NOTES = ("mutual_scan", "repeated", "met_before")


def add_notes_without_scans(followups: dict[int, FollowUp], people: list[Person],
                            written: Written, encounters: list[Encounter]) -> None:
    """Show the notes and tags written about someone one never scanned (they scanned you).

    The engine only reads notes from the writer's own scans; such a note still belongs in
    the follow-up, like on the attendee's page.
    """
    scanned = {(e.scanner_id, e.scanned_id) for e in encounters}
    names = {p.id: p.name for p in people}
    for (me, other), (note, tags) in written.items():
        followup = followups.get(me)
        if (me, other) in scanned or followup is None:
            continue
        entry = next((m for m in followup.met if m.attendee_id == other), None)
        if entry is None:
            continue
        entry.my_notes, entry.tags = ((note,) if note else ()), tags
        added = []
        if note:
            added.append(Reason("note", {"name": names.get(other, "")}))
        if tags:
            added.append(Reason("tag", {"name": names.get(other, ""), "tags": ", ".join(tags)}))
        at = next((i for i, r in enumerate(entry.reasons) if r.code not in _BEFORE_NOTES),
                  len(entry.reasons))
        entry.reasons[at:at] = added


def _event_start(event: Event) -> datetime:
    return event.starts_at or event.created_at


def load_past(event: Event, people: list[Person]) -> list[PastEncounter]:
    """Encounters at earlier events of the same community, one row per side, by person id."""
    person_ids = {p.person_id for p in people if p.person_id is not None}
    if not person_ids:
        return []
    start = _event_start(event)
    earlier = db.session.execute(
        select(Event.id, Event.name).where(
            Event.community_id == event.community_id, Event.id != event.id,
            func.coalesce(Event.starts_at, Event.created_at) < start)
    ).all()
    if not earlier:
        return []
    names = {row.id: row.name for row in earlier}
    a, b = aliased(Attendee), aliased(Attendee)
    rows = db.session.execute(
        select(Connection.event_id, Connection.last_met_at, Connection.a_note, Connection.b_note,
               Connection.is_mutual,
               a.person_id.label("pa"), a.name.label("name_a"), a.company.label("company_a"),
               a.email.label("email_a"), a.consent_share_contact.label("share_a"),
               b.person_id.label("pb"), b.name.label("name_b"), b.company.label("company_b"),
               b.email.label("email_b"), b.consent_share_contact.label("share_b"))
        .join(a, a.id == Connection.a_id)
        .join(b, b.id == Connection.b_id)
        .where(Connection.event_id.in_(list(names)), a.erased_at.is_(None),
               b.erased_at.is_(None), a.person_id.is_not(None), b.person_id.is_not(None),
               or_(a.person_id.in_(person_ids), b.person_id.in_(person_ids)))
    )
    past: list[PastEncounter] = []
    for r in rows:
        event_name = names[r.event_id]
        # the one rule (``shares_contact_with``), as it stood at that event
        share_a, share_b = (shares_contact_with(None, {"consent_share_contact": share,
                                                       "erased_at": None}, mutual=r.is_mutual)
                            for share in (r.share_a, r.share_b))
        if r.pa in person_ids:
            past.append(PastEncounter(
                person_a=r.pa, person_b=r.pb, event_name=event_name, met_at=r.last_met_at,
                notes=(r.a_note,) if r.a_note else (), name_b=r.name_b,
                company_b=r.company_b or "", email_b=r.email_b if share_b else None))
        if r.pb in person_ids:
            past.append(PastEncounter(
                person_a=r.pb, person_b=r.pa, event_name=event_name, met_at=r.last_met_at,
                notes=(r.b_note,) if r.b_note else (), name_b=r.name_a,
                company_b=r.company_a or "", email_b=r.email_a if share_a else None))
    return past


def settings_for(event: Event) -> Settings:
    """The engine's knobs for this event."""
    return Settings(list_size=event.followup_list_size or 10, intro_count=INTRO_COUNT,
                    reconnect_size=RECONNECT_SIZE)


def build_for_event(event: Event) -> EventFollowUps:
    """Run the matching engine over the whole event (introductions are allocated event-wide)."""
    people = load_people(event.id)
    written = load_written(event.id)
    encounters = load_encounters(event.id, written)
    past = load_past(event, people)
    followups = build_followups(event.name, people, encounters, past, settings_for(event))
    add_notes_without_scans(followups, people, written, encounters)
    return EventFollowUps(event=event, people=people, followups=followups)


def proposed_introductions(event_id: int, attendee_ids: Collection[int],
                           people: list[Person]) -> dict[int, list[Suggestion]]:
    """The introductions the attendees' follow-ups proposed when they were queued (stored
    as ``Introduction`` rows, in the engine's order), without the people who may no longer
    be suggested (``Person.consents_to_introductions``: consent withdrawn, unsubscribed,
    erased)."""
    eligible = {p.id for p in people if p.consents_to_introductions}
    proposed: dict[int, list[Suggestion]] = {a: [] for a in attendee_ids}
    for row in db.session.execute(
            select(Introduction.requester_id, Introduction.recipient_id, Introduction.score,
                   Introduction.reasons)
            .where(Introduction.event_id == event_id,
                   Introduction.requester_id.in_(list(attendee_ids)))
            .order_by(Introduction.id)):
        if row.recipient_id in eligible:
            proposed[row.requester_id].append(Suggestion(
                row.recipient_id, row.score,
                [Reason(str(r.get("code")), dict(r.get("params") or {}))
                 for r in row.reasons or []]))
    return proposed


def build_for_attendees(event: Event, attendee_ids: Collection[int]
                        ) -> tuple[list[Person], dict[int, FollowUp]]:
    """The follow-ups of some attendees as they were queued, built again from the event as
    it is now: the people met and to reconnect with as ``build_for_event`` finds them (only
    their scans are read), and the introductions their follow-up proposed
    (``proposed_introductions``), which are allocated event-wide and are not drawn again.
    Returns the event's people and the follow-ups (none for an erased attendee)."""
    ids = sorted(set(attendee_ids))
    people = load_people(event.id)
    written = load_written(event.id, ids)
    encounters = load_encounters(event.id, written, ids)
    wanted = set(ids)
    past = load_past(event, [p for p in people if p.id in wanted])
    followups = build_some_followups(event.name, people, encounters, past,
                                     settings_for(event), ids)
    add_notes_without_scans(followups, people, written, encounters)
    for attendee_id, suggestions in proposed_introductions(event.id, list(followups),
                                                           people).items():
        followups[attendee_id].introductions = suggestions
    return people, followups


def contact_of(viewer: Any, row: Any, *, mutual: bool) -> dict[str, Any] | None:
    """Contact details of someone the viewer met, when they may be shared
    (``connections.shares_contact_with``). ``mutual``: whether the two confirmed each other
    (both scanned, here or at an earlier event, or both said yes to an introduction)."""
    if not shares_contact_with(viewer, row, mutual=mutual):
        return None
    return {"email": row.email, "links": list(row.links or []), "phone": row.phone or ""}


def reconnect_email(viewer: Any, shared_then: str | None, here: Any) -> str | None:
    """The address shown for someone to reconnect with: ``shared_then``, the one they
    shared at the latest earlier meeting (mutual, consented then: ``load_past``); someone
    registered here again (``here``, a row of their columns) must still consent today, and
    their address here is shown."""
    if here is None:
        return shared_then
    return here.email if shared_then is not None and contact_of(viewer, here, mutual=True) \
        else None


def _contact_columns(event_id: int) -> dict[int, Any]:
    return {r.id: r for r in db.session.execute(
        select(Attendee.id, Attendee.email, Attendee.links, Attendee.phone,
               Attendee.consent_share_contact, Attendee.erased_at)
        .where(Attendee.event_id == event_id))}


def _share_only_consented(record: dict[str, Any], rows: dict[int, Any]) -> dict[str, Any]:
    """Keep in an attendee's record of the export only the contact details their follow-up
    email may carry: a met person's address under ``contact_of`` (else null), a suggested
    person's never (the introduction passes it once both said yes), a person to reconnect
    with's under ``reconnect_email``."""
    for met in record["met"]:
        shared = contact_of(None, rows.get(met["id"]), mutual=met["is_mutual"])
        met["email"] = shared["email"] if shared else None
    for suggestion in record["introductions"]:
        suggestion.pop("email", None)
    for past in record["reconnect"]:
        here = rows.get(past["attendee_id"]) if past["attendee_id"] is not None else None
        past["email"] = reconnect_email(None, past["email"], here)
    return record


def _event_record(event: Event) -> dict[str, Any]:
    return {
        "slug": event.slug, "name": event.name, "venue": event.venue,
        "starts_at": event.starts_at.isoformat() if event.starts_at else None,
        "ends_at": event.ends_at.isoformat() if event.ends_at else None,
        "timezone": event.timezone,
    }


def _shape(row: dict[str, Any], event_name: str) -> dict[str, Any]:
    """Add the ``context`` of each meeting that the export format promises."""
    for met in row["met"]:
        met["context"] = {
            "event": event_name,
            "first_met_at": met["first_met_at"], "last_met_at": met["last_met_at"],
            "scan_count": met["scan_count"], "is_mutual": met["is_mutual"],
            "my_notes": met["my_notes"], "tags": met["tags"],
            "you_can_help": met["you_can_help"], "they_can_help": met["they_can_help"],
        }
    return row


def export(event: Event) -> dict[str, Any]:
    """The follow-ups of every attendee as JSON-able data (the issue-4 export format)."""
    result = build_for_event(event)
    data = export_json(_event_record(event), result.followups, result.people,
                       *wording.catalogue())
    rows = _contact_columns(event.id)
    data["attendees"] = [_share_only_consented(_shape(row, event.name), rows)
                         for row in data["attendees"]]
    return data


def find_attendee(event: Event, email: str) -> Attendee:
    """The event's (not erased) attendee with this email. Raises NotFound."""
    attendee: Attendee | None = db.session.scalar(
        select(Attendee).where(Attendee.event_id == event.id,
                               Attendee.email == normalize_email(email),
                               Attendee.erased_at.is_(None)))
    if attendee is None:
        raise NotFound(_("No attendee with this email at this event."), code="unknown_attendee")
    return attendee


def preview(event: Event, attendee: Attendee) -> dict[str, Any]:
    """One attendee's follow-up as JSON-able data (the same record as in the export)."""
    result = build_for_event(event)
    person = result.by_id.get(attendee.id)
    if person is None:
        raise NotFound(_("No such attendee."), code="unknown_attendee")
    data = export_json(_event_record(event), {attendee.id: result.followups[attendee.id]},
                       [p for p in result.people], *wording.catalogue())
    return _share_only_consented(_shape(data["attendees"][0], event.name),
                                 _contact_columns(event.id))


def reason_texts(reasons: list[Any]) -> list[str]:
    """Reasons (engine objects) as sentences in the current language."""
    return wording.reason_texts(reasons)
