"""The door's check-in page in a real Chromium: offline check-in from the kept roster, the
queue sent once when the network returns, and a walk-in's screen that waits for Done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from eventnet.extensions import db
from eventnet.models import CheckIn, CheckInRead
from eventnet.services.attendees import badge_url
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, sign_in_organizer
from tests.browser.test_scanner import _wait_for, write_y4m

pytestmark = pytest.mark.browser

FAKE_CAMERA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def _check_ins() -> list[CheckIn]:
    db.session.rollback()
    return list(db.session.scalars(select(CheckIn)))


def _reads() -> list[CheckInRead]:
    db.session.rollback()
    return list(db.session.scalars(select(CheckInRead)))


def _door(playwright: Any, profile: Path, camera_args: list[str]) -> tuple[Any, Any, list[str]]:
    """A Chromium profile kept on disk, as a door phone keeps it between openings."""
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_CAMERA + camera_args)
    page = context.pages[0] if context.pages else context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def test_the_door_checks_in_offline_and_syncs_once(playwright_instance, live_server, tmp_path,
                                                   make_organizer, make_event, make_attendee):
    owner = make_organizer()
    event = make_event(organizer=owner, timezone="Europe/Paris")
    ann = make_attendee(event, "Ann Onyme")
    make_attendee(event, "Bob")
    checkin = f"{live_server}/events/{event.slug}/checkin"
    profile = tmp_path / "door-profile"

    # Online once, with a camera that sees no badge: the roster and the page are kept.
    context, page, errors = _door(playwright_instance, profile, [])
    try:
        sign_in_organizer(page, live_server, owner.email)
        page.goto(checkin)
        page.wait_for_selector("#checkin[data-ready=yes][data-roster-size='2']", timeout=20_000)
        page.wait_for_function("""async () => {
            await navigator.serviceWorker.ready;
            const kept = await (await caches.open("eventnet-scanner-pages"))
                .match(location.pathname);
            return !!kept && !!navigator.serviceWorker.controller; }""", timeout=20_000)
        assert "2 attendees kept on this device" in page.inner_text("#checkin-roster")
    finally:
        context.close()
    assert errors == []

    # Later, no network: the page opens from the service worker, Ann's badge is filmed.
    video = write_y4m(tmp_path / "ann.y4m", badge_url(ann.badge.token))
    context, page, errors = _door(playwright_instance, profile,
                                  [f"--use-file-for-fake-video-capture={video}"])
    try:
        context.set_offline(True)
        reopened = page.goto(checkin)
        assert reopened.from_service_worker
        page.wait_for_selector("#checkin[data-last-result=green]", timeout=30_000)
        assert "Checked in: Ann Onyme" in page.inner_text("#checkin-result")
        assert page.get_attribute("#checkin", "data-queued") == "1"
        assert page.is_hidden("#checkin-print")  # the PDF comes from the server
        assert _check_ins() == []
        # the same badge again (typed this time): amber, with the time, nothing more queued
        page.fill("#manual-form input[name=badge]", ann.badge.token)
        page.click("#manual-form button[type=submit]")
        page.wait_for_selector("#checkin[data-last-result=amber]", timeout=10_000)
        assert "Already checked in at" in page.inner_text("#checkin-result")
        assert page.get_attribute("#checkin", "data-queued") == "1"
        page.fill("#manual-form input[name=badge]", "made-up-token")
        page.click("#manual-form button[type=submit]")
        page.wait_for_selector("#checkin[data-last-result=red]", timeout=10_000)
        assert "Not registered" in page.inner_text("#checkin-result")

        context.set_offline(False)  # "online": the queue is sent, once
        page.wait_for_selector("#checkin[data-queued='0']", timeout=30_000)
        check_ins = _wait_for(page, _check_ins)
        assert [c.attendee_id for c in check_ins] == [ann.id]
        [read] = _reads()
        assert read.attendee_id == ann.id and read.read_at == check_ins[0].checked_in_at
        # online now, the server answers: amber, and the badge can be printed
        page.fill("#manual-form input[name=badge]", ann.badge.token)
        page.click("#manual-form button[type=submit]")
        page.wait_for_function("""() => document.getElementById("checkin-title")
            .textContent.startsWith("Already checked in at")""", timeout=10_000)
        assert page.is_visible("#checkin-print")
        assert len(_check_ins()) == 1 and len(_reads()) == 2
    finally:
        context.close()
    assert errors == []


def test_the_door_shows_checking_until_the_server_answers(playwright_instance, live_server,
                                                          tmp_path, make_organizer, make_event,
                                                          make_attendee):
    owner = make_organizer()
    event = make_event(organizer=owner)
    ann = make_attendee(event, "Ann Onyme")
    context, page, errors = _door(playwright_instance, tmp_path / "profile", [])
    held: list[Any] = []
    try:
        sign_in_organizer(page, live_server, owner.email)
        page.goto(f"{live_server}/events/{event.slug}/checkin")
        page.wait_for_selector("#checkin[data-ready=yes][data-roster-size='1']", timeout=20_000)
        # the server's answer waits until the test releases it
        page.route("**/checkin/scan", lambda route: held.append(route))
        page.fill("#manual-form input[name=badge]", ann.badge.token)
        page.click("#manual-form button[type=submit]")
        page.wait_for_function("() => document.getElementById('checkin-title')"
                               ".textContent === 'Checking…'", timeout=10_000)
        # neither amber ("already checked in") nor any other answer while it waits
        assert page.get_attribute("#checkin", "data-last-result") == "checking"
        assert "amber" not in page.get_attribute("#checkin-result", "class")
        assert held and _check_ins() == []
        held[0].continue_()
        page.wait_for_selector("#checkin[data-last-result=green]", timeout=10_000)
        assert "Checked in: Ann Onyme" in page.inner_text("#checkin-result")
    finally:
        context.close()
    assert errors == []


def test_a_walk_in_keeps_their_badge_on_screen_until_done(playwright_instance, live_server,
                                                          tmp_path, make_organizer, make_event,
                                                          make_attendee, smtp):
    owner = make_organizer()
    event = make_event(organizer=owner)
    bob = make_attendee(event, "Bob")
    video = write_y4m(tmp_path / "bob.y4m", badge_url(bob.badge.token))
    context, page, errors = _door(playwright_instance, tmp_path / "profile",
                                  [f"--use-file-for-fake-video-capture={video}"])
    try:
        sign_in_organizer(page, live_server, owner.email)
        # Bob's badge stays in front of the camera: checked in, then staff register a walk-in
        page.goto(f"{live_server}/events/{event.slug}/checkin")
        page.wait_for_selector("#checkin[data-last-result=green]", timeout=30_000)
        assert "Checked in: Bob" in page.inner_text("#checkin-result")
        page.fill("#onsite input[name=name]", "Walk In")
        page.fill("#onsite input[name=email]", "walk@example.org")
        page.click("#onsite button[type=submit]")
        page.wait_for_selector("#onsite-badge")
        page.wait_for_selector("#checkin[data-camera=on][data-held-reads]", timeout=30_000)
        # the camera read Bob again, but the walk-in's screen stayed, with their answer
        assert "Checked in: Walk In" in page.inner_text("#checkin-result")
        assert page.is_visible("#onsite-badge")
        assert sorted(c.method for c in _check_ins()) == ["badge", "onsite"]
        assert len(smtp.to("walk@example.org")) == 1
        # their badge prints from the answer
        href = page.get_attribute("#checkin-print", "href")
        assert href.endswith("/badge.pdf?layout=a6")
        page.select_option("#print-layout", "label")
        href = page.get_attribute("#checkin-print", "href")
        assert href.endswith("/badge.pdf?layout=label")
        pdf = page.request.get(f"{live_server}{href}")
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        page.click("#onsite-done")
        assert page.locator("#onsite-badge").count() == 0
        assert page.url == f"{live_server}/events/{event.slug}/checkin"
    finally:
        context.close()
    assert errors == []
