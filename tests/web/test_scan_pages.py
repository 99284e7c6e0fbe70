"""The badge page /b/<token>: what a phone's own camera opens."""

from __future__ import annotations

import re
import time

from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import Scan
from eventnet.services.badges import reissue_badge
from eventnet.services.scans import scan_badge
from tests.conftest import open_magic_link


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


def test_contact_details_only_with_consent_and_a_mutual_connection(client, auth, make_event,
                                                                   make_attendee):
    event = make_event()
    ann = make_attendee(event)
    shy = make_attendee(event, email="shy@example.org", consent_share_contact=False)
    open_ = make_attendee(event, email="open@example.org", consent_share_contact=True)
    auth.attendee(ann)
    assert b"open@example.org" not in client.get(f"/b/{open_.badge.token}").data
    scan_badge(ann.id, event.id, open_.badge.token)
    scan_badge(ann.id, event.id, shy.badge.token)
    assert b"open@example.org" not in client.get(f"/b/{open_.badge.token}").data  # one-way
    scan_badge(open_.id, event.id, ann.badge.token)
    scan_badge(shy.id, event.id, ann.badge.token)
    assert b"open@example.org" in client.get(f"/b/{open_.badge.token}").data  # mutual
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
    landed = open_magic_link(client, link, follow_redirects=True)
    assert landed.status_code == 200 and b"is in your connections" in landed.data
    client.get(f"/b/{bob.badge.token}")  # coming back does not record it again
    assert _scans() == 1
    scan = db.session.scalars(select(Scan)).one()
    assert scan.scanner_id == ann.id and scan.note == "met at the bar"


def _ask_for_link(client, smtp, badge_token: str, email: str, **fields) -> str:
    """Leave an email on the badge page; returns the path of the magic link mailed."""
    html = client.get(f"/b/{badge_token}").get_data(as_text=True)
    sent = client.post(f"/b/{badge_token}/identify",
                       data={"email": email, "client_id": _client_id(html), **fields})
    assert sent.status_code == 200 and b"Check your inbox" in sent.data
    body = smtp.to(email)[-1].get_body(("plain",)).get_content()
    return re.search(r"http://eventnet\.test(/m/\S+)", body).group(1)


def test_the_pending_scan_completes_in_another_browser(app, client, smtp, make_event,
                                                      make_attendee):
    event = make_event(scan_tags=["hiring", "mentor"])
    ann = make_attendee(event, email="ann@example.org")
    bob = make_attendee(event, "Bob")
    link = _ask_for_link(client, smtp, bob.badge.token, "ann@example.org",
                         note="Rust in prod", tags=["mentor"])
    other = app.test_client()  # the mail app's own browser: none of the first one's cookies
    app.config["WTF_CSRF_ENABLED"] = True  # the fixture turns it off again for the next test
    landed = open_magic_link(other, link, follow_redirects=True)
    html = landed.get_data(as_text=True)
    # a GET (a mail scanner following the link, too) only shows what will be saved
    assert landed.status_code == 200 and _scans() == 0
    assert "Save Bob in your connections?" in html and "Rust in prod" in html
    assert re.search(r'value="mentor"[^>]*checked|checked[^>]*value="mentor"', html)
    action = re.search(r'<form method="post" action="([^"]+/pending/[^"]+)"', html).group(1)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    form = {"note": "Rust in prod", "tags": ["mentor"], "client_id": "forged",
            "csrf_token": csrf}
    assert other.post(action, data={**form, "csrf_token": ""}).status_code == 400
    assert _scans() == 0
    assert other.post(action, data=form).status_code == 302
    assert other.post(action, data=form).status_code == 302  # a double tap
    assert other.get(link, follow_redirects=True).status_code == 200  # the link again
    # (spent, but this browser is signed in as Ann: it goes on to the page)
    assert _scans() == 1
    scan = db.session.scalars(select(Scan)).one()
    assert (scan.scanner_id, scan.scanned_id, scan.note, scan.tags, scan.source) == (
        ann.id, bob.id, "Rust in prod", ["mentor"], "badge")
    assert scan.client_id.startswith("badge-page:")  # the signed one, not the form's
    # the first browser cannot use the spent link, and would record it once anyway
    assert open_magic_link(client, link).status_code == 400
    assert _scans() == 1


def test_a_tampered_expired_or_forwarded_pending_link_saves_nothing(app, client, smtp,
                                                                    make_event, make_attendee):
    from eventnet.services.attendees import magic_link

    event = make_event()
    ann = make_attendee(event, email="ann@example.org")
    bob, eve = make_attendee(event, "Bob"), make_attendee(event, "Eve")
    link = _ask_for_link(client, smtp, bob.badge.token, "ann@example.org", note="hi")
    other = app.test_client()
    pending = open_magic_link(other, link).headers["Location"]
    assert "/pending/" in pending
    head, _, token = pending.rpartition("/")
    tampered = other.get(f"{head}/{token[:-3]}abc")
    assert tampered.status_code == 400 and b"This link is invalid" in tampered.data
    moved = other.get(pending.replace(bob.badge.token, eve.badge.token))
    assert moved.status_code == 400
    assert other.post(f"{head}/{token[:-3]}abc", data={"client_id": "x"}).status_code == 400
    # forwarded to someone else, signed in as themself: nothing is saved for them
    third = app.test_client()
    open_magic_link(third, magic_link(eve))
    forwarded = third.get(pending)
    assert forwarded.status_code == 403 and b"sent to someone else" in forwarded.data
    assert third.post(pending, data={"client_id": "x"}).status_code == 403
    # not signed in at all: just the badge page
    assert app.test_client().get(pending).headers["Location"].endswith(f"/b/{bob.badge.token}")
    # a week and a day later
    from unittest import mock

    from eventnet.services import links

    week_ago = time.time() - 8 * 24 * 3600
    with mock.patch("eventnet.services.links.time.time", return_value=week_ago):
        old = links.sign(links.PENDING_SCAN, {"a": ann.id, "b": bob.badge.token, "c": "x"})
    expired = other.get(f"/b/{bob.badge.token}/pending/{old}")
    assert expired.status_code == 400 and b"expired" in expired.data
    assert _scans() == 0


def test_a_note_too_long_for_a_link_is_refused_before_mailing(client, smtp, make_event,
                                                              make_attendee):
    import secrets

    event = make_event()
    make_attendee(event, email="ann@example.org")
    bob = make_attendee(event, "Bob")
    html = client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    refused = client.post(f"/b/{bob.badge.token}/identify", data={
        "email": "ann@example.org", "client_id": _client_id(html),
        "note": secrets.token_urlsafe(1400)[:1900]})  # random text does not compress
    assert refused.status_code == 422 and b"too long to travel" in refused.data
    assert smtp.to("ann@example.org") == []


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


def test_scanner_page_is_a_shell_and_the_token_comes_from_a_never_cached_call(
        client, auth, make_event, make_attendee):
    from eventnet.services.attendees import access_token

    event = make_event()
    ann = make_attendee(event, "Ann")
    assert client.get(f"/e/{event.slug}/scan").status_code == 302  # sign in first
    signed_out = client.get(f"/e/{event.slug}/scan/session")
    assert signed_out.status_code == 401 and signed_out.headers["Cache-Control"] == "no-store"
    assert signed_out.get_json()["error"]["code"] == "signed_out"
    auth.attendee(ann)
    page = client.get(f"/e/{event.slug}/scan")
    # the service worker keeps this page: nothing personal in it
    assert page.status_code == 200 and access_token(ann).encode() not in page.data
    assert b"vendor/zxing-wasm/zxing_reader.wasm" in page.data and b"/sw.js" in page.data
    me = client.get(f"/e/{event.slug}/scan/session")
    assert me.status_code == 200 and me.headers["Cache-Control"] == "no-store"
    assert me.get_json() == {"attendee": {"id": ann.id, "name": "Ann"},
                             "token": access_token(ann)}
    assert client.get("/scan").headers["Location"].endswith(f"/e/{event.slug}/scan")


def test_the_service_worker_is_versioned_by_the_files_it_caches(app, client, tmp_path,
                                                                 monkeypatch):
    import shutil

    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/"
    assert worker.headers["Cache-Control"] == "no-cache"
    script = worker.get_data(as_text=True)
    assert "__VERSION__" not in script and "__ASSETS__" not in script
    assert '"/static/vendor/zxing-wasm/zxing_reader.wasm"' in script
    assert '"/static/js/scanner.js"' in script and "/api/" not in script.split("ASSETS =")[1][:600]
    assert client.get("/sw.js").data == worker.data  # stable between deploys...
    # a deploy that changes one cached file, in a copy of the static folder
    deployed = tmp_path / "static"
    shutil.copytree(app.static_folder, deployed)
    (deployed / "js" / "scanner.js").write_text("// a new deploy\n", encoding="utf-8")
    monkeypatch.setattr(app, "static_folder", str(deployed))
    changed = client.get("/sw.js").get_data(as_text=True)
    version = re.compile(r'const VERSION = "([0-9a-f]+)"')
    # ...and a new version (a new cache, old ones deleted) when a cached file changes
    assert version.search(changed).group(1) != version.search(script).group(1)
