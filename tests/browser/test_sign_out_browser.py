"""Signing out in a real Chromium: what a device kept for offline use leaves with the session
(the door's roster of names), and what was not sent yet is not lost without a word."""

from __future__ import annotations

from typing import Any

import pytest

from eventnet.services.attendees import magic_link
from tests.browser.conftest import follow_magic_link, sign_in_organizer
from tests.browser.test_scanner import _wait_for

pytestmark = pytest.mark.browser

KEPT = """async () => {
    const databases = {};
    for (const {name} of await indexedDB.databases()) {
        const db = await new Promise((ok, ko) => {
            const req = indexedDB.open(name); req.onsuccess = () => ok(req.result);
            req.onerror = () => ko(req.error); });
        databases[name] = {};
        for (const store of db.objectStoreNames) {
            databases[name][store] = await new Promise((ok) => {
                const req = db.transaction(store).objectStore(store).count();
                req.onsuccess = () => ok(req.result); });
        }
        db.close();
    }
    return {databases, caches: await caches.keys(), local: {...localStorage},
            workers: (await navigator.serviceWorker.getRegistrations()).length};
}"""


def _door_ready(page: Any, checkin: str, size: int) -> None:
    """The check-in page, its roster kept and the page kept by the service worker."""
    page.goto(checkin)
    page.wait_for_selector(f"#checkin[data-ready=yes][data-roster-size='{size}']",
                           timeout=20_000)
    page.wait_for_function("""async () => {
        await navigator.serviceWorker.ready;
        return !!(await (await caches.open("eventnet-scanner-pages")).match(location.pathname));
    }""", timeout=20_000)


def _requests_failed_on_purpose(page: Any) -> None:
    """Chromium logs the requests the test aborted (its network "gone"): not page errors."""
    aborted = "Failed to load resource: net::ERR_FAILED"
    page.js_errors[:] = [e for e in page.js_errors if e != aborted]


def _sign_out(page: Any) -> None:
    # Once the sign-out has cleared the site's data, a request the page being left still had
    # in flight may end in a connection reset, now or after the test's last line (seen once in
    # CI under load): Chromium drops what it held for the site. Nothing the next page needs.
    page.js_expected.append("net::ERR_CONNECTION_RESET")
    # ... and the door page, until it is left, finds its database closed by the browser
    page.js_expected.append("The database connection is closing")
    page.click("header .nav-links button:has-text('Sign out')")


def test_signing_out_deletes_the_door_roster_from_the_device(page, live_server, make_organizer,
                                                            make_event, make_attendee):
    owner = make_organizer()
    event = make_event(organizer=owner)
    make_attendee(event, "Ann Onyme")
    make_attendee(event, "Bob")
    sign_in_organizer(page, live_server, owner.email)
    _door_ready(page, f"{live_server}/events/{event.slug}/checkin", 2)
    kept = page.evaluate(KEPT)
    assert kept["databases"][f"eventnet-checkin-{event.slug}"]["roster"] == 1
    assert kept["caches"] and kept["workers"] == 1

    _sign_out(page)
    page.wait_for_url(f"{live_server}/")
    assert "You are signed out." in page.inner_text("main")
    # Clear-Site-Data: the browser kept nothing of the site (127.0.0.1 is a secure context)
    assert page.evaluate(KEPT) == {"databases": {}, "caches": [], "local": {}, "workers": 0}


def test_check_ins_not_sent_yet_are_not_deleted_without_asking(page, live_server,
                                                              make_organizer, make_event,
                                                              make_attendee):
    owner = make_organizer()
    event = make_event(organizer=owner)
    ann = make_attendee(event, "Ann Onyme")
    sign_in_organizer(page, live_server, owner.email)
    # the door's network is gone for check-ins (the page stays): one is queued on the device
    for path in ("scan", "sync"):
        page.route(f"**/events/{event.slug}/checkin/{path}", lambda route: route.abort())
    _door_ready(page, f"{live_server}/events/{event.slug}/checkin", 1)
    page.fill("#manual-form input[name=badge]", ann.badge.token)
    page.click("#manual-form button[type=submit]")
    page.wait_for_selector("#checkin[data-queued='1']", timeout=10_000)

    asked: list[str] = []

    def stay(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", stay)
    _sign_out(page)
    _wait_for(page, lambda: asked)
    assert asked == ["1 check-in or scan kept on this device has not reached the server yet: "
                     "signing out deletes it from this device. Sign out anyway?"]
    # they stayed: signed in, the roster and the check-in still on the device
    assert page.url.endswith("/checkin")
    kept = page.evaluate(KEPT)["databases"][f"eventnet-checkin-{event.slug}"]
    assert kept == {"queue": 1, "roster": 1}
    assert page.request.get(f"{live_server}/events/{event.slug}/checkin/roster").ok

    page.once("dialog", lambda dialog: dialog.accept())
    _sign_out(page)
    page.wait_for_url(f"{live_server}/")
    assert page.evaluate(KEPT)["databases"] == {}
    _requests_failed_on_purpose(page)


def test_an_attendee_signing_out_keeps_their_queued_scans_but_not_their_name(
        page, live_server, make_event, make_attendee):
    event = make_event()
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob")
    page.route("**/api/v1/scans", lambda route: route.abort())  # the scan waits on the phone
    follow_magic_link(page, magic_link(ann))
    page.goto(f"{live_server}/e/{event.slug}/scan")
    page.wait_for_selector("#scanner[data-ready=yes]", timeout=20_000)
    page.click("#camera-start")  # no camera here: the code is typed
    page.wait_for_selector("#manual-form:not([hidden])", timeout=20_000)
    page.fill("#manual-form input[name=badge]", bob.badge.token)
    page.click("#manual-form button[type=submit]")
    page.wait_for_selector("#scanner[data-queued='1']", timeout=10_000)
    assert f"eventnet-scanner:{event.slug}" in page.evaluate(KEPT)["local"]

    page.goto(f"{live_server}/e/{event.slug}/me")
    page.click("button:has-text('Sign out on this device')")
    page.wait_for_url(f"{live_server}/e/{event.slug}")
    kept = page.evaluate(KEPT)
    assert kept["local"] == {}  # the scanner no longer says who this phone is
    assert kept["databases"] == {f"eventnet-scans-{ann.id}": {"queue": 1}}  # sent at sign-in
    _requests_failed_on_purpose(page)
