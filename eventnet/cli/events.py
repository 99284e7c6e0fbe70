"""``eventnet events``: create and list events."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from eventnet.cli import ServiceCommand
from eventnet.services import events as service
from eventnet.services.organizers import get_organizer

group = AppGroup("events", help="Create and list events.")


@group.command("create", cls=ServiceCommand)
@click.argument("slug")
@click.option("--name", required=True, help="The event's name.")
@click.option("--organizer", "organizer_email", required=True,
              help="Email of the organizer who owns it.")
@click.option("--starts-at", default=None, help="ISO 8601 start, e.g. 2026-12-03T18:30.")
@click.option("--ends-at", default=None, help="ISO 8601 end.")
@click.option("--timezone", "tz", default="UTC", show_default=True, help="IANA time zone.")
@click.option("--venue", default="", help="Where it takes place.")
@click.option("--capacity", type=click.IntRange(min=1, max=service.MAX_CAPACITY), default=None,
              help="Seat limit.")
@click.option("--list-size", type=click.IntRange(1, 50), default=10, show_default=True,
              help="People in each follow-up list.")
def create(slug: str, name: str, organizer_email: str, starts_at: str | None,
           ends_at: str | None, tz: str, venue: str, capacity: int | None,
           list_size: int) -> None:
    """Create an event in the organizer's community."""
    organizer = get_organizer(organizer_email)
    service.check_timezone(tz)
    data = service.EventData(
        name=name, venue=venue, timezone=tz, capacity=capacity, followup_list_size=list_size,
        starts_at=service.parse_local_datetime(starts_at, tz) if starts_at else None,
        ends_at=service.parse_local_datetime(ends_at, tz) if ends_at else None,
    )
    event = service.create_event(organizer, slug, data)
    click.echo(f"Created event {event.slug}: {event.name}")


@group.command("list", cls=ServiceCommand)
@click.option("--organizer", "organizer_email", required=True)
def list_events(organizer_email: str) -> None:
    """List an organizer's events."""
    for event in service.events_for(get_organizer(organizer_email)):
        start = event.starts_at.isoformat() if event.starts_at else "-"
        click.echo(f"{event.slug}\t{start}\t{event.name}")


def register(app: Flask) -> None:
    """Attach the group."""
    app.cli.add_command(group)
