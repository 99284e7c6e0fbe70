"""Routes of the public pages."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from eventnet.extensions import limiter
from eventnet.services import attendees as attendee_service
from eventnet.services.errors import EventnetError
from eventnet.services.events import get_event, registration_count
from eventnet.services.tokens import InvalidLink
from eventnet.web import limits
from eventnet.web.auth import current_attendee, sign_in_attendee
from eventnet.web.forms_common import ConfirmForm, form_status, service_errors, with_questions
from eventnet.web.public import bp
from eventnet.web.public.forms import EmailForm, RegistrationForm

#: the session key of the address the "registered" page shows once
_REGISTERED = "registered"


@bp.get("/")
def index() -> Any:
    """The landing page."""
    return render_template("public/index.html")


@bp.post("/language")
def set_language() -> Any:
    """Remember the chosen language for this browser."""
    lang = request.form.get("lang")
    if lang in ("en", "fr"):
        session["lang"] = lang
    target = request.form.get("next") or "/"
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")


@bp.route("/e/<slug>", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def register(slug: str) -> Any:
    """The event's public page with its registration form."""
    event = get_event(slug)
    form = with_questions(RegistrationForm, event)()
    if request.method == "GET":
        # The language the page speaks is the one the mail should speak (issue 14, item 1).
        form.language.data = str(get_locale() or "en")
    is_full = event.capacity is not None and registration_count(event.id) >= event.capacity
    if form.validate_on_submit():
        with service_errors(form):
            attendee_service.register(event.id, form.profile(event))
            # The next page shows the address once. Never in its URL: that would reach the
            # access log and, from the page's links, the Referer.
            session[_REGISTERED] = {"event": event.id, "email": form.email.data}
            return redirect(url_for("public.registered", slug=event.slug))
    return render_template("public/register.html", event=event, form=form, is_full=is_full,
                           attendee=current_attendee(event.id)), form_status(form)


@bp.get("/e/<slug>/registered")
def registered(slug: str) -> Any:
    """The same answer for new and known emails: check your inbox. The address this browser
    just registered with is shown once; a reload, or another browser, gets the page without
    it."""
    event = get_event(slug)
    entry = session.get(_REGISTERED)
    email = ""
    if isinstance(entry, dict) and entry.get("event") == event.id:
        email = str(entry.get("email") or "")
        session.pop(_REGISTERED)
    return render_template("public/registered.html", event=event, email=email)


@bp.route("/e/<slug>/update/<token>", methods=["GET", "POST"])
def confirm_update(slug: str, token: str) -> Any:
    """Confirm a registration update from the link mailed to its owner (POST applies it)."""
    event = get_event(slug)
    form = ConfirmForm()
    if form.validate_on_submit():
        attendee = attendee_service.apply_signed_update(token)
        if attendee.event_id != event.id:
            abort(404)
        sign_in_attendee(attendee)
        flash(_("Your registration was updated."), "success")
        return redirect(url_for("attendee.home", slug=event.slug))
    try:
        attendee_service.unsign_update(token)
    except InvalidLink as exc:
        return render_template("errors/error.html", status=400, message=exc.message), 400
    return render_template("public/confirm_update.html", event=event, form=form)


@bp.route("/m/<token>", methods=["GET", "POST"])
@limiter.limit(limits.MAGIC_LINKS_PER_IP, key_func=limits.ip_key)
@limiter.limit(limits.BAD_LINKS_PER_IP, key_func=limits.ip_key, deduct_when=limits.is_bad_link)
def magic(token: str) -> Any:
    """A magic link: GET asks "Continue as <name>?" and signs no one in (mail scanners and
    link prefetchers open links); the POST it sends (with this browser's CSRF token, so no
    other site can sign a visitor in as someone else) spends the link and signs in."""
    form = ConfirmForm()
    try:
        if form.validate_on_submit():
            attendee, next_path = attendee_service.sign_in_with_magic_token(token)
            sign_in_attendee(attendee)
        else:
            link = attendee_service.read_magic_token(token)
            attendee, next_path = link.attendee, link.next_path
            current = current_attendee(attendee.event_id)
            if current is None or current.id != attendee.id:  # else: signed in already
                if link.is_spent:
                    raise attendee_service.used_link()
                status = 400 if request.method == "POST" else 200
                return render_template("public/magic.html", event=attendee.event,
                                       attendee=attendee, form=form), status
    except InvalidLink as exc:
        # used, expired or replaced: the way forward is a fresh link for the same event
        sent_for = attendee_service.magic_link_event(token)
        if sent_for is None:
            return render_template("errors/error.html", status=400, message=exc.message), 400
        event, next_path = sent_for
        return render_template("public/magic_invalid.html", event=event, message=exc.message,
                               next_path=next_path or ""), 400
    return redirect(next_path or url_for("attendee.home", slug=attendee.event.slug))


@bp.route("/e/<slug>/signin", methods=["GET", "POST"])
@limiter.limit(limits.LINK_REQUESTS_PER_IP, key_func=limits.ip_key, methods=["POST"])
@limiter.limit(limits.LINK_REQUESTS_PER_EMAIL, key_func=limits.email_key, methods=["POST"])
def signin(slug: str) -> Any:
    """Ask for a magic link by email; the answer never tells whether it is registered."""
    event = get_event(slug)
    form = EmailForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        next_path = form.next.data or None
        try:
            attendee_service.request_magic_link(event.id, form.email.data or "", next_path)
        except EventnetError as exc:
            form.email.errors = [*list(form.email.errors), exc.message]
        else:
            return render_template("public/link_sent.html", event=event, email=form.email.data)
    status = 422 if form.errors else 200
    return render_template("public/signin.html", event=event, form=form), status
