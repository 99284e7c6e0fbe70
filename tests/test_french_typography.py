"""The French catalogue follows French typography: a non-breaking space before ":", ";", "?"
and "!" and inside « guillemets », typographic apostrophes, no English quotes."""

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
