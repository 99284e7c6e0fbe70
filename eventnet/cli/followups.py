"""``eventnet followups`` and ``eventnet introductions``: preview, export and send follow-ups."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from eventnet.cli import ServiceCommand, counted
from eventnet.mail.worker import DeliveryProcess, dispatch
from eventnet.services import followup_mail, followups, intros
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
    """Queue every attendee's follow-up (at most once each) and deliver them."""
    event = get_event(slug)
    if dry_run:
        _report(followup_mail.queue_followups(event.id, dry_run=True), dry_run=True)
        return
    if current_app.config.get("BROKER_URL") or not current_app.config.get("MAIL_SYNC", True):
        with _Progress("Queueing follow-ups") as bar:
            result = followup_mail.queue_followups(event.id, on_plan=bar.start,
                                                   progress=bar.update, on_batch=dispatch)
        _report(result, dry_run=False)
        click.echo("Handed to the delivery workers (`eventnet outbox work` or Celery).")
        return
    # A process of its own delivers each committed batch while the next ones are rendered.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with DeliveryProcess(app) as delivery:
        with _Progress("Rendering and queueing") as bar:
            result = followup_mail.queue_followups(event.id, on_plan=bar.start,
                                                   progress=bar.update, on_batch=delivery.put)
        _report(result, dry_run=False)
        with click.progressbar(length=len(result.message_ids), label="Delivering",
                               file=sys.stderr) as bar:
            for done in delivery.finish():
                bar.update(done)
    totals = delivery.complete(result.message_ids)
    click.echo(f"sent {totals.sent}, will retry {totals.retried}, failed {totals.failed}.")


class _Progress:
    """A progress bar that appears once its length is known (after the matching engine).

    Counting first with a dry run would run the engine over the whole event twice.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None

    def start(self, length: int) -> None:
        self._bar = click.progressbar(length=length, label=self.label, file=sys.stderr)
        self._bar.__enter__()

    def update(self, done: int) -> None:
        if self._bar is not None:
            self._bar.update(done)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


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
