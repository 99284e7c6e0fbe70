"""The JSON API under /api/v1, described by its OpenAPI document."""

from flask import Blueprint

from eventnet.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, no cookies: CSRF does not apply

from eventnet.web.api import routes  # noqa: E402,F401
