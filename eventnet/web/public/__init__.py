"""Public pages: event registration, magic links, the language switch."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from eventnet.web.public import calendar, claim, routes  # noqa: E402,F401
