"""The live dashboard of an event: the overview's JSON poll and the network page.

The overview page itself is ``organizer.event`` (routes.py): the page organizers land on.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound as HTTPNotFound

from eventnet.models import Event
from eventnet.services import network as network_service
from eventnet.services import stats
from eventnet.services.errors import NotFound
from eventnet.web import error_response
from eventnet.web.auth import organizer_event
from eventnet.web.organizer import bp

#: how often the overview asks for fresh numbers, in milliseconds
POLL_INTERVAL_MS = 5000


def _json_event(slug: str) -> Event | Response:
    """The event for a JSON endpoint, or the JSON error to answer (never a redirect or page)."""
    if not current_user.is_authenticated:
        return error_response(401, "signed_out",
                              _("Your session has ended: sign in again."))
    try:
        return organizer_event(slug)
    except (HTTPNotFound, NotFound):
        return error_response(404, "not_found",
                              _("This page does not exist."))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/events/<slug>/overview.json")
def overview_json(slug: str) -> Any:
    """The overview's numbers, polled by the page every few seconds."""
    event = _json_event(slug)
    if isinstance(event, Response):
        return event
    return _no_store(jsonify(stats.overview(event)))


@bp.get("/events/<slug>/network")
@login_required
def network(slug: str) -> Any:
    """Who met whom: the graph, the most connected people and the wallflowers."""
    event = organizer_event(slug)
    return render_template("organizer/network.html", event=event,
                           summary=network_service.summary(event),
                           max_edges=network_service.MAX_EDGES)


@bp.get("/events/<slug>/network.json")
def network_json(slug: str) -> Any:
    """The graph's nodes and edges for the network page."""
    event = _json_event(slug)
    if isinstance(event, Response):
        return event
    return _no_store(jsonify(network_service.graph(event)))
