"""No mail lost under a double click and a worker killed mid-send and restarted: each
message arrives, at most the batch in flight at the kill twice, with one Message-ID."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import OutboundEmail
from eventnet.services import followup_mail
from eventnet.services.scans import record_scan
from tests.mail.conftest import eventnet_command, worker_env

PEOPLE = 24
BATCH = 4  # SMTP connections of the worker: messages sent per commit


def _event_where_everyone_met(make_event: Any, make_attendee: Any) -> Any:
    event = make_event(name="Crash Test")
    people = [make_attendee(event, f"Person {i}", f"p{i}@example.org") for i in range(PEOPLE)]
    for left, right in zip(people, people[1:] + people[:1], strict=True):
        record_scan(left.id, right.id)
    return event


def test_killed_worker_restarted_loses_nothing(
        app: Any, make_event: Any, make_attendee: Any, slow_smtp: Any) -> None:
    app.config["MAIL_SYNC"] = False  # nothing is delivered in this process
    event = _event_where_everyone_met(make_event, make_attendee)
    followup_mail.queue_followups(event.id)
    followup_mail.queue_followups(event.id)  # the double click queues nothing
    assert db.session.scalar(select(func.count(OutboundEmail.id))) == PEOPLE
    db.session.remove()
    env = worker_env(app, slow_smtp, EVENTNET_OUTBOX_CLAIM_SECONDS="1",
                     EVENTNET_OUTBOX_RESEND_UNCONFIRMED_SECONDS="0",
                     EVENTNET_SMTP_CONNECTIONS=str(BATCH))
    worker = subprocess.Popen(eventnet_command("outbox", "work"), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(slow_smtp.messages) < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=30)
    at_kill = len(slow_smtp.messages)
    assert 0 < at_kill < PEOPLE, "the worker should have been killed mid-run"
    # Restarted until everything is sent: the killed worker's claim lapses after a second,
    # the batch it had in flight (if any) is then unconfirmed and sent again at once.
    deadline = time.monotonic() + 120
    while True:
        restarted = subprocess.run(eventnet_command("outbox", "work"), env=env,
                                   capture_output=True, text=True, timeout=120)
        assert restarted.returncode == 0, restarted.stderr
        db.session.rollback()
        statuses = dict(db.session.execute(
            select(OutboundEmail.status, func.count()).group_by(OutboundEmail.status)).all())
        if statuses == {"sent": PEOPLE}:
            break
        assert time.monotonic() < deadline, statuses
        time.sleep(0.1)
    received = Counter(str(m["To"]) for m in slow_smtp.messages)
    assert set(received) == {f"p{i}@example.org" for i in range(PEOPLE)}
    # Twice at most for the batch in flight at the kill, with the same Message-ID.
    twice = {to for to, n in received.items() if n > 1}
    assert len(twice) <= BATCH and max(received.values()) <= 2
    for to in twice:
        assert len({str(m["Message-ID"]) for m in slow_smtp.messages
                    if str(m["To"]) == to}) == 1
