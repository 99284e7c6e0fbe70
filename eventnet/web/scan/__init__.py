"""Badge pages and scanning: what a phone opens when it reads a badge."""

from flask import Blueprint

bp = Blueprint("scan", __name__)

from eventnet.web.scan import offline, pending, routes  # noqa: E402,F401
