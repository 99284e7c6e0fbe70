"""The badge page after "We met — save": what was saved, with "Edit", not a second form."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import Scan
from eventnet.services.scans import scan_badge


def _scans():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Scan))


def _client_id(html: str) -> str:
    return re.search(r'name="client_id" type="hidden" value="([^"]+)"', html).group(1)


def test_after_saving_the_badge_page_shows_what_was_saved_and_edits_it(client, auth, make_event,
                                                                        make_attendee):
    event = make_event(scan_tags=["hiring", "mentor"])
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    auth.attendee(ann)
    html = client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    client.post(f"/b/{bob.badge.token}", data={"note": "Rust at Acme", "tags": ["hiring"],
                                                "client_id": _client_id(html)})
    again = client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    saved = again[again.index('id="saved"'):]
    assert "Rust at Acme" in saved[:saved.index("</section>")]
    assert "hiring" in saved[:saved.index("</section>")]
    assert "Edit" in again and "We met — save" not in again  # no invitation to scan again
    # Edit replaces the note and tags on the connection, and records no second scan
    edited = client.post(f"/b/{bob.badge.token}/edit", data={"note": "Rust and Wasm",
                                                             "tags": ["mentor"]})
    assert edited.status_code == 302 and _scans() == 1
    page = client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    assert "Rust and Wasm" in page and "Rust at Acme" not in page
    bad = client.post(f"/b/{bob.badge.token}/edit", data={"tags": ["<script>"]})
    assert bad.status_code == 422 and "<details open" in bad.get_data(as_text=True)


def test_editing_needs_a_connection_of_my_own(client, auth, make_event, make_attendee):
    event = make_event()
    ann, bob = make_attendee(event), make_attendee(event)
    scan_badge(bob.id, event.id, ann.badge.token, note="theirs")  # Bob scanned Ann, not her
    auth.attendee(ann)
    page = client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    assert "We met — save" in page and 'id="saved"' not in page
    refused = client.post(f"/b/{bob.badge.token}/edit", data={"note": "mine"})
    assert refused.status_code == 302 and _scans() == 1
