"""Organizer accounts, communities and API tokens."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import MAX_ID, Community, Membership, Organizer, OrganizerSession, utcnow
from eventnet.models.organizer import PASSWORD_HASH_METHOD, ROLE_ORGANIZER
from eventnet.services import tokens
from eventnet.services.errors import Conflict, Invalid, NotFound
from eventnet.services.storable import clean_name

MIN_PASSWORD_LENGTH = 10


def normalize_email(raw: str, *, check_deliverability: bool = False) -> str:
    """Validate an email address and return its normalized form; raises Invalid."""
    try:
        info = validate_email(raw.strip(), check_deliverability=check_deliverability)
    except EmailNotValidError as exc:
        raise Invalid(_("Invalid email address: %(error)s", error=str(exc)), field="email") from exc
    return info.normalized.lower()


def slugify(text: str) -> str:
    """A URL slug from free text."""
    from unidecode import unidecode

    slug = re.sub(r"[^a-z0-9]+", "-", unidecode(text).lower()).strip("-")
    return slug[:60] or "community"


def create_organizer(email: str, password: str, name: str = "") -> Organizer:
    """Create an organizer with a personal community; raises Invalid or Conflict."""
    email = normalize_email(email)
    name = clean_name(name)  # it names mail too (team invitations come from its community)
    check_password_length(password)
    with write_transaction() as session:
        if session.scalar(select(Organizer.id).where(Organizer.email == email)):
            raise Conflict(_("An organizer with this email already exists."), field="email")
        organizer = Organizer(email=email, name=name)
        organizer.set_password(password, password_hash_method())
        session.add(organizer)
        community = Community(slug=unique_community_slug(name or email.split("@")[0]),
                              name=name or email.split("@")[0])
        session.add(community)
        session.add(Membership(community=community, organizer=organizer, role=ROLE_ORGANIZER))
    return organizer


def password_hash_method() -> str:
    """How this app hashes new passwords: always ``models.organizer.PASSWORD_HASH_METHOD``
    (scrypt), except in a TESTING app given a ``PASSWORD_HASH_METHOD`` of its own. The test
    suite makes thousands of accounts and signs in as many times, and scrypt's cost on each
    was half its run; it passes a cheap method, and tests that the real one is used otherwise
    (``tests/services/test_passwords.py``). Not an ``EVENTNET_*`` setting: a running server
    never takes it."""
    if current_app.testing:
        return str(current_app.config.get("PASSWORD_HASH_METHOD") or PASSWORD_HASH_METHOD)
    return PASSWORD_HASH_METHOD


def check_password_length(password: str) -> None:
    """Refuse a password shorter than ``MIN_PASSWORD_LENGTH``. Raises Invalid."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            _("The password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )


def unique_slug(slug: str, column: Any) -> str:
    """``slug``, or ``slug-2``, ``slug-3``... : the first that no row has in ``column``."""
    candidate, n = slug, 1
    while db.session.scalar(select(column).where(column == candidate).limit(1)):
        n += 1
        candidate = f"{slug}-{n}"
    return candidate


def unique_community_slug(base: str) -> str:
    """A community slug from ``base`` that no community has yet (-2, -3... appended)."""
    return unique_slug(slugify(base), Community.slug)


def get_organizer(email: str) -> Organizer:
    """The organizer with this email; raises NotFound."""
    organizer: Organizer | None = db.session.scalar(
        select(Organizer).where(Organizer.email == email.strip().lower()))
    if organizer is None:
        raise NotFound(_("No organizer with this email."))
    return organizer


def authenticate(email: str, password: str) -> Organizer | None:
    """The organizer if the password matches, else None (same answer for unknown emails)."""
    organizer: Organizer | None = db.session.scalar(
        select(Organizer).where(Organizer.email == email.strip().lower()))
    if organizer is None:
        # Spend the same time as a real check so timing does not reveal accounts.
        Organizer(password_hash=dummy_hash()).check_password(password)
        return None
    return organizer if organizer.check_password(password) else None


def dummy_hash() -> str:
    """A hash no password matches, made with this app's method (checking it costs what a
    real check costs)."""
    return f"{password_hash_method()}$eventnet$" + "0" * 128


#: how long a sign-in lasts at most, whatever its cookies say (the remember cookie's lifetime)
SESSION_MAX_AGE = timedelta(days=30)


def start_session(organizer_id: int) -> Organizer:
    """A new sign-in on one browser: a session with a fresh secret (earlier sessions of the
    account, on other browsers, go on). Returns the organizer, whose ``get_id()`` is the
    session id for Flask-Login's cookies. Raises NotFound."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    with write_transaction() as session:
        organizer: Organizer | None = session.get(Organizer, organizer_id)
        if organizer is None:
            raise NotFound(_("No organizer with this email."))
        session.execute(delete(OrganizerSession).where(  # the account's expired sign-ins
            OrganizerSession.organizer_id == organizer_id,
            OrganizerSession.created_at < now - SESSION_MAX_AGE))
        row = OrganizerSession(organizer_id=organizer_id, secret_hash=tokens.sha256(secret),
                               created_at=now)
        session.add(row)
        session.flush()
        session_id = f"{row.id}.{secret}"
    organizer.__dict__["_session_id"] = session_id
    return organizer


def end_session(session_id: str) -> None:
    """Sign out this session: its cookies, and any copy of them, stop working."""
    row_id = _session_row_id(session_id)
    if row_id is not None:
        with write_transaction():
            db.session.execute(delete(OrganizerSession).where(OrganizerSession.id == row_id))


def end_all_sessions(organizer_id: int) -> None:
    """Sign the account out on every browser."""
    with write_transaction():
        db.session.execute(delete(OrganizerSession)
                           .where(OrganizerSession.organizer_id == organizer_id))


def _session_row_id(session_id: str) -> int | None:
    id_text = (session_id or "").partition(".")[0]
    return int(id_text) if id_text.isdigit() and 0 < int(id_text) <= MAX_ID else None


def organizer_for_session(session_id: str) -> Organizer | None:
    """The organizer signed in by this session id (``<row>.<secret>``), if it is still open
    and younger than ``SESSION_MAX_AGE``."""
    row_id, secret = _session_row_id(session_id), (session_id or "").partition(".")[2]
    if row_id is None or not secret:
        return None
    found = db.session.execute(
        select(OrganizerSession.secret_hash, OrganizerSession.created_at, Organizer)
        .join(Organizer, Organizer.id == OrganizerSession.organizer_id)
        .where(OrganizerSession.id == row_id)).first()
    if found is None or found.created_at < utcnow() - SESSION_MAX_AGE:
        return None
    if not hmac.compare_digest(found.secret_hash, tokens.sha256(secret)):
        return None
    organizer: Organizer = found.Organizer
    organizer.__dict__["_session_id"] = session_id
    return organizer


def change_password(organizer_id: int, password: str) -> None:
    """Set a new password; every session of the account ends. Raises Invalid, NotFound."""
    check_password_length(password)
    with write_transaction() as session:
        organizer = session.get(Organizer, organizer_id)
        if organizer is None:
            raise NotFound(_("No organizer with this email."))
        organizer.set_password(password, password_hash_method())
        session.execute(delete(OrganizerSession)
                        .where(OrganizerSession.organizer_id == organizer_id))


def issue_api_token(organizer_id: int) -> str:
    """Create a new API token for the organizer (the previous one stops working)."""
    token = tokens.new_organizer_token()
    with write_transaction() as session:
        organizer = session.get(Organizer, organizer_id)
        if organizer is None:
            raise NotFound(_("No organizer with this email."))
        organizer.api_token_hash = tokens.sha256(token)
    return token


def organizer_for_token(token: str) -> Organizer | None:
    """The organizer owning this API token, if any."""
    return db.session.scalar(
        select(Organizer).where(Organizer.api_token_hash == tokens.sha256(token))
    )


def role_in(organizer: Organizer, community_id: int) -> str | None:
    """The organizer's role in a community (organizer, staff) or None."""
    return db.session.scalar(
        select(Membership.role).where(
            Membership.organizer_id == organizer.id, Membership.community_id == community_id
        )
    )


def communities_of(organizer: Organizer) -> list[Community]:
    """The communities the organizer belongs to, by name."""
    return list(
        db.session.scalars(
            select(Community)
            .join(Membership)
            .where(Membership.organizer_id == organizer.id)
            .order_by(Community.name)
        )
    )
