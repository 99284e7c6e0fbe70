"""An attendee's connections, as seen from their side: reading, annotating, forgetting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.orm import joinedload

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Connection, Scan
from eventnet.services.errors import NotFound


def _column(person: Any, name: str) -> Any:
    """A column of an Attendee, of a row of its columns, or of a mapping of them."""
    return person.get(name) if isinstance(person, Mapping) else getattr(person, name, None)


def is_mutual(a_id: int, b_id: int) -> bool:
    """Whether the two attendees both scanned each other (their connection is mutual)."""
    low, high = sorted((a_id, b_id))
    return bool(db.session.scalar(select(Connection.is_mutual).where(
        Connection.a_id == low, Connection.b_id == high)))


def offers_contact(other: Any) -> bool:
    """Whether ``other`` shares their contact details with the people they connect with
    (consented, not erased): what ``shares_contact_with`` asks before the connection."""
    return other is not None and bool(_column(other, "consent_share_contact")) \
        and _column(other, "erased_at") is None


def shares_contact_with(viewer: Any, other: Any, *, mutual: bool | None = None) -> bool:
    """Whether ``viewer`` may see ``other``'s email, phone and links: the one rule.

    Only when ``other`` agreed to share them with the people they connect with, is not
    erased, and the connection is mutual: both scanned each other. A one-way scan is not
    enough (a photo of a printed badge would do); scanning back is the other's confirmation.
    Callers who read the connection pass its ``mutual`` (an accepted introduction, which both
    said yes to, passes True; ``viewer`` may then be None); otherwise the connection between
    them is looked up. ``other`` is an Attendee, a row or a mapping with its columns. The
    viewer's own consent plays no part.
    """
    if not offers_contact(other):
        return False
    if mutual is None:
        mutual = viewer is not None and viewer.id != _column(other, "id") \
            and is_mutual(viewer.id, _column(other, "id"))
    return mutual


def contact_when_mutual(other: Any, mutual: bool) -> bool:
    """Whether ``other``'s contact details are withheld only until the connection is mutual
    (what the scanner is told: they appear once the other scans them back)."""
    return not mutual and offers_contact(other)


def connections_for(attendee: Attendee) -> list[dict[str, Any]]:
    """The attendee's connections, newest first: the other person, my note and tags."""
    rows = db.session.scalars(
        select(Connection)
        .where(or_(Connection.a_id == attendee.id, Connection.b_id == attendee.id))
        .options(joinedload(Connection.a), joinedload(Connection.b))
        .order_by(Connection.last_met_at.desc(), Connection.id.desc())
    )
    result = []
    for conn in rows:
        mine_a = conn.a_id == attendee.id
        other = conn.b if mine_a else conn.a
        if other.erased_at is not None:
            continue
        result.append({
            "id": conn.id,
            "other": other,
            "first_met_at": conn.first_met_at,
            "last_met_at": conn.last_met_at,
            "scan_count": conn.scan_count,
            "is_mutual": conn.is_mutual,
            "note": conn.a_note if mine_a else conn.b_note,
            "tags": list(conn.a_tags if mine_a else conn.b_tags),
            "i_scanned": (conn.a_scan_count if mine_a else conn.b_scan_count) > 0,
            "shares_contact": shares_contact_with(attendee, other, mutual=conn.is_mutual),
            "contact_when_mutual": contact_when_mutual(other, conn.is_mutual),
        })
    return result


def my_side_with(attendee_id: int, other_id: int) -> dict[str, Any] | None:
    """My side of the connection with ``other_id`` once I scanned them (id, note, tags), else None.

    A connection made only by the other's scans is not mine to annotate yet.
    """
    low, high = sorted((attendee_id, other_id))
    conn = db.session.scalar(select(Connection).where(Connection.a_id == low,
                                                      Connection.b_id == high))
    if conn is None:
        return None
    mine_a = conn.a_id == attendee_id
    if (conn.a_scan_count if mine_a else conn.b_scan_count) == 0:
        return None
    return {"id": conn.id, "note": conn.a_note if mine_a else conn.b_note,
            "tags": list(conn.a_tags if mine_a else conn.b_tags),
            "last_met_at": conn.last_met_at}


def _my_connection(session: Any, attendee_id: int, connection_id: int) -> tuple[Connection, str]:
    """The connection (row-locked on PostgreSQL) and my side of it; NotFound if not mine."""
    query = select(Connection).where(Connection.id == connection_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    conn = session.scalar(query)
    if conn is None or attendee_id not in (conn.a_id, conn.b_id):
        raise NotFound(_("No such connection."), code="unknown_connection")
    other = conn.b if conn.a_id == attendee_id else conn.a
    if other.erased_at is not None:
        raise NotFound(_("No such connection."), code="unknown_connection")
    return conn, "a" if conn.a_id == attendee_id else "b"


def update_my_connection(attendee_id: int, connection_id: int, *, note: str | None = None,
                         tags: list[str] | None = None) -> dict[str, Any]:
    """Replace my note and/or my tags on a connection. Raises NotFound or Invalid."""
    from eventnet.services.scans import check_scan_input

    clean_note, clean_tags = check_scan_input(note, tags, None, None)
    with write_transaction() as session:
        conn, side = _my_connection(session, attendee_id, connection_id)
        if note is not None:
            setattr(conn, f"{side}_note", clean_note)
        if tags is not None:
            setattr(conn, f"{side}_tags", clean_tags)
    return connection_for(attendee_id, connection_id)


def forget_connection(attendee_id: int, connection_id: int) -> bool:
    """Remove my side of a connection: my scans of them, my note and tags.

    The connection disappears when the other person never scanned me; otherwise it stays,
    one-way, built from their scans. Returns whether the connection still exists.
    Raises NotFound.
    """
    with write_transaction() as session:
        conn, side = _my_connection(session, attendee_id, connection_id)
        other_id = conn.b_id if side == "a" else conn.a_id
        session.execute(delete(Scan).where(Scan.scanner_id == attendee_id,
                                           Scan.scanned_id == other_id)
                        .execution_options(synchronize_session=False))
        theirs = session.execute(
            select(func.count(Scan.id), func.min(Scan.scanned_at), func.max(Scan.scanned_at),
                   func.count(Scan.id).filter(Scan.is_counted.is_(True)))
            .where(Scan.scanner_id == other_id, Scan.scanned_id == attendee_id)
        ).one()
        if theirs[0] == 0:
            session.delete(conn)
            return False
        setattr(conn, f"{side}_scan_count", 0)
        setattr(conn, f"{side}_note", "")
        setattr(conn, f"{side}_tags", [])
        conn.scan_count = theirs[3]
        conn.first_met_at, conn.last_met_at = theirs[1], theirs[2]
        conn.is_mutual = False
    return True


_CARD = ("id", "name", "company", "title", "interests", "offers", "asks", "email", "links",
         "phone", "consent_share_contact")


def connection_json(entry: dict[str, Any]) -> dict[str, Any]:
    """A ``connections_for`` entry (or a fresh scan's connection) as plain JSON.

    ``entry["other"]`` is the other attendee, or a mapping of their card's columns.
    """
    other = entry["other"]
    card = other if isinstance(other, dict) else {name: getattr(other, name) for name in _CARD}
    person: dict[str, Any] = {
        "id": card["id"], "name": card["name"], "company": card["company"],
        "title": card["title"], "interests": list(card["interests"] or []),
        "offers": list(card["offers"] or []), "asks": list(card["asks"] or []),
    }
    if shares_contact_with(None, card, mutual=entry["is_mutual"]):
        person.update(email=card["email"], links=list(card["links"] or []),
                      phone=card["phone"])
    return {
        "id": entry["id"], "person": person,
        "first_met_at": entry["first_met_at"].isoformat(),
        "last_met_at": entry["last_met_at"].isoformat(),
        "scan_count": entry["scan_count"], "is_mutual": entry["is_mutual"],
        "i_scanned": entry["i_scanned"], "note": entry["note"], "tags": entry["tags"],
        "contact_when_mutual": contact_when_mutual(card, entry["is_mutual"]),
    }


def connection_for(attendee_id: int, connection_id: int) -> dict[str, Any]:
    """One of the attendee's connections as JSON, in a single query. Raises NotFound."""
    other_id = case((Connection.a_id == attendee_id, Connection.b_id), else_=Connection.a_id)
    row = db.session.execute(
        select(Connection, Attendee)
        .join(Attendee, Attendee.id == other_id)
        .where(Connection.id == connection_id,
               or_(Connection.a_id == attendee_id, Connection.b_id == attendee_id))
    ).first()
    if row is None or row[1].erased_at is not None:
        raise NotFound(_("No such connection."), code="unknown_connection")
    conn, other = row
    mine_a = conn.a_id == attendee_id
    return connection_json({
        "id": conn.id, "other": other, "first_met_at": conn.first_met_at,
        "last_met_at": conn.last_met_at, "scan_count": conn.scan_count,
        "is_mutual": conn.is_mutual, "note": conn.a_note if mine_a else conn.b_note,
        "tags": list(conn.a_tags if mine_a else conn.b_tags),
        "i_scanned": (conn.a_scan_count if mine_a else conn.b_scan_count) > 0,
    })
