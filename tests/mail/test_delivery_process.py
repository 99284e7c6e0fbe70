"""`followups send` delivers from a spawned process while it renders the next batches."""

from __future__ import annotations

import os
from typing import Any

from eventnet.mail.worker import DeliveryProcess, deliver_due
from eventnet.services import followup_mail
from tests.followup_data import small_event


def test_a_spawned_process_delivers_the_batches_it_is_handed(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any) -> None:
    ev = small_event(make_event, make_attendee)
    delivery = DeliveryProcess(app)
    try:
        assert delivery._process.pid != os.getpid()
        result = followup_mail.queue_followups(ev.event.id, on_batch=delivery.put)
        assert list(delivery.finish()) == [4]
    finally:
        delivery.stop()
    assert delivery.stats.sent == 4 and len(smtp.messages) == 4  # sent over there
    assert deliver_due(ids=result.message_ids).sent == 0  # nothing left, none twice


def test_what_a_dead_delivery_process_left_is_delivered_by_the_caller(
        app: Any, make_event: Any, make_attendee: Any, smtp: Any) -> None:
    ev = small_event(make_event, make_attendee)
    delivery = DeliveryProcess(app)
    delivery.stop()  # killed before it could send anything
    result = followup_mail.queue_followups(ev.event.id, on_batch=delivery.put)
    assert list(delivery.finish()) == [] and delivery.stats.sent == 0
    assert deliver_due(ids=result.message_ids).sent == 4 and len(smtp.messages) == 4
