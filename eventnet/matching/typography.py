"""Filling a translated sentence with names and phrases as the language writes them.

French elides "que", "de", "le"... before a vowel: "en même temps qu’Eve", "l’équipe d’Ocean".
The translation cannot know the name, so the elision happens when the sentence is filled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# A French word that elides, directly before a placeholder: "que %(name)s".
_ELIDABLE_FR = re.compile(
    r"\b(jusque|lorsque|puisque|que|de|le|la|je|me|te|se|ne|ce)\s+(%\((\w+)\)s)",
    re.IGNORECASE,
)
_VOWELS_FR = frozenset("aeiouàâäéèêëîïôöùûüœæ")


def _starts_with_vowel(value: str) -> bool:
    text = value.lstrip()
    return bool(text) and text[0].lower() in _VOWELS_FR


def elide(template: str, params: Mapping[str, object], language: str) -> str:
    """The template with each elidable French word before a vowel-initial value elided.

    Only French elides; other languages get the template unchanged. A name starting with "h"
    or "y" keeps the full word ("de Hugues", "de Yann"): whether it elides depends on the name.
    """
    if not language.lower().startswith("fr"):
        return template

    def shorten(match: re.Match[str]) -> str:
        value = params.get(match.group(3))
        if isinstance(value, str) and _starts_with_vowel(value):
            return f"{match.group(1)[:-1]}’{match.group(2)}"
        return match.group(0)

    return _ELIDABLE_FR.sub(shorten, template)


def fill(template: str, params: Mapping[str, object], language: str = "en") -> str:
    """The template with `params` substituted (%-style), elided as the language wants.

    A template whose placeholders the params do not fill is returned as it is.
    """
    try:
        return elide(template, params, language) % params
    except (KeyError, ValueError, TypeError):
        return template
