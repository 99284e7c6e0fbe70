"""Bidi controls never reach a stored free text: what an attendee writes about themself (bio,
interests, what they can offer and look for, links, phone, answers to the event's questions),
what a scanner writes about someone they met (notes, tags) and the message of an introduction
request, at every edge that saves it: the registration form, the profile, the organizer's
edit, the door, CSV imports (the page's preview and the command line), the JSON API, the badge
page, a pending scan, scans imported from a file, the attendee's page. One rule,
``storable.clean_text``, the one names follow (``clean_name``): the characters are removed,
the text kept. Names themselves: ``tests/web/test_bidi_names.py``.

A right-to-left override in a note shows ``Call him\\u202e 7654 \\u202c`` reversed in the
follow-up email, and an override in a bio reverses how the organizer's pages read it.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Connection, Introduction, Scan
from eventnet.services import imports
from eventnet.services.attendees import access_token
from eventnet.services.events import parse_questions
from eventnet.services.storable import BIDI_CONTROLS, clean_text
from tests.conftest import open_magic_link
from tests.web.test_bidi_names import ALL_CONTROLS
from tests.web.test_registration_pages import form

#: what an attendee types in each profile field, and what is stored
BIO = ("Builds \u202eengines\u202c.\r\nLikes \u2067tea\u2069\u200f\x07 and\tchess "
       "\U0001f469\u200d\U0001f4bb")
BIO_STORED = "Builds engines.\r\nLikes tea and\tchess \U0001f469\u200d\U0001f4bb"
INTERESTS, INTERESTS_STORED = "\u202eAI\u202c, \u2066Rust\u2069, rust", ["AI", "Rust"]
OFFERS, OFFERS_STORED = "maths \u200emento\u200fring\n\u202e", ["maths mentoring"]
ASKS, ASKS_STORED = "\u061cinvestors\u202b עברית\u202c", ["investors עברית"]
LINKS = "https://ada.example.org/\u202egnp.exe"
LINKS_STORED = ["https://ada.example.org/gnp.exe"]
ANSWER, ANSWER_STORED = "\u202dvegan\u202c\u2068 please\u2069", "vegan please"
PHONE, PHONE_STORED = "+33\u202e 6 12\u200e 34", "+33 6 12 34"
#: what a scanner writes about someone
NOTE = "Call him\u202e 7654 \u202c\nabout \u2066Rust\u2069\x1b[31m"
NOTE_STORED = "Call him 7654 \nabout Rust[31m"
TAG, TAG_STORED = "\u202ehiring\u202c", "hiring"

PROFILE_FIELDS = ("bio", "interests", "offers", "asks", "links", "answers")
PROFILE_STORED = (BIO_STORED, INTERESTS_STORED, OFFERS_STORED, ASKS_STORED, LINKS_STORED,
                  {"diet": ANSWER_STORED})


@pytest.mark.parametrize(("typed", "stored"), [
    *((f"a{c}b", "ab") for c in ALL_CONTROLS),
    ("a\x00b\x07c\x7fd\x9fe", "abcde"),
    ("two\r\nlines\n\tand a tab", "two\r\nlines\n\tand a tab"),  # white space stays
    ("علي \u202bأحمد\u202c", "علي أحمد"),  # right-to-left letters stay, only controls go
    ("Priya 👩\u200d💻 ไทย\u200bภาษา", "Priya 👩\u200d💻 ไทย\u200bภาษา"),  # ZWJ, ZWSP stay
])
def test_clean_text(typed, stored):
    assert clean_text(typed) == stored
    assert clean_text(stored) == stored


def _event(make_event, **fields):
    return make_event(questions=parse_questions("Diet"), scan_tags=["hiring"], **fields)


def _profile(email):
    db.session.expire_all()
    attendee = db.session.scalars(select(Attendee).where(Attendee.email == email)).one()
    return tuple(getattr(attendee, name) for name in PROFILE_FIELDS)


def _typed_profile():
    return {"bio": BIO, "interests": INTERESTS, "offers": OFFERS, "asks": ASKS,
            "links": LINKS, "q_diet": ANSWER}


# --- what an attendee writes about themself -------------------------------------------------


def via_registration_form(client, make_event, **_):
    event = _event(make_event)
    response = client.post(f"/e/{event.slug}", data=form(email="typed@example.org",
                                                         **_typed_profile()))
    assert response.status_code == 302, response.data
    return _profile("typed@example.org")


def via_update_link(client, make_event, make_attendee, smtp, **_):
    """Registering again with a registered address mails a link that applies the profile."""
    event = _event(make_event)
    make_attendee(event, email="typed@example.org")
    response = client.post(f"/e/{event.slug}", data=form(email="typed@example.org",
                                                         **_typed_profile()))
    assert response.status_code == 302, response.data
    body = smtp.to("typed@example.org")[-1].get_body(("plain",)).get_content()
    path = re.search(r"http://eventnet\.test(/e/\S+/update/\S+)", body).group(1)
    page = client.get(path)
    csrf = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data)
    assert client.post(path, data={"csrf_token": csrf.group(1).decode()} if csrf else {}
                       ).status_code in (200, 302)
    return _profile("typed@example.org")


def via_profile_edit(client, make_event, make_attendee, auth, **_):
    event = _event(make_event)
    attendee = make_attendee(event, email="typed@example.org")
    auth.attendee(attendee)
    response = client.post(f"/e/{event.slug}/me", data={
        "name": "Ada", "language": "en", **_typed_profile()})
    assert response.status_code == 302, response.data
    return _profile("typed@example.org")


def via_organizer_edit(client, make_organizer, make_event, make_attendee, auth, **_):
    organizer = make_organizer()
    event = _event(make_event, organizer=organizer)
    auth.organizer(organizer.email)
    attendee = make_attendee(event, email="typed@example.org")
    response = client.post(f"/events/{event.slug}/attendees/{attendee.id}/edit", data={
        "name": "Ada", "email": "typed@example.org", **_typed_profile()})
    assert response.status_code == 302, response.data
    return _profile("typed@example.org")


def _csv():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "bio", "interests", "offers", "asks", "links", "phone",
                     "Diet"])
    writer.writerow(["Ada", "typed@example.org", BIO, INTERESTS.replace(",", ";"), OFFERS,
                     ASKS, LINKS, PHONE, ANSWER])
    return out.getvalue().encode()


def via_csv_import(make_event, **_):
    """The organizer's import page and the command line both plan and apply it so."""
    event = _event(make_event)
    plan = imports.plan_import(event, _csv())
    assert plan.is_valid, plan.errors
    [row] = plan.rows
    assert row.profile.bio == BIO_STORED and row.profile.phone == PHONE_STORED  # the preview
    imports.apply_import(event.id, plan)
    return _profile("typed@example.org")


def via_cli_import(runner, make_event, tmp_path, **_):
    event = _event(make_event)
    path = tmp_path / "attendees.csv"
    path.write_bytes(_csv())
    result = runner.invoke(args=["attendees", "import", event.slug, str(path)])
    assert result.exit_code == 0, result.output
    return _profile("typed@example.org")


@pytest.mark.parametrize("edge", [via_registration_form, via_update_link, via_profile_edit,
                                  via_organizer_edit, via_csv_import, via_cli_import],
                         ids=lambda f: f.__name__)
def test_a_profile_is_stored_without_bidi_controls(
        edge, client, runner, auth, make_organizer, make_event, make_attendee, tmp_path, smtp):
    stored = edge(client=client, runner=runner, auth=auth, make_organizer=make_organizer,
                  make_event=make_event, make_attendee=make_attendee, tmp_path=tmp_path,
                  smtp=smtp)
    assert stored == PROFILE_STORED
    if edge in (via_csv_import, via_cli_import):
        db.session.expire_all()
        assert db.session.scalars(select(Attendee.phone)).one() == PHONE_STORED


def test_the_door_stores_answers_without_bidi_controls(client, auth, make_organizer,
                                                       make_event):
    organizer = make_organizer()
    event = _event(make_event, organizer=organizer)
    auth.organizer(organizer.email)
    response = client.post(f"/events/{event.slug}/checkin/onsite", data={
        "name": "Ada", "email": "typed@example.org", "company": "Engines", "q_diet": ANSWER})
    assert response.status_code == 200, response.data
    db.session.expire_all()
    assert db.session.scalars(select(Attendee.answers)).one() == {"diet": ANSWER_STORED}


# --- what a scanner writes about someone they met -------------------------------------------


def _two(make_event, make_attendee):
    event = _event(make_event)
    return (event, make_attendee(event, email="ann@example.org"),
            make_attendee(event, email="bob@example.org"))


def _stored_scan():
    db.session.expire_all()
    scan = db.session.scalars(select(Scan)).one()
    connection = db.session.scalars(select(Connection)).one()
    side = "a" if connection.a_id == scan.scanner_id else "b"
    return (scan.note, scan.tags, getattr(connection, f"{side}_note"),
            getattr(connection, f"{side}_tags"))


def test_the_api_stores_notes_and_tags_without_bidi_controls(client, make_event,
                                                             make_attendee):
    _, ann, bob = _two(make_event, make_attendee)
    headers = {"Authorization": f"Bearer {access_token(ann)}"}
    created = client.post("/api/v1/scans", headers=headers, json={
        "badge": bob.badge.token, "note": NOTE, "tags": [TAG, "hiring"]})
    assert created.status_code == 201, created.data
    assert created.get_json()["connection"]["note"] == NOTE_STORED
    assert _stored_scan() == (NOTE_STORED, [TAG_STORED], NOTE_STORED, [TAG_STORED])
    connection_id = created.get_json()["connection"]["id"]
    patched = client.patch(f"/api/v1/me/connections/{connection_id}", headers=headers,
                           json={"note": "\u2067" + NOTE, "tags": ["\u200f" + TAG, "mentor"]})
    assert patched.status_code == 200, patched.data
    assert (patched.get_json()["note"], patched.get_json()["tags"]) == (
        NOTE_STORED, [TAG_STORED, "mentor"])
    listed = client.get("/api/v1/me/connections", headers=headers).get_json()
    assert not BIDI_CONTROLS & set(str(listed))


def _client_id(html: str) -> str:
    return re.search(r'name="client_id" type="hidden" value="([^"]+)"', html).group(1)


def test_the_badge_page_stores_notes_without_bidi_controls(client, auth, make_event,
                                                           make_attendee):
    _, ann, bob = _two(make_event, make_attendee)
    auth.attendee(ann)
    html = client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    saved = client.post(f"/b/{bob.badge.token}", data={
        "note": NOTE, "tags": ["hiring"], "client_id": _client_id(html)})
    assert saved.status_code == 302, saved.data
    assert _stored_scan() == (NOTE_STORED, ["hiring"], NOTE_STORED, ["hiring"])
    page = client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    assert "Call him 7654" in page and not BIDI_CONTROLS & set(page)
    edited = client.post(f"/b/{bob.badge.token}/edit", data={"note": "\u2066" + NOTE})
    assert edited.status_code == 302, edited.data
    assert _stored_scan()[2] == NOTE_STORED


def test_a_pending_scan_carries_and_stores_its_note_without_bidi_controls(
        app, client, smtp, make_event, make_attendee):
    _, ann, bob = _two(make_event, make_attendee)
    html = client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    sent = client.post(f"/b/{bob.badge.token}/identify", data={
        "email": "ann@example.org", "note": NOTE, "client_id": _client_id(html)})
    assert sent.status_code == 200, sent.data
    body = smtp.to("ann@example.org")[-1].get_body(("plain",)).get_content()
    link = re.search(r"http://eventnet\.test(/m/\S+)", body).group(1)
    other = app.test_client()  # the mail app's browser: the page shows what will be saved
    page = open_magic_link(other, link, follow_redirects=True).get_data(as_text=True)
    assert "Call him 7654" in page and not BIDI_CONTROLS & set(page)
    action = re.search(r'<form method="post" action="([^"]+/pending/[^"]+)"', page).group(1)
    assert other.post(action, data={"note": NOTE}).status_code == 302
    assert _stored_scan() == (NOTE_STORED, [], NOTE_STORED, [])


def test_imported_scans_store_notes_without_bidi_controls(runner, tmp_path, make_event,
                                                          make_attendee):
    event, _, _ = _two(make_event, make_attendee)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scanner_email", "scanned_email", "scanned_at", "note"])
    writer.writerow(["ann@example.org", "bob@example.org", "2026-01-10T10:00:00Z", NOTE])
    path = tmp_path / "scans.csv"
    path.write_bytes(out.getvalue().encode())
    for _ in range(2):  # importing the same file again stays harmless
        result = runner.invoke(args=["scans", "import", event.slug, str(path)])
        assert result.exit_code == 0, result.output
    assert _stored_scan() == (NOTE_STORED, [], NOTE_STORED, [])


# --- what an attendee writes to someone they would like to meet ------------------------------


def test_an_introduction_request_stores_and_mails_its_message_without_bidi_controls(
        client, auth, make_event, make_attendee, smtp):
    event, ann, bob = _two(make_event, make_attendee)
    with write_transaction() as session:
        intro = Introduction(event_id=event.id, requester_id=ann.id, recipient_id=bob.id,
                             score=1.0, reasons=[])
        session.add(intro)
        session.flush()
        intro_id = intro.id
    auth.attendee(ann)
    sent = client.post(f"/e/{event.slug}/me/introductions/{intro_id}/request",
                       data={"message": NOTE})
    assert sent.status_code == 302, sent.data
    db.session.expire_all()
    assert db.session.get(Introduction, intro_id).message == NOTE_STORED.strip()
    [mail] = smtp.to("bob@example.org")
    body = mail.get_body(("plain",)).get_content()
    assert "Call him 7654" in body and not BIDI_CONTROLS & set(body)
