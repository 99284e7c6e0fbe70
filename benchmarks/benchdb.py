"""A PostgreSQL database made for one benchmark run and dropped after it (shared by the
benchmarks, which import it as a sibling module: run them as ``python benchmarks/x.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def postgres_database(url: str, prefix: str) -> Iterator[str]:
    """A new database ``<prefix>_<random>`` on the server of ``url``; its URL, dropped after."""
    admin_url = make_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
