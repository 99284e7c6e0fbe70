"""The OpenAPI 3 document of /api/v1, kept next to the routes it describes."""

from __future__ import annotations

from typing import Any

from flask import current_app

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}}}},
}


def document() -> dict[str, Any]:
    """Build the OpenAPI document (servers from EVENTNET_BASE_URL)."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "eventnet API", "version": "1"},
        "servers": [{"url": current_app.config["EVENTNET_BASE_URL"] + "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR},
        },
        "paths": {},
    }
