"""Exports: attendees CSV, connections only with both consents, anonymised GraphML."""

from __future__ import annotations

import csv
import io

import networkx as nx

from eventnet.services.checkins import check_in
from eventnet.services.scans import record_scan


def _signed_in_event(client, auth, make_organizer, make_event, **fields):
    organizer = make_organizer()
    event = make_event(organizer=organizer, **fields)
    auth.organizer(organizer.email)
    return event


def test_connections_show_names_only_when_both_consented(client, auth, make_organizer,
                                                         make_event, make_attendee):
    event = _signed_in_event(client, auth, make_organizer, make_event)
    ann = make_attendee(event, name="Ann Open", email="ann@example.org")
    ben = make_attendee(event, name="Ben Open", email="ben@example.org")
    shy = make_attendee(event, name="Shy Person", email="shy@example.org",
                        consent_share_contact=False)
    record_scan(ann.id, ben.id, note="private note")
    record_scan(ben.id, ann.id)
    record_scan(ann.id, shy.id)
    response = client.get(f"/events/{event.slug}/exports/connections.csv")
    assert response.status_code == 200 and "attachment" in response.headers[
        "Content-Disposition"]
    text = response.get_data(as_text=True)
    assert "Shy Person" not in text and "shy@example.org" not in text
    assert "private note" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    open_pair = next(r for r in rows if r["a_name"])
    assert {open_pair["a_email"], open_pair["b_email"]} == {"ann@example.org", "ben@example.org"}
    assert open_pair["is_mutual"] == "yes" and open_pair["scan_count"] == "2"
    hidden = next(r for r in rows if not r["a_name"])
    assert hidden["a"].startswith("p-") and hidden["b"].startswith("p-")
    assert hidden["a_email"] == hidden["b_email"] == ""


def test_network_graphml_is_anonymous_and_readable(client, auth, make_organizer, make_event,
                                                   make_attendee):
    event = _signed_in_event(client, auth, make_organizer, make_event,
                             interest_tags=["fintech", "climate tech"])
    ann = make_attendee(event, name="Ann Zed", interests=["Python", "fintech"])
    ben = make_attendee(event, name="Ben Zed", interests=["Climate Tech"])
    cat = make_attendee(event, name="Cat Zed")
    check_in(ann.id)
    record_scan(ann.id, ben.id)
    record_scan(ben.id, ann.id)
    record_scan(cat.id, ann.id)
    first = client.get(f"/events/{event.slug}/exports/network.graphml").get_data(as_text=True)
    second = client.get(f"/events/{event.slug}/exports/network.graphml").get_data(as_text=True)
    for text in (first, second):
        assert "Zed" not in text and "example.org" not in text and "Python" not in text
    graph = nx.parse_graphml(first)
    assert graph.number_of_nodes() == 3 and graph.number_of_edges() == 2
    assert sorted(d for _n, d in graph.degree()) == [1, 1, 2]
    hub = max(graph.nodes, key=graph.degree)
    assert graph.nodes[hub]["checked_in"] is True and graph.nodes[hub]["interest"] == "fintech"
    assert sorted(data["mutual"] for _a, _b, data in graph.edges(data=True)) == [False, True]
    assert {data["scan_count"] for _a, _b, data in graph.edges(data=True)} == {1, 2}
    assert "climate tech" in {graph.nodes[n]["interest"] for n in graph.nodes}
    # New pseudonyms in every export: two files cannot be joined on node ids.
    assert not set(graph.nodes) & set(nx.parse_graphml(second).nodes)


def test_attendees_csv_and_cli_exports(client, auth, runner, make_organizer, make_event,
                                       make_attendee):
    event = _signed_in_event(client, auth, make_organizer, make_event)
    ann = make_attendee(event, name="=SUM(1+1) Ann", email="ann@example.org")
    ben = make_attendee(event, name="Ben", consent_share_contact=False)
    record_scan(ann.id, ben.id)
    text = client.get(f"/events/{event.slug}/exports/attendees.csv").get_data(as_text=True)
    assert "ann@example.org" in text and ann.badge.token in text
    assert "'=SUM(1+1) Ann" in text  # no live formula in a spreadsheet
    result = runner.invoke(args=["attendees", "export", event.slug, "--format", "connections"])
    assert result.exit_code == 0 and "p-" in result.output and "Ben" not in result.output
    graphml = runner.invoke(args=["attendees", "export", event.slug, "--format", "graphml"])
    assert graphml.exit_code == 0 and nx.parse_graphml(graphml.output).number_of_edges() == 1
    missing = runner.invoke(args=["attendees", "export", "nope", "--format", "graphml"])
    assert missing.exit_code == 1 and "No such event" in missing.output
