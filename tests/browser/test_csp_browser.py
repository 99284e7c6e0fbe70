"""Every kind of page under the Content-Security-Policy in a real Chromium: no violation.

The pages' own scripts, the vendored libraries (Chart.js, sigma, graphology, the QR decoder
and its WebAssembly), the service worker and the camera all run under the policy; a
violation is both a ``securitypolicyviolation`` event and a console error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventnet.services.attendees import magic_link
from eventnet.services.demo import DEMO_SLUG, create_demo
from tests.browser.test_dashboard_browser import sign_in
from tests.browser.test_scanner import _camera_showing

pytestmark = [pytest.mark.browser, pytest.mark.one_backend]

#: collects the violations of each page in the page itself
WATCH = """window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
                    + e.sourceFile + ":" + e.lineNumber);
});"""


def _visit(page: Any, url: str, ready: str | None = None) -> list[str]:
    page.goto(url)
    if ready:
        page.wait_for_selector(ready, timeout=20_000)
    page.wait_for_timeout(500)  # polling scripts run once more
    return list(page.evaluate("window.__csp"))


def test_no_page_reports_a_csp_violation(playwright_instance: Any, app: Any, live_server: str,
                                         tmp_path: Path, make_event: Any,
                                         make_attendee: Any) -> None:
    create_demo(attendee_count=12)
    event = make_event()
    ann, bob = make_attendee(event, "Ann"), make_attendee(event, "Bob", company="Acme")
    browser, context, page, errors = _camera_showing(playwright_instance, tmp_path,
                                                     bob.badge.token)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    context.add_init_script(WATCH)
    violations: dict[str, list[str]] = {}
    try:
        violations["/m/"] = _visit(page, magic_link(ann))
        with page.expect_navigation():
            page.click("form[method=post] button[type=submit]")
        for path, ready in ((f"/e/{event.slug}", None), (f"/e/{event.slug}/me", None),
                            (f"/b/{bob.badge.token}", None),
                            (f"/e/{event.slug}/scan", "#scanner[data-decoder=ready]")):
            violations[path] = _visit(page, live_server + path, ready)
        page.click("#camera-start")  # the camera and the WebAssembly decoder at work
        page.wait_for_selector("#scanner[data-last-result=recorded]", timeout=20_000)
        violations["scan"] = list(page.evaluate("window.__csp"))

        sign_in(page, live_server)
        demo = f"/events/{DEMO_SLUG}"
        for path, ready in ((f"{demo}/", "#scans-chart"), (f"{demo}/network", "canvas"),
                            (f"{demo}/followups", None), (f"{demo}/followups/preview/2", None),
                            (f"{demo}/attendees", None),
                            (f"{demo}/attendees/1", None), (f"{demo}/checkin", None),
                            ("/organizer/", None)):
            violations[path] = _visit(page, live_server + path, ready)
    finally:
        context.close()
        browser.close()
    assert {path: found for path, found in violations.items() if found} == {}
    assert [text for text in console if "Content Security Policy" in text] == []
    assert errors == []
