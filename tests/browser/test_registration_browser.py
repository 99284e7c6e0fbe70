"""A person registers in a real browser and reaches their badge through the emailed link."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_register_in_chromium_and_open_badge(live_server, page, make_event, smtp):
    event = make_event(name="Lyon Data Night", interest_tags=["data"])
    page.goto(f"{live_server}/e/{event.slug}")
    page.fill("#name", "Chloé Martin")
    page.fill("#email", "chloe@example.org")
    page.fill("#company", "Datalyse")
    page.fill("#interests", "data, IA générative")
    # the phone field looks like the others (a tel input was left out of the form styles)
    style = "el => { const s = getComputedStyle(el); return [s.width, s.borderRadius]; }"
    assert page.eval_on_selector("#phone", style) == page.eval_on_selector("#email", style)
    page.fill("#phone", "+33 4 72 00 00 00")
    page.check("#consent_introductions")
    page.click("button[type=submit].big")
    page.wait_for_url(re.compile(r".*/registered.*"))
    assert "chloe@example.org" in page.inner_text("main")
    [mail] = smtp.to("chloe@example.org")
    link = re.search(r"http://\S+/m/\S+", mail.get_body(("plain",)).get_content()).group(0)
    page.goto(link)
    assert "Continue as Chloé Martin" in page.inner_text("main")  # a GET signs no one in
    page.click("form[method=post] button[type=submit]")
    page.wait_for_url(re.compile(r".*/me$"))
    assert page.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.input_value("#company") == "Datalyse"
    assert page.input_value("#phone") == "+33 4 72 00 00 00"


@pytest.mark.one_backend  # the form's errors in the page: the database is not reached
def test_invalid_registration_shows_field_errors(live_server, page, make_event):
    event = make_event()
    page.goto(f"{live_server}/e/{event.slug}")
    page.fill("#name", "X")
    page.fill("#email", "not an email")
    page.click("button[type=submit].big")
    assert page.locator(".field.has-error #email").count() == 1
