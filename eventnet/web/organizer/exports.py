"""Downloads of an event's data: attendees, connections (with consent), anonymised network."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import login_required

from eventnet.services import exports as export_service
from eventnet.web.auth import organizer_event
from eventnet.web.edge import Response  # text that cannot fail to encode
from eventnet.web.organizer import bp


def _download(body: str, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/events/<slug>/exports")
@login_required
def exports(slug: str) -> Any:
    """The export page: what each download contains."""
    event = organizer_event(slug)
    return render_template("organizer/exports.html", event=event)


@bp.get("/events/<slug>/exports/attendees.csv")
@login_required
def export_attendees(slug: str) -> Response:
    """Every attendee as CSV (the eventnet import format plus badge columns)."""
    event = organizer_event(slug)
    return _download(export_service.attendees_csv(event), f"attendees-{event.slug}.csv",
                     "text/csv; charset=utf-8")


@bp.get("/events/<slug>/exports/connections.csv")
@login_required
def export_connections(slug: str) -> Response:
    """Who met whom; names and emails only where both people agreed to share contact."""
    event = organizer_event(slug)
    return _download(export_service.connections_csv(event), f"connections-{event.slug}.csv",
                     "text/csv; charset=utf-8")


@bp.get("/events/<slug>/exports/network.graphml")
@login_required
def export_network(slug: str) -> Response:
    """The anonymised network as GraphML, for research."""
    event = organizer_event(slug)
    return _download(export_service.network_graphml(event), f"network-{event.slug}.graphml",
                     "application/graphml+xml; charset=utf-8")
