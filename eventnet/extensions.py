"""Flask extensions, created unbound and attached in ``create_app``."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Flask, Response, current_app, has_request_context, request, session
from flask_babel import Babel
from flask_limiter import Limiter as FlaskLimiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager as FlaskLoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of every eventnet model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()


class LoginManager(FlaskLoginManager):  # type: ignore[misc]  # flask_login ships no types
    """Flask-Login, without its remember-cookie bookkeeping on requests whose session is
    empty (API clients, visitors): there is no remember operation to carry out in it."""

    def _update_remember_cookie(self, response: Response) -> Response:
        if not session and not current_app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST"):
            return response
        return super()._update_remember_cookie(response)  # type: ignore[no-any-return]


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
    by hand (``eventnet.web.limits.spend``): on the badge-scan API that bookkeeping (limits
    to evaluate before the view; deductions, headers and a context to reset after it), with
    no limit to apply, cost as much as the scan's own limit checks."""

    #: endpoints whose view checks its own limits (Flask-Limiter does nothing for them)
    checked_by_the_view: frozenset[str] = frozenset({"api.create_scan"})

    def init_app(self, app: Flask) -> None:
        """Flask-Limiter's ``init_app``; its after-request hook skips those views too."""
        super().init_app(app)
        hooks = app.after_request_funcs[None]
        for i, hook in enumerate(hooks):
            if isinstance(hook, partial) and hook.args == (self,):  # its __inject_headers
                hooks[i] = partial(self._after_request, hook)

    def _after_request(self, inject_headers: Any, response: Response) -> Response:
        if request.endpoint in self.checked_by_the_view:
            return response
        return inject_headers(response)  # type: ignore[no-any-return]

    def _check_request_limit(self, callable_name: str | None = None,
                             in_middleware: bool = True) -> None:
        if request.endpoint in self.checked_by_the_view:
            return
        super()._check_request_limit(callable_name, in_middleware)

    def _Limiter__release_context(self, exc: BaseException | None = None) -> None:
        # the teardown hook (Flask-Limiter's private name); no context was made for them
        if request.endpoint in self.checked_by_the_view:
            return
        super()._Limiter__release_context(exc)  # type: ignore[misc]


limiter = Limiter(key_func=get_remote_address, default_limits=[])
