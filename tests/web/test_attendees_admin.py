"""The organizer's attendee pages: list, search, filters, detail, edit, badges, erasure."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import (
    Attendee,
    Badge,
    Connection,
    Event,
    Introduction,
    OutboundEmail,
    Person,
    Scan,
)
from eventnet.services import erasure
from eventnet.services.checkins import check_in
from eventnet.services.demo import DEMO_EMAIL, DEMO_SLUG, create_demo
from eventnet.services.scans import record_scan


def _org_event(make_organizer, make_event, auth, **fields):
    organizer = make_organizer()
    event = make_event(organizer=organizer, **fields)
    auth.organizer(organizer.email)
    return organizer, event


def test_every_attendee_page_renders_with_the_demo_data(client, auth):
    create_demo(attendee_count=25)
    auth.organizer(DEMO_EMAIL, "eventnet-demo")
    event = db.session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
    attendee = db.session.scalar(select(Attendee).where(Attendee.event_id == event.id)
                                 .order_by(Attendee.id))
    base = f"/events/{DEMO_SLUG}"
    for path in ("/attendees", "/attendees?q=a&filter=checked_in&filter=scanned",
                 "/attendees?filter=no_consent&filter=not_scanned&filter=not_checked_in",
                 f"/attendees/{attendee.id}", f"/attendees/{attendee.id}/edit",
                 f"/attendees/{attendee.id}/erase", f"/attendees/{attendee.id}/revoke-badge",
                 f"/attendees/{attendee.id}/reissue-badge", "/import", "/exports",
                 "/exports/attendees.csv", "/exports/connections.csv",
                 "/exports/network.graphml"):
        response = client.get(base + path)
        assert response.status_code == 200, path
    detail = client.get(f"{base}/attendees/{attendee.id}").get_data(as_text=True)
    assert attendee.name.replace("'", "&#39;") in detail and "Connections" in detail


def test_every_attendee_page_renders_with_an_empty_event(client, auth, make_organizer,
                                                         make_event):
    _organizer, event = _org_event(make_organizer, make_event, auth)
    for path in ("/attendees", "/attendees?q=zzz", "/import", "/exports",
                 "/exports/attendees.csv", "/exports/connections.csv",
                 "/exports/network.graphml"):
        assert client.get(f"/events/{event.slug}{path}").status_code == 200, path
    assert b"Nobody has registered yet" in client.get(f"/events/{event.slug}/attendees").data


def test_search_filters_and_pages(client, auth, make_organizer, make_event, make_attendee):
    _organizer, event = _org_event(make_organizer, make_event, auth)
    ines = make_attendee(event, name="Inès Fontaine", company="Owkin", email="ines@owkin.fr")
    bob = make_attendee(event, name="Bob Lee", company="Qonto", consent_followup=False)
    carol = make_attendee(event, name="Carol <script>", company="Doctolib")
    check_in(ines.id)
    record_scan(bob.id, carol.id)

    def names(query: str) -> str:
        return client.get(f"/events/{event.slug}/attendees?{query}").get_data(as_text=True)

    assert "Inès Fontaine" in names("q=owkin") and "Bob Lee" not in names("q=owkin")
    assert "Inès Fontaine" in names("q=INES@") and "Bob Lee" not in names("q=INES@")
    assert "Inès" in names("filter=checked_in") and "Bob" not in names("filter=checked_in")
    assert "Bob Lee" in names("filter=scanned") and "Carol" not in names("filter=scanned")
    assert "Bob Lee" in names("filter=no_consent") and "Inès" not in names("filter=no_consent")
    assert "Nobody matches" in names("q=%25")  # LIKE wildcards are literal
    page = names("")
    assert "Carol &lt;script&gt;" in page and "<script>" not in page.split("<main")[1]

    from eventnet.services.roster import roster

    for i in range(7):
        make_attendee(event, name=f"Zed {i}")
    first = roster(event.id, per_page=4)
    assert first.total == 10 and first.pages == 3 and len(first.items) == 4
    last = roster(event.id, page=99, per_page=4)
    assert last.page == 3 and len(last.items) == 2
    paged = client.get(f"/events/{event.slug}/attendees?page=2").get_data(as_text=True)
    assert "Page" not in paged  # 10 attendees fit on one page of 50


def test_detail_shows_connections_and_edit_keeps_consents(client, auth, make_organizer,
                                                          make_event, make_attendee):
    _organizer, event = _org_event(make_organizer, make_event, auth)
    ann = make_attendee(event, name="Ann", consent_followup=False)
    ben = make_attendee(event, name="Ben")
    record_scan(ann.id, ben.id, note="secret note about Ben")
    page = client.get(f"/events/{event.slug}/attendees/{ann.id}").get_data(as_text=True)
    assert "Ben" in page and "secret note" not in page
    assert f"/events/{event.slug}/followups/preview/{ann.id}" in page
    assert client.get(f"/events/{event.slug}/followups/preview/{ann.id}").status_code == 200
    response = client.post(f"/events/{event.slug}/attendees/{ann.id}/edit", data={
        "name": "Ann Martin", "email": "ann.martin@example.org", "company": "Qonto",
        "interests": "fintech, Python", "consent_followup": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    ann = db.session.get(Attendee, ann.id)
    assert ann.name == "Ann Martin" and ann.email == "ann.martin@example.org"
    assert ann.interests == ["fintech", "Python"] and ann.consent_followup is False
    assert ann.person.email == "ann.martin@example.org"
    taken = client.post(f"/events/{event.slug}/attendees/{ann.id}/edit",
                        data={"name": "Ann", "email": ben.email})
    assert taken.status_code == 422 and b"Another attendee has this email" in taken.data
    bad = client.post(f"/events/{event.slug}/attendees/{ann.id}/edit",
                      data={"name": "", "email": "nope"})
    assert bad.status_code == 422
    assert db.session.get(Attendee, ann.id).name == "Ann Martin"


def test_the_edit_form_shows_and_keeps_an_imported_phone(client, auth, make_organizer,
                                                        make_event, make_attendee):
    """An import may bring a phone: the organizer's edit form shows it, and saving the
    form as the browser sends it back keeps it (it used to be cleared)."""
    _organizer, event = _org_event(make_organizer, make_event, auth)
    ann = make_attendee(event, name="Ann", phone="+44 20 7946 0958")
    page = client.get(f"/events/{event.slug}/attendees/{ann.id}/edit").get_data(as_text=True)
    assert re.search(r'name="phone"[^>]*value="\+44 20 7946 0958"', page)
    fields = {"name": "Ann", "email": ann.email, "company": "Qonto"}
    response = client.post(f"/events/{event.slug}/attendees/{ann.id}/edit",
                           data={**fields, "phone": "+44 20 7946 0958"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Attendee, ann.id).phone == "+44 20 7946 0958"
    client.post(f"/events/{event.slug}/attendees/{ann.id}/edit",
                data={**fields, "phone": "+44 20 7946 0000"})
    db.session.expire_all()
    assert db.session.get(Attendee, ann.id).phone == "+44 20 7946 0000"


def test_badge_revoke_and_reissue_need_a_confirmation(client, auth, make_organizer, make_event,
                                                      make_attendee):
    _organizer, event = _org_event(make_organizer, make_event, auth)
    ann = make_attendee(event)
    old = ann.badge.token
    confirm = client.get(f"/events/{event.slug}/attendees/{ann.id}/reissue-badge")
    assert confirm.status_code == 200 and db.session.get(Attendee, ann.id).badge.token == old
    assert client.post(f"/events/{event.slug}/attendees/{ann.id}/reissue-badge").status_code == 302
    db.session.expire_all()
    new = db.session.get(Attendee, ann.id).badge.token
    assert new != old and client.get(f"/b/{old}").status_code == 410
    client.post(f"/events/{event.slug}/attendees/{ann.id}/revoke-badge")
    db.session.expire_all()
    assert db.session.get(Attendee, ann.id).badge is None
    assert b"The badge was revoked" in client.get(f"/events/{event.slug}/attendees/{ann.id}").data


def test_destructive_actions_need_the_csrf_token(app, client, auth, make_organizer,
                                                 make_event, make_attendee):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    ann = make_attendee(event)
    auth.organizer(organizer.email)
    app.config["WTF_CSRF_ENABLED"] = True  # read per request by Flask-WTF
    try:
        page = client.get(f"/events/{event.slug}/attendees/{ann.id}/erase")
        assert b'name="csrf_token"' in page.data
        response = client.post(f"/events/{event.slug}/attendees/{ann.id}/erase")
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert db.session.get(Attendee, ann.id).erased_at is None


def test_erasure_removes_personal_data_and_keeps_anonymous_counts(
        client, auth, make_organizer, make_event, make_attendee):
    _organizer, event = _org_event(make_organizer, make_event, auth)
    ann = make_attendee(event, name="Ann Secret", company="Secret Corp", phone="+33 6",
                        interests=["x"], links=["https://ann.example"])
    ben, cat = make_attendee(event, name="Ben"), make_attendee(event, name="Cat")
    check_in(ann.id)
    record_scan(ann.id, ben.id, note="about Ben")
    record_scan(ben.id, ann.id, note="about Ann")
    record_scan(cat.id, ann.id)
    record_scan(ben.id, cat.id)
    from eventnet.database import write_transaction

    with write_transaction() as session:
        session.add(Introduction(event_id=event.id, requester_id=ann.id, recipient_id=cat.id))
    from eventnet.services.attendees import request_magic_link

    request_magic_link(event.id, ann.email)  # delivered at once: a sent message
    with write_transaction() as session:
        session.add(OutboundEmail(kind="followup", to_address=ann.email, from_address="x@y",
                                  subject="s", body_text="Dear Ann Secret", event_id=event.id,
                                  attendee_id=ann.id))
    def counts() -> tuple[int, int, int]:
        db.session.expire_all()
        scans = db.session.scalar(select(func.count(Scan.id)).where(Scan.event_id == event.id))
        erased = db.session.get(Event, event.id).erased_scan_count
        registered = db.session.scalar(select(func.count(Attendee.id))
                                       .where(Attendee.event_id == event.id))
        return scans, erased, registered

    before = counts()
    token = ann.badge.token
    person_id = ann.person_id

    assert client.get(f"/events/{event.slug}/attendees/{ann.id}/erase").status_code == 200
    response = client.post(f"/events/{event.slug}/attendees/{ann.id}/erase")
    assert response.status_code == 302
    db.session.expire_all()
    ann = db.session.get(Attendee, ann.id)
    assert ann.name == erasure.ERASED_NAME and ann.email is None and ann.company == ""
    assert ann.interests == [] and ann.links == [] and ann.phone == "" and ann.answers == {}
    assert ann.person_id is None and db.session.get(Person, person_id) is None
    assert ann.erased_at is not None and ann.secret_version == 2
    assert all(b.revoked_at for b in db.session.scalars(
        select(Badge).where(Badge.attendee_id == ann.id)))
    involving = (Scan.scanner_id == ann.id) | (Scan.scanned_id == ann.id)
    assert db.session.scalar(select(func.count(Scan.id)).where(involving)) == 0
    assert db.session.scalar(select(func.count(Connection.id)).where(
        (Connection.a_id == ann.id) | (Connection.b_id == ann.id))) == 0
    assert db.session.scalar(select(func.count(Introduction.id))) == 0
    assert not db.session.scalars(select(OutboundEmail).where(
        OutboundEmail.body_text.contains("Ann Secret"))).all()
    assert not db.session.scalars(select(OutboundEmail).where(
        OutboundEmail.to_address.contains("attendee"))).all()
    # Counts: the registration and check-in stay; the scans removed are kept as a number.
    after = counts()
    assert after == (before[0] - 3, 3, before[2])
    assert ann.check_in is not None
    assert client.get(f"/b/{token}").status_code == 404
    assert client.get(f"/events/{event.slug}/attendees/{ann.id}").status_code == 404
    assert b"Ann Secret" not in client.get(f"/events/{event.slug}/attendees").data
    assert b"Ann Secret" not in client.get(f"/events/{event.slug}/exports/attendees.csv").data
    # Twice: nothing left to erase.
    assert client.post(f"/events/{event.slug}/attendees/{ann.id}/erase").status_code == 404
