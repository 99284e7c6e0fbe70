"""``eventnet followups`` and ``eventnet introductions``: preview, export and send follow-ups."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from eventnet.cli import ServiceCommand, counted
from eventnet.services import followup_mail, followup_sending, followups, intros
from eventnet.services.events import get_event

group = AppGroup("followups", help="Preview, export and send the post-event follow-ups.")
intro_group = AppGroup("introductions", help="Double opt-in introductions.")


@group.command("preview", cls=ServiceCommand)
@click.argument("slug")
@click.option("--attendee", "email", required=True, help="The attendee's email.")
@click.option("--format", "fmt", default="text", show_default=True,
              type=click.Choice(["text", "json"]),
              help="text: the email as it will be sent; json: the export record.")
def preview(slug: str, email: str, fmt: str) -> None:
    """Show one attendee's follow-up."""
    event = get_event(slug)
    attendee = followups.find_attendee(event, email)
    if fmt == "json":
        click.echo(json.dumps(followups.preview(event, attendee), ensure_ascii=False, indent=2))
        return
    mail = followup_mail.preview_email(event, attendee.id)
    if mail["skip"]:
        click.echo(f"Not sent to this attendee: {mail['skip'].replace('_', ' ')}.", err=True)
    click.echo(f"From: {mail['from']}\nTo: {mail['to']}\nSubject: {mail['subject']}\n")
    click.echo(mail["text"])


@group.command("export", cls=ServiceCommand)
@click.argument("slug")
@click.option("--format", "fmt", default="json", show_default=True, type=click.Choice(["json"]))
def export(slug: str, fmt: str) -> None:
    """Write every attendee's follow-up as JSON to standard output."""
    event = get_event(slug)
    json.dump(followups.export(event), sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


@group.command("send", cls=ServiceCommand)
@click.argument("slug")
@click.option("--dry-run", is_flag=True, help="Count what would be sent; change nothing.")
def send(slug: str, dry_run: bool) -> None:
    """Queue every attendee's follow-up (at most once each) and deliver them.

    One run at a time per event: while one is under way (from the organizer's page or
    another command), this says so and exits with status 1.
    """
    event = get_event(slug)
    if dry_run:
        _report(followup_mail.queue_followups(event.id, dry_run=True), dry_run=True)
        return
    with _Bars() as bars:
        result = followup_sending.send_followups(event.id, bars)
    if result.delivery is None:
        click.echo("Handed to the delivery workers (`eventnet outbox work` or Celery).")
        return
    totals = result.delivery
    click.echo(f"sent {totals.sent}, will retry {totals.retried}, failed {totals.failed}.")


class _Bars(followup_sending.SendProgress):
    """The run's progress as bars on stderr: rendering and queueing, then delivering.

    Each appears once its length is known (the queueing's after the matching engine):
    counting first with a dry run would run the engine over the whole event twice.
    """

    def __init__(self) -> None:
        self._bar: Any = None

    def _start(self, length: int, label: str) -> None:
        self._close()
        self._bar = click.progressbar(length=length, label=label, file=sys.stderr)
        self._bar.__enter__()

    def _close(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*(exc or (None, None, None)))
            self._bar = None

    def planned(self, count: int) -> None:
        self._start(count, "Rendering and queueing")

    def queued(self, count: int) -> None:
        if self._bar is not None:
            self._bar.update(count)

    def queueing_done(self, result: followup_mail.QueueResult, *,
                      delivering_here: bool) -> None:
        self._close()
        _report(result, dry_run=False)
        if delivering_here:
            self._start(len(result.message_ids), "Delivering")

    def delivered(self, count: int) -> None:
        self.queued(count)

    def __enter__(self) -> _Bars:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close(*exc)


def _report(result: followup_mail.QueueResult, *, dry_run: bool) -> None:
    skipped = ", ".join(f"{n} {reason.replace('_', ' ')}"
                        for reason, n in sorted(result.skipped.items())) or "none"
    verb = "would be queued" if dry_run else "queued"
    click.echo(f"{counted(result.queued, 'follow-up')} {verb}, {result.already_queued} already "
               f"queued before; skipped: {skipped}.")
    if result.unrenderable:
        ids = ", ".join(str(i) for i in result.unrenderable)
        who = "attendee" if len(result.unrenderable) == 1 else "attendees"
        click.echo(f"Could not render the follow-up of {who} {ids} (see the log); "
                   "the others were queued.", err=True)


@intro_group.command("maintain", cls=ServiceCommand)
def maintain() -> None:
    """Send due reminders (at most one per request) and expire requests older than 14 days."""
    result = intros.maintain()
    click.echo(f"{counted(result.reminded, 'reminder')} queued, "
               f"{counted(result.expired, 'request')} expired.")


def register(app: Flask) -> None:
    """Attach the groups."""
    app.cli.add_command(group)
    app.cli.add_command(intro_group)
