"""``eventnet attendees`` and ``eventnet badges``: imports, exports, printable badges."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from eventnet.cli import ServiceCommand, counted, fail
from eventnet.services import badges as badge_service
from eventnet.services import exports, imports
from eventnet.services.events import get_event

group = AppGroup("attendees", help="Import and export attendees.")


@group.command("import", cls=ServiceCommand)
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", default="auto", show_default=True,
              type=click.Choice(["auto", *sorted(imports.PARSERS)]),
              help="The file's format; auto detects it from the header row.")
@click.option("--dry-run", is_flag=True, help="Check the file and report, change nothing.")
@click.option("--consent", "consents", multiple=True, type=click.Choice(imports.CONSENTS),
              help="Record this consent for every attendee the import creates; only when "
                   "your registration platform asked for it. Repeatable.")
def import_(slug: str, file: Path, fmt: str, dry_run: bool, consents: tuple[str, ...]) -> None:
    """Import attendees from a CSV file: all rows or none, with a report of rejected rows."""
    event = get_event(slug)
    plan = imports.plan_import(event, file.read_bytes(), fmt)
    for skipped in plan.skipped:
        click.echo(f"line {skipped.line}: skipped: {skipped.message}", err=True)
    if plan.ignored_columns:
        click.echo(f"columns not imported: {', '.join(plan.ignored_columns)}", err=True)
    if not plan.is_valid:
        for error in plan.errors:
            click.echo(f"line {error.line}: {error.message}", err=True)
        fail(f"{counted(len(plan.errors), 'rejected row')} in {file.name}; nothing was imported.")
    if dry_run:
        click.echo(f"{file.name} ({plan.format}): {counted(len(plan.rows), 'attendee')} would be "
                   f"imported, {len(plan.skipped)} skipped.")
        return
    result = imports.apply_import(event.id, plan, frozenset(consents))
    click.echo(f"{file.name} ({plan.format}): {result.created} created, {result.updated} "
               f"updated, {result.unchanged} unchanged, {len(plan.skipped)} skipped, "
               f"{result.checked_in} checked in.")


@group.command("export", cls=ServiceCommand)
@click.argument("slug")
@click.option("--format", "fmt", default="csv", show_default=True,
              type=click.Choice(["csv", "json", "connections", "graphml"]),
              help="csv/json: the attendees; connections: who met whom (names only where "
                   "both consented); graphml: the anonymised network for research.")
@click.option("--with-secrets", is_flag=True,
              help="Also export each attendee's magic link and personal API access token.")
def export(slug: str, fmt: str, with_secrets: bool) -> None:
    """Export an event's attendees, connections or network to standard output."""
    event = get_event(slug)
    if fmt == "connections":
        sys.stdout.write(exports.connections_csv(event))
    elif fmt == "graphml":
        sys.stdout.write(exports.network_graphml(event))
    elif fmt == "json":
        click.echo(exports.attendees_json(event, with_secrets=with_secrets))
    else:
        sys.stdout.write(exports.attendees_csv(event, with_secrets=with_secrets))


@click.command("badges", cls=ServiceCommand)
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The PDF file to write.")
@click.option("--layout", default="a6", show_default=True,
              type=click.Choice(badge_service.LAYOUTS),
              help="a6: one a page; label: one 4 × 3 in label a page; sheet-6: six a sheet.")
@click.option("--paper", default="a4", show_default=True, type=click.Choice(["a4", "letter"]))
def badges(slug: str, output: Path, layout: str, paper: str) -> None:
    """Write a printable PDF with the badges of every attendee."""
    event = get_event(slug)
    pdf = badge_service.event_badges_pdf(event, layout=layout, paper=paper)
    try:
        output.write_bytes(pdf)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    click.echo(f"Wrote {output} ({len(pdf) // 1024} KiB).")


def register(app: Flask) -> None:
    """Attach the group and the badges command."""
    app.cli.add_command(group)
    app.cli.add_command(badges)
