"""The French catalogue follows French typography: a non-breaking space before ":", ";", "?"
and "!" and inside « guillemets », typographic apostrophes, no English quotes, and no name
after a word that would have to elide before it ("de Eve")."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[1] / "eventnet/translations/fr/LC_MESSAGES/messages.po"
# A high punctuation mark ending a clause (followed by a space, the end, » or a parenthesis),
# not preceded by a non-breaking space (U+00A0, or the narrow U+202F). "18:30" and "https://"
# are not clauses; "Authorization: Bearer" is an HTTP header quoted as it must be typed.
NO_SPACE_BEFORE = re.compile(r"(?<![\u00a0\u202f])(?<!Authorization)[:;?!](?=\s|$|»|\))")
BARE_GUILLEMET = re.compile(r"«(?![\u00a0\u202f])|(?<![\u00a0\u202f])»")


# "que %(name)s" must become "qu’Eve": only the reasons are filled by typography.fill, which
# elides; elsewhere the French is written so that no name follows such a word. Numbers and
# dates never start with a vowel.
ELIDABLE_BEFORE_TEXT = re.compile(
    r"\b(?:que|de|le|la|ne|se|ce|je|me|te|jusque|lorsque|puisque)\s+%\((\w+)\)s", re.I)
NOT_A_NAME = {"date", "edges", "n", "num"}


def french_strings() -> list[tuple[str, str]]:
    with CATALOGUE.open("rb") as fh:
        catalog = read_po(fh)
    out = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        out.extend((msgid, s) for s in strings if s)
    return out


def test_high_punctuation_has_a_non_breaking_space_before_it() -> None:
    bad = [(msgid, s) for msgid, s in french_strings() if NO_SPACE_BEFORE.search(s)]
    assert bad == []


def test_guillemets_hold_their_non_breaking_spaces() -> None:
    bad = [(msgid, s) for msgid, s in french_strings() if BARE_GUILLEMET.search(s)]
    assert bad == []


def test_no_english_quotes_or_straight_apostrophes() -> None:
    bad = [(msgid, s) for msgid, s in french_strings() if re.search(r"[\"“”']", s)]
    assert bad == []


def test_no_name_follows_a_word_that_would_elide_before_it() -> None:
    with CATALOGUE.open("rb") as fh:
        catalog = read_po(fh)
    bad = []
    for message in catalog:
        if not message.id or any(path.endswith("matching/reasons.py")
                                 for path, _ in message.locations):
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for s in strings:
            names = set(ELIDABLE_BEFORE_TEXT.findall(s)) - NOT_A_NAME
            if names:
                bad.append((message.id, s))
    assert bad == [], ("a name follows a word that elides before a vowel ('que Eve', 'de "
                       "Ocean'): write the French so that none does, e.g. 'Eve vous écrit :' "
                       "rather than 'Message de Eve :', or 'sous le nom Eve'")


def test_counts_use_plural_forms_not_parentheses() -> None:
    """ngettext, never "créé(s)": the README's rule for counts, in French as in English."""
    bad = [(msgid, s) for msgid, s in french_strings() if re.search(r"\w\((?:s|e|es)\)", s)]
    assert bad == []
