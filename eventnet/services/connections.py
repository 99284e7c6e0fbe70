"""Reading an attendee's connections, as seen from their side."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from eventnet.extensions import db
from eventnet.models import Attendee, Connection


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
            "shares_contact": other.consent_share_contact,
        })
    return result
