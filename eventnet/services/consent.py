"""Who may receive which mail: the consents, unsubscribing, and cancelling what they forbid.

``may_receive(kind, attendee)`` is the one rule. Follow-ups and introductions ask it before
queueing a message, and the delivery worker asks it again (as ``cancel_withheld``, its SQL
twin, which ``create_app`` hands to the worker) right before sending, so that a consent
withdrawn or an unsubscribe made after the message was queued always stands.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, or_, select, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Introduction, OutboundEmail, utcnow
from eventnet.models.intro import EXPIRED, REQUESTED
from eventnet.models.outbox import CANCELLED, QUEUED
from eventnet.services import links
from eventnet.services.tokens import InvalidLink

#: the consent each kind of mail follows; other kinds (confirmation, sign-in link, test)
#: answer something the person just did and follow none
CONSENT_OF_KIND = {
    "followup": "consent_followup",
    "intro_request": "consent_introductions",
    "intro_reminder": "consent_introductions",
    "intro_made": "consent_introductions",
}
#: kinds that follow the recipient's consent: never sent after a withdrawal, an unsubscribe
#: or an erasure, even when queued before
SUPPRESSIBLE_KINDS = tuple(CONSENT_OF_KIND)
#: why someone may not receive such mail, in the order they are checked
ERASED, NO_EMAIL, UNSUBSCRIBED, NO_CONSENT = "erased", "no_email", "unsubscribed", "no_consent"
WITHHELD = "the recipient withdrew consent, unsubscribed or was erased"
REQUEST_WITHDRAWN = "the requester withdrew from introductions, unsubscribed or was erased"


def refusal(kind: str, attendee: Any) -> str | None:
    """Why mail of ``kind`` may not go to the attendee now, or None when it may.

    ``attendee`` is an Attendee or a row with its columns (``erased_at``, ``email``,
    ``unsubscribed_at`` and the consent of the kind).
    """
    consent = CONSENT_OF_KIND.get(kind)
    if consent is None:
        return None
    if attendee.erased_at is not None:
        return ERASED
    if not attendee.email:
        return NO_EMAIL
    if attendee.unsubscribed_at is not None:
        return UNSUBSCRIBED
    if not getattr(attendee, consent):
        return NO_CONSENT
    return None


def may_receive(kind: str, attendee: Any) -> bool:
    """Whether mail of ``kind`` may go to the attendee now (see ``refusal``)."""
    return refusal(kind, attendee) is None


def _withheld() -> ColumnElement[bool]:
    """``refusal`` in SQL, on an outbox row: its recipient may not receive it any more."""
    by_consent: dict[str, list[str]] = {}
    for kind, consent in CONSENT_OF_KIND.items():
        by_consent.setdefault(consent, []).append(kind)
    refused = exists().where(
        Attendee.id == OutboundEmail.attendee_id,
        or_(Attendee.erased_at.is_not(None), Attendee.email.is_(None), Attendee.email == "",
            Attendee.unsubscribed_at.is_not(None),
            *(and_(OutboundEmail.kind.in_(kinds), getattr(Attendee, consent).is_(False))
              for consent, kinds in by_consent.items())))
    return and_(OutboundEmail.kind.in_(SUPPRESSIBLE_KINDS), refused)


def cancel_withheld(session: Any, *, message_ids: list[int] | None = None,
                    attendee_id: int | None = None) -> int:
    """Cancel queued messages whose recipient may no longer receive them; returns how many.

    Only among ``message_ids`` or the messages to ``attendee_id`` when given. Runs in the
    caller's transaction: the delivery worker calls it on the messages it just claimed.
    """
    query = update(OutboundEmail).where(OutboundEmail.status == QUEUED, _withheld())
    if message_ids is not None:
        query = query.where(OutboundEmail.id.in_(message_ids))
    if attendee_id is not None:
        query = query.where(OutboundEmail.attendee_id == attendee_id)
    result = session.execute(query.values(status=CANCELLED, last_error=WITHHELD)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def withdraw_requests(session: Any, attendee_id: int) -> int:
    """Close the introduction requests the attendee made and can no longer complete.

    Once the requester may not receive the introduction (consent withdrawn, unsubscribed,
    erased), their waiting requests expire (the recipient is not told why) and the request
    or reminder still queued for the other side is cancelled. Returns how many requests
    closed. Runs in the caller's transaction, after the change is flushed.
    """
    attendee = session.get(Attendee, attendee_id)
    if attendee is None or may_receive("intro_made", attendee):
        return 0
    ids = list(session.scalars(select(Introduction.id).where(
        Introduction.requester_id == attendee_id, Introduction.status == REQUESTED)))
    if not ids:
        return 0
    session.execute(update(Introduction).where(Introduction.id.in_(ids))
                    .values(status=EXPIRED).execution_options(synchronize_session=False))
    keys = [f"{kind}:{intro_id}" for intro_id in ids
            for kind in ("intro_request", "intro_reminder")]
    session.execute(update(OutboundEmail)
                    .where(OutboundEmail.status == QUEUED, OutboundEmail.dedupe_key.in_(keys))
                    .values(status=CANCELLED, last_error=REQUEST_WITHDRAWN)
                    .execution_options(synchronize_session=False))
    return len(ids)


def attendee_from_unsubscribe_link(token: str) -> Attendee:
    """The attendee an unsubscribe link belongs to. Raises InvalidLink."""
    payload = links.check(links.UNSUBSCRIBE, token)
    attendee = db.session.get(Attendee, payload.get("a"))
    if attendee is None or attendee.erased_at is not None:
        raise InvalidLink(_("This link is no longer valid."))
    return attendee


def unsubscribe(attendee_id: int) -> bool:
    """Stop all follow-up and introduction mail to the attendee; returns whether it is new.

    Messages already queued for them are cancelled (the worker also checks before sending),
    and so is what else the change stops (``consent_change.take_effect``).
    """
    # consent_change renders mail, whose modules ask this one: imported when used
    from eventnet.services import consent_change

    with write_transaction() as session:
        attendee = session.get(Attendee, attendee_id)
        if attendee is None:
            return False
        before = consent_change.standing_of(attendee)
        is_new = attendee.unsubscribed_at is None
        if is_new:
            attendee.unsubscribed_at = utcnow()
        session.flush()
        consent_change.take_effect(session, attendee_id, before)
    return is_new


def resubscribe(attendee_id: int) -> None:
    """Undo an unsubscribe (the attendee asked for it on their own page); a follow-up
    cancelled by the unsubscribe before it went out is queued again
    (``consent_change.take_effect``)."""
    from eventnet.mail.worker import dispatch
    from eventnet.services import consent_change

    requeued: list[int] = []
    with write_transaction() as session:
        attendee = session.get(Attendee, attendee_id)
        if attendee is not None:
            before = consent_change.standing_of(attendee)
            attendee.unsubscribed_at = None
            session.flush()
            requeued = consent_change.take_effect(session, attendee_id, before).requeued
    dispatch(requeued)
