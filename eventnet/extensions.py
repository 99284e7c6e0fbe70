"""Flask extensions, created unbound and attached in ``create_app``."""

from __future__ import annotations

from flask import has_request_context, request, session
from flask_babel import Babel
from flask_limiter import Limiter as FlaskLimiter
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


class Limiter(FlaskLimiter):
    """Flask-Limiter, skipping its per-request bookkeeping for views that check their limits
    by hand (``eventnet.web.limits.spend``): on the badge-scan API that bookkeeping, with no
    limit to apply, cost as much as the scan's own limit checks."""

    #: endpoints whose view checks its own limits (Flask-Limiter does nothing for them)
    checked_by_the_view: frozenset[str] = frozenset({"api.create_scan"})

    def _check_request_limit(self, callable_name: str | None = None,
                             in_middleware: bool = True) -> None:
        if request.endpoint in self.checked_by_the_view:
            return
        super()._check_request_limit(callable_name, in_middleware)


limiter = Limiter(key_func=get_remote_address, default_limits=[])
