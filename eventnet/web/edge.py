"""The web's edge: input refused before any view sees it.

Query strings and forms are checked whole, before the view (``refuse_bad_text``). JSON bodies
are checked when a view reads them (``JSONProvider``): no string in them may be invalid Unicode,
and they may not nest deeper than ``MAX_JSON_DEPTH``. NUL characters in JSON are checked by
the API field by field, where it reads them (a NUL in a field it ignores is no error).

On the way out, ``Response`` encodes text that is not valid Unicode with replacement
characters instead of failing: text stored before the edges refused it (a tag with a lone
surrogate) made the attendee's page, their CSV and vCard exports and the follow-up export
answer 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response as FlaskResponse
from flask import request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _

from eventnet.services.errors import EventnetError
from eventnet.services.storable import check_text, invalid_text, is_encodable

#: no body eventnet reads nests more than three levels; past this, a body is refused
MAX_JSON_DEPTH = 32

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_bad_text() -> None:
    """Refuse a NUL character or text that is not valid Unicode anywhere in the query or a
    form (names and values). Raises EventnetError (400)."""
    is_form, args = request.mimetype in _FORM_TYPES, request.args
    if not is_form and not args:
        return  # nothing to check (JSON API calls, plain page views)
    fields = list(args.items(multi=True))
    if is_form:
        fields += request.form.items(multi=True)
    for key, value in fields:
        check_text(key)
        check_text(value)


def too_deep() -> EventnetError:
    """The error for a JSON body nested deeper than ``MAX_JSON_DEPTH``."""
    return EventnetError(_("The JSON body is nested too deeply (%(n)d levels at most).",
                           n=MAX_JSON_DEPTH), code="json_too_deep")


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, whose parsing (``request.get_json``) applies the checks of this module.

    Its errors are not ValueErrors, so they reach the client as they are (a 400 with their
    code) even through ``get_json(silent=True)``.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON; raises EventnetError for invalid Unicode or too deep a nesting."""
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:  # the parser recursed once per level: [[[[... 100,000 deep
            raise too_deep() from None
        _check_json(value)
        return value


def _check_json(value: Any) -> None:
    """Refuse strings (keys too) that are not valid Unicode, and nesting past the limit; a
    loop, not recursion, so that no depth the parser accepted can exhaust the stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not is_encodable(item):
                raise invalid_text()
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise too_deep()
            if isinstance(item, dict):
                stack += ((key, depth) for key in item)
                stack += ((child, depth + 1) for child in item.values())
            else:
                stack += ((child, depth + 1) for child in item)


def _encode(text: str | bytes) -> bytes:
    return text.encode("utf-8", "replace") if isinstance(text, str) else text


class Response(FlaskResponse):
    """Flask's response, whose text is encoded with "?" for what is not valid Unicode."""

    def set_data(self, value: bytes | str) -> None:
        """Set the body; text that cannot be encoded as UTF-8 gets "?" in its place."""
        super().set_data(_encode(value))

    def iter_encoded(self) -> Iterator[bytes]:
        """The body as bytes, streamed bodies included, encoded as ``set_data`` does."""
        body: Iterable[str | bytes] = self.response
        return (_encode(item) for item in body)
