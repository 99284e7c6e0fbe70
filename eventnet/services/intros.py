"""Double opt-in introductions: proposed → requested → accepted / declined / expired.

A (the requester) says "yes, introduce us" to a suggestion from their follow-up; B (the
recipient) is asked by email and accepts or declines. Only on acceptance do both get one
email with each other's contact details. A decline is never announced to A: A's view of a
declined or expired request stays "requested". A has at most ``PENDING_CAP`` requests
waiting at a time; B gets at most one reminder; requests expire after ``EXPIRY``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from eventnet.config import LANGUAGES
from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.compose import Rendered, render_email, sender
from eventnet.mail.outbox import body_of, queue_email
from eventnet.mail.worker import dispatch
from eventnet.matching import Reason
from eventnet.models import Attendee, Event, Introduction, OutboundEmail, utcnow
from eventnet.models.intro import ACCEPTED, DECLINED, EXPIRED, PROPOSED, REQUESTED
from eventnet.models.outbox import CANCELLED, STILL_TO_GO
from eventnet.services import consent, links
from eventnet.services.errors import Conflict, Invalid, NotFound
from eventnet.services.followup_mail import list_headers, unsubscribe_url
from eventnet.services.followups import contact_of
from eventnet.services.storable import clean_text
from eventnet.services.tokens import InvalidLink
from eventnet.services.wording import reason_texts

PENDING_CAP = 3
EXPIRY = timedelta(days=14)
REMINDER_AFTER = timedelta(days=7)
MAX_MESSAGE_LENGTH = 500


# A reason the engine wrote for the requester, seen from the recipient's side: who helps whom
# swaps, and the sentence names the requester. Other reasons speak of the requester's own
# network and are not shown to the recipient.
_FOR_RECIPIENT = {
    "common_contacts": "common_contacts",
    "shared_interests": "shared_interests",
    "shared_ask": "shared_ask",
    "same_conversation": "same_conversation",
    "complementary": "you_can_help",
    "they_can_help": "you_can_help",
    "you_can_help": "complementary",
}


def _reason_text(code: str, p: dict[str, str], *, for_recipient: bool,
                 requester: str) -> str | None:
    """A reason as a sentence for the requester (as the engine wrote it) or the recipient."""
    if for_recipient:
        if code not in _FOR_RECIPIENT:
            return None
        code, p = _FOR_RECIPIENT[code], {**p, "name": requester}
    return reason_texts([Reason(code, p)])[0]


def reasons_for(intro: Introduction, *, for_recipient: bool) -> list[str]:
    """The stored reasons of an introduction as sentences, from one side's point of view."""
    texts = []
    for reason in intro.reasons or []:
        text = _reason_text(str(reason.get("code")), dict(reason.get("params") or {}),
                            for_recipient=for_recipient, requester=intro.requester.name)
        if text and text not in texts:
            texts.append(text)
    return texts


def _lock(intro_id: int) -> Introduction:
    query = select(Introduction).where(Introduction.id == intro_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    intro: Introduction | None = db.session.scalar(
        query.execution_options(populate_existing=True))
    if intro is None:
        raise NotFound(_("This introduction does not exist."), code="unknown_introduction")
    return intro


def _render(kind: str, to: Attendee, event: Event, *, template: str | None = None,
            **context: Any) -> tuple[Rendered, dict[str, str]]:
    language = to.language if to.language in LANGUAGES else "en"
    with force_locale(language):
        rendered = render_email(template or kind, language, event=event, attendee=to,
                                unsubscribe_url=unsubscribe_url(to), **context)
        headers = list_headers(to, language)
    return rendered, headers


def _queue(kind: str, to: Attendee, event: Event, key: str, *,
           template: str | None = None, **context: Any) -> OutboundEmail | None:
    assert to.email
    rendered, headers = _render(kind, to, event, template=template, **context)
    return queue_email(kind=kind, to=to.email, rendered=rendered,
                       from_address=sender(event.followup_sender_name or event.name),
                       reply_to=event.followup_reply_to, event_id=event.id,
                       attendee_id=to.id, dedupe_key=key, headers=headers)


def _queue_request(intro: Introduction, kind: str) -> OutboundEmail | None:
    b = intro.recipient
    language = b.language if b.language in LANGUAGES else "en"
    with force_locale(language):
        reasons = reasons_for(intro, for_recipient=True)
    answer = links.url(links.INTRO_ANSWER, {"i": intro.id, "b": b.id})
    return _queue(kind, b, intro.requester.event, f"{kind}:{intro.id}",
                  template="intro_request", is_reminder=kind == "intro_reminder",
                  requester=intro.requester, intro=intro, reasons=reasons, answer_url=answer)


def proposal_from_link(token: str) -> Introduction:
    """The proposed introduction an "introduce us" link stands for. Raises InvalidLink."""
    payload = links.check(links.INTRO_REQUEST, token)
    intro: Introduction | None = db.session.scalar(select(Introduction).where(
        Introduction.event_id == payload.get("e"),
        Introduction.requester_id == payload.get("r"),
        Introduction.recipient_id == payload.get("t")))
    if intro is None or intro.requester.erased_at is not None:
        raise InvalidLink(_("This introduction is no longer available."))
    return intro


def answer_from_link(token: str) -> Introduction:
    """The introduction an accept/decline link stands for. Raises InvalidLink."""
    payload = links.check(links.INTRO_ANSWER, token)
    intro = db.session.get(Introduction, payload.get("i"))
    if intro is None or intro.recipient_id != payload.get("b") or \
            intro.recipient.erased_at is not None:
        raise InvalidLink(_("This introduction is no longer available."))
    return intro


@dataclass
class RequestResult:
    """A request: ``is_new`` is False when it had been made before."""

    intro_id: int
    is_new: bool


def request_introduction(intro_id: int, requester_id: int, message: str = "") -> RequestResult:
    """A says yes to a suggested introduction; B is asked by email.

    Idempotent; a declined or expired request looks requested to A. Raises NotFound,
    Invalid (message too long) or Conflict (``pending_cap``, ``intro_unavailable``).
    """
    message = clean_text(message or "").strip()  # no bidi or control character
    if len(message) > MAX_MESSAGE_LENGTH:
        raise Invalid(_("The message is too long (%(n)d characters at most).",
                        n=MAX_MESSAGE_LENGTH), code="message_too_long", field="message")
    ids: list[int] = []
    with write_transaction() as session:
        intro = _lock(intro_id)
        if intro.requester_id != requester_id:
            raise NotFound(_("This introduction does not exist."), code="unknown_introduction")
        if intro.status != PROPOSED:
            return RequestResult(intro.id, False)
        requester, recipient = intro.requester, intro.recipient
        if requester.erased_at is not None:
            raise NotFound(_("This introduction does not exist."), code="unknown_introduction")
        if not consent.may_receive("intro_request", recipient) or \
                not consent.may_receive("intro_made", requester):
            raise Conflict(_("Sorry, this introduction is no longer possible."),
                           code="intro_unavailable")
        if session.get_bind().dialect.name == "postgresql":
            # Serialize one requester's requests so the cap holds under concurrency.
            session.execute(select(Attendee.id).where(Attendee.id == requester_id)
                            .with_for_update())
        pending = session.scalar(select(func.count(Introduction.id)).where(
            Introduction.requester_id == requester_id, Introduction.status == REQUESTED)) or 0
        if pending >= PENDING_CAP:
            raise Conflict(_("You already have %(n)d introduction requests waiting for an "
                             "answer. You can ask for more once they are answered.",
                             n=PENDING_CAP), code="pending_cap")
        now = utcnow()
        intro.status, intro.requested_at, intro.expires_at = REQUESTED, now, now + EXPIRY
        intro.message = message
        queued = _queue_request(intro, "intro_request")
        session.flush()
        if queued is not None:
            ids.append(queued.id)
        result = RequestResult(intro.id, True)
    dispatch(ids)
    return result


def answer_introduction(intro_id: int, recipient_id: int, accept: bool) -> Introduction:
    """B accepts (both get each other's details) or declines (nobody is told).

    Idempotent for the same answer. Raises NotFound or Conflict (``intro_expired``,
    ``intro_answered``).
    """
    ids: list[int] = []
    with write_transaction() as session:
        intro = _lock(intro_id)
        if intro.recipient_id != recipient_id or intro.recipient.erased_at is not None:
            raise NotFound(_("This introduction does not exist."), code="unknown_introduction")
        wanted = ACCEPTED if accept else DECLINED
        if intro.status == wanted:
            return intro
        if intro.status == EXPIRED or (intro.status == REQUESTED and intro.expires_at
                                       and intro.expires_at <= utcnow()):
            raise Conflict(_("This request has expired."), code="intro_expired")
        if intro.status != REQUESTED:
            raise Conflict(_("You already answered this request."), code="intro_answered")
        if accept and (not consent.may_receive("intro_made", intro.requester)
                       or not takes_part(intro.recipient)):
            # the requester withdrew (or unsubscribed) since asking, or the recipient no
            # longer takes part in introductions: double opt-in means both sides still
            # say yes, so no details go either way
            raise Conflict(_("Sorry, this introduction is no longer possible."),
                           code="intro_unavailable")
        intro.status, intro.responded_at = wanted, utcnow()
        if accept:
            a, b = intro.requester, intro.recipient
            for me, other in ((a, b), (b, a)):
                if not consent.may_receive("intro_made", me):
                    continue
                rendered, headers = _render_made(intro, me, other)
                queued = queue_email(
                    kind="intro_made", to=str(me.email), rendered=rendered,
                    from_address=sender(a.event.followup_sender_name or a.event.name),
                    reply_to=other.email or a.event.followup_reply_to, event_id=a.event.id,
                    attendee_id=me.id, dedupe_key=made_key(intro.id, me.id), headers=headers)
                session.flush()
                if queued is not None:
                    ids.append(queued.id)
    dispatch(ids)
    return intro


def made_key(intro_id: int, attendee_id: int) -> str:
    """The dedupe key of the ``intro_made`` email of an introduction to one side."""
    return f"intro_made:{intro_id}:{attendee_id}"


def _render_made(intro: Introduction, me: Attendee, other: Attendee
                 ) -> tuple[Rendered, dict[str, str]]:
    """The ``intro_made`` email to ``me``: ``other``'s details as ``introduced_contact``
    has them now."""
    for_recipient = me.id == intro.recipient_id
    language = me.language if me.language in LANGUAGES else "en"
    with force_locale(language):
        reasons = reasons_for(intro, for_recipient=for_recipient)
    return _render("intro_made", me, me.event, other=other, intro=intro, reasons=reasons,
                   is_requester=not for_recipient, contact=introduced_contact(me, other))


def takes_part(attendee: Any) -> bool:
    """Whether the attendee still agrees to be introduced (consent given, not erased): an
    introduction made passes their email only while this holds."""
    return bool(attendee.consent_introductions) and attendee.erased_at is None


def introduced_contact(me: Attendee, other: Attendee) -> dict[str, Any]:
    """What an accepted introduction shares: the email always, the phone and links while
    ``other`` shares their contact details (``connections.shares_contact_with``). Only
    while ``other`` takes part in introductions (``takes_part``): the mail is cancelled
    and the page shows no address otherwise."""
    # both said yes to the introduction: as confirmed as a mutual scan
    shared = contact_of(me, other, mutual=True) or {"email": other.email, "links": [],
                                                    "phone": ""}
    return shared


def introduced_email(intro: Introduction, viewer_id: int) -> str | None:
    """The other side's address, as the viewer's page shows an introduction made: only
    while they take part in introductions (``takes_part``)."""
    other = intro.recipient if intro.requester_id == viewer_id else intro.requester
    return other.email if takes_part(other) else None


#: why an introduction email still queued did not go
OTHER_WITHDREW = "not sent: the other person withdrew from introductions before it went out"


def made_mail_carrying(session: Any, attendee_id: int) -> list[int]:
    """The ``intro_made`` emails that may still go out (``STILL_TO_GO``) and carry the
    attendee's details: those of her accepted introductions to the other side."""
    keys = [made_key(i.id, i.recipient_id if i.requester_id == attendee_id
                     else i.requester_id)
            for i in session.execute(
                select(Introduction.id, Introduction.requester_id, Introduction.recipient_id)
                .where(or_(Introduction.requester_id == attendee_id,
                           Introduction.recipient_id == attendee_id),
                       Introduction.status == ACCEPTED))]
    if not keys:
        return []
    return list(session.scalars(select(OutboundEmail.id).where(
        OutboundEmail.dedupe_key.in_(keys), OutboundEmail.status.in_(STILL_TO_GO))))


def withdraw_made_mail(session: Any, message_ids: list[int]) -> int:
    """Cancel ``intro_made`` emails not sent yet (the person they introduce withdrew from
    introductions); returns how many. In the caller's transaction."""
    if not message_ids:
        return 0
    result = session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id.in_(message_ids), OutboundEmail.status.in_(STILL_TO_GO))
        .values(status=CANCELLED, last_error=OTHER_WITHDREW, claimed_until=None)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def rerender_made_mail(session: Any, message_ids: list[int]) -> int:
    """Render ``intro_made`` emails not sent yet (``STILL_TO_GO``) again with the details
    the other side shares now (``introduced_contact``), same row and dedupe key; returns
    how many. In the caller's transaction; releasing the claim stops a worker that read
    the old content."""
    count = 0
    for message in session.scalars(select(OutboundEmail).where(
            OutboundEmail.id.in_(message_ids), OutboundEmail.status.in_(STILL_TO_GO),
            OutboundEmail.kind == "intro_made")):
        _kind, intro_id, me_id = str(message.dedupe_key).split(":")
        intro = session.get(Introduction, int(intro_id))
        me = session.get(Attendee, int(me_id))
        if intro is None or me is None:  # pragma: no cover - erasure deletes the mail too
            continue
        other = intro.recipient if intro.requester_id == me.id else intro.requester
        if not takes_part(other):
            withdraw_made_mail(session, [message.id])
            continue
        rendered, headers = _render_made(intro, me, other)
        message.subject, message.headers, message.claimed_until = (
            rendered.subject, headers, None)
        if message.body is None:  # pragma: no cover - a queued message keeps its body
            message.body = body_of(rendered)
        else:
            message.body.text, message.body.html = rendered.text, rendered.html
        count += 1
    session.flush()
    return count


@dataclass
class MaintainResult:
    """What a maintenance pass did."""

    reminded: int = 0
    expired: int = 0


def maintain(now: datetime | None = None) -> MaintainResult:
    """Expire requests older than ``EXPIRY`` and send due reminders (one per request)."""
    now = now or utcnow()
    result = MaintainResult()
    ids: list[int] = []
    with write_transaction() as session:
        expired = session.execute(
            update(Introduction)
            .where(Introduction.status == REQUESTED, Introduction.expires_at <= now)
            .values(status=EXPIRED))
        result.expired = int(expired.rowcount or 0)
        due = session.scalars(
            select(Introduction).where(
                Introduction.status == REQUESTED, Introduction.reminded_at.is_(None),
                Introduction.requested_at <= now - REMINDER_AFTER,
                Introduction.expires_at > now)
            .order_by(Introduction.id).limit(1000)).all()
        for intro in due:
            intro.reminded_at = now
            if not consent.may_receive("intro_reminder", intro.recipient) or \
                    not consent.may_receive("intro_made", intro.requester):
                continue
            queued = _queue_request(intro, "intro_reminder")
            session.flush()
            if queued is not None:
                ids.append(queued.id)
                result.reminded += 1
    dispatch(ids)
    return result


def is_answerable(intro: Introduction, now: datetime | None = None) -> bool:
    """Whether the recipient can still accept: requested, not expired, and the requester
    still takes part (consent to introductions, not unsubscribed, not erased)."""
    now = now or utcnow()
    return (intro.status == REQUESTED and intro.expires_at is not None
            and intro.expires_at > now and consent.may_receive("intro_made", intro.requester))


def for_attendee(attendee_id: int) -> dict[str, list[Introduction]]:
    """An attendee's introductions for their page.

    ``suggested`` (proposed to me), ``requested`` (mine, waiting: declined and expired
    ones look the same), ``received`` (asking me), ``made`` (accepted, either side).
    """
    rows = db.session.scalars(
        select(Introduction).where(or_(Introduction.requester_id == attendee_id,
                                       Introduction.recipient_id == attendee_id))
        .order_by(Introduction.score.desc(), Introduction.id)).all()
    out: dict[str, list[Introduction]] = {"suggested": [], "requested": [], "received": [],
                                          "made": []}
    now = utcnow()
    for intro in rows:
        mine = intro.requester_id == attendee_id
        other = intro.recipient if mine else intro.requester
        if other.erased_at is not None:
            continue
        if intro.status == ACCEPTED:
            out["made"].append(intro)
        elif mine and intro.status == PROPOSED:
            out["suggested"].append(intro)
        elif mine:
            out["requested"].append(intro)
        elif is_answerable(intro, now):
            out["received"].append(intro)
    return out
