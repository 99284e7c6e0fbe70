"""The post-event follow-up email: rendering, queueing exactly once, progress, tests.

Each attendee's follow-up is written to the outbox with the dedupe key
``followup:<event>:<attendee>`` in the same transaction as the introductions it proposes,
so clicking "send" twice, or re-running it after a crash, queues nothing twice.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update

from eventnet.config import LANGUAGES
from eventnet.database import conflict_insert, write_transaction
from eventnet.extensions import db
from eventnet.mail.compose import (
    Rendered,
    datetime_formatter,
    render_email,
    sender,
)
from eventnet.mail.outbox import body_of
from eventnet.mail.worker import dispatch
from eventnet.matching import FollowUp
from eventnet.matching.reasons import describe
from eventnet.models import (
    Attendee,
    Event,
    Introduction,
    OutboundEmail,
    OutboundEmailBody,
    utcnow,
)
from eventnet.models.outbox import CANCELLED, QUEUED, STILL_TO_GO
from eventnet.services import consent, links
from eventnet.services.consent import ERASED, NO_CONSENT, NO_EMAIL, UNSUBSCRIBED
from eventnet.services.errors import Conflict, NotFound
from eventnet.services.followups import (
    build_for_attendees,
    build_for_event,
    contact_of,
    reconnect_email,
)
from eventnet.services.wording import catalogue

log = logging.getLogger(__name__)

KIND = "followup"
BATCH = 100
#: why an attendee gets no follow-up, in the order they are checked
NO_ONE_MET = "no_one_met"
SKIP_REASONS = (ERASED, NO_EMAIL, UNSUBSCRIBED, NO_CONSENT, NO_ONE_MET)
#: an attendee whose follow-up could not be rendered or stored (text stored before such text
#: was refused at the edges): skipped and reported, the others go out
UNRENDERABLE = "unrenderable"
#: reasons shown as "how you can help" / "how they can help" rather than in the list
HELP_CODES = ("you_can_help", "they_can_help")


def dedupe_key(event_id: int, attendee_id: int) -> str:
    """The outbox key that makes an attendee's follow-up go out at most once."""
    return f"{KIND}:{event_id}:{attendee_id}"


def load_recipients(event_id: int) -> dict[int, Any]:
    """Every attendee of the event (erased too, for the counts) as light column rows."""
    rows = db.session.execute(
        select(Attendee.id, Attendee.name, Attendee.email, Attendee.company, Attendee.title,
               Attendee.links, Attendee.phone, Attendee.language, Attendee.secret_version,
               Attendee.consent_share_contact, Attendee.consent_followup,
               Attendee.consent_introductions, Attendee.unsubscribed_at, Attendee.erased_at)
        .where(Attendee.event_id == event_id).order_by(Attendee.id))
    return {r.id: r for r in rows}


def skip_reason(row: Any, has_met: bool) -> str | None:
    """Why this attendee gets no follow-up (``consent.refusal`` first), or None."""
    return consent.refusal(KIND, row) or (None if has_met else NO_ONE_MET)


def my_page_url(event: Event, row: Any, *, preview: bool = False) -> str:
    """The attendee's own page: not a magic link, which would sit in every follow-up for
    weeks and sign in whoever the mail is forwarded to; the page asks for a fresh link."""
    from flask import current_app

    return f"{current_app.config['EVENTNET_BASE_URL']}/e/{event.slug}/me"


def unsubscribe_url(row: Any, *, preview: bool = False) -> str:
    """The signed unsubscribe link of an attendee (also the List-Unsubscribe target)."""
    return links.url(links.UNSUBSCRIBE, {"a": row.id}, preview=preview)


def list_headers(row: Any, language: str, *, preview: bool = False) -> dict[str, str]:
    """Headers of bulk mail: one-click unsubscribe (RFC 8058) and the language."""
    return {"List-Unsubscribe": f"<{unsubscribe_url(row, preview=preview)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Content-Language": language}


@dataclass(slots=True)
class _Contact:
    email: str
    links: list[str]
    phone: str


@dataclass(slots=True)
class _MetCard:
    name: str
    company: str | None
    title: str | None
    first_met_at: Any
    last_met_at: Any
    when: str
    scan_count: int
    is_mutual: bool
    notes: list[str]
    tags: list[str]
    you_can_help: list[Any]
    they_can_help: list[Any]
    reasons: list[str]
    contact: _Contact | None
    vcard_url: str | None


@dataclass(slots=True)
class _IntroCard:
    name: str
    company: str | None
    title: str | None
    reasons: list[str]
    introduce_url: str


@dataclass(slots=True)
class _ReconnectCard:
    name: str
    company: str
    event_name: str
    met_at: Any
    when: str
    times_met: int
    notes: list[str]
    email: str | None


# The template context is made of slotted objects rather than dicts: Jinja's attribute
# lookup tries getattr() first and only falls back to the key after an AttributeError,
# which cost a few hundred exceptions per follow-up.


def _context(event: Event, me: Any, followup: FollowUp, rows: dict[int, Any],
             *, preview: bool) -> dict[str, Any]:
    when = datetime_formatter(me.language, event.timezone or "UTC")
    words = catalogue(me.language)  # describe() calls them per reason
    met = []
    for entry in followup.met:
        other = rows.get(entry.attendee_id)
        if other is None:
            continue
        shared = contact_of(me, other, mutual=entry.is_mutual)
        contact = _Contact(**shared) if shared else None
        met.append(_MetCard(
            name=other.name, company=other.company, title=other.title,
            first_met_at=entry.first_met_at, last_met_at=entry.last_met_at,
            when=when(entry.first_met_at), scan_count=entry.scan_count,
            is_mutual=entry.is_mutual, notes=list(entry.my_notes), tags=list(entry.tags),
            you_can_help=entry.you_can_help, they_can_help=entry.they_can_help,
            reasons=[describe(r, *words) for r in entry.reasons if r.code not in HELP_CODES],
            contact=contact,
            vcard_url=links.url(links.VCARD, {"a": me.id, "o": other.id}, preview=preview)
            if contact else None,
        ))
    intros = []
    for suggestion in followup.introductions:
        other = rows.get(suggestion.attendee_id)
        if other is None:
            continue
        intros.append(_IntroCard(
            name=other.name, company=other.company, title=other.title,
            reasons=[describe(r, *words) for r in suggestion.reasons],
            introduce_url=links.url(
                links.INTRO_REQUEST, {"e": event.id, "r": me.id, "t": other.id},
                preview=preview),
        ))
    reconnect = []
    for past in followup.reconnect:
        here = rows.get(past.attendee_id) if past.attendee_id is not None else None
        reconnect.append(_ReconnectCard(
            name=past.name, company=past.company, event_name=past.event_name,
            met_at=past.met_at, when=when(past.met_at), times_met=past.times_met,
            notes=list(past.notes),
            email=reconnect_email(me, past.email, here),
        ))
    return {"event": event, "attendee": me, "met": met, "intros": intros,
            "reconnect": reconnect, "my_page_url": my_page_url(event, me, preview=preview),
            "unsubscribe_url": unsubscribe_url(me, preview=preview)}


def render_followup(event: Event, me: Any, followup: FollowUp, rows: dict[int, Any],
                    *, preview: bool = False) -> tuple[Rendered, dict[str, str]]:
    """The follow-up email of one attendee in their language, with its list headers."""
    language = me.language if me.language in LANGUAGES else "en"
    context = _context(event, me, followup, rows, preview=preview)
    rendered = render_email("followup", language, **context)
    return rendered, list_headers(me, language, preview=preview)


def _render_storable(event: Event, row: Any, followup: FollowUp,
                     rows: dict[int, Any]) -> tuple[Rendered, dict[str, str]]:
    """``render_followup``, and check that what it wrote can be stored and sent: raises
    UnicodeEncodeError for text that is not valid Unicode (a lone surrogate)."""
    mail, headers = render_followup(event, row, followup, rows)
    for text in (row.email, mail.subject, mail.text, mail.html, *headers.values()):
        text.encode("utf-8")
    return mail, headers


_INSERT_MESSAGE = insert(OutboundEmail.__table__)
_INSERT_BODY = insert(OutboundEmailBody.__table__)


def _lock_event(event_id: int) -> Event:
    query = select(Event).where(Event.id == event_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # one "send" of an event at a time
    event: Event | None = db.session.scalar(query)
    if event is None:
        raise NotFound(_("No such event."))
    return event


@dataclass
class QueueResult:
    """What a "send follow-ups" did (or would do, for a dry run)."""

    queued: int = 0
    already_queued: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    message_ids: list[int] = field(default_factory=list)
    #: ids of the attendees skipped as ``UNRENDERABLE``
    unrenderable: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Attendees considered."""
        return self.queued + self.already_queued + sum(self.skipped.values())


def queued_attendees(event_id: int, attendee_ids: Iterable[int] | None = None) -> set[int]:
    query = select(OutboundEmail.attendee_id).where(OutboundEmail.event_id == event_id,
                                                    OutboundEmail.kind == KIND)
    if attendee_ids is not None:
        query = query.where(OutboundEmail.dedupe_key.in_(
            [dedupe_key(event_id, a) for a in attendee_ids]))
    return {a for a in db.session.scalars(query) if a is not None}


def queue_followups(event_id: int, *, dry_run: bool = False,
                    progress: Callable[[int], None] | None = None,
                    on_batch: Callable[[list[int]], None] | None = None,
                    on_plan: Callable[[int], None] | None = None) -> QueueResult:
    """Queue every due follow-up of the event with its proposed introductions.

    Attendees already queued are left alone; ``on_plan(n)`` is called with how many are
    to be queued once that is known (before rendering), ``progress(n)`` as batches
    commit, ``on_batch(ids)`` with the ids of each committed batch. Raises NotFound.
    """
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound(_("No such event."))
    built = build_for_event(event)
    rows = load_recipients(event_id)
    already = queued_attendees(event_id)
    result = QueueResult()
    todo: list[int] = []
    for attendee_id, row in rows.items():
        followup = built.followups.get(attendee_id)
        reason = skip_reason(row, bool(followup and followup.met))
        if reason is not None:
            result.skipped[reason] += 1
        elif attendee_id in already:
            result.already_queued += 1
        else:
            todo.append(attendee_id)
    if dry_run:
        result.queued = len(todo)
        return result
    if on_plan is not None:
        on_plan(len(todo))
    from_address = sender(event.followup_sender_name or event.name)
    # What was loaded and the engine's results live until the end: keep the collector
    # from scanning them again and again while thousands of emails are rendered (it cost
    # ~10% of the time).
    gc.freeze()
    try:
        for start in range(0, len(todo), BATCH):
            batch = todo[start:start + BATCH]
            new_ids = _queue_batch(event, batch, rows, built.followups, from_address, result)
            result.queued += len(new_ids)
            result.message_ids += new_ids
            if on_batch is not None and new_ids:
                on_batch(new_ids)
            if progress is not None:
                progress(len(batch))
    finally:
        gc.unfreeze()
    return result


def _queue_batch(event: Event, batch: list[int], rows: dict[int, Any],
                 followups: dict[int, FollowUp], from_address: str,
                 result: QueueResult) -> list[int]:
    """Render a batch of follow-ups, then queue those not queued yet; returns their ids."""
    event_id = event.id
    # Render outside the write transaction: SQLite has one writer, and the delivery of
    # earlier batches must not wait for this batch's templates.
    rendered: dict[int, tuple[Rendered, dict[str, str]]] = {}
    for attendee_id in batch:
        try:
            rendered[attendee_id] = _render_storable(event, rows[attendee_id],
                                                     followups[attendee_id], rows)
        except Exception:  # one attendee's data must not stop the event's follow-ups
            log.exception("the follow-up of attendee %s (event %s) could not be rendered; "
                          "skipped", attendee_id, event_id)
            result.skipped[UNRENDERABLE] += 1
            result.unrenderable.append(attendee_id)
    with write_transaction() as session:
        _lock_event(event_id)
        taken = queued_attendees(event_id, batch)
        messages, bodies, intros = [], [], []
        now = utcnow()
        for attendee_id in rendered:
            if attendee_id in taken:
                result.already_queued += 1
                continue
            row, followup = rows[attendee_id], followups[attendee_id]
            mail, headers = rendered[attendee_id]
            messages.append({
                "kind": KIND, "to_address": row.email, "from_address": from_address,
                "reply_to": event.followup_reply_to, "subject": mail.subject,
                "headers": headers, "event_id": event_id, "attendee_id": attendee_id,
                "dedupe_key": dedupe_key(event_id, attendee_id), "status": QUEUED,
                "attempts": 0, "next_attempt_at": now, "last_error": "",
                "message_id": "", "created_at": now})
            bodies.append({"text": mail.text, "html": mail.html})
            intros += [{
                "event_id": event_id, "requester_id": attendee_id,
                "recipient_id": s.attendee_id, "status": "proposed", "score": s.score,
                "reasons": [{"code": r.code, "params": dict(r.params)} for r in s.reasons],
                "message": "", "proposed_at": now,
            } for s in followup.introductions]
        new_ids: list[int] = []
        if messages:
            # executemany with RETURNING: one compiled statement per table and batch
            new_ids = list(session.connection().execute(
                _INSERT_MESSAGE.returning(OutboundEmail.__table__.c.id,
                                          sort_by_parameter_order=True),
                messages).scalars())
            session.connection().execute(_INSERT_BODY, [
                {"email_id": i, **body} for i, body in zip(new_ids, bodies, strict=True)])
        if intros:
            session.execute(conflict_insert(Introduction).on_conflict_do_nothing(
                index_elements=["event_id", "requester_id", "recipient_id"]), intros)
    return new_ids


@dataclass
class Rerendered:
    """What ``rerender_followups`` did to the messages it was given."""

    #: rendered again in place (same row, same dedupe key)
    rendered: list[int] = field(default_factory=list)
    #: could not be rendered again (their recipient was erased, their data will not
    #: render) and never reached a server: deleted, so that the next "Send follow-ups"
    #: queues them afresh
    withdrawn: list[int] = field(default_factory=list)
    #: could not be rendered again and may have reached a server once: cancelled, their
    #: content deleted, never sent again
    cancelled: list[int] = field(default_factory=list)


#: why a follow-up that could not be rendered again after a withdrawal did not go again
NOT_RENDERED_AGAIN = "not sent again: it could not be rendered without details withdrawn since"


def rerender_followups(session: Any, message_ids: Collection[int], *,
                       requeue: bool = False) -> Rerendered:
    """Render follow-ups not sent yet again from the event as it is now, in the caller's
    transaction, keeping each row, its status and its dedupe key: what a consent withdrawn
    since they were queued no longer allows (someone's contact details, a suggestion)
    goes, and the recipient still gets their one follow-up. The introductions stay those
    the follow-up proposed (``followups.build_for_attendees``).

    Touched are the messages that may still go out (``STILL_TO_GO``: queued, to be sent
    again after an unconfirmed attempt, or failed, which an organizer may retry), or with
    ``requeue`` the ``cancelled`` ones that never reached a server (no Message-ID), which
    are queued again to the recipient's current address. Releasing the claim stops a
    worker that read the old content from sending it (``mail.worker``: it sends only what
    it still holds). One that cannot be rendered again never goes with its old content
    (``Rerendered``).
    """
    wanted = (OutboundEmail.status == CANCELLED) & (OutboundEmail.message_id == "") \
        if requeue else OutboundEmail.status.in_(STILL_TO_GO)
    rows = session.execute(
        select(OutboundEmail.id, OutboundEmail.event_id, OutboundEmail.attendee_id,
               OutboundEmail.status, OutboundEmail.message_id)
        .where(OutboundEmail.id.in_(list(message_ids)), OutboundEmail.kind == KIND, wanted)
        .order_by(OutboundEmail.id)).all()
    result = Rerendered()
    failed: list[Any] = []
    by_event: dict[int, list[Any]] = {}
    for row in rows:
        if row.event_id is None or row.attendee_id is None:
            failed.append(row)
        else:
            by_event.setdefault(row.event_id, []).append(row)
    now = utcnow()
    for event_id, messages in by_event.items():
        event = session.get(Event, event_id)
        if event is None:  # pragma: no cover - messages of a deleted event go with it
            continue
        recipients = load_recipients(event_id)
        _people, followups = build_for_attendees(event, [m.attendee_id for m in messages])
        from_address = sender(event.followup_sender_name or event.name)
        for message in messages:
            row, followup = recipients.get(message.attendee_id), followups.get(
                message.attendee_id)
            if row is None or followup is None or not row.email:  # erased since
                failed.append(message)
                continue
            try:
                mail, headers = _render_storable(event, row, followup, recipients)
            except Exception:  # never send the old content
                log.exception("the follow-up %s could not be rendered again", message.id)
                failed.append(message)
                continue
            values: dict[str, Any] = {"subject": mail.subject, "headers": headers,
                                      "claimed_until": None}
            if requeue:
                values.update(status=QUEUED, attempts=0, next_attempt_at=now, last_error="",
                              to_address=row.email, from_address=from_address,
                              reply_to=event.followup_reply_to)
            session.execute(update(OutboundEmail).where(OutboundEmail.id == message.id)
                            .values(**values).execution_options(synchronize_session=False))
            written = session.execute(update(OutboundEmailBody)
                                      .where(OutboundEmailBody.email_id == message.id)
                                      .values(text=mail.text, html=mail.html)
                                      .execution_options(synchronize_session=False))
            if not written.rowcount:  # its content was purged (retention) while cancelled
                session.execute(insert(OutboundEmailBody).values(
                    email_id=message.id, text=mail.text, html=mail.html))
            result.rendered.append(message.id)
    for message in failed:
        never_went = message.status in (QUEUED, CANCELLED) and not message.message_id
        (result.withdrawn if never_went else result.cancelled).append(message.id)
    gone = result.withdrawn + result.cancelled
    if gone:
        session.execute(delete(OutboundEmailBody).where(OutboundEmailBody.email_id.in_(gone))
                        .execution_options(synchronize_session=False))
    if result.cancelled:
        session.execute(update(OutboundEmail).where(OutboundEmail.id.in_(result.cancelled))
                        .values(status=CANCELLED, claimed_until=None,
                                last_error=NOT_RENDERED_AGAIN)
                        .execution_options(synchronize_session=False))
    if result.withdrawn:
        session.execute(delete(OutboundEmail).where(OutboundEmail.id.in_(result.withdrawn))
                        .execution_options(synchronize_session=False))
    return result


def _one(event: Event, attendee_id: int) -> tuple[Any, FollowUp, dict[int, Any]]:
    rows = load_recipients(event.id)
    row = rows.get(attendee_id)
    if row is None or row.erased_at is not None:
        raise NotFound(_("No such attendee."), code="unknown_attendee")
    built = build_for_event(event)
    followup = built.followups.get(attendee_id) or FollowUp(attendee_id, [], [], [])
    return row, followup, rows


def preview_email(event: Event, attendee_id: int) -> dict[str, Any]:
    """The attendee's follow-up as it is (or will be) sent; queued mail is shown as stored,
    sent mail too until its content is purged (``eventnet.mail.retention``)."""
    stored = db.session.scalar(select(OutboundEmail).where(
        OutboundEmail.dedupe_key == dedupe_key(event.id, attendee_id)))
    row, followup, rows = _one(event, attendee_id)
    if stored is not None and stored.body is not None:
        return {"attendee": row, "subject": stored.subject, "from": stored.from_address,
                "to": stored.to_address, "reply_to": stored.reply_to,
                "headers": dict(stored.headers or {}), "text": stored.body_text,
                "html": stored.body_html, "status": stored.status,
                "error": stored.last_error, "skip": None}
    rendered, headers = render_followup(event, row, followup, rows, preview=True)
    return {"attendee": row, "subject": rendered.subject,
            "from": sender(event.followup_sender_name or event.name), "to": row.email,
            "reply_to": event.followup_reply_to, "headers": headers, "text": rendered.text,
            "html": rendered.html, "status": None, "error": "",
            "skip": skip_reason(row, bool(followup.met))}


def send_test(event: Event, attendee_id: int, to_address: str) -> int:
    """Send an attendee's follow-up to ``to_address`` (its links are inert). Raises NotFound."""
    row, followup, rows = _one(event, attendee_id)
    if not followup.met and not followup.introductions and not followup.reconnect:
        raise Conflict(_("%(name)s met nobody: there is no follow-up to show.", name=row.name),
                       code="no_one_met")
    rendered, headers = render_followup(event, row, followup, rows, preview=True)
    test = Rendered(subject=_("[Test] %(subject)s", subject=rendered.subject),
                    text=rendered.text, html=rendered.html)
    with write_transaction() as session:
        message = OutboundEmail(
            kind="test", to_address=to_address,
            from_address=sender(event.followup_sender_name or event.name),
            reply_to=event.followup_reply_to, subject=test.subject, body=body_of(test),
            headers=headers, event_id=event.id)
        session.add(message)
        session.flush()
        message_id = int(message.id)
    dispatch([message_id])
    return message_id


def due_ids(event_id: int) -> list[int]:
    """Ids of the event's follow-ups waiting in the queue (to hand to delivery)."""
    return list(db.session.scalars(select(OutboundEmail.id).where(
        OutboundEmail.event_id == event_id, OutboundEmail.kind == KIND,
        OutboundEmail.status == QUEUED).order_by(OutboundEmail.id)))
