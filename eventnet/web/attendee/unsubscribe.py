"""Unsubscribing from an event's follow-up and introduction mail, from the email's link or
with the one-click POST of mail clients (RFC 8058)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _

from eventnet.extensions import csrf, limiter
from eventnet.services import consent
from eventnet.services.tokens import InvalidLink
from eventnet.web.attendee import bp
from eventnet.web.attendee.pages import invalid_link, message_page
from eventnet.web.edge import Response  # text that cannot fail to encode
from eventnet.web.forms_common import ConfirmForm


@bp.route("/u/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail clients send the RFC 8058 one-click POST without a form token
@limiter.limit("30/minute")
def unsubscribe(token: str) -> Any:
    """Unsubscribe from an event's follow-up and introduction mail."""
    try:
        attendee = consent.attendee_from_unsubscribe_link(token)
    except InvalidLink as exc:
        return invalid_link(exc)
    if request.method == "POST":
        consent.unsubscribe(attendee.id)
        if request.form.get("List-Unsubscribe") == "One-Click":
            return Response(status=204)
        return message_page(_("Unsubscribed"), _(
            "You will receive no more follow-up or introduction emails about %(event)s.",
            event=attendee.event.name))
    return render_template("attendee/unsubscribe.html", attendee=attendee,
                           event=attendee.event, form=ConfirmForm())
