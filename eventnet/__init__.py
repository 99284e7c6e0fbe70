"""eventnet: a self-hosted networking companion for meetups and conferences."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

_PACKAGE = Path(__file__).resolve().parent


def _resource_dir(name: str) -> str:
    """A top-level folder of the repository, or its copy inside the installed wheel."""
    inside = _PACKAGE / name
    return str(inside if inside.is_dir() else _PACKAGE.parent / name)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the eventnet application; ``config`` overrides the environment's settings."""
    from eventnet import config as settings
    from eventnet.database import configure_engine
    from eventnet.extensions import babel, csrf, db, limiter, login, migrate, select_locale
    from eventnet.services.organizers import SESSION_MAX_AGE

    app = Flask(
        __name__,
        instance_path=os.environ.get("EVENTNET_INSTANCE_PATH") or None,
        template_folder=_resource_dir("templates"),
    )
    app.config.update(settings.from_environ())
    app.config.update(
        BABEL_TRANSLATION_DIRECTORIES=str(_PACKAGE / "translations"),
        # No pre-ping on every checkout: database.configure_engine checks idle connections.
        SQLALCHEMY_ENGINE_OPTIONS={},
        WTF_CSRF_TIME_LIMIT=None,  # a registration form may stay open for hours at a venue
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=90 * 24 * 3600,
        RATELIMIT_HEADERS_ENABLED=True,
        # Two counters per key instead of one timestamp per hit: about as exact as a moving
        # window, and far cheaper at a scan a second per attendee (and one Redis call, not a
        # Lua script, per limit).
        RATELIMIT_STRATEGY="sliding-window-counter",
    )
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = settings.sqlite_url(app.instance_path)
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": app.config["DB_POOL_SIZE"],
                                                   **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.persistent_secret_key(app.instance_path)
    is_https = app.config["EVENTNET_BASE_URL"].startswith("https://")
    app.config["SESSION_COOKIE_SECURE"] = is_https
    # Organizers' "remember me": a month, never sent over plain http under an https address,
    # nor with cross-site requests; it carries its sign-in's own secret (see start_session).
    app.config.setdefault("REMEMBER_COOKIE_DURATION", SESSION_MAX_AGE)
    app.config["REMEMBER_COOKIE_SECURE"] = is_https
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)

    from eventnet.web.cookie_session import CookieSessionInterface

    app.session_interface = CookieSessionInterface()
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=_resource_dir("migrations"))
    csrf.init_app(app)
    login.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    from eventnet.web.limits import storage_uri

    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)

    from eventnet import models  # noqa: F401  (register the tables)
    from eventnet.web import register_web

    register_web(app)

    from eventnet.mail import worker
    from eventnet.services.consent import cancel_withheld
    from eventnet.services.mail_files import attachments_for

    worker.init_app(app, cancel_withheld=cancel_withheld, attachments=attachments_for,
                    factory=create_app)

    from eventnet.cli import register_commands

    register_commands(app)
    return app
