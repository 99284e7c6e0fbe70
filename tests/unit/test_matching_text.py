"""Real input matches: case, accents, French and English, plurals and near-synonyms; and a
reason never pairs two phrases that talk about different things."""

from __future__ import annotations

from datetime import datetime

import pytest

from eventnet.matching import Encounter, Person, build_followups
from eventnet.matching.text import matches, phrases_match

# Pairs as attendees type them, in both languages and across them.
SAME = [
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
    ("Code review", "Relecture de code"),
    ("Code review", "Python code review"),
    ("Design feedback", "UX review"),
    ("Feedback", "Feedback on my pitch deck"),
    ("Fresh eyes on my pitch deck", "Pitch feedback"),
    ("Seed investing", "Fundraising for my fintech"),
    ("Investing in climate startups", "Funding for a climate startup"),
    ("A co-founder for a climate startup", "Cofondateur pour une start-up climat"),
    ("Hiring ML engineers", "Job in machine learning"),
    ("Data science internship", "Students to supervise"),
    ("Mentorat", "coaching"),
    ("Retours sur mon design", "Design feedback"),
    ("Conseil juridique", "Legal advice"),
    ("Kubernetes", "DevOps"),
    ("Intelligence artificielle", "AI"),
    ("Partenariats avec des hôpitaux", "Hospital partnerships"),
    ("Speaking at conferences", "Conférencier"),
    ("B2B sales", "Développement commercial"),
    ("Data analysis", "Analyse de données"),
    ("Recherche en santé", "Health research"),
]

DIFFERENT = [
    # The follow-up that paired these said "Eve can help with Code review, which you are
    # looking for (Design feedback)": the same kind of help on two different topics.
    ("Code review", "Design feedback"),
    ("Relecture de code", "Retours sur le design"),
    ("Pitch feedback", "Code review"),
    ("Avis sur mon pitch", "Avis sur mon code"),
    ("career advice", "legal advice"),
    ("Conseils en marketing", "Conseils juridiques"),
    ("looking for help", "need help"),
    ("python", "fundraising"),
    ("", "python"),
    ("the", "of"),
    # The same topic, but a different kind of help.
    ("Python mentoring", "Python jobs"),
    ("Investing in climate startups", "A co-founder for a climate startup"),
    ("AI mentoring", "Funding for an AI startup"),
    ("Mentoring", "Hiring"),
    ("Recrutement de développeurs", "Levée de fonds"),
    ("Feedback", "Design"),
    # The same kind of help or one shared word, on different topics.
    ("Design mentoring", "Data science mentoring"),
    ("Data engineering", "Data journalism"),
    ("Stage en design", "Stage en data science"),
    ("Partenariat avec des écoles", "Partenariat avec des hôpitaux"),
    ("Climate tech", "Health tech"),
    ("UX research", "Cancer research"),
    ("Security audit", "Accounting audit"),
]


def test_the_table_is_large_enough() -> None:
    assert len(SAME) + len(DIFFERENT) >= 40


@pytest.mark.parametrize(("a", "b"), SAME)
def test_phrases_that_mean_the_same_match(a: str, b: str) -> None:
    assert phrases_match(a, b)
    assert phrases_match(b, a)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_unrelated_phrases_do_not_match(a: str, b: str) -> None:
    assert not phrases_match(a, b)
    assert not phrases_match(b, a)


def test_each_phrase_is_used_once_and_order_is_kept() -> None:
    assert matches(("ML", "hiring", "python"), ("Recrutement", "machine learning")) == [
        ("ML", "machine learning"), ("hiring", "Recrutement")]


def test_a_phrase_is_paired_with_the_one_that_matches_not_the_first_of_its_kind() -> None:
    assert matches(("Code review",), ("Design feedback", "Relecture de code")) == [
        ("Code review", "Relecture de code")]


def test_the_follow_up_names_the_shared_ask_not_code_review_for_design_feedback() -> None:
    at = datetime(2026, 6, 4, 9, 0)
    ask = "A co-founder for a climate startup"
    alice = Person(1, None, "Alice", None, "", "", offers=("Design",),
                   asks=("Design feedback", ask))
    eve = Person(2, None, "Eve Martin", None, "", "", offers=("Code review",), asks=(ask,))
    bob = Person(3, None, "Bob", None, "", "")
    result = build_followups("E", [alice, eve, bob], [Encounter(1, 3, at), Encounter(2, 3, at)])
    reasons = [r for s in result[1].introductions if s.attendee_id == 2 for r in s.reasons]
    assert reasons, "Eve is suggested to Alice"
    assert not [r for r in reasons if "Code review" in r.params.values()]
    assert [r.params["ask"] for r in reasons if r.code == "shared_ask"] == [ask]
