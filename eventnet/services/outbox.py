"""The outbox as ``eventnet outbox`` and the follow-ups page use it: deliver what is due,
queue failures again, delete old content.

A small facade over ``eventnet.mail`` (the delivery worker and the retention), so that the
commands and the pages call services and the worker stays mail's own.
"""

from __future__ import annotations

from eventnet.mail import retention, worker
from eventnet.mail.retention import Purged
from eventnet.mail.worker import DeliveryStats

__all__ = ["DeliveryStats", "Purged", "deliver_due", "purge_expired", "retry_failed"]


def deliver_due() -> DeliveryStats:
    """Send the messages that are due (new, retries, what a killed sender left); the counts."""
    return worker.deliver_due()


def retry_failed(event_id: int | None = None, kind: str | None = None) -> int:
    """Queue failed messages again, and those still unconfirmed after their last attempt
    (with their Message-ID); only the event's and of ``kind`` when given. Returns how many;
    a worker (or the caller) delivers them."""
    return worker.retry_failed(event_id, kind=kind)


def purge_expired() -> Purged:
    """Delete the content of mail done with for longer than the retention; the counts."""
    return retention.purge_expired()
