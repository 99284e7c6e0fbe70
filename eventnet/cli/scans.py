"""``eventnet scans``: import scans collected elsewhere."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from eventnet.cli import ServiceCommand, counted, fail
from eventnet.services import scan_import
from eventnet.services.events import get_event

group = AppGroup("scans", help="Badge scans.")


@group.command("import", cls=ServiceCommand)
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--timezone", default=None,
              help="Time zone of scanned_at values without an offset (default: the event's).")
@click.option("--dry-run", is_flag=True, help="Check the file and report, change nothing.")
def import_(slug: str, file: Path, timezone: str | None, dry_run: bool) -> None:
    """Import scans (scanner_email, scanned_email, scanned_at, note): all rows or none."""
    event = get_event(slug)
    plan = scan_import.plan_scan_import(event, file.read_bytes(), timezone)
    if not plan.is_valid:
        for error in plan.errors:
            click.echo(f"line {error.line}: {error.message}", err=True)
        fail(f"{counted(len(plan.errors), 'rejected row')} in {file.name}; nothing was imported.")
    if dry_run:
        click.echo(f"{file.name}: {counted(len(plan.rows), 'scan')} would be imported.")
        return
    result = scan_import.apply_scan_import(event.id, plan)
    click.echo(f"{file.name}: {counted(result.recorded, 'scan')} recorded, "
               f"{result.already_imported} already imported before.")


def register(app: Flask) -> None:
    """Attach the group."""
    app.cli.add_command(group)
