"""The OpenAPI 3.1 document of /api/v1, kept next to the routes it describes.

Its schemas are plain JSON Schema (2020-12), so tests validate real responses against them.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}}}},
}

_STR_LIST = {"type": "array", "items": {"type": "string"}}
_TIME = {"type": "string", "format": "date-time"}
#: no text may hold a NUL character (0x00): PostgreSQL cannot store one
_NO_NUL = r"^[^\u0000]*$"
#: a text that is not only spaces (the server strips them), without NUL; null means absent
_TEXT = {"type": ["string", "null"], "minLength": 1,
         "pattern": r"^[^\u0000]*[^\u0000\s][^\u0000]*$"}

PERSON = {
    "type": "object",
    "description": "The other attendee's public card; email, links and phone only when they "
                   "consented to share their contact details with the people they connect "
                   "with and the connection is mutual (both scanned each other).",
    "required": ["id", "name", "company", "title", "interests", "offers", "asks"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "company": {"type": "string"}, "title": {"type": "string"},
        "interests": _STR_LIST, "offers": _STR_LIST, "asks": _STR_LIST,
        "email": {"type": ["string", "null"]}, "links": _STR_LIST, "phone": {"type": "string"},
    },
}

CONNECTION = {
    "type": "object",
    "required": ["id", "person", "first_met_at", "last_met_at", "scan_count", "is_mutual",
                 "i_scanned", "note", "tags"],
    "properties": {
        "id": {"type": "integer"},
        "person": {"$ref": "#/components/schemas/Person"},
        "first_met_at": _TIME, "last_met_at": _TIME,
        "scan_count": {"type": "integer", "minimum": 0,
                       "description": "Counted scans in both directions (repeats within a few "
                                      "minutes are stored but not counted)."},
        "is_mutual": {"type": "boolean", "description": "Both scanned each other."},
        "i_scanned": {"type": "boolean"},
        "note": {"type": "string", "description": "My note about them."},
        "tags": {**_STR_LIST, "description": "My tags about them."},
        "contact_when_mutual": {
            "type": "boolean",
            "description": "They share their contact details with the people they connect "
                           "with, and the connection is not mutual yet: the details appear "
                           "once both have scanned each other."},
    },
    "additionalProperties": False,
}

SCAN_REQUEST = {
    "type": "object",
    "required": ["badge"],
    "properties": {
        "badge": {**_TEXT, "type": "string", "maxLength": 200,
                  "description": "The badge token, or the URL its QR code holds (…/b/<token>)."},
        "note": {"type": ["string", "null"], "maxLength": 2000, "pattern": _NO_NUL},
        "tags": {"type": ["array", "null"], "items": {**_TEXT, "type": "string", "maxLength": 50},
                 "maxItems": 10},
        "scanned_at": {**_TIME, "type": ["string", "null"],
                       "description": "When it was scanned (offline replay); with an offset. "
                                      "Default: now."},
        "client_id": {**_TEXT, "maxLength": 100,
                      "description": "Unique per scanner (e.g. crypto.randomUUID()); a replay "
                                     "with the same id is recorded once."},
        "source": {"type": ["string", "null"], "enum": ["api", "scanner", None]},
    },
}

SCAN_RESPONSE = {
    "type": "object",
    "required": ["scan", "connection"],
    "properties": {
        "scan": {"type": "object", "required": ["id", "client_id", "is_new", "is_counted"],
                 "properties": {"id": {"type": "integer"},
                                "client_id": {"type": ["string", "null"]},
                                "is_new": {"type": "boolean"},
                                "is_counted": {"type": "boolean"}}},
        "connection": {"$ref": "#/components/schemas/Connection"},
    },
}

STATS = {
    "type": "object",
    "required": ["event", "registrations", "checked_in", "scans", "counted_scans", "scanners",
                 "connections", "mutual_connections", "erased_scans"],
    "properties": {
        "event": {"type": "string"},
        "registrations": {"type": "integer"}, "checked_in": {"type": "integer"},
        "scans": {"type": "integer", "description": "Every stored scan, repeats included."},
        "counted_scans": {"type": "integer"},
        "scanners": {"type": "integer", "description": "Attendees who scanned someone."},
        "connections": {"type": "integer"}, "mutual_connections": {"type": "integer"},
        "erased_scans": {"type": "integer"},
    },
}


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {400: "Malformed request (JSON, field types, timestamps)",
            401: "Missing or invalid token", 404: "Not found", 409: "Conflict with the state",
            422: "Refused by a rule", 429: "Rate limited"}
    return {str(s): {"description": text[s], "content": _json("Error")} for s in statuses}


def document() -> dict[str, Any]:
    """Build the OpenAPI document (servers from EVENTNET_BASE_URL)."""
    attendee = [{"attendeeToken": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "eventnet API", "version": "1",
                 "description": "Attendees authenticate with their personal access token "
                                "(ea_…, on their page); organizers with an API token "
                                "(eo_…, `eventnet organizers token EMAIL`)."},
        "servers": [{"url": current_app.config["EVENTNET_BASE_URL"] + "/api/v1"}],
        "components": {
            "securitySchemes": {
                "attendeeToken": {"type": "http", "scheme": "bearer"},
                "organizerToken": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {"Error": ERROR, "Person": PERSON, "Connection": CONNECTION,
                        "ScanRequest": SCAN_REQUEST, "ScanResponse": SCAN_RESPONSE,
                        "ConnectionList": {
                            "type": "object", "required": ["connections"],
                            "properties": {"connections": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Connection"}}}},
                        "ConnectionPatch": {
                            "type": "object", "additionalProperties": False,
                            "properties": {"note": SCAN_REQUEST["properties"]["note"],
                                           "tags": SCAN_REQUEST["properties"]["tags"]}},
                        "Stats": STATS},
        },
        "paths": {
            "/scans": {"post": {
                "summary": "Record a badge scan",
                "security": attendee,
                "requestBody": {"required": True, "content": _json("ScanRequest")},
                "responses": {
                    "201": {"description": "Recorded", "content": _json("ScanResponse")},
                    "200": {"description": "This client_id was recorded before; nothing new",
                            "content": _json("ScanResponse")},
                    **_errors(400, 401, 404, 409, 422, 429),
                },
            }},
            "/me/connections": {"get": {
                "summary": "The people I met, newest first",
                "security": attendee,
                "responses": {"200": {"description": "My connections",
                                      "content": _json("ConnectionList")},
                              **_errors(401, 429)},
            }},
            "/me/connections/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "patch": {
                    "summary": "Replace my note and/or tags",
                    "security": attendee,
                    "requestBody": {"required": True, "content": _json("ConnectionPatch")},
                    "responses": {"200": {"description": "The connection",
                                          "content": _json("Connection")},
                                  **_errors(400, 401, 404, 422, 429)},
                },
                "delete": {
                    "summary": "Forget my side: my scans of them, my note and tags (the "
                               "connection stays, one-way, if they scanned me)",
                    "security": attendee,
                    "responses": {"204": {"description": "Done"}, **_errors(401, 404, 429)},
                },
            },
            "/events/{slug}/stats": {"get": {
                "summary": "Live counts of an event",
                "security": [{"organizerToken": []}],
                "parameters": [{"name": "slug", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "Counts", "content": _json("Stats")},
                              **_errors(401, 404, 429)},
            }},
        },
    }
