"""Migration 0002 moves the bodies of existing outbox rows to their own table, and back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text


def test_existing_messages_keep_their_bodies_and_are_delivered(
        app: Any, empty_database: str, smtp: Any) -> None:
    from flask_migrate import downgrade, upgrade

    from eventnet import create_app
    from eventnet.extensions import db
    from eventnet.mail.worker import deliver_due
    from eventnet.models import OutboundEmail

    other = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": empty_database})
    with other.app_context():
        try:
            upgrade(revision="0001")
            with db.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO outbound_email (kind, to_address, from_address, reply_to, "
                    "subject, body_text, body_html, headers, status, attempts, "
                    "next_attempt_at, last_error, message_id, created_at) VALUES "
                    "('test', 'ada@example.org', 'o@example.org', '', 'Queued before', "
                    "'Text from before\n', '<p>HTML from before</p>', '{}', 'queued', 0, "
                    "'2026-01-01 00:00:00', '', '', '2026-01-01 00:00:00')"))
            upgrade()
            message = db.session.scalar(db.select(OutboundEmail))
            assert message.body_text == "Text from before\n"
            assert message.body_html == "<p>HTML from before</p>"
            db.session.rollback()
            assert deliver_due().sent == 1
            [received] = smtp.messages
            assert "HTML from before" in received.get_body(("html",)).get_content()
            db.session.remove()
            downgrade(revision="0001")
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT body_text, body_html, status FROM "
                                         "outbound_email")).one() == (
                    "Text from before\n", "<p>HTML from before</p>", "sent")
        finally:
            db.session.remove()
            db.engine.dispose()
