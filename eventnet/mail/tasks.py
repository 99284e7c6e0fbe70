"""Delivery on Celery, used when ``EVENTNET_BROKER_URL`` is set (Redis as the broker).

Run on each machine that should deliver mail (see docs/followups.md)::

    celery -A eventnet.mail.tasks worker --beat --concurrency 2

Each task opens the app and claims its messages in the database, so several workers on
several machines never send the same message twice; the broker only carries ids. For the
same reason the periodic tasks (retries, leftovers, reminders) are safe to schedule from
several embedded beats (``--beat``) at once, or from one ``celery beat`` anywhere. A worker
that starts delivers what is due at once, beat or no beat.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from celery import Celery
from celery.signals import worker_ready

DEFAULT_QUEUE = "eventnet"
#: seconds between two passes of the periodic tasks (retries with backoff, leftovers)
DELIVER_DUE_EVERY = float(os.environ.get("EVENTNET_DELIVER_DUE_EVERY", "30"))
MAINTAIN_EVERY = float(os.environ.get("EVENTNET_MAINTAIN_EVERY", "600"))

celery_app = Celery("eventnet")
celery_app.conf.update(
    broker_url=os.environ.get("EVENTNET_BROKER_URL", "memory://"),
    task_default_queue=os.environ.get("EVENTNET_CELERY_QUEUE", DEFAULT_QUEUE),
    task_acks_late=False,  # the outbox claim, not the broker, guarantees at-most-once
    worker_prefetch_multiplier=4,
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
    beat_schedule={
        "deliver-due": {"task": "eventnet.deliver_due", "schedule": DELIVER_DUE_EVERY},
        "maintain-introductions": {"task": "eventnet.maintain_introductions",
                                   "schedule": MAINTAIN_EVERY},
        "purge-mail": {"task": "eventnet.purge_mail", "schedule": MAINTAIN_EVERY},
    },
)

_flask_app = None


def configure(config: Mapping[str, Any]) -> None:
    """Point the producer side at the Flask app's broker and queue."""
    broker = config.get("BROKER_URL")
    queue = config.get("CELERY_QUEUE") or DEFAULT_QUEUE
    if broker and celery_app.conf.broker_url != broker:
        celery_app.conf.broker_url = broker
        # Celery keeps its producers' connection pool (to the old broker) until these
        # caches are dropped; a real process sets its broker once, tests change it.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
    if celery_app.conf.task_default_queue != queue:
        celery_app.conf.task_default_queue = queue


def _app():  # type: ignore[no-untyped-def]
    global _flask_app
    if _flask_app is None:
        from eventnet import create_app

        _flask_app = create_app()
    return _flask_app


@celery_app.task(name="eventnet.deliver")
def deliver_task(message_id: int) -> int:
    """Deliver one outbox message; returns how many were sent (0 or 1)."""
    return deliver_batch_task([message_id])


@celery_app.task(name="eventnet.deliver_batch")
def deliver_batch_task(message_ids: list[int]) -> int:
    """Deliver these outbox messages (those still queued); returns how many were sent."""
    from eventnet.extensions import db
    from eventnet.mail.worker import deliver_due

    with _app().app_context():
        try:
            return deliver_due(ids=list(message_ids)).sent
        finally:
            db.session.remove()


@celery_app.task(name="eventnet.send_followups")
def send_followups_task(event_id: int) -> None:
    """Prepare and queue an event's follow-ups (the organizer pressed "Send"); each
    committed batch goes on to the delivery tasks."""
    from eventnet.extensions import db
    from eventnet.services.followup_sending import run_followups

    with _app().app_context():
        try:
            run_followups(event_id)
        finally:
            db.session.remove()


@celery_app.task(name="eventnet.deliver_due")
def deliver_due_task(limit: int = 200) -> int:
    """Deliver whatever is due (retries, leftovers); returns how many were sent."""
    from eventnet.extensions import db
    from eventnet.mail.worker import deliver_due

    with _app().app_context():
        try:
            return deliver_due(limit=limit).sent
        finally:
            db.session.remove()


@worker_ready.connect
def deliver_due_on_start(sender: Any = None, **_kwargs: Any) -> None:
    """A worker that starts sends what is due: mail queued while no worker (or no beat) ran
    must not wait for a person to run ``deliver_due``."""
    deliver_due_task.delay()


@celery_app.task(name="eventnet.maintain_introductions")
def maintain_introductions_task() -> int:
    """Send due reminders and expire old introduction requests; returns how many changed."""
    from eventnet.extensions import db
    from eventnet.services.intros import maintain

    with _app().app_context():
        try:
            result = maintain()
            return result.reminded + result.expired
        finally:
            db.session.remove()


@celery_app.task(name="eventnet.purge_mail")
def purge_mail_task() -> int:
    """Delete the bodies and files of mail past its retention; returns how many bodies."""
    from eventnet.extensions import db
    from eventnet.mail.retention import purge_expired

    with _app().app_context():
        try:
            return purge_expired().bodies
        finally:
            db.session.remove()
