"""Shared fixtures: an app per database backend, a real SMTP server, factories.

Every test that uses ``app`` runs on SQLite and, when ``EVENTNET_TEST_DATABASE_URL`` points
at a PostgreSQL server, a second time on a fresh PostgreSQL database made for the session.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("EVENTNET_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
#: "gw0", "gw1"... in the processes of `pytest -n 2` (pytest-xdist), else "main"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def _redis_url_of_this_worker() -> None:
    """Under pytest-xdist each worker takes a Redis database of its own (the one configured,
    the next one...), read by the test modules from ``EVENTNET_TEST_REDIS_URL``: set here,
    before they are imported. Its PostgreSQL databases are its own already (each session
    makes its own), and so are its ports (``free_port``) and temporary folders."""
    url = os.environ.get("EVENTNET_TEST_REDIS_URL")
    if not url or not WORKER.startswith("gw"):
        return
    parts = urlsplit(url)
    first = int(parts.path.strip("/") or 0)
    os.environ["EVENTNET_TEST_REDIS_URL"] = urlunsplit(
        parts._replace(path=f"/{first + int(WORKER[2:])}"))


_redis_url_of_this_worker()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="also run soak tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests marked one_backend check what the database does not change (a page's markup,
    # styles and scripts in a browser): they run on SQLite alone.
    again = [item for item in items if item.get_closest_marker("one_backend")
             and _backend_of(item) not in (None, "sqlite")]
    if again:
        config.hook.pytest_deselected(items=again)
        items[:] = [item for item in items if item not in again]
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="soak test: run with `make soak`")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _backend_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return None if callspec is None else callspec.params.get("backend")


# --- SMTP ----------------------------------------------------------------------------------


@dataclass
class SMTPSink:
    """A real SMTP server on loopback that keeps what it receives."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: "451" or "550" to reject the next messages with a transient/permanent error
    reject_with: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.reject_with:
            return f"{self.reject_with} rejected by test"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append(envelope)
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()
        self.reject_with = None

    def to(self, address: str) -> list[EmailMessage]:
        """Messages received for ``address``."""
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPSink]:
    sink = SMTPSink("127.0.0.1", free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def smtp(smtp_server: SMTPSink) -> Iterator[SMTPSink]:
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()


# --- databases -----------------------------------------------------------------------------


@contextmanager
def fresh_postgres_database(prefix: str = "eventnet_test") -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    assert PG_URL
    admin_url = make_url(PG_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (for each worker under xdist),
    dropped afterwards."""
    with fresh_postgres_database(f"eventnet_test_{WORKER}") as url:
        yield url


def database_url(backend: str, tmp: Path, request: pytest.FixtureRequest) -> str:
    if backend == "postgresql":
        return str(request.getfixturevalue("postgres_database"))
    return f"sqlite:///{tmp / 'eventnet.sqlite3'}"


#: the tests' password hashing: one round of PBKDF2 instead of scrypt's 32 MiB, which cost half
#: the suite's time (every factory-made organizer, every sign-in); read by TESTING apps only
#: (``services.organizers.password_hash_method``), and ``tests/services/test_passwords.py``
#: checks that every other app stores scrypt
CHEAP_PASSWORD_HASH = "pbkdf2:sha256:1"


def base_config(db_url: str, instance: Path, smtp: SMTPSink) -> dict[str, Any]:
    return {
        "TESTING": True,
        "PASSWORD_HASH_METHOD": CHEAP_PASSWORD_HASH,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "EVENTNET_BASE_URL": "http://eventnet.test",
        "MAIL_BACKEND": "smtp",
        "MAIL_FROM": "events@eventnet.test",
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": smtp.port,
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    }


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own, with no tables (for tests that run the migrations)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    with fresh_postgres_database("eventnet_migrate") as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def _app(backend: str, tmp_path_factory: pytest.TempPathFactory,
         smtp_server: SMTPSink, request: pytest.FixtureRequest) -> Iterator[Any]:
    from flask_migrate import upgrade

    from eventnet import create_app

    instance = tmp_path_factory.mktemp(f"instance-{backend}")
    os.environ["EVENTNET_INSTANCE_PATH"] = str(instance)
    url = database_url(backend, instance, request)
    app = create_app(base_config(url, instance, smtp_server))
    with app.app_context():
        upgrade()  # the real migrations, not create_all
    yield app
    with app.app_context():
        from eventnet.extensions import db

        db.session.remove()
        db.engine.dispose()


def _truncate(app: Any) -> None:
    """Empty every table, children first, and start ids at 1 again.

    On PostgreSQL, DELETE and not TRUNCATE: TRUNCATE makes new files for every table and
    index, 70 ms on an idle machine and 300 ms on a loaded one, before each of hundreds of
    tests; this takes 4 ms. The lock first waits, as TRUNCATE's did, for any transaction still
    writing (a background thread of the test before), so its rows are deleted too."""
    from eventnet.extensions import db

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE"))
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            if conn.dialect.name == "postgresql":
                conn.execute(text(
                    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)"
                    " FROM pg_sequences WHERE schemaname = current_schema()"))


class FreshContextClient(FlaskClient):
    """A test client whose every request gets its own app context.

    The ``app`` fixture keeps an app context pushed for the test body; without this, requests
    would reuse it and share ``g`` (the locale, the signed-in user) and the database session,
    which a real server never does.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        from eventnet.extensions import db

        # End the test body's read snapshot so it sees what the request writes.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Iterator[None]:
    """Tables are emptied between tests and ids reused: forget the cached access tokens."""
    from eventnet.services.scans import forget_cached_tokens

    forget_cached_tokens()
    yield


@pytest.fixture
def app(_app: Any, smtp: SMTPSink) -> Iterator[Any]:
    """The app with empty tables, inside an app context."""
    _app.test_client_class = FreshContextClient
    _app.config.update(RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False, MAIL_SYNC=True,
                       BROKER_URL=None)
    from eventnet.extensions import limiter

    # The limiter is one global object: an app built with limits on (rate-limit tests)
    # switches it on for every app, so each test starts with it off again.
    limiter.enabled = False
    _truncate(_app)
    with _app.app_context():
        yield _app
        from eventnet.extensions import db

        db.session.remove()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


# --- factories -----------------------------------------------------------------------------


PASSWORD = "correct horse battery"


@pytest.fixture
def make_organizer(app: Any) -> Any:
    from eventnet.services.organizers import create_organizer

    counter = iter(range(1, 10_000))

    def make(email: str | None = None, password: str = PASSWORD, name: str = "") -> Any:
        return create_organizer(email or f"org{next(counter)}@example.org", password, name)

    return make


@pytest.fixture
def make_event(app: Any, make_organizer: Any) -> Any:
    from eventnet.services.events import EventData, create_event

    counter = iter(range(1, 10_000))

    def make(slug: str | None = None, organizer: Any = None, **fields: Any) -> Any:
        organizer = organizer or make_organizer()
        data = EventData(name=fields.pop("name", "Test Meetup"), **fields)
        return create_event(organizer, slug or f"event-{next(counter)}", data)

    return make


@pytest.fixture
def make_attendee(app: Any) -> Any:
    from eventnet.database import write_transaction
    from eventnet.services.attendees import new_attendee
    from eventnet.services.profiles import Profile

    counter = iter(range(1, 100_000))

    def make(event: Any, name: str | None = None, email: str | None = None,
             **fields: Any) -> Any:
        n = next(counter)
        fields.setdefault("consent_share_contact", True)
        fields.setdefault("consent_introductions", True)
        fields.setdefault("consent_followup", True)
        profile = Profile(name=name or f"Attendee {n}",
                          email=email or f"attendee{n}@example.org", **fields)
        with write_transaction():
            attendee = new_attendee(event, profile, source="test")
        return attendee

    return make


class AuthActions:
    """Sign organizers and attendees in through the real pages."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def organizer(self, email: str, password: str = PASSWORD) -> Any:
        return self.client.post("/organizer/sign-in",
                                data={"email": email, "password": password})

    def attendee(self, attendee: Any) -> Any:
        from eventnet.services.attendees import magic_link

        return open_magic_link(self.client, magic_link(attendee))


def open_magic_link(client: Any, link: str, **kwargs: Any) -> Any:
    """Open a magic link and press "Continue as ...", as a person would (a GET alone signs
    no one in); with the page's CSRF token when the form has one."""
    import re

    path = link.replace("http://eventnet.test", "")
    page = client.get(path)
    found = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data)
    return client.post(path, data={"csrf_token": found.group(1).decode()} if found else {},
                       **kwargs)


@pytest.fixture
def auth(client: Any) -> AuthActions:
    return AuthActions(client)
