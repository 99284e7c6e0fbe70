"""Equal evidence favours nobody: early registrants (low ids) get no head start."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from eventnet.matching import Encounter, Person, build_followups
from eventnet.matching.graph import build_graph, fold
from eventnet.matching.order import TieBreak, event_seed
from eventnet.matching.suggest import NEIGHBOUR_CAP

T0 = datetime(2026, 6, 4, 9, 0)
HUBS = 8


def person(pid: int) -> Person:
    return Person(id=pid, person_id=None, name=f"P{pid}", email=None, company="", title="")


def hubs_event(leaves: int) -> tuple[list[Person], list[Encounter], list[list[int]]]:
    """Separate hubs, each scanned by `leaves` people registered in id order, all at the same
    minute: every tie is equally strong and equally recent, so only the tie-break decides."""
    people: list[Person] = []
    encounters: list[Encounter] = []
    groups: list[list[int]] = []
    for h in range(1, HUBS + 1):
        hub = 1000 * h
        group = [hub + i for i in range(1, leaves + 1)]
        people += [person(hub)] + [person(v) for v in group]
        encounters += [Encounter(v, hub, T0) for v in group]
        groups.append(group)
    return people, encounters, groups


def later_half_share(exposure: Counter[int], groups: list[list[int]]) -> float:
    """Share of the suggestions that went to the later-registered half of each hub's contacts."""
    later = sum(exposure[v] for g in groups for v in g[len(g) // 2:])
    return later / sum(exposure[v] for g in groups for v in g)


def test_a_busy_hub_passes_on_any_of_its_contacts_not_just_the_earliest_registrants() -> None:
    # More ties than are followed per person: the cut must not keep the lowest ids.
    people, encounters, groups = hubs_event(NEIGHBOUR_CAP + 15)
    result = build_followups("Hubs", people, encounters)
    exposure = Counter(s.attendee_id for f in result.values() for s in f.introductions)
    assert 0.35 <= later_half_share(exposure, groups) <= 0.65
    # Each hub still follows only NEIGHBOUR_CAP of its ties, but which ones differs from hub to hub.
    reached_last = sum(1 for g in groups if exposure[g[-1]] > 0)
    assert 0 < reached_last < HUBS


def test_equally_good_candidates_are_not_ranked_by_registration_order() -> None:
    # 20 ties: all followed, every leaf is an equally good candidate for every other leaf.
    people, encounters, groups = hubs_event(20)
    result = build_followups("Hubs", people, encounters)
    exposure = Counter(s.attendee_id for f in result.values() for s in f.introductions)
    assert 0.35 <= later_half_share(exposure, groups) <= 0.65
    first_picks = [result[v].introductions[0].attendee_id for g in groups for v in g]
    positions = [next(g.index(c) for g in groups if c in g) for c in first_picks]
    assert sum(positions) / len(positions) > 6  # 9.5 when unbiased, under 1 by lowest id


def test_equal_ties_go_to_the_more_recent_encounter_then_to_the_event_tie_break() -> None:
    people = [person(i) for i in range(0, 41)]
    minute = T0.replace(minute=30)
    encounters = [Encounter(i, 0, T0) for i in range(1, 31)] + [
        Encounter(i, 0, minute) for i in range(31, 41)]
    tiebreak = TieBreak((p.id for p in people), event_seed("E"))
    graph = build_graph(fold(encounters, {p.id for p in people}), tiebreak)
    order = [v for v, _, _, _ in graph.neighbours[0]]
    assert set(order[:10]) == set(range(31, 41))
    assert order == sorted(order[:10], key=lambda v: tiebreak.pair(0, v)) + sorted(
        order[10:], key=lambda v: tiebreak.pair(0, v))
    assert order[10:] != sorted(order[10:])
    again = build_graph(fold(reversed(encounters), {p.id for p in people}),
                        TieBreak(range(0, 41), event_seed("E")))
    assert [v for v, _, _, _ in again.neighbours[0]] == order
