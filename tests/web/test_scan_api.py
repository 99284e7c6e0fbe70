"""The JSON API: every response checked against the OpenAPI document it publishes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import func, select, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Connection, Membership, Scan, utcnow
from eventnet.models.organizer import ROLE_STAFF
from eventnet.services.attendees import access_token
from eventnet.services.badges import reissue_badge
from eventnet.services.organizers import issue_api_token
from eventnet.services.scans import scan_badge


class Contract:
    """Validates responses against the schemas of /api/v1/openapi.json."""

    def __init__(self, client):
        self.doc = client.get("/api/v1/openapi.json").get_json()
        validate_spec(self.doc)
        # OpenAPI 3.1 schemas are JSON Schema 2020-12: resolve "#/components/..." in the doc
        self.registry = Registry().with_resource("urn:api", DRAFT202012.create_resource(self.doc))

    def check(self, response, path, method):
        spec = self.doc["paths"][path][method]["responses"][str(response.status_code)]
        if "content" not in spec:
            assert not response.data
            return
        schema = {"$ref": "urn:api" + spec["content"]["application/json"]["schema"]["$ref"]}
        Draft202012Validator(schema, registry=self.registry).validate(response.get_json())


@pytest.fixture
def contract(client):
    return Contract(client)


def _bearer(attendee):
    return {"Authorization": f"Bearer {access_token(attendee)}"}


def _scans():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Scan))


def test_scan_then_replay(client, contract, make_event, make_attendee):
    event = make_event()
    ann = make_attendee(event)
    bob = make_attendee(event, "Bob", company="Acme", consent_share_contact=False)
    body = {"badge": f"http://eventnet.test/b/{bob.badge.token}", "note": "WASM",
            "tags": ["hiring"], "client_id": "c0ffee", "scanned_at":
            (utcnow() - timedelta(minutes=3)).isoformat().replace("+00:00", "Z")}
    first = client.post("/api/v1/scans", json=body, headers=_bearer(ann))
    assert first.status_code == 201, first.get_json()
    contract.check(first, "/scans", "post")
    data = first.get_json()
    assert data["scan"]["is_new"] and data["connection"]["person"]["name"] == "Bob"
    assert "email" not in data["connection"]["person"]  # Bob did not consent
    assert data["connection"]["note"] == "WASM" and data["connection"]["tags"] == ["hiring"]
    again = client.post("/api/v1/scans", json=body, headers=_bearer(ann))
    assert again.status_code == 200 and not again.get_json()["scan"]["is_new"]
    contract.check(again, "/scans", "post")
    assert again.get_json()["scan"]["id"] == data["scan"]["id"] and _scans() == 1
    # without a client_id each POST is a scan (a repeat within the window: not counted)
    third = client.post("/api/v1/scans", json={"badge": bob.badge.token}, headers=_bearer(ann))
    assert third.status_code == 201 and not third.get_json()["scan"]["is_counted"]
    assert _scans() == 2


@pytest.mark.parametrize("kind", ["no token", "bad token", "organizer token"])
def test_bad_tokens_are_401(client, contract, make_event, make_attendee, kind):
    event = make_event()
    bob = make_attendee(event)
    headers = {"no token": {}, "bad token": {"Authorization": "Bearer ea_guess"},
               "organizer token": {"Authorization": "Bearer eo_x"}}[kind]
    response = client.post("/api/v1/scans", json={"badge": bob.badge.token}, headers=headers)
    assert response.status_code == 401 and response.get_json()["error"]["message"]
    contract.check(response, "/scans", "post")
    assert _scans() == 0


@pytest.mark.parametrize(("payload", "status", "code"), [
    (b"{not json", 400, "invalid_json"),
    (b"[1, 2]", 400, "invalid_json"),
    (b'{"note": "no badge"}', 400, "missing_badge"),
    (b'{"badge": "BADGE", "scanned_at": "yesterday"}', 400, "invalid_scanned_at"),
    (b'{"badge": "BADGE", "scanned_at": "2026-05-04T18:30:00"}', 400, "invalid_scanned_at"),
    (b'{"badge": "BADGE", "scanned_at": "2999-01-01T00:00:00Z"}', 422, "invalid_scanned_at"),
    (b'{"badge": "BADGE", "tags": "hiring"}', 400, "invalid_field"),
    (b'{"badge": "BADGE", "note": 42}', 400, "invalid_field"),
    (b'{"badge": "BADGE", "client_id": ""}', 422, "invalid_client_id"),
    (b'{"badge": "nope"}', 404, "unknown_badge"),
])
def test_malformed_requests_store_nothing(client, contract, make_event, make_attendee,
                                          payload, status, code):
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event)
    data = payload.replace(b"BADGE", bob.badge.token.encode())
    response = client.post("/api/v1/scans", data=data,
                           headers={**_bearer(ann), "Content-Type": "application/json"})
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code
    contract.check(response, "/scans", "post")
    assert _scans() == 0


def test_refusals_self_other_event_revoked(client, contract, make_event, make_attendee):
    event, other = make_event(), make_event()
    ann, bob = make_attendee(event), make_attendee(event)
    stranger = make_attendee(other)
    old = bob.badge.token
    reissue_badge(bob.id)
    for badge, status, code in ((ann.badge.token, 422, "self_scan"),
                                (stranger.badge.token, 409, "other_event"),
                                (old, 409, "badge_revoked")):
        response = client.post("/api/v1/scans", json={"badge": badge}, headers=_bearer(ann))
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code)
        contract.check(response, "/scans", "post")
    assert _scans() == 0


def test_a_revoked_token_stops_scanning_at_once_in_every_process(client, contract, make_event,
                                                                 make_attendee):
    event = make_event()
    ann, bob, cid = make_attendee(event), make_attendee(event), make_attendee(event)
    headers = _bearer(ann)
    assert client.post("/api/v1/scans", json={"badge": bob.badge.token},
                       headers=headers).status_code == 201  # the token is now cached here
    # Another process revokes Ann's token (a new secret): this process still caches it.
    with write_transaction():
        db.session.execute(update(Attendee).where(Attendee.id == ann.id)
                           .values(access_token_hash="revoked-elsewhere"))
    for badge in (cid.badge.token, "no-such-badge"):  # a known and an unknown badge alike
        response = client.post("/api/v1/scans", json={"badge": badge}, headers=headers)
        assert response.status_code == 401, response.get_json()
        assert response.get_json()["error"]["code"] == "invalid_token"
        contract.check(response, "/scans", "post")
    assert _scans() == 1


def test_my_connections_edit_and_forget(client, contract, make_event, make_attendee):
    event = make_event()
    ann = make_attendee(event)
    bob = make_attendee(event, "Bob", email="bob@example.org", consent_share_contact=True)
    eve = make_attendee(event, "Eve")
    conn_id = client.post("/api/v1/scans", json={"badge": bob.badge.token},
                          headers=_bearer(ann)).get_json()["connection"]["id"]
    listing = client.get("/api/v1/me/connections", headers=_bearer(ann))
    contract.check(listing, "/me/connections", "get")
    [entry] = listing.get_json()["connections"]
    assert "email" not in entry["person"]  # consented, but a one-way scan: the name only
    assert entry["contact_when_mutual"] is True
    scan_badge(bob.id, event.id, ann.badge.token)  # Bob scans Ann back
    [entry] = client.get("/api/v1/me/connections", headers=_bearer(ann)).get_json()[
        "connections"]
    assert entry["person"]["email"] == "bob@example.org"  # consented, and mutual
    patched = client.patch(f"/api/v1/me/connections/{conn_id}", headers=_bearer(ann),
                           json={"note": "call in May", "tags": ["mentor"]})
    assert patched.status_code == 200
    contract.check(patched, "/me/connections/{id}", "patch")
    assert patched.get_json()["note"] == "call in May"
    # someone else's connection: not found, unchanged
    for method in ("patch", "delete"):
        response = getattr(client, method)(f"/api/v1/me/connections/{conn_id}",
                                           headers=_bearer(eve), json={"note": "x"})
        assert response.status_code == 404
        contract.check(response, "/me/connections/{id}", method)
    bad = client.patch(f"/api/v1/me/connections/{conn_id}", headers=_bearer(ann),
                       json={"is_mutual": True})
    assert bad.status_code == 400
    gone = client.delete(f"/api/v1/me/connections/{conn_id}", headers=_bearer(ann))
    assert gone.status_code == 204
    contract.check(gone, "/me/connections/{id}", "delete")
    # Bob's scan of Ann remains: one-way again, so Ann sees his name only
    [entry] = client.get("/api/v1/me/connections", headers=_bearer(ann)).get_json()[
        "connections"]
    assert not entry["i_scanned"] and "email" not in entry["person"]
    assert client.delete(f"/api/v1/me/connections/{conn_id}",
                         headers=_bearer(bob)).status_code == 204
    assert client.get("/api/v1/me/connections", headers=_bearer(ann)).get_json() == {
        "connections": []}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Connection)) == 0


def test_stats_for_the_organizer_token_only(client, contract, make_organizer, make_event,
                                            make_attendee):
    owner, outsider = make_organizer(), make_organizer()
    event = make_event(organizer=owner)
    ann, bob = make_attendee(event), make_attendee(event)
    for scanner, badge in ((ann, bob), (bob, ann), (ann, bob)):
        client.post("/api/v1/scans", json={"badge": badge.badge.token}, headers=_bearer(scanner))
    token = issue_api_token(owner.id)
    response = client.get(f"/api/v1/events/{event.slug}/stats",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    contract.check(response, "/events/{slug}/stats", "get")
    stats = response.get_json()
    assert (stats["registrations"], stats["scans"], stats["counted_scans"], stats["scanners"],
            stats["connections"], stats["mutual_connections"]) == (2, 3, 2, 2, 1, 1)
    other = issue_api_token(outsider.id)
    for headers, status in (({"Authorization": f"Bearer {other}"}, 404),
                            ({"Authorization": "Bearer eo_wrong"}, 401),
                            ({"Authorization": f"Bearer {access_token(ann)}"}, 401)):
        response = client.get(f"/api/v1/events/{event.slug}/stats", headers=headers)
        assert response.status_code == status
        contract.check(response, "/events/{slug}/stats", "get")
    missing = client.get("/api/v1/events/nope/stats", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404
    staff = make_organizer()
    with write_transaction() as session:
        session.add(Membership(community_id=event.community_id, organizer_id=staff.id,
                               role=ROLE_STAFF))
    staff_token = issue_api_token(staff.id)
    response = client.get(f"/api/v1/events/{event.slug}/stats",
                          headers={"Authorization": f"Bearer {staff_token}"})
    assert response.status_code == 404  # door staff only check people in


def test_wrong_method_is_405_with_allow(client, contract):
    """RFC 9110: a 405 lists the methods the resource supports, in JSON and HTML alike."""
    api = client.put("/api/v1/scans", json={})
    assert api.status_code == 405
    assert api.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in api.headers["Allow"] and "PUT" not in api.headers["Allow"]
    page = client.delete("/organizer/sign-in")
    assert page.status_code == 405 and "GET" in page.headers["Allow"]


def test_connection_id_past_the_database_range_is_404(client, contract, make_event,
                                                      make_attendee):
    """PostgreSQL's ids are 32-bit: a larger one is an unknown connection, not a 500."""
    ann = make_attendee(make_event())
    for method in ("patch", "delete"):
        response = getattr(client, method)(f"/api/v1/me/connections/{2**40}",
                                           json={"note": "x"}, headers=_bearer(ann))
        assert response.status_code == 404, method
        contract.check(response, "/me/connections/{id}", method)


def test_null_fields_are_absent_and_source_is_checked(client, contract, make_event,
                                                      make_attendee):
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event, "Bob")
    nulls = client.post("/api/v1/scans", json={
        "badge": bob.badge.token, "note": None, "tags": None, "client_id": None,
        "scanned_at": None, "source": None}, headers=_bearer(ann))
    assert nulls.status_code == 201, nulls.get_json()
    contract.check(nulls, "/scans", "post")
    odd = client.post("/api/v1/scans", json={"badge": bob.badge.token, "source": "robot"},
                      headers=_bearer(ann))
    assert odd.status_code == 400 and odd.get_json()["error"]["code"] == "invalid_field"
    assert _scans() == 1


def test_limits_apply_to_fields_as_sent(client, make_event, make_attendee):
    """What the API document says: at most 10 tags and 2,000 characters of note, as sent."""
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event, "Bob")
    for body in ({"tags": ["same"] * 11}, {"note": " " + "n" * 2000}):
        response = client.post("/api/v1/scans", json={"badge": bob.badge.token, **body},
                               headers=_bearer(ann))
        assert response.status_code == 422, body
    assert _scans() == 0
