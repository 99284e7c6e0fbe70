"""The Celery app, and delivery on it, used when ``EVENTNET_BROKER_URL`` is set (Redis).

This module is the workers' entry point. Run on each machine that should deliver mail (see
docs/followups.md)::

    celery -A eventnet.mail.tasks worker --beat --concurrency 2

Each task opens the app and claims its messages in the database, so several workers on
several machines never send the same message twice; the broker only carries ids. For the
same reason the periodic tasks (retries, leftovers, reminders) are safe to schedule from
several embedded beats (``--beat``) at once, or from one ``celery beat`` anywhere. A worker
that starts delivers what is due at once, beat or no beat.

Only delivery's tasks are here. A use case's tasks live beside its service and register on
``celery_app`` (``eventnet.services.tasks``: sending the follow-ups, the introductions'
upkeep); ``TASK_MODULES`` names them for the worker, which imports them when it starts.
Nothing here imports ``eventnet.services``, and only ``flask_app`` the app factory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from celery import Celery, Task
from celery.signals import worker_ready
from flask import Flask, has_app_context

from eventnet.extensions import db
from eventnet.mail.retention import purge_expired
from eventnet.mail.worker import deliver_due

DEFAULT_QUEUE = "eventnet"
#: seconds between two passes of the periodic tasks (retries with backoff, leftovers)
DELIVER_DUE_EVERY = float(os.environ.get("EVENTNET_DELIVER_DUE_EVERY", "30"))
MAINTAIN_EVERY = float(os.environ.get("EVENTNET_MAINTAIN_EVERY", "600"))

#: modules whose tasks register on ``celery_app``: a worker imports them when it starts (by
#: name: this module imports no service). A services module with tasks adds itself here.
TASK_MODULES = ("eventnet.services.tasks", "eventnet.services.import_tasks")

_flask_app: Flask | None = None


def flask_app() -> Flask:
    """The Flask app of this worker process, built on first use from the environment."""
    global _flask_app
    if _flask_app is None:
        from eventnet import create_app  # the entry point: the one import of the factory

        _flask_app = create_app()
    return _flask_app


class AppTask(Task[Any, Any]):
    """A task that runs inside the Flask app, its database session removed afterwards; one
    called in a process that is in the app already (a test) runs in that."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return self.run(*args, **kwargs)
        with flask_app().app_context():
            try:
                return self.run(*args, **kwargs)
            finally:
                db.session.remove()


celery_app = Celery("eventnet", task_cls=AppTask)
celery_app.conf.update(
    include=TASK_MODULES,
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


def configure(config: Mapping[str, Any]) -> None:
    """Point the producer side at the Flask app's broker and queue."""
    broker = config.get("BROKER_URL")
    queue = config.get("CELERY_QUEUE") or DEFAULT_QUEUE
    if broker and celery_app.conf.broker_url != broker:
        celery_app.conf.update(broker_url=broker)
        # Celery keeps its producers' connection pool (to the old broker) until these
        # caches are dropped; a real process sets its broker once, tests change it.
        # They are private attributes, which celery-types does not declare.
        celery_app._pool = None  # type: ignore[attr-defined]
        celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]
    if celery_app.conf.task_default_queue != queue:
        celery_app.conf.task_default_queue = queue


@celery_app.task(name="eventnet.deliver")
def deliver_task(message_id: int) -> int:
    """Deliver one outbox message; returns how many were sent (0 or 1)."""
    return int(deliver_batch_task([message_id]))


@celery_app.task(name="eventnet.deliver_batch")
def deliver_batch_task(message_ids: list[int]) -> int:
    """Deliver these outbox messages (those still queued); returns how many were sent."""
    return deliver_due(ids=list(message_ids)).sent


@celery_app.task(name="eventnet.deliver_due")
def deliver_due_task(limit: int = 200) -> int:
    """Deliver whatever is due (retries, leftovers); returns how many were sent."""
    return deliver_due(limit=limit).sent


@worker_ready.connect
def deliver_due_on_start(sender: Any = None, **_kwargs: Any) -> None:
    """A worker that starts sends what is due: mail queued while no worker (or no beat) ran
    must not wait for a person to run ``deliver_due``."""
    deliver_due_task.delay()


@celery_app.task(name="eventnet.purge_mail")
def purge_mail_task() -> int:
    """Delete the bodies and files of mail past its retention; returns how many bodies."""
    return purge_expired().bodies
