"""Door check-in: camera JSON endpoint, search by name, on-the-spot registration."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import func, select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, CheckIn, Membership
from eventnet.models.organizer import ROLE_STAFF
from eventnet.services.badges import reissue_badge
from eventnet.services.checkins import check_in


def _checkins():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(CheckIn))


def _staff_of(event, make_organizer):
    staff = make_organizer()
    with write_transaction() as session:
        session.add(Membership(community_id=event.community_id, organizer_id=staff.id,
                               role=ROLE_STAFF))
    return staff


def test_camera_checkin_green_amber_red(client, auth, make_organizer, make_event,
                                        make_attendee):
    event, other = make_event(timezone="Europe/Paris"), make_event()
    staff = _staff_of(event, make_organizer)
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    stranger = make_attendee(other)
    auth.organizer(staff.email)
    assert client.get(f"/events/{event.slug}/checkin").status_code == 200
    url = f"/events/{event.slug}/checkin/scan"
    green = client.post(url, json={"badge": f"http://eventnet.test/b/{ann.badge.token}"})
    assert green.status_code == 200 and green.get_json()["result"] == "green"
    amber = client.post(url, json={"badge": ann.badge.token}).get_json()
    assert amber["result"] == "amber" and amber["checked_in_at"] in amber["message"]
    assert re.fullmatch(r"\d\d:\d\d", amber["checked_in_at"])
    for badge in (stranger.badge.token, "made-up"):
        red = client.post(url, json={"badge": badge})
        assert red.status_code == 404 and red.get_json()["error"]["code"] == "not_registered"
    old = bob.badge.token
    reissue_badge(bob.id)
    revoked = client.post(url, json={"badge": old})
    assert revoked.status_code == 409 and revoked.get_json()["error"]["code"] == "badge_revoked"
    assert client.post(url, data="{oops", content_type="application/json").status_code == 400
    assert _checkins() == 1


def test_amber_shows_the_event_local_time(client, auth, make_organizer, make_event,
                                          make_attendee):
    owner = make_organizer()
    event = make_event(organizer=owner, timezone="Europe/Paris")
    ann = make_attendee(event)
    check_in(ann.id, at=datetime(2026, 1, 15, 17, 5, tzinfo=UTC))
    auth.organizer(owner.email)
    amber = client.post(f"/events/{event.slug}/checkin/scan",
                        json={"badge": ann.badge.token}).get_json()
    assert amber["result"] == "amber" and amber["checked_in_at"] == "18:05"


def test_only_the_event_team_may_check_in(client, auth, make_organizer, make_event,
                                          make_attendee):
    event = make_event()
    ann = make_attendee(event)
    outsider = make_organizer()
    assert client.get(f"/events/{event.slug}/checkin").status_code == 302
    auth.organizer(outsider.email)
    assert client.get(f"/events/{event.slug}/checkin").status_code == 404
    response = client.post(f"/events/{event.slug}/checkin/scan", json={"badge": ann.badge.token})
    assert response.status_code == 404 and _checkins() == 0


def test_json_checkin_needs_the_csrf_header(app, client, auth, make_organizer, make_event,
                                            make_attendee):
    owner = make_organizer()
    event = make_event(organizer=owner)
    ann = make_attendee(event)
    auth.organizer(owner.email)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(f"/events/{event.slug}/checkin").get_data(as_text=True)
    url = f"/events/{event.slug}/checkin/scan"
    assert client.post(url, json={"badge": ann.badge.token}).status_code == 400
    assert _checkins() == 0
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    ok = client.post(url, json={"badge": ann.badge.token}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and _checkins() == 1


def test_search_by_name_and_check_in(client, auth, make_organizer, make_event, make_attendee):
    owner = make_organizer()
    event = make_event(organizer=owner)
    ann = make_attendee(event, "Ann Onyme", company="Acme")
    make_attendee(event, "Bob")
    auth.organizer(owner.email)
    found = client.get(f"/events/{event.slug}/checkin?q=onym").get_data(as_text=True)
    assert "Ann Onyme" in found and "Bob" not in found
    # LIKE wildcards typed in the box are literal characters, not "match everyone"
    assert b"Ann Onyme" not in client.get(f"/events/{event.slug}/checkin?q=%25%25").data
    done = client.post(f"/events/{event.slug}/checkin/{ann.id}")
    assert done.status_code == 200 and b"Checked in: Ann Onyme" in done.data
    again = client.post(f"/events/{event.slug}/checkin/{ann.id}")
    assert b"Already checked in at" in again.data and _checkins() == 1
    other = make_attendee(make_event())
    assert client.post(f"/events/{event.slug}/checkin/{other.id}").status_code == 404


def test_on_the_spot_registration_shows_the_badge(client, auth, make_organizer, make_event,
                                                  make_attendee):
    owner = make_organizer()
    event = make_event(organizer=owner)
    make_attendee(event, email="taken@example.org")
    auth.organizer(owner.email)
    url = f"/events/{event.slug}/checkin/onsite"
    made = client.post(url, data={"name": "Walk <In>", "email": "walk@example.org",
                                  "company": "Acme", "consent_followup": "y"})
    html = made.get_data(as_text=True)
    assert made.status_code == 200 and "Checked in: Walk &lt;In&gt;" in html
    assert "<svg" in html and "Walk <In>" not in html
    walk = db.session.scalars(select(Attendee).where(Attendee.email == "walk@example.org")).one()
    assert walk.source == "onsite" and walk.is_checked_in and walk.consent_followup
    assert walk.badge is not None
    dup = client.post(url, data={"name": "Again", "email": "taken@example.org"})
    assert dup.status_code == 409 and b"already registered" in dup.data
    assert client.post(url, data={"name": ""}).status_code == 422
    assert _checkins() == 1


def _attendees():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Attendee))


def test_on_the_spot_registration_asks_the_required_questions(client, auth, make_organizer,
                                                              make_event):
    owner = make_organizer()
    event = make_event(organizer=owner, questions=[
        {"key": "diet", "label": "Diet", "kind": "choice", "choices": ["vegan", "any"],
         "required": True},
        {"key": "coc", "label": "I accept the code of conduct", "kind": "checkbox",
         "required": True},
        {"key": "team", "label": "Team", "kind": "text"}])
    auth.organizer(owner.email)
    page = client.get(f"/events/{event.slug}/checkin").get_data(as_text=True)
    assert 'name="q_diet"' in page and "I accept the code of conduct" in page
    url = f"/events/{event.slug}/checkin/onsite"
    missing = client.post(url, data={"name": "Walk In", "q_diet": "vegan"})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422 and 'value="Walk In"' in html  # kept, with a message
    assert "has-error" in html and _attendees() == 0 and _checkins() == 0
    wrong = client.post(url, data={"name": "Walk In", "q_diet": "steak", "q_coc": "y"})
    assert wrong.status_code == 422 and _attendees() == 0
    made = client.post(url, data={"name": "Walk In", "q_diet": "vegan", "q_coc": "y",
                                  "q_team": "Blue"})
    assert made.status_code == 200 and b"Checked in: Walk In" in made.data
    walk = db.session.scalars(select(Attendee)).one()
    assert walk.answers == {"diet": "vegan", "coc": True, "team": "Blue"}
    assert walk.is_checked_in


def test_a_full_event_refuses_at_the_door_unless_an_organizer_overrides(
        client, auth, make_organizer, make_event, make_attendee):
    owner = make_organizer()
    event = make_event(organizer=owner, capacity=1)
    staff = _staff_of(event, make_organizer)
    make_attendee(event, "Ann")
    url = f"/events/{event.slug}/checkin/onsite"
    auth.organizer(staff.email)
    page = client.get(f"/events/{event.slug}/checkin").get_data(as_text=True)
    assert "1 registered for 1 place." in page and 'name="over_capacity"' not in page
    # staff cannot override, even by forging the box
    refused = client.post(url, data={"name": "Walk In", "over_capacity": "y"})
    assert refused.status_code == 409 and b"only an organizer" in refused.data
    assert b'value="Walk In"' in refused.data and _attendees() == 1 and _checkins() == 0
    client.post("/organizer/sign-out")
    auth.organizer(owner.email)
    refused = client.post(url, data={"name": "Walk In"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "although the event is full" in html
    assert 'name="over_capacity"' in html and _attendees() == 1
    made = client.post(url, data={"name": "Walk In", "over_capacity": "y"})
    assert made.status_code == 200 and b"Checked in: Walk In" in made.data
    assert _attendees() == 2 and _checkins() == 1
    # the public form still says full: the override was for that one person
    assert b"full" in client.get(f"/e/{event.slug}").data
