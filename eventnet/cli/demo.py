"""``eventnet demo``: a demo organizer and event to try eventnet with."""

from __future__ import annotations

import click
from flask import Flask

from eventnet.cli import ServiceCommand
from eventnet.services.demo import create_demo


@click.command("demo", cls=ServiceCommand)
@click.option("--attendees", "count", type=click.IntRange(2, 5000), default=60,
              show_default=True, help="How many attendees the demo event gets.")
def demo(count: int) -> None:
    """Create (once) a demo organizer, community and event with attendees and scans."""
    info = create_demo(count)
    click.echo("Demo event created." if info.created else "Demo event already exists.")
    click.echo(f"Organizer sign-in: {info.email} / {info.password}")
    click.echo(f"Event: {info.slug}")
    for name, link in info.links:
        click.echo(f"Magic link for {name}: {link}")


def register(app: Flask) -> None:
    """Attach the command."""
    app.cli.add_command(demo)
