"""Odd input anywhere gets a clear 4xx and changes nothing, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import Attendee, Scan
from eventnet.services.attendees import access_token
from eventnet.services.scans import scan_badge
from tests.web.test_registration_pages import form

HUGE = 2**31 + 5  # past PostgreSQL's INTEGER
ODD_QUERY = (f"?page={10**25}&attendee={HUGE}&q=%00&filter=nope&lang=zz&next=//evil.example"
             "&layout=nope&format=nope")


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_every_page_survives_odd_arguments(client, app, auth, make_organizer, make_event,
                                           make_attendee):
    """Every GET route, as a signed-in organizer, with ids past the database's range, zero
    and negative ids, an unknown slug, and a query string of odd values: never a 5xx."""
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    scan_badge(ann.id, event.id, bob.badge.token, note="Rust")
    auth.organizer(organizer.email)
    words = {"slug": (event.slug, "nope"), "token": ("x", "a.b.c")}
    failures, tried = [], 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        for variant, number in enumerate((str(HUGE), "0", "-1")):
            path = rule.rule
            for name in re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule.rule):
                options = words.get(name, (number,))
                value = options[min(variant, len(options) - 1)]
                path = re.sub(rf"<(?:[^:>]+:)?{re.escape(name)}>", value, path, count=1)
            for query in ("", ODD_QUERY):
                tried += 1
                status = client.get(path + query).status_code
                if status >= 500:
                    failures.append((path + query, status))
    assert tried > 150 and not failures


def test_nul_characters_are_refused_everywhere(client, make_event, make_attendee, auth,
                                              make_organizer):
    """PostgreSQL cannot store NUL (0x00) in text: it used to fail there with a 500."""
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    before = _count(Attendee)
    page = client.post(f"/e/{event.slug}", data=form(name="Ada\x00", email="ada@example.org"))
    assert page.status_code == 400 and b"NUL" in page.data
    assert _count(Attendee) == before
    bearer = {"Authorization": f"Bearer {access_token(ann)}"}
    api = client.post("/api/v1/scans", json={"badge": bob.badge.token, "note": "a\x00b"},
                      headers=bearer)
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "nul_character"
    assert _count(Scan) == 0
    for field, body in (("badge", {"badge": bob.badge.token + "\x00"}),
                        ("tags", {"badge": bob.badge.token, "tags": ["ok", "x\x00"]}),
                        ("client_id", {"badge": bob.badge.token, "client_id": "\x00"})):
        refused = client.post("/api/v1/scans", json=body, headers=bearer)
        assert refused.status_code == 400, field
        assert refused.get_json()["error"]["code"] == "nul_character", field
    assert _count(Scan) == 0
    # the six characters \u0000 typed as text are no NUL: stored as they are
    text = client.post("/api/v1/scans", json={"badge": bob.badge.token, "note": "\\u0000"},
                       headers=bearer)
    assert text.status_code == 201 and text.get_json()["connection"]["note"] == "\\u0000"
    auth.organizer(organizer.email)
    search = client.get(f"/events/{event.slug}/attendees?q=Ann%00")
    assert search.status_code == 400 and b"NUL" in search.data
    door = client.post(f"/events/{event.slug}/checkin/scan", json={"badge": "\x00"})
    assert door.status_code == 400 and door.get_json()["error"]["code"] == "nul_character"
