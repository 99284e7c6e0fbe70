"""Phones: every tap target is at least 44 px, headers stay on one line, dates read well."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eventnet.extensions import db
from eventnet.models import Attendee, Event
from eventnet.services.attendees import magic_link
from eventnet.services.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, create_demo
from eventnet.services.scans import scan_badge

pytestmark = [pytest.mark.browser, pytest.mark.one_backend]

PHONE = {"width": 390, "height": 844}
MIN_TARGET = 44

# Controls, and the labels of checkboxes (the label is what a finger taps). Links inside a
# sentence are exempt, as in WCAG 2.5.5.
SMALL_TARGETS = """() => {
  const selector = [
    "button", "a.button", "summary", "select", "textarea", ".topbar a", ".subnav a",
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio])",
  ].join(",");
  const seen = new Set(document.querySelectorAll(selector));
  for (const box of document.querySelectorAll("input[type=checkbox], input[type=radio]")) {
    seen.add(box.closest("label") || document.querySelector(`label[for="${box.id}"]`) || box);
  }
  const small = [];
  for (const el of seen) {
    const r = el.getBoundingClientRect();
    if (!el.checkVisibility({visibilityProperty: true})) continue;  // not shown
    if (r.width < 43.5 || r.height < 43.5) {  // sub-pixel layout
      small.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.name || "").trim()
        .slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return small;
}"""

TOPBAR = ".topbar > .brand, .topbar .nav-links > *, .topbar summary, .topbar .lang button"
# One line: the items of a bar sit on the same row, side by side, and nothing overflows.
ONE_LINE = """(selector) => {
  const items = Array.from(document.querySelectorAll(selector))
    .filter((el) => el.checkVisibility({visibilityProperty: true}));
  if (!items.length) return "missing";
  const boxes = items.map((el) => el.getBoundingClientRect()).sort((a, b) => a.left - b.left);
  // one row: some horizontal line crosses every item
  const lowestTop = Math.max(...boxes.map((b) => b.top));
  const highestBottom = Math.min(...boxes.map((b) => b.bottom));
  if (lowestTop >= highestBottom) return "wraps";
  for (let i = 1; i < boxes.length; i++) {
    if (boxes[i].left < boxes[i - 1].right - 1) return "items overlap";
  }
  // clientWidth, not innerWidth: on a phone the layout viewport grows with what overflows it
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) return "page scrolls sideways";
  return "ok";
}"""


def _sign_in_attendee(page, link: str) -> None:
    page.goto(link)
    confirm = page.query_selector("main form[method=post] button[type=submit]")
    if confirm is not None and "/m/" in page.url:  # "Continue as ...": a GET signs no one in
        with page.expect_navigation():
            confirm.click()


def _sign_in_organizer(page, base: str) -> None:
    page.goto(f"{base}/organizer/sign-in")
    page.fill("input[name=email]", DEMO_EMAIL)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/organizer/")


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    yield context.new_page()
    context.close()


def test_tap_targets_and_headers_on_a_phone(app, live_server, phone):
    create_demo(attendee_count=8)
    event = db.session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
    ann, bob, eve = db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id).order_by(Attendee.id).limit(3))
    scan_badge(ann.id, event.id, eve.badge.token, note="Talked about Rust")
    problems: dict[str, object] = {}

    def check(path: str, headers: tuple[str, ...] = (TOPBAR,)) -> None:
        phone.goto(f"{live_server}{path}")
        small = phone.evaluate(SMALL_TARGETS)
        if small:
            problems[path] = small
        for selector in headers:
            layout = phone.evaluate(ONE_LINE, selector)
            if layout != "ok":
                problems[f"{path} {selector}"] = layout

    check("/")
    check(f"/e/{DEMO_SLUG}")
    check(f"/e/{DEMO_SLUG}/signin")
    _sign_in_attendee(phone, magic_link(ann))
    check(f"/e/{DEMO_SLUG}/me")
    check(f"/b/{bob.badge.token}")
    check(f"/b/{eve.badge.token}")  # saved: what was saved, with Edit
    check(f"/e/{DEMO_SLUG}/scan")
    _sign_in_organizer(phone, live_server)
    check("/organizer/")
    phone.click(".nav-menu summary")  # the organizer's links, folded into a menu
    assert phone.is_visible(".nav-menu-items >> text=Communities")
    assert phone.evaluate(SMALL_TARGETS) == []
    for path in (f"/events/{DEMO_SLUG}/", f"/events/{DEMO_SLUG}/attendees",
                 f"/events/{DEMO_SLUG}/followups",
                 f"/events/{DEMO_SLUG}/network", f"/events/{DEMO_SLUG}/exports"):
        check(path, (TOPBAR, ".subnav > a"))
    check(f"/events/{DEMO_SLUG}/checkin")  # the door staff's page: no event tabs
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
