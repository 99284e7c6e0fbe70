"""Sending an event's follow-ups: one run at a time, and where it stands; retrying them.

A run holds a lease on the event that every process sees, queues the follow-ups and
delivers them (or hands them to the delivery workers), renewing the lease as it goes, and
lets go at the end. The organizer's page starts one off the request (``start_followups``:
in a thread, or a Celery worker's ``eventnet.send_followups`` task) and follows
``progress``; ``eventnet followups send`` runs one in its own process
(``send_followups``). Both go through ``run_followups``, the one place that decides how
the queued mail is delivered. Rendering and queueing themselves are in ``followup_mail``.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, union, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.mail.worker import DeliveryProcess, DeliveryStats, dispatch
from eventnet.models import Event, OutboundEmail, Scan, utcnow
from eventnet.models.outbox import CANCELLED, FAILED, QUEUED, SENDING, SENT, UNCONFIRMED
from eventnet.services.errors import Conflict, NotFound, Unavailable
from eventnet.services.followup_mail import (
    KIND,
    QueueResult,
    due_ids,
    load_recipients,
    queue_followups,
    queued_attendees,
    skip_reason,
)
from eventnet.services.outbox import retry_failed

log = logging.getLogger(__name__)

#: how long a run's hold on the event lasts unless renewed: a run whose process died (a
#: restarted app server) lets go this long after its last renewal
PREPARING_LEASE = timedelta(minutes=2)
#: how often a live run renews its hold
LEASE_RENEW_SECONDS = 30.0


class FollowupsUnderWay(Conflict):
    """Another run is sending the event's follow-ups (``send_followups``)."""

    default_code = "followups_under_way"


class SendProgress:
    """What a run tells its caller as it goes (the CLI draws progress bars from it); this
    one ignores it all."""

    def planned(self, count: int) -> None:
        """``count`` follow-ups are to be queued (known once the matching engine ran)."""

    def queued(self, count: int) -> None:
        """``count`` more were queued (a batch committed)."""

    def queueing_done(self, result: QueueResult, *, delivering_here: bool) -> None:
        """All are queued; ``delivering_here``: the run now waits for their delivery, else
        the delivery workers (Celery, ``eventnet outbox work``) send them."""

    def delivered(self, count: int) -> None:
        """The run's delivery tried ``count`` more."""


@dataclass
class SendResult:
    """What a run did: its queueing, and its delivery's counts when it delivered itself
    (None: handed to the delivery workers)."""

    queue: QueueResult
    delivery: DeliveryStats | None = None


def start_followups(event_id: int) -> bool:
    """Queue and deliver the event's follow-ups without holding up the caller (a page).

    The matching engine and the rendering of a large event take longer than a request may,
    so the run goes on in a Celery worker when a broker is set, else in a thread of this
    process. The event holds a lease while it runs, visible to every process: False (and
    nothing started) when a run is already under way. A live run renews it; one whose
    process died lets go ``PREPARING_LEASE`` after its last renewal, and pressing again
    then queues whoever is still missing.
    """
    from flask import current_app

    if not _take_lease(event_id):
        return False
    if not current_app.config.get("BROKER_URL"):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        threading.Thread(target=_run_in_thread, args=(app, event_id),
                         name="eventnet-followups", daemon=True).start()
        return True
    from eventnet.mail.tasks import configure
    from eventnet.services.tasks import send_followups_task

    configure(current_app.config)
    try:
        send_followups_task.delay(event_id)
    except Exception as exc:  # the broker is down: nothing runs, so nothing may hold the event
        _release_lease(event_id)
        log.warning("could not hand the follow-ups of event %s to Celery: %s", event_id, exc)
        raise Unavailable(_("The mail workers cannot be reached right now (their broker is "
                            "down); nothing was sent. Try again in a moment.")) from exc
    return True


def send_followups(event_id: int, report: SendProgress | None = None) -> SendResult:
    """Queue and deliver the event's follow-ups now, in this process (the CLI), holding the
    event's lease as a run from the page does. Raises FollowupsUnderWay when a run is
    already under way (nothing done), NotFound."""
    if not _take_lease(event_id):
        raise FollowupsUnderWay(_("The follow-ups of this event are already being sent "
                                  "(from the organizer's page or another command); nothing "
                                  "was done. Their progress is on the follow-ups page."))
    return run_followups(event_id, report)


def run_followups(event_id: int, report: SendProgress | None = None) -> SendResult:
    """The run whose lease was just taken (by ``send_followups``, ``start_followups``): queue,
    deliver (unless a broker or an outbox worker does), then let go of the lease, which it
    renews meanwhile. For the CLI, a thread or the Celery task."""
    from flask import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    done = threading.Event()
    keeper = threading.Thread(target=_keep_lease, args=(app, event_id, done),
                              name="eventnet-followups-lease", daemon=True)
    keeper.start()
    try:
        return _queue_and_deliver(event_id, report or SendProgress())
    finally:
        done.set()
        keeper.join()
        _release_lease(event_id)


def _keep_lease(app: Any, event_id: int, done: threading.Event) -> None:
    with app.app_context():
        try:
            while not done.wait(LEASE_RENEW_SECONDS):
                _set_lease(event_id, utcnow() + PREPARING_LEASE)
        except Exception:  # the run goes on; at worst another may start after the lease
            log.exception("renewing the follow-up lease of event %s failed", event_id)
        finally:
            db.session.remove()


def _run_in_thread(app: Any, event_id: int) -> None:
    with app.app_context():
        try:
            run_followups(event_id)
        except Exception:
            log.exception("preparing the follow-ups of event %s failed", event_id)
        finally:
            db.session.remove()


def _take_lease(event_id: int) -> bool:
    """Mark the event's follow-ups as being prepared, unless they already are (one UPDATE:
    two clicks, processes or hosts cannot both get it). Raises NotFound."""
    now = utcnow()
    taken = _set_lease(event_id, now + PREPARING_LEASE, or_(
        Event.followups_preparing_until.is_(None), Event.followups_preparing_until < now))
    if not taken and db.session.get(Event, event_id) is None:
        raise NotFound(_("No such event."))
    return taken


def _release_lease(event_id: int) -> None:
    _set_lease(event_id, None)


def _set_lease(event_id: int, until: Any, *only_if: Any) -> bool:
    """Set the event's lease to ``until`` (None: free), ``only_if`` it meets these
    conditions; whether it did."""
    with write_transaction() as session:
        return bool(session.execute(
            update(Event).where(Event.id == event_id, *only_if)
            .values(followups_preparing_until=until)).rowcount)


def is_preparing(event_id: int) -> bool:
    """Whether a run (``start_followups``, ``send_followups``) is under way."""
    until = db.session.scalar(select(Event.followups_preparing_until)
                              .where(Event.id == event_id))
    return until is not None and until > utcnow()


def _queue_and_deliver(event_id: int, report: SendProgress) -> SendResult:
    """Queue the event's follow-ups and deliver them, or hand them over. Raises NotFound.

    With a broker each committed batch goes to the Celery workers at once. Without one
    (``MAIL_SYNC``, the default) a process spawned for it delivers each committed batch
    while this one renders the next (a thread would only fight the rendering for the GIL),
    and this returns once all were tried. With ``MAIL_SYNC`` off they are only queued, for
    ``eventnet outbox work``.
    """
    from flask import current_app

    def queue(**kwargs: Any) -> QueueResult:
        return queue_followups(event_id, on_plan=report.planned, progress=report.queued,
                               **kwargs)

    if current_app.config.get("BROKER_URL") or not current_app.config.get("MAIL_SYNC", True):
        on_batch = dispatch if current_app.config.get("BROKER_URL") else None
        result = queue(on_batch=on_batch)
        report.queueing_done(result, delivering_here=False)
        return SendResult(result)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with DeliveryProcess(app) as delivery:
        result = queue(on_batch=delivery.put)
        report.queueing_done(result, delivering_here=True)
        for count in delivery.finish():
            report.delivered(count)
    return SendResult(result, delivery.complete(result.message_ids))


def retry_followups(event_id: int) -> int:
    """Queue the event's failed follow-ups again (and those unconfirmed after their last
    attempt) and start delivering them without holding up the caller; returns how many."""
    count = retry_failed(event_id, kind=KIND)
    dispatch(due_ids(event_id), background=True)
    return count


def is_running(event: Event) -> bool:
    """Whether the event is not over yet (its ``ends_at``, else ``starts_at``, is ahead):
    meetings still to come would miss the one follow-up each attendee gets."""
    ends_at = event.ends_at or event.starts_at
    return ends_at is not None and utcnow() < ends_at


def send_summary(event: Event) -> dict[str, Any]:
    """What "Send follow-ups" would do now, for the organizer to confirm: how many get
    theirs, how many got one already, how many are skipped and why, and whether the event
    is still running (see ``is_running``)."""
    state = progress(event.id)
    return {
        "due": state["not_queued"], "already": len(queued_attendees(event.id)),
        "skipped": state["skipped"], "skipped_total": state["skipped_total"],
        "preparing": state["preparing"], "ends_at": event.ends_at or event.starts_at,
        "is_running": is_running(event),
    }


def progress(event_id: int) -> dict[str, Any]:
    """Where the event's follow-ups stand: counts by state, skips by reason, failures."""
    counts = dict(db.session.execute(
        select(OutboundEmail.status, func.count()).where(
            OutboundEmail.event_id == event_id, OutboundEmail.kind == KIND)
        .group_by(OutboundEmail.status)).all())
    queued_ids = queued_attendees(event_id)
    met = set(db.session.scalars(union(
        select(Scan.scanner_id).where(Scan.event_id == event_id),
        select(Scan.scanned_id).where(Scan.event_id == event_id))))
    skipped: Counter[str] = Counter()
    waiting = 0
    for attendee_id, row in load_recipients(event_id).items():
        if attendee_id in queued_ids:
            continue
        reason = skip_reason(row, attendee_id in met)
        if reason is None:
            waiting += 1
        else:
            skipped[reason] += 1
    failures = [
        {"attendee_id": r.attendee_id, "to": r.to_address, "status": r.status,
         "error": r.last_error, "attempts": r.attempts}
        for r in db.session.execute(
            select(OutboundEmail.attendee_id, OutboundEmail.to_address, OutboundEmail.status,
                   OutboundEmail.last_error, OutboundEmail.attempts)
            .where(OutboundEmail.event_id == event_id, OutboundEmail.kind == KIND,
                   or_(OutboundEmail.status.in_([FAILED, UNCONFIRMED]),
                       and_(OutboundEmail.status == QUEUED, OutboundEmail.attempts > 0)))
            .order_by(OutboundEmail.id).limit(200))
    ]
    in_flight = counts.get(QUEUED, 0) + counts.get(SENDING, 0)
    preparing = is_preparing(event_id)
    return {
        "sent": counts.get(SENT, 0), "failed": counts.get(FAILED, 0),
        "queued": in_flight, "unconfirmed": counts.get(UNCONFIRMED, 0),
        "cancelled": counts.get(CANCELLED, 0), "skipped": dict(skipped),
        "skipped_total": sum(skipped.values()), "not_queued": waiting,
        "retrying": [f for f in failures if f["status"] == QUEUED],
        "failures": failures, "preparing": preparing,
        "is_done": not preparing and bool(queued_ids) and in_flight == 0,
    }
