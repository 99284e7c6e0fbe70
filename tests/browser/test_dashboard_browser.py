"""The dashboard in a real Chromium: the overview's chart updates itself, the network draws."""

from __future__ import annotations

import pytest

from eventnet.services.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, create_demo

pytestmark = [pytest.mark.browser, pytest.mark.one_backend]


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/organizer/sign-in")
    page.fill("input[name=email]", DEMO_EMAIL)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/organizer/")


def test_overview_chart_and_live_numbers(app, live_server, page, monkeypatch, make_attendee):
    from eventnet.services.scans import record_scan
    from eventnet.web.organizer import routes

    monkeypatch.setattr(routes, "POLL_INTERVAL_MS", 300)
    create_demo(attendee_count=16)
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{DEMO_SLUG}/")

    bars = page.evaluate("Chart.getChart(document.getElementById('scans-chart')).data"
                         ".datasets[0].data.reduce((a, b) => a + b, 0)")
    scans = int(page.text_content("#stat-scans"))
    assert bars == scans > 0

    from sqlalchemy import select

    from eventnet.extensions import db
    from eventnet.models import Attendee, Event

    event = db.session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
    first, second = db.session.scalars(
        select(Attendee.id).where(Attendee.event_id == event.id).limit(2)).all()
    newcomer = make_attendee(event, name="Newcomer")
    record_scan(newcomer.id, first)
    record_scan(second, newcomer.id)
    # predicates as functions: a string would be eval()ed in the page, which the CSP forbids
    page.wait_for_function(
        f"() => document.getElementById('stat-scans').textContent === '{scans + 2}'",
        timeout=15000)
    page.wait_for_function(
        f"() => Chart.getChart(document.getElementById('scans-chart')).data.datasets[0].data"
        f".reduce((a, b) => a + b, 0) === {scans + 2}", timeout=15000)
    assert page.text_content("#stat-registrations") == "17"
    assert "Updated at" in page.text_content("[data-status]")


def test_network_graph_draws_every_node_and_shows_names_on_hover(app, live_server, page):
    create_demo(attendee_count=24)
    sign_in(page, live_server)
    expected = page.request.get(f"{live_server}/events/{DEMO_SLUG}/network.json").json()
    page.goto(f"{live_server}/events/{DEMO_SLUG}/network")
    page.wait_for_function("() => window.eventnetNetwork && window.eventnetNetwork.renderer")

    drawn = page.evaluate("""() => {
        const {graph, renderer} = window.eventnetNetwork;
        return {order: graph.order, size: graph.size,
                displayed: graph.nodes().filter(n => renderer.getNodeDisplayData(n)).length};
    }""")
    assert drawn["order"] == drawn["displayed"] == len(expected["nodes"]["id"]) > 0
    assert drawn["size"] == len(expected["edges"]) // 4
    assert page.locator("#network-legend li").count() >= 2
    assert page.locator("#network-bridges li, [data-empty=bridges]:visible").count() >= 1

    # Hover the most connected node: its name appears.
    page.evaluate("window.eventnetNetwork.layout && window.eventnetNetwork.layout.stop()")
    page.locator("#network-graph").scroll_into_view_if_needed()
    page.wait_for_timeout(200)  # one frame at the final positions
    cols = expected["nodes"]
    top = max(range(len(cols["id"])), key=lambda i: cols["degree"][i])
    top_id, top_name = cols["id"][top], cols["name"][top]
    point = page.evaluate("""(id) => {
        const {graph, renderer} = window.eventnetNetwork;
        const box = document.getElementById('network-graph').getBoundingClientRect();
        const p = renderer.graphToViewport(graph.getNodeAttributes(String(id)));
        return {x: box.left + p.x, y: box.top + p.y};
    }""", top_id)
    page.mouse.move(point["x"] - 15, point["y"] - 15)
    page.mouse.move(point["x"], point["y"], steps=5)
    page.wait_for_selector("#network-hover:not([hidden])")
    assert top_name in page.text_content("#network-hover")

    for mode in ("company", "group", "interest"):
        page.select_option("#network-colour", mode)
    page.click("[data-zoom=in]")
    page.click("[data-zoom=reset]")


def test_the_new_event_form_makes_the_slug_from_the_name(app, live_server, page):
    create_demo(attendee_count=2)
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/new")
    page.fill("#name", "Café Tech — Décembre")
    assert page.input_value("#slug") == "cafe-tech-decembre"
    page.fill("#slug", "my-own")  # once edited by hand, the name no longer changes it
    page.fill("#name", "Something else")
    assert page.input_value("#slug") == "my-own"
