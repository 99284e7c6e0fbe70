"""Public pages: event registration, magic links, the language switch."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from eventnet.web.public import routes  # noqa: E402,F401
from eventnet.web.public import claim  # noqa: E402,F401
