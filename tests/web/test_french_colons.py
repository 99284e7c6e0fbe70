"""French pages put a non-breaking space before a colon, also where a template joins a label
and its value ("E-mail : ada@…"), not only inside the catalogue's sentences."""

from __future__ import annotations

import re
from typing import Any

from eventnet.extensions import db

FR = {"Accept-Language": "fr"}
# a letter, a closing tag's text or a quote right before ":" then a space or the end: the
# colon of a label; "18:30" and "http://" are not followed by a space
BARE_COLON = re.compile(r"[^\s\u00a0\u202f]:(?=[\s<]|$)")


def _bare_colons(html: str) -> list[str]:
    body = html.split("<body", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S)
    text = re.sub(r"<[^>]+>", "", body)
    return [text[max(0, m.start() - 30):m.end() + 10] for m in BARE_COLON.finditer(text)]


def test_the_attendee_page_in_french(client, auth, make_event, make_attendee):
    event = make_event()
    attendee = make_attendee(event, language="fr")
    auth.attendee(attendee)
    page = client.get(f"/e/{event.slug}/me", headers=FR)
    assert page.status_code == 200
    assert _bare_colons(page.get_data(as_text=True)) == []


def test_the_organizer_pages_in_french(client, auth, make_organizer, make_event,
                                       make_attendee):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    attendee = make_attendee(event)
    auth.organizer(organizer.email)
    community = db.session.merge(event).community
    paths = [f"/events/{event.slug}/import", f"/events/{event.slug}/edit",
             f"/events/{event.slug}/followups", f"/events/{event.slug}/attendees/{attendee.id}",
             f"/communities/{community.slug}/settings"]
    found: dict[str, Any] = {}
    for path in paths:
        page = client.get(path, headers=FR)
        assert page.status_code == 200, path
        found[path] = _bare_colons(page.get_data(as_text=True))
    assert found == {path: [] for path in paths}
