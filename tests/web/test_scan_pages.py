"""The badge page /b/<token>: what a phone's own camera opens."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import Scan
from eventnet.services.attendees import reissue_badge
from eventnet.services.scans import scan_badge


def _scans():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Scan))


def _client_id(html: str) -> str:
    return re.search(r'name="client_id" type="hidden" value="([^"]+)"', html).group(1)


def test_get_never_records_and_the_post_saves_once(client, auth, make_event, make_attendee):
    event = make_event(scan_tags=["hiring", "mentor"])
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob <b>", company="Acme")
    auth.attendee(ann)
    page = client.get(f"/b/{bob.badge.token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "We met — save" in html and "mentor" in html
    assert "Bob &lt;b&gt;" in html and "Bob <b>" not in html
    assert _scans() == 0
    client.get(f"/b/{bob.badge.token}", headers={"Purpose": "prefetch"})
    assert _scans() == 0
    form = {"note": "Rust at Acme", "tags": ["hiring"], "client_id": _client_id(html)}
    saved = client.post(f"/b/{bob.badge.token}", data=form)
    assert saved.status_code == 302
    # a double tap / resubmission of the same page is recorded once
    client.post(f"/b/{bob.badge.token}", data=form)
    assert _scans() == 1
    scan = db.session.scalars(select(Scan)).one()
    assert (scan.note, scan.tags, scan.source) == ("Rust at Acme", ["hiring"], "badge")
    assert b"is in your connections" in client.get(f"/b/{bob.badge.token}").data


def test_unknown_tag_is_refused(client, auth, make_event, make_attendee):
    event = make_event(scan_tags=["hiring"])
    ann, bob = make_attendee(event), make_attendee(event)
    auth.attendee(ann)
    html = client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    bad = client.post(f"/b/{bob.badge.token}", data={"tags": ["<script>"],
                                                      "client_id": _client_id(html)})
    assert bad.status_code == 422 and _scans() == 0


def test_csrf_is_required_on_the_save_form(app, client, auth, make_event, make_attendee):
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event)
    auth.attendee(ann)
    app.config["WTF_CSRF_ENABLED"] = True  # the fixture turns it off again for the next test
    html = client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    forged = client.post(f"/b/{bob.badge.token}", data={"client_id": _client_id(html)})
    assert forged.status_code == 400 and _scans() == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    ok = client.post(f"/b/{bob.badge.token}", data={"client_id": _client_id(html),
                                                     "csrf_token": token})
    assert ok.status_code == 302 and _scans() == 1


def test_contact_details_only_with_consent_and_a_connection(client, auth, make_event,
                                                            make_attendee):
    event = make_event()
    ann = make_attendee(event)
    shy = make_attendee(event, email="shy@example.org", consent_share_contact=False)
    open_ = make_attendee(event, email="open@example.org", consent_share_contact=True)
    auth.attendee(ann)
    assert b"open@example.org" not in client.get(f"/b/{open_.badge.token}").data
    scan_badge(ann.id, event.id, open_.badge.token)
    scan_badge(ann.id, event.id, shy.badge.token)
    assert b"open@example.org" in client.get(f"/b/{open_.badge.token}").data
    assert b"shy@example.org" not in client.get(f"/b/{shy.badge.token}").data
    client.get(f"/e/{event.slug}/me")  # a fresh client sees no contact either
    assert b"open@example.org" not in client.application.test_client().get(
        f"/b/{open_.badge.token}").data


def test_not_signed_in_the_scan_waits_for_the_magic_link(client, smtp, make_event,
                                                         make_attendee):
    event = make_event()
    ann = make_attendee(event, email="ann@example.org")
    bob = make_attendee(event, "Bob")
    page = client.get(f"/b/{bob.badge.token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Bob" in html and 'name="email"' in html
    sent = client.post(f"/b/{bob.badge.token}/identify", data={
        "email": "ann@example.org", "note": "met at the bar", "client_id": _client_id(html)})
    assert sent.status_code == 200 and b"Check your inbox" in sent.data
    assert _scans() == 0
    body = smtp.to("ann@example.org")[-1].get_body(("plain",)).get_content()
    link = re.search(r"http://eventnet\.test(/m/\S+)", body).group(1)
    landed = client.get(link, follow_redirects=True)
    assert landed.status_code == 200 and b"is in your connections" in landed.data
    client.get(f"/b/{bob.badge.token}")  # coming back does not record it again
    assert _scans() == 1
    scan = db.session.scalars(select(Scan)).one()
    assert scan.scanner_id == ann.id and scan.note == "met at the bar"


def test_unknown_email_gets_the_same_answer_and_nothing_is_sent(client, smtp, make_event,
                                                                make_attendee):
    event = make_event()
    bob = make_attendee(event)
    html = client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    sent = client.post(f"/b/{bob.badge.token}/identify", data={
        "email": "stranger@example.org", "client_id": _client_id(html)})
    assert sent.status_code == 200 and b"Check your inbox" in sent.data
    assert smtp.to("stranger@example.org") == []


def test_own_revoked_other_event_and_unknown_badges(client, auth, make_event, make_attendee):
    event, other = make_event(name="Rust Paris"), make_event(name="Go Lyon")
    ann, bob = make_attendee(event), make_attendee(event)
    stranger = make_attendee(other)
    auth.attendee(ann)
    own = client.get(f"/b/{ann.badge.token}")
    assert own.status_code == 200 and b"This is you" in own.data and b"We met" not in own.data
    elsewhere = client.get(f"/b/{stranger.badge.token}")
    assert b"This badge is for Go Lyon" in elsewhere.data
    old = bob.badge.token
    reissue_badge(bob.id)
    revoked = client.get(f"/b/{old}")
    assert revoked.status_code == 410 and b"revoked" in revoked.data
    assert b"We met" not in revoked.data
    assert client.post(f"/b/{old}", data={"client_id": "x"}).status_code == 302
    assert client.get("/b/not-a-real-token").status_code == 404
    assert _scans() == 0


def test_scanner_page_embeds_the_token_and_is_never_cached(client, auth, make_event,
                                                           make_attendee):
    from eventnet.services.attendees import access_token

    event = make_event()
    ann = make_attendee(event)
    assert client.get(f"/e/{event.slug}/scan").status_code == 302  # sign in first
    auth.attendee(ann)
    page = client.get(f"/e/{event.slug}/scan")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert access_token(ann).encode() in page.data
    assert b"vendor/zxing-wasm/zxing_reader.wasm" in page.data
    assert client.get("/scan").headers["Location"].endswith(f"/e/{event.slug}/scan")
