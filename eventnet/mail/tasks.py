"""Delivery on Celery, used when ``EVENTNET_BROKER_URL`` is set (Redis as the broker).

Start workers with ``celery -A eventnet.mail.tasks worker``; each task opens the app,
claims the message (so two workers never send the same one) and delivers it.
"""

from __future__ import annotations

import os

from celery import Celery

celery_app = Celery(
    "eventnet",
    broker=os.environ.get("EVENTNET_BROKER_URL", "memory://"),
)
celery_app.conf.update(
    task_acks_late=False,  # the outbox claim, not the broker, guarantees at-most-once
    worker_prefetch_multiplier=4,
    broker_connection_retry_on_startup=True,
)

_flask_app = None


def _app():  # type: ignore[no-untyped-def]
    global _flask_app
    if _flask_app is None:
        from eventnet import create_app

        _flask_app = create_app()
    return _flask_app


@celery_app.task(name="eventnet.deliver")
def deliver_task(message_id: int) -> int:
    """Deliver one outbox message; returns how many were sent (0 or 1)."""
    from eventnet.mail.worker import deliver_due

    with _app().app_context():
        return deliver_due(ids=[message_id]).sent


@celery_app.task(name="eventnet.deliver_due")
def deliver_due_task(limit: int = 200) -> int:
    """Deliver whatever is due (retries, leftovers); returns how many were sent."""
    from eventnet.mail.worker import deliver_due

    with _app().app_context():
        return deliver_due(limit=limit).sent
