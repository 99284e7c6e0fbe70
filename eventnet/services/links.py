"""Signed, expiring, single-purpose links used in emails.

Each purpose has its own salt and maximum age, so a token made for one action is refused
by every other. Previews and test emails get tokens signed for ``<purpose>-preview``: they
look the same but no endpoint accepts them, so an organizer's test email cannot act on an
attendee's behalf.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import zlib
from base64 import urlsafe_b64encode
from functools import lru_cache
from typing import Any

from flask import current_app

from eventnet.services import tokens

INTRO_REQUEST = "intro-request"
INTRO_ANSWER = "intro-answer"
UNSUBSCRIBE = "unsubscribe"
VCARD = "vcard"
#: a scan someone asked for before signing in, carried inside their magic link's next path
#: (``/b/<badge>/pending/<token>``, built by ``scans.pending_path``: it has no entry in PATHS)
PENDING_SCAN = "pending-scan"

DAY = 24 * 3600
MAX_AGE = {
    INTRO_REQUEST: 60 * DAY,
    INTRO_ANSWER: 30 * DAY,
    UNSUBSCRIBE: 365 * DAY,
    VCARD: 180 * DAY,
    # well inside the 30 days after which a scan's time is refused
    PENDING_SCAN: 7 * DAY,
}
PATHS = {INTRO_REQUEST: "/i/{}", INTRO_ANSWER: "/i/answer/{}", UNSUBSCRIBE: "/u/{}",
         VCARD: "/v/{}.vcf"}


@lru_cache(maxsize=64)
def _mac(secret: str, purpose: str) -> Any:
    # itsdangerous' default key derivation ("django-concat", SHA-1), done once per purpose
    # instead of once per link; each token then costs one copy of the keyed HMAC.
    key = hashlib.sha1(f"eventnet:{purpose}".encode() + b"signer" + secret.encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha1)


def _b64(data: bytes) -> bytes:
    return urlsafe_b64encode(data).rstrip(b"=")


def sign(purpose: str, payload: dict[str, Any]) -> str:
    """A token for ``purpose``, in the format of ``tokens.sign`` (and accepted by it).

    Built by hand because a follow-up signs a dozen links and itsdangerous' serializer
    object costs several times the HMAC itself. Payloads this short never shrink under
    zlib, so compression is only tried on long ones (``tokens.unsign`` reads both forms).
    """
    data = json.dumps(payload, separators=(",", ":")).encode()
    body = _b64(data)
    if len(data) > _COMPRESS_FROM:
        compressed = zlib.compress(data)
        if len(compressed) < len(data) - 1:
            body = b"." + _b64(compressed)
    value = body + b"." + _b64(int(time.time()).to_bytes(8, "big").lstrip(b"\0"))
    mac = _mac(current_app.config["SECRET_KEY"], purpose).copy()
    mac.update(value)
    return (value + b"." + _b64(mac.digest())).decode()


_COMPRESS_FROM = 64


def url(purpose: str, payload: dict[str, Any], *, preview: bool = False) -> str:
    """The absolute URL of a signed link for ``purpose``."""
    token = sign(f"{purpose}-preview" if preview else purpose, payload)
    base_url: str = current_app.config["EVENTNET_BASE_URL"]
    return base_url + PATHS[purpose].format(token)


def check(purpose: str, token: str) -> dict[str, Any]:
    """The payload of a link made for ``purpose``. Raises InvalidLink (tampered, expired)."""
    return tokens.unsign(purpose, token, MAX_AGE[purpose])
