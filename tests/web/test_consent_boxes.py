"""Consent is an action: no consent box is ticked until the person ticks it (issue 16, bug 2).

GDPR Art. 7 and Recital 32: silence or pre-ticked boxes are no consent. Every form that asks
for a consent (registration, registration at the door, the attendee's own page) starts with
the boxes empty, or, on the attendee's page, as the attendee last left them.
"""

from __future__ import annotations

import re
from typing import Any

CONSENTS = ("consent_share_contact", "consent_introductions", "consent_followup")


def _checkbox(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert found is not None, f"no {name} box"
    return found.group(0)


def _ticked(html: str, name: str) -> bool:
    return re.search(r"\bchecked\b", _checkbox(html, name)) is not None


def test_the_registration_form_ticks_no_consent(client: Any, make_event: Any) -> None:
    event = make_event()
    html = client.get(f"/e/{event.slug}").get_data(as_text=True)
    for name in CONSENTS:
        assert not _ticked(html, name), name


def test_a_registration_without_ticks_records_no_consent(client: Any, make_event: Any,
                                                         smtp: Any) -> None:
    from eventnet.extensions import db
    from eventnet.models import Attendee

    event = make_event()
    response = client.post(f"/e/{event.slug}", data={
        "name": "Ada", "email": "ada@example.org", "language": "en"})
    assert response.status_code == 302
    ada = db.session.query(Attendee).one()
    assert not (ada.consent_share_contact or ada.consent_introductions
                or ada.consent_followup)


def test_the_door_form_ticks_no_consent(client: Any, auth: Any, make_organizer: Any,
                                        make_event: Any) -> None:
    organizer = make_organizer("door@example.org")
    event = make_event(organizer=organizer)
    auth.organizer("door@example.org")
    html = client.get(f"/events/{event.slug}/checkin").get_data(as_text=True)
    assert not _ticked(html, "consent_followup")


def test_the_attendee_page_shows_the_consents_as_given(client: Any, auth: Any,
                                                       make_event: Any,
                                                       make_attendee: Any) -> None:
    event = make_event()
    ann = make_attendee(event, consent_share_contact=True, consent_introductions=False,
                        consent_followup=False)
    auth.attendee(ann)
    html = client.get(f"/e/{event.slug}/me").get_data(as_text=True)
    assert _ticked(html, "consent_share_contact")
    assert not _ticked(html, "consent_introductions")
    assert not _ticked(html, "consent_followup")
