"""What an attendee tells about themself: the profile, its validation, and applying it.

Shared by every way an attendee comes to be or changes: registration and the attendee's own
edits (``attendees``), the door (``checkins.register_onsite``), imports, the organizer's
roster edit and claims (``claims``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from eventnet.extensions import db
from eventnet.models import Attendee, Event, Person
from eventnet.services.errors import Invalid
from eventnet.services.organizers import normalize_email
from eventnet.services.storable import clean_name, clean_text

MAX_LIST_ITEMS = 20
MAX_ITEM_LENGTH = 120


def split_list(raw: str | list[str] | tuple[str, ...] | None, *, commas: bool = True) -> list[str]:
    """Split free text into a clean list: by ``;`` and new lines (and commas if asked)."""
    if raw is None:
        return []
    items = raw if isinstance(raw, (list, tuple)) else re.split(
        r"[;\n]" if not commas else r"[;,\n]", raw
    )
    seen: dict[str, str] = {}
    for item in items:
        clean = " ".join(str(item).split())
        if clean and clean.casefold() not in seen:
            seen[clean.casefold()] = clean
    return list(seen.values())


@dataclass
class Profile:
    """What an attendee tells about themself."""

    name: str
    email: str | None
    company: str = ""
    title: str = ""
    bio: str = ""
    interests: list[str] = field(default_factory=list)
    offers: list[str] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    phone: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    consent_share_contact: bool = False
    consent_introductions: bool = False
    consent_followup: bool = False
    language: str = "en"

    def as_payload(self) -> dict[str, Any]:
        """A JSON-able dict (for signed update links)."""
        return dict(self.__dict__)


def validate_profile(profile: Profile, event: Event, *, email_required: bool = True) -> Profile:
    """Check and normalize a profile against the event's questions; raises Invalid."""
    # Every text, as every edge gives it (forms, imports, the door, signed update links):
    # no control or bidi character; names and one-line fields on one line.
    profile.name = clean_name(profile.name)
    profile.company = clean_name(profile.company or "")
    profile.title = clean_name(profile.title or "")
    profile.bio = clean_text(profile.bio or "").strip()
    profile.phone = clean_name(profile.phone or "")
    for name in ("interests", "offers", "asks", "links"):
        setattr(profile, name, split_list([clean_name(str(item))
                                           for item in getattr(profile, name) or []]))
    if not profile.name:
        raise Invalid(_("Please give your name."), field="name")
    if len(profile.name) > 200:
        raise Invalid(_("The name is too long (200 characters at most)."), field="name")
    if profile.email:
        profile.email = normalize_email(profile.email)
    elif email_required:
        raise Invalid(_("Please give your email address."), field="email")
    for name in ("interests", "offers", "asks", "links"):
        items = getattr(profile, name)
        if len(items) > MAX_LIST_ITEMS:
            raise Invalid(_("At most %(n)d entries, please.", n=MAX_LIST_ITEMS), field=name)
        for item in items:
            if len(item) > MAX_ITEM_LENGTH and name != "links":
                raise Invalid(
                    _("Each entry must be at most %(n)d characters.", n=MAX_ITEM_LENGTH),
                    field=name,
                )
    for link in profile.links:
        if not re.match(r"^https?://[^\s/$.?#].[^\s]*$", link, re.IGNORECASE):
            raise Invalid(_("Links must start with http:// or https://: %(link)s", link=link),
                          field="links")
    if profile.language not in ("en", "fr"):
        profile.language = "en"
    answers: dict[str, Any] = {}
    for q in event.questions:
        value = profile.answers.get(q["key"])
        if q["kind"] == "checkbox":
            value = bool(value)
        elif q["kind"] == "choice":  # one of the organizer's own answers, as they wrote it
            value = (str(value).strip() if value is not None else "")
            if value and value not in q["choices"]:
                raise Invalid(_("Please choose one of the offered answers."),
                              field=f"q_{q['key']}")
        else:
            value = (clean_text(str(value)).strip() if value is not None else "")
        if q.get("required") and not value:
            raise Invalid(_("This question needs an answer."), field=f"q_{q['key']}")
        answers[q["key"]] = value
    profile.answers = answers
    return profile


def apply_profile(attendee: Attendee, profile: Profile) -> bool:
    """Copy the profile onto the attendee (an email of None leaves theirs); returns whether
    anything changed."""
    changed = False
    for name, value in profile.__dict__.items():
        if name == "email" and value is None:
            continue
        if getattr(attendee, name) != value:
            setattr(attendee, name, value)
            changed = True
    return changed


def person_for(event: Event, email: str | None) -> Person | None:
    """The community's person with this (normalized) email, added to the session if new;
    None without an email."""
    if not email:
        return None
    person = db.session.scalar(
        select(Person).where(Person.community_id == event.community_id, Person.email == email)
    )
    if person is None:
        person = Person(community_id=event.community_id, email=email)
        db.session.add(person)
    return person
