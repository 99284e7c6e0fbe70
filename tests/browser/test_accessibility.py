"""axe-core on the main pages, phone and desktop: no serious or critical violation; forms
say which field is wrong, to everyone, and put the focus there."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from eventnet.extensions import db
from eventnet.models import Attendee, Event
from eventnet.services.attendees import magic_link
from eventnet.services.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, create_demo
from eventnet.services.scans import scan_badge

pytestmark = [pytest.mark.browser, pytest.mark.one_backend]

#: axe-core 4.14.1 from npm (MPL-2.0), for the tests only: pages never load it
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def _violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.filter((v) => ["serious", "critical"].includes(v.impact))
          .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3)
            .map((n) => n.target.join(" ")).join(", ")}`);
    }""")
    return list(found)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_main_pages_have_no_serious_violation(app, live_server, browser, viewport):
    create_demo(attendee_count=8)
    event = db.session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
    ann, bob, eve = db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id).order_by(Attendee.id).limit(3))
    scan_badge(ann.id, event.id, eve.badge.token, note="Talked about Rust")
    # axe is injected as a script tag: the pages' own policy would (rightly) refuse it
    context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
    page = context.new_page()
    problems: dict[str, list[str]] = {}

    def audit(path: str) -> None:
        page.goto(f"{live_server}{path}")
        found = _violations(page)
        if found:
            problems[path] = found

    try:
        audit("/")
        audit(f"/e/{DEMO_SLUG}")
        audit(f"/e/{DEMO_SLUG}/signin")
        page.goto(magic_link(ann))
        confirm = page.query_selector("main form[method=post] button[type=submit]")
        if confirm is not None and "/m/" in page.url:  # "Continue as ..."
            with page.expect_navigation():
                confirm.click()
        for path in (f"/e/{DEMO_SLUG}/me", f"/b/{bob.badge.token}", f"/b/{eve.badge.token}",
                     f"/e/{DEMO_SLUG}/scan"):
            audit(path)
        page.goto(f"{live_server}/organizer/sign-in")
        audit("/organizer/sign-in")
        page.fill("input[name=email]", DEMO_EMAIL)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server}/organizer/")
        for path in ("/organizer/", f"/events/{DEMO_SLUG}/", f"/events/{DEMO_SLUG}/attendees",
                     f"/events/{DEMO_SLUG}/network", f"/events/{DEMO_SLUG}/followups",
                     f"/events/{DEMO_SLUG}/checkin",
                     f"/events/{DEMO_SLUG}/followups/send", f"/events/{DEMO_SLUG}/exports",
                     f"/events/{DEMO_SLUG}/edit"):
            audit(path)
    finally:
        context.close()
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_after_a_form_error_the_focus_is_on_the_first_wrong_field(app, live_server, page):
    create_demo(attendee_count=2)
    page.goto(f"{live_server}/e/{DEMO_SLUG}")
    page.fill("input[name=email]", "not an email")
    # until the page that came back has loaded: forms.js (deferred) runs only after the
    # errors are in the document, so waiting for them alone raced with it on a busy machine
    with page.expect_navigation(wait_until="load"):
        page.click("main form button[type=submit]")
    page.wait_for_selector(".has-error")
    focused = page.evaluate("""() => {
        const el = document.activeElement;
        return [el.name, el.getAttribute("aria-invalid"),
                document.getElementById(el.getAttribute("aria-describedby").split(" ")
                  .find((id) => id.endsWith("-error"))).textContent];
    }""")
    assert focused[0] == "name" and focused[1] == "true" and focused[2]
