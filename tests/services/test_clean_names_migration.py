"""Migration 0009 cleans the names saved before the services did: no bidi or control
character, one line."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.conftest import PASSWORD

SPOOFED = "Bob\u202egnp.exe\u2069"
SENDER = "Org\r\n<evil@attacker.example>\u200f"


def test_names_stored_before_lose_their_bidi_and_control_characters(
        app: Any, empty_database: str) -> None:
    from flask_migrate import downgrade, upgrade

    from eventnet import create_app
    from eventnet.database import write_transaction
    from eventnet.extensions import db
    from eventnet.services.attendees import new_attendee
    from eventnet.services.events import EventData, create_event
    from eventnet.services.organizers import create_organizer
    from eventnet.services.profiles import Profile

    other = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": empty_database})
    with other.app_context():
        try:
            upgrade()
            organizer = create_organizer("ann@example.org", PASSWORD, "Ann")
            event = create_event(organizer, "rust", EventData(name="Rust"))
            with write_transaction():
                new_attendee(event, Profile(name="Bob", email="bob@example.org"),
                             source="test")
                new_attendee(event, Profile(name="Ada Lovelace", email="ada@example.org",
                                            company="Engines"), source="test")
            db.session.remove()
            # As the services stored them before they cleaned names.
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE attendee SET name = :n, company = :c, title = :t "
                                  "WHERE email = 'bob@example.org'"),
                             {"n": SPOOFED, "c": "\u202bAcme\u202c", "t": "CTO\n\x07"})
                conn.execute(text("UPDATE event SET name = :n, followup_sender_name = :s"),
                             {"n": "\u2066Rust\u2069 Paris", "s": SENDER})
                conn.execute(text("UPDATE community SET name = :n"), {"n": "\u061cAnn"})
                conn.execute(text("UPDATE organizer SET name = :n"), {"n": "Ann\u200e"})
            downgrade(revision="0008")
            upgrade()
            with db.engine.connect() as conn:
                assert conn.execute(text(
                    "SELECT name, company, title FROM attendee ORDER BY email")).all() == [
                    ("Ada Lovelace", "Engines", ""), ("Bobgnp.exe", "Acme", "CTO")]
                assert conn.execute(text(
                    "SELECT name, followup_sender_name FROM event")).one() == (
                    "Rust Paris", "Org <evil@attacker.example>")
                assert conn.execute(text("SELECT name FROM community")).scalar() == "Ann"
                assert conn.execute(text("SELECT name FROM organizer")).scalar() == "Ann"
        finally:
            db.session.remove()
            db.engine.dispose()
