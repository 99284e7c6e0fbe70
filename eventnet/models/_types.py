"""Column helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, TypeDecorator
from sqlalchemy.engine import Dialect

#: the largest id an INTEGER primary key holds on every backend (PostgreSQL's is 32-bit)
MAX_ID = 2**31 - 1


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; eventnet stores aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite, one step instead of two (this class's, then SQLAlchemy's formatting):
        the text SQLAlchemy stores, "2026-05-04 18:30:00.000000", in half the time. Every
        badge scan writes five of them."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is not UTC:
                if value.tzinfo is None:
                    raise ValueError("naive datetime given; eventnet stores aware UTC datetimes")
                value = value.astimezone(UTC)
            return value.isoformat(" ", "microseconds")[:-6]  # without "+00:00"

        return process


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


#: JSON lists and objects (tags, interests, answers); JSONB is not needed for our queries.
JSONType: Any = JSON()
