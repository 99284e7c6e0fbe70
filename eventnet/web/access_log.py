"""gunicorn's access log without the secrets that eventnet's URLs carry.

Magic links, badge tokens, pending scans, claim, invitation, introduction, unsubscribe,
vCard and registration-update links all hold a token in their path; a sign-in page's
``next=`` holds one URL-encoded; and the Referer of the page after a magic link holds the
link. Every value of an access-log line (request line, path, query, Referer, headers) is
logged with those tokens replaced by ``[token]``. ``gunicorn.conf.py`` uses ``AccessLogger``.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

_SLASH = r"(?:/|%2F)"
_TOKEN = r"[A-Za-z0-9_.~\-]+"
_PATTERNS = [
    # /m/<t>, /u/<t>, /v/<t>.vcf, /claim/<t>, /invitations/<t>, /i/<t>, /i/answer/<t>, /b/<t>
    re.compile(rf"({_SLASH}(?:m|u|v|claim|invitations|i{_SLASH}answer|i|b){_SLASH}){_TOKEN}",
               re.IGNORECASE),
    # /b/<t>/pending/<t> and /e/<slug>/update/<t>
    re.compile(rf"({_SLASH}(?:pending|update){_SLASH}){_TOKEN}", re.IGNORECASE),
]
REDACTED = "[token]"


def redact(text: str) -> str:
    """``text`` with every token of an eventnet link in it replaced by ``[token]``."""
    for pattern in _PATTERNS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


class AccessLogger(Logger):
    """gunicorn's logger whose access-log values are ``redact``ed."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """gunicorn's atoms, with the tokens redacted."""
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value
                for key, value in atoms.items()}
