"""The in-app scanner in a real Chromium with a fake camera showing a badge's QR code."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import Scan
from eventnet.services.attendees import badge_url, magic_link
from eventnet.services.badges import qr_png
from tests.browser.conftest import follow_magic_link, launch_chromium

pytestmark = pytest.mark.browser


def write_y4m(path: Path, text: str, frames: int = 10) -> Path:
    """A few 640×480 frames of ``text`` as a QR code, in the raw format Chromium's fake
    camera plays in a loop (YUV 4:2:0)."""
    qr = Image.open(io.BytesIO(qr_png(text, box_size=8))).convert("RGB")
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + y.tobytes() + cb.resize((320, 240)).tobytes()
                      + cr.resize((320, 240)).tobytes())
    return path


def _camera_showing(playwright_instance: Any, tmp_path: Path,
                    badge_token: str) -> tuple[Any, Any, Any, list[str]]:
    """Chromium whose fake camera films a badge: (browser, context, page, page errors)."""
    video = write_y4m(tmp_path / "badge.y4m", badge_url(badge_token))
    browser = launch_chromium(playwright_instance, [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return browser, context, page, errors


def _scans() -> list[Scan]:
    db.session.rollback()
    return list(db.session.scalars(select(Scan)))


def _wait_for(page: Any, predicate: Any, timeout: float = 20.0) -> Any:
    """Poll the database while letting Playwright run (its route handler serves requests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        page.wait_for_timeout(200)
    return predicate()


@pytest.fixture
def camera_page(playwright_instance, live_server, tmp_path, make_event, make_attendee):
    """A signed-in attendee's scanner page, the fake camera showing Bob's badge."""
    event = make_event()
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob", company="Acme")
    browser, context, page, errors = _camera_showing(playwright_instance, tmp_path,
                                                     bob.badge.token)
    # Everything must come from our server: no CDN, ever.
    outside: list[str] = []
    page.route("**/*", lambda route: (outside.append(route.request.url), route.abort())
               if not route.request.url.startswith(live_server) else route.continue_())
    follow_magic_link(page, magic_link(ann))  # signs in, lands on the attendee's page
    page.goto(f"{live_server}/e/{event.slug}/scan")
    page.wait_for_selector("#scanner[data-decoder=ready]", timeout=20_000)
    yield page, context, ann, bob
    context.close()
    browser.close()
    assert errors == [] and outside == []


def test_a_badge_in_front_of_the_camera_is_recorded_once(camera_page):
    page, _, ann, bob = camera_page
    page.click("#camera-start")
    page.wait_for_selector("#scanner[data-last-result=recorded]", timeout=20_000)
    assert "Bob" in page.inner_text("#scan-result")
    scans = _scans()
    assert [(s.scanner_id, s.scanned_id, s.source) for s in scans] == [(ann.id, bob.id,
                                                                        "scanner")]
    # the badge stays in front of the camera: not recorded again
    page.wait_for_timeout(2000)
    assert len(_scans()) == 1
    # a note on the connection, from the result card
    page.fill("#scan-note", "Talked about WebAssembly")
    page.click("#note-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('note-status').textContent !== ''")
    db.session.rollback()
    from eventnet.models import Connection

    conn = db.session.scalars(select(Connection)).one()
    assert "WebAssembly" in (conn.a_note if conn.a_id == ann.id else conn.b_note)


def test_offline_scans_wait_in_the_browser_and_are_recorded_once(camera_page):
    page, context, ann, bob = camera_page
    context.set_offline(True)
    page.click("#camera-start")
    page.wait_for_selector("#scanner[data-last-result=queued]", timeout=20_000)
    assert page.get_attribute("#scanner", "data-queued") == "1"
    assert _scans() == []
    context.set_offline(False)  # the browser fires "online": the queue is sent
    assert _wait_for(page, lambda: len(_scans()) == 1)
    page.wait_for_selector("#scanner[data-queued='0']", timeout=20_000)
    page.wait_for_timeout(1000)
    scans = _scans()
    assert len(scans) == 1 and scans[0].client_id and scans[0].scanned_id == bob.id
    # replaying the same client id (a second tab, a retry) records nothing new
    replay = page.evaluate("""async (args) => {
        const me = await (await fetch(document.getElementById("scanner").dataset.session)).json();
        const r = await fetch("/api/v1/scans", {method: "POST", headers: {
            "Content-Type": "application/json", Authorization: "Bearer " + me.token},
            body: JSON.stringify({badge: args.badge, client_id: args.cid})});
        return r.status; }""", {"badge": bob.badge.token, "cid": scans[0].client_id})
    assert replay == 200 and db.session.scalar(select(func.count()).select_from(Scan)) == 1


def test_the_scanner_reopens_offline_and_syncs_when_back(playwright_instance, app, live_server,
                                                         tmp_path, make_event, make_attendee,
                                                         monkeypatch):
    """Opened once online, /scan reopens with no network from the service worker; a badge
    scanned then waits in the browser and is recorded once when the network returns."""
    event = make_event()
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob", company="Acme")
    served: list[str] = []  # every path that reached the server
    wsgi = app.wsgi_app

    def counting(environ: Any, start_response: Any) -> Any:
        served.append(environ["PATH_INFO"])
        return wsgi(environ, start_response)

    monkeypatch.setattr(app, "wsgi_app", counting)
    browser, context, page, errors = _camera_showing(playwright_instance, tmp_path,
                                                     bob.badge.token)
    outside: list[str] = []
    context.on("request", lambda request: outside.append(request.url)
               if not request.url.startswith(live_server) else None)
    try:
        follow_magic_link(page, magic_link(ann))
        page.goto(f"{live_server}/scan")  # redirects to the event's scanner
        page.wait_for_selector("#scanner[data-ready=yes][data-decoder=ready]", timeout=20_000)
        assert "Ann" in page.inner_text("#scanner-who")
        page.wait_for_function("""async () => {
            await navigator.serviceWorker.ready;
            const kept = await (await caches.open("eventnet-scanner-pages")).match("/scan");
            return !!kept && !!navigator.serviceWorker.controller; }""", timeout=20_000)
        # nothing personal was kept: the token only ever came from the session call
        kept_html = page.evaluate("""async () =>
            (await (await caches.open("eventnet-scanner-pages")).match("/scan")).text()""")
        assert 'id="scanner"' in kept_html and "ea_" not in kept_html

        context.set_offline(True)
        served.clear()
        reopened = page.goto(f"{live_server}/scan")
        assert reopened.from_service_worker
        page.wait_for_selector("#scanner[data-ready=yes][data-decoder=ready]", timeout=20_000)
        assert "Ann" in page.inner_text("#scanner-who")  # remembered, offline
        page.click("#camera-start")
        page.wait_for_selector("#scanner[data-last-result=queued]", timeout=20_000)
        assert page.get_attribute("#scanner", "data-queued") == "1"
        assert _scans() == []
        assert not [p for p in served if p.endswith("/scan") or p.startswith("/static/")], served

        context.set_offline(False)  # "online": the queue is sent
        assert _wait_for(page, lambda: len(_scans()) == 1)
        page.wait_for_selector("#scanner[data-queued='0']", timeout=20_000)
        page.wait_for_timeout(1500)
        scans = _scans()
        assert [(s.scanner_id, s.scanned_id) for s in scans] == [(ann.id, bob.id)]
    finally:
        context.close()
        browser.close()
    assert errors == [] and outside == []
