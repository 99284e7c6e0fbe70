"""``database.CompiledStatement``: the hot path's statements get their parameters converted,
in the driver's order, with the statement's own literal values, and nothing else."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert, select
from sqlalchemy.dialects import sqlite

from eventnet.database import CompiledStatement
from eventnet.models._types import JSONType, UTCDateTime

ROWS = Table("rows", MetaData(), Column("id", Integer, primary_key=True),
             Column("at", UTCDateTime()), Column("tags", JSONType), Column("kind", String),
             Column("n", Integer))


@pytest.fixture
def cursor() -> sqlite3.Cursor:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, at TEXT, tags TEXT, "
                       "kind TEXT, n INTEGER)")
    return connection.cursor()


def test_parameters_are_converted_placed_and_completed_by_literals(cursor) -> None:
    dialect = sqlite.dialect()
    write = CompiledStatement(insert(ROWS).values(
        at=bindparam("at"), tags=bindparam("tags"), kind="scan", n=bindparam("n")), dialect)
    read = CompiledStatement(select(ROWS.c.at, ROWS.c.tags, ROWS.c.kind, ROWS.c.n).where(
        ROWS.c.n >= bindparam("n"), ROWS.c.kind == bindparam("kind")), dialect)
    at = datetime(2026, 5, 4, 18, 30, tzinfo=UTC)
    # a parameter the statement does not use is ignored
    write.run(cursor, {"at": at, "tags": ["rust"], "n": 2, "unused": object()})
    assert cursor.execute("SELECT at, tags, kind, n FROM rows").fetchall() == [
        ("2026-05-04 18:30:00.000000", '["rust"]', "scan", 2)]
    assert read.run(cursor, {"n": 1, "kind": "scan"}) == [[at, ["rust"], "scan", 2]]
    assert read.run(cursor, {"n": 3, "kind": "scan"}) == []


def test_a_missing_parameter_raises(cursor) -> None:
    write = CompiledStatement(insert(ROWS).values(at=bindparam("at"), n=bindparam("n")),
                              sqlite.dialect())
    with pytest.raises(KeyError, match="n"):
        write.run(cursor, {"at": datetime(2026, 5, 4, tzinfo=UTC)})
    assert cursor.execute("SELECT COUNT(*) FROM rows").fetchone() == (0,)
