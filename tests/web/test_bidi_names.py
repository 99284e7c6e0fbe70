"""Bidi controls never reach a stored name: every edge that saves one (the registration form,
the profile, the organizer's edit, the door, CSV imports, the event and community forms, the
command line) goes through ``storable.clean_name``. The JSON API stores no names: what it
returns is checked instead.

A right-to-left override shown beside other text reverses how it reads: an attendee named
``Bob\\u202egnp.exe`` shows as ``Bobexe.png`` on a page, in a spreadsheet and on a badge.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from eventnet.extensions import db
from eventnet.models import Attendee, Community, Event, Organizer
from eventnet.services import imports
from eventnet.services.attendees import access_token
from eventnet.services.storable import BIDI_CONTROLS, clean_name
from tests.conftest import PASSWORD
from tests.web.test_registration_pages import form

#: every bidi control the rule names, one by one
ALL_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"

#: (what is typed, what is stored)
NAMES = [
    ("Bob\u202egnp.exe", "Bobgnp.exe"),
    ("\u2067Eve\u2069 (organizer)", "Eve (organizer)"),
    ("Ada\u200e Love\u200flace\u061c", "Ada Lovelace"),
    (f"Zo{ALL_CONTROLS}é", "Zoé"),
    ("\u202dMallory\u202c\r\n\tBcc: x", "Mallory Bcc: x"),
    ("علي بن \u202bأحمد\u202c", "علي بن أحمد"),  # right-to-left letters stay, only controls go
    ("Priya 👩\u200d💻", "Priya 👩\u200d💻"),  # the zero-width joiner is no bidi control
]
COMPANY, COMPANY_STORED = "\u202eEngines\u202c", "Engines"
TITLE, TITLE_STORED = "\u2066Analyst\u2069\u200f", "Analyst"


@pytest.mark.parametrize(("typed", "stored"), [
    *NAMES,
    *((f"a{c}b", "ab") for c in ALL_CONTROLS),
    ("a\x00b\x07c\x7fd\x9fe", "abcde"),
    ("  one\n two\u2028three  ", "one two three"),
])
def test_clean_name(typed, stored):
    assert clean_name(typed) == stored
    assert clean_name(stored) == stored


def test_the_rule_names_every_bidi_control():
    import unicodedata

    assert set(ALL_CONTROLS) == BIDI_CONTROLS
    # The explicit formatting characters (embeddings, overrides, isolates) and the marks,
    # which are invisible letters of a direction.
    explicit = {chr(c) for c in range(0x110000) if unicodedata.bidirectional(chr(c)) in
                ("LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI")}
    assert explicit | {"\u200e", "\u200f", "\u061c"} == BIDI_CONTROLS


# --- the edges that save an attendee's name, company and role ------------------------------


def _saved(email, *fields):
    db.session.expire_all()
    attendee = db.session.scalars(select(Attendee).where(Attendee.email == email)).one()
    return tuple(getattr(attendee, name) for name in fields or ("name", "company", "title"))


def _organizer_event(make_organizer, make_event, auth):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    auth.organizer(organizer.email)
    return event


def via_registration_form(client, make_event, **_):
    event = make_event()
    response = client.post(f"/e/{event.slug}", data=form(
        name=_["name"], company=COMPANY, title=TITLE, email="typed@example.org"))
    assert response.status_code == 302
    return _saved("typed@example.org")


def via_profile_edit(client, make_event, make_attendee, auth, **_):
    event = make_event()
    attendee = make_attendee(event, email="typed@example.org")
    auth.attendee(attendee)
    response = client.post(f"/e/{event.slug}/me", data={
        "name": _["name"], "company": COMPANY, "title": TITLE, "language": "en"})
    assert response.status_code == 302
    return _saved("typed@example.org")


def via_organizer_edit(client, make_organizer, make_event, make_attendee, auth, **_):
    event = _organizer_event(make_organizer, make_event, auth)
    attendee = make_attendee(event, email="typed@example.org")
    response = client.post(f"/events/{event.slug}/attendees/{attendee.id}/edit", data={
        "name": _["name"], "email": "typed@example.org", "company": COMPANY, "title": TITLE})
    assert response.status_code == 302
    return _saved("typed@example.org")


def via_door(client, make_organizer, make_event, auth, **_):
    event = _organizer_event(make_organizer, make_event, auth)
    response = client.post(f"/events/{event.slug}/checkin/onsite", data={
        "name": _["name"], "email": "typed@example.org", "company": COMPANY})
    assert response.status_code == 200
    return _saved("typed@example.org", "name", "company")  # the door asks no role


def _csv(name):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "company", "title"])
    writer.writerow([name, "typed@example.org", COMPANY, TITLE])
    return out.getvalue().encode()


def via_csv_import(make_event, **_):
    """The organizer's import page and the command line both plan and apply it so."""
    event = make_event()
    plan = imports.plan_import(event, _csv(_["name"]))
    assert plan.is_valid, plan.errors
    assert [row.profile.name for row in plan.rows] == [clean_name(_["name"])]  # the preview
    imports.apply_import(event.id, plan)
    return _saved("typed@example.org")


def via_cli_import(runner, make_event, tmp_path, **_):
    event = make_event()
    path = tmp_path / "attendees.csv"
    path.write_bytes(_csv(_["name"]))
    result = runner.invoke(args=["attendees", "import", event.slug, str(path)])
    assert result.exit_code == 0, result.output
    return _saved("typed@example.org")


ATTENDEE_EDGES = [via_registration_form, via_profile_edit, via_organizer_edit, via_door,
                  via_csv_import, via_cli_import]


@pytest.mark.parametrize("edge", ATTENDEE_EDGES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("typed", "stored"), NAMES, ids=range(len(NAMES)))
def test_attendee_names_are_stored_without_bidi_controls(
        edge, typed, stored, client, runner, auth, make_organizer, make_event, make_attendee,
        tmp_path, smtp):
    saved = edge(client=client, runner=runner, auth=auth, make_organizer=make_organizer,
                 make_event=make_event, make_attendee=make_attendee, tmp_path=tmp_path,
                 name=typed)
    assert saved == (stored, COMPANY_STORED, TITLE_STORED)[:len(saved)]


# --- the edges that save an event's, a community's and an organizer's name ----------------


def via_event_form(client, make_organizer, auth, **_):
    organizer = make_organizer()
    auth.organizer(organizer.email)
    community = db.session.scalars(select(Community.id)).first()
    response = client.post("/events/new", data={
        "slug": "typed", "name": _["name"], "timezone": "UTC", "community": str(community),
        "followup_list_size": "8", "followup_sender_name": _["name"], "language": "en"})
    assert response.status_code == 302, response.data
    db.session.expire_all()
    event = db.session.scalars(select(Event).where(Event.slug == "typed")).one()
    assert event.followup_sender_name == event.name
    return event.name


def via_event_edit(client, make_organizer, make_event, auth, **_):
    event = _organizer_event(make_organizer, make_event, auth)
    response = client.post(f"/events/{event.slug}/edit", data={
        "name": _["name"], "timezone": "UTC", "followup_list_size": "8", "language": "en",
        "followup_sender_name": _["name"]})
    assert response.status_code == 302, response.data
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.followup_sender_name == event.name
    return event.name


def via_community_settings(client, make_organizer, auth, **_):
    organizer = make_organizer()
    auth.organizer(organizer.email)
    community = db.session.scalars(select(Community)).first()
    response = client.post(f"/communities/{community.slug}/settings", data={"name": _["name"]})
    assert response.status_code == 302, response.data
    db.session.expire_all()
    return db.session.get(Community, community.id).name


def via_cli_event(runner, make_organizer, **_):
    organizer = make_organizer()
    result = runner.invoke(args=["events", "create", "typed", "--name", _["name"],
                                 "--organizer", organizer.email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return db.session.scalars(select(Event.name).where(Event.slug == "typed")).one()


def via_cli_organizer(runner, **_):
    result = runner.invoke(args=["organizers", "create", "typed@example.org", "--name",
                                 _["name"], "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    organizer = db.session.scalars(select(Organizer)
                                   .where(Organizer.email == "typed@example.org")).one()
    [community] = db.session.scalars(select(Community.name)).all()
    assert community == organizer.name  # the first community is named after them
    return organizer.name


OTHER_EDGES = [via_event_form, via_event_edit, via_community_settings, via_cli_event,
               via_cli_organizer]


@pytest.mark.parametrize("edge", OTHER_EDGES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("typed", "stored"), NAMES, ids=range(len(NAMES)))
def test_event_community_and_organizer_names_are_stored_without_bidi_controls(
        edge, typed, stored, client, runner, auth, make_organizer, make_event):
    assert edge(client=client, runner=runner, auth=auth, make_organizer=make_organizer,
                make_event=make_event, name=typed) == stored


# --- what the API and the CSV export give back ---------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), NAMES, ids=range(len(NAMES)))
def test_the_api_and_the_csv_export_carry_no_bidi_control(
        typed, stored, client, auth, make_organizer, make_event, make_attendee, smtp):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    assert client.post(f"/e/{event.slug}", data=form(
        name=typed, company=COMPANY, title=TITLE, email="typed@example.org")).status_code == 302
    typist = db.session.scalars(select(Attendee)
                                .where(Attendee.email == "typed@example.org")).one()
    scanner = make_attendee(event)
    headers = {"Authorization": f"Bearer {access_token(scanner)}"}
    scan = client.post("/api/v1/scans", json={"badge": typist.badge.token}, headers=headers)
    assert scan.status_code == 201
    person = scan.get_json()["connection"]["person"]
    assert (person["name"], person["company"], person["title"]) == (
        stored, COMPANY_STORED, TITLE_STORED)
    listed = client.get("/api/v1/me/connections", headers=headers).get_json()
    assert listed["connections"][0]["person"]["name"] == stored
    auth.organizer(organizer.email)
    export = client.get(f"/events/{event.slug}/exports/attendees.csv")
    assert export.status_code == 200
    text = export.get_data(as_text=True)
    assert stored in text and not BIDI_CONTROLS & set(text)
