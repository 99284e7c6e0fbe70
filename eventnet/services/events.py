"""Creating and editing events."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _
from sqlalchemy import func, select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Community, Event, Membership, Organizer
from eventnet.models.event import LANGUAGES, TRANSLATABLE_TEXTS
from eventnet.models.organizer import ROLE_ORGANIZER
from eventnet.services.errors import Conflict, Invalid, NotFound
from eventnet.services.organizers import (
    normalize_email,
    slugify,
    unique_community_slug,
    unique_slug,
)
from eventnet.services.profiles import split_list
from eventnet.services.storable import clean_name, clean_text

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
QUESTION_KINDS = ("text", "choice", "checkbox")


@dataclass
class EventData:
    """What an organizer sets on an event."""

    name: str
    description: str = ""
    venue: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    timezone: str = "UTC"
    is_registration_open: bool = True
    capacity: int | None = None
    questions: list[dict[str, Any]] = field(default_factory=list)
    interest_tags: list[str] = field(default_factory=list)
    scan_tags: list[str] | None = None
    followup_list_size: int = 10
    followup_sender_name: str = ""
    followup_reply_to: str = ""
    followup_intro: str = ""
    #: the language the texts above are written in, and the same texts in the other language
    #: (Event.second_texts; build it with second_texts_from)
    language: str = "en"
    second_texts: dict[str, Any] = field(default_factory=dict)


def check_timezone(name: str) -> str:
    """Return ``name`` if it is a known IANA time zone; raises Invalid."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(_("Unknown time zone: %(tz)s", tz=name), field="timezone") from exc
    return name


def timezone_choices() -> list[str]:
    """Every IANA time zone name, sorted."""
    return sorted(available_timezones())


def parse_local_datetime(value: str, tz: str) -> datetime:
    """Parse ISO 8601; a value without offset is taken in ``tz``. Raises Invalid."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise Invalid(
            _("Not an ISO 8601 date and time: %(value)s", value=value), field="starts_at"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(check_timezone(tz)))
    return parsed


def parse_questions(text: str) -> list[dict[str, Any]]:
    """Parse custom questions written one per line: ``Label [*] [: choice | choice]``.

    A trailing ``*`` marks a required question; choices after a colon make a choice list;
    a label starting with ``[ ]`` makes a checkbox. Raises Invalid.
    """
    questions: list[dict[str, Any]] = []
    keys: set[str] = set()
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        kind = "text"
        choices: list[str] = []
        if line.startswith("[ ]"):
            kind, line = "checkbox", line[3:].strip()
        label, sep, rest = line.partition(":")
        if sep:
            choices = [c.strip() for c in rest.split("|") if c.strip()]
            if len(choices) < 2:
                raise Invalid(
                    _("Question on line %(n)d needs at least two choices separated by |.",
                      n=lineno),
                    field="questions",
                )
            kind = "choice"
        label = label.strip()
        required = label.endswith("*")
        label = label.rstrip("*").strip()
        if not label:
            raise Invalid(_("Question on line %(n)d has no label.", n=lineno), field="questions")
        key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40] or f"q{lineno}"
        while key in keys:
            key += "_"
        keys.add(key)
        questions.append(
            {"key": key, "label": label, "kind": kind, "required": required, "choices": choices}
        )
    return questions


def second_texts_from(questions: list[dict[str, Any]], description: str = "",
                      followup_intro: str = "", questions_text: str = "") -> dict[str, Any]:
    """The event's texts in its second language, from what the organizer typed.

    ``questions_text`` gives the custom ``questions`` again, one per line in the same order and
    the same shape (the same number of choices; required marks and checkboxes are taken
    from the original). All optional; raises Invalid when the questions do not line up.
    """
    texts: dict[str, Any] = {}
    if description.strip():
        texts["description"] = description
    if followup_intro.strip():
        texts["followup_intro"] = followup_intro
    if questions_text.strip():
        try:
            given = parse_questions(questions_text)
        except Invalid as exc:
            raise Invalid(exc.message, field="questions_2") from exc
        if len(given) != len(questions):
            raise Invalid(_("Give the questions in the second language one per line, in the "
                            "same order as above: %(expected)d expected, %(given)d given.",
                            expected=len(questions), given=len(given)), field="questions_2")
        translated: dict[str, Any] = {}
        for n, (original, other) in enumerate(zip(questions, given, strict=True), start=1):
            choices = other["choices"] if original["kind"] == "choice" else []
            if len(choices) != len(original.get("choices") or []):
                raise Invalid(_("Question %(n)d in the second language needs the same "
                                "choices as the original, in the same order.", n=n),
                              field="questions_2")
            translated[original["key"]] = {"label": other["label"], "choices": choices}
        texts["questions"] = translated
    return texts


def format_second_questions(event: Event) -> str:
    """The second-language questions as the edit form shows them."""
    translated = (event.second_texts or {}).get("questions") or {}
    if not translated:
        return ""
    return format_questions([{**q, **(translated.get(q["key"]) or {})}
                             for q in event.questions])


def format_questions(questions: list[dict[str, Any]]) -> str:
    """The inverse of parse_questions, for the edit form."""
    lines = []
    for q in questions:
        line = ("[ ] " if q["kind"] == "checkbox" else "") + q["label"]
        if q.get("required"):
            line += " *"
        if q["kind"] == "choice":
            line += ": " + " | ".join(q["choices"])
        lines.append(line)
    return "\n".join(lines)


#: seats of the largest event eventnet takes (and far below what an INTEGER column holds)
MAX_CAPACITY = 1_000_000


def _clean_question(question: dict[str, Any]) -> dict[str, Any]:
    """A question's label and choices on one line, without control or bidi characters."""
    return {**question, "label": clean_name(str(question.get("label") or "")),
            "choices": [clean_name(str(c)) for c in question.get("choices") or []]}


def _normalize(data: EventData) -> None:
    """Clean what goes into pages and mail headers, in place. Raises Invalid.

    The names lose line breaks, control and bidi characters (``clean_name``); so do the
    venue, the tags and the questions' labels and choices; the description and the
    follow-up's introduction lose control and bidi characters but keep their lines
    (``clean_text``), in both languages: all of it shows on public pages and in mail. The
    reply-to must be one address: it becomes the Reply-To header of the event's mail."""
    data.name = clean_name(data.name)
    data.followup_sender_name = clean_name(data.followup_sender_name or "")
    data.venue = clean_name(data.venue or "")
    data.description = clean_text(data.description or "")
    data.followup_intro = clean_text(data.followup_intro or "")
    # tags as the profiles' lists: each on one line, the empty and repeated ones gone
    data.interest_tags = split_list([clean_name(str(tag)) for tag in data.interest_tags])
    if data.scan_tags is not None:
        data.scan_tags = split_list([clean_name(str(tag)) for tag in data.scan_tags])
    data.questions = [_clean_question(q) if isinstance(q, dict) else q for q in data.questions]
    second = dict(data.second_texts)
    for name in TRANSLATABLE_TEXTS:
        if isinstance(second.get(name), str):
            second[name] = clean_text(second[name])
    if isinstance(second.get("questions"), dict):
        second["questions"] = {key: _clean_question(q) if isinstance(q, dict) else q
                               for key, q in second["questions"].items()}
    data.second_texts = second
    reply_to = (data.followup_reply_to or "").strip()
    if reply_to:
        try:
            reply_to = normalize_email(reply_to)
        except Invalid as exc:
            raise Invalid(exc.message, field="followup_reply_to") from exc
    data.followup_reply_to = reply_to


def _validate(data: EventData) -> None:
    if not data.name.strip():
        raise Invalid(_("The event needs a name."), field="name")
    check_timezone(data.timezone)
    if data.capacity is not None and not 1 <= data.capacity <= MAX_CAPACITY:
        raise Invalid(_("Capacity must be a number from 1 to %(max)d.", max=MAX_CAPACITY),
                      field="capacity")
    if data.starts_at and data.ends_at and data.ends_at < data.starts_at:
        raise Invalid(_("The event cannot end before it starts."), field="ends_at")
    if not 1 <= data.followup_list_size <= 50:
        raise Invalid(_("The follow-up list size must be between 1 and 50."),
                      field="followup_list_size")
    for q in data.questions:
        if q.get("kind") not in QUESTION_KINDS or not q.get("key") or not q.get("label"):
            raise Invalid(_("A custom question is malformed."), field="questions")
    if data.language not in LANGUAGES:
        raise Invalid(_("Unknown language: %(language)s", language=data.language),
                      field="language")
    unknown = set(data.second_texts) - {*TRANSLATABLE_TEXTS, "questions"}
    if unknown:
        raise Invalid(_("Unknown text: %(name)s", name=sorted(unknown)[0]), field="language")


def _apply(event: Event, data: EventData) -> None:
    event.name = data.name.strip()
    event.description = data.description
    event.venue = data.venue
    event.starts_at = data.starts_at
    event.ends_at = data.ends_at
    event.timezone = data.timezone
    event.is_registration_open = data.is_registration_open
    event.capacity = data.capacity
    event.questions = data.questions
    event.interest_tags = data.interest_tags
    if data.scan_tags is not None:
        event.scan_tags = data.scan_tags
    event.followup_list_size = data.followup_list_size
    event.followup_sender_name = data.followup_sender_name
    event.followup_reply_to = data.followup_reply_to
    event.followup_intro = data.followup_intro
    event.language = data.language
    event.second_texts = data.second_texts


def create_event(organizer: Organizer, slug: str, data: EventData,
                 community_id: int | None = None, new_community: bool = False) -> Event:
    """Create an event in one of the organizer's communities, or in a new community of its own
    (``new_community``: named after the event, with the organizer as its organizer).

    An empty ``slug`` is derived from the name (made unique with -2, -3...); a slug given
    must be free. Raises Invalid, Conflict or NotFound.
    """
    _normalize(data)
    derived = not slug.strip()
    slug = slugify(data.name)[:70] if derived else slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise Invalid(
            _("A slug has lowercase letters, digits and dashes, 1 to 80 characters."), field="slug"
        )
    _validate(data)
    with write_transaction() as session:
        roles = dict(session.execute(
            select(Membership.community_id, Membership.role)
            .where(Membership.organizer_id == organizer.id)
        ).all())
        if new_community:
            community = Community(slug=unique_community_slug(data.name), name=data.name.strip())
            session.add(community)
            session.add(Membership(community=community, organizer_id=organizer.id,
                                   role=ROLE_ORGANIZER))
            session.flush()
            community_id = community.id
        elif community_id is None:
            owned = sorted(c for c, r in roles.items() if r == ROLE_ORGANIZER)
            if not owned:
                raise Invalid(_("This organizer belongs to no community."), field="community")
            community_id = owned[0]
        elif roles.get(community_id) != ROLE_ORGANIZER:
            raise NotFound(_("No such community."))
        if derived:
            slug = unique_slug(slug, Event.slug)
        elif session.scalar(select(Event.id).where(Event.slug == slug)):
            raise Conflict(_("An event with this slug already exists."), field="slug")
        event = Event(slug=slug, community_id=community_id)
        _apply(event, data)
        session.add(event)
    return event


def update_event(event_id: int, data: EventData) -> Event:
    """Change an event's settings; raises Invalid."""
    _normalize(data)
    _validate(data)
    with write_transaction() as session:
        event: Event | None = session.get(Event, event_id)
        if event is None:
            raise NotFound(_("No such event."))
        _apply(event, data)
    return event


def get_event(slug: str) -> Event:
    """The event with this slug; raises NotFound."""
    event: Event | None = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFound(_("No such event."))
    return event


def registration_count(event_id: int) -> int:
    """How many attendees are registered (erased ones still count)."""
    return db.session.scalar(
        select(func.count(Attendee.id)).where(Attendee.event_id == event_id)
    ) or 0


def events_for(organizer: Organizer) -> list[Event]:
    """Events in the organizer's communities, newest first."""
    return list(db.session.scalars(
        select(Event)
        .join(Membership, Membership.community_id == Event.community_id)
        .where(Membership.organizer_id == organizer.id)
        .order_by(Event.starts_at.desc().nulls_last(), Event.id.desc())
    ))
