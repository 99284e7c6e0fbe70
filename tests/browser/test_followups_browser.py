"""Sending the follow-ups from the organizer's page in a real Chromium."""

from __future__ import annotations

import pytest

from eventnet.services.demo import DEMO_SLUG, create_demo
from tests.browser.test_dashboard_browser import sign_in

pytestmark = pytest.mark.browser


def test_send_shows_the_run_and_its_counts_fill_in(app, live_server, page, smtp):
    create_demo(attendee_count=16)
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{DEMO_SLUG}/followups")
    assert page.is_hidden("#fu-preparing") and page.text_content("#fu-sent") == "0"
    page.click("text=Send follow-ups")  # the confirmation: who gets what
    assert "attendees will receive their follow-up" in page.text_content("main")
    page.check("input[name=early]")  # the demo event runs until two hours from now
    page.click("main form button[type=submit]")
    assert "being prepared and sent" in page.text_content(".flash-success")
    # the page polls: the count of sent emails reaches what the SMTP server received
    page.wait_for_function(
        "() => document.getElementById('fu-preparing').hidden"
        " && +document.getElementById('fu-sent').textContent > 0"
        " && document.getElementById('fu-queued').textContent === '0'", timeout=30000)
    assert int(page.text_content("#fu-sent")) == len(smtp.messages) > 0
