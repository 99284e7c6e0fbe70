"""Every organizer route is checked against the community its event belongs to.

The matrix is built from the app's URL map, so routes added later are covered too: another
organizer's event → 404; door staff → 404 everywhere but the check-in pages; anonymous →
sign-in redirect or 404. And nothing changes on the way.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Community, ImportJob, Invitation, Membership, Scan
from eventnet.models.organizer import ROLE_STAFF
from eventnet.services.scans import record_scan
from eventnet.services.team import invite

STAFF_ENDPOINT_WORDS = ("checkin",)


def _is_staff_page(endpoint: str) -> bool:
    return any(word in endpoint for word in STAFF_ENDPOINT_WORDS)


def _value(name: str, converter: Any, ids: dict[str, Any]) -> Any:
    if name in ids:
        return ids[name]
    if hasattr(converter, "items"):  # any(...)
        return sorted(converter.items)[0]
    return ids["attendee_id"] if converter.__class__.__name__ == "IntegerConverter" else "x"


def _organizer_urls(app: Any, ids: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every organizer route that names an event or a community."""
    out = []
    adapter = app.url_map.bind("eventnet.test")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("organizer.") or not (
                {"slug", "cslug"} & set(rule.arguments)):
            continue
        values = {name: _value(name, rule._converters[name], ids) for name in rule.arguments}
        url = adapter.build(rule.endpoint, values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, url))
    return out


@pytest.fixture
def world(make_organizer, make_event, make_attendee):
    owner, outsider, staff = make_organizer(), make_organizer(), make_organizer()
    event = make_event(organizer=owner)
    community = db.session.get(Community, event.community_id)
    ann, ben = make_attendee(event), make_attendee(event)
    record_scan(ann.id, ben.id)
    with write_transaction() as session:
        session.add(Membership(community_id=community.id, organizer_id=staff.id,
                               role=ROLE_STAFF))
    invite(community.id, "someone@example.org", ROLE_STAFF, owner.id)
    with write_transaction() as session:
        job = ImportJob(event_id=event.id, organizer_id=owner.id, state="done", result={
            "format": "eventnet", "created": 2, "updated": 0, "unchanged": 0,
            "checked_in": 0, "skipped": [], "ignored_columns": []})
        session.add(job)
        session.flush()
        job_id = job.id
    ids = {
        "slug": event.slug, "cslug": community.slug, "attendee_id": ann.id,
        "person_id": ann.person_id, "name": "A" * 32,
        "membership_id": db.session.scalar(select(Membership.id).where(
            Membership.organizer_id == owner.id)),
        "invitation_id": db.session.scalar(select(Invitation.id)),
        "action": "erase", "job_id": job_id,
    }
    return {"owner": owner, "outsider": outsider, "staff": staff, "event": event, "ids": ids}


def _unchanged(world: dict[str, Any]) -> None:
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Scan.id))) == 1
    assert db.session.scalar(select(func.count(Attendee.id)).where(
        Attendee.erased_at.isnot(None))) == 0
    assert db.session.scalar(select(func.count(Membership.id))) == 4  # 3 personal + staff
    assert db.session.scalar(select(func.count(Invitation.id))) == 1


def _call(client: Any, method: str, url: str) -> Any:
    return client.open(url, method=method, data={}, headers={"Accept": "text/html"})


def test_the_matrix_covers_the_pages_of_every_area(app, world):
    endpoints = {e for e, _m, _u in _organizer_urls(app, world["ids"])}
    for expected in ("organizer.event", "organizer.edit_event", "organizer.attendees",
                     "organizer.attendee_action", "organizer.import_job",
                     "organizer.export_network", "organizer.community", "organizer.team",
                     "organizer.badges_pdf", "organizer.checkin"):
        assert expected in endpoints


def test_another_organizer_gets_404_everywhere(app, client, auth, world):
    auth.organizer(world["outsider"].email)
    for endpoint, method, url in _organizer_urls(app, world["ids"]):
        response = _call(client, method, url)
        assert response.status_code == 404, (endpoint, method, url, response.status_code)
    _unchanged(world)


def test_staff_reach_only_the_check_in_pages(app, client, auth, world):
    auth.organizer(world["staff"].email)
    reached = []
    for endpoint, method, url in _organizer_urls(app, world["ids"]):
        response = _call(client, method, url)
        if _is_staff_page(endpoint):
            assert response.status_code != 404 or "attendee_id" in url, (endpoint, method, url)
            reached.append(endpoint)
        else:
            assert response.status_code == 404, (endpoint, method, url, response.status_code)
    assert "organizer.checkin" in reached
    assert client.get(f"/events/{world['event'].slug}/checkin").status_code == 200


def test_anonymous_is_sent_to_sign_in_or_gets_404(app, client, world):
    for endpoint, method, url in _organizer_urls(app, world["ids"]):
        response = _call(client, method, url)
        if response.status_code == 302:
            assert "/organizer/sign-in" in response.headers["Location"], (endpoint, url)
        else:
            assert response.status_code in (401, 404), (endpoint, method, url,
                                                        response.status_code)
    _unchanged(world)


def test_the_owner_reaches_every_page(app, client, auth, world):
    auth.organizer(world["owner"].email)
    for endpoint, method, url in _organizer_urls(app, world["ids"]):
        # a PDF that needs its layout in the query
        if method != "GET" or endpoint == "organizer.badges_pdf":
            continue
        response = _call(client, method, url)
        assert response.status_code in (200, 302), (endpoint, url, response.status_code)
