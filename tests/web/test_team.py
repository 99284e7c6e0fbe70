"""Team invitations over real SMTP, accepting them, removing members; community pages; claims."""

from __future__ import annotations

import re

from sqlalchemy import select

from eventnet.extensions import db
from eventnet.models import Attendee, Community, Event, Invitation, Membership, Organizer
from eventnet.models.organizer import ROLE_ORGANIZER, ROLE_STAFF
from eventnet.services import claims, imports
from eventnet.services.checkins import check_in
from eventnet.services.demo import DEMO_EMAIL, create_demo
from tests.conftest import PASSWORD


def _link(smtp, address: str, pattern: str) -> str:
    body = smtp.to(address)[-1].get_body(("plain",)).get_content()
    return re.search(rf"http://eventnet\.test({pattern}\S+)", body).group(1)


def _community(organizer) -> Community:
    return db.session.scalars(select(Community).join(Membership)
                              .where(Membership.organizer_id == organizer.id)).first()


def test_invite_staff_who_creates_an_account(client, auth, smtp, make_organizer, make_event,
                                              make_attendee):
    owner = make_organizer(name="Olga")
    community = _community(owner)
    event = make_event(organizer=owner)
    auth.organizer(owner.email)
    response = client.post(f"/communities/{community.slug}/team",
                           data={"email": "Door@Example.org", "role": ROLE_STAFF})
    assert response.status_code == 302
    message = smtp.to("door@example.org")[-1]
    assert "Olga invites you" in message["Subject"]
    assert "check attendees in" in message.get_body(("plain",)).get_content()
    link = _link(smtp, "door@example.org", "/invitations/")
    assert db.session.scalar(select(Invitation.token_hash)) != link.rsplit("/", 1)[1]
    assert b"door@example.org" in client.get(f"/communities/{community.slug}/team").data
    client.post("/organizer/sign-out")

    page = client.get(link)
    assert page.status_code == 200 and b"Create your account" in page.data
    short = client.post(link, data={"name": "Dora", "password": "short"})
    assert short.status_code == 422
    joined = client.post(link, data={"name": "Dora", "password": PASSWORD})
    assert joined.status_code == 302
    dora = db.session.scalar(select(Organizer).where(Organizer.email == "door@example.org"))
    role = db.session.scalar(select(Membership.role).where(
        Membership.organizer_id == dora.id, Membership.community_id == community.id))
    assert role == ROLE_STAFF
    # Staff reach the door, nothing else.
    assert client.get(f"/events/{event.slug}/checkin").status_code == 200
    assert client.get(f"/events/{event.slug}/attendees").status_code == 404
    assert client.get(f"/communities/{community.slug}/").status_code == 404
    # The link works once.
    again = client.get(link)
    assert again.status_code == 400 and b"used already" in again.data


def test_invite_a_co_organizer_with_an_account(client, auth, smtp, make_organizer, make_event):
    owner, colleague = make_organizer(), make_organizer(email="co@example.org")
    community = _community(owner)
    event = make_event(organizer=owner)
    auth.organizer(owner.email)
    client.post(f"/communities/{community.slug}/team",
                data={"email": "co@example.org", "role": ROLE_ORGANIZER})
    link = _link(smtp, "co@example.org", "/invitations/")
    client.post("/organizer/sign-out")
    page = client.get(link)
    assert b"Sign in with your organizer account" in page.data
    auth.organizer(colleague.email)
    assert client.post(link).status_code == 302
    assert client.get(f"/events/{event.slug}/attendees").status_code == 200
    assert client.get(f"/communities/{community.slug}/").status_code == 200


def test_team_rules(client, auth, smtp, make_organizer):
    owner = make_organizer()
    community = _community(owner)
    auth.organizer(owner.email)
    url = f"/communities/{community.slug}/team"
    me = client.post(url, data={"email": owner.email, "role": ROLE_STAFF})
    assert me.status_code == 422 and b"already in the team" in me.data
    assert client.post(url, data={"email": "nope", "role": ROLE_STAFF}).status_code == 422
    assert client.post(url, data={"email": "x@example.org", "role": "boss"}).status_code == 422
    # A second invitation replaces the first: the old link stops working.
    client.post(url, data={"email": "x@example.org", "role": ROLE_STAFF})
    first = _link(smtp, "x@example.org", "/invitations/")
    client.post(url, data={"email": "x@example.org", "role": ROLE_ORGANIZER})
    assert client.get(first).status_code == 400
    invitation = db.session.scalars(select(Invitation)).one()
    client.post(f"/communities/{community.slug}/invitations/{invitation.id}/cancel")
    assert db.session.scalars(select(Invitation)).all() == []
    # The last organizer cannot be removed.
    mine = db.session.scalar(select(Membership).where(Membership.organizer_id == owner.id))
    assert client.get(f"/communities/{community.slug}/team/{mine.id}/remove").status_code == 200
    last = client.post(f"/communities/{community.slug}/team/{mine.id}/remove")
    assert last.status_code == 409
    assert client.get("/invitations/not-a-token").status_code == 400


def test_removed_member_loses_access(client, auth, make_organizer, make_event):
    owner, staff = make_organizer(), make_organizer()
    community = _community(owner)
    event = make_event(organizer=owner)
    from eventnet.database import write_transaction

    with write_transaction() as session:
        session.add(Membership(community_id=community.id, organizer_id=staff.id,
                               role=ROLE_STAFF))
    membership = db.session.scalar(select(Membership).where(Membership.organizer_id == staff.id,
                                                            Membership.community_id ==
                                                            community.id))
    auth.organizer(owner.email)
    assert client.post(f"/communities/{community.slug}/team/{membership.id}/remove"
                       ).status_code == 302
    client.post("/organizer/sign-out")
    auth.organizer(staff.email)
    assert client.get(f"/events/{event.slug}/checkin").status_code == 404


def test_community_pages_with_the_demo_and_when_empty(client, auth, make_organizer, make_event,
                                                      make_attendee):
    create_demo(attendee_count=12)
    demo = db.session.scalar(select(Organizer).where(Organizer.email == DEMO_EMAIL))
    community = _community(demo)
    auth.organizer(DEMO_EMAIL, "eventnet-demo")
    for path in ("/communities/", "/communities/new", f"/communities/{community.slug}/",
                 f"/communities/{community.slug}/settings", f"/communities/{community.slug}/team",
                 f"/communities/{community.slug}/events/new"):
        assert client.get(path).status_code == 200, path
    client.post("/organizer/sign-out")
    owner = make_organizer()
    auth.organizer(owner.email)
    empty = _community(owner)
    page = client.get(f"/communities/{empty.slug}/")
    assert page.status_code == 200 and b"No events yet" in page.data


def test_recurring_meetup_history(client, auth, make_organizer, make_event, make_attendee):
    owner = make_organizer()
    community = _community(owner)
    auth.organizer(owner.email)
    created = client.post(f"/communities/{community.slug}/events/new", data={
        "slug": "meetup-2", "name": "Meetup #2", "timezone": "Europe/Paris",
        "starts_at": "2026-02-05T19:00", "followup_list_size": "10"})
    assert created.status_code == 302
    from eventnet.services.events import get_event

    second = get_event("meetup-2")
    first = make_event(organizer=owner, name="Meetup #1")
    assert second.community_id == first.community_id == community.id
    ann1 = make_attendee(first, name="Ann <b>", email="ann@example.org")
    ann2 = make_attendee(second, name="Ann <b>", email="ann@example.org")
    make_attendee(second, name="Once")
    check_in(ann1.id)
    check_in(ann2.id)
    page = client.get(f"/communities/{community.slug}/").get_data(as_text=True)
    assert "Meetup #1" in page and "Meetup #2" in page and "Ann &lt;b&gt;" in page
    assert "Once" not in page
    person = client.get(f"/communities/{community.slug}/people/{ann1.person_id}")
    text = person.get_data(as_text=True)
    assert person.status_code == 200 and "Meetup #1" in text and "Meetup #2" in text
    renamed = client.post(f"/communities/{community.slug}/settings", data={"name": "Rust Paris"})
    assert renamed.status_code == 302
    assert client.post(f"/communities/{community.slug}/settings",
                       data={"name": "  "}).status_code == 422
    made = client.post("/communities/new", data={"name": "Café Python"})
    assert made.status_code == 302 and "/communities/cafe-python/" in made.headers["Location"]
    # Someone else's community and people stay invisible.
    other = make_organizer()
    client.post("/organizer/sign-out")
    auth.organizer(other.email)
    assert client.get(f"/communities/{community.slug}/people/{ann1.person_id}").status_code == 404
    assert client.post(f"/communities/{community.slug}/events/new", data={
        "slug": "sneaky", "name": "x", "timezone": "UTC",
        "followup_list_size": "10"}).status_code == 404


def test_claim_a_meetup_profile_once(client, auth, smtp, make_organizer, make_event):
    from pathlib import Path

    owner = make_organizer()
    event = make_event(organizer=owner)
    data = (Path(__file__).resolve().parent.parent / "fixtures/imports/meetup.csv").read_bytes()
    imports.apply_import(event.id, imports.plan_import(event, data))
    kenji = db.session.scalar(select(Attendee).where(Attendee.name == "Kenji Nakamura"))
    auth.organizer(owner.email)
    detail = client.get(f"/events/{event.slug}/attendees/{kenji.id}").get_data(as_text=True)
    assert "Claim link" in detail and 'id="claim-qr"' in detail
    link = re.search(r'id="claim-url" value="http://eventnet\.test([^"]+)"|'
                     r'value="http://eventnet\.test(/claim/[^"]+)"', detail)
    path = link.group(1) or link.group(2)
    client.post("/organizer/sign-out")

    page = client.get(path)
    assert page.status_code == 200 and b"Kenji Nakamura" in page.data
    bad = client.post(path, data={"email": "not an email"})
    assert bad.status_code == 422
    taken_by = db.session.scalar(select(Attendee).where(Attendee.name == "Camille Dubois"))
    from eventnet.database import write_transaction

    with write_transaction():
        db.session.get(Attendee, taken_by.id).email = "camille@example.org"
    taken = client.post(path, data={"email": "camille@example.org"})
    assert taken.status_code == 422 and b"cannot be used" in taken.data
    done = client.post(path, data={"email": "Kenji@Example.org"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/e/{event.slug}/me")
    db.session.expire_all()
    kenji = db.session.get(Attendee, kenji.id)
    assert kenji.email == "kenji@example.org" and kenji.person.email == "kenji@example.org"
    assert smtp.to("kenji@example.org"), "a sign-in link is mailed"
    magic = _link(smtp, "kenji@example.org", "/m/")
    assert client.get(magic).status_code == 302
    # A claim link works once; claimed profiles have none any more.
    assert client.get(path).status_code == 400
    assert client.post(path, data={"email": "thief@example.org"}).status_code == 400
    assert not claims.is_claimable(kenji)


def test_event_form_asks_the_community_or_a_new_one(client, auth, make_organizer):
    owner = make_organizer()
    auth.organizer(owner.email)
    mine = _community(owner)
    page = client.get("/events/new").get_data(as_text=True)
    assert 'name="community"' in page and mine.name in page
    assert "A new community, for this event only" in page
    # Not answered: the form says so and nothing is created.
    unasked = client.post("/events/new", data={
        "slug": "unasked", "name": "Unasked", "timezone": "UTC", "followup_list_size": "10"})
    assert unasked.status_code == 422
    assert "Choose the community of this event" in unasked.get_data(as_text=True)
    assert db.session.scalar(select(Event).where(Event.slug == "unasked")) is None

    client.post("/communities/new", data={"name": "Second Meetup"})
    second = db.session.scalar(select(Community).where(Community.slug == "second-meetup"))
    page = client.get("/events/new?community=second-meetup").get_data(as_text=True)
    assert "Second Meetup" in page
    made = client.post("/events/new", data={
        "slug": "in-second", "name": "In second", "timezone": "UTC",
        "followup_list_size": "10", "community": str(second.id)})
    assert made.status_code == 302
    from eventnet.services.events import get_event

    assert get_event("in-second").community_id == second.id
    alone = client.post("/events/new", data={
        "slug": "alone", "name": "Hackathon Lyon", "timezone": "UTC",
        "followup_list_size": "10", "community": "new"})
    assert alone.status_code == 302
    own = db.session.get(Community, get_event("alone").community_id)
    assert own.id not in (mine.id, second.id) and own.name == "Hackathon Lyon"
    assert db.session.scalar(select(Membership.role).where(
        Membership.community_id == own.id, Membership.organizer_id == owner.id)) == "organizer"
    foreign = make_organizer()
    foreign_community = _community(foreign)
    refused = client.post("/events/new", data={
        "slug": "sneaky", "name": "x", "timezone": "UTC", "followup_list_size": "10",
        "community": str(foreign_community.id)})
    assert refused.status_code == 422  # not one of the offered choices


def test_an_invitation_is_accepted_only_by_the_invited_address(client, auth, smtp,
                                                               make_organizer, make_event):
    """A link opened by another signed-in organizer (forwarded, leaked) used to let them
    join the team and see its attendees."""
    owner = make_organizer()
    intruder = make_organizer(email="mallory@example.org")
    make_organizer(email="co@example.org")  # the invited address has an account
    community = _community(owner)
    event = make_event(organizer=owner)
    auth.organizer(owner.email)
    client.post(f"/communities/{community.slug}/team",
                data={"email": "CO@Example.org", "role": ROLE_ORGANIZER})
    link = _link(smtp, "co@example.org", "/invitations/")
    client.post("/organizer/sign-out")

    auth.organizer(intruder.email)
    page = client.get(link)
    assert page.status_code == 403
    assert b"This invitation is for another address (co@example.org)" in page.data
    assert b"Accept the invitation" not in page.data
    refused = client.post(link)
    assert refused.status_code == 403
    assert client.get(f"/events/{event.slug}/attendees").status_code == 404
    db.session.rollback()
    assert db.session.scalar(select(Membership).where(
        Membership.organizer_id == intruder.id, Membership.community_id == community.id)) is None
    client.post("/organizer/sign-out")

    auth.organizer("Co@EXAMPLE.org")  # the invited address, in any case
    assert client.post(link).status_code == 302
    assert client.get(f"/events/{event.slug}/attendees").status_code == 200
