"""Pure matching engine: plain dataclasses in, ranked follow-ups with reasons out.

No I/O, no globals, no Flask or SQLAlchemy here: the services layer loads the event and passes
plain values to `build_followups`.
"""

from __future__ import annotations

from eventnet.matching.engine import build_followups, build_some_followups
from eventnet.matching.model import (
    Encounter,
    FollowUp,
    Match,
    MetEntry,
    PastEncounter,
    Person,
    Reason,
    ReconnectEntry,
    Settings,
    Suggestion,
)

__all__ = [
    "Encounter",
    "FollowUp",
    "Match",
    "MetEntry",
    "PastEncounter",
    "Person",
    "Reason",
    "ReconnectEntry",
    "Settings",
    "Suggestion",
    "build_followups",
    "build_some_followups",
]
