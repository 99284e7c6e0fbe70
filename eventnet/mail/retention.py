"""How long sent mail is kept: bodies and ``.eml`` files go after ``MAIL_RETENTION_DAYS``.

A message's body is needed until it is delivered (or given up on); after that it is only a
copy of personal data (the follow-up of someone lists the people they met). Once a message
is done with (sent, failed, cancelled, or unconfirmed after its last attempt) for longer
than the retention, its body is deleted and its log row stays (recipient, subject, status,
dates), and so are the ``.eml`` files of the file transport older than that. The purge runs
without a person: in ``eventnet outbox work --loop`` and the Celery beat, every ten
minutes, and on demand with ``eventnet outbox purge``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, delete, or_, select

from eventnet.database import write_transaction
from eventnet.mail.transports import FILE_DIRECTORY, eml_path
from eventnet.mail.worker import MAX_ATTEMPTS
from eventnet.models import OutboundEmail, OutboundEmailBody, utcnow
from eventnet.models.outbox import CANCELLED, FAILED, SENT, UNCONFIRMED

#: default days a message's body is kept once it is done with
RETENTION_DAYS = 3


@dataclass
class Purged:
    """What one purge deleted."""

    bodies: int = 0
    files: int = 0


def retention() -> timedelta:
    """How long the body of a message that is done with is kept."""
    days = current_app.config.get("MAIL_RETENTION_DAYS")
    return timedelta(days=RETENTION_DAYS if days is None else float(days))


def file_directory() -> Path:
    """Where the file transport writes its ``.eml`` files."""
    return Path(current_app.instance_path) / FILE_DIRECTORY


def purge_expired(now: datetime | None = None) -> Purged:
    """Delete the bodies and ``.eml`` files of mail done with for longer than the retention."""
    now = now or utcnow()
    cutoff = now - retention()
    done = or_(
        and_(OutboundEmail.status == SENT, OutboundEmail.sent_at < cutoff),
        and_(OutboundEmail.status.in_([FAILED, CANCELLED]),
             OutboundEmail.next_attempt_at < cutoff),
        and_(OutboundEmail.status == UNCONFIRMED, OutboundEmail.attempts >= MAX_ATTEMPTS,
             OutboundEmail.next_attempt_at < cutoff))
    with write_transaction() as session:
        expired = select(OutboundEmail.id).where(done)
        result = session.execute(
            delete(OutboundEmailBody).where(OutboundEmailBody.email_id.in_(expired))
            .execution_options(synchronize_session=False))
        bodies = int(result.rowcount or 0)
    return Purged(bodies=bodies, files=_purge_files(cutoff.timestamp()))


def _purge_files(before: float) -> int:
    directory = file_directory()
    if not directory.is_dir():
        return 0
    removed = 0
    with os.scandir(directory) as entries:
        for entry in entries:
            if not entry.name.endswith((".eml", ".tmp")):
                continue
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < before:
                    os.unlink(entry.path)
                    removed += 1
    return removed


def forget_files(message_ids: Iterable[str]) -> int:
    """Delete the ``.eml`` files written for these Message-IDs; returns how many."""
    directory = file_directory()
    removed = 0
    for message_id in message_ids:
        path = eml_path(directory, message_id)
        for candidate in (path, path.with_suffix(".tmp")):
            with contextlib.suppress(FileNotFoundError):
                candidate.unlink()
                removed += candidate.suffix == ".eml"
    return removed
