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
    "EVENTNET_SECRET_KEY": ("SECRET_KEY", None, str),
    "EVENTNET_BASE_URL": ("EVENTNET_BASE_URL", "http://127.0.0.1:8000", lambda v: v.rstrip("/")),
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
    return settings


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
