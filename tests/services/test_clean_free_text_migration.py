"""Migration 0010 cleans the free text saved before the services did (attendees' profiles and
answers, scans' and connections' notes and tags, introductions' messages): no bidi or control
character, lines kept in notes, one line in tags and list entries. Answers to choice questions
and text that was already clean stay exactly as they were."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, text

from tests.conftest import PASSWORD

#: the organizer's own choice, bidi controls and all: an answer naming it must still match it
CHOICE = "\u2067עברית\u2069 track"
QUESTIONS = [
    {"key": "diet", "label": "Diet", "kind": "text", "required": False, "choices": []},
    {"key": "track", "label": "Track", "kind": "choice", "required": False,
     "choices": [CHOICE, "Web"]},
    {"key": "dinner", "label": "Dinner", "kind": "checkbox", "required": False, "choices": []},
]
#: what the services stored before they cleaned free text, and what 0010 leaves of it
BIO = "Builds \u202eengines\u202c.\r\nLikes\x07 tea\u200f \U0001f469\u200d\U0001f4bb \n"
BIO_CLEAN = "Builds engines.\r\nLikes tea \U0001f469\u200d\U0001f4bb"
NOTE = "Call him\u202e 7654 \u202c\nabout \u2066Rust\u2069\x1b[31m"
NOTE_CLEAN = "Call him 7654 \nabout Rust[31m"
DIRTY_PROFILE = {
    "bio": BIO,
    "phone": "+33\u202e 6 12\u200e 34\x7f",
    "interests": ["\u202eAI\u202c", "\u2066Rust\u2069", "rust", "\u200f", "ai", "Go\x9f"],
    "offers": ["maths \u200emento\u200fring\nand more"],
    "asks": ["\u061cinvestors\u202b עברית\u202c"],
    "links": ["https://ada.example.org/\u202egnp.exe"],
    "answers": {"diet": "\u202dvegan\u202c\u2068 please\u2069\n", "track": CHOICE,
                "dinner": True, "gone": "\u202ea question since removed"},
}
CLEAN_PROFILE = {
    "bio": "Builds engines.\r\nLikes tea \U0001f469\u200d\U0001f4bb",
    "phone": "+33 6 12 34",
    "interests": ["AI", "Rust", "Go"],
    "offers": ["maths mentoring and more"],
    "asks": ["investors עברית"],
    "links": ["https://ada.example.org/gnp.exe"],
    "answers": {"diet": "vegan please", "track": CHOICE, "dinner": True,
                "gone": "\u202ea question since removed"},
}
#: rows with nothing to remove, stored as a rewrite would not write them (raw JSON spacing,
#: white space a cleaned text would lose): they must not be written at all
UNTOUCHED_BIO = "  Line one\n\n\tthen ไทย\u200bภาษา\n"
UNTOUCHED_ANSWERS = '{"track":"Web",   "diet":"no  nuts\\nthanks"}'
UNTOUCHED_LIST = '[ "AI",   "Rust"]'
UNTOUCHED_NOTE = "Met at the bar.\n\nעברית  \n"


def test_free_text_stored_before_loses_its_bidi_and_control_characters(
        app: Any, empty_database: str) -> None:
    from flask_migrate import downgrade, upgrade

    from eventnet import create_app
    from eventnet.database import write_transaction
    from eventnet.extensions import db
    from eventnet.models import Connection, Introduction, Scan
    from eventnet.services.attendees import new_attendee
    from eventnet.services.events import EventData, create_event
    from eventnet.services.organizers import create_organizer
    from eventnet.services.profiles import Profile

    other = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": empty_database})
    with other.app_context():
        try:
            upgrade()
            organizer = create_organizer("ann@example.org", PASSWORD, "Ann")
            event = create_event(organizer, "rust", EventData(name="Rust", questions=QUESTIONS))
            with write_transaction():
                bob = new_attendee(event, Profile(name="Bob", email="bob@example.org"),
                                   source="test")
                ada = new_attendee(event, Profile(name="Ada", email="ada@example.org"),
                                   source="test")
                event_id, a_id, b_id = event.id, *sorted((bob.id, ada.id))
                bob_id, ada_id = bob.id, ada.id
            db.session.remove()
            at = datetime(2026, 1, 10, 10, tzinfo=UTC)
            scan = {"event_id": event_id, "scanner_id": bob_id, "scanned_id": ada_id,
                    "scanned_at": at, "recorded_at": at, "note": "", "tags": [],
                    "source": "api", "is_counted": False}
            # As the services stored them before they cleaned free text: more scans than
            # the migration reads at a time, a dirty one in the first batch and in the last.
            with db.engine.begin() as conn:
                conn.execute(text(
                    "UPDATE attendee SET bio = :bio, phone = :phone, interests = :interests, "
                    "offers = :offers, asks = :asks, links = :links, answers = :answers "
                    "WHERE id = :id"),
                    {"id": bob_id, **{name: value if isinstance(value, str) else json.dumps(value)
                                      for name, value in DIRTY_PROFILE.items()}})
                conn.execute(text("UPDATE attendee SET bio = :bio, phone = :phone, "
                                  "interests = :list, offers = :list, answers = :answers "
                                  "WHERE id = :id"),
                             {"id": ada_id, "bio": UNTOUCHED_BIO, "phone": "+33 6 12",
                              "list": UNTOUCHED_LIST, "answers": UNTOUCHED_ANSWERS})
                conn.execute(insert(Scan.__table__), [
                    {**scan, "note": NOTE, "tags": ["\u202ehiring\u202c", "hiring", "Hiring",
                                                    "\u2066", "mentor\r\n"]},
                    *([scan] * 1100),
                    {**scan, "note": "\u202e", "tags": ["\u2067"]}])
                conn.execute(text("UPDATE scan SET note = :note, tags = :tags WHERE id = "
                                  "(SELECT MIN(id) FROM scan WHERE note = '')"),
                             {"note": UNTOUCHED_NOTE, "tags": UNTOUCHED_LIST})
                conn.execute(insert(Connection.__table__).values(
                    event_id=event_id, a_id=a_id, b_id=b_id, first_met_at=at, last_met_at=at,
                    scan_count=1, a_scan_count=1, b_scan_count=0, is_mutual=False,
                    a_note=f"{NOTE}\n\u202bsecond scan\u202c", b_note=UNTOUCHED_NOTE,
                    a_tags=["\u202ehiring", "\u200fhiring"], b_tags=["AI", "Rust"]))
                conn.execute(insert(Introduction.__table__), [
                    {"event_id": event_id, "requester_id": bob_id, "recipient_id": ada_id,
                     "status": "requested", "score": 1.0, "reasons": [], "proposed_at": at,
                     "message": "Hello \u202eAda\u202c,\r\nmeet?\x07\n"},
                    {"event_id": event_id, "requester_id": ada_id, "recipient_id": bob_id,
                     "status": "requested", "score": 1.0, "reasons": [], "proposed_at": at,
                     "message": UNTOUCHED_NOTE}])
            downgrade(revision="0009")
            upgrade()
            json_columns = ("interests", "offers", "asks", "links", "answers")
            with db.engine.connect() as conn:
                row = conn.execute(text(
                    f"SELECT bio, phone, {', '.join(f'CAST({c} AS TEXT)' for c in json_columns)} "
                    "FROM attendee WHERE id = :id"), {"id": bob_id}).one()
                assert dict(zip(DIRTY_PROFILE, [*row[:2], *map(json.loads, row[2:])],
                                strict=True)) == CLEAN_PROFILE
                assert conn.execute(text(
                    "SELECT bio, phone, CAST(interests AS TEXT), CAST(offers AS TEXT), "
                    "CAST(answers AS TEXT) FROM attendee WHERE id = :id"),
                    {"id": ada_id}).one() == (UNTOUCHED_BIO, "+33 6 12", UNTOUCHED_LIST,
                                              UNTOUCHED_LIST, UNTOUCHED_ANSWERS)
                scans = conn.execute(text(
                    "SELECT note, CAST(tags AS TEXT) FROM scan ORDER BY id")).all()
                assert len(scans) == 1102
                assert (scans[0][0], json.loads(scans[0][1])) == (
                    NOTE_CLEAN, ["hiring", "Hiring", "mentor"])  # repeats: exact, as tags are
                assert scans[1] == (UNTOUCHED_NOTE, UNTOUCHED_LIST)
                assert scans[2:] == [("", "[]")] * 1100  # the last one, cleaned, too
                connection = conn.execute(text(
                    "SELECT a_note, b_note, CAST(a_tags AS TEXT), CAST(b_tags AS TEXT) "
                    "FROM connection")).one()
                assert (*connection[:2], *map(json.loads, connection[2:])) == (
                    f"{NOTE_CLEAN}\nsecond scan", UNTOUCHED_NOTE, ["hiring"], ["AI", "Rust"])
                messages = dict(conn.execute(text(
                    "SELECT requester_id, message FROM introduction")).all())
                assert messages == {bob_id: "Hello Ada,\r\nmeet?", ada_id: UNTOUCHED_NOTE}
        finally:
            db.session.remove()
            db.engine.dispose()
