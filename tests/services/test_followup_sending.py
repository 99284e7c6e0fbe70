"""One way to send an event's follow-ups: the page, the CLI and Celery all hold the lease."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from eventnet.extensions import db
from eventnet.models import OutboundEmail
from eventnet.services import followup_sending
from tests.followup_data import small_event


@pytest.fixture
def ev(make_event: Any, make_attendee: Any, make_organizer: Any) -> Any:
    return small_event(make_event, make_attendee,
                       organizer=make_organizer("boss@example.org"))


def _queued_rows() -> int:
    db.session.rollback()  # a fresh snapshot: see what the other runs committed
    return int(db.session.scalar(select(func.count()).select_from(OutboundEmail)) or 0)


def test_a_cli_send_while_a_run_holds_the_event_is_refused_and_changes_nothing(
        app: Any, runner: Any, ev: Any, smtp: Any) -> None:
    """A run under way, here as another process (a page's, an app server's) holds it."""
    assert followup_sending._take_lease(ev.event.id)
    refused = runner.invoke(args=["followups", "send", ev.event.slug])
    assert refused.exit_code == 1
    assert "Error: The follow-ups of this event are already being sent" in refused.output
    assert _queued_rows() == 0 and not smtp.messages
    assert followup_sending.is_preparing(ev.event.id)  # the other run's lease is left alone


def test_while_the_cli_sends_a_second_send_from_the_cli_or_the_page_is_refused(
        app: Any, runner: Any, client: Any, auth: Any, ev: Any, smtp: Any,
        monkeypatch: Any) -> None:
    """Two sends at once: the second, started while the first renders, starts nothing."""
    auth.organizer("boss@example.org")
    during: dict[str, Any] = {}
    real = followup_sending.queue_followups

    def queue_then_try_again(event_id: int, **kwargs: Any) -> Any:
        if not during:  # the first run, lease held, about to render: try a second send
            during["cli"] = runner.invoke(args=["followups", "send", ev.event.slug])
            during["page"] = client.post(f"/events/{ev.event.slug}/followups/send",
                                         data={"confirm": "1"}, follow_redirects=True)
            during["preparing"] = followup_sending.is_preparing(event_id)
        return real(event_id, **kwargs)

    monkeypatch.setattr(followup_sending, "queue_followups", queue_then_try_again)
    first = runner.invoke(args=["followups", "send", ev.event.slug])
    assert first.exit_code == 0, first.output
    assert "4 follow-ups queued" in first.output and "sent 4" in first.output
    assert during["preparing"]
    assert during["cli"].exit_code == 1 and "already being sent" in during["cli"].output
    assert b"already being prepared" in during["page"].data
    assert len(smtp.messages) == 4 and _queued_rows() == 4  # each attendee once
    assert not followup_sending.is_preparing(ev.event.id)  # the CLI let go at the end


def test_a_cli_send_that_fails_lets_go_of_the_event(
        app: Any, runner: Any, ev: Any, monkeypatch: Any) -> None:
    def broken(event_id: int, **kwargs: Any) -> Any:
        raise RuntimeError("SMTP server on fire")

    monkeypatch.setattr(followup_sending, "queue_followups", broken)
    failed = runner.invoke(args=["followups", "send", ev.event.slug])
    assert failed.exit_code != 0 and isinstance(failed.exception, RuntimeError)
    assert not followup_sending.is_preparing(ev.event.id)


def test_the_page_and_the_cli_run_the_same_send(
        app: Any, runner: Any, client: Any, auth: Any, ev: Any, monkeypatch: Any) -> None:
    """Both go through ``run_followups`` (the page from a thread, Celery from a worker)."""
    auth.organizer("boss@example.org")
    runs: list[int] = []
    real = followup_sending.run_followups

    def spy(event_id: int, *args: Any) -> Any:
        runs.append(event_id)
        return real(event_id, *args)

    monkeypatch.setattr(followup_sending, "run_followups", spy)
    assert runner.invoke(args=["followups", "send", ev.event.slug]).exit_code == 0
    assert runs == [ev.event.id]
    from eventnet.services.tasks import send_followups_task

    send_followups_task(ev.event.id)  # the Celery task's body, in this process
    assert runs == [ev.event.id] * 2


def test_retry_followups_queues_the_failed_again_and_delivers_them(
        app: Any, ev: Any, smtp: Any) -> None:
    smtp.reject_with = "550"
    delivery = followup_sending.send_followups(ev.event.id).delivery
    assert delivery is not None and delivery.failed == 4
    smtp.reject_with = None
    assert followup_sending.retry_followups(ev.event.id) == 4
    deadline = time.monotonic() + 30  # delivered off the caller, as for the page
    while followup_sending.progress(ev.event.id)["sent"] < 4 and time.monotonic() < deadline:
        db.session.rollback()
        time.sleep(0.05)
    assert followup_sending.progress(ev.event.id)["sent"] == 4 and len(smtp.messages) == 4
