"""Recurring meetups: communities, their events over time and the people who come back."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, CheckIn, Community, Event, Membership, Organizer, Person
from eventnet.models.organizer import ROLE_ORGANIZER
from eventnet.services.errors import Invalid, NotFound
from eventnet.services.organizers import unique_community_slug
from eventnet.services.storable import clean_name


@dataclass
class EventAttendance:
    """One event of a community with its counts."""

    event: Event
    registered: int
    checked_in: int


@dataclass
class Regular:
    """A person of the community and how many of its events they came to."""

    person: Person
    name: str
    registered: int
    attended: int


def get_community(slug: str) -> Community:
    """The community with this slug; raises NotFound."""
    community: Community | None = db.session.scalar(
        select(Community).where(Community.slug == slug))
    if community is None:
        raise NotFound(_("No such community."))
    return community


def _check_name(name: str) -> str:
    name = clean_name(name)
    if not name:
        raise Invalid(_("The community needs a name."), field="name")
    if len(name) > 200:
        raise Invalid(_("The name is too long (200 characters at most)."), field="name")
    return name


def create_community(organizer_id: int, name: str) -> Community:
    """Create a community with the organizer as its first organizer. Raises Invalid."""
    name = _check_name(name)
    with write_transaction() as session:
        if session.get(Organizer, organizer_id) is None:
            raise NotFound(_("No such organizer."))
        community = Community(slug=unique_community_slug(name), name=name)
        session.add(community)
        session.add(Membership(community=community, organizer_id=organizer_id,
                               role=ROLE_ORGANIZER))
    return community


def rename_community(community_id: int, name: str) -> Community:
    """Rename a community (its URL stays). Raises Invalid or NotFound."""
    name = _check_name(name)
    with write_transaction() as session:
        community: Community | None = session.get(Community, community_id)
        if community is None:
            raise NotFound(_("No such community."))
        community.name = name
    return community


def community_events(community_id: int) -> list[EventAttendance]:
    """The community's events, newest first, with registrations and check-ins."""
    registered = (select(Attendee.event_id, func.count(Attendee.id).label("n"))
                  .where(Attendee.erased_at.is_(None)).group_by(Attendee.event_id).subquery())
    checked = (select(CheckIn.event_id, func.count(CheckIn.id).label("n"))
               .group_by(CheckIn.event_id).subquery())
    rows = db.session.execute(
        select(Event, func.coalesce(registered.c.n, 0), func.coalesce(checked.c.n, 0))
        .outerjoin(registered, registered.c.event_id == Event.id)
        .outerjoin(checked, checked.c.event_id == Event.id)
        .where(Event.community_id == community_id)
        .order_by(Event.starts_at.desc().nulls_last(), Event.id.desc()))
    return [EventAttendance(e, r, c) for e, r, c in rows]


def regulars(community_id: int, limit: int = 100) -> list[Regular]:
    """People who registered for the most events of the community (at least two)."""
    counts = db.session.execute(
        select(Attendee.person_id, func.count(Attendee.id), func.count(CheckIn.id),
               func.max(Attendee.id))
        .join(Person, Person.id == Attendee.person_id)
        .outerjoin(CheckIn, CheckIn.attendee_id == Attendee.id)
        .where(Person.community_id == community_id, Attendee.erased_at.is_(None))
        .group_by(Attendee.person_id)
        .having(func.count(Attendee.id) > 1)
        .order_by(func.count(CheckIn.id).desc(), func.count(Attendee.id).desc(),
                  Attendee.person_id)
        .limit(limit)).all()
    # keyed like the rows: Attendee.person_id is nullable (the join makes it set here)
    people: dict[int | None, Person] = {p.id: p for p in db.session.scalars(
        select(Person).where(Person.id.in_([c[0] for c in counts])))}
    names = dict(db.session.execute(
        select(Attendee.id, Attendee.name).where(Attendee.id.in_([c[3] for c in counts]))).all())
    return [Regular(people[pid], names[last], reg, att) for pid, reg, att, last in counts]


def person_history(community_id: int, person_id: int) -> tuple[Person, list[Attendee]]:
    """A person of the community and their registrations, newest event first. Raises NotFound."""
    person = db.session.get(Person, person_id)
    if person is None or person.community_id != community_id:
        raise NotFound(_("No such person."))
    attendances = list(db.session.scalars(
        select(Attendee).join(Event)
        .where(Attendee.person_id == person.id, Attendee.erased_at.is_(None))
        .order_by(Event.starts_at.desc().nulls_last(), Event.id.desc())))
    return person, attendances
