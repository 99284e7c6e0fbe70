"""Routes of the JSON API."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from eventnet.web.api import bp
from eventnet.web.api.openapi import document


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3 document of this API."""
    return jsonify(document())
