"""The values the matching engine takes and returns: frozen inputs, plain result records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Person:
    """An attendee of the event being processed."""

    id: int
    person_id: int | None  # stable across the events of a community; None when unknown
    name: str
    email: str | None
    company: str
    title: str
    interests: tuple[str, ...] = ()
    offers: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()
    consents_to_introductions: bool = True


@dataclass(frozen=True)
class Encounter:
    """One badge scan at this event: `scanner_id` scanned `scanned_id` (attendee ids)."""

    scanner_id: int
    scanned_id: int
    at: datetime
    note: str = ""  # written by the scanner, shown only to the scanner
    tags: tuple[str, ...] = ()  # free strings set by the scanner: "follow-up", "hiring"...


@dataclass(frozen=True)
class PastEncounter:
    """Person `person_a` met person `person_b` at an earlier event, seen from person_a's side.

    Pass one row per side that should be able to reconnect (usually both); `notes` are person_a's
    own notes and the `*_b` fields say who person_b was, for display.
    """

    person_a: int
    person_b: int
    event_name: str
    met_at: datetime
    notes: tuple[str, ...] = ()
    name_b: str = ""
    company_b: str = ""
    email_b: str | None = None
    community: str | None = None  # when set and different from the event's, the row is ignored


@dataclass(frozen=True)
class Settings:
    """Per-event knobs; `exposure_cap=None` means 3 x intro_count (the length of the intro list)."""

    list_size: int = 10
    intro_count: int = 5
    reconnect_size: int = 5
    exposure_cap: int | None = None

    @property
    def effective_exposure_cap(self) -> int:
        """How many attendees one person may be suggested to across the event."""
        if self.exposure_cap is not None:
            return max(0, self.exposure_cap)
        return 3 * self.intro_count


@dataclass(frozen=True)
class Reason:
    """A stable machine code plus the values its sentence needs (see reasons.describe)."""

    code: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    """Two original phrases that match: one of mine and one of theirs."""

    mine: str
    theirs: str


@dataclass
class MetEntry:
    """Someone the attendee met at this event, with the context of the encounter."""

    attendee_id: int
    score: float
    reasons: list[Reason]
    first_met_at: datetime
    last_met_at: datetime
    scan_count: int
    is_mutual: bool
    my_notes: tuple[str, ...]
    tags: tuple[str, ...]
    you_can_help: list[Match]
    they_can_help: list[Match]


@dataclass
class Suggestion:
    """A suggested double opt-in introduction."""

    attendee_id: int
    score: float
    reasons: list[Reason]


@dataclass
class ReconnectEntry:
    """Someone the attendee met at an earlier event of the community and not at this one."""

    person_id: int
    name: str
    company: str
    event_name: str  # the most recent earlier event where they met
    met_at: datetime
    notes: tuple[str, ...]
    attendee_id: int | None  # set when they are an attendee of this event too
    email: str | None = None
    times_met: int = 1


@dataclass
class FollowUp:
    """Everything one attendee's follow-up email needs."""

    attendee_id: int
    met: list[MetEntry]
    introductions: list[Suggestion]
    reconnect: list[ReconnectEntry]
