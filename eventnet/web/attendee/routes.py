"""Routes of the attendee's own page."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from eventnet.models import Attendee
from eventnet.services import attendees as attendee_service
from eventnet.services import consent
from eventnet.services.events import get_event
from eventnet.web.attendee import bp
from eventnet.web.attendee.forms import EditProfileForm
from eventnet.web.auth import current_attendee, sign_out_attendee
from eventnet.web.forms_common import (
    ConfirmForm,
    fill_from_attendee,
    form_status,
    service_errors,
    with_questions,
)


def _me(slug: str) -> tuple[Any, Attendee | None]:
    event = get_event(slug)
    return event, current_attendee(event.id)


@bp.route("/e/<slug>/me", methods=["GET", "POST"])
def home(slug: str) -> Any:
    """My badge, my profile (editable) and my connections."""
    event, attendee = _me(slug)
    if attendee is None:
        return redirect(url_for("public.signin", slug=slug, next=request.path))
    form = with_questions(EditProfileForm, event)()
    if request.method == "GET":
        fill_from_attendee(form, attendee)
    elif form.validate_on_submit():
        with service_errors(form):
            attendee_service.update_profile(attendee.id, form.profile(event))
            flash(_("Your profile was saved."), "success")
            return redirect(url_for("attendee.home", slug=slug))
    return render_template("attendee/home.html", event=event, attendee=attendee, form=form,
                           badge=attendee.badge,
                           badge_url=attendee_service.badge_url(attendee.badge.token)
                           if attendee.badge else None,
                           connections=connections_of(attendee),
                           introductions=introductions_of(attendee),
                           resubscribe_form=ConfirmForm() if attendee.unsubscribed_at else None
                           ), form_status(form)


def introductions_of(attendee: Attendee) -> dict[str, Any]:
    """My introductions: suggested to me, requested by me, asking me, made."""
    from eventnet.services.intros import for_attendee, introduced_email, reasons_for

    sets: dict[str, Any] = dict(for_attendee(attendee.id))
    sets["emails"] = {i.id: introduced_email(i, attendee.id) for i in sets["made"]}
    sets["reasons"] = {i.id: reasons_for(i, for_recipient=False) for i in sets["suggested"]}
    sets["reasons"].update({i.id: reasons_for(i, for_recipient=True)
                            for i in sets["received"]})
    return sets


def connections_of(attendee: Attendee) -> list[dict[str, Any]]:
    """The people this attendee met, newest first, as seen from their side."""
    from eventnet.services.connections import connections_for

    return connections_for(attendee)


@bp.post("/e/<slug>/me/resubscribe")
def resubscribe(slug: str) -> Any:
    """Undo an unsubscribe from the event's mail (its link's page says where: here). A
    follow-up the unsubscribe cancelled before it went out is queued again, once."""
    event, attendee = _me(slug)
    if attendee is None:
        return redirect(url_for("public.signin", slug=slug, next=f"/e/{slug}/me"))
    if ConfirmForm().validate_on_submit() and attendee.unsubscribed_at is not None:
        consent.resubscribe(attendee.id)
        flash(_("You will receive this event's emails again, as your choices below allow."),
              "success")
    return redirect(url_for("attendee.home", slug=event.slug))


@bp.post("/e/<slug>/me/sign-out")
def sign_out(slug: str) -> Any:
    """Forget this browser's attendee session for the event."""
    event = get_event(slug)
    sign_out_attendee(event.id)
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.register", slug=slug))
