"""The scanner's offline card goes away once the scans it kept are sent."""

from __future__ import annotations

import pytest

from tests.browser.test_scanner import _scans, _wait_for, camera_page  # noqa: F401

pytestmark = pytest.mark.browser


def test_the_offline_card_is_cleared_when_the_queue_is_sent(camera_page):  # noqa: F811
    page, context, ann, bob = camera_page
    context.set_offline(True)
    page.click("#camera-start")
    page.wait_for_selector("#scanner[data-last-result=queued]", timeout=20_000)
    assert "No network" in page.inner_text("#scan-result")
    context.set_offline(False)  # "online": the queue is sent in the background
    assert _wait_for(page, lambda: len(_scans()) == 1)
    page.wait_for_selector("#scanner[data-queued='0']", timeout=20_000)
    # the card said the scan was kept on the phone: now it was sent, the card goes
    page.wait_for_selector("#scan-result", state="hidden", timeout=20_000)
    assert page.get_attribute("#scanner", "data-last-result") == "synced"
    assert "Bob" in page.inner_text("#scan-log")
    assert page.is_hidden("#queue-status")
