"""Take the screenshots in docs/screenshots/ (phone and desktop) from the demo event.

Run from the repository with the test extra installed and Debian's Chromium:

    .venv/bin/python scripts/screenshots.py

It serves a fresh app (a temporary SQLite database with `eventnet demo`'s data) on a free
loopback port, signs in as an attendee and as the demo organizer, and writes PNG files.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 860}}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select
    from werkzeug.serving import make_server

    from eventnet import create_app
    from eventnet.extensions import db
    from eventnet.models import Attendee, Event
    from eventnet.services.attendees import magic_link
    from eventnet.services.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, create_demo

    instance = tempfile.mkdtemp(prefix="eventnet-screenshots-")
    os.environ["EVENTNET_INSTANCE_PATH"] = instance
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/demo.sqlite3",
                      "EVENTNET_BASE_URL": base, "MAIL_BACKEND": "file",
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        create_demo(attendee_count=40)
        event = db.session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
        people = list(db.session.scalars(select(Attendee).where(Attendee.event_id == event.id)
                                         .order_by(Attendee.id).limit(2)))
        link, other_badge = magic_link(people[0]), people[1].badge.token
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless=new"])
        for device, viewport in VIEWPORTS.items():
            page = browser.new_context(viewport=viewport).new_page()

            def shot(path: str, name: str, page: object = page, device: str = device) -> None:
                page.goto(base + path)  # type: ignore[attr-defined]
                page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
                page.screenshot(path=str(OUT / f"{device}-{name}.png"))  # type: ignore[attr-defined]

            shot(f"/e/{DEMO_SLUG}", "register")
            page.goto(link)
            confirm = page.query_selector("main form[method=post] button[type=submit]")
            if confirm is not None and "/m/" in page.url:  # "Continue as ..."
                with page.expect_navigation():
                    confirm.click()
            shot(f"/e/{DEMO_SLUG}/me", "attendee")
            shot(f"/b/{other_badge}", "badge")
            page.goto(base + "/organizer/sign-in")
            page.fill("input[name=email]", DEMO_EMAIL)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("main button[type=submit]")
            page.wait_for_url(base + "/organizer/")
            shot(f"/events/{DEMO_SLUG}/", "dashboard")
            shot(f"/events/{DEMO_SLUG}/network", "network")
        browser.close()
    server.shutdown()
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
