"""The ``eventnet`` command line: Flask's FlaskGroup bound to ``create_app``.

Every command runs non-interactively when given its arguments and exits non-zero with a
clear message on bad input. Commands call services, nothing else.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, routes_command, run_command, shell_command

from eventnet.services.errors import EventnetError
from eventnet.services.storable import check_text


def fail(message: str, code: int = 1) -> None:
    """Print an error to stderr and exit non-zero."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def counted(n: int, singular: str, plural: str = "") -> str:
    """A count with its noun in the right number: "1 scan", "2 scans" (the CLI speaks English)."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def check_argument(value: Any, name: str) -> None:
    """Refuse an argument (or each of its values) that is text eventnet cannot store: a NUL,
    or bytes that are not UTF-8, which Python hands over as lone surrogates. Raises
    click.BadParameter (exit status 2)."""
    for text in value if isinstance(value, list | tuple) else (value,):
        if isinstance(text, str):
            try:
                check_text(text)
            except EventnetError as exc:
                raise click.BadParameter(exc.message, param_hint=name) from None


class ServiceCommand(click.Command):
    """A command whose arguments are checked like web input (``check_argument``) and whose
    service errors become a clean message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        for name, value in ctx.params.items():
            check_argument(value, name)
        try:
            return super().invoke(ctx)
        except EventnetError as exc:
            fail(exc.message)


def register_commands(app: Flask) -> None:
    """Attach every command group to the app (for ``flask --app eventnet`` and ``eventnet``)."""
    from eventnet.cli import attendees, demo, events, followups, organizers, outbox, scans

    for module in (organizers, events, attendees, demo, outbox, scans, followups):
        module.register(app)


def _create_app() -> Flask:
    from eventnet import create_app

    return create_app()


@click.command("run", context_settings={"ignore_unknown_options": True})
@click.pass_context
def run_with_upgrade(ctx: click.Context, **kwargs: Any) -> None:
    """Upgrade the database schema, then run the development server."""
    from flask.cli import ScriptInfo
    from flask_migrate import upgrade

    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        upgrade()
    ctx.forward(run_command)


run_with_upgrade.params = list(run_command.params)


def main() -> None:
    """Entry point of the ``eventnet`` console script."""
    cli = FlaskGroup(create_app=_create_app, add_default_commands=False,
                     help="eventnet: registration, badges, scans and follow-ups for events.")
    cli.add_command(run_with_upgrade)
    cli.add_command(shell_command)
    cli.add_command(routes_command)
    cli.main(prog_name="eventnet")
