"""A community's team: inviting co-organizers and door staff, accepting, removing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.compose import render_email, sender
from eventnet.mail.outbox import queue_email
from eventnet.mail.worker import dispatch
from eventnet.models import Community, Invitation, Membership, Organizer, utcnow
from eventnet.models.organizer import ROLE_ORGANIZER, ROLES
from eventnet.services import tokens
from eventnet.services.errors import Conflict, Forbidden, Invalid, NotFound
from eventnet.services.organizers import create_organizer, normalize_email

INVITATION_MAX_AGE = timedelta(days=14)


@dataclass
class Team:
    """A community's members and its pending invitations."""

    members: list[Membership]
    invitations: list[Invitation]


def team_of(community_id: int) -> Team:
    """The members (organizers first) and pending invitations of a community."""
    members = list(db.session.scalars(
        select(Membership).join(Organizer)
        .where(Membership.community_id == community_id)
        .order_by(Membership.role, Organizer.email)))
    invitations = list(db.session.scalars(
        select(Invitation).where(Invitation.community_id == community_id,
                                 Invitation.accepted_at.is_(None),
                                 Invitation.created_at > utcnow() - INVITATION_MAX_AGE)
        .order_by(Invitation.created_at.desc())))
    return Team(members, invitations)


def invite(community_id: int, email: str, role: str, invited_by_id: int) -> Invitation:
    """Invite someone by email as co-organizer or staff; mails the accept link.

    A new invitation to the same address replaces the pending one. Raises Invalid or Conflict.
    """
    email = normalize_email(email)
    if role not in ROLES:
        raise Invalid(_("Unknown role."), field="role")
    token = secrets.token_urlsafe(32)
    message_ids: list[int] = []
    with write_transaction() as session:
        community = session.get(Community, community_id)
        inviter = session.get(Organizer, invited_by_id)
        if community is None or inviter is None:
            raise NotFound(_("No such community."))
        member = session.scalar(
            select(Membership).join(Organizer)
            .where(Membership.community_id == community_id, Organizer.email == email))
        if member is not None:
            raise Conflict(_("%(email)s is already in the team.", email=email), field="email",
                           code="already_member")
        for old in session.scalars(select(Invitation).where(
                Invitation.community_id == community_id, Invitation.email == email,
                Invitation.accepted_at.is_(None))):
            session.delete(old)
        invitation = Invitation(community_id=community_id, email=email, role=role,
                                token_hash=tokens.sha256(token), invited_by_id=invited_by_id)
        session.add(invitation)
        link = f"{current_app.config['EVENTNET_BASE_URL']}/invitations/{token}"
        rendered = render_email("team_invitation", inviter.language or "en",
                                community=community, inviter=inviter, role=role, link=link)
        message = queue_email(kind="team_invitation", to=email, rendered=rendered,
                              from_address=sender(community.name), reply_to=inviter.email)
        session.flush()
        if message is not None:
            message_ids.append(message.id)
    dispatch(message_ids)
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The pending invitation behind an accept link. Raises InvalidLink."""
    invitation: Invitation | None = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == tokens.sha256(token or "")))
    if invitation is None or invitation.accepted_at is not None:
        raise tokens.InvalidLink(_("This invitation was used already or withdrawn."),
                                 code="invitation_used")
    if invitation.created_at < utcnow() - INVITATION_MAX_AGE:
        raise tokens.InvalidLink(_("This invitation has expired: ask for a new one."),
                                 code="expired_link")
    return invitation


def check_invitee(invitation: Invitation, email: str) -> None:
    """Refuse an account other than the invited one: a forwarded or leaked link must not let
    whoever is signed in join the team and see its attendees. Raises Forbidden."""
    if email.strip().lower() != invitation.email.lower():
        raise Forbidden(_("This invitation is for another address (%(invited)s); you are "
                          "signed in as %(email)s. Sign out, then open the link again and "
                          "sign in or create an account with %(invited)s.",
                          invited=invitation.email, email=email),
                        code="invitation_for_another_address")


def accept_invitation(token: str, organizer_id: int) -> Membership:
    """Join the community with the invitation's role (an organizer keeps the higher role),
    as the account the invitation was sent to (its email, in any case).

    Raises InvalidLink, Forbidden.
    """
    with write_transaction() as session:
        invitation = invitation_for_token(token)
        if invitation.accepted_at is not None:
            raise tokens.InvalidLink(_("This invitation was used already or withdrawn."),
                                     code="invitation_used")
        organizer = session.get(Organizer, organizer_id)
        if organizer is None:
            raise NotFound(_("No such organizer."))
        check_invitee(invitation, organizer.email)
        membership: Membership | None = session.scalar(select(Membership).where(
            Membership.community_id == invitation.community_id,
            Membership.organizer_id == organizer_id))
        if membership is None:
            membership = Membership(community_id=invitation.community_id,
                                    organizer_id=organizer_id, role=invitation.role)
            session.add(membership)
        elif invitation.role == ROLE_ORGANIZER:
            membership.role = ROLE_ORGANIZER
        invitation.accepted_at = utcnow()
    return membership


def accept_with_new_account(token: str, name: str, password: str) -> Organizer:
    """Create the invited person's organizer account, then accept. Raises Invalid, Conflict."""
    invitation = invitation_for_token(token)
    organizer = create_organizer(invitation.email, password, name)
    accept_invitation(token, organizer.id)
    return organizer


def remove_member(community_id: int, membership_id: int) -> None:
    """Remove someone from the team; the last organizer stays. Raises NotFound, Conflict."""
    with write_transaction() as session:
        membership = session.get(Membership, membership_id)
        if membership is None or membership.community_id != community_id:
            raise NotFound(_("No such team member."))
        if membership.role == ROLE_ORGANIZER:
            organizers = session.scalar(select(func.count(Membership.id)).where(
                Membership.community_id == community_id,
                Membership.role == ROLE_ORGANIZER)) or 0
            if organizers <= 1:
                raise Conflict(_("A community keeps at least one organizer."),
                               code="last_organizer")
        session.delete(membership)


def cancel_invitation(community_id: int, invitation_id: int) -> None:
    """Withdraw a pending invitation. Raises NotFound."""
    with write_transaction() as session:
        invitation = session.get(Invitation, invitation_id)
        if invitation is None or invitation.community_id != community_id or \
                invitation.accepted_at is not None:
            raise NotFound(_("No such invitation."))
        session.delete(invitation)
