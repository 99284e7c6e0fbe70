"""The organizer dashboard over HTTP: the live overview, its JSON poll and the network page."""

from __future__ import annotations

import json
import re

import pytest

from eventnet.database import write_transaction
from eventnet.models import Membership
from eventnet.models.organizer import ROLE_STAFF
from eventnet.services.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, create_demo
from eventnet.services.scans import record_scan


def paths(slug: str) -> list[str]:
    return [f"/events/{slug}/", f"/events/{slug}/overview.json", f"/events/{slug}/network",
            f"/events/{slug}/network.json"]


def embedded(html: str, element_id: str) -> dict:
    """The JSON a page embeds in <script type="application/json" id=...>."""
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>',
                      html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_every_page_renders_with_the_demo_data(client, auth):
    create_demo(attendee_count=20)
    auth.organizer(DEMO_EMAIL, DEMO_PASSWORD)

    page = client.get(f"/events/{DEMO_SLUG}/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="scans-chart"' in html and "chartjs/chart.umd.min.js" in html
    assert 'href="/events/demo-meetup/network"' in html
    assert embedded(html, "overview-data")["registrations"] == 20

    poll = client.get(f"/events/{DEMO_SLUG}/overview.json")
    assert poll.status_code == 200 and poll.headers["Cache-Control"] == "no-store"
    data = poll.get_json()
    assert data["registrations"] == 20 and data["scans"] > 0 and data["timeline"]
    assert sum(b["scans"] for b in data["timeline"]) == data["scans"]
    assert data["top_interests"][0]["count"] >= data["top_interests"][-1]["count"]

    network = client.get(f"/events/{DEMO_SLUG}/network")
    assert network.status_code == 200
    text = network.get_data(as_text=True)
    assert 'id="network-graph"' in text and "sigma/sigma.min.js" in text
    assert 'id="most-connected"' in text

    graph = client.get(f"/events/{DEMO_SLUG}/network.json").get_json()
    ids = set(graph["nodes"]["id"])
    flat = graph["edges"]
    assert ids and all(flat[i] in ids and flat[i + 1] in ids for i in range(0, len(flat), 4))
    assert len(flat) == 4 * graph["total_edges"] and not graph["is_sampled"]


def test_every_page_renders_for_an_empty_event(client, auth, make_event, make_organizer):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    auth.organizer(organizer.email)
    for path in paths(event.slug):
        assert client.get(path).status_code == 200, path
    assert "No scans yet" in client.get(paths(event.slug)[0]).get_data(as_text=True)
    network = client.get(f"/events/{event.slug}/network").get_data(as_text=True)
    assert "Nobody has registered yet." in network
    graph = client.get(f"/events/{event.slug}/network.json").get_json()
    assert graph["nodes"]["id"] == [] and graph["edges"] == []


def test_another_organizers_event_is_a_404(client, auth, make_event, make_organizer):
    mine, theirs = make_organizer(), make_organizer()
    event = make_event(organizer=theirs)
    auth.organizer(mine.email)
    for path in paths(event.slug) + paths("no-such-event"):
        response = client.get(path)
        assert response.status_code == 404, path
    answer = client.get(f"/events/{event.slug}/overview.json").get_json()
    assert answer["error"]["code"] == "not_found"


def test_staff_cannot_see_the_dashboard(client, auth, make_event, make_organizer):
    owner, door = make_organizer(), make_organizer()
    event = make_event(organizer=owner)
    with write_transaction() as session:
        session.add(Membership(community_id=event.community_id, organizer_id=door.id,
                               role=ROLE_STAFF))
    auth.organizer(door.email)
    for path in paths(event.slug):
        assert client.get(path).status_code == 404, path


def test_signed_out(client, make_event):
    event = make_event()
    page = client.get(f"/events/{event.slug}/network")
    assert page.status_code == 302 and "/organizer/sign-in" in page.headers["Location"]
    for path in (f"/events/{event.slug}/overview.json", f"/events/{event.slug}/network.json"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.get_json()["error"]["code"] == "signed_out"


def test_the_poll_sees_new_scans(client, auth, make_event, make_organizer, make_attendee):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    a, b = make_attendee(event), make_attendee(event)
    auth.organizer(organizer.email)
    before = client.get(f"/events/{event.slug}/overview.json").get_json()
    record_scan(a.id, b.id)
    after = client.get(f"/events/{event.slug}/overview.json").get_json()
    assert (before["scans"], after["scans"]) == (0, 1)
    assert (before["scanners"], after["scanners"]) == (0, 1)
    assert after["timeline"][-1]["scans"] == 1


@pytest.mark.parametrize("hostile", ['<script>alert("x")</script>', "</script><b>x"])
def test_attendee_text_is_escaped(client, auth, make_event, make_organizer, make_attendee,
                                  hostile):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    make_attendee(event, name=hostile, company=hostile, interests=[hostile])
    host = make_attendee(event, name="Host", interests=[hostile])
    other = make_attendee(event, name="Other")
    record_scan(host.id, other.id)
    auth.organizer(organizer.email)

    overview = client.get(f"/events/{event.slug}/").get_data(as_text=True)
    network = client.get(f"/events/{event.slug}/network").get_data(as_text=True)
    for html in (overview, network):
        assert "<script>alert" not in html and "</script><b>" not in html
    assert embedded(overview, "overview-data")["top_interests"][0]["label"] == hostile
    assert "&lt;" in network  # the wallflower's name, company and interests are shown, escaped


def test_counts_on_the_network_page_use_plural_forms(client, auth, make_event, make_organizer,
                                                     make_attendee):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    make_attendee(event, "Ada")
    auth.organizer(organizer.email)
    html = client.get(f"/events/{event.slug}/network").get_data(as_text=True)
    assert "0 of 1 attendee has met someone." in html
    assert "1 attendee has not scanned anyone" in html
    assert "1 attendees" not in html
    # The graph's script picks the form from the page's language: [one, other].
    assert embedded(html, "network-i18n")["people"] == ["%(num)s person", "%(num)s people"]

    french = client.get(f"/events/{event.slug}/network", headers={"Accept-Language": "fr"})
    html = french.get_data(as_text=True)
    assert "0 participant sur 1 a rencontré quelqu’un." in html
    assert "1 participant n’a scanné personne" in html
    assert embedded(html, "network-i18n")["people"] == ["%(num)s personne", "%(num)s personnes"]


def test_the_overview_captions_follow_their_numbers(client, auth, make_event, make_organizer,
                                                    make_attendee):
    organizer = make_organizer()
    event = make_event(organizer=organizer)
    make_attendee(event, "Ada")
    auth.organizer(organizer.email)
    html = client.get(f"/events/{event.slug}/").get_data(as_text=True)
    scans = re.search(r'<span data-counted="scans" data-forms=\'([^\']*)\'>([^<]*)</span>', html)
    assert scans and json.loads(scans.group(1)) == ["scan", "scans"] and scans.group(2) == "scans"
    french = client.get(f"/events/{event.slug}/", headers={"Accept-Language": "fr"})
    html = french.get_data(as_text=True)
    assert '<span data-counted="registrations"' in html
    assert re.search(r'data-counted="registrations" data-forms=\'[^\']*\'>inscrit</span>', html)
    assert re.search(r'data-counted="scans" data-forms=\'[^\']*\'>scan</span>', html)  # 0 scan



def test_every_event_page_shows_its_tabs_before_its_title(client, auth):
    """On a phone the tabs are how one moves between an event's pages: each page has them
    in the same place, above its title (the follow-ups page had them below its actions)."""
    create_demo(attendee_count=5)
    auth.organizer(DEMO_EMAIL, DEMO_PASSWORD)
    event_page = client.get(f"/events/{DEMO_SLUG}/").get_data(as_text=True)
    nav = re.search(r'<nav class="subnav"[^>]*>(.*?)</nav>', event_page, re.S)
    assert nav
    # the event's own pages (not the community's; not the door's, which staff use)
    links = [href for href in re.findall(r'href="([^"]+)"', nav.group(1))
             if href.startswith(f"/events/{DEMO_SLUG}/") and not href.endswith("/checkin")]
    assert len(links) >= 6
    for href in links:
        html = client.get(href).get_data(as_text=True)
        assert 'class="subnav"' in html, href
        assert html.index('class="subnav"') < html.index("<h1"), href
