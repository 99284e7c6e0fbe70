"""The use cases' Celery tasks, registered on the Celery app of ``eventnet.mail.tasks``.

Used only with a broker (``EVENTNET_BROKER_URL``; Celery is the ``scale`` extra), so the
services import this module when they hand work over, never at start-up. A worker
(``celery -A eventnet.mail.tasks worker``) imports it when it starts (``TASK_MODULES``
there); each task runs inside the Flask app (``AppTask``). The names are the ones queued
messages and the beat schedule carry: keep them.
"""

from __future__ import annotations

from eventnet.mail.tasks import celery_app
from eventnet.services import followup_sending, intros


@celery_app.task(name="eventnet.send_followups")
def send_followups_task(event_id: int) -> None:
    """The follow-up run a page started (its lease already taken): queue them, each
    committed batch going on to the delivery tasks."""
    followup_sending.run_followups(event_id)


@celery_app.task(name="eventnet.maintain_introductions")
def maintain_introductions_task() -> int:
    """Send due reminders and expire old introduction requests; returns how many changed."""
    result = intros.maintain()
    return result.reminded + result.expired
