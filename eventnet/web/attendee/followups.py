"""Pages behind the follow-up email's links, and the attendee's own introductions and exports.

Every email link carries a signed, expiring, single-purpose token; GET only shows a page,
the change happens on POST. A bad or expired token gets a clear page and changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional

from eventnet.extensions import csrf, db, limiter
from eventnet.models import Introduction
from eventnet.models.intro import PROPOSED
from eventnet.services import consent, intros, vcards
from eventnet.services.errors import EventnetError
from eventnet.services.events import get_event
from eventnet.services.tokens import InvalidLink
from eventnet.web.attendee import bp
from eventnet.web.auth import current_attendee
from eventnet.web.edge import Response  # text that cannot fail to encode


class IntroRequestForm(FlaskForm):
    """A says "yes, introduce us", with an optional short message to B."""

    message = TextAreaField(_l("A short message for them (optional)"),
                            validators=[Optional(), Length(max=intros.MAX_MESSAGE_LENGTH)])


class IntroAnswerForm(FlaskForm):
    """B accepts or declines."""

    decision = HiddenField(validators=[AnyOf(["accept", "decline"])])


class UnsubscribeForm(FlaskForm):
    """Confirm the unsubscribe (the one-click POST of mail clients skips this form)."""


def _invalid(exc: InvalidLink) -> Any:
    return render_template("errors/error.html", status=400, message=exc.message), 400


def _message_page(title: str, message: str, status: int = 200) -> Any:
    return render_template("attendee/link_done.html", title=title, message=message), status


@bp.route("/i/<token>", methods=["GET", "POST"])
@limiter.limit("30/minute")
def intro_request(token: str) -> Any:
    """A's confirmation page for a suggested introduction (POST sends the request)."""
    try:
        intro = intros.proposal_from_link(token)
    except InvalidLink as exc:
        return _invalid(exc)
    if intro.status != PROPOSED:
        return _message_page(_("Request sent"), _(
            "You already asked to be introduced to %(name)s. We will email you both if "
            "they accept.", name=intro.recipient.name))
    form = IntroRequestForm()
    if form.validate_on_submit():
        try:
            intros.request_introduction(intro.id, intro.requester_id, form.message.data or "")
        except EventnetError as exc:
            form.form_errors.append(exc.message)
        else:
            return _message_page(_("Request sent"), _(
                "We asked %(name)s. If they accept, you both receive an email with each "
                "other's contact details.", name=intro.recipient.name))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("attendee/intro_request.html", intro=intro, form=form,
                           reasons=intros.reasons_for(intro, for_recipient=False),
                           event=intro.requester.event), status


@bp.route("/i/answer/<token>", methods=["GET", "POST"])
@limiter.limit("30/minute")
def intro_answer(token: str) -> Any:
    """B's page to accept or decline an introduction request (POST answers)."""
    try:
        intro = intros.answer_from_link(token)
    except InvalidLink as exc:
        return _invalid(exc)
    form = IntroAnswerForm()
    if form.validate_on_submit():
        accept = form.decision.data == "accept"
        try:
            intros.answer_introduction(intro.id, intro.recipient_id, accept)
        except EventnetError as exc:
            return _message_page(_("Introduction"), exc.message, exc.status)
        if accept:
            return _message_page(_("Introduction made"), _(
                "Thank you. You and %(name)s each received an email with the other's "
                "contact details.", name=intro.requester.name))
        return _message_page(_("Request declined"), _(
            "Noted. %(name)s is not told that you declined.", name=intro.requester.name))
    return render_template("attendee/intro_answer.html", intro=intro, form=form,
                           reasons=intros.reasons_for(intro, for_recipient=True),
                           event=intro.requester.event,
                           is_open=intros.is_answerable(intro)), 200


@bp.route("/u/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail clients send the RFC 8058 one-click POST without a form token
@limiter.limit("30/minute")
def unsubscribe(token: str) -> Any:
    """Unsubscribe from an event's follow-up and introduction mail."""
    try:
        attendee = consent.attendee_from_unsubscribe_link(token)
    except InvalidLink as exc:
        return _invalid(exc)
    if request.method == "POST":
        consent.unsubscribe(attendee.id)
        if request.form.get("List-Unsubscribe") == "One-Click":
            return Response(status=204)
        return _message_page(_("Unsubscribed"), _(
            "You will receive no more follow-up or introduction emails about %(event)s.",
            event=attendee.event.name))
    return render_template("attendee/unsubscribe.html", attendee=attendee,
                           event=attendee.event, form=UnsubscribeForm())


@bp.get("/v/<token>.vcf")
@limiter.limit("60/minute")
def vcard_link(token: str) -> Any:
    """The contact card of a connection who shares contact details (from the email)."""
    try:
        other, card = vcards.vcard_from_link(token)
    except InvalidLink as exc:
        return _invalid(exc)
    return _vcf(card, f"contact-{other.id}")


def _vcf(body: str, name: str) -> Response:
    return Response(body, mimetype="text/vcard",
                    headers={"Content-Disposition": f'attachment; filename="{name}.vcf"'})


def _signed_in(slug: str) -> Any:
    event = get_event(slug)
    attendee = current_attendee(event.id)
    if attendee is None:
        abort(404)
    return event, attendee


@bp.get("/e/<slug>/me/contacts/<int:other_id>.vcf")
def contact_vcard(slug: str, other_id: int) -> Any:
    """The vCard of one of my connections who shares contact details."""
    _event, me = _signed_in(slug)
    other, card = vcards.connection_vcard(me, other_id)
    return _vcf(card, f"contact-{other.id}")


@bp.get("/e/<slug>/me/connections.vcf")
def connections_vcf(slug: str) -> Any:
    """All my connections as one .vcf file."""
    event, me = _signed_in(slug)
    return _vcf(vcards.connections_vcf(me), f"connections-{event.slug}")


@bp.get("/e/<slug>/me/connections.csv")
def connections_csv(slug: str) -> Any:
    """All my connections as CSV."""
    event, me = _signed_in(slug)
    return Response(vcards.connections_csv(me), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="connections-{event.slug}.csv"'})


def _my_intro(me: Any, intro_id: int) -> Introduction:
    intro = db.session.get(Introduction, intro_id)
    if intro is None or me.id not in (intro.requester_id, intro.recipient_id):
        abort(404)
    return intro


@bp.post("/e/<slug>/me/introductions/<int:intro_id>/request")
def my_intro_request(slug: str, intro_id: int) -> Any:
    """Ask for a suggested introduction from my page."""
    _event, me = _signed_in(slug)
    intro = _my_intro(me, intro_id)
    form = IntroRequestForm()
    if not form.validate_on_submit():
        flash(_("The message is too long (%(n)d characters at most).",
                n=intros.MAX_MESSAGE_LENGTH), "error")
    else:
        try:
            intros.request_introduction(intro.id, me.id, form.message.data or "")
        except EventnetError as exc:
            flash(exc.message, "error")
        else:
            flash(_("We asked %(name)s. If they accept, you both receive an email.",
                    name=intro.recipient.name), "success")
    return redirect(url_for("attendee.home", slug=slug) + "#introductions")


@bp.post("/e/<slug>/me/introductions/<int:intro_id>/answer")
def my_intro_answer(slug: str, intro_id: int) -> Any:
    """Accept or decline an introduction request from my page."""
    _event, me = _signed_in(slug)
    intro = _my_intro(me, intro_id)
    form = IntroAnswerForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        intros.answer_introduction(intro.id, me.id, form.decision.data == "accept")
    except EventnetError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Introduction made: check your inbox.") if form.decision.data == "accept"
              else _("Declined. Nobody is told."), "success")
    return redirect(url_for("attendee.home", slug=slug) + "#introductions")
