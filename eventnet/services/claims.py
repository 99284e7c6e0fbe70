"""Claiming an imported profile that came without an email (Meetup), once, by a signed link."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.worker import dispatch
from eventnet.models import Attendee
from eventnet.services import tokens
from eventnet.services.attendees import magic_link, queue_mail
from eventnet.services.errors import Conflict, NotFound
from eventnet.services.organizers import normalize_email
from eventnet.services.profiles import person_for

CLAIM_PURPOSE = "claim-profile"
CLAIM_MAX_AGE = 60 * 24 * 3600  # from the import to a few weeks after the event


def is_claimable(attendee: Attendee) -> bool:
    """Whether the attendee still waits for an email address (imported without one)."""
    return attendee.email is None and attendee.erased_at is None


def claim_link(attendee: Attendee) -> str:
    """The link (and QR code content) that lets the person claim this profile. Raises NotFound."""
    if not is_claimable(attendee):
        raise NotFound(_("This profile has an email address already."), code="not_claimable")
    token = tokens.sign(CLAIM_PURPOSE, {"a": attendee.id, "v": attendee.secret_version})
    return f"{current_app.config['EVENTNET_BASE_URL']}/claim/{token}"


def attendee_for_claim(token: str) -> Attendee:
    """The profile a claim link is for, if it can still be claimed. Raises InvalidLink."""
    payload = tokens.unsign(CLAIM_PURPOSE, token, CLAIM_MAX_AGE)
    attendee = db.session.get(Attendee, payload.get("a"))
    if attendee is None or not is_claimable(attendee) or \
            attendee.secret_version != payload.get("v"):
        raise tokens.InvalidLink(_("This claim link was used already or is no longer valid."),
                                 code="claim_used")
    return attendee


def claim_profile(token: str, email: str) -> Attendee:
    """Attach an email to an imported profile and mail a sign-in link; the link works once.

    Raises InvalidLink (used, expired), Invalid (bad address) or Conflict (address taken).
    """
    email = normalize_email(email)
    message_ids: list[int] = []
    with write_transaction() as session:
        found = attendee_for_claim(token)
        # Re-read inside the write lock (and row-locked on PostgreSQL): two claims may race.
        query = select(Attendee).where(Attendee.id == found.id) \
            .execution_options(populate_existing=True)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        attendee: Attendee | None = session.scalar(query)
        if attendee is None or not is_claimable(attendee):
            raise tokens.InvalidLink(_("This claim link was used already or is no longer "
                                       "valid."), code="claim_used")
        taken = session.scalar(select(Attendee.id).where(Attendee.event_id == attendee.event_id,
                                                         Attendee.email == email))
        if taken is not None:
            raise Conflict(_("This address cannot be used for this profile. Use another one, "
                             "or ask the organizers at the desk."), code="email_taken",
                           field="email")
        attendee.email = email
        attendee.person = person_for(attendee.event, email)
        # A new secret version ends the claim link and any session opened before the claim.
        attendee.secret_version += 1
        attendee.access_token_hash = tokens.sha256(
            tokens.attendee_access_token(attendee.id, attendee.secret_version))
        message = queue_mail(attendee, attendee.event, "magic_link", link=magic_link(attendee))
        session.flush()
        if message is not None:
            message_ids.append(message.id)
    dispatch(message_ids)
    return attendee
