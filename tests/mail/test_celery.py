"""Delivery on Celery with the real Redis broker and a real `celery worker` process."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from eventnet.services import followup_sending
from eventnet.services.scans import record_scan
from tests.mail.conftest import REDIS_URL, celery_worker

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="EVENTNET_TEST_REDIS_URL is not set")


def _five_who_met(make_event: Any, make_attendee: Any) -> Any:
    event = make_event(name="Celery Night")
    people = [make_attendee(event, f"C {i}", f"c{i}@example.org") for i in range(5)]
    for left, right in zip(people, people[1:], strict=False):
        record_scan(left.id, right.id)
    return event


def _wait_for_five(worker: Any, smtp: Any, tmp_path: Path) -> None:
    deadline = time.monotonic() + 60
    while len(smtp.messages) < 5 and time.monotonic() < deadline:
        assert worker.poll() is None, (tmp_path / "celery.log").read_text()
        time.sleep(0.1)
    time.sleep(0.5)
    assert sorted(str(m["To"]) for m in smtp.messages) == [
        f"c{i}@example.org" for i in range(5)]


def test_followups_are_delivered_by_a_celery_worker(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any, tmp_path: Path) -> None:
    with celery_worker(app, smtp, tmp_path) as worker:
        event = _five_who_met(make_event, make_attendee)
        first = followup_sending.send_followups(event.id)
        second = followup_sending.send_followups(event.id)
        assert first.queue.queued == 5 and second.queue.queued == 0
        _wait_for_five(worker, smtp, tmp_path)
        from eventnet.extensions import db

        # The server has the five; the worker records "sent" once it has the answers: wait
        # for that, a loaded machine may take a moment between the two.
        deadline = time.monotonic() + 60
        while followup_sending.progress(event.id)["sent"] < 5 and time.monotonic() < deadline:
            db.session.remove()
            time.sleep(0.1)
        db.session.remove()
        assert followup_sending.progress(event.id)["sent"] == 5


def test_send_from_the_page_is_prepared_by_a_celery_worker(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any, tmp_path: Path) -> None:
    """With a broker, "Send follow-ups" hands the whole run (engine included) to a worker."""
    with celery_worker(app, smtp, tmp_path) as worker:
        event = _five_who_met(make_event, make_attendee)
        assert followup_sending.start_followups(event.id)
        assert not followup_sending.start_followups(event.id)  # under way: no second run
        _wait_for_five(worker, smtp, tmp_path)
        from eventnet.extensions import db

        deadline = time.monotonic() + 30
        while followup_sending.is_preparing(event.id) and time.monotonic() < deadline:
            db.session.rollback()
            time.sleep(0.1)
        assert not followup_sending.is_preparing(event.id)


def test_a_broker_that_is_down_is_a_clear_error_and_holds_nothing(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any) -> None:
    """Nothing listens on port 1: the page says so (503), and the event is not left marked
    as being prepared; mail already queued by a page stays queued for the beat."""
    from eventnet.services.errors import Unavailable

    app.config.update(BROKER_URL="redis://127.0.0.1:1/0")
    try:
        event = _five_who_met(make_event, make_attendee)
        started = time.monotonic()
        with pytest.raises(Unavailable):
            followup_sending.start_followups(event.id)
        assert time.monotonic() - started < 30
        assert not followup_sending.is_preparing(event.id)
        result = followup_sending.send_followups(event.id)  # queues, hands over, does not raise
        assert result.queue.queued == 5 and followup_sending.progress(event.id)["queued"] == 5
    finally:
        app.config.update(BROKER_URL=None)


def test_a_worker_that_starts_sends_what_was_queued_before(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any, tmp_path: Path,
        monkeypatch: Any) -> None:
    """Mail queued while no worker ran goes out when one starts, with no beat and no
    person running `deliver_due`."""
    from eventnet.services import followup_mail

    monkeypatch.setitem(app.config, "MAIL_SYNC", False)  # queued only: nobody delivers
    event = _five_who_met(make_event, make_attendee)
    assert followup_mail.queue_followups(event.id).queued == 5
    assert not smtp.messages
    with celery_worker(app, smtp, tmp_path) as worker:
        _wait_for_five(worker, smtp, tmp_path)


def test_a_celery_worker_runs_the_introductions_upkeep_registered_by_services(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any, tmp_path: Path) -> None:
    """The use cases' tasks live in services (``eventnet.services.tasks``); a worker started
    on mail's Celery app (``-A eventnet.mail.tasks``) still finds and runs them."""
    from datetime import timedelta

    from eventnet.database import write_transaction
    from eventnet.mail.tasks import configure
    from eventnet.models import Introduction, utcnow
    from eventnet.services.tasks import maintain_introductions_task

    event = make_event(name="Celery Intros")
    alice = make_attendee(event, "Alice", "alice@example.org")
    bruno = make_attendee(event, "Bruno", "bruno@example.org")
    asked = utcnow() - timedelta(days=8)  # a request a week old: its reminder is due
    with write_transaction() as session:
        session.add(Introduction(event_id=event.id, requester_id=alice.id,
                                 recipient_id=bruno.id, status="requested",
                                 requested_at=asked, expires_at=asked + timedelta(days=14)))
    with celery_worker(app, smtp, tmp_path) as worker:
        configure(app.config)
        maintain_introductions_task.delay()
        deadline = time.monotonic() + 60
        while not smtp.to("bruno@example.org") and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "celery.log").read_text()
            time.sleep(0.1)
    [reminder] = smtp.to("bruno@example.org")
    assert "Alice" in reminder.get_body(("plain",)).get_content()
    assert not smtp.to("alice@example.org")
