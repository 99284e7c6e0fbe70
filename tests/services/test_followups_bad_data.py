"""One attendee whose follow-up cannot be rendered does not stop the event's follow-ups."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Connection, OutboundEmail, Scan
from eventnet.services import followup_mail
from tests.followup_data import small_event


@pytest.fixture
def ev(make_event: Any, make_attendee: Any) -> Any:
    event = small_event(make_event, make_attendee)
    # A tag with a lone surrogate, as the API stored it before such text was refused: it
    # shows in Ada's follow-up (her own tags on Bob), which then cannot be encoded.
    with write_transaction() as session:
        session.execute(update(Scan).where(Scan.scanner_id == event.ada.id,
                                           Scan.scanned_id == event.bob.id)
                        .values(tags=["\ud800"]))
        session.execute(update(Connection).where(Connection.a_id == event.ada.id,
                                                 Connection.b_id == event.bob.id)
                        .values(a_tags=["\ud800"]))
    return event


def _recipients() -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(select(OutboundEmail.to_address)))


def test_an_unrenderable_attendee_is_skipped_and_reported(app: Any, ev: Any,
                                                          caplog: Any) -> None:
    app.config["MAIL_SYNC"] = False
    result = followup_mail.queue_followups(ev.event.id)
    assert result.unrenderable == [ev.ada.id]
    assert result.skipped == {"no_one_met": 1, "unrenderable": 1} and result.queued == 3
    assert _recipients() == {"bob@example.org", "cy@example.org", "dee@example.org"}
    assert f"attendee {ev.ada.id}" in caplog.text
    # once her data is mended, sending again queues her and only her
    with write_transaction() as session:
        session.execute(update(Scan).values(tags=["mended"]))
        session.execute(update(Connection).values(a_tags=["mended"]))
    again = followup_mail.queue_followups(ev.event.id)
    assert again.queued == 1 and again.already_queued == 3 and not again.unrenderable


def test_the_send_command_reports_the_skipped_attendee(app: Any, ev: Any, runner: Any) -> None:
    app.config["MAIL_SYNC"] = False
    result = runner.invoke(args=["followups", "send", ev.event.slug], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "3 follow-ups queued" in result.stdout and "1 unrenderable" in result.stdout
    assert f"attendee {ev.ada.id} " in result.stderr
    assert len(_recipients()) == 3
