"""Exports of an event's attendees."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from eventnet.models import Event
from eventnet.services.attendees import access_token, badge_url, list_attendees, magic_link

EXPORT_FIELDS = ["id", "name", "email", "company", "title", "interests", "offers", "asks",
                 "badge_token", "badge_url"]
SECRET_FIELDS = ["magic_link", "access_token"]


def attendee_records(event: Event, *, with_secrets: bool = False) -> list[dict[str, Any]]:
    """Every attendee as a dict with the export keys (and secrets if asked)."""
    records = []
    for attendee in list_attendees(event.id):
        badge = attendee.badge
        record: dict[str, Any] = {
            "id": attendee.id, "name": attendee.name, "email": attendee.email,
            "company": attendee.company, "title": attendee.title,
            "interests": list(attendee.interests), "offers": list(attendee.offers),
            "asks": list(attendee.asks),
            "badge_token": badge.token if badge else None,
            "badge_url": badge_url(badge.token) if badge else None,
        }
        if with_secrets:
            record["magic_link"] = magic_link(attendee)
            record["access_token"] = access_token(attendee)
        records.append(record)
    return records


def attendees_json(event: Event, *, with_secrets: bool = False) -> str:
    """The attendee export as one JSON document."""
    return json.dumps({"event": event.slug,
                       "attendees": attendee_records(event, with_secrets=with_secrets)},
                      ensure_ascii=False, indent=2)


def attendees_csv(event: Event, *, with_secrets: bool = False) -> str:
    """The attendee export as CSV; lists joined by ``;`` as in the import format."""
    fields = EXPORT_FIELDS + (SECRET_FIELDS if with_secrets else [])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for record in attendee_records(event, with_secrets=with_secrets):
        writer.writerow({k: ";".join(v) if isinstance(v, list) else v
                         for k, v in record.items()})
    return out.getvalue()
