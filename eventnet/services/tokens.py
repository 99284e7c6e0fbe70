"""Tokens: badge tokens, personal API secrets and signed single-purpose links."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import urlsafe_b64encode
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from eventnet.services.errors import EventnetError

BADGE_TOKEN_BYTES = 24  # 192 bits; QR codes stay small at this length


def new_badge_token() -> str:
    """A random, unguessable badge token (it is printed, so it is public)."""
    return secrets.token_urlsafe(BADGE_TOKEN_BYTES)


def sha256(value: str) -> str:
    """Hex digest used to store secrets we only need to compare."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_organizer_token() -> str:
    """A fresh random organizer API token."""
    return "eo_" + secrets.token_urlsafe(32)


def attendee_access_token(attendee_id: int, secret_version: int) -> str:
    """The attendee's personal API secret, derived from the app secret.

    Derived rather than stored so it can be shown again (exports, the attendee's page) while
    the database holds only its hash; bumping ``secret_version`` revokes it.
    """
    key = current_app.config["SECRET_KEY"].encode()
    msg = f"attendee-access:{attendee_id}:{secret_version}".encode()
    digest = hmac.new(key, msg, hashlib.sha256).digest()
    return "ea_" + urlsafe_b64encode(digest).rstrip(b"=").decode()


class InvalidLink(EventnetError):
    """A signed link was tampered with, is for another purpose or has expired."""

    status = 400
    default_code = "invalid_link"


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"eventnet:{purpose}")


def sign(purpose: str, payload: dict[str, Any]) -> str:
    """Sign ``payload`` for one purpose (magic-link, unsubscribe, intro-request, ...)."""
    return str(_serializer(purpose).dumps(payload))


def unsign(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    """Verify a signed token; raises InvalidLink (code ``expired_link`` when too old)."""
    return unsign_with_time(purpose, token, max_age)[0]


def unsign_with_time(purpose: str, token: str,
                     max_age: int | None) -> tuple[dict[str, Any], datetime]:
    """``unsign``, and when the token was signed (to the second, UTC); ``max_age=None``
    accepts any age. Raises InvalidLink."""
    try:
        payload, signed_at = _serializer(purpose).loads(token, max_age=max_age,
                                                         return_timestamp=True)
    except SignatureExpired as exc:
        raise InvalidLink(_("This link has expired."), code="expired_link") from exc
    except BadSignature as exc:
        raise InvalidLink(_("This link is invalid.")) from exc
    if not isinstance(payload, dict):
        raise InvalidLink(_("This link is invalid."))
    return payload, signed_at
