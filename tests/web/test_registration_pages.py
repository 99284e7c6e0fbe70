"""The public registration page, the attendee's own page and magic links, over HTTP."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import Attendee
from tests.conftest import open_magic_link


def form(**fields):
    data = {"name": "Ada Lovelace", "email": "ada@example.org", "company": "Engines",
            "title": "Analyst", "interests": "Python, data, Python", "offers": "math\nmentoring",
            "asks": "investors", "links": "https://ada.example.org", "language": "en",
            "consent_followup": "y", "consent_share_contact": "y"}
    data.update(fields)
    return data


def link_in(message, marker):
    body = message.get_body(("plain",)).get_content()
    url = re.search(rf"https?://\S*{marker}\S*", body).group(0)
    return url.replace("http://eventnet.test", "")


def test_register_then_open_the_magic_link_and_see_the_badge(client, make_event, smtp):
    event = make_event(name="Rust Paris", interest_tags=["Rust", "WebAssembly"])
    page = client.get(f"/e/{event.slug}")
    assert page.status_code == 200 and b"Rust Paris" in page.data and b"WebAssembly" in page.data
    response = client.post(f"/e/{event.slug}", data=form())
    assert response.status_code == 302 and "/registered" in response.location
    inbox = client.get(response.location)
    assert b"ada@example.org" in inbox.data
    attendee = db.session.scalar(select(Attendee))
    assert attendee.interests == ["Python", "data"]  # duplicates folded
    assert attendee.consent_share_contact and not attendee.consent_introductions
    home = open_magic_link(client, link_in(smtp.to("ada@example.org")[0], "/m/"),
                           follow_redirects=True)
    assert home.status_code == 200
    assert f"/b/{attendee.badge.token}/qr.svg".encode() in home.data
    qr = client.get(f"/b/{attendee.badge.token}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"


def test_invalid_form_rerenders_with_field_messages_and_stores_nothing(client, make_event):
    event = make_event()
    response = client.post(f"/e/{event.slug}", data=form(email="nope", name=""))
    assert response.status_code == 422
    assert response.data.count(b'class="error"') >= 2
    assert db.session.scalar(select(func.count(Attendee.id))) == 0


def _without_csrf(page: bytes) -> bytes:
    return re.sub(rb'name="csrf_token" value="[^"]*"', b'name="csrf_token"', page)


def test_known_and_unknown_emails_get_the_same_answer(client, make_event, make_attendee, smtp):
    event = make_event()
    make_attendee(event, email="known@example.org")
    known = client.post(f"/e/{event.slug}", data=form(email="known@example.org"))
    new = client.post(f"/e/{event.slug}", data=form(email="new@example.org"))
    assert known.status_code == new.status_code == 302
    assert "/registered" in known.location and "/registered" in new.location
    a = client.post(f"/e/{event.slug}/signin", data={"email": "known@example.org"})
    b = client.post(f"/e/{event.slug}/signin", data={"email": "stranger@example.org"})
    assert a.status_code == b.status_code == 200
    # the pages' CSRF tokens carry the second they were signed in, which may differ
    assert _without_csrf(a.data).replace(b"known", b"X") == \
        _without_csrf(b.data).replace(b"stranger", b"X")
    assert smtp.to("stranger@example.org") == []
    assert len(smtp.to("known@example.org")) == 2  # update confirmation + sign-in link


def test_update_link_confirms_on_post_only(client, make_event, make_attendee, smtp):
    event = make_event()
    make_attendee(event, email="ada@example.org", company="Old")
    client.post(f"/e/{event.slug}", data=form(company="New"))
    path = link_in(smtp.to("ada@example.org")[-1], "/update/")
    assert client.get(path).status_code == 200
    assert db.session.scalar(select(Attendee.company)) == "Old"  # a GET changes nothing
    assert client.post(path).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Attendee.company)) == "New"
    assert client.post(path[:-4] + "abcd").status_code == 400


def test_full_and_closed_events_say_so(client, make_event, make_attendee):
    full = make_event(capacity=1)
    make_attendee(full)
    assert b"full" in client.get(f"/e/{full.slug}").data
    assert client.post(f"/e/{full.slug}", data=form()).status_code == 422
    closed = make_event(is_registration_open=False)
    assert b"closed" in client.get(f"/e/{closed.slug}").data


def test_attendee_edits_profile_and_custom_answers(client, auth, make_event, make_attendee):
    event = make_event(questions=[{"key": "diet", "label": "Diet", "kind": "text",
                                   "required": False, "choices": []}])
    attendee = make_attendee(event, name="Grace")
    auth.attendee(attendee)
    response = client.post(f"/e/{event.slug}/me", data={
        "name": "Grace Hopper", "company": "Navy", "interests": "COBOL", "language": "fr",
        "q_diet": "vegetarian", "consent_introductions": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Attendee, attendee.id)
    assert (saved.name, saved.company, saved.language) == ("Grace Hopper", "Navy", "fr")
    assert saved.answers == {"diet": "vegetarian"} and saved.consent_introductions
    assert not saved.consent_followup


def test_attendee_page_requires_sign_in_and_bad_links_are_clear(client, make_event):
    event = make_event()
    response = client.get(f"/e/{event.slug}/me")
    assert response.status_code == 302 and "/signin" in response.location
    bad = client.get("/m/not-a-real-token")
    assert bad.status_code == 400 and b"invalid" in bad.data


def test_unknown_slugs_and_badges_are_proper_404_pages(client):
    for path in ("/e/nope", "/b/nope", "/b/nope/qr.png", "/e/nope/me", "/nothing-here"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"<html" in response.data


def test_html_in_profile_is_escaped(client, auth, make_event, make_attendee):
    event = make_event()
    attendee = make_attendee(event, name="<script>alert(1)</script>")
    response = client.get(f"/b/{attendee.badge.token}")
    assert b"<script>alert(1)" not in response.data
    assert b"&lt;script&gt;" in response.data


def test_language_follows_accept_language_and_choice(client, make_event):
    event = make_event()
    french = client.get(f"/e/{event.slug}", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert b"Inscription" in french.data or b"inscrire" in french.data
    client.post("/language", data={"lang": "en", "next": f"/e/{event.slug}"})
    english = client.get(f"/e/{event.slug}", headers={"Accept-Language": "fr-FR"})
    assert b"Register" in english.data


def test_csrf_is_enforced_on_forms(app, make_event):
    event = make_event()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = app.test_client().post(f"/e/{event.slug}", data=form())
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Attendee.id))) == 0


def test_a_bad_link_says_so_in_the_reader_s_language(client):
    french = client.get("/m/not-a-signed-token", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert french.status_code == 400
    assert "Ce lien n’est pas valide." in french.get_data(as_text=True)
    english = client.get("/m/not-a-signed-token", headers={"Accept-Language": "en"})
    assert english.status_code == 400
    assert "This link is invalid." in english.get_data(as_text=True)


def test_a_french_reader_is_offered_french_mail_and_can_change_it(client, auth, make_event,
                                                                   make_attendee, smtp):
    event = make_event()
    page = client.get(f"/e/{event.slug}", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert re.search(rb'<option selected value="fr">', page.data)
    english = client.get(f"/e/{event.slug}", headers={"Accept-Language": "en-GB"})
    assert re.search(rb'<option selected value="en">', english.data)
    response = client.post(f"/e/{event.slug}", data=form(language="fr"),
                           headers={"Accept-Language": "fr-FR"})
    assert response.status_code == 302
    attendee = db.session.scalar(select(Attendee))
    assert attendee.language == "fr"
    assert "Inscription confirmée" in str(smtp.to("ada@example.org")[0]["Subject"])
    auth.attendee(attendee)
    home = client.get(f"/e/{event.slug}/me", headers={"Accept-Language": "fr-FR"})
    assert re.search(rb'<option selected value="fr">', home.data)


def test_the_phone_is_given_seen_and_changed_by_the_attendee(client, auth, make_event, smtp):
    event = make_event()
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    # the consent that shares it names it
    assert "Share my email, phone and links with the people I connect with" in page
    assert 'name="phone"' in page
    response = client.post(f"/e/{event.slug}", data=form(phone=" +33 6 12 34 56 78 "))
    assert response.status_code == 302
    attendee = db.session.scalar(select(Attendee))
    assert attendee.phone == "+33 6 12 34 56 78"
    auth.attendee(attendee)
    home = client.get(f"/e/{event.slug}/me").get_data(as_text=True)
    assert re.search(r'name="phone"[^>]*value="\+33 6 12 34 56 78"', home)
    # saved again as the browser sends it back, the phone stays; emptied, it goes
    kept = {"name": "Ada Lovelace", "language": "en", "consent_share_contact": "y"}
    assert client.post(f"/e/{event.slug}/me",
                       data={**kept, "phone": "+33 6 12 34 56 78"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Attendee, attendee.id).phone == "+33 6 12 34 56 78"
    assert client.post(f"/e/{event.slug}/me", data={**kept, "phone": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Attendee, attendee.id).phone == ""
    too_long = client.post(f"/e/{event.slug}/me", data={**kept, "phone": "1" * 51})
    assert too_long.status_code == 422


def test_the_french_form_names_the_phone_in_the_consent(client, make_event):
    event = make_event()
    page = client.get(f"/e/{event.slug}", headers={"Accept-Language": "fr"}).get_data(
        as_text=True)
    assert "Partager mon e-mail, mon téléphone et mes liens" in page
    assert "Téléphone (facultatif)" in page
