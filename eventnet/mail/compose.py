"""Render an email from a ``.txt`` + ``.html`` template pair in the recipient's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, dates
from flask import current_app
from flask_babel import force_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

from eventnet.config import LANGUAGES


@dataclass(frozen=True)
class Rendered:
    """A rendered message: subject, plain text and HTML."""

    subject: str
    text: str
    html: str


def translations_for(language: str) -> Any:
    """The gettext catalog of a language, looked up once per process.

    Flask-Babel finds it again on every call (locale, domain, cache); rendering thousands
    of follow-ups asked for it three times each.
    """
    lang = language if language in LANGUAGES else "en"
    cache = current_app.extensions.setdefault("eventnet.mail.translations", {})
    translations = cache.get(lang)
    if translations is None:
        with force_locale(lang):
            translations = cache[lang] = get_translations()
    return translations


def _bound_gettext(translations: Any) -> dict[str, Any]:
    """``gettext``/``ngettext`` bound to one language's catalog, for the template context.

    Jinja's i18n ``_`` resolves ``gettext`` from the context first; binding it once per
    message skips Flask-Babel's per-call locale lookup, which dominates the rendering of
    long follow-ups. Same semantics as Jinja's newstyle gettext: variables are escaped
    when autoescaping and substituted with ``%``.
    """

    @pass_context
    def gettext(__context: Any, __string: str, **variables: Any) -> str:
        rv = translations.gettext(__string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables  # type: ignore[no-any-return]

    @pass_context
    def ngettext(__context: Any, __singular: str, __plural: str, __num: int,
                 **variables: Any) -> str:
        variables.setdefault("num", __num)
        rv = translations.ngettext(__singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables  # type: ignore[no-any-return]

    return {"gettext": gettext, "ngettext": ngettext}


def _direct_underscore(lang_gettext: Callable[[str], str], *, escape: bool) -> Callable[..., str]:
    """``_`` for one template, resolved once instead of through ``_gettext_alias``.

    The alias costs two ``Context.call`` dispatches per string; this plain function costs
    one. ``escape`` is the template's autoescaping (HTML: variables escaped by ``Markup``).
    """
    if escape:
        def html_gettext(__string: str, **variables: Any) -> str:
            return Markup(lang_gettext(__string)) % variables

        return html_gettext

    def text_gettext(__string: str, **variables: Any) -> str:
        return lang_gettext(__string) % variables  # always a format string, as in Jinja

    return text_gettext


def render_email(name: str, language: str, **context: Any) -> Rendered:
    """Render ``email/<name>.txt`` and ``.html``; the text template sets ``subject``."""
    lang = language if language in LANGUAGES else "en"
    translations = translations_for(lang)
    with force_locale(lang):  # for the context processors and filters such as local_time
        env = current_app.jinja_env
        current_app.update_template_context(context)
        context.update(_bound_gettext(translations))
        lang_gettext = translations.gettext
        text_tmpl = env.get_template(f"email/{name}.txt")
        module = text_tmpl.make_module(
            {**context, "_": _direct_underscore(lang_gettext, escape=False)})
        subject = " ".join(str(getattr(module, "subject", "")).split())
        text = str(module).strip() + "\n"
        html_tmpl = env.get_template(f"email/{name}.html")
        html = html_tmpl.render(
            {**context, "subject": subject, "_": _direct_underscore(lang_gettext, escape=True)})
    return Rendered(subject=subject, text=text, html=html)


def sender(display_name: str = "") -> str:
    """The From header: the configured address with an optional display name.

    The services store names on one line (``storable.clean_name``); a name saved before
    they did is put on one line here, so it stays a display name."""
    address = current_app.config["MAIL_FROM"]
    display_name = " ".join(display_name.split())
    return formataddr((display_name, address)) if display_name else address


@lru_cache(maxsize=32)
def datetime_formatter(language: str, tz: str) -> Callable[[datetime], str]:
    """A fast ``medium`` date-and-time formatter for one language and time zone.

    Gives the same text as the ``local_time`` filter; the patterns are parsed once, which
    matters when an email lists dozens of meetings and thousands of emails are rendered.
    The patterns stop at the minute, so the texts are remembered by local minute: the
    meetings of one event fall in a few hundred of them.
    """
    locale = Locale.parse(language if language in LANGUAGES else "en")
    zone = ZoneInfo(tz)
    date_pattern = dates.parse_pattern(dates.get_date_format("medium", locale=locale))
    time_pattern = dates.parse_pattern(dates.get_time_format("short", locale=locale))
    by_minute = not any(field in pattern.pattern for pattern in (date_pattern, time_pattern)
                        for field in "sSA")
    texts: dict[datetime, str] = {}

    def format_medium(value: datetime) -> str:
        local = value.astimezone(zone)
        key = local.replace(second=0, microsecond=0) if by_minute else local
        text = texts.get(key)
        if text is None:
            if len(texts) >= _MEMO_SIZE:
                texts.clear()
            text = f"{date_pattern.apply(local, locale)}, {time_pattern.apply(local, locale)}"
            texts[key] = text
        return text

    return format_medium


_MEMO_SIZE = 4096
