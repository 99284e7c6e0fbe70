"""``eventnet organizers``: accounts and API tokens."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from eventnet.cli import ServiceCommand, check_argument, fail
from eventnet.services import organizers as service

group = AppGroup("organizers", help="Organizer accounts and API tokens.")


@group.command("create", cls=ServiceCommand)
@click.argument("email")
@click.option("--name", default="", help="Display name (also names the first community).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of prompting.")
def create(email: str, name: str, password_stdin: bool) -> None:
    """Create an organizer account with its own community."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        fail("no password: pass --password-stdin and write it to standard input")
        return
    check_argument(password, "password")
    organizer = service.create_organizer(email, password, name)
    click.echo(f"Created organizer {organizer.email}.")


@group.command("password", cls=ServiceCommand)
@click.argument("email")
@click.option("--password-stdin", is_flag=True,
              help="Read the new password from standard input instead of prompting.")
def password(email: str, password_stdin: bool) -> None:
    """Set a new password; every browser signed in to the account is signed out."""
    organizer = service.get_organizer(email)
    if password_stdin:
        new = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        new = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        fail("no password: pass --password-stdin and write it to standard input")
        return
    check_argument(new, "password")
    service.change_password(organizer.id, new)
    click.echo(f"Password changed for {organizer.email}; its sessions are signed out.")


@group.command("token", cls=ServiceCommand)
@click.argument("email")
def token(email: str) -> None:
    """Issue a new API token (the old one stops working); printed alone on the last line."""
    organizer = service.get_organizer(email)
    value = service.issue_api_token(organizer.id)
    click.echo(f"New API token for {organizer.email} (store it now, it is shown once):",
               err=True)
    click.echo(value)


def register(app: Flask) -> None:
    """Attach the group."""
    app.cli.add_command(group)
