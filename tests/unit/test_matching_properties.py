"""Properties that hold for any event: no self, no one already met, consent, cap, determinism."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from eventnet.matching import Encounter, Person, Settings, build_followups

T0 = datetime(2026, 6, 4, 9, 0)
WORDS = ["python", "ML", "levée de fonds", "fundraising", "hiring", "recrutement", "design",
         "mentoring", "career advice", "security"]


@st.composite
def events(draw: st.DrawFn) -> tuple[list[Person], list[Encounter], Settings]:
    n = draw(st.integers(min_value=1, max_value=14))
    phrases = st.lists(st.sampled_from(WORDS), max_size=3).map(tuple)
    people = [
        Person(id=i, person_id=None, name=f"P{i}", email=f"p{i}@x.org",
               company=draw(st.sampled_from(["", "Acme", "Globex"])),
               title=draw(st.sampled_from(["", "Engineer", "Founder"])),
               interests=draw(phrases), offers=draw(phrases), asks=draw(phrases),
               consents_to_introductions=draw(st.booleans()))
        for i in range(1, n + 1)
    ]
    scans = draw(st.lists(st.tuples(st.integers(1, n), st.integers(1, n), st.integers(0, 600),
                                    st.sampled_from(["", "follow up"])), max_size=40))
    encounters = [Encounter(a, b, T0 + timedelta(minutes=m), note=note) for a, b, m, note in scans]
    config = Settings(list_size=draw(st.integers(0, 5)), intro_count=draw(st.integers(0, 4)),
                      exposure_cap=draw(st.one_of(st.none(), st.integers(0, 5))))
    return people, encounters, config


@settings(max_examples=150, deadline=None)
@given(events())
def test_lists_never_contain_the_attendee_or_someone_already_met(
    event: tuple[list[Person], list[Encounter], Settings],
) -> None:
    people, encounters, config = event
    result = build_followups("E", people, encounters, settings=config)
    consenting = {p.id for p in people if p.consents_to_introductions}
    met_pairs = {(e.scanner_id, e.scanned_id) for e in encounters}
    met_pairs |= {(b, a) for a, b in met_pairs}
    exposure: Counter[int] = Counter()
    for p in people:
        f = result[p.id]
        assert p.id not in {m.attendee_id for m in f.met}
        assert len(f.met) <= config.list_size
        intros = [s.attendee_id for s in f.introductions]
        assert len(intros) == len(set(intros)) <= config.intro_count
        assert p.id not in intros
        assert not any((p.id, v) in met_pairs for v in intros)
        assert set(intros) <= consenting
        if p.id not in consenting:
            assert intros == []
        exposure.update(intros)
    assert max(exposure.values(), default=0) <= config.effective_exposure_cap


@settings(max_examples=60, deadline=None)
@given(events(), st.randoms(use_true_random=False))
def test_same_input_same_output_whatever_the_order(
    event: tuple[list[Person], list[Encounter], Settings], rnd: random.Random,
) -> None:
    people, encounters, config = event
    first = build_followups("E", people, encounters, settings=config)
    assert build_followups("E", people, encounters, settings=config) == first
    # Notes keep the order they were written in, so shuffle only note-less scans.
    shuffled_people = list(people)
    rnd.shuffle(shuffled_people)
    plain = [e for e in encounters if not e.note]
    base = build_followups("E", people, plain, settings=config)
    rnd.shuffle(plain)
    assert build_followups("E", shuffled_people, plain, settings=config) == base
