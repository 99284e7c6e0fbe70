"""A camera that does not start, in a real Chromium: the door's page and the attendee's
scanner say why in the page's language and what to do, the browser's English message left
out; the error's technical name stays in a small line of its own."""

from __future__ import annotations

from typing import Any

import pytest

from eventnet.services.attendees import magic_link
from tests.browser.conftest import follow_magic_link, launch_chromium, sign_in_organizer

pytestmark = pytest.mark.browser

NOT_FOUND = {
    "en": "No camera was found on this device. Meanwhile, type the badge code or find the "
          "person by name.",
    "fr": "Aucune caméra n’a été trouvée sur cet appareil. En attendant, saisissez le code "
          "du badge ou cherchez la personne par son nom.",
}


def _errors_of(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_door_says_no_camera_was_found_in_its_language(browser, live_server, language,
                                                           make_organizer, make_event):
    owner = make_organizer()
    event = make_event(organizer=owner)
    # this Chromium has no camera at all: getUserMedia fails with NotFoundError
    page = browser.new_context(locale=language).new_page()
    errors = _errors_of(page)
    sign_in_organizer(page, live_server, owner.email)
    page.goto(f"{live_server}/events/{event.slug}/checkin")
    page.wait_for_selector("#checkin[data-camera=off]", timeout=20_000)
    assert page.get_attribute("#checkin", "data-camera-problem") == "missing"
    assert page.inner_text("#camera-status") == NOT_FOUND[language]
    assert page.inner_text("#camera-detail") == "NotFoundError"
    assert page.is_visible("#camera-detail")
    assert errors == []


def test_the_scanner_says_how_to_unblock_the_camera(playwright_instance, live_server,
                                                    make_event, make_attendee):
    event = make_event()
    ann = make_attendee(event, "Ann", language="fr")  # her pages speak French
    # a camera is there, but the permission is not given (headless Chromium says no)
    browser = launch_chromium(playwright_instance, ["--use-fake-device-for-media-stream"])
    try:
        page = browser.new_context().new_page()
        errors = _errors_of(page)
        follow_magic_link(page, magic_link(ann))
        page.goto(f"{live_server}/e/{event.slug}/scan")
        page.wait_for_selector("#scanner[data-decoder=ready]", timeout=20_000)
        page.click("#camera-start")
        page.wait_for_selector("#scanner[data-camera=off]", timeout=20_000)
        assert page.get_attribute("#scanner", "data-camera-problem") == "blocked"
        assert page.inner_text("#scanner-status") == (
            "La caméra est bloquée\u00a0: autorisez-la pour ce site dans les réglages du "
            "navigateur, puis rechargez la page. En attendant, saisissez le code imprimé sous le "
            "QR code du badge.")
        assert page.inner_text("#camera-detail") == "NotAllowedError"
        assert page.is_visible("#manual-form")
        # the other known causes, by the error's name
        problems = page.evaluate("""() => ["NotReadableError", "NotSupportedError", "AbortError",
            "Error"].map((name) => EventnetCamera.problem({name}))""")
        assert problems == ["busy", "insecure", "other", "other"]
        assert errors == []
    finally:
        browser.close()
