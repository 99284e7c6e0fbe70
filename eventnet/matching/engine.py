"""Orchestration: one event's people, scans and community history in, follow-ups out."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from eventnet.matching.graph import Pair, build_graph, fold
from eventnet.matching.met import met_list
from eventnet.matching.model import Encounter, FollowUp, PastEncounter, Person, Settings
from eventnet.matching.order import TieBreak, event_seed
from eventnet.matching.profiles import build_index
from eventnet.matching.reconnect import earlier_events, reconnect_lists, relevant_past
from eventnet.matching.suggest import (
    Candidate,
    all_fields,
    allocate,
    candidates_for,
    engagement,
    explain_all,
)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the engine builds millions of small acyclic objects
    and repeated full collections would cost a sixth of the run; restored on the way out."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_followups(
    event_name: str,
    people: Sequence[Person],
    encounters: Sequence[Encounter],
    past: Sequence[PastEncounter] = (),
    settings: Settings = Settings(),  # noqa: B008 - frozen, so a shared default is safe
    community: str | None = None,
) -> dict[int, FollowUp]:
    """Build every attendee's follow-up: people met, introductions, people to reconnect with.

    Raises ValueError when two people share an attendee id.
    """
    with _collector_paused():
        return _build(event_name, people, encounters, past, settings, community)


def _build(
    event_name: str,
    people: Sequence[Person],
    encounters: Sequence[Encounter],
    past: Sequence[PastEncounter],
    settings: Settings,
    community: str | None,
) -> dict[int, FollowUp]:
    by_id = {p.id: p for p in people}
    if len(by_id) != len(people):
        raise ValueError("attendee ids must be unique")
    pairs = fold(encounters, set(by_id))
    tiebreak = TieBreak(by_id, event_seed(event_name))
    graph = build_graph(pairs, tiebreak)
    index = build_index(people)
    past = relevant_past(past, event_name, community)
    earlier = earlier_events(past)

    partners: dict[int, list[tuple[int, Pair]]] = {}
    for (a, b) in sorted(pairs):
        pair = pairs[(a, b)]
        partners.setdefault(a, []).append((b, pair))
        partners.setdefault(b, []).append((a, pair))
    met_ids = {u: {v for v, _ in lst} for u, lst in partners.items()}

    # Whom an attendee must not be introduced to: themself, people met here or at earlier events.
    person_to_attendee = {p.person_id: p.id for p in people if p.person_id is not None}
    known_before: dict[int, set[int]] = {}
    for (x, y) in earlier:
        ax, ay = person_to_attendee.get(x), person_to_attendee.get(y)
        if ax is not None and ay is not None:
            known_before.setdefault(ax, set()).add(ay)
            known_before.setdefault(ay, set()).add(ax)
    excluded = {p.id: {p.id} | met_ids.get(p.id, set()) | known_before.get(p.id, set())
                for p in people}

    eligible = {p.id: p.consents_to_introductions for p in people}
    fields = all_fields(by_id)
    receivers = sorted(p.id for p in people if p.consents_to_introductions and p.id in partners)
    engaged = engagement(graph)
    ranked: dict[int, list[Candidate]] = {}
    together: dict[int, dict[int, float]] = {}
    for u in receivers:
        ranked[u], together[u] = candidates_for(
            by_id[u], graph, index, fields, excluded[u], eligible, engaged, tiebreak)
    fallback = sorted((v for v in graph.neighbours if eligible[v]),
                      key=lambda v: (-len(graph.neighbours[v]), v))
    chosen = allocate(ranked, fallback, excluded, settings.intro_count,
                      settings.effective_exposure_cap, tiebreak)

    reconnect = reconnect_lists(people, past, met_ids, settings.reconnect_size)
    out: dict[int, FollowUp] = {}
    for p in sorted(people, key=lambda p: p.id):
        met = met_list(p, partners.get(p.id, []), by_id, index, earlier, settings.list_size)
        intros = explain_all(p, chosen.get(p.id, []), together.get(p.id, {}), graph, by_id,
                             fields, index)
        out[p.id] = FollowUp(p.id, met, intros, reconnect.get(p.id, []))
    return out


def build_some_followups(
    event_name: str,
    people: Sequence[Person],
    encounters: Sequence[Encounter],
    past: Sequence[PastEncounter],
    settings: Settings,
    attendee_ids: Iterable[int],
    community: str | None = None,
) -> dict[int, FollowUp]:
    """The people met and to reconnect with of some attendees, as ``build_followups`` finds
    them, without introductions (those are allocated event-wide: the caller brings the ones
    it proposed). Cheap: only the encounters of these attendees are folded and only their
    and their partners' profiles indexed. Raises ValueError when two people share an id.
    """
    by_id = {p.id: p for p in people}
    if len(by_id) != len(people):
        raise ValueError("attendee ids must be unique")
    wanted = [i for i in sorted(set(attendee_ids)) if i in by_id]
    if not wanted:
        return {}
    mine = set(wanted)
    pairs = fold((e for e in encounters if e.scanner_id in mine or e.scanned_id in mine),
                 set(by_id))
    partners: dict[int, list[tuple[int, Pair]]] = {}
    for (a, b) in sorted(pairs):
        pair = pairs[(a, b)]
        partners.setdefault(a, []).append((b, pair))
        partners.setdefault(b, []).append((a, pair))
    involved = mine | {v for u in wanted for v, _ in partners.get(u, [])}
    index = build_index([by_id[i] for i in sorted(involved)])
    past = relevant_past(past, event_name, community)
    earlier = earlier_events(past)
    met_ids = {u: {v for v, _ in partners.get(u, [])} for u in wanted}
    persons = {by_id[u].person_id for u in wanted if by_id[u].person_id is not None}
    reconnect = reconnect_lists(people, [p for p in past if p.person_a in persons], met_ids,
                                settings.reconnect_size)
    return {u: FollowUp(u, met_list(by_id[u], partners.get(u, []), by_id, index, earlier,
                                    settings.list_size), [], reconnect.get(u, []))
            for u in wanted}
