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
from sqlalchemy import delete, or_, select, update

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


def scrub_person(session: Any, *, attendee_id: int, event_ids: Sequence[int], name: str,
                 email: str, replacement: str) -> Scrubbed:
    """Withdraw or redact the stored messages of ``event_ids`` that name the person, and
    every message to her (``attendee_id``), in the caller's transaction."""
    pattern = person_pattern(name, email)
    needles = {n for n in (name.strip(), str(escape(name.strip())), email.strip()) if n}
    text_columns = (OutboundEmail.to_address, OutboundEmail.subject, OutboundEmail.reply_to,
                    OutboundEmail.last_error, OutboundEmailBody.text, OutboundEmailBody.html)
    # The database narrows the event's mail down (LIKE); the pattern then decides on words.
    mentions = [column.icontains(n, autoescape=True) for n in needles for column in text_columns]
    query = (select(OutboundEmail.id, OutboundEmail.status, OutboundEmail.attendee_id,
                    OutboundEmail.to_address, OutboundEmail.subject, OutboundEmail.reply_to,
                    OutboundEmail.last_error, OutboundEmail.message_id,
                    OutboundEmailBody.text, OutboundEmailBody.html)
             .outerjoin(OutboundEmailBody, OutboundEmailBody.email_id == OutboundEmail.id))
    if event_ids and mentions:
        query = query.where(or_(OutboundEmail.attendee_id == attendee_id,
                                OutboundEmail.event_id.in_(event_ids) & or_(*mentions)))
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
