"""Render an email from a ``.txt`` + ``.html`` template pair in the recipient's language."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from eventnet.config import LANGUAGES


@dataclass(frozen=True)
class Rendered:
    """A rendered message: subject, plain text and HTML."""

    subject: str
    text: str
    html: str


def render_email(name: str, language: str, **context: Any) -> Rendered:
    """Render ``email/<name>.txt`` and ``.html``; the text template sets ``subject``."""
    lang = language if language in LANGUAGES else "en"
    with force_locale(lang):
        env = current_app.jinja_env
        current_app.update_template_context(context)
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
