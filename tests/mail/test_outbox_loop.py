"""`eventnet outbox work --loop` picks up mail that keeps coming without waiting an interval."""

from __future__ import annotations

import subprocess
import time
from typing import Any

from sqlalchemy import func, select

from eventnet.database import write_transaction
from eventnet.mail.compose import Rendered
from eventnet.mail.outbox import queue_email
from tests.mail.conftest import eventnet_command, worker_env


def _queue(address: str) -> None:
    with write_transaction():
        queue_email(kind="test", to=address, from_address="o@example.org",
                    rendered=Rendered("Hi", "Text\n", ""))


def _wait_for(smtp: Any, count: int, seconds: float) -> float:
    start = time.monotonic()
    while len(smtp.messages) < count and time.monotonic() - start < seconds:
        time.sleep(0.02)
    return time.monotonic() - start


def test_a_busy_worker_polls_again_soon(app: Any, smtp: Any) -> None:
    app.config["MAIL_SYNC"] = False
    _queue("first@example.org")
    worker = subprocess.Popen(eventnet_command("outbox", "work", "--loop", "--interval", "60"),
                              env=worker_env(app, smtp), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        _wait_for(smtp, 1, 30)
        assert len(smtp.messages) == 1 and worker.poll() is None
        time.sleep(0.3)  # the worker found nothing more and waits
        _queue("second@example.org")
        # Mail was sent less than an interval ago: the worker looks again within 0.1 s,
        # not after 60 s.
        assert _wait_for(smtp, 2, 20) < 10
        assert sorted(str(m["To"]) for m in smtp.messages) == ["first@example.org",
                                                                "second@example.org"]
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_the_loop_purges_mail_past_its_retention(app: Any, smtp: Any) -> None:
    """Nobody runs `outbox purge`: the running worker deletes old content by itself."""
    from datetime import timedelta

    from sqlalchemy import update

    from eventnet.extensions import db
    from eventnet.mail.worker import deliver_due
    from eventnet.models import OutboundEmail, OutboundEmailBody, utcnow

    _queue("old@example.org")
    assert deliver_due().sent == 1
    with write_transaction() as session:  # sent four days ago
        session.execute(update(OutboundEmail).values(sent_at=utcnow() - timedelta(days=4)))
    worker = subprocess.Popen(eventnet_command("outbox", "work", "--loop", "--interval", "60"),
                              env=worker_env(app, smtp), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while db.session.scalar(select(func.count()).select_from(OutboundEmailBody)):
            assert time.monotonic() < deadline, "the body of old mail is still there"
            assert worker.poll() is None
            db.session.rollback()
            time.sleep(0.1)
        assert db.session.scalar(select(OutboundEmail.status)) == "sent"  # the log stays
    finally:
        worker.terminate()
        worker.wait(timeout=30)
