"""Exactly once under a double click and a worker killed mid-send and restarted."""

from __future__ import annotations

import signal
import subprocess
import time
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


def test_killed_worker_restarted_sends_one_per_attendee(
        app: Any, make_event: Any, make_attendee: Any, slow_smtp: Any) -> None:
    app.config["MAIL_SYNC"] = False  # nothing is delivered in this process
    event = _event_where_everyone_met(make_event, make_attendee)
    followup_mail.queue_followups(event.id)
    followup_mail.queue_followups(event.id)  # the double click queues nothing
    assert db.session.scalar(select(func.count(OutboundEmail.id))) == PEOPLE
    db.session.remove()
    env = worker_env(app, slow_smtp, EVENTNET_OUTBOX_CLAIM_SECONDS="1",
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
    time.sleep(1.2)  # the killed worker's claim lapses
    restarted = subprocess.run(eventnet_command("outbox", "work"), env=env,
                               capture_output=True, text=True, timeout=120)
    assert restarted.returncode == 0, restarted.stderr
    received = sorted(str(m["To"]) for m in slow_smtp.messages)
    assert received == sorted(f"p{i}@example.org" for i in range(PEOPLE))
    statuses = dict(db.session.execute(
        select(OutboundEmail.status, func.count()).group_by(OutboundEmail.status)).all())
    # The batch in flight at the kill (if any) is "unconfirmed", never sent again.
    assert statuses.get("sent", 0) + statuses.get("unconfirmed", 0) == PEOPLE
    assert statuses.get("unconfirmed", 0) <= BATCH
