"""Claiming an imported profile (Meetup gives no emails) from a claim link or QR code."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from eventnet.extensions import limiter
from eventnet.services import claims
from eventnet.services.errors import EventnetError
from eventnet.services.tokens import InvalidLink
from eventnet.web.auth import sign_in_attendee
from eventnet.web.public import bp
from eventnet.web.public.forms import ClaimForm


@bp.route("/claim/<token>", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def claim(token: str) -> Any:
    """Show whose profile this is; on POST set the email, sign in and mail a sign-in link."""
    try:
        attendee = claims.attendee_for_claim(token)
    except InvalidLink as exc:
        return render_template("errors/error.html", status=400, message=exc.message), 400
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            attendee = claims.claim_profile(token, form.email.data or "")
        except InvalidLink as exc:
            return render_template("errors/error.html", status=400, message=exc.message), 400
        except EventnetError as exc:
            form.email.errors = [*list(form.email.errors), exc.message]
        else:
            sign_in_attendee(attendee)
            flash(_("Welcome, %(name)s! Your profile is yours: we also sent a sign-in link to "
                    "%(email)s.", name=attendee.name, email=attendee.email), "success")
            return redirect(url_for("attendee.home", slug=attendee.event.slug))
    status = 422 if form.errors else 200
    return render_template("public/claim.html", form=form, person=attendee,
                           event=attendee.event), status
