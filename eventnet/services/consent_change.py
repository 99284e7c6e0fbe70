"""A change of consents takes effect at once, on mail already queued too.

Every way an attendee's consents change goes through ``take_effect``, in the transaction
that changes them: their own page and a confirmed registration update
(``attendees.update_profile``, ``apply_signed_update``), unsubscribing and resubscribing
(``consent``). Organizers and imports never change consents (``roster.edit_attendee``,
``imports``); an erasure scrubs the stored mail itself (``mail.redaction``).

What a change does, besides what the delivery worker checks again before sending:

- mail *to* the attendee that they may no longer receive is cancelled, and the
  introductions they asked for and can no longer complete close
  (``consent.cancel_withheld``, ``consent.withdraw_requests``);
- *sharing contact details withdrawn* (or an address, phone or link removed while shared):
  the follow-ups still queued for others that carry them are rendered again without them,
  same row and dedupe key, so each recipient still gets exactly one follow-up; the
  introduction emails still queued for the other side keep only the email, which passes
  under the introduction both said yes to;
- *introductions withdrawn*: the introduction emails still queued for the other side of
  their accepted introductions are cancelled (the introduction passed their address only
  while both took part), and the follow-ups still queued that suggest them are rendered
  again without the suggestion (so is it when they unsubscribe);
- *follow-up consent given again* (or a resubscribe): their follow-up, if it was cancelled
  because they withdrew before it went out, is rendered and queued again, once (a message
  that ever reached a mail server is never queued again).

"Still queued" means not sent yet (``STILL_TO_GO``: queued, failed, or to be sent again
after an unconfirmed attempt). A message a worker is sending that instant is not changed;
one it read but has not sent yet is released, and the worker does not send it
(``mail.worker``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from eventnet.models import (
    Attendee,
    Connection,
    Event,
    Introduction,
    OutboundEmail,
    OutboundEmailBody,
)
from eventnet.models.outbox import CANCELLED, STILL_TO_GO
from eventnet.services import consent, intros
from eventnet.services.connections import offers_contact
from eventnet.services.followup_mail import KIND as FOLLOWUP
from eventnet.services.followup_mail import rerender_followups


@dataclass(frozen=True)
class Standing:
    """What an attendee's consents allowed before a change (``standing_of``)."""

    #: their contact details went to their mutual connections (``offers_contact``)
    shares_contact: bool
    #: the details that went: email, phone and links
    contact: tuple[str, ...]
    #: they took part in introductions (``intros.takes_part``)
    takes_part: bool
    #: they could be suggested to others (consent, an address, not unsubscribed)
    is_suggestible: bool
    #: they could receive their follow-up (``consent.may_receive``)
    receives_followup: bool


def standing_of(attendee: Attendee) -> Standing:
    """What the attendee's consents allow now: take it before changing them."""
    return Standing(
        shares_contact=offers_contact(attendee),
        contact=_contact(attendee),
        takes_part=intros.takes_part(attendee),
        is_suggestible=_is_suggestible(attendee),
        receives_followup=consent.may_receive(FOLLOWUP, attendee))


def _contact(attendee: Attendee) -> tuple[str, ...]:
    return tuple(value for value in (attendee.email, attendee.phone, *(attendee.links or []))
                 if value)


def _is_suggestible(attendee: Attendee) -> bool:
    # as followups.load_people decides who may be suggested
    return bool(attendee.consent_introductions) and attendee.unsubscribed_at is None \
        and bool(attendee.email) and attendee.erased_at is None


@dataclass
class Effects:
    """What ``take_effect`` did to the outbox."""

    #: messages to the attendee cancelled (they may no longer receive them)
    cancelled: int = 0
    #: others' follow-ups not sent yet, rendered again
    rerendered: list[int] = field(default_factory=list)
    #: others' follow-ups that could not be rendered again: deleted (queued afresh by the
    #: next "Send follow-ups") or, once handed to a server, cancelled
    withdrawn: list[int] = field(default_factory=list)
    #: introduction emails to the other side cancelled
    made_cancelled: int = 0
    #: introduction emails to the other side rendered again
    made_rerendered: int = 0
    #: the attendee's own follow-up, queued again: hand these to delivery after the commit
    requeued: list[int] = field(default_factory=list)


def take_effect(session: Any, attendee_id: int, before: Standing) -> Effects:
    """Apply to the outbox what a change of the attendee's consents (already flushed, in
    the caller's transaction) allows and forbids now; see the module's docstring. The
    caller dispatches ``Effects.requeued`` after the commit."""
    effects = Effects()
    attendee = session.get(Attendee, attendee_id)
    if attendee is None:
        return effects
    effects.cancelled = consent.cancel_withheld(session, attendee_id=attendee_id)
    consent.withdraw_requests(session, attendee_id)
    if before.takes_part and not intros.takes_part(attendee):
        effects.made_cancelled = intros.withdraw_made_mail(
            session, intros.made_mail_carrying(session, attendee_id))
    followups: set[int] = set()
    if before.shares_contact and (not offers_contact(attendee)
                                  or set(before.contact) - set(_contact(attendee))):
        followups |= _followups_carrying(session, attendee, before.contact)
        effects.made_rerendered = intros.rerender_made_mail(
            session, intros.made_mail_carrying(session, attendee_id))
    if before.is_suggestible and not _is_suggestible(attendee):
        followups |= _followups_suggesting(session, attendee)
    if followups:
        done = rerender_followups(session, followups - _own_followups(session, attendee_id))
        effects.rerendered, effects.withdrawn = done.rendered, done.withdrawn + done.cancelled
    if not before.receives_followup and consent.may_receive(FOLLOWUP, attendee):
        cancelled = session.scalars(select(OutboundEmail.id).where(
            OutboundEmail.attendee_id == attendee_id, OutboundEmail.kind == FOLLOWUP,
            OutboundEmail.status == CANCELLED, OutboundEmail.last_error == consent.WITHHELD))
        effects.requeued = rerender_followups(session, list(cancelled), requeue=True).rendered
    return effects


def _own_followups(session: Any, attendee_id: int) -> set[int]:
    return set(session.scalars(select(OutboundEmail.id).where(
        OutboundEmail.attendee_id == attendee_id, OutboundEmail.kind == FOLLOWUP)))


def _followups_to_go(session: Any, attendee_ids: Any) -> list[Any]:
    return list(session.execute(
        select(OutboundEmail.id, OutboundEmailBody.text)
        .outerjoin(OutboundEmailBody, OutboundEmailBody.email_id == OutboundEmail.id)
        .where(OutboundEmail.kind == FOLLOWUP, OutboundEmail.status.in_(STILL_TO_GO),
               OutboundEmail.attendee_id.in_(attendee_ids))))


def _followups_carrying(session: Any, attendee: Attendee, contact: tuple[str, ...]
                        ) -> set[int]:
    """The follow-ups not sent yet whose text carries the attendee's contact details.

    Only the people who can have them are looked at: those she met at her event (her
    card in their list of people met), and everyone registered in her community whose
    person met hers at any of its events (the people to reconnect with, at her event and
    at later ones).
    """
    if not contact:
        return set()
    recipients = _met_by(session, {attendee.id})
    if attendee.person_id is not None:
        hers = set(session.scalars(select(Attendee.id).where(
            Attendee.person_id == attendee.person_id)))
        people_met = set(session.scalars(select(Attendee.person_id).where(
            Attendee.id.in_(sorted(_met_by(session, hers))), Attendee.person_id.is_not(None))))
        if people_met:
            community = select(Event.community_id).where(Event.id == attendee.event_id)
            recipients |= set(session.scalars(
                select(Attendee.id).join(Event, Event.id == Attendee.event_id)
                .where(Attendee.person_id.in_(people_met),
                       Event.community_id == community.scalar_subquery())))
    recipients.discard(attendee.id)
    if not recipients:
        return set()
    return {row.id for row in _followups_to_go(session, sorted(recipients))
            if row.text is not None and any(detail in row.text for detail in contact)}


def _met_by(session: Any, attendee_ids: set[int]) -> set[int]:
    """The attendees who share a connection with one of ``attendee_ids``."""
    ids = sorted(attendee_ids)
    return set(session.scalars(
        select(Connection.b_id).where(Connection.a_id.in_(ids))
        .union(select(Connection.a_id).where(Connection.b_id.in_(ids))))) - attendee_ids


def _followups_suggesting(session: Any, attendee: Attendee) -> set[int]:
    """The follow-ups not sent yet that suggest an introduction to the attendee."""
    requesters = list(session.scalars(select(Introduction.requester_id).where(
        Introduction.event_id == attendee.event_id,
        Introduction.recipient_id == attendee.id)))
    if not requesters:
        return set()
    return {row.id for row in _followups_to_go(session, requesters)}
