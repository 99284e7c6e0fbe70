"""Organizer sign-in, events and printable badges over HTTP."""

from __future__ import annotations

import io

import pypdf
from sqlalchemy import select

from eventnet.extensions import db
from eventnet.models import Community, Event, Membership


def _community_of(organizer) -> str:
    return str(db.session.scalars(select(Community.id).join(Membership)
                                  .where(Membership.organizer_id == organizer.id)).first())


def test_sign_in_and_out(client, auth, make_organizer):
    organizer = make_organizer(email="ann@example.org")
    assert client.get("/organizer/").status_code == 302  # login required
    bad = client.post("/organizer/sign-in", data={"email": organizer.email, "password": "x"})
    assert bad.status_code == 422 and b"Wrong email or password" in bad.data
    assert auth.organizer(organizer.email).status_code == 302
    assert client.get("/organizer/").status_code == 200
    client.post("/organizer/sign-out")
    assert client.get("/organizer/").status_code == 302


def test_create_and_edit_an_event_with_custom_questions(client, auth, make_organizer):
    organizer = make_organizer()
    auth.organizer(organizer.email)
    response = client.post("/events/new", data={
        "slug": "rust-paris", "name": "Rust Paris", "timezone": "Europe/Paris",
        "community": _community_of(organizer),
        "starts_at": "2026-12-03T18:30", "is_registration_open": "y", "capacity": "80",
        "questions": "Dietary needs *: none | vegetarian | vegan\n[ ] Newsletter\nT-shirt size",
        "interest_tags": "Rust, WebAssembly", "scan_tags": "follow-up, hiring",
        "followup_list_size": "8"})
    assert response.status_code == 302
    event = db.session.scalar(select(Event).where(Event.slug == "rust-paris"))
    assert event.starts_at.isoformat() == "2026-12-03T17:30:00+00:00"  # Paris is UTC+1
    assert [q["kind"] for q in event.questions] == ["choice", "checkbox", "text"]
    assert event.questions[0]["required"] and event.capacity == 80
    page = client.get("/e/rust-paris")
    assert b"Dietary needs" in page.data and b"vegan" in page.data
    edit = client.post("/events/rust-paris/edit", data={
        "slug": "ignored", "name": "Rust Paris #2", "timezone": "Nowhere/City",
        "followup_list_size": "8"})
    assert edit.status_code == 422
    edit = client.post("/events/rust-paris/edit", data={
        "slug": "ignored", "name": "Rust Paris #2", "timezone": "UTC",
        "followup_list_size": "8"})
    assert edit.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).name == "Rust Paris #2"


def test_duplicate_slug_and_bad_questions_rerender(client, auth, make_event, make_organizer):
    organizer = make_organizer()
    make_event(slug="taken", organizer=organizer)
    auth.organizer(organizer.email)
    mine = _community_of(organizer)
    taken = client.post("/events/new", data={"slug": "taken", "name": "X", "timezone": "UTC",
                                             "followup_list_size": "10", "community": mine})
    assert taken.status_code == 422 and b"already exists" in taken.data
    bad = client.post("/events/new", data={"slug": "fresh", "name": "X", "timezone": "UTC",
                                           "followup_list_size": "10", "questions": "Pick: one",
                                           "community": mine})
    assert bad.status_code == 422 and b"two choices" in bad.data


def test_the_slug_is_made_from_the_name_when_left_empty(client, auth, make_organizer):
    organizer = make_organizer()
    auth.organizer(organizer.email)
    form = client.get("/events/new").get_data(as_text=True)
    assert form.index('name="name"') < form.index('name="slug"')  # the name comes first
    data = {"name": "Café Tech — Décembre", "timezone": "UTC", "followup_list_size": "10",
            "community": _community_of(organizer)}
    first = client.post("/events/new", data=data)
    second = client.post("/events/new", data=data)
    assert first.status_code == second.status_code == 302
    slugs = set(db.session.scalars(select(Event.slug)))
    assert slugs == {"cafe-tech-decembre", "cafe-tech-decembre-2"}


def test_other_organizers_event_is_a_404(client, auth, make_event, make_organizer):
    mine, theirs = make_organizer(), make_organizer()
    event = make_event(organizer=theirs)
    auth.organizer(mine.email)
    for path in (f"/events/{event.slug}/", f"/events/{event.slug}/edit",
                 f"/events/{event.slug}/badges.pdf"):
        assert client.get(path).status_code == 404, path


def test_badges_pdf_has_names_and_decodable_qr_codes(client, auth, make_event, make_organizer,
                                                     make_attendee):
    import pypdfium2
    import zxingcpp

    organizer = make_organizer()
    event = make_event(organizer=organizer, name="Paris Data")
    people = [make_attendee(event, name=f"Personne {i}", company="Société Générale")
              for i in range(6)]
    auth.organizer(organizer.email)
    response = client.get(f"/events/{event.slug}/badges.pdf?layout=sheet-6&paper=a4")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = reader.pages[0].extract_text()
    assert "Personne 0" in text and "Société Générale" in text
    page = pypdfium2.PdfDocument(response.data)[0]
    image = page.render(scale=3).to_pil()
    decoded = {r.text for r in zxingcpp.read_barcodes(image)}
    assert decoded == {f"http://eventnet.test/b/{p.badge.token}" for p in people}
    one = client.get(f"/events/{event.slug}/badges.pdf?layout=a6&paper=a4&attendee={people[0].id}")
    assert len(pypdf.PdfReader(io.BytesIO(one.data)).pages) == 1
    assert client.get(f"/events/{event.slug}/badges.pdf?layout=poster&paper=a4").status_code == 400
    # a label printer's roll: one 4 × 3 in badge a label, as the door prints them
    labels = client.get(f"/events/{event.slug}/badges.pdf?layout=label&paper=a4")
    assert labels.status_code == 200
    pages = pypdf.PdfReader(io.BytesIO(labels.data)).pages
    assert len(pages) == 6
    assert (round(float(pages[0].mediabox.width)), round(float(pages[0].mediabox.height))) \
        == (288, 216)
    assert 'value="label"' in client.get(f"/events/{event.slug}/").get_data(as_text=True)


def test_empty_event_badges_is_a_clear_error(client, auth, make_event, make_organizer):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    auth.organizer(organizer.email)
    response = client.get(f"/events/{event.slug}/badges.pdf?layout=a6&paper=a4")
    assert response.status_code == 422 and b"no badges" in response.data


def test_demo_event_is_visible_to_its_organizer(client, auth, app):
    from eventnet.services.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, create_demo

    create_demo(attendee_count=12)
    auth.organizer(DEMO_EMAIL, DEMO_PASSWORD)
    listing = client.get("/organizer/")
    assert DEMO_SLUG.encode() in listing.data
    assert client.get(f"/events/{DEMO_SLUG}/").status_code == 200


HUGE = 2**31  # one past PostgreSQL's INTEGER: it used to fail inside the database (500)


def test_ids_out_of_range_are_clear_errors(client, auth, make_event, make_organizer,
                                           make_attendee):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    make_attendee(event, "Ann")
    auth.organizer(organizer.email)
    base = f"/events/{event.slug}"
    for path in (f"{base}/attendees/{HUGE}", f"{base}/followups/preview/{HUGE}",
                 f"{base}/badges.pdf?layout=a6&paper=a4&attendee={HUGE}",
                 f"{base}/badges.pdf?layout=a6&paper=a4&attendee=abc"):
        assert client.get(path).status_code == 404, path
    pick = client.get(f"{base}/followups/preview?attendee={HUGE}")
    assert pick.status_code == 302 and pick.location.endswith(f"{base}/followups")
    sent = client.post(f"{base}/followups/test", data={"attendee": str(HUGE)})
    assert sent.status_code == 302
    assert b"Choose an attendee." in client.get(f"{base}/followups").data
    edit = client.post(f"{base}/edit", data={"name": "Big", "timezone": "UTC",
                                             "capacity": str(HUGE), "followup_list_size": "10"})
    assert edit.status_code == 422 and b"1000000" in edit.data
    db.session.rollback()
    assert db.session.get(Event, event.id).capacity is None
