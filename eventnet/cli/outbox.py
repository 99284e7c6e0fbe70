"""``eventnet outbox``: deliver queued mail."""

from __future__ import annotations

import os
import time

import click
from flask import Flask
from flask.cli import AppGroup

from eventnet.cli import ServiceCommand, counted
from eventnet.services.intros import maintain
from eventnet.services.outbox import Purged, deliver_due, purge_expired, retry_failed

MAINTENANCE_EVERY = 600.0
#: seconds between polls right after mail was sent
BUSY_INTERVAL = 0.1

group = AppGroup("outbox", help="Deliver queued mail.")


@group.command("work", cls=ServiceCommand)
@click.option("--loop", is_flag=True, help="Keep running, polling for new mail.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
              help="Seconds between polls with --loop.")
@click.option("--with-parent", "parent_pid", type=int, default=None, metavar="PID",
              help="Stop when PID, the process that started this one, is gone.")
def work(loop: bool, interval: float, parent_pid: int | None) -> None:
    """Send the messages that are due; once, or forever with --loop.

    With --loop it also runs the introductions' maintenance (reminders, expiry) and the
    purge of mail past its retention every ten minutes, so the embedded setup needs no
    other scheduler. Right after sending mail it polls every 0.1 s, until an interval
    passes without any. With --with-parent (gunicorn.conf.py starts it so) it ends when
    its parent does, also where the kernel cannot be asked to end it (not Linux).
    """
    next_maintenance = 0.0
    last_busy = float("-inf")
    while True:
        if parent_pid is not None and os.getppid() != parent_pid:
            click.echo("the process that started this worker is gone: stopping", err=True)
            return
        if loop and time.monotonic() >= next_maintenance:
            result = maintain()
            if result.reminded or result.expired:
                click.echo(f"introductions: {counted(result.reminded, 'reminder')}, "
                           f"{result.expired} expired")
            _report_purge(purge_expired())
            next_maintenance = time.monotonic() + MAINTENANCE_EVERY
        stats = deliver_due()
        if stats.sent or stats.retried or stats.failed or not loop:
            click.echo(f"sent {stats.sent}, will retry {stats.retried}, failed {stats.failed}")
            last_busy = time.monotonic()
        if not loop:
            return
        # While mail keeps coming (a "send follow-ups" commits a batch every fraction of a
        # second), look again soon instead of letting it pile up for a whole interval.
        busy = time.monotonic() - last_busy < interval
        time.sleep(min(interval, BUSY_INTERVAL) if busy else interval)


@group.command("purge", cls=ServiceCommand)
def purge() -> None:
    """Delete the content of mail done with for longer than EVENTNET_MAIL_RETENTION_DAYS."""
    purged = purge_expired()
    click.echo(f"{counted(purged.bodies, 'message body', 'message bodies')} and "
               f"{counted(purged.files, 'file')} deleted.")


def _report_purge(purged: Purged) -> None:
    if purged.bodies or purged.files:
        click.echo(f"past retention: {counted(purged.bodies, 'message body', 'message bodies')}"
                   f" and {counted(purged.files, 'file')} deleted")


@group.command("retry", cls=ServiceCommand)
def retry() -> None:
    """Queue failed messages again."""
    click.echo(f"{counted(retry_failed(), 'message')} queued again.")


def register(app: Flask) -> None:
    """Attach the group."""
    app.cli.add_command(group)
