"""eventnet.ics writes iCalendar files other programs read: CRLF, folding, escaping, UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from eventnet.ics import CalendarEvent, escape_text, event_ics, fold


def test_folding_keeps_lines_short_and_characters_whole() -> None:
    line = "DESCRIPTION:" + "é✓" * 60
    folded = fold(line)
    parts = folded.split(b"\r\n")
    assert parts[-1] == b"" and all(len(p) <= 75 for p in parts)
    assert all(p.startswith(b" ") for p in parts[1:-1])
    for part in parts:
        part.decode()  # no UTF-8 character split across lines
    assert folded.replace(b"\r\n ", b"").decode() == line + "\r\n"


def test_text_is_escaped_and_times_are_utc() -> None:
    assert escape_text("a\\b;c,d\r\ne\nf") == "a\\\\b\\;c\\,d\\ne\\nf"
    paris = timezone(timedelta(hours=1))
    ics = event_ics(CalendarEvent(uid="event-x@example.org", summary="Meetup",
                                  starts_at=datetime(2026, 12, 2, 19, 30, tzinfo=paris),
                                  ends_at=datetime(2026, 12, 2, 19, 0, tzinfo=paris)),
                    now=datetime(2026, 11, 1, 8, 0, 5, tzinfo=UTC)).decode()
    lines = ics.split("\r\n")
    assert "DTSTART:20261202T183000Z" in lines and "DTSTAMP:20261101T080005Z" in lines
    assert not any(line.startswith("DTEND") for line in lines)  # an end before the start
    assert lines.count("BEGIN:VEVENT") == 1 and "UID:event-x@example.org" in lines
