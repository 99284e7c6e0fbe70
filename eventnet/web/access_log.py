"""gunicorn's access log without the secrets that eventnet's URLs carry.

Magic links, badge tokens, pending scans, claim, invitation, introduction, unsubscribe,
vCard and registration-update links all hold a token in their path; a sign-in page's
``next=`` holds one URL-encoded; and the Referer of the page after a magic link holds the
link. Every value of an access-log line (request line, path, query, Referer, headers) is
logged with those tokens replaced by ``[token]``, and with the search of the organizer's
pages (``q=``, a name or an address typed at the door or in the attendee list) replaced by
``[search]``. ``gunicorn.conf.py`` uses ``AccessLogger``.
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
#: ``q=`` of a query string, also URL-encoded inside another one (``next=...%3Fq%3D...``)
_SEARCH = re.compile(r"((?:^|[?&])q=)[^&\s\"#]*|((?:%3F|%26)q%3D)(?:(?!%26)[^&\s\"#])*",
                     re.IGNORECASE)
SEARCH_REDACTED = "[search]"


def redact(text: str) -> str:
    """``text`` with every token of an eventnet link in it replaced by ``[token]``, and every
    search (``q=``) by ``[search]``."""
    for pattern in _PATTERNS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return _SEARCH.sub(lambda m: (m.group(1) or m.group(2)) + SEARCH_REDACTED, text)


class AccessLogger(Logger):
    """gunicorn's logger whose access-log values are ``redact``ed."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """gunicorn's atoms, with the tokens redacted."""
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value
                for key, value in atoms.items()}
