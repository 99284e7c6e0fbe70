"""The organizer's attendee pages: list with search and filters, detail, edit, badges, erasure."""

from __future__ import annotations

import base64
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import login_required
from werkzeug.routing import BuildError

from eventnet.models import Attendee, Event
from eventnet.services import attendees as attendee_service
from eventnet.services import badges as badge_service
from eventnet.services import claims, erasure, roster
from eventnet.services.connections import connections_for
from eventnet.web.auth import organizer_event
from eventnet.web.forms_common import ConfirmForm, form_status, service_errors, with_questions
from eventnet.web.organizer import bp
from eventnet.web.organizer.forms import AttendeeEditForm

FILTER_LABELS = {
    "checked_in": _l("Checked in"),
    "not_checked_in": _l("Not checked in"),
    "scanned": _l("Has scanned"),
    "not_scanned": _l("Has not scanned"),
    "no_consent": _l("A consent missing"),
}

#: destructive actions: what the confirmation page says, and the service call
ACTIONS: dict[str, dict[str, Any]] = {
    "revoke-badge": {
        "title": _l("Revoke the badge"),
        "explain": _l("The badge stops working at once: scans of it are refused. The attendee "
                      "stays registered; you can issue a new badge later."),
        "button": _l("Revoke the badge"),
    },
    "reissue-badge": {
        "title": _l("Issue a new badge"),
        "explain": _l("The current badge stops working and a new one is issued: print it from "
                      "this page. Use it for a lost badge."),
        "button": _l("Issue a new badge"),
    },
    "erase": {
        "title": _l("Delete this attendee"),
        "explain": _l("Right to erasure: the name, email, profile, answers and notes are "
                      "removed, with their scans, connections, introductions and unsent mail. "
                      "Only anonymous counts remain. This cannot be undone."),
        "button": _l("Delete for good"),
    },
}


@bp.get("/events/<slug>/attendees")
@login_required
def attendees(slug: str) -> Any:
    """Attendees with search (name, company, email), filters and pages."""
    event = organizer_event(slug)
    query = request.args.get("q", "")[:200]
    filters = tuple(f for f in request.args.getlist("filter") if f in roster.FILTERS)
    page = roster.roster(event.id, query, filters, request.args.get("page", 1, type=int) or 1)
    return render_template("organizer/attendees.html", event=event, page=page, query=query,
                           filters=filters, filter_labels=FILTER_LABELS)


def _followup_preview_url(event: Event, attendee: Attendee) -> str | None:
    """The follow-up preview page of this attendee, when the app has one."""
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith("organizer.") and "followup" in rule.endpoint and \
                "preview" in rule.endpoint and rule.arguments == {"slug", "attendee_id"}:
            try:
                return url_for(rule.endpoint, slug=event.slug, attendee_id=attendee.id)
            except BuildError:
                return None
    return None


@bp.get("/events/<slug>/attendees/<int:attendee_id>")
@login_required
def attendee(slug: str, attendee_id: int) -> Any:
    """One attendee: profile, badge, their connections, follow-up preview, claim link."""
    event = organizer_event(slug)
    person = roster.event_attendee(event.id, attendee_id)
    claim_url = claim_qr = None
    if claims.is_claimable(person):
        claim_url = claims.claim_link(person)
        claim_qr = base64.b64encode(badge_service.qr_svg(claim_url).encode()).decode()
    return render_template(
        "organizer/attendee.html", event=event, person=person,
        connections=connections_for(person), claim_url=claim_url, claim_qr=claim_qr,
        followup_url=_followup_preview_url(event, person),
        badge_url=attendee_service.badge_url(person.badge.token) if person.badge else None,
        actions=ACTIONS)


@bp.route("/events/<slug>/attendees/<int:attendee_id>/edit", methods=["GET", "POST"])
@login_required
def edit_attendee(slug: str, attendee_id: int) -> Any:
    """Correct an attendee's profile (the consents stay theirs)."""
    event = organizer_event(slug)
    person = roster.event_attendee(event.id, attendee_id)
    form = with_questions(AttendeeEditForm, event)()
    if person.email is None:
        form.email.validators = []  # imported without an address: it stays optional
    if request.method == "GET":
        form.fill(person)
    if form.validate_on_submit():
        with service_errors(form):
            roster.edit_attendee(event.id, person.id, form.profile(event))
            flash(_("The attendee was saved."), "success")
            return redirect(url_for("organizer.attendee", slug=event.slug, attendee_id=person.id))
    return render_template("organizer/attendee_edit.html", event=event, person=person,
                           form=form), form_status(form)


@bp.route("/events/<slug>/attendees/<int:attendee_id>/<any('revoke-badge','reissue-badge',"
          "'erase'):action>", methods=["GET", "POST"])
@login_required
def attendee_action(slug: str, attendee_id: int, action: str) -> Any:
    """Confirm (GET) and do (POST) a destructive action on an attendee."""
    event = organizer_event(slug)
    person = roster.event_attendee(event.id, attendee_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if action == "erase":
            result = erasure.erase_attendee(person.id, event.id)
            flash(_("The attendee was deleted: %(scans)s and %(connections)s removed, "
                    "anonymous counts kept.",
                    scans=ngettext("%(num)d scan", "%(num)d scans", result.scans),
                    connections=ngettext("%(num)d connection", "%(num)d connections",
                                         result.connections)), "success")
            return redirect(url_for("organizer.attendees", slug=event.slug))
        if action == "revoke-badge":
            badge_service.revoke_badge(person.id)
            flash(_("The badge was revoked."), "success")
        else:
            badge_service.reissue_badge(person.id)
            flash(_("A new badge was issued: print it below."), "success")
        return redirect(url_for("organizer.attendee", slug=event.slug, attendee_id=person.id))
    status = 400 if request.method == "POST" else 200
    return render_template("organizer/attendee_confirm.html", event=event, person=person,
                           form=form, action=action, info=ACTIONS[action]), status
