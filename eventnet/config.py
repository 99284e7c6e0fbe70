"""Settings from ``EVENTNET_*`` environment variables, with documented defaults.

Every setting can also be passed to ``create_app(config={...})`` by its Flask name.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

#: environment variable → (Flask config key, default, parser)
_ENV: dict[str, tuple[str, Any, Any]] = {
    "EVENTNET_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", None, str),
    # connections kept open per process to a database server: at least one per request thread
    # (gunicorn.conf.py sets it from GUNICORN_THREADS), or the pool opens and closes one per
    # request beyond it, a new server process each time
    "EVENTNET_DB_POOL_SIZE": ("DB_POOL_SIZE", 10, int),
    "EVENTNET_SECRET_KEY": ("SECRET_KEY", None, str),
    # unset: derived from GUNICORN_BIND (base_url_for_bind), so the port is one setting
    "EVENTNET_BASE_URL": ("EVENTNET_BASE_URL", None, lambda v: v.rstrip("/")),
    "EVENTNET_MAIL_BACKEND": ("MAIL_BACKEND", "file", str),
    "EVENTNET_MAIL_FROM": ("MAIL_FROM", "eventnet@localhost", str),
    "EVENTNET_SMTP_HOST": ("SMTP_HOST", "localhost", str),
    "EVENTNET_SMTP_PORT": ("SMTP_PORT", 25, int),
    "EVENTNET_SMTP_USERNAME": ("SMTP_USERNAME", None, str),
    "EVENTNET_SMTP_PASSWORD": ("SMTP_PASSWORD", None, str),
    "EVENTNET_SMTP_SECURITY": ("SMTP_SECURITY", "none", str),  # none | starttls | ssl
    "EVENTNET_SMTP_TIMEOUT": ("SMTP_TIMEOUT", 30, int),
    "EVENTNET_SMTP_CONNECTIONS": ("SMTP_CONNECTIONS", 8, int),  # per delivery worker
    "EVENTNET_MAIL_SYNC": ("MAIL_SYNC", True, lambda v: v.lower() in ("1", "true", "yes")),
    "EVENTNET_BROKER_URL": ("BROKER_URL", None, str),
    "EVENTNET_CELERY_QUEUE": ("CELERY_QUEUE", "eventnet", str),
    "EVENTNET_OUTBOX_CLAIM_SECONDS": ("OUTBOX_CLAIM_SECONDS", 120, int),
    # a message handed over without the server's answer is sent again this much later
    "EVENTNET_OUTBOX_RESEND_UNCONFIRMED_SECONDS": ("OUTBOX_RESEND_UNCONFIRMED_SECONDS", 300, int),
    # days the content of mail is kept once it is sent (or given up on): eventnet.mail.retention
    "EVENTNET_MAIL_RETENTION_DAYS": ("MAIL_RETENTION_DAYS", 3, float),
    "EVENTNET_RATELIMIT_STORAGE_URL": ("RATELIMIT_STORAGE_URI", "memory://", str),
    "EVENTNET_RATELIMIT_ENABLED": (
        "RATELIMIT_ENABLED", True, lambda v: v.lower() in ("1", "true", "yes")
    ),
    "EVENTNET_MAGIC_LINK_MAX_AGE": ("MAGIC_LINK_MAX_AGE", 30 * 24 * 3600, int),
    "EVENTNET_DEFAULT_LANGUAGE": ("BABEL_DEFAULT_LOCALE", "en", str),
    # how many reverse proxies in front set X-Forwarded-For/-Proto/-Host (0: none, trust none)
    "EVENTNET_PROXY_FIX": ("PROXY_FIX", 0, int),
}

LANGUAGES = ("en", "fr")


def from_environ(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Read the ``EVENTNET_*`` settings from the environment, applying defaults."""
    environ = dict(os.environ) if environ is None else environ
    settings: dict[str, Any] = {}
    for name, (key, default, parse) in _ENV.items():
        raw = environ.get(name)
        settings[key] = parse(raw) if raw not in (None, "") else default
    if settings["EVENTNET_BASE_URL"] is None:
        settings["EVENTNET_BASE_URL"] = base_url_for_bind(environ.get("GUNICORN_BIND") or "")
    return settings


DEFAULT_BIND = "127.0.0.1:8000"


def base_url_for_bind(bind: str) -> str:
    """The address to open for gunicorn's ``GUNICORN_BIND`` (``host:port``, default
    ``127.0.0.1:8000``): all interfaces (``0.0.0.0``, ``[::]``) read as this machine, a
    Unix socket as the default. Behind a proxy, set ``EVENTNET_BASE_URL`` instead."""
    bind = bind.split(",")[0].strip() or DEFAULT_BIND
    if bind.startswith(("unix:", "fd://")):
        bind = DEFAULT_BIND
    host, _, port = bind.rpartition(":") if bind.rpartition(":")[2].isdigit() else (bind, "", "")
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "[::]": "[::1]"}.get(host, host)
    return f"http://{host}:{port or '8000'}"


def sqlite_url(instance_path: str) -> str:
    """The default database: a SQLite file in the instance folder."""
    return "sqlite:///" + str(Path(instance_path) / "eventnet.sqlite3")


def persistent_secret_key(instance_path: str) -> str:
    """Return the secret key stored in the instance folder, creating it on first run."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    key = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two workers starting at once must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
