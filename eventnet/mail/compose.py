"""Render an email from a ``.txt`` + ``.html`` template pair in the recipient's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, dates
from flask import current_app, render_template
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


def _bound_gettext(lang: str) -> dict[str, Any]:
    """``gettext``/``ngettext`` bound to one language's catalog, for the template context.

    Jinja's i18n ``_`` resolves ``gettext`` from the context first; binding it once per
    message skips Flask-Babel's per-call locale lookup, which dominates the rendering of
    long follow-ups. Same semantics as Jinja's newstyle gettext: variables are escaped
    when autoescaping and substituted with ``%``.
    """
    translations = get_translations()

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


def render_email(name: str, language: str, **context: Any) -> Rendered:
    """Render ``email/<name>.txt`` and ``.html``; the text template sets ``subject``."""
    lang = language if language in LANGUAGES else "en"
    with force_locale(lang):
        env = current_app.jinja_env
        current_app.update_template_context(context)
        context.update(_bound_gettext(lang))
        text_tmpl = env.get_template(f"email/{name}.txt")
        module = text_tmpl.make_module(context)
        subject = " ".join(str(getattr(module, "subject", "")).split())
        text = str(module).strip() + "\n"
        html = render_template(f"email/{name}.html", subject=subject, **context)
    return Rendered(subject=subject, text=text, html=html)


def sender(display_name: str = "") -> str:
    """The From header: the configured address with an optional display name."""
    address = current_app.config["MAIL_FROM"]
    return formataddr((display_name, address)) if display_name else address


def datetime_formatter(language: str, tz: str) -> Callable[[datetime], str]:
    """A fast ``medium`` date-and-time formatter for one language and time zone.

    Gives the same text as the ``local_time`` filter; the patterns are parsed once, which
    matters when an email lists dozens of meetings and thousands of emails are rendered.
    """
    locale = Locale.parse(language if language in LANGUAGES else "en")
    zone = ZoneInfo(tz)
    date_pattern = dates.parse_pattern(dates.get_date_format("medium", locale=locale))
    time_pattern = dates.parse_pattern(dates.get_time_format("short", locale=locale))

    def format_medium(value: datetime) -> str:
        local = value.astimezone(zone)
        return f"{date_pattern.apply(local, locale)}, {time_pattern.apply(local, locale)}"

    return format_medium
