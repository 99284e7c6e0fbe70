"""Registration, profile edits and magic links of attendees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.compose import render_email, sender
from eventnet.mail.outbox import queue_email
from eventnet.mail.worker import dispatch
from eventnet.models import Attendee, Badge, Event, OutboundEmail
from eventnet.services import consent_change, tokens
from eventnet.services.errors import Conflict, Invalid, NotFound
from eventnet.services.events import registration_count
from eventnet.services.organizers import normalize_email
from eventnet.services.profiles import Profile, apply_profile, person_for, validate_profile

MAGIC_PURPOSE = "magic-link"
UPDATE_PURPOSE = "registration-update"
UPDATE_MAX_AGE = 2 * 24 * 3600


def new_attendee(event: Event, profile: Profile, *, source: str) -> Attendee:
    """Add a new attendee with a badge to the session (the caller's transaction)."""
    attendee = Attendee(event_id=event.id, source=source, access_token_hash="pending",
                        secret_version=1, name=profile.name)
    apply_profile(attendee, profile)
    attendee.person = person_for(event, profile.email)
    attendee.badges.append(Badge(token=tokens.new_badge_token()))
    db.session.add(attendee)
    db.session.flush()
    attendee.access_token_hash = tokens.sha256(access_token(attendee))
    return attendee


def access_token(attendee: Attendee) -> str:
    """The attendee's personal API secret (for ``Authorization: Bearer``)."""
    return tokens.attendee_access_token(attendee.id, attendee.secret_version)


def attendee_for_access_token(token: str) -> Attendee | None:
    """The attendee owning this API secret, if any."""
    if not token.startswith("ea_"):
        return None
    return db.session.scalar(
        select(Attendee).where(Attendee.access_token_hash == tokens.sha256(token),
                               Attendee.erased_at.is_(None))
    )


def magic_link(attendee: Attendee, next_path: str | None = None) -> str:
    """A signed, expiring link that signs the attendee in on their own page."""
    payload: dict[str, Any] = {"a": attendee.id, "v": attendee.secret_version}
    if next_path:
        payload["n"] = next_path
    token = tokens.sign(MAGIC_PURPOSE, payload)
    return f"{current_app.config['EVENTNET_BASE_URL']}/m/{token}"


@dataclass
class MagicLink:
    """What a magic link says: who, where to go next, and whether it signed in already."""

    attendee: Attendee
    next_path: str | None
    signed_at: datetime

    @property
    def is_spent(self) -> bool:
        """Whether this link (or a later one) signed in already."""
        spent_at = self.attendee.magic_link_spent_at
        return spent_at is not None and self.signed_at <= spent_at


def read_magic_token(token: str) -> MagicLink:
    """Check a magic-link token without spending it (for the page that asks "Continue as
    ...?"). Raises InvalidLink."""
    payload, signed_at = tokens.unsign_with_time(MAGIC_PURPOSE, token,
                                                 current_app.config["MAGIC_LINK_MAX_AGE"])
    attendee = db.session.get(Attendee, payload.get("a"))
    if attendee is None or attendee.erased_at or attendee.secret_version != payload.get("v"):
        raise tokens.InvalidLink(_("This link is no longer valid."))
    return MagicLink(attendee, _next_path(payload), signed_at)


def _next_path(payload: dict[str, Any]) -> str | None:
    """Where a magic link goes after signing in: a path on this site, or None."""
    next_path = payload.get("n")
    if isinstance(next_path, str) and next_path.startswith("/") and \
            not next_path.startswith("//"):
        return next_path
    return None


def magic_link_event(token: str) -> tuple[Event, str | None] | None:
    """The event a magic link of ours was sent for, and where it went next, whether or not it
    still signs in (used, expired, replaced), for the page that offers a fresh link; None
    for a token that is not one of our magic links."""
    try:
        payload, _signed_at = tokens.unsign_with_time(MAGIC_PURPOSE, token, None)
    except tokens.InvalidLink:
        return None
    attendee = db.session.get(Attendee, payload.get("a"))
    if attendee is None:
        return None
    return attendee.event, _next_path(payload)


def attendee_from_magic_token(token: str) -> tuple[Attendee, str | None]:
    """Check a magic-link token that has not signed in yet, without spending it; returns the
    attendee and where to go next. Raises InvalidLink (``used_link`` once it signed in)."""
    link = read_magic_token(token)
    if link.is_spent:
        raise used_link()
    return link.attendee, link.next_path


def sign_in_with_magic_token(token: str) -> tuple[Attendee, str | None]:
    """Spend a magic link: it, and every link issued before it, no longer signs in. Returns
    the attendee and where to go next. Raises InvalidLink (``used_link`` when spent)."""
    link = read_magic_token(token)
    attendee, next_path, signed_at = link.attendee, link.next_path, link.signed_at
    with write_transaction() as session:
        # One UPDATE: of two clicks at once (a double tap, a replay), one signs in.
        spent = session.execute(
            update(Attendee).where(Attendee.id == attendee.id, or_(
                Attendee.magic_link_spent_at.is_(None),
                Attendee.magic_link_spent_at < signed_at))
            .values(magic_link_spent_at=signed_at)).rowcount
    if not spent:
        raise used_link()
    return attendee, next_path


def used_link() -> tokens.InvalidLink:
    """The error for a magic link that signed in already."""
    return tokens.InvalidLink(_("This sign-in link was used already: ask for a new one."),
                              code="used_link")


@dataclass
class RegistrationResult:
    """What a public registration did; the page shows the same answer either way."""

    attendee_id: int
    is_new: bool


def lock_for_registration(event_id: int) -> Event:
    """The event, locked (PostgreSQL) until the commit so capacity holds; raises NotFound."""
    query = select(Event).where(Event.id == event_id)
    if db.session.get_bind().dialect.name == "postgresql":
        # Serialize registrations of one event so capacity holds under concurrency.
        query = query.with_for_update()
    event: Event | None = db.session.scalar(query)
    if event is None:
        raise NotFound(_("No such event."))
    return event


def registration_of(event: Event, email: str | None) -> Attendee | None:
    """The event's attendee registered with this (normalized) email address, if any.

    Registration mails them a link to confirm an update; the door refuses a second one.
    Call it inside the transaction that would add the attendee, after
    ``lock_for_registration``.
    """
    if not email:
        return None
    attendee: Attendee | None = db.session.scalar(
        select(Attendee).where(Attendee.event_id == event.id, Attendee.email == email))
    return attendee


def check_capacity(event: Event) -> None:
    """Refuse one more registration when the event is full; raises Conflict ``event_full``.

    Call it inside the transaction that adds the attendee, after ``lock_for_registration``.
    """
    if event.capacity is not None and registration_count(event.id) >= event.capacity:
        raise Conflict(_("Sorry, this event is full."), code="event_full")


def register(event_id: int, profile: Profile) -> RegistrationResult:
    """Public registration: create the attendee, or mail a confirmation link to update.

    An existing registration is only changed after the owner of the email clicks the
    link, and the response never tells which case it was. Raises Invalid or Conflict.
    """
    message_ids: list[int] = []
    with write_transaction() as session:
        event = lock_for_registration(event_id)
        validate_profile(profile, event)
        if not event.is_registration_open:
            raise Conflict(_("Registration for this event is closed."), code="registration_closed")
        existing = registration_of(event, profile.email)
        if existing is not None:
            token = tokens.sign(UPDATE_PURPOSE, {"a": existing.id, "p": profile.as_payload()})
            link = f"{current_app.config['EVENTNET_BASE_URL']}/e/{event.slug}/update/{token}"
            message = queue_mail(existing, event, "registration_update", link=link)
            result = RegistrationResult(existing.id, False)
        else:
            check_capacity(event)
            attendee = new_attendee(event, profile, source="form")
            message = queue_confirmation(attendee, event)
            result = RegistrationResult(attendee.id, True)
        session.flush()
        if message is not None:
            message_ids.append(message.id)
    dispatch(message_ids)
    return result


def queue_confirmation(attendee: Attendee, event: Event) -> OutboundEmail | None:
    """Queue the registration's confirmation, with the attendee's link, in the current
    transaction (online registration and the door's both send it)."""
    return queue_mail(attendee, event, "confirmation", link=magic_link(attendee))


def queue_mail(attendee: Attendee, event: Event, kind: str, **context: Any
               ) -> OutboundEmail | None:
    """Queue the mail ``kind`` to the attendee (who has an email address), in their language
    and from the event's sender, in the current transaction; returns the outbox's message."""
    assert attendee.email
    rendered = render_email(kind, attendee.language, attendee=attendee, event=event, **context)
    return queue_email(kind=kind, to=attendee.email, rendered=rendered,
                       from_address=sender(event.followup_sender_name or event.name),
                       reply_to=event.followup_reply_to, event_id=event.id,
                       attendee_id=attendee.id)


def apply_signed_update(token: str) -> Attendee:
    """Apply a registration update the email's owner confirmed. Raises InvalidLink."""
    payload = tokens.unsign(UPDATE_PURPOSE, token, UPDATE_MAX_AGE)
    with write_transaction() as session:
        attendee: Attendee | None = session.get(Attendee, payload.get("a"))
        if attendee is None or attendee.erased_at:
            raise tokens.InvalidLink(_("This link is no longer valid."))
        fields = payload.get("p") or {}
        profile = Profile(**{k: v for k, v in fields.items() if k in Profile.__dataclass_fields__})
        profile.email = attendee.email
        validate_profile(profile, attendee.event)
        requeued = _apply_own_profile(session, attendee, profile)
    dispatch(requeued)
    return attendee


def update_profile(attendee_id: int, profile: Profile) -> Attendee:
    """The signed-in attendee edits their profile (the email stays). Raises Invalid."""
    with write_transaction() as session:
        attendee: Attendee | None = session.get(Attendee, attendee_id)
        if attendee is None or attendee.erased_at:
            raise NotFound(_("No such attendee."))
        profile.email = attendee.email
        validate_profile(profile, attendee.event, email_required=False)
        requeued = _apply_own_profile(session, attendee, profile)
    dispatch(requeued)
    return attendee


def _apply_own_profile(session: Any, attendee: Attendee, profile: Profile) -> list[int]:
    """Apply a profile the attendee gave, consents included, and what the change of
    consents does to the mail already queued (``consent_change.take_effect``: a consent
    withdrawn stops what it covered, a consent given again brings back a cancelled
    follow-up). Returns the messages queued again, to dispatch after the commit."""
    before = consent_change.standing_of(attendee)
    apply_profile(attendee, profile)
    session.flush()
    return consent_change.take_effect(session, attendee.id, before).requeued


def request_magic_link(event_id: int, email: str, next_path: str | None = None) -> None:
    """Mail a sign-in link if the email is registered; silent otherwise (no enumeration)."""
    try:
        email = normalize_email(email)
    except Invalid:
        raise
    message_ids: list[int] = []
    with write_transaction() as session:
        attendee = session.scalar(
            select(Attendee).where(Attendee.event_id == event_id, Attendee.email == email,
                                   Attendee.erased_at.is_(None))
        )
        if attendee is None:
            return
        message = queue_mail(attendee, attendee.event, "magic_link",
                             link=magic_link(attendee, next_path))
        session.flush()
        if message is not None:
            message_ids.append(message.id)
    dispatch(message_ids)


def get_by_badge(token: str) -> Badge:
    """The badge with this token (revoked or not); raises NotFound."""
    badge: Badge | None = db.session.scalar(select(Badge).where(Badge.token == token))
    if badge is None:
        raise NotFound(_("Unknown badge."))
    return badge


def badge_url(token: str) -> str:
    """The URL a badge's QR code encodes."""
    return f"{current_app.config['EVENTNET_BASE_URL']}/b/{token}"


def list_attendees(event_id: int) -> list[Attendee]:
    """The event's attendees (not erased) by name."""
    return list(db.session.scalars(
        select(Attendee)
        .where(Attendee.event_id == event_id, Attendee.erased_at.is_(None))
        .order_by(Attendee.name, Attendee.id)
    ))


def unsign_update(token: str) -> dict[str, Any]:
    """Check a registration-update link without applying it. Raises InvalidLink."""
    return tokens.unsign(UPDATE_PURPOSE, token, UPDATE_MAX_AGE)
