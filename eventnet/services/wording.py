"""Reason sentences in a reader's language: the catalogue, its plural forms and its typography."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import get_locale, get_translations

from eventnet.config import LANGUAGES
from eventnet.mail.compose import translations_for
from eventnet.matching import Reason
from eventnet.matching.reasons import Gettext, Ngettext, describe


def catalogue(language: str | None = None) -> tuple[Gettext, Ngettext, str]:
    """gettext, ngettext (both returning unformatted templates) and the language code.

    Of `language` when given (an email's recipient), else of the current request.
    """
    if language is None:
        locale = get_locale()
        language = locale.language if locale is not None else "en"
        translations = get_translations()
    else:
        language = language if language in LANGUAGES else "en"
        translations = translations_for(language)
    return translations.gettext, translations.ngettext, language


def reason_texts(reasons: Iterable[Reason], language: str | None = None) -> list[str]:
    """Reasons as sentences in `language` (default: the current request's)."""
    gettext, ngettext, lang = catalogue(language)
    return [describe(r, gettext, ngettext, lang) for r in reasons]
