"""Normalise free-text interests, offers and asks so that real input matches.

Case, accents, French and English, plurals and near-synonyms: a phrase becomes a set of features,
its concepts (from concepts.py) and its content stems. Stems come from the Snowball English and
French stemmers; the shorter of the two wins so "recruiting" and "recrutement" both give "recrut".
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]
from unidecode import unidecode

from eventnet.matching.concepts import CONCEPTS

_STOP_TEXT = """
    a an and are as at be by for from has have i in into is it its me my of on or our the their
    them they this to us we with you your about some any very more most other such than that
    these those via etc
    au aux avec ce ces dans de des du elle en et eux il je la le les leur lui ma mais me meme mes
    moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu
    un une vos votre vous d l j m n s t c y sans chez
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

# Words that carry no topic on their own: "career advice" must not match "legal advice".
_GENERIC_TEXT = """
    help advic look need want find learn get new good work peopl someon support project idea
    thing way lot aid conseil cherch besoin trouv apprend nouveau projet personn quelqu
"""
GENERIC_STEMS = frozenset(_GENERIC_TEXT.split())

_TOKEN = re.compile(r"[a-z0-9+#]+")
_EN = snowballstemmer.stemmer("english")
_FR = snowballstemmer.stemmer("french")


def normalise(phrase: str) -> str:
    """Lower-case ASCII form of a phrase: accents and ligatures removed."""
    return unidecode(phrase).lower().strip()


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """Stem one lower-case ASCII token with both stemmers; the shorter stem wins."""
    en = str(_EN.stemWord(token))
    fr = str(_FR.stemWord(token))
    return min((en, fr), key=lambda s: (len(s), s))


def stems(phrase: str) -> tuple[str, ...]:
    """Content stems of a phrase, in order, without stop words."""
    out = []
    for token in _TOKEN.findall(normalise(phrase).replace("'", " ")):
        if token in STOP_WORDS:
            continue
        out.append(stem(token))
    return tuple(out)


def _build_concept_index() -> dict[str, list[tuple[frozenset[str], str]]]:
    index: dict[str, list[tuple[frozenset[str], str]]] = {}
    for concept in sorted(CONCEPTS):
        for phrase in CONCEPTS[concept]:
            key = frozenset(stems(phrase))
            if not key:
                continue
            anchor = min(key)
            index.setdefault(anchor, []).append((key, concept))
    return index


_CONCEPT_INDEX = _build_concept_index()


@lru_cache(maxsize=65536)
def concepts(phrase: str) -> frozenset[str]:
    """The curated concepts a phrase mentions (all stems of a concept phrase present)."""
    present = frozenset(stems(phrase))
    found = set()
    for s in present:
        for key, concept in _CONCEPT_INDEX.get(s, ()):
            if key <= present:
                found.add(concept)
    return frozenset(found)


@lru_cache(maxsize=65536)
def features(phrase: str) -> frozenset[str]:
    """Matching features of a phrase: "c:<concept>" and "s:<stem>" for topical stems."""
    found, topical = _parts(phrase)
    return frozenset({f"s:{s}" for s in topical} | {f"c:{c}" for c in found})


@lru_cache(maxsize=65536)
def _parts(phrase: str) -> tuple[frozenset[str], frozenset[str]]:
    topical = frozenset(s for s in stems(phrase) if s not in GENERIC_STEMS and len(s) > 1)
    return concepts(phrase), topical


def phrases_match(a: str, b: str) -> bool:
    """Whether two phrases talk about the same thing (shared concept or most topical stems)."""
    ca, sa = _parts(a)
    cb, sb = _parts(b)
    if ca & cb:
        return True
    common = sa & sb
    return bool(common) and 2 * len(common) >= min(len(sa), len(sb))


Prepared = tuple[tuple[str, frozenset[str], frozenset[str]], ...]


def prepare(phrases: tuple[str, ...]) -> Prepared:
    """Phrases with their concepts and topical stems, computed once for repeated matching."""
    return tuple((p, *_parts(p)) for p in phrases)


def match_prepared(mine: Prepared, theirs: Prepared) -> list[tuple[str, str]]:
    """Pairs (my phrase, their phrase) that match, each phrase used at most once, in input order."""
    out: list[tuple[str, str]] = []
    used: set[int] = set()
    for a, ca, sa in mine:
        for j, (b, cb, sb) in enumerate(theirs):
            if j in used:
                continue
            if not ca.isdisjoint(cb):
                hit = True
            else:
                common = sa & sb
                hit = bool(common) and 2 * len(common) >= min(len(sa), len(sb))
            if hit:
                out.append((a, b))
                used.add(j)
                break
    return out


def matches(mine: tuple[str, ...], theirs: tuple[str, ...]) -> list[tuple[str, str]]:
    """Pairs (my phrase, their phrase) that match, each phrase used at most once, in input order."""
    return match_prepared(prepare(mine), prepare(theirs))
