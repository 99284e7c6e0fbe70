"""The attendee's own pages, reached by magic link."""

from flask import Blueprint

bp = Blueprint("attendee", __name__)

from eventnet.web.attendee import (  # noqa: E402,F401  (importing registers the routes)
    contacts,
    introductions,
    routes,
    unsubscribe,
)
