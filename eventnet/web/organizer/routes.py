"""Routes of the organizer backend: sign-in, events, badges."""

from __future__ import annotations

import math
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from eventnet.extensions import db
from eventnet.models import Attendee
from eventnet.models.organizer import ROLE_ORGANIZER
from eventnet.services import badges as badge_service
from eventnet.services import events as event_service
from eventnet.services import stats
from eventnet.services.organizers import authenticate, communities_of, role_in
from eventnet.web import row_id, signin_limits
from eventnet.web.auth import organizer_event, sign_in_organizer, sign_out_organizer
from eventnet.web.forms_common import choices, form_status, service_errors
from eventnet.web.organizer import bp
from eventnet.web.organizer.dashboard import POLL_INTERVAL_MS
from eventnet.web.organizer.forms import (
    NEW_COMMUNITY,
    BadgesForm,
    EventForm,
    NewEventForm,
    SignInForm,
)


@bp.route("/organizer/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """Organizer sign-in with email and password; failures slow down who fails, not the
    account, and never a browser the organizer signed in on (``web/signin_limits.py``)."""
    form = SignInForm()
    if form.validate_on_submit():
        try:
            attempt = signin_limits.begin()
        except signin_limits.SlowDown as slow:
            # before the password is checked: a right guess while slowed down tells nothing
            form.form_errors.append(_wait_message(slow.seconds))
            return (render_template("organizer/sign_in.html", form=form), 429,
                    {"Retry-After": str(slow.seconds)})
        try:
            organizer = authenticate(form.email.data or "", form.password.data or "")
        except BaseException:
            attempt.abandoned()
            raise
        if organizer is None:
            attempt.failed()
            form.form_errors.append(_("Wrong email or password."))
            return render_template("organizer/sign_in.html", form=form), form_status(form)
        attempt.succeeded()
        sign_in_organizer(organizer.id)
        target = request.args.get("next", "")
        if not target.startswith("/") or target.startswith("//"):
            target = url_for("organizer.events")
        response = redirect(target)
        attempt.trust_browser(response)
        return response
    return render_template("organizer/sign_in.html", form=form), form_status(form)


def _wait_message(seconds: int) -> str:
    if seconds < 60:
        return ngettext("Too many failed sign-ins: try again in %(num)d second.",
                        "Too many failed sign-ins: try again in %(num)d seconds.", seconds)
    minutes = math.ceil(seconds / 60)
    return ngettext("Too many failed sign-ins: try again in %(num)d minute.",
                    "Too many failed sign-ins: try again in %(num)d minutes.", minutes)


@bp.post("/organizer/sign-out")
@login_required
def sign_out() -> Any:
    """End the organizer's session on this browser (its cookies stop working), and have the
    browser delete what the site keeps on it: the door's roster (names) leaves the device."""
    sign_out_organizer()
    flash(_("You are signed out."), "info")
    response = redirect(url_for("public.index"))
    # Secure contexts only (https, localhost); static/js/signout.js warns first when it
    # would delete check-ins or scans not sent yet, and deletes the rosters where it is ignored.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.get("/organizer/")
@login_required
def events() -> Any:
    """The organizer's events."""
    return render_template("organizer/events.html",
                           events=event_service.events_for(current_user))


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new_event() -> Any:
    """Create an event (in a chosen community when the organizer runs several)."""
    form = NewEventForm.for_event()
    owned = [c for c in communities_of(current_user)
             if role_in(current_user, c.id) == ROLE_ORGANIZER]
    form.community.choices = choices(
        [("", _("Choose…")), *((str(c.id), c.name) for c in owned),
         (NEW_COMMUNITY, _("A new community, for this event only"))])
    if request.method == "GET":
        form.community.data = next((str(c.id) for c in owned
                                    if c.slug == request.args.get("community")), "")
    if form.validate_on_submit():
        is_new = form.community.data == NEW_COMMUNITY
        with service_errors(form):
            event = event_service.create_event(
                current_user, form.slug.data or "", form.event_data(),
                community_id=None if is_new else int(form.community.data or 0),
                new_community=is_new)
            flash(_("The event was created. Share its registration page: %(url)s",
                    url=url_for("public.register", slug=event.slug, _external=True)), "success")
            return redirect(url_for("organizer.event", slug=event.slug))
    return render_template("organizer/event_form.html", form=form, event=None), form_status(form)


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_event(slug: str) -> Any:
    """Edit an event's settings and custom questions (the slug stays)."""
    event = organizer_event(slug)
    form = EventForm.for_event(event)
    form.slug.data = event.slug
    if form.validate_on_submit():
        with service_errors(form):
            event_service.update_event(event.id, form.event_data())
            flash(_("The event was saved."), "success")
            return redirect(url_for("organizer.event", slug=event.slug))
    return render_template("organizer/event_form.html", form=form, event=event), form_status(form)


@bp.get("/events/<slug>/")
@login_required
def event(slug: str) -> Any:
    """The event's live overview for its organizers (see dashboard.py), and its badges."""
    event = organizer_event(slug)
    return render_template("organizer/event.html", event=event, overview=stats.overview(event),
                           poll_interval=POLL_INTERVAL_MS,
                           badges_form=BadgesForm(meta={"csrf": False}))


@bp.get("/events/<slug>/badges.pdf")
@login_required
def badges_pdf(slug: str) -> Any:
    """A printable PDF with the badges of the whole event, or of one attendee."""
    event = organizer_event(slug)
    form = BadgesForm(request.args, meta={"csrf": False})
    if not form.validate():
        abort(400)
    attendee_id = request.args.get("attendee", type=row_id)
    if "attendee" in request.args:
        attendee = db.session.get(Attendee, attendee_id) if attendee_id else None
        if attendee is None or attendee.event_id != event.id:
            abort(404)
    pdf = badge_service.event_badges_pdf(event, layout=form.layout.data or "a6",
                                         paper=form.paper.data or "a4",
                                         attendee_id=attendee_id)
    name = f"badges-{event.slug}" + (f"-{attendee_id}" if attendee_id else "") + ".pdf"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})
