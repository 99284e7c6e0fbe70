"""``UTCDateTime`` on SQLite: its own one-step conversion stores exactly what SQLAlchemy's
``DateTime`` did, so rows written before and after compare and sort alike."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql, sqlite

from eventnet.models._types import UTCDateTime

SQLITE = sqlite.dialect()
STORE = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
READ = UTCDateTime().dialect_impl(SQLITE).result_processor(SQLITE, None)
#: what SQLAlchemy's own SQLite DateTime writes and reads (naive UTC)
SA_STORE = DateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
SA_READ = DateTime().dialect_impl(SQLITE).result_processor(SQLITE, None)
ZONES = [UTC, ZoneInfo("UTC"), ZoneInfo("Europe/Paris"), ZoneInfo("America/St_Johns"),
         timezone(timedelta(hours=-5, minutes=-30)), timezone(timedelta(hours=14))]


def _times(n: int) -> list[datetime]:
    rng = random.Random(15)
    return [datetime(rng.randint(2, 9998), rng.randint(1, 12), rng.randint(1, 28),
                     rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
                     rng.choice([0, 1, 999_999, rng.randint(0, 999_999)]),
                     tzinfo=rng.choice(ZONES)) for _ in range(n)]


def test_stores_the_text_sqlalchemy_stored() -> None:
    for value in _times(5000):
        assert STORE(value) == SA_STORE(value.astimezone(UTC).replace(tzinfo=None))


def test_reads_back_the_same_instant_in_utc() -> None:
    for value in _times(5000):
        stored = STORE(value)
        read = READ(stored)
        assert read == value and read.tzinfo is UTC
        assert READ(stored) == SA_READ(stored).replace(tzinfo=UTC)
        # a value stored without fractions of a second (SQLite's own CURRENT_TIMESTAMP)
        assert READ(stored[:19]) == value.replace(microsecond=0)


def test_stored_texts_sort_as_the_times_do() -> None:
    times = _times(2000)
    assert sorted(times) == [READ(text) for text in sorted(STORE(t) for t in times)]


def test_none_passes_and_a_naive_time_is_refused() -> None:
    assert STORE(None) is None and READ(None) is None
    with pytest.raises(ValueError, match="naive"):
        STORE(datetime(2026, 5, 4, 18, 30))


def test_other_databases_keep_sqlalchemy_s_conversions() -> None:
    dialect = postgresql.psycopg.dialect()
    value = datetime(2026, 5, 4, 18, 30, tzinfo=ZoneInfo("Europe/Paris"))
    store = UTCDateTime().bind_processor(dialect)
    assert (store(value) if store else UTCDateTime().process_bind_param(value, dialect)) == value
