"""When someone's email, phone and links are shown: one rule, everywhere (issue 16, item 4).

``connections.shares_contact_with(viewer, other)``: only when ``other`` consented to share
their contact details with the people they connect with, is not erased, and the connection
is mutual: both scanned each other (issue 13: a one-way scan, of a photo of a printed badge
say, gives the scanner the name only).
The viewer's own consent plays no part, except in the organizer's connections export,
which names a pair only when both may see each other's details. Every place that shows
contact details is checked against the rule for every combination of consents and
connection.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from eventnet.services import followup_mail
from eventnet.services.attendees import access_token
from eventnet.services.connections import shares_contact_with
from eventnet.services.erasure import erase_attendee
from eventnet.services.scans import record_scan

OTHER = "other@example.org"
COMBINATIONS = list(itertools.product(
    (True, False),  # the other person shares their contact details
    (True, False),  # the viewer shares theirs
    ("none", "viewer scanned", "other scanned", "both scanned"),  # how they met
))


@pytest.mark.parametrize(("other_shares", "viewer_shares", "met"), COMBINATIONS)
def test_every_place_follows_shares_contact_with(
        client: Any, auth: Any, make_organizer: Any, make_event: Any, make_attendee: Any,
        other_shares: bool, viewer_shares: bool, met: str) -> None:
    organizer = make_organizer("boss@example.org")
    event = make_event(organizer=organizer, name="Rust Meetup")
    viewer = make_attendee(event, "Vic Viewer", "viewer@example.org",
                           consent_share_contact=viewer_shares)
    other = make_attendee(event, "Olga Other", OTHER, consent_share_contact=other_shares,
                          phone="+33 1 23", links=["https://olga.example"])
    bystander = make_attendee(event, "Ben Bystander", "ben@example.org",
                              consent_share_contact=False)  # no hint about him
    if met in ("viewer scanned", "both scanned"):
        record_scan(viewer.id, other.id)
    if met in ("other scanned", "both scanned"):
        record_scan(other.id, viewer.id)
    record_scan(viewer.id, bystander.id)  # so that the viewer always has a follow-up
    expected = other_shares and met == "both scanned"

    assert shares_contact_with(viewer, other) is expected
    assert shares_contact_with(other, other) is False  # nobody "met" themselves

    # the badge page, signed in as the viewer
    auth.attendee(viewer)
    page = client.get(f"/b/{other.badge.token}").get_data(as_text=True)
    assert (OTHER in page) is expected
    assert ("once they scan your badge too" in page) is (
        other_shares and met == "viewer scanned")
    # my connections in the API (what the scanner app shows)
    people = {c["person"]["name"]: c["person"] for c in client.get(
        "/api/v1/me/connections",
        headers={"Authorization": f"Bearer {access_token(viewer)}"}).get_json()["connections"]}
    if met != "none":
        assert ("email" in people["Olga Other"]) is expected
        assert ("links" in people["Olga Other"]) is expected
        assert people["Olga Other"]["name"] == "Olga Other"  # the name, always
    # my page: the details, or when they will come
    home = client.get(f"/e/{event.slug}/me").get_data(as_text=True)
    assert (OTHER in home) is expected
    assert ("once they scan your badge too" in home) is (
        other_shares and met == "viewer scanned")
    assert ("Scan their badge too to exchange contact details" in home) is (
        other_shares and met == "other scanned")
    # the vCard of one connection, and the .vcf and .csv of all of them
    card = client.get(f"/e/{event.slug}/me/contacts/{other.id}.vcf")
    assert card.status_code == (200 if expected else 404)
    for export in ("connections.vcf", "connections.csv"):
        body = client.get(f"/e/{event.slug}/me/{export}").get_data(as_text=True)
        assert (OTHER in body) is expected, export
        assert ("olga.example" in body) is expected, export
    # the follow-up email
    mail = followup_mail.preview_email(event, viewer.id)
    assert (OTHER in mail["text"]) is expected
    assert (OTHER in mail["html"]) is expected
    # the organizer's export names a pair only when both may see each other's details
    auth.organizer("boss@example.org")
    export = client.get(f"/events/{event.slug}/exports/connections.csv").get_data(as_text=True)
    assert (OTHER in export) is (expected and viewer_shares)


def test_nobody_sees_an_erased_persons_details(make_event: Any, make_attendee: Any) -> None:
    event = make_event()
    viewer, other = make_attendee(event), make_attendee(event)
    record_scan(viewer.id, other.id)
    record_scan(other.id, viewer.id)
    assert shares_contact_with(viewer, other)
    erase_attendee(other.id)
    from eventnet.extensions import db

    db.session.expire_all()
    assert not shares_contact_with(viewer, other)
    assert not shares_contact_with(viewer, other, mutual=True)
    assert not shares_contact_with(None, {"consent_share_contact": False, "erased_at": None},
                                   mutual=True)
    assert shares_contact_with(None, {"consent_share_contact": True, "erased_at": None},
                               mutual=True)
    assert not shares_contact_with(None, {"consent_share_contact": True, "erased_at": None},
                                   mutual=False)
    assert not shares_contact_with(None, other)


@pytest.mark.parametrize("route", ["api", "badge page"])
def test_a_one_way_scan_gives_the_name_and_scanning_back_gives_the_details(
        client: Any, auth: Any, make_event: Any, make_attendee: Any, route: str) -> None:
    event = make_event()
    viewer = make_attendee(event, "Vic Viewer", "viewer@example.org",
                           consent_share_contact=True)
    other = make_attendee(event, "Olga Other", OTHER, consent_share_contact=True,
                          phone="+33 1 23", links=["https://olga.example"])
    if route == "api":
        answer = client.post("/api/v1/scans", json={"badge": other.badge.token},
                             headers={"Authorization": f"Bearer {access_token(viewer)}"})
        assert answer.status_code == 201
        connection = answer.get_json()["connection"]
        assert connection["person"]["name"] == "Olga Other"
        assert not {"email", "links", "phone"} & set(connection["person"])
        assert connection["contact_when_mutual"] is True  # "once they scan you back"
    else:
        auth.attendee(viewer)
        page = client.post(f"/b/{other.badge.token}", data={"note": ""},
                           follow_redirects=True).get_data(as_text=True)
        assert "Olga Other" in page and OTHER not in page and "olga.example" not in page
        assert "Their contact details will be shared with you once they scan your badge too" \
            in page
    # scanning back is the confirmation: both see each other's details now
    back = client.post("/api/v1/scans", json={"badge": viewer.badge.token},
                       headers={"Authorization": f"Bearer {access_token(other)}"})
    assert back.get_json()["connection"]["person"]["email"] == "viewer@example.org"
    assert back.get_json()["connection"]["contact_when_mutual"] is False
    mine = client.get("/api/v1/me/connections",
                      headers={"Authorization": f"Bearer {access_token(viewer)}"})
    person = mine.get_json()["connections"][0]["person"]
    assert person["email"] == OTHER and person["links"] == ["https://olga.example"]


def test_the_scanner_is_told_in_french_too(client: Any, auth: Any, make_event: Any,
                                           make_attendee: Any) -> None:
    event = make_event()
    viewer = make_attendee(event, "Vic Viewer", "viewer@example.org", language="fr")
    other = make_attendee(event, "Olga Other", OTHER, consent_share_contact=True)
    record_scan(viewer.id, other.id)
    auth.attendee(viewer)
    page = client.get(f"/b/{other.badge.token}",
                      headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert ("Ses coordonnées vous seront transmises quand cette personne aura scanné "
            "votre badge à son tour.") in page
    assert OTHER not in page
