"""The data model: typed SQLAlchemy models, one file per aggregate."""

from eventnet.models._types import MAX_ID, utcnow
from eventnet.models.attendee import Attendee, Badge, CheckIn
from eventnet.models.checkin_read import CheckInRead
from eventnet.models.event import Event, Person
from eventnet.models.import_job import ImportJob
from eventnet.models.intro import Introduction
from eventnet.models.organizer import (
    Community,
    Invitation,
    Membership,
    Organizer,
    OrganizerSession,
)
from eventnet.models.outbox import OutboundEmail, OutboundEmailBody
from eventnet.models.scan import Connection, Scan

__all__ = [
    "Attendee",
    "Badge",
    "CheckIn",
    "CheckInRead",
    "Community",
    "Connection",
    "Event",
    "ImportJob",
    "Introduction",
    "MAX_ID",
    "Invitation",
    "Membership",
    "Organizer",
    "OrganizerSession",
    "OutboundEmail",
    "OutboundEmailBody",
    "Person",
    "Scan",
    "utcnow",
]
