"""iCalendar (RFC 5545) files of events, from plain values.

PURE: no flask, no sqlalchemy, no I/O. Times are written in UTC (``...Z``), which every
calendar shows in the reader's own zone; lines end in CRLF and are folded at 75 octets
without splitting a UTF-8 character; text values escape ``\\ ; ,`` and line breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//eventnet//eventnet//EN"
#: RFC 5545 3.1: lines longer than this many octets (without the CRLF) are folded
MAX_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    """What a calendar needs to know about an event."""

    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime | None = None
    location: str = ""
    description: str = ""
    url: str = ""


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def utc_stamp(value: datetime) -> str:
    """A DATE-TIME in UTC form, ``20261202T183000Z``; naive values are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> bytes:
    """One content line as UTF-8, folded (CRLF and a space) so no line exceeds 75 octets."""
    out: list[bytes] = []
    current = b""
    limit = MAX_OCTETS
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > limit:
            out.append(current)
            current = b""
            limit = MAX_OCTETS - 1  # continuation lines start with a space
        current += encoded
    out.append(current)
    return b"\r\n ".join(out) + b"\r\n"


def event_ics(event: CalendarEvent, *, now: datetime) -> bytes:
    """A VCALENDAR with one VEVENT (METHOD:PUBLISH), ``now`` as its DTSTAMP."""
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH", "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{utc_stamp(now)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
    ]
    if event.ends_at is not None and event.ends_at > event.starts_at:
        lines.append(f"DTEND:{utc_stamp(event.ends_at)}")
    lines.append(f"SUMMARY:{escape_text(event.summary)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    lines += ["STATUS:CONFIRMED", "END:VEVENT", "END:VCALENDAR"]
    return b"".join(fold(line) for line in lines)
