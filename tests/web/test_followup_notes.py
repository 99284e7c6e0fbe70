"""Follow-ups carry what the attendee last wrote about each person (issue 12, part 5).

Notes and tags are written when scanning (the badge page's "We met — save", the scanner's
JSON endpoint) and changed afterwards (the in-browser scanner and other clients call
``PATCH /api/v1/me/connections/<id>``). The attendee's page shows the connection's current
note and tags; the follow-up preview and the email that goes out must show the same.
"""

from __future__ import annotations

import re
from typing import Any

from eventnet.services import followup_mail, followup_sending
from eventnet.services.attendees import access_token


def _client_id(html: str) -> str:
    found = re.search(r'name="client_id" type="hidden" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _bearer(attendee: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token(attendee)}"}


def _patch(client: Any, attendee: Any, connection_id: int, **fields: Any) -> dict[str, Any]:
    response = client.patch(f"/api/v1/me/connections/{connection_id}",
                            headers=_bearer(attendee), json=fields)
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def test_preview_and_sent_email_show_the_connections_current_notes_and_tags(
        client: Any, auth: Any, make_organizer: Any, make_event: Any, make_attendee: Any,
        smtp: Any) -> None:
    boss = make_organizer("boss@example.org")
    event = make_event(organizer=boss, name="Rust Meetup", scan_tags=["hiring", "mentor"])
    ann = make_attendee(event, "Ann Archer", "ann@example.org")
    bob = make_attendee(event, "Bob Baker", "bob@example.org")
    cy = make_attendee(event, "Cy Cole", "cy@example.org")

    # Ann saves Bob on his badge page, with a note and a tag...
    auth.attendee(ann)
    html = client.get(f"/b/{bob.badge.token}").get_data(as_text=True)
    saved = client.post(f"/b/{bob.badge.token}", data={
        "note": "Old note from the badge page", "tags": ["hiring"],
        "client_id": _client_id(html)})
    assert saved.status_code == 302
    # ...and scans Cy in the in-browser scanner (its JSON endpoint), with a note.
    scanned = client.post("/api/v1/scans", headers=_bearer(ann), json={
        "badge": cy.badge.token, "note": "Note I took back", "tags": ["mentor"],
        "client_id": "ann-cy-1"})
    assert scanned.status_code == 201, scanned.get_data(as_text=True)
    cy_connection = scanned.get_json()["connection"]["id"]
    # Bob scans Ann in his scanner: that note is his, never in Ann's follow-up.
    bob_scan = client.post("/api/v1/scans", headers=_bearer(bob), json={
        "badge": ann.badge.token, "note": "Bob's own note", "client_id": "bob-ann-1"})
    assert bob_scan.status_code == 201
    bob_connection = bob_scan.get_json()["connection"]["id"]

    # Afterwards Ann edits her notes, as the in-browser scanner does (PATCH).
    _patch(client, ann, bob_connection, note="Ask Bob about the Rust job", tags=["mentor"])
    _patch(client, ann, cy_connection, note="", tags=[])
    mine = {c["person"]["name"]: c for c in
            client.get("/api/v1/me/connections", headers=_bearer(ann)).get_json()["connections"]}
    assert (mine["Bob Baker"]["note"], mine["Bob Baker"]["tags"]) == (
        "Ask Bob about the Rust job", ["mentor"])
    assert (mine["Cy Cole"]["note"], mine["Cy Cole"]["tags"]) == ("", [])

    def check(text: str) -> None:
        assert "Ask Bob about the Rust job" in text
        assert "Your tags: mentor" in text
        assert "Old note from the badge page" not in text
        assert "Note I took back" not in text  # cleared: no note about Cy any more
        assert "hiring" not in text
        assert "Bob's own note" not in text

    # The organizer's preview (the page and the service behind it)...
    preview = followup_mail.preview_email(event, ann.id)
    check(preview["text"])
    check(preview["html"])
    auth.organizer("boss@example.org")
    page = client.get(f"/events/{event.slug}/followups/preview/{ann.id}")
    assert page.status_code == 200
    assert "Ask Bob about the Rust job" in page.get_data(as_text=True)

    # ...and the email that goes out, received over SMTP.
    followup_sending.send_followups(event.id)
    [mail] = smtp.to("ann@example.org")
    check(mail.get_body(("plain",)).get_content())
    check(mail.get_body(("html",)).get_content())
    [bob_mail] = smtp.to("bob@example.org")
    assert "Bob's own note" in bob_mail.get_body(("plain",)).get_content()


def test_a_note_about_someone_who_scanned_me_is_in_my_followup(
        client: Any, make_event: Any, make_attendee: Any, smtp: Any) -> None:
    event = make_event(name="Rust Meetup")
    ann = make_attendee(event, "Ann Archer", "ann@example.org")
    dee = make_attendee(event, "Dee Dunn", "dee@example.org")
    scanned = client.post("/api/v1/scans", headers=_bearer(dee), json={
        "badge": ann.badge.token, "client_id": "dee-ann-1"})
    assert scanned.status_code == 201
    # Ann never scanned Dee, but the connection is hers too: she writes about it.
    _patch(client, ann, scanned.get_json()["connection"]["id"],
           note="Send Dee the slides", tags=["speaker"])
    preview = followup_mail.preview_email(event, ann.id)
    assert "Send Dee the slides" in preview["text"] and "Your tags: speaker" in preview["text"]
    assert "You wrote a note about Dee Dunn" in preview["text"]
    followup_sending.send_followups(event.id)
    [mail] = smtp.to("ann@example.org")
    assert "Send Dee the slides" in mail.get_body(("plain",)).get_content()
    [dees] = smtp.to("dee@example.org")
    assert "Send Dee the slides" not in dees.get_body(("plain",)).get_content()


def test_a_note_of_several_lines_stays_under_its_person_in_the_text_email(
        client: Any, make_event: Any, make_attendee: Any) -> None:
    event = make_event(name="Rust Meetup")
    ann = make_attendee(event, "Ann Archer", "ann@example.org")
    bob = make_attendee(event, "Bob Baker", "bob@example.org")
    scanned = client.post("/api/v1/scans", headers=_bearer(ann), json={
        "badge": bob.badge.token, "note": "Talked about the round\nWants a demo next week",
        "client_id": "ann-bob-1"})
    assert scanned.status_code == 201
    text = followup_mail.preview_email(event, ann.id)["text"]
    # The second line is indented like the first, not flush with the next person's "* ".
    assert "  Your note: Talked about the round\n    Wants a demo next week\n" in text
