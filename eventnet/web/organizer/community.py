"""Recurring meetups: communities, their events with attendance, and people over time."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eventnet.models import Community
from eventnet.models.organizer import ROLE_ORGANIZER
from eventnet.services import community as community_service
from eventnet.services import events as event_service
from eventnet.services.errors import EventnetError
from eventnet.services.organizers import communities_of, role_in
from eventnet.web.forms_common import form_status, service_errors
from eventnet.web.organizer import bp
from eventnet.web.organizer.forms import CommunityForm, EventForm


def organizer_community(cslug: str) -> Community:
    """The community if the signed-in organizer is one of its organizers; else 404."""
    if not current_user.is_authenticated:
        abort(404)
    try:
        community = community_service.get_community(cslug)
    except EventnetError:
        abort(404)
    if role_in(current_user, community.id) != ROLE_ORGANIZER:
        abort(404)
    return community


@bp.get("/communities/")
@login_required
def communities() -> Any:
    """The communities the organizer belongs to, with their role."""
    mine = [(c, role_in(current_user, c.id)) for c in communities_of(current_user)]
    return render_template("organizer/communities.html", communities=mine)


@bp.route("/communities/new", methods=["GET", "POST"])
@login_required
def new_community() -> Any:
    """Create a community (a recurring meetup or conference series)."""
    form = CommunityForm()
    if form.validate_on_submit():
        with service_errors(form):
            community = community_service.create_community(current_user.id, form.name.data or "")
            flash(_("The community was created."), "success")
            return redirect(url_for("organizer.community", cslug=community.slug))
    return render_template("organizer/community_form.html", form=form,
                           community=None), form_status(form)


@bp.get("/communities/<cslug>/")
@login_required
def community(cslug: str) -> Any:
    """A community's events with attendance, and the people who keep coming back."""
    community = organizer_community(cslug)
    return render_template("organizer/community.html", community=community,
                           events=community_service.community_events(community.id),
                           regulars=community_service.regulars(community.id))


@bp.route("/communities/<cslug>/settings", methods=["GET", "POST"])
@login_required
def community_settings(cslug: str) -> Any:
    """Rename a community (its address stays)."""
    community = organizer_community(cslug)
    form = CommunityForm(obj=community)
    if form.validate_on_submit():
        with service_errors(form):
            community_service.rename_community(community.id, form.name.data or "")
            flash(_("The community was saved."), "success")
            return redirect(url_for("organizer.community", cslug=community.slug))
    return render_template("organizer/community_form.html", form=form,
                           community=community), form_status(form)


@bp.get("/communities/<cslug>/people/<int:person_id>")
@login_required
def community_person(cslug: str, person_id: int) -> Any:
    """One person across the community's events."""
    community = organizer_community(cslug)
    person, attendances = community_service.person_history(community.id, person_id)
    return render_template("organizer/community_person.html", community=community,
                           person=person, attendances=attendances)


@bp.route("/communities/<cslug>/events/new", methods=["GET", "POST"])
@login_required
def new_community_event(cslug: str) -> Any:
    """Create an event in this community."""
    community = organizer_community(cslug)
    form = EventForm.for_event()
    if form.validate_on_submit():
        with service_errors(form):
            event = event_service.create_event(current_user, form.slug.data or "",
                                               form.event_data(), community_id=community.id)
            flash(_("The event was created in %(community)s. Share its registration page: "
                    "%(url)s", community=community.name,
                    url=url_for("public.register", slug=event.slug, _external=True)), "success")
            return redirect(url_for("organizer.event", slug=event.slug))
    return render_template("organizer/event_form.html", form=form, event=None,
                           community=community), form_status(form)
