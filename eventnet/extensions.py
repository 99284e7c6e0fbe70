"""Flask extensions, created unbound and attached in ``create_app``."""

from __future__ import annotations

from flask import has_request_context, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of every eventnet model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
login = LoginManager()
login.login_view = "organizer.sign_in"


def select_locale() -> str | None:
    """The user's saved language, else the best match for Accept-Language."""
    if not has_request_context():
        return None  # CLI and workers: the default, unless force_locale says otherwise
    chosen = session.get("lang")
    if chosen in ("en", "fr"):
        return str(chosen)
    return request.accept_languages.best_match(["en", "fr"])


babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
