"""Suggested introductions: weak ties through the encounter graph, complementary profiles,
diversity, and a cap on how often anyone is suggested.

Candidates come only from a bounded random walk over the encounter graph and from capped inverted
indexes of profile features, never from a pass over all pairs of attendees.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter

from eventnet.matching.graph import Graph
from eventnet.matching.model import Person, Reason, Suggestion
from eventnet.matching.order import GOLDEN, MASK, TieBreak
from eventnet.matching.profiles import (
    ProfileIndex,
    field_of,
    help_matches,
    sample,
    shared_asks,
    shared_interests,
)

# The walk. RESTART, NEIGHBOUR_CAP and ENGAGEMENT are fitted, leave-one-workload-out, by
# benchmarks/fit_matching.py (docs/matching.md, "Where the constants come from"); the others are
# product and scale choices.
RESTART = 0.15  # restart probability, as in personalised PageRank
CANDIDATE_CAP = 40  # kept per attendee for the allocation
# Ties followed per person: in practice every one of them; the bound only guards the cost against
# a badge scanned by hundreds (a stand, a speaker). Density varies by an order of magnitude between
# events (5 contacts each at a 400-person conference, 36 at a workshop): the former fixed 25 cut a
# dense event's friends-of-friends in half and dropped the evidence Adamic-Adar keeps.
NEIGHBOUR_CAP = 100
# Three and four steps only for attendees whose friends-of-friends are few: enough candidates
# within two steps make the longer walk costly and add little.
FAR_WHEN_FEWER_THAN = 2 * CANDIDATE_CAP
FAR_FRONTIER = (100, 50)  # heaviest nodes expanded at steps 3 and 4
# Two people who talked with the same contact within minutes of each other were probably in the
# same conversation: that path counts up to twice.
SAME_CONVERSATION_SECONDS = 15 * 60.0
POSTING_CAP = 30
# Profile evidence, added to the walk score normalised to [0, 1] per attendee.
THEY_HELP = 0.3  # per feature of my asks in their offers, at most 3
I_HELP = 0.2  # per feature of my offers in their asks, at most 3
INTEREST = 0.12  # per shared interest feature, at most 4
OTHER_FIELD = 1.1  # nudge towards people outside the fields the attendee already met
# How much the candidate's engagement (how late they were still meeting people) multiplies the
# score: e^(ENGAGEMENT * x), x in [0, 1]. Fitted (benchmarks/fit_matching.py).
ENGAGEMENT = 1.0


@dataclass(slots=True)
class Candidate:
    """One scored candidate for one attendee."""

    id: int
    score: float
    walk: float


def walk_scores(source: int, graph: Graph) -> tuple[dict[int, float], dict[int, float]]:
    """Probability of a restarting random walk from `source` to reach each person in 2 to 4 steps.

    Returns the scores and the part of them that came from same-conversation two-step paths.
    """
    adjacency = graph.neighbours
    totals = graph.total
    keep = 1.0 - RESTART
    two: dict[int, float] = {}
    together: dict[int, float] = {}
    tau = SAME_CONVERSATION_SECONDS
    horizon = 4 * tau
    total_u = totals[source]
    for w, weight_uw, t_uw, _ in adjacency[source][:NEIGHBOUR_CAP]:
        step = weight_uw / total_u / totals[w]
        for v, weight_wv, t_wv, _ in adjacency[w][:NEIGHBOUR_CAP]:
            if v == source:
                continue
            mass = step * weight_wv
            two[v] = two.get(v, 0.0) + mass
            gap = abs(t_wv - t_uw)
            if gap < horizon:
                together[v] = together.get(v, 0.0) + mass * math.exp(-gap / tau)
    scores = {v: keep**2 * (m + together.get(v, 0.0)) for v, m in two.items()}
    frontier = two if len(two) < FAR_WHEN_FEWER_THAN else {}
    for power, width in enumerate(FAR_FRONTIER, start=3):
        frontier = _step(frontier, adjacency, totals, width)
        factor = keep**power
        for v, m in frontier.items():
            if v != source:
                scores[v] = scores.get(v, 0.0) + factor * m
    return scores, {v: keep**2 * m for v, m in together.items()}


def _step(
    mass: dict[int, float],
    adjacency: Mapping[int, list[tuple[int, float, float, float]]],
    totals: Mapping[int, float],
    width: int,
) -> dict[int, float]:
    """One walk step from the `width` heaviest nodes (ties: first reached)."""
    out: dict[int, float] = {}
    for node, m in heapq.nlargest(width, mass.items(), key=itemgetter(1)):
        total = totals[node]
        for v, weight, _, _ in adjacency[node][:NEIGHBOUR_CAP]:
            out[v] = out.get(v, 0.0) + m * weight / total
    return out


def engagement(graph: Graph) -> dict[int, float]:
    """Between 1 and e^ENGAGEMENT per attendee: how late in the event they still met people.

    People who keep networking until the end are the ones likely to answer an introduction;
    attendees without any encounter get 1.
    """
    span = graph.end - graph.start
    return {
        pid: math.exp(ENGAGEMENT * (1.0 if span <= 0 else (last - graph.start) / span))
        for pid, last in graph.last_seen.items()
    }


def candidates_for(
    me: Person,
    graph: Graph,
    index: ProfileIndex,
    fields: Mapping[int, frozenset[str]],
    excluded: set[int],
    eligible: Mapping[int, bool],
    engaged: Mapping[int, float],
    tiebreak: TieBreak,
) -> tuple[list[Candidate], dict[int, float]]:
    """Best candidates for `me`, best first, and the same-conversation part of their walk score.

    Equal scores are ordered by `tiebreak` from `me`'s side, not by id: the lists are cut.
    """
    rank = tiebreak.rank
    mine = rank[me.id]
    walk: dict[int, float] = {}
    together: dict[int, float] = {}
    if me.id in graph.neighbours:
        walk, together = walk_scores(me.id, graph)
    for v in excluded:
        walk.pop(v, None)
    best = _top(walk, 3 * CANDIDATE_CAP, rank, mine)
    graph_best = {v: s for v, s in best.items() if eligible.get(v, False)}
    if len(graph_best) < CANDIDATE_CAP and len(walk) > 3 * CANDIDATE_CAP:
        graph_best = {v: s for v, s in walk.items() if eligible.get(v, False)}
    graph_best = _top(graph_best, CANDIDATE_CAP, rank, mine)
    top = max(graph_best.values(), default=1.0)
    pool: dict[int, float] = {v: s / top for v, s in graph_best.items()}

    profile: dict[int, float] = {}
    for features, postings, weight, cap in (
        (index.asks[me.id], index.by_offer, THEY_HELP, 3),
        (index.offers[me.id], index.by_ask, I_HELP, 3),
        (index.interests[me.id], index.by_interest, INTEREST, 4),
    ):
        counts: Counter[int] = Counter()
        for feature in sorted(features):
            counts.update(sample(postings.get(feature, []), POSTING_CAP, me.id))
        for v, n in counts.items():
            profile[v] = profile.get(v, 0.0) + weight * (n if n < cap else cap)
    for v in excluded:
        profile.pop(v, None)
    best_profile = _top(profile, 2 * CANDIDATE_CAP, rank, mine)
    profile = {v: s for v, s in best_profile.items() if eligible.get(v, False)}

    known = known_fields(me.id, graph, fields)
    ranked: list[tuple[float, int, Candidate]] = []
    for v in set(pool) | set(profile):
        base = pool.get(v, 0.0) + profile.get(v, 0.0)
        other = fields.get(v, frozenset())
        if other and known and other.isdisjoint(known):
            base *= OTHER_FIELD
        score = base * engaged.get(v, 1.0)
        # The tie-break is distinct for every v, so the candidates themselves are never compared.
        ranked.append((-score, ((rank[v] ^ mine) * GOLDEN) & MASK,
                       Candidate(v, score, walk.get(v, 0.0))))
    ranked.sort()
    out = [c for _, _, c in ranked[:CANDIDATE_CAP]]
    return out, {c.id: together[c.id] for c in out if c.id in together}


def _top(scores: dict[int, float], n: int, rank: Mapping[int, int], mine: int) -> dict[int, float]:
    """The `n` highest scores; scores tied at the cut are kept in the event's tie-break order
    from the attendee's side (rank `mine`), not by id or by the order they were reached.

    Ties are looked at only when they straddle the cut: hashing every score would cost a
    quarter of the run.
    """
    if len(scores) <= n:
        return scores
    best = heapq.nlargest(n, scores.items(), key=itemgetter(1))
    cut = best[-1][1]
    if list(scores.values()).count(cut) == [s for _, s in best].count(cut):
        return dict(best)
    kept = {v: s for v, s in best if s > cut}
    tied = sorted((((rank[v] ^ mine) * GOLDEN) & MASK, v) for v, s in scores.items() if s == cut)
    kept.update((v, cut) for _, v in tied[: n - len(kept)])
    return kept


def allocate(
    ranked: Mapping[int, list[Candidate]],
    fallback: list[int],
    excluded: Mapping[int, set[int]],
    count: int,
    cap: int,
    tiebreak: TieBreak,
) -> dict[int, list[Candidate]]:
    """Give every attendee `count` suggestions while nobody is suggested more than `cap` times.

    Round robin, one suggestion per attendee per round, the attendee with the strongest best
    candidate first (popular people go where the evidence for them is strongest; equal evidence
    in the event's `tiebreak` order, not by id); lists still short at the end are completed
    from `fallback`.
    """
    load: dict[int, int] = {}
    chosen: dict[int, list[Candidate]] = {u: [] for u in ranked}
    taken: dict[int, set[int]] = {u: set() for u in ranked}
    cursor = dict.fromkeys(ranked, 0)
    order = sorted(ranked, key=lambda u: (-(ranked[u][0].score if ranked[u] else 0.0),
                                          tiebreak.rank[u]))
    for _ in range(count):
        for u in order:
            options = ranked[u]
            i = cursor[u]
            while i < len(options) and load.get(options[i].id, 0) >= cap:
                i += 1
            if i < len(options):
                pick = options[i]
                chosen[u].append(pick)
                taken[u].add(pick.id)
                load[pick.id] = load.get(pick.id, 0) + 1
                i += 1
            cursor[u] = i
    short = [u for u in order if len(chosen[u]) < count]
    for u in short:
        # Start each attendee at a different place in the fallback list so that the people
        # who fill short lists are spread out rather than the same few for everyone.
        start = (u * 2654435761) % len(fallback) if fallback else 0
        for v in fallback[start:] + fallback[:start]:
            if len(chosen[u]) >= count:
                break
            if v == u or v in taken[u] or v in excluded[u] or load.get(v, 0) >= cap:
                continue
            chosen[u].append(Candidate(v, 0.0, 0.0))
            taken[u].add(v)
            load[v] = load.get(v, 0) + 1
    return chosen


def known_fields(me: int, graph: Graph, fields: Mapping[int, frozenset[str]]) -> set[str]:
    """Fields and roles the attendee already knows: their own and their strongest contacts'."""
    known = set(fields.get(me, frozenset()))
    for w, _, _, _ in graph.neighbours.get(me, [])[:NEIGHBOUR_CAP]:
        known |= fields.get(w, frozenset())
    return known


def explain_all(
    me: Person,
    chosen: list[Candidate],
    together: Mapping[int, float],
    graph: Graph,
    people: Mapping[int, Person],
    fields: Mapping[int, frozenset[str]],
    index: ProfileIndex,
) -> list[Suggestion]:
    """Turn chosen candidates into suggestions with reasons, giving before asking."""
    mine = {w: (weight, t) for w, weight, t, _ in graph.neighbours.get(me.id, [])}
    known = known_fields(me.id, graph, fields)
    out = []
    for candidate in chosen:
        other = people[candidate.id]
        reasons: list[Reason] = []
        for m in help_matches(index, me.id, other.id)[:2]:
            reasons.append(Reason("you_can_help", {"name": other.name, "offer": m.mine,
                                                   "ask": m.theirs}))
        for m in help_matches(index, other.id, me.id)[:2]:
            reasons.append(Reason("complementary", {"name": other.name, "offer": m.mine,
                                                    "ask": m.theirs}))
        for m in shared_asks(index, me.id, other.id)[:1]:
            reasons.append(Reason("shared_ask", {"name": other.name, "ask": m.mine,
                                                 "their_ask": m.theirs}))
        common = [(weight, w, t) for w, weight, t, _ in graph.neighbours.get(other.id, [])
                  if w in mine]
        # Stable sort: equally strong contacts keep the candidate's own order of ties (most
        # recent first, then the event's tie-break), so early registrants are not named first.
        common.sort(key=lambda item: -mine[item[1]][0] - item[0])
        if common:
            names = [people[w].name for _, w, _ in common[:3]]
            reasons.append(Reason("common_contacts", {
                "name": other.name, "names": _and(names), "count": str(len(common)),
                "more": str(len(common) - len(names))}))
            if together.get(other.id, 0.0) > 0:
                best = min(common, key=lambda c: abs(c[2] - mine[c[1]][1]))
                if abs(best[2] - mine[best[1]][1]) <= 2 * SAME_CONVERSATION_SECONDS:
                    reasons.append(Reason("same_conversation", {
                        "name": other.name, "contact": people[best[1]].name}))
        elif candidate.walk > 0:
            reasons.append(Reason("extended_network", {"name": other.name}))
        shared = shared_interests(index, me.id, other.id)
        if shared:
            reasons.append(Reason("shared_interests", {
                "name": other.name, "interests": ", ".join(m.mine for m in shared)}))
        theirs = fields.get(other.id, frozenset())
        if theirs and known and theirs.isdisjoint(known):
            reasons.append(Reason("other_field", {
                "name": other.name, "field": other.title or other.company,
                "title": other.title, "company": other.company}))
        if not reasons:
            degree = len(graph.neighbours.get(other.id, []))
            reasons.append(Reason("well_connected", {"name": other.name, "count": str(degree)}))
        out.append(Suggestion(attendee_id=other.id, score=round(candidate.score, 6),
                              reasons=reasons))
    return out


def _and(names: list[str]) -> str:
    return ", ".join(names)


def all_fields(people: Mapping[int, Person]) -> dict[int, frozenset[str]]:
    """Field/role features per attendee (empty when company and title are blank)."""
    return {pid: field_of(p) for pid, p in people.items()}
