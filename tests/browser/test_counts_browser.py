"""Counted strings drawn by the scripts take their plural form in a real Chromium, in English
and in French (the page's language picks the form through Intl.PluralRules)."""

from __future__ import annotations

import re

import pytest

from eventnet.services.demo import DEMO_SLUG, create_demo
from tests.browser.test_dashboard_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.one_backend]


def test_the_network_note_and_legend_count_in_both_languages(app, live_server, page):
    create_demo(attendee_count=12)
    sign_in(page, live_server)
    data = page.request.get(f"{live_server}/events/{DEMO_SLUG}/network.json").json()
    people, connections = len(data["nodes"]["id"]), data["total_edges"]
    page.goto(f"{live_server}/events/{DEMO_SLUG}/network")
    page.wait_for_function("() => window.eventnetNetwork && window.eventnetNetwork.renderer")
    note = page.text_content("#network-note")
    assert f"{people} people and {connections} connections." in note
    assert not re.search(r"\b1 (people|connections)\b", page.text_content("#network-legend"))

    page.set_extra_http_headers({"Accept-Language": "fr"})
    page.goto(f"{live_server}/events/{DEMO_SLUG}/network")
    page.wait_for_function("() => window.eventnetNetwork && window.eventnetNetwork.renderer")
    assert f"{people} personnes et {connections} contacts." in page.text_content("#network-note")
    counted = page.evaluate("""() => {
        const rules = new Intl.PluralRules(document.documentElement.lang);
        return [0, 1, 2].map(n => rules.select(n));
    }""")
    assert counted == ["one", "one", "other"]  # French: 0 and 1 take the singular
