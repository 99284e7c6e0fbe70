"""The dashboard's numbers on small hand-built events, checked one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from eventnet.database import write_transaction
from eventnet.models import Attendee, OutboundEmail, utcnow
from eventnet.services import network, stats
from eventnet.services.checkins import check_in
from eventnet.services.scans import record_scan


def rows(graph: dict) -> dict[str, dict]:
    """The graph's node columns as one dict per person, by name."""
    cols = graph["nodes"]
    return {name: {key: cols[key][i] for key in cols} for i, name in enumerate(cols["name"])}


def edges(graph: dict) -> list[tuple[int, int, int, int]]:
    flat = graph["edges"]
    return [tuple(flat[i:i + 4]) for i in range(0, len(flat), 4)]


def bucket_start(moment: datetime) -> datetime:
    """The 10-minute boundary at or before ``moment``."""
    return moment.replace(minute=moment.minute - moment.minute % 10, second=0, microsecond=0)


@pytest.fixture
def base() -> datetime:
    """A 10-minute boundary an hour ago: scans are placed relative to it."""
    return bucket_start(utcnow() - timedelta(hours=1))


def erase(attendee: Attendee) -> None:
    with write_transaction() as session:
        session.get(Attendee, attendee.id).erased_at = utcnow()


def test_scans_per_ten_minutes_fill_empty_buckets(app, make_event, make_attendee, base):
    event = make_event()
    a, b, c = (make_attendee(event) for _ in range(3))
    record_scan(a.id, b.id, scanned_at=base + timedelta(minutes=1))
    record_scan(b.id, c.id, scanned_at=base + timedelta(minutes=9, seconds=59))
    record_scan(c.id, a.id, scanned_at=base + timedelta(minutes=25))
    record_scan(a.id, c.id, scanned_at=base + timedelta(minutes=40))

    timeline = stats.scan_timeline(event.id)

    assert [b["scans"] for b in timeline] == [2, 0, 1, 0, 1]
    assert [datetime.fromisoformat(b["start"]) for b in timeline] == [
        base + timedelta(minutes=10 * n) for n in range(5)]


def test_overview_counts(app, make_event, make_attendee, base):
    event = make_event(capacity=50)
    a, b, c, d = (make_attendee(event) for _ in range(4))
    check_in(a.id)
    check_in(b.id)
    record_scan(a.id, b.id, scanned_at=base)
    record_scan(b.id, a.id, scanned_at=base + timedelta(minutes=1))  # mutual
    record_scan(a.id, c.id, scanned_at=base + timedelta(minutes=2))
    erase(d)  # still counted as a registration: erasure keeps anonymous counts

    o = stats.overview(event)

    assert o["registrations"] == 4
    assert o["capacity"] == 50
    assert o["checked_in"] == 2
    assert o["scanners"] == 2  # a and b scanned; c was only scanned
    assert o["scans"] == 3
    assert (o["connections"], o["mutual"]) == (2, 1)
    assert o["followups"] == {"queued": 0, "sending": 0, "sent": 0, "failed": 0,
                              "unconfirmed": 0, "cancelled": 0, "total": 0}
    assert (o["returning"], o["met_before"]) == (0, {"pairs": 0, "met_again": 0})


def test_top_interests_merge_spellings_and_skip_erased(app, make_event, make_attendee):
    event = make_event()
    make_attendee(event, interests=["Python", "Machine learning"])
    make_attendee(event, interests=["python", "Rust"])
    make_attendee(event, interests=["Python", "Rust", "Santé numérique"])
    make_attendee(event, interests=["sante numerique"])
    gone = make_attendee(event, interests=["Cobol", "Cobol fans"])
    erase(gone)

    top = stats.top_interests(event.id)

    assert top == [{"label": "Python", "count": 3}, {"label": "Rust", "count": 2},
                   {"label": "Santé numérique", "count": 2},
                   {"label": "Machine learning", "count": 1}]


def test_interests_of_one_concept_are_one_interest_in_both_languages(app, make_event,
                                                                     make_attendee, base):
    event = make_event()
    a = make_attendee(event, name="A", interests=["climate", "Machine learning"])
    b = make_attendee(event, name="B", interests=["climate", "ML"])
    c = make_attendee(event, name="C", interests=["climat", "Machine learning"])
    make_attendee(event, name="D", interests=["Climate tech"])
    record_scan(c.id, a.id, scanned_at=base)
    record_scan(b.id, a.id, scanned_at=base)

    top = stats.top_interests(event.id)

    # "climat" (French) counts with "climate", "ML" with "Machine learning", each under its
    # most used spelling; "Climate tech" is another interest.
    assert top == [{"label": "climate", "count": 3}, {"label": "Machine learning", "count": 3},
                   {"label": "Climate tech", "count": 1}]
    data = network.graph(event)
    nodes = rows(data)
    assert data["interest_groups"][nodes["C"]["interest_group"]] == "climate"


def test_followup_delivery_status(app, make_event, make_attendee):
    event = make_event()
    people = [make_attendee(event) for _ in range(4)]
    with write_transaction() as session:
        for person, status, kind in zip(people + people[:2],
                                        ["sent", "sent", "failed", "queued", "cancelled",
                                         "sent"],
                                        ["followup"] * 5 + ["confirmation"], strict=True):
            session.add(OutboundEmail(
                event_id=event.id, attendee_id=person.id, kind=kind, to_address=person.email,
                from_address="events@eventnet.test", subject="s", body_text="t", status=status,
                dedupe_key=f"{kind}:{event.id}:{person.id}:{status}"))

    assert stats.followup_status(event.id) == {"queued": 1, "sending": 0, "sent": 2,
                                               "failed": 1, "unconfirmed": 0, "cancelled": 1,
                                               "total": 5}


def test_returning_attendees_and_pairs_who_met_before(app, make_event, make_attendee,
                                                      make_organizer, base):
    organizer = make_organizer()
    now = utcnow()
    last_year = make_event(organizer=organizer, starts_at=now - timedelta(days=20))
    this_year = make_event(organizer=organizer, starts_at=now)
    later = make_event(organizer=organizer, starts_at=now + timedelta(days=20))
    other_community = make_event(starts_at=now - timedelta(days=20))

    def pair(event, email):
        return make_attendee(event, email=email)

    old = {e: pair(last_year, e) for e in ("ann@x.org", "bob@x.org", "cy@x.org", "dee@x.org")}
    new = {e: pair(this_year, e) for e in ("ann@x.org", "bob@x.org", "cy@x.org", "eve@x.org")}
    pair(later, "eve@x.org")                       # a later event does not make Eve returning
    pair(other_community, "eve@x.org")             # nor does another community's event
    record_scan(old["ann@x.org"].id, old["bob@x.org"].id, scanned_at=base - timedelta(days=1))
    record_scan(old["bob@x.org"].id, old["cy@x.org"].id, scanned_at=base - timedelta(days=1))
    record_scan(old["cy@x.org"].id, old["dee@x.org"].id, scanned_at=base - timedelta(days=1))
    record_scan(new["bob@x.org"].id, new["ann@x.org"].id, scanned_at=base)  # met again

    o = stats.overview(this_year)

    assert o["earlier_events"] == 1
    assert o["returning"] == 3  # Ann, Bob, Cy
    # Ann-Bob and Bob-Cy met last year and are both here; Cy-Dee: Dee did not come back.
    assert o["met_before"] == {"pairs": 2, "met_again": 1}


def test_wallflowers_are_listed_with_someone_who_shares_their_interests(
        app, make_event, make_attendee, base):
    event = make_event()
    hub = make_attendee(event, name="Hub", interests=["Rust"])
    friend = make_attendee(event, name="Friend", interests=["Rust"])
    shy = make_attendee(event, name="Shy", company="Acme", interests=["machine learning"])
    late = make_attendee(event, name="Late", interests=["cooking"])
    expert = make_attendee(event, name="Expert", interests=["Machine Learning", "Rust"])
    away = make_attendee(event, name="Away", interests=["machine learning"])
    gone = make_attendee(event, name="Gone")
    erase(gone)
    for person in (hub, friend, shy, late, expert):
        check_in(person.id, at=base + timedelta(minutes=len(person.name)))
    record_scan(hub.id, friend.id, scanned_at=base)
    record_scan(expert.id, hub.id, scanned_at=base)

    assert network.wallflower_ids(event.id) == [shy.id, late.id, away.id]
    summary = network.summary(event)
    assert [p.name for p in summary["wallflowers"]] == ["Shy", "Late", "Away"]
    assert (summary["wallflower_total"], summary["wallflowers_here"]) == (3, 2)
    # Only people checked in are suggested (they are in the room): Shy meets Expert, who
    # shares machine learning; Away meets Shy (Expert was suggested already, and two people
    # on their own gain a contact each); nobody shares Late's cooking.
    tips = summary["suggestions"]
    assert tips[shy.id]["person"].name == "Expert"
    assert tips[shy.id]["shared"] == ["Machine Learning"]
    assert tips[away.id]["person"].name == "Shy"
    assert late.id not in tips
    assert [(p.name, p.degree) for p in summary["most_connected"]] == [
        ("Hub", 2), ("Expert", 1), ("Friend", 1)]


def test_suggestions_are_spread(app, make_event, make_attendee):
    event = make_event()
    expert = make_attendee(event, name="Expert", interests=["Rust"])
    other = make_attendee(event, name="Other", interests=["rust"])
    shy = [make_attendee(event, name=f"Shy {n}", interests=["Rust"]) for n in range(4)]
    people = network.members(event.id)
    tips = network.suggest_partners([people[p.id] for p in shy], network.candidate_pool(event.id))
    chosen = [tips[p.id][0] for p in shy]
    assert all(chosen.count(pid) <= network.MAX_SUGGESTIONS_PER_PERSON for pid in chosen)
    assert {expert.id, other.id} <= set(chosen)


def test_graph_nodes_edges_and_colour_groups(app, make_event, make_attendee, base):
    event = make_event()
    a = make_attendee(event, name="A", company="Acme", interests=["Rust", "Go"])
    b = make_attendee(event, name="B", company="acme", interests=["Go"])
    c = make_attendee(event, name="C", company="Initech", interests=["Go"])
    make_attendee(event, name="Alone")
    record_scan(a.id, b.id, scanned_at=base)
    record_scan(b.id, a.id, scanned_at=base + timedelta(minutes=1))
    record_scan(c.id, a.id, scanned_at=base)

    data = network.graph(event)

    nodes = rows(data)
    assert set(nodes) == {"A", "B", "C"}
    assert (nodes["A"]["degree"], nodes["B"]["degree"]) == (2, 1)
    assert nodes["A"]["interests"] == "Rust, Go"
    # Colour groups: their own first interest among the event's top ones; companies merged.
    assert data["interest_groups"][nodes["A"]["interest_group"]] == "Rust"
    assert data["interest_groups"][nodes["C"]["interest_group"]] == "Go"
    assert nodes["B"]["company_group"] == nodes["A"]["company_group"]
    assert data["company_groups"][nodes["A"]["company_group"]] in ("Acme", "acme")
    assert sorted(edges(data)) == sorted([(a.id, b.id, 2, 1), (a.id, c.id, 1, 0)])
    assert (data["total_edges"], data["is_sampled"], data["unconnected"]) == (2, False, 1)


def test_big_graphs_keep_strong_ties_and_a_sample(app, make_event, make_attendee, base,
                                                  monkeypatch):
    monkeypatch.setattr(network, "MAX_EDGES", 4)
    event = make_event()
    people = [make_attendee(event) for _ in range(6)]
    for other in people[1:]:
        record_scan(people[0].id, other.id, scanned_at=base)
    record_scan(people[1].id, people[2].id, scanned_at=base)
    record_scan(people[2].id, people[1].id, scanned_at=base)  # the one mutual tie

    data = network.graph(event)

    assert data["total_edges"] == 6 and data["is_sampled"]
    assert len(edges(data)) <= 4
    assert (people[1].id, people[2].id, 2, 1) in edges(data)


def test_empty_event(app, make_event):
    event = make_event()
    o = stats.overview(event)
    assert (o["registrations"], o["scans"], o["timeline"], o["top_interests"]) == (0, 0, [], [])
    assert network.graph(event)["nodes"]["id"] == []
    summary = network.summary(event)
    assert summary["wallflowers"] == [] and summary["most_connected"] == []


def test_timeline_of_offline_replays_keeps_the_latest_buckets(app, make_event, make_attendee,
                                                               monkeypatch):
    monkeypatch.setattr(stats, "MAX_BUCKETS", 3)
    event = make_event()
    a, b = make_attendee(event), make_attendee(event)
    now = bucket_start(utcnow())
    record_scan(a.id, b.id, scanned_at=now - timedelta(days=2))
    record_scan(b.id, a.id, scanned_at=now)
    timeline = stats.scan_timeline(event.id)
    assert [t["scans"] for t in timeline] == [0, 0, 1]
    assert datetime.fromisoformat(timeline[-1]["start"]) == now.astimezone(UTC)
