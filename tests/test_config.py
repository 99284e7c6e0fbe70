"""Configuration, the SQLite set-up, migrations and packaging."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text

from eventnet import create_app
from eventnet.config import from_environ

ROOT = Path(__file__).resolve().parents[1]


def test_environment_settings_and_defaults():
    settings = from_environ({"EVENTNET_BASE_URL": "https://events.example.org/",
                             "EVENTNET_SMTP_PORT": "2525"})
    assert settings["EVENTNET_BASE_URL"] == "https://events.example.org"
    assert settings["SMTP_PORT"] == 2525
    assert from_environ({})["MAIL_BACKEND"] == "file"


def test_secret_key_is_generated_once_and_persisted(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTNET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("EVENTNET_SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").read_text().strip() == first
    monkeypatch.setenv("EVENTNET_SECRET_KEY", "from-env")
    assert create_app().config["SECRET_KEY"] == "from-env"


def test_default_database_is_sqlite_in_instance_with_wal_and_busy_timeout(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("EVENTNET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("EVENTNET_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/eventnet.sqlite3"
    from eventnet.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def test_a_database_server_pool_keeps_a_connection_per_request_thread(tmp_path, monkeypatch):
    """Beyond its pool size the pool opens and closes a server connection per request (a
    new PostgreSQL process each time); gunicorn.conf.py sizes it from its thread count."""
    monkeypatch.setenv("EVENTNET_INSTANCE_PATH", str(tmp_path))
    url = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"  # never connected to here
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    from eventnet.extensions import db

    with app.app_context():
        assert db.engine.pool.size() == 10
    monkeypatch.setenv("EVENTNET_DB_POOL_SIZE", "3")
    with create_app({"SQLALCHEMY_DATABASE_URI": url}).app_context():
        assert db.engine.pool.size() == 3
    env = {"PATH": "/usr/bin:/bin", "GUNICORN_THREADS": "12"}
    out = subprocess.run(
        [sys.executable, "-c", "import runpy, os; runpy.run_path('gunicorn.conf.py'); "
         "print(os.environ['EVENTNET_DB_POOL_SIZE'])"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "14"


def test_migrations_match_the_models(app):
    """Alembic's autogenerate finds nothing to do: the migration is the model."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from eventnet.extensions import db

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the source tree")
def test_wheel_ships_templates_and_migrations(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True)
    [wheel] = tmp_path.glob("eventnet-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "eventnet/templates/base.html" in names
    assert "eventnet/templates/email/confirmation.txt" in names
    assert any(n.startswith("eventnet/migrations/versions/") for n in names)
    assert "eventnet/static/css/app.css" in names
    assert any(n.startswith("eventnet/translations/fr/") and n.endswith(".mo") for n in names)


def test_a_worker_keeps_the_loaded_app_out_of_full_collections(monkeypatch):
    """gunicorn.conf.py freezes what loading the app made once a worker has loaded it: the
    garbage collector's full passes then skip it, and stop the worker's threads far less."""
    import gc
    import runpy
    from types import SimpleNamespace

    monkeypatch.delenv("EVENTNET_RUN_BANNER", raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        conf["post_worker_init"](SimpleNamespace(age=1))
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
