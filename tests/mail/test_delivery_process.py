"""`followups send` delivers from a spawned process while it renders the next batches."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from eventnet.mail.transports import FileTransport
from eventnet.mail.worker import DeliveryProcess, DeliveryStats, _serve, deliver_due
from eventnet.services import followup_mail
from tests.followup_data import small_event
from tests.mail.conftest import worker_env


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


_CALLER = textwrap.dedent("""
    import sys, time
    from eventnet import create_app
    from eventnet.mail.worker import DeliveryProcess
    app = create_app()
    delivery = DeliveryProcess(app)
    print(delivery._process.pid, flush=True)
    time.sleep(3600)  # rendering forever, as far as the delivery process knows
""")


def _is_running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")  # a zombie has exited


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_delivery_process_ends_when_its_caller_is_killed(app: Any, smtp: Any) -> None:
    """A SIGKILLed `followups send` leaves no delivery process behind, orphaned."""
    caller = subprocess.Popen([sys.executable, "-c", _CALLER], env=worker_env(app, smtp),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert caller.stdout is not None
        child = int(caller.stdout.readline())
        assert _is_running(child)
    finally:
        caller.send_signal(signal.SIGKILL)
        caller.communicate(timeout=60)
    deadline = time.monotonic() + 60
    while _is_running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _is_running(child), "the delivery process outlived its caller"


def test_a_delivery_loop_whose_parent_is_gone_stops() -> None:
    """Where the kernel cannot be asked (not Linux), the loop notices by itself."""
    handed: queue.Queue[Any] = queue.Queue()
    done: queue.Queue[Any] = queue.Queue()
    transport = FileTransport(tempfile.mkdtemp())
    assert _serve(handed, done, transport, parent_pid=-1) is None  # nobody's child
    handed.put(None)
    assert _serve(handed, done, transport, parent_pid=os.getppid()) == DeliveryStats()
