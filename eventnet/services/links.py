"""Signed, expiring, single-purpose links used in emails.

Each purpose has its own salt and maximum age, so a token made for one action is refused
by every other. Previews and test emails get tokens signed for ``<purpose>-preview``: they
look the same but no endpoint accepts them, so an organizer's test email cannot act on an
attendee's behalf.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app
from itsdangerous import URLSafeTimedSerializer

from eventnet.services import tokens

INTRO_REQUEST = "intro-request"
INTRO_ANSWER = "intro-answer"
UNSUBSCRIBE = "unsubscribe"
VCARD = "vcard"

DAY = 24 * 3600
MAX_AGE = {
    INTRO_REQUEST: 60 * DAY,
    INTRO_ANSWER: 30 * DAY,
    UNSUBSCRIBE: 365 * DAY,
    VCARD: 180 * DAY,
}
PATHS = {INTRO_REQUEST: "/i/{}", INTRO_ANSWER: "/i/answer/{}", UNSUBSCRIBE: "/u/{}",
         VCARD: "/v/{}.vcf"}


@lru_cache(maxsize=64)
def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    # The same secret and salt as tokens.sign(): its tokens pass tokens.unsign(). Cached
    # because a follow-up email signs a dozen links and the key derivation is per instance.
    return URLSafeTimedSerializer(secret, salt=f"eventnet:{purpose}")


def url(purpose: str, payload: dict[str, Any], *, preview: bool = False) -> str:
    """The absolute URL of a signed link for ``purpose``."""
    signer = _serializer(current_app.config["SECRET_KEY"],
                         f"{purpose}-preview" if preview else purpose)
    token = str(signer.dumps(payload))
    return current_app.config["EVENTNET_BASE_URL"] + PATHS[purpose].format(token)


def check(purpose: str, token: str) -> dict[str, Any]:
    """The payload of a link made for ``purpose``. Raises InvalidLink (tampered, expired)."""
    return tokens.unsign(purpose, token, MAX_AGE[purpose])
