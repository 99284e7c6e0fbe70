"""Introductions: the requester's and the recipient's pages behind the email links, and the
same two answers from the attendee's own page."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from eventnet.extensions import db, limiter
from eventnet.models import Attendee, Introduction
from eventnet.models.intro import PROPOSED
from eventnet.services import intros
from eventnet.services.errors import EventnetError
from eventnet.services.tokens import InvalidLink
from eventnet.web.attendee import bp
from eventnet.web.attendee.forms import IntroAnswerForm, IntroRequestForm
from eventnet.web.attendee.pages import invalid_link, message_page, signed_in
from eventnet.web.forms_common import form_status, service_errors


@bp.route("/i/<token>", methods=["GET", "POST"])
@limiter.limit("30/minute")
def intro_request(token: str) -> Any:
    """A's confirmation page for a suggested introduction (POST sends the request)."""
    try:
        intro = intros.proposal_from_link(token)
    except InvalidLink as exc:
        return invalid_link(exc)
    if intro.status != PROPOSED:
        return message_page(_("Request sent"), _(
            "You already asked to be introduced to %(name)s. We will email you both if "
            "they accept.", name=intro.recipient.name))
    form = IntroRequestForm()
    if form.validate_on_submit():
        with service_errors(form):
            intros.request_introduction(intro.id, intro.requester_id, form.message.data or "")
            return message_page(_("Request sent"), _(
                "We asked %(name)s. If they accept, you both receive an email with each "
                "other's contact details.", name=intro.recipient.name))
    return render_template("attendee/intro_request.html", intro=intro, form=form,
                           reasons=intros.reasons_for(intro, for_recipient=False),
                           event=intro.requester.event), form_status(form)


@bp.route("/i/answer/<token>", methods=["GET", "POST"])
@limiter.limit("30/minute")
def intro_answer(token: str) -> Any:
    """B's page to accept or decline an introduction request (POST answers)."""
    try:
        intro = intros.answer_from_link(token)
    except InvalidLink as exc:
        return invalid_link(exc)
    form = IntroAnswerForm()
    if form.validate_on_submit():
        accept = form.decision.data == "accept"
        try:
            intros.answer_introduction(intro.id, intro.recipient_id, accept)
        except EventnetError as exc:
            return message_page(_("Introduction"), exc.message, exc.status)
        if accept:
            return message_page(_("Introduction made"), _(
                "Thank you. You and %(name)s each received an email with the other's "
                "contact details.", name=intro.requester.name))
        return message_page(_("Request declined"), _(
            "Noted. %(name)s is not told that you declined.", name=intro.requester.name))
    return render_template("attendee/intro_answer.html", intro=intro, form=form,
                           reasons=intros.reasons_for(intro, for_recipient=True),
                           event=intro.requester.event,
                           is_open=intros.is_answerable(intro)), 200


def _my_intro(me: Attendee, intro_id: int) -> Introduction:
    intro = db.session.get(Introduction, intro_id)
    if intro is None or me.id not in (intro.requester_id, intro.recipient_id):
        abort(404)
    return intro


@bp.post("/e/<slug>/me/introductions/<int:intro_id>/request")
def my_intro_request(slug: str, intro_id: int) -> Any:
    """Ask for a suggested introduction from my page."""
    _event, me = signed_in(slug)
    intro = _my_intro(me, intro_id)
    form = IntroRequestForm()
    if not form.validate_on_submit():
        flash(_("The message is too long (%(n)d characters at most).",
                n=intros.MAX_MESSAGE_LENGTH), "error")
    else:
        with service_errors():
            intros.request_introduction(intro.id, me.id, form.message.data or "")
            flash(_("We asked %(name)s. If they accept, you both receive an email.",
                    name=intro.recipient.name), "success")
    return redirect(url_for("attendee.home", slug=slug) + "#introductions")


@bp.post("/e/<slug>/me/introductions/<int:intro_id>/answer")
def my_intro_answer(slug: str, intro_id: int) -> Any:
    """Accept or decline an introduction request from my page."""
    _event, me = signed_in(slug)
    intro = _my_intro(me, intro_id)
    form = IntroAnswerForm()
    if not form.validate_on_submit():
        abort(400)
    with service_errors():
        intros.answer_introduction(intro.id, me.id, form.decision.data == "accept")
        flash(_("Introduction made: check your inbox.") if form.decision.data == "accept"
              else _("Declined. Nobody is told."), "success")
    return redirect(url_for("attendee.home", slug=slug) + "#introductions")
