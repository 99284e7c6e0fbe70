"""Contact cards (vCard 3.0, RFC 2426) and CSV of an attendee's connections.

Contact details (email, phone, links) appear only for people who consented to share them
with their connections; names, companies and my own notes are always mine to keep.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext as _

from eventnet.extensions import db
from eventnet.models import Attendee
from eventnet.services import links
from eventnet.services.connections import connections_for, shares_contact_with
from eventnet.services.errors import NotFound
from eventnet.services.tokens import InvalidLink


def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,")
            .replace(";", "\\;").replace("\r", ""))


def _fold(line: str) -> str:
    """Fold lines longer than 75 octets (RFC 2425 §5.8.1)."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return "\r\n".join(out)


def vcard(person: Attendee, *, with_contact: bool, note: str = "", event_name: str = "") -> str:
    """One vCard; contact fields only when ``with_contact``."""
    parts = person.name.rsplit(" ", 1)
    family, given = (parts[1], parts[0]) if len(parts) == 2 else (person.name, "")
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_escape(person.name)}",
             f"N:{_escape(family)};{_escape(given)};;;"]
    if person.company:
        lines.append(f"ORG:{_escape(person.company)}")
    if person.title:
        lines.append(f"TITLE:{_escape(person.title)}")
    if with_contact:
        if person.email:
            lines.append(f"EMAIL;TYPE=INTERNET:{_escape(person.email)}")
        if person.phone:
            lines.append(f"TEL:{_escape(person.phone)}")
        lines += [f"URL:{_escape(link)}" for link in person.links or []]
    memo = "\n".join(x for x in (_("Met at %(event)s", event=event_name) if event_name else "",
                                  note) if x)
    if memo:
        lines.append(f"NOTE:{_escape(memo)}")
    lines.append("END:VCARD")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def connection_vcard(viewer: Attendee, other_id: int) -> tuple[Attendee, str]:
    """The vCard of someone the viewer met who shares contact details. Raises NotFound."""
    other = db.session.get(Attendee, other_id)
    if other is None or other.event_id != viewer.event_id \
            or not shares_contact_with(viewer, other):
        raise NotFound(_("No contact card for this person."), code="no_vcard")
    return other, vcard(other, with_contact=True, event_name=viewer.event.name)


def vcard_from_link(token: str) -> tuple[Attendee, str]:
    """The vCard a follow-up email's link stands for. Raises InvalidLink or NotFound."""
    payload = links.check(links.VCARD, token)
    viewer = db.session.get(Attendee, payload.get("a"))
    if viewer is None or viewer.erased_at is not None:
        raise InvalidLink(_("This link is no longer valid."))
    return connection_vcard(viewer, int(payload.get("o") or 0))


def _rows(attendee: Attendee) -> list[dict[str, Any]]:
    return connections_for(attendee)


def connections_vcf(attendee: Attendee) -> str:
    """All my connections as one .vcf; contact details of those who consented."""
    return "".join(
        vcard(c["other"], with_contact=c["shares_contact"], note=c["note"],
              event_name=attendee.event.name)
        for c in _rows(attendee))


CSV_FIELDS = ["name", "company", "title", "email", "phone", "links", "first_met_at",
              "last_met_at", "scan_count", "mutual", "my_note", "my_tags"]


def _safe_cell(value: str) -> str:
    # Spreadsheets run cells starting with these as formulas.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def connections_csv(attendee: Attendee) -> str:
    """All my connections as CSV; contact details of those who consented."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for c in _rows(attendee):
        other, share = c["other"], c["shares_contact"]
        writer.writerow({k: _safe_cell(str(v)) for k, v in {
            "name": other.name, "company": other.company, "title": other.title,
            "email": other.email or "" if share else "", "phone": other.phone if share else "",
            "links": " ".join(other.links or []) if share else "",
            "first_met_at": c["first_met_at"].isoformat(),
            "last_met_at": c["last_met_at"].isoformat(), "scan_count": c["scan_count"],
            "mutual": "yes" if c["is_mutual"] else "no", "my_note": c["note"],
            "my_tags": ", ".join(c["tags"]),
        }.items()})
    return out.getvalue()


