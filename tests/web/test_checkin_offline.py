"""The door's offline check-in over HTTP: the roster it keeps, the queue it sends, and the
walk-in's screen, mail and printed badge."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pypdf
from sqlalchemy import func, select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, CheckIn, CheckInRead, Membership, utcnow
from eventnet.models.organizer import ROLE_STAFF
from eventnet.services.badges import reissue_badge
from eventnet.services.checkins import check_in


def _count(model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _staff_of(event, make_organizer):
    staff = make_organizer()
    with write_transaction() as session:
        session.add(Membership(community_id=event.community_id, organizer_id=staff.id,
                               role=ROLE_STAFF))
    return staff


def _iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def test_staff_get_the_roster_with_names_and_badges_only(client, auth, make_organizer,
                                                         make_event, make_attendee):
    event = make_event()
    staff = _staff_of(event, make_organizer)
    ann = make_attendee(event, "Ann", company="Acme", email="ann@example.org")
    bob = make_attendee(event, "Bob")
    old = bob.badge.token
    reissue_badge(bob.id)
    check_in(ann.id)
    auth.organizer(staff.email)
    response = client.get(f"/events/{event.slug}/checkin/roster")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["event"] == event.slug and body["csrf_token"]
    assert body["revoked"] == [old]
    assert [sorted(person) for person in body["attendees"]] == [
        ["badges", "checked_in_at", "id", "name"]] * 2
    ann_entry, bob_entry = body["attendees"]
    assert ann_entry["name"] == "Ann" and ann_entry["badges"] == [ann.badge.token]
    assert ann_entry["checked_in_at"] and bob_entry["checked_in_at"] is None
    text = response.get_data(as_text=True)
    assert "Acme" not in text and "ann@example.org" not in text


def test_the_roster_and_the_sync_are_for_the_event_team_only(client, auth, make_organizer,
                                                            make_event, make_attendee):
    event = make_event()
    ann = make_attendee(event)
    roster, sync = f"/events/{event.slug}/checkin/roster", f"/events/{event.slug}/checkin/sync"
    body = {"checkins": [{"client_id": "c", "badge": ann.badge.token,
                          "read_at": _iso(utcnow())}]}
    signed_out = client.get(roster)
    assert signed_out.status_code == 401
    assert signed_out.get_json()["error"]["code"] == "signed_out"
    assert client.post(sync, json=body).status_code == 401
    auth.organizer(make_organizer().email)  # an organizer of another community
    json_header = {"Accept": "application/json"}
    for response in (client.get(roster, headers=json_header),
                     client.post(sync, json=body, headers=json_header)):
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert client.get("/events/no-such-event/checkin/roster").status_code == 404
    assert _count(CheckIn) == 0 and _count(CheckInRead) == 0


def test_the_queue_is_recorded_once_and_the_earliest_read_wins(client, auth, make_organizer,
                                                              make_event, make_attendee):
    event = make_event(timezone="Europe/Paris")
    staff = _staff_of(event, make_organizer)
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    auth.organizer(staff.email)
    url = f"/events/{event.slug}/checkin/sync"
    now = utcnow().replace(microsecond=0)
    device_b = [{"client_id": "b-1", "badge": ann.badge.token,
                 "read_at": _iso(now - timedelta(minutes=2))},
                {"client_id": "b-2", "badge": "made-up", "read_at": _iso(now)}]
    answer = client.post(url, json={"checkins": device_b})
    assert answer.status_code == 200
    results = answer.get_json()["results"]
    assert [r["client_id"] for r in results] == ["b-1", "b-2"]
    assert results[0]["result"] == "green" and results[0]["attendee"]["name"] == "Ann"
    assert results[1]["result"] == "red" and results[1]["error"]["code"] == "not_registered"
    # device A read Ann earlier, offline, and syncs now: one check-in, at A's time
    device_a = [{"client_id": "a-1", "badge": f"http://eventnet.test/b/{ann.badge.token}",
                 "read_at": _iso(now - timedelta(minutes=30))},
                {"client_id": "a-2", "badge": bob.badge.token, "read_at": _iso(now)}]
    results = client.post(url, json={"checkins": device_a}).get_json()["results"]
    assert [r["result"] for r in results] == ["green", "green"]
    # sending the same queue again (the answer was lost) records nothing more
    replay = client.post(url, json={"checkins": device_a + device_b}).get_json()["results"]
    assert [r["result"] for r in replay] == ["green", "green", "amber", "red"]
    assert _count(CheckIn) == 2 and _count(CheckInRead) == 3
    db.session.rollback()
    first = db.session.scalar(select(CheckIn.checked_in_at).where(CheckIn.attendee_id == ann.id))
    assert first == now - timedelta(minutes=30)
    # the page's camera endpoint takes the same client ids
    scan = client.post(f"/events/{event.slug}/checkin/scan",
                       json={"badge": bob.badge.token, "client_id": "a-2"})
    assert scan.status_code == 200 and _count(CheckIn) == 2 and _count(CheckInRead) == 3
    assert scan.get_json()["print_url"] == f"/events/{event.slug}/checkin/{bob.id}/badge.pdf"


def test_bad_sync_input_is_a_400_naming_the_problem(client, auth, make_organizer, make_event,
                                                    make_attendee):
    owner = make_organizer()
    event = make_event(organizer=owner)
    ann = make_attendee(event)
    auth.organizer(owner.email)
    url = f"/events/{event.slug}/checkin/sync"
    good = {"client_id": "c", "badge": ann.badge.token, "read_at": _iso(utcnow())}
    cases = [
        ("{oops", "invalid_body", None),
        ([], "invalid_body", None),
        ({"checkins": {}}, "invalid_checkins", "checkins"),
        ({"checkins": [good, {**good, "client_id": 5}]}, "invalid_client_id",
         "checkins[1].client_id"),
        ({"checkins": [{**good, "badge": None}]}, "invalid_badge", "checkins[0].badge"),
        ({"checkins": [{**good, "read_at": "tomorrow"}]}, "invalid_read_at",
         "checkins[0].read_at"),
    ]
    for body, code, field in cases:
        response = (client.post(url, data=body, content_type="application/json")
                    if isinstance(body, str) else client.post(url, json=body))
        assert response.status_code == 400, body
        error = response.get_json()["error"]
        assert error["code"] == code and (field is None or field in error["message"])
    # refused by a rule, not malformed: answered in the results, the rest recorded
    late = {**good, "client_id": "late", "read_at": _iso(utcnow() + timedelta(hours=2))}
    results = client.post(url, json={"checkins": [late, good]}).get_json()["results"]
    assert results[0]["error"]["code"] == "invalid_read_at" and results[1]["result"] == "green"
    assert _count(CheckIn) == 1
    bad_time = client.post(f"/events/{event.slug}/checkin/scan",
                           json={"badge": ann.badge.token, "read_at": 12})
    assert bad_time.status_code == 400 and bad_time.get_json()["error"]["code"] == (
        "invalid_read_at")


def test_sync_needs_the_csrf_header(app, client, auth, make_organizer, make_event,
                                    make_attendee):
    owner = make_organizer()
    event = make_event(organizer=owner)
    ann = make_attendee(event)
    auth.organizer(owner.email)
    app.config["WTF_CSRF_ENABLED"] = True
    body = {"checkins": [{"client_id": "c", "badge": ann.badge.token,
                          "read_at": _iso(utcnow())}]}
    url = f"/events/{event.slug}/checkin/sync"
    assert client.post(url, json=body).status_code == 400 and _count(CheckIn) == 0
    token = client.get(f"/events/{event.slug}/checkin/roster").get_json()["csrf_token"]
    assert client.post(url, json=body, headers={"X-CSRFToken": token}).status_code == 200
    assert _count(CheckIn) == 1


def test_the_check_in_page_keeps_its_roster_and_opens_offline(client, auth, make_organizer,
                                                              make_event):
    owner = make_organizer()
    event = make_event(organizer=owner)
    auth.organizer(owner.email)
    page = client.get(f"/events/{event.slug}/checkin").get_data(as_text=True)
    assert f'data-roster="/events/{event.slug}/checkin/roster"' in page
    assert f'data-sync="/events/{event.slug}/checkin/sync"' in page
    assert 'data-sw="/sw.js"' in page
    worker = client.get("/sw.js").get_data(as_text=True)
    assert "/static/js/checkin.js" in worker and "CHECKIN_PAGE" in worker
    # no inline script: the strings come as a JSON data block
    scripts = re.findall(r"<script(?P<attrs>[^>]*)>", page)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)


def test_print_badge_gives_one_badge_as_a_pdf(client, auth, make_organizer, make_event,
                                             make_attendee):
    event = make_event()
    staff = _staff_of(event, make_organizer)
    ann = make_attendee(event, "Ann Onyme")
    make_attendee(event, "Bob")
    other = make_attendee(make_event())
    url = f"/events/{event.slug}/checkin/{ann.id}/badge.pdf"
    auth.organizer(staff.email)
    sizes = {"a6": [298, 420], "label": [288, 216]}
    for layout, size in sizes.items():
        response = client.get(f"{url}?layout={layout}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        reader = pypdf.PdfReader(io.BytesIO(response.data))
        assert len(reader.pages) == 1
        assert [round(float(side)) for side in reader.pages[0].mediabox[2:]] == size
        text = reader.pages[0].extract_text()
        assert "Ann Onyme" in text and "Bob" not in text
    assert client.get(url).status_code == 200  # A6 by default
    bad = client.get(f"{url}?layout=poster")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_layout"
    assert client.get(f"/events/{event.slug}/checkin/{other.id}/badge.pdf").status_code == 404
    client.post("/organizer/sign-out")
    auth.organizer(make_organizer().email)
    assert client.get(url).status_code == 404


def test_every_check_in_answer_offers_to_print_the_badge(client, auth, make_organizer,
                                                          make_event, make_attendee):
    owner = make_organizer()
    event = make_event(organizer=owner)
    ann = make_attendee(event, "Ann")
    auth.organizer(owner.email)
    done = client.post(f"/events/{event.slug}/checkin/{ann.id}").get_data(as_text=True)
    assert f'href="/events/{event.slug}/checkin/{ann.id}/badge.pdf?layout=a6"' in done
    assert "Print badge" in done
    made = client.post(f"/events/{event.slug}/checkin/onsite", data={"name": "Walk In"})
    walk = db.session.scalars(select(Attendee).where(Attendee.name == "Walk In")).one()
    assert f"/checkin/{walk.id}/badge.pdf" in made.get_data(as_text=True)


def test_a_walk_in_is_mailed_their_link_and_their_screen_waits_for_done(
        client, auth, make_organizer, make_event, smtp):
    owner = make_organizer()
    event = make_event(organizer=owner)
    auth.organizer(owner.email)
    made = client.post(f"/events/{event.slug}/checkin/onsite",
                       data={"name": "Walk In", "email": "walk@example.org"})
    html = made.get_data(as_text=True)
    assert made.status_code == 200 and 'id="onsite-badge"' in html
    assert 'id="onsite-done"' in html and "on its way by email" in html
    [mail] = smtp.to("walk@example.org")
    assert "/m/" in mail.get_body(("plain",)).get_content()
    # without an email: the same screen, nothing mailed
    made = client.post(f"/events/{event.slug}/checkin/onsite", data={"name": "No Mail"})
    assert 'id="onsite-done"' in made.get_data(as_text=True)
    assert "on its way by email" not in made.get_data(as_text=True)
    assert len(smtp.messages) == 1
