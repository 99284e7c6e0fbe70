"""names stored before the services cleaned them: no bidi or control character, one line

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 10:00:00

The services now store names through ``storable.clean_name`` (issue 13): white space
collapsed to single spaces, control characters and bidi controls (U+202A-U+202E,
U+2066-U+2069, U+200E, U+200F, U+061C) removed. This applies the same rule to the names
saved before, so that an attendee named ``Bob<U+202E>gnp.exe`` no longer reads
``Bobexe.png`` on a page or in a spreadsheet, and no line break is left in a sender name.
The rule is copied here, as it is today: a migration must not change with the code.
Only rows that change are written. There is no way back: the characters removed were
never meant to be there.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_DROPPED = dict.fromkeys(
    [ord(c) for c in _BIDI]
    + [c for c in (*range(0x20), *range(0x7F, 0xA0)) if not chr(c).isspace()])

#: table: the name columns it has
_COLUMNS = {
    "attendee": ("name", "company", "title"),
    "event": ("name", "followup_sender_name"),
    "community": ("name",),
    "organizer": ("name",),
}


def _clean(text):
    if text is None:
        return None
    if not text.isprintable():
        text = text.translate(_DROPPED)
    return " ".join(text.split())


def upgrade():
    conn = op.get_bind()
    for table, columns in _COLUMNS.items():
        rows = conn.execute(sa.text(
            f"SELECT id, {', '.join(columns)} FROM {table}")).all()
        changed = []
        for row in rows:
            values = dict(zip(columns, row[1:], strict=True))
            cleaned = {name: _clean(value) for name, value in values.items()}
            if cleaned != values:
                changed.append({"row_id": row[0], **cleaned})
        if changed:
            assignments = ", ".join(f"{name} = :{name}" for name in columns)
            conn.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE id = :row_id"),
                         changed)


def downgrade():
    pass
