"""free text stored before the services cleaned it: no bidi or control character

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 12:00:00

The services now store the free text attendees and scanners write through
``storable.clean_text`` (lines kept) and ``clean_name`` (one line): bidi controls (U+202A-U+202E,
U+2066-U+2069, U+200E, U+200F, U+061C) and control characters other than white space removed.
This applies the same rule to the text saved before, so that a right-to-left override in a
bio, a scan's note or an introduction's message no longer reverses how it reads on a page or
in a follow-up email:

- attendee: bio and the answers to the event's text questions (lines kept); phone, and each
  entry of interests, offers, asks and links (one line). Answers to choice questions are the
  organizer's own words, kept exactly as they are, as the services keep them; so are answers
  whose question the event no longer has (no page shows them, and their kind is unknown);
- scan: note (lines kept), tags (one line);
- connection: a_note, b_note (lines kept), a_tags, b_tags (one line);
- introduction: message (lines kept).

A text that loses characters is stored as the services store it today: stripped; one that
loses none is left as it is, white space included. One-line values are put on one line, as
0009 did for names. A list with an entry that changes is stored as the services store lists
today: entries left empty dropped, repeats dropped, the first kept (the profile's lists
compare entries case-insensitively, ``profiles.split_list``; tags compare them exactly,
``scans.check_scan_input``); a list with none that changes is left as it is.

The rule is copied here, as it is today: a migration must not change with the code. Rows are
read by batches in id order (an event can have 100,000 attendees, and more scans) and only
rows that change are written. There is no way back: the characters removed were never meant
to be there.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

#: rows read (and at most written) at a time
_BATCH = 1000

_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_DROPPED = dict.fromkeys(
    [ord(c) for c in _BIDI]
    + [c for c in (*range(0x20), *range(0x7F, 0xA0)) if not chr(c).isspace()])

_attendee = sa.table(
    "attendee", sa.column("id", sa.Integer), sa.column("event_id", sa.Integer),
    sa.column("bio", sa.Text), sa.column("phone", sa.String),
    *(sa.column(name, sa.JSON) for name in ("interests", "offers", "asks", "links", "answers")))
_event = sa.table("event", sa.column("id", sa.Integer), sa.column("questions", sa.JSON))
_scan = sa.table("scan", sa.column("id", sa.Integer), sa.column("note", sa.Text),
                 sa.column("tags", sa.JSON))
_connection = sa.table(
    "connection", sa.column("id", sa.Integer), sa.column("a_note", sa.Text),
    sa.column("b_note", sa.Text), sa.column("a_tags", sa.JSON), sa.column("b_tags", sa.JSON))
_introduction = sa.table("introduction", sa.column("id", sa.Integer),
                         sa.column("message", sa.Text))


def _clean(text):
    """``storable.clean_text``: lines kept."""
    if text.isprintable():
        return text
    return text.translate(_DROPPED)


def _text(value):
    """A bio, a note, a message, a text answer."""
    if not isinstance(value, str):
        return value
    cleaned = _clean(value)
    return cleaned.strip() if cleaned != value else value


def _line(value):
    """A phone number, a list entry: ``storable.clean_name``, one line."""
    if not isinstance(value, str):
        return value
    return " ".join(_clean(value).split())


def _list(value, fold):
    """Interests, offers, asks, links (``fold``: repeats compared case-insensitively), tags."""
    if not isinstance(value, list) or all(_line(item) == item for item in value):
        return value
    cleaned, seen = [], set()
    for item in value:
        if not isinstance(item, str):
            cleaned.append(item)
            continue
        item = _line(item)
        key = item.casefold() if fold else item
        if item and key not in seen:
            seen.add(key)
            cleaned.append(item)
    return cleaned


def _answers(value, text_keys):
    """The answers to the event's text questions (``text_keys``) cleaned, the others as they
    are."""
    if not isinstance(value, dict):
        return value
    return {key: _text(answer) if key in text_keys else answer
            for key, answer in value.items()}


def _text_questions(conn, event_ids):
    """The keys of the text questions of each event, by event id; what the profile's
    validation treats as text (every kind but choice and checkbox)."""
    rows = conn.execute(sa.select(_event.c.id, _event.c.questions)
                        .where(_event.c.id.in_(sorted(event_ids))))
    return {event_id: {q.get("key") for q in questions or []
                       if isinstance(q, dict) and q.get("kind") not in ("choice", "checkbox")}
            for event_id, questions in rows}


def _batches(conn, table, names):
    """The rows of ``table`` (id and ``names``), in lists of at most ``_BATCH``, by id."""
    after = None
    while True:
        query = sa.select(table.c.id, *(table.c[name] for name in names))
        if after is not None:
            query = query.where(table.c.id > after)
        rows = conn.execute(query.order_by(table.c.id).limit(_BATCH)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def _write(conn, table, names, changed):
    """Store the cleaned values (``{"row_id": ..., name: ...}``) of the rows that changed."""
    if changed:
        conn.execute(
            sa.update(table).where(table.c.id == sa.bindparam("row_id")).values(
                {name: sa.bindparam(f"new_{name}", type_=table.c[name].type)
                 for name in names}),
            [{"row_id": row["row_id"], **{f"new_{name}": row[name] for name in names}}
             for row in changed])


def _clean_table(conn, table, cleaners):
    """Clean the columns of ``table`` by ``cleaners`` ({column: function of its value})."""
    names = list(cleaners)
    for rows in _batches(conn, table, names):
        changed = []
        for row in rows:
            values = {name: row._mapping[name] for name in names}
            cleaned = {name: cleaners[name](value) for name, value in values.items()}
            if cleaned != values:
                changed.append({"row_id": row.id, **cleaned})
        _write(conn, table, names, changed)


def _clean_attendees(conn):
    names = ["bio", "phone", "interests", "offers", "asks", "links", "answers"]
    text_keys = {}  # event id: the keys of its text questions
    for rows in _batches(conn, _attendee, ["event_id", *names]):
        unknown = {row.event_id for row in rows} - text_keys.keys()
        if unknown:
            text_keys.update(_text_questions(conn, unknown))
        changed = []
        for row in rows:
            values = {name: row._mapping[name] for name in names}
            cleaned = {
                "bio": _text(row.bio), "phone": _line(row.phone),
                **{name: _list(values[name], fold=True)
                   for name in ("interests", "offers", "asks", "links")},
                "answers": _answers(row.answers, text_keys.get(row.event_id, set())),
            }
            if cleaned != values:
                changed.append({"row_id": row.id, **cleaned})
        _write(conn, _attendee, names, changed)


def _tags(value):
    return _list(value, fold=False)


def upgrade():
    conn = op.get_bind()
    _clean_attendees(conn)
    _clean_table(conn, _scan, {"note": _text, "tags": _tags})
    _clean_table(conn, _connection, {"a_note": _text, "b_note": _text,
                                     "a_tags": _tags, "b_tags": _tags})
    _clean_table(conn, _introduction, {"message": _text})


def downgrade():
    """Nothing to undo: the characters removed were never meant to be stored, and what they
    were is not kept anywhere to put back."""
