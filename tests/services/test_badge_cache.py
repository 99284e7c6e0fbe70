"""The scan path's badge cache: whatever changes elsewhere takes effect at the next scan.

Each change below is written straight to the database, as another process (another app
server) would, so this process's cache learns nothing of it: the scan's own transaction must.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Badge, Scan, utcnow
from eventnet.services import connections as connection_service
from eventnet.services import tokens
from eventnet.services.errors import Conflict, NotFound, Unauthorized
from eventnet.services.scans import scan_badge


def _elsewhere(statement: Any) -> None:
    with write_transaction() as session:
        session.execute(statement)


def _scans() -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(Scan)) or 0)


@pytest.fixture
def cached(make_event: Any, make_attendee: Any) -> Any:
    """Ann scanned Bob once: Bob's badge (its token returned) is in the cache."""
    event = make_event()
    ann, bob, cid = make_attendee(event, "Ann"), make_attendee(event, "Bob"), make_attendee(event)
    token = bob.badge.token
    assert scan_badge(ann.id, event.id, token).is_new
    return event, ann, bob, cid, token


def test_a_badge_revoked_elsewhere_is_refused_at_once(cached: Any) -> None:
    event, ann, bob, cid, token = cached
    _elsewhere(update(Badge).where(Badge.attendee_id == bob.id).values(revoked_at=utcnow()))
    with pytest.raises(Conflict) as exc:
        scan_badge(cid.id, event.id, token)
    assert exc.value.code == "badge_revoked" and _scans() == 1


def test_an_owner_erased_elsewhere_is_unknown_at_once(cached: Any) -> None:
    event, ann, bob, cid, token = cached
    _elsewhere(update(Attendee).where(Attendee.id == bob.id).values(erased_at=utcnow()))
    with pytest.raises(NotFound):
        scan_badge(cid.id, event.id, token)
    assert _scans() == 1


def test_an_access_token_revoked_elsewhere_stops_scanning_at_once(cached: Any) -> None:
    event, ann, bob, cid, token = cached
    old_hash = db.session.get(Attendee, ann.id).access_token_hash
    _elsewhere(update(Attendee).where(Attendee.id == ann.id)
               .values(access_token_hash=tokens.sha256("ea_new")))
    with pytest.raises(Unauthorized):
        scan_badge(ann.id, event.id, token, token_hash=old_hash)
    assert _scans() == 1


def test_contact_details_follow_a_consent_changed_elsewhere(cached: Any) -> None:
    event, ann, bob, cid, token = cached

    def person(result: Any) -> dict[str, Any]:
        return connection_service.connection_json(result.connection)["person"]

    scan_badge(bob.id, event.id, cid.badge.token)  # Bob scanned Cid: Cid's scans make it mutual
    for consent, client_id in ((True, "on"), (False, "off"), (True, "on-again")):
        _elsewhere(update(Attendee).where(Attendee.id == bob.id)
                   .values(consent_share_contact=consent))
        assert ("email" in person(scan_badge(cid.id, event.id, token,
                                              client_id=client_id))) is consent
    assert _scans() == 5
