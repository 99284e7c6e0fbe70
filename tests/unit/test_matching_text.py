"""Real input matches: case, accents, French and English, plurals and near-synonyms."""

from __future__ import annotations

import pytest

from eventnet.matching.text import matches, phrases_match


@pytest.mark.parametrize(("a", "b"), [
    ("Fundraising", "levée de fonds"),
    ("raising money", "Fund raising"),
    ("hiring", "recruiting"),
    ("Recrutement", "hiring"),
    ("ML", "machine learning"),
    ("Apprentissage automatique", "Machine Learning"),
    ("investors", "Investor"),
    ("SÉCURITÉ", "security"),
    ("Python mentoring", "learn python"),
    ("career advice", "mentoring"),
    ("open-source", "Logiciel libre"),
    ("start-ups", "startup"),
])
def test_phrases_that_mean_the_same_match(a: str, b: str) -> None:
    assert phrases_match(a, b)
    assert phrases_match(b, a)


@pytest.mark.parametrize(("a", "b"), [
    ("career advice", "legal advice"),
    ("looking for help", "need help"),
    ("python", "fundraising"),
    ("", "python"),
    ("the", "of"),
])
def test_unrelated_phrases_do_not_match(a: str, b: str) -> None:
    assert not phrases_match(a, b)


def test_each_phrase_is_used_once_and_order_is_kept() -> None:
    assert matches(("ML", "hiring", "python"), ("Recrutement", "machine learning")) == [
        ("ML", "machine learning"), ("hiring", "Recrutement")]
