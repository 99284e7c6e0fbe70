"""Who offers, asks and cares about what: per-person features and capped inverted indexes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eventnet.matching.model import Match, Person
from eventnet.matching.text import Prepared, features, match_prepared, normalise, prepare, stems


def _feature_set(phrases: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for phrase in phrases:
        out |= features(phrase)
    return frozenset(out)


def field_of(person: Person) -> frozenset[str]:
    """What field or role a person is in: their company and the topical stems of their title."""
    out = {f"t:{s}" for s in stems(person.title)}
    company = normalise(person.company)
    if company:
        out.add(f"co:{company}")
    return frozenset(out)


@dataclass
class ProfileIndex:
    """Features per person and inverted indexes from feature to people (sorted by id)."""

    interests: dict[int, frozenset[str]]
    offers: dict[int, frozenset[str]]
    asks: dict[int, frozenset[str]]
    by_interest: dict[str, list[int]]
    by_offer: dict[str, list[int]]
    by_ask: dict[str, list[int]]
    phrases: dict[int, tuple[Prepared, Prepared, Prepared]]  # interests, offers, asks


def _invert(per_person: dict[int, frozenset[str]]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for pid in sorted(per_person):
        for f in sorted(per_person[pid]):
            index.setdefault(f, []).append(pid)
    return index


def build_index(people: Sequence[Person]) -> ProfileIndex:
    """Index everyone's interests, offers and asks by feature."""
    interests = {p.id: _feature_set(p.interests) for p in people}
    offers = {p.id: _feature_set(p.offers) for p in people}
    asks = {p.id: _feature_set(p.asks) for p in people}
    phrases = {p.id: (prepare(p.interests), prepare(p.offers), prepare(p.asks)) for p in people}
    return ProfileIndex(interests, offers, asks, _invert(interests), _invert(offers),
                        _invert(asks), phrases)


def help_matches(index: ProfileIndex, giver: int, receiver: int) -> list[Match]:
    """The giver's offers that answer the receiver's asks, as (giver phrase, receiver phrase)."""
    if index.offers[giver].isdisjoint(index.asks[receiver]):
        return []
    pairs = match_prepared(index.phrases[giver][1], index.phrases[receiver][2])
    return [Match(mine=a, theirs=b) for a, b in pairs]


def shared_interests(index: ProfileIndex, me: int, other: int) -> list[Match]:
    """Interests the two share, as (my phrase, their phrase)."""
    if index.interests[me].isdisjoint(index.interests[other]):
        return []
    pairs = match_prepared(index.phrases[me][0], index.phrases[other][0])
    return [Match(mine=a, theirs=b) for a, b in pairs]


def shared_asks(index: ProfileIndex, me: int, other: int) -> list[Match]:
    """What both are looking for, as (my phrase, their phrase)."""
    if index.asks[me].isdisjoint(index.asks[other]):
        return []
    pairs = match_prepared(index.phrases[me][2], index.phrases[other][2])
    return [Match(mine=a, theirs=b) for a, b in pairs]


def sample(ids: list[int], cap: int, salt: int) -> list[int]:
    """At most `cap` ids from a posting list: a deterministic window that moves with `salt`.

    Popular features would otherwise make candidate generation quadratic, and always taking the
    first ids would suggest the same people to everyone.
    """
    if len(ids) <= cap:
        return ids
    start = (salt * 2654435761) % len(ids)
    window = ids[start:start + cap]
    return window + ids[: cap - len(window)]
