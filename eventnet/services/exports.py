"""Exports of an event: attendees, connections (with consent) and the anonymised network."""

from __future__ import annotations

import csv
import io
import json
import random
import secrets
import xml.etree.ElementTree as ET
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from eventnet.extensions import db
from eventnet.models import Attendee, CheckIn, Connection, Event
from eventnet.services.attendees import access_token, badge_url, list_attendees, magic_link
from eventnet.services.connections import shares_contact_with

EXPORT_FIELDS = ["id", "name", "email", "company", "title", "interests", "offers", "asks",
                 "badge_token", "badge_url"]
SECRET_FIELDS = ["magic_link", "access_token"]


def spreadsheet_safe(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``...).

    Names come from a public form: a registration named ``=HYPERLINK(...)`` must not become
    a live formula in the organizer's Excel (OWASP "CSV injection").
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


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
        writer.writerow({k: spreadsheet_safe(";".join(v) if isinstance(v, list) else v)
                         for k, v in record.items()})
    return out.getvalue()


def _pseudonyms() -> Any:
    """A fresh mapping attendee id → random pseudonym, stable within one export."""
    names: dict[int, str] = {}

    def pseudonym(attendee_id: int) -> str:
        if attendee_id not in names:
            names[attendee_id] = "p-" + secrets.token_hex(6)
        return names[attendee_id]

    return pseudonym


CONNECTION_FIELDS = ["a", "a_name", "a_email", "b", "b_name", "b_email", "first_met_at",
                     "last_met_at", "scan_count", "is_mutual"]


def connections_csv(event: Event) -> str:
    """Who met whom. Names and emails appear only for mutual pairs where BOTH people agreed to
    share their contact details (``shares_contact_with`` both ways); every other person is a
    random pseudonym, stable in this export.
    Private notes and tags never leave eventnet."""
    pseudonym = _pseudonyms()
    a, b = aliased(Attendee), aliased(Attendee)
    rows = db.session.execute(
        select(Connection, a, b).join(a, a.id == Connection.a_id).join(b, b.id == Connection.b_id)
        .where(Connection.event_id == event.id, a.erased_at.is_(None), b.erased_at.is_(None))
        .order_by(Connection.first_met_at, Connection.id))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CONNECTION_FIELDS, lineterminator="\n")
    writer.writeheader()
    for conn, left, right in rows:
        both = (shares_contact_with(left, right, mutual=conn.is_mutual)
                and shares_contact_with(right, left, mutual=conn.is_mutual))
        record: dict[str, Any] = {
            "first_met_at": conn.first_met_at.isoformat(),
            "last_met_at": conn.last_met_at.isoformat(),
            "scan_count": conn.scan_count, "is_mutual": "yes" if conn.is_mutual else "no",
        }
        for side, person in (("a", left), ("b", right)):
            record[side] = f"a-{person.id}" if both else pseudonym(person.id)
            record[f"{side}_name"] = person.name if both else ""
            record[f"{side}_email"] = (person.email or "") if both else ""
        writer.writerow({k: spreadsheet_safe(v) for k, v in record.items()})
    return out.getvalue()


_GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"


def network_graphml(event: Event) -> str:
    """The event's network for research, anonymised: random node ids (new in every export),
    no names; a node's only attributes are whether they checked in and their first interest
    when it is one of the event's suggested interests; edges carry scan counts and mutuality."""
    pseudonym = _pseudonyms()
    categories = {t.casefold(): t for t in event.interest_tags}
    attendees = list(db.session.execute(
        select(Attendee.id, Attendee.interests, CheckIn.id)
        .outerjoin(CheckIn, CheckIn.attendee_id == Attendee.id)
        .where(Attendee.event_id == event.id, Attendee.erased_at.is_(None))))
    order = list(attendees)
    random.SystemRandom().shuffle(order)  # row order would otherwise leak registration order
    ET.register_namespace("", _GRAPHML_NS)
    root = ET.Element(f"{{{_GRAPHML_NS}}}graphml")
    for key, target, name, kind in (
        ("d0", "node", "checked_in", "boolean"), ("d1", "node", "interest", "string"),
        ("d2", "edge", "scan_count", "int"), ("d3", "edge", "mutual", "boolean"),
        ("d4", "edge", "first_met_minute", "int"),
    ):
        ET.SubElement(root, f"{{{_GRAPHML_NS}}}key",
                      {"id": key, "for": target, "attr.name": name, "attr.type": kind})
    graph = ET.SubElement(root, f"{{{_GRAPHML_NS}}}graph",
                          {"id": "G", "edgedefault": "undirected"})
    for attendee_id, interests, checkin_id in order:
        node = ET.SubElement(graph, f"{{{_GRAPHML_NS}}}node", {"id": pseudonym(attendee_id)})
        ET.SubElement(node, f"{{{_GRAPHML_NS}}}data", {"key": "d0"}).text = \
            "true" if checkin_id else "false"
        first = next((categories[i.casefold()] for i in (interests or [])
                      if i.casefold() in categories), "")
        ET.SubElement(node, f"{{{_GRAPHML_NS}}}data", {"key": "d1"}).text = first
    a, b = aliased(Attendee), aliased(Attendee)
    edges = list(db.session.execute(
        select(Connection.a_id, Connection.b_id, Connection.scan_count, Connection.is_mutual,
               Connection.first_met_at)
        .join(a, a.id == Connection.a_id).join(b, b.id == Connection.b_id)
        .where(Connection.event_id == event.id, a.erased_at.is_(None), b.erased_at.is_(None))))
    random.SystemRandom().shuffle(edges)
    # Minutes from the event's start (or the first meeting), not wall-clock times.
    origin = event.starts_at or min((e[4] for e in edges), default=None)
    for i, (a_id, b_id, count, mutual, first_met) in enumerate(edges):
        edge = ET.SubElement(graph, f"{{{_GRAPHML_NS}}}edge",
                             {"id": f"e{i}", "source": pseudonym(a_id),
                              "target": pseudonym(b_id)})
        ET.SubElement(edge, f"{{{_GRAPHML_NS}}}data", {"key": "d2"}).text = str(count)
        ET.SubElement(edge, f"{{{_GRAPHML_NS}}}data", {"key": "d3"}).text = \
            "true" if mutual else "false"
        minute = int((first_met - origin).total_seconds() // 60) if origin else 0
        ET.SubElement(edge, f"{{{_GRAPHML_NS}}}data", {"key": "d4"}).text = str(minute)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
