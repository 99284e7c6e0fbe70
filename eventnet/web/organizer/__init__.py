"""The organizer backend: sign-in, events, attendees, badges."""

from flask import Blueprint

bp = Blueprint("organizer", __name__)

from eventnet.web.organizer import checkin, dashboard, followups, routes  # noqa: E402,F401
from eventnet.web.organizer import attendees, community, exports, imports, team  # noqa: E402,F401
