"""Odd input anywhere gets a clear 4xx and changes nothing, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from eventnet.extensions import db
from eventnet.models import Attendee, Scan
from eventnet.services.attendees import access_token
from eventnet.services.scans import scan_badge
from tests.web.test_registration_pages import form

HUGE = 2**31 + 5  # past PostgreSQL's INTEGER
ODD_QUERY = (f"?page={10**25}&attendee={HUGE}&q=%00&filter=nope&lang=zz&next=//evil.example"
             "&layout=nope&format=nope")


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_every_page_survives_odd_arguments(client, app, auth, make_organizer, make_event,
                                           make_attendee):
    """Every GET route, as a signed-in organizer, with ids past the database's range, zero
    and negative ids, an unknown slug, and a query string of odd values: never a 5xx."""
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    scan_badge(ann.id, event.id, bob.badge.token, note="Rust")
    auth.organizer(organizer.email)
    words = {"slug": (event.slug, "nope"), "token": ("x", "a.b.c")}
    failures, tried = [], 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        for variant, number in enumerate((str(HUGE), "0", "-1")):
            path = rule.rule
            for name in re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule.rule):
                options = words.get(name, (number,))
                value = options[min(variant, len(options) - 1)]
                path = re.sub(rf"<(?:[^:>]+:)?{re.escape(name)}>", value, path, count=1)
            for query in ("", ODD_QUERY):
                tried += 1
                status = client.get(path + query).status_code
                if status >= 500:
                    failures.append((path + query, status))
    assert tried > 150 and not failures


def test_nul_characters_are_refused_everywhere(client, make_event, make_attendee, auth,
                                              make_organizer):
    """PostgreSQL cannot store NUL (0x00) in text: it used to fail there with a 500."""
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    before = _count(Attendee)
    page = client.post(f"/e/{event.slug}", data=form(name="Ada\x00", email="ada@example.org"))
    assert page.status_code == 400 and b"NUL" in page.data
    assert _count(Attendee) == before
    bearer = {"Authorization": f"Bearer {access_token(ann)}"}
    api = client.post("/api/v1/scans", json={"badge": bob.badge.token, "note": "a\x00b"},
                      headers=bearer)
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "nul_character"
    assert _count(Scan) == 0
    for field, body in (("badge", {"badge": bob.badge.token + "\x00"}),
                        ("tags", {"badge": bob.badge.token, "tags": ["ok", "x\x00"]}),
                        ("client_id", {"badge": bob.badge.token, "client_id": "\x00"})):
        refused = client.post("/api/v1/scans", json=body, headers=bearer)
        assert refused.status_code == 400, field
        assert refused.get_json()["error"]["code"] == "nul_character", field
    assert _count(Scan) == 0
    # the six characters \u0000 typed as text are no NUL: stored as they are
    text = client.post("/api/v1/scans", json={"badge": bob.badge.token, "note": "\\u0000"},
                       headers=bearer)
    assert text.status_code == 201 and text.get_json()["connection"]["note"] == "\\u0000"
    auth.organizer(organizer.email)
    search = client.get(f"/events/{event.slug}/attendees?q=Ann%00")
    assert search.status_code == 400 and b"NUL" in search.data
    door = client.post(f"/events/{event.slug}/checkin/scan", json={"badge": "\x00"})
    assert door.status_code == 400 and door.get_json()["error"]["code"] == "nul_character"


def _json(client, method: str, path: str, raw: str, headers: dict[str, str]) -> Any:
    """Send ``raw`` as it is: the test client's json= would refuse to encode a surrogate."""
    return client.open(path, method=method, data=raw.encode(),
                       headers={**headers, "Content-Type": "application/json"})


def test_text_that_is_not_unicode_is_refused_in_json(client, make_event, make_attendee):
    """A lone surrogate ("\\ud800" in JSON) used to be stored with a 201, and then every
    follow-up, export and page that showed it failed to encode it."""
    event = make_event()
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    bearer = {"Authorization": f"Bearer {access_token(ann)}"}
    badge = bob.badge.token
    for raw in (f'{{"badge": "{badge}", "tags": ["\\ud800"]}}',
                f'{{"badge": "{badge}", "note": "a\\udfffb"}}',
                f'{{"badge": "{badge}", "\\udc80": 1}}'):  # keys too
        refused = _json(client, "POST", "/api/v1/scans", raw, bearer)
        assert refused.status_code == 400, raw
        assert refused.get_json()["error"]["code"] == "invalid_text", raw
    assert _count(Scan) == 0
    # a surrogate pair is a character like any other
    pair = _json(client, "POST", "/api/v1/scans",
                 f'{{"badge": "{badge}", "tags": ["\\ud83d\\ude00"]}}', bearer)
    assert pair.status_code == 201 and pair.get_json()["connection"]["tags"] == ["\U0001f600"]
    conn_id = pair.get_json()["connection"]["id"]
    patched = _json(client, "PATCH", f"/api/v1/me/connections/{conn_id}",
                    '{"note": "\\ud800", "tags": ["ok"]}', bearer)
    assert patched.status_code == 400 and patched.get_json()["error"]["code"] == "invalid_text"
    db.session.rollback()
    assert db.session.scalars(select(Scan.note)).all() == [""]


def test_deeply_nested_json_is_a_clear_400(client, make_event, make_attendee, auth,
                                           make_organizer):
    """100,000 levels of [[[[ used to exhaust the parser's recursion: a 500."""
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    ann = make_attendee(event, "Ann")
    bearer = {"Authorization": f"Bearer {access_token(ann)}"}
    deep = "[" * 100_000 + "]" * 100_000
    response = _json(client, "POST", "/api/v1/scans", deep, bearer)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "json_too_deep"
    # past the limit the parser accepts, the check refuses it too
    nested = '{"badge": ' + "[" * 40 + "]" * 40 + "}"
    response = _json(client, "POST", "/api/v1/scans", nested, bearer)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "json_too_deep"
    auth.organizer(organizer.email)
    door = _json(client, "POST", f"/events/{event.slug}/checkin/scan", deep,
                 {"Accept": "application/json"})
    assert door.status_code == 400 and door.get_json()["error"]["code"] == "json_too_deep"


def test_forms_and_queries_never_carry_invalid_text(app, client, make_event, auth,
                                                   make_organizer):
    """Bytes that are not UTF-8 (an encoded surrogate, ED A0 80) in a form or a query are
    kept as the literal %-escapes by Werkzeug, never decoded to a lone surrogate; were one
    to arrive (another server, another version), the edge refuses it like a NUL."""
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    urlencoded = client.post(f"/e/{event.slug}", data=b"name=Ada%ED%A0%80&email=ada@example.org"
                             b"&consent_terms=y", content_type="application/x-www-form-urlencoded")
    boundary = "b0undary"
    multipart = client.post(f"/e/{event.slug}", data=(
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n".encode()
        + b"Bob \xed\xa0\x80\xff\r\n" + f"--{boundary}\r\nContent-Disposition: form-data; "
        f"name=\"email\"\r\n\r\nbob@example.org\r\n--{boundary}--\r\n".encode()),
        content_type=f"multipart/form-data; boundary={boundary}")
    assert urlencoded.status_code < 500 and multipart.status_code < 500
    db.session.rollback()
    names = db.session.scalars(select(Attendee.name)).all()
    assert all(name.encode() for name in names)
    auth.organizer(organizer.email)
    assert client.get(f"/events/{event.slug}/attendees?q=Ann%ED%A0%80").status_code == 200
    from flask import request

    from eventnet.services.errors import EventnetError
    from eventnet.web.edge import refuse_bad_text

    with app.test_request_context("/"):
        request.args = MultiDict({"q": "Ann\ud800"})  # type: ignore[misc]
        with pytest.raises(EventnetError) as refused:
            refuse_bad_text()
        assert refused.value.code == "invalid_text" and refused.value.status == 400


def test_csv_import_of_encoded_surrogates_is_refused(client, auth, make_organizer, make_event):
    """CSV files are decoded as strict UTF-8: an encoded surrogate (CESU-8, ED A0 80) is no
    UTF-8 and the file is refused whole with the line it is on."""
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    auth.organizer(organizer.email)
    data = b"name,email\nAda,ada@example.org\nBad \xed\xa0\x80,bad@example.org\n"
    response = client.post(f"/events/{event.slug}/import", data={
        "file": (io.BytesIO(data), "people.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422 and b"UTF-8" in response.data
    assert b"line 3" in response.data
    assert _count(Attendee) == 0


def test_pages_survive_text_stored_before_the_edges_refused_it(client, auth, make_organizer,
                                                               make_event, make_attendee):
    """A tag with a lone surrogate, stored before the API refused them, made the attendee's
    page, their exports and the organizer's follow-up export answer 500."""
    from sqlalchemy import update

    from eventnet.database import write_transaction
    from eventnet.models import Connection

    organizer = make_organizer()
    event = make_event(organizer=organizer)
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    scan_badge(ann.id, event.id, bob.badge.token, note="Rust")
    with write_transaction() as session:
        session.execute(update(Scan).values(tags=["bad \ud800 tag"]))
        session.execute(update(Connection).values(a_tags=["bad \ud800 tag"],
                                                  b_tags=["bad \ud800 tag"]))
    auth.attendee(ann)
    auth.organizer(organizer.email)
    for path in (f"/e/{event.slug}/me", f"/e/{event.slug}/me/connections.csv",
                 f"/e/{event.slug}/me/connections.vcf",
                 f"/events/{event.slug}/followups/export.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.get_data().decode("utf-8").count("Bob") >= 1, path  # valid UTF-8
