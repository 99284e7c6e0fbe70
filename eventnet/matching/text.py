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

from eventnet.matching.concepts import CONCEPTS, KINDS

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


def _found(present: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Concepts whose phrase stems are all present, and the stems those phrases use up."""
    found: set[str] = set()
    used: set[str] = set()
    for s in present:
        for key, concept in _CONCEPT_INDEX.get(s, ()):
            if key <= present:
                found.add(concept)
                used |= key
    return frozenset(found), frozenset(used)


@lru_cache(maxsize=65536)
def concepts(phrase: str) -> frozenset[str]:
    """The curated concepts a phrase mentions (all stems of a concept phrase present)."""
    return _found(frozenset(stems(phrase)))[0]


def _is_topical(s: str) -> bool:
    return s not in GENERIC_STEMS and len(s) > 1


@lru_cache(maxsize=65536)
def features(phrase: str) -> frozenset[str]:
    """Matching features of a phrase: "c:<concept>" and "s:<stem>" for topical stems.

    These feed the inverted indexes that find candidates; whether two phrases really match is
    decided by `phrases_match`, which is stricter.
    """
    present = frozenset(stems(phrase))
    found, _ = _found(present)
    return frozenset({f"s:{s}" for s in present if _is_topical(s)} | {f"c:{c}" for c in found})


def topic_key(phrase: str) -> frozenset[str]:
    """What a phrase is about, for grouping phrases that say the same thing: its concepts and
    the topical stems no concept phrase used up. "climat", "climate" and "Climat" give one key,
    so do "ML" and "machine learning", or "santé numérique" and "digital health"; "climate
    tech" and "climate policy" do not. Empty for a phrase of stop words only."""
    kinds, topics = _parts(phrase)
    return kinds | topics


@lru_cache(maxsize=65536)
def _parts(phrase: str) -> tuple[frozenset[str], frozenset[str]]:
    """What a phrase asks or offers (its KINDS concepts) and what it is about (its topics).

    Topics are the other concepts ("c:...") and the topical stems no concept phrase used up
    ("s:..."): in "Code review" the kind is feedback and the topic is "cod".
    """
    present = frozenset(stems(phrase))
    found, used = _found(present)
    kinds = found & KINDS
    topics = {f"c:{c}" for c in found - KINDS}
    topics.update(f"s:{s}" for s in present - used if _is_topical(s))
    return kinds, frozenset(topics)


def _related(ka: frozenset[str], ta: frozenset[str], kb: frozenset[str],
             tb: frozenset[str]) -> bool:
    """The matching rule on the parts of two phrases (see phrases_match)."""
    if ka and kb and ka.isdisjoint(kb):
        return False  # different kinds of help: "Python mentoring" is not "Python jobs"
    if not ta or not tb:
        # A phrase that names only a kind ("Mentoring", "Feedback") matches the same kind on
        # any topic; the kind alone never links two topics ("Code review", "Design feedback").
        return bool(ka & kb)
    common = ta & tb
    if not common:
        return False
    return common in (ta, tb) or 2 * len(common) > max(len(ta), len(tb))


def phrases_match(a: str, b: str) -> bool:
    """Whether two phrases talk about the same thing.

    Their kinds of help must not differ (feedback, mentoring, funding...), and their topics
    must agree: the shared topics cover one phrase's topics, or more than half of each. A
    phrase without a topic matches on its kind alone.
    """
    return _related(*_parts(a), *_parts(b))


Prepared = tuple[tuple[str, frozenset[str], frozenset[str]], ...]


def prepare(phrases: tuple[str, ...]) -> Prepared:
    """Phrases with their kinds and topics, computed once for repeated matching."""
    return tuple((p, *_parts(p)) for p in phrases)


def match_prepared(mine: Prepared, theirs: Prepared) -> list[tuple[str, str]]:
    """Pairs (my phrase, their phrase) that match, each phrase used at most once, in input order."""
    out: list[tuple[str, str]] = []
    used: set[int] = set()
    for a, ka, ta in mine:
        for j, (b, kb, tb) in enumerate(theirs):
            if j not in used and _related(ka, ta, kb, tb):
                out.append((a, b))
                used.add(j)
                break
    return out


def matches(mine: tuple[str, ...], theirs: tuple[str, ...]) -> list[tuple[str, str]]:
    """Pairs (my phrase, their phrase) that match, each phrase used at most once, in input order."""
    return match_prepared(prepare(mine), prepare(theirs))
