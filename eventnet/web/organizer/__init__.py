"""The organizer backend: sign-in, events, attendees, badges."""

from flask import Blueprint

bp = Blueprint("organizer", __name__)

from eventnet.web.organizer import (  # noqa: E402,F401  (importing registers the routes)
    attendees,
    checkin,
    community,
    dashboard,
    exports,
    followups,
    imports,
    routes,
    team,
)
