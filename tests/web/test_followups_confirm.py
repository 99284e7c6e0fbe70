"""Sending the follow-ups asks first: who gets what, and louder while the event runs."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest

from eventnet.models import utcnow
from eventnet.services import followup_sending
from tests.followup_data import small_event


@pytest.fixture
def ev(make_event: Any, make_attendee: Any, make_organizer: Any) -> Any:
    org = make_organizer("boss@example.org")
    return small_event(make_event, make_attendee, organizer=org)


def _queued(ev: Any) -> int:
    return followup_sending.progress(ev.event.id)["sent"] + \
        followup_sending.progress(ev.event.id)["queued"]


def test_send_asks_first_and_says_who_gets_what(client, auth, ev, smtp):
    auth.organizer("boss@example.org")
    base = f"/events/{ev.event.slug}/followups"
    page = client.get(base).get_data(as_text=True)
    assert f'href="{base}/send"' in page  # "Send follow-ups" opens the confirmation
    confirm = client.get(base + "/send").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", confirm))
    assert "4 attendees will receive their follow-up" in text
    assert "1 attendee is skipped" in text and "met no one: 1" in text
    assert "still running" not in text
    # without the confirmation, nothing goes
    client.post(base + "/send")
    assert _queued(ev) == 0 and smtp.messages == []
    done = client.post(base + "/send", data={"confirm": "1"}, follow_redirects=True)
    assert b"are being prepared and sent" in done.data
    deadline = time.monotonic() + 60
    while not client.get(base + "/progress.json").json["is_done"] \
            and time.monotonic() < deadline:
        time.sleep(0.05)  # until the run in the background is through
    again = client.get(base + "/send").get_data(as_text=True)
    assert "Nobody is due a follow-up" in again and "4 attendees already received" in again


def test_before_the_event_ends_the_warning_must_be_acknowledged(
        client, auth, make_event, make_attendee, make_organizer, smtp):
    org = make_organizer("boss@example.org")
    ends_at = utcnow() + timedelta(hours=2)
    ev = small_event(make_event, make_attendee, organizer=org,
                     starts_at=utcnow() - timedelta(hours=1), ends_at=ends_at)
    auth.organizer("boss@example.org")
    base = f"/events/{ev.event.slug}/followups"
    confirm = client.get(base + "/send").get_data(as_text=True)
    assert "The event is still running" in confirm and 'name="early"' in confirm
    refused = client.post(base + "/send", data={"confirm": "1"})
    assert refused.status_code == 422 and _queued(ev) == 0
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    sent = client.post(base + "/send", data={"confirm": "1", "early": "y"})
    assert sent.status_code == 302
    deadline = time.monotonic() + 60
    while not client.get(base + "/progress.json").json["is_done"] \
            and time.monotonic() < deadline:
        time.sleep(0.05)  # the run ends here, not while the next test empties the tables


def test_one_attendee_selector_for_preview_and_test(client, auth, ev, smtp):
    auth.organizer("boss@example.org")
    base = f"/events/{ev.event.slug}/followups"
    page = client.get(base).get_data(as_text=True)
    assert page.count("<select") == 1
    assert re.search(r'<label for="fu-attendee"[^>]*>', page)
    preview = client.post(base + "/preview", data={"attendee": ev.ada.id, "preview": "1"})
    assert preview.status_code == 302 and f"/preview/{ev.ada.id}" in preview.location
    client.post(base + "/test", data={"attendee": ev.ada.id})
    assert len(smtp.to("boss@example.org")) == 1
