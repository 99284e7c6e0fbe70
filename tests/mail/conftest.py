"""Fixtures for delivery tests: a slow SMTP server and real worker subprocesses."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import SMTPSink, free_port

#: the Redis of the tests that need a broker (they are skipped without it)
REDIS_URL = os.environ.get("EVENTNET_TEST_REDIS_URL")


class SlowSink(SMTPSink):
    """An SMTP sink that takes a while per message, so a worker can be killed mid-run."""

    delay: float = 0.05

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        # Shielded: aiosmtpd cancels the handler when the client goes away, but a real
        # server has the message once it has the final dot, answer sent or not.
        return await asyncio.shield(self._slow_accept(server, session, envelope))

    async def _slow_accept(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp() -> Iterator[SlowSink]:
    sink = SlowSink("127.0.0.1", free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    yield sink
    controller.stop()


def worker_env(app: Any, smtp: SMTPSink, **extra: str) -> dict[str, str]:
    """Environment for an `eventnet` subprocess sharing the test app's database."""
    env = dict(os.environ)
    env.update({
        "EVENTNET_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "EVENTNET_SECRET_KEY": app.config["SECRET_KEY"],
        "EVENTNET_BASE_URL": app.config["EVENTNET_BASE_URL"],
        "EVENTNET_MAIL_BACKEND": "smtp",
        "EVENTNET_SMTP_HOST": smtp.host,
        "EVENTNET_SMTP_PORT": str(smtp.port),
        "EVENTNET_INSTANCE_PATH": app.instance_path,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    })
    env.pop("EVENTNET_BROKER_URL", None)
    env.update(extra)
    return env


@contextmanager
def celery_worker(app: Any, smtp: SMTPSink, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery worker` on a queue of its own, and the app pointed at it."""
    queue = f"eventnet-test-{uuid.uuid4().hex[:8]}"  # colleagues share this Redis
    env = worker_env(app, smtp, EVENTNET_BROKER_URL=str(REDIS_URL),
                     EVENTNET_CELERY_QUEUE=queue)
    celery = Path(sys.executable).with_name("celery")
    log = (tmp_path / "celery.log").open("wb")
    worker = subprocess.Popen(
        [str(celery), "-A", "eventnet.mail.tasks", "worker", "--pool", "solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "WARNING"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        app.config.update(BROKER_URL=REDIS_URL, CELERY_QUEUE=queue)
        yield worker
    finally:
        app.config.update(BROKER_URL=None)
        worker.terminate()
        worker.wait(timeout=30)
        log.close()


def eventnet_command(*args: str) -> list[str]:
    """The `eventnet` console script of this virtualenv."""
    script = Path(sys.executable).with_name("eventnet")
    return [str(script), *args]
