"""Erasure in the outbox: stored mail that names a person stops naming her.

The mail of an event names people besides its recipient: a follow-up lists the people met
and suggested, an introduction names the other side (and sets ``Reply-To`` to her), an
organizer's test preview is someone's follow-up, and a later event's follow-ups list the
people to reconnect with from earlier ones. When a person is erased, every stored message
of the events given (hers, and the community's others where nobody of her name or address
is registered) that names her (by name or address, in the subject, the body, the
``Reply-To`` or the last error) is found, as is all mail to her, and:

- withdrawn when it has not gone out (deleted: the follow-up of someone else can be queued
  again, rendered without her, by the next "Send follow-ups");
- otherwise kept as a log row without its body, with her name and address replaced in the
  subject, the ``Reply-To`` and the error, and never sent again (``cancelled`` when it was
  still to be retried).

The files the file transport wrote for them are deleted by the caller after the commit
(``retention.forget_files``). Matching is by whole words, case-insensitively, on the name
as written in plain text and in HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import escape
from sqlalchemy import delete, func, or_, select, update

from eventnet.models import OutboundEmail, OutboundEmailBody
from eventnet.models.outbox import CANCELLED, FAILED, QUEUED, UNCONFIRMED

ERASED_ERROR = "not sent: it names an attendee who was erased"


@dataclass
class Scrubbed:
    """What erasure did to the stored mail."""

    #: messages not sent yet, deleted
    withdrawn: int = 0
    #: messages kept as a log row, without their body and her name
    redacted: int = 0
    #: the Message-IDs of all of them, whose ``.eml`` files must go too
    message_ids: list[str] = field(default_factory=list)


def person_pattern(name: str, email: str) -> re.Pattern[str] | None:
    """A pattern matching the person's name (plain or HTML-escaped) or address as words."""
    needles = {n for n in (name.strip(), str(escape(name.strip())), email.strip()) if n}
    if not needles:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True))
    return re.compile(rf"(?<![\w@.])(?:{alternatives})(?![\w@])", re.IGNORECASE)


@dataclass(frozen=True)
class Candidates:
    """The messages whose bodies may name her, found before the write transaction."""

    name: str
    email: str
    #: messages of the events whose text or HTML part mentions her
    ids: frozenset[int]
    #: the highest message id there was: later ones are searched again
    up_to: int


def _needles(name: str, email: str) -> set[str]:
    return {n for n in (name.strip(), str(escape(name.strip())), email.strip()) if n}


def _mentions(columns: Sequence[Any], needles: set[str]) -> list[Any]:
    return [column.icontains(n, autoescape=True) for n in needles for column in columns]


_BODY_COLUMNS = (OutboundEmailBody.text, OutboundEmailBody.html)
_ROW_COLUMNS = (OutboundEmail.to_address, OutboundEmail.subject, OutboundEmail.reply_to,
                OutboundEmail.last_error)


def find_candidates(session: Any, *, event_ids: Sequence[int], name: str,
                    email: str) -> Candidates:
    """Search the bodies of the events' mail for her, outside any write transaction.

    Bodies are written once, so what is found stays true; the LIKE over every body of an
    event (a second or more for a large one) then holds no write lock.
    """
    needles = _needles(name, email)
    up_to = session.scalar(select(func.max(OutboundEmail.id))) or 0
    ids: frozenset[int] = frozenset()
    if event_ids and needles:
        ids = frozenset(session.scalars(
            select(OutboundEmailBody.email_id)
            .join(OutboundEmail, OutboundEmail.id == OutboundEmailBody.email_id)
            .where(OutboundEmail.event_id.in_(event_ids), OutboundEmail.id <= up_to,
                   or_(*_mentions(_BODY_COLUMNS, needles)))))
    return Candidates(name, email, ids, up_to)


def scrub_person(session: Any, *, attendee_id: int, event_ids: Sequence[int], name: str,
                 email: str, replacement: str,
                 candidates: Candidates | None = None) -> Scrubbed:
    """Withdraw or redact the stored messages of ``event_ids`` that name the person, and
    every message to her (``attendee_id``), in the caller's transaction.

    ``candidates`` (``find_candidates`` for the same name and address) spares searching
    the bodies the search already covered.
    """
    pattern = person_pattern(name, email)
    needles = _needles(name, email)
    # The database narrows the events' mail down (LIKE); the pattern then decides on words.
    in_bodies = or_(*_mentions(_BODY_COLUMNS, needles)) if needles else None
    if candidates is not None and (candidates.name, candidates.email) == (name, email):
        searched = OutboundEmail.id <= candidates.up_to
        in_bodies = or_(OutboundEmail.id.in_(candidates.ids),
                        ~searched & in_bodies) if in_bodies is not None else None
    query = (select(OutboundEmail.id, OutboundEmail.status, OutboundEmail.attendee_id,
                    OutboundEmail.to_address, OutboundEmail.subject, OutboundEmail.reply_to,
                    OutboundEmail.last_error, OutboundEmail.message_id,
                    OutboundEmailBody.text, OutboundEmailBody.html)
             .outerjoin(OutboundEmailBody, OutboundEmailBody.email_id == OutboundEmail.id))
    if event_ids and in_bodies is not None:
        query = query.where(or_(
            OutboundEmail.attendee_id == attendee_id,
            OutboundEmail.event_id.in_(event_ids)
            & or_(in_bodies, *_mentions(_ROW_COLUMNS, needles))))
    else:
        query = query.where(OutboundEmail.attendee_id == attendee_id)
    result = Scrubbed()
    unsent: list[int] = []
    for row in session.execute(query).all():
        # hers: by the link, or by the address (a test an organizer sent to her)
        is_hers = row.attendee_id == attendee_id or bool(
            email and (row.to_address or "").strip().lower() == email.strip().lower())
        if not is_hers and not (pattern and any(
                pattern.search(value or "") for value in (
                    row.subject, row.reply_to, row.last_error, row.text, row.html))):
            continue
        if row.message_id:
            result.message_ids.append(row.message_id)
        if row.status == QUEUED:
            unsent.append(row.id)
            continue
        values: dict[str, Any] = {
            "subject": _redact(pattern, row.subject, replacement),
            "last_error": _redact(pattern, row.last_error, replacement),
            "reply_to": "" if pattern and pattern.search(row.reply_to or "") else row.reply_to,
            "headers": {}}
        if is_hers:
            values.update(attendee_id=None, to_address="")
        if row.status in (FAILED, UNCONFIRMED):
            values.update(status=CANCELLED, last_error=ERASED_ERROR)
        session.execute(update(OutboundEmail).where(OutboundEmail.id == row.id)
                        .values(**values).execution_options(synchronize_session=False))
        session.execute(delete(OutboundEmailBody).where(OutboundEmailBody.email_id == row.id)
                        .execution_options(synchronize_session=False))
        result.redacted += 1
    if unsent:
        session.execute(delete(OutboundEmailBody).where(OutboundEmailBody.email_id.in_(unsent))
                        .execution_options(synchronize_session=False))
        session.execute(delete(OutboundEmail).where(OutboundEmail.id.in_(unsent))
                        .execution_options(synchronize_session=False))
        result.withdrawn = len(unsent)
    return result


def _redact(pattern: re.Pattern[str] | None, value: str, replacement: str) -> str:
    return pattern.sub(replacement, value or "") if pattern else value
