"""Organizer pages for the follow-ups: preview, test, send with live progress, retry, export."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from eventnet.services import followup_mail, followup_sending, followups
from eventnet.services.attendees import list_attendees
from eventnet.web import row_id
from eventnet.web.auth import organizer_event
from eventnet.web.edge import Response  # text that cannot fail to encode
from eventnet.web.forms_common import ConfirmForm, service_errors
from eventnet.web.organizer import bp
from eventnet.web.organizer.forms import ConfirmSendForm, TestForm


@bp.get("/events/<slug>/followups")
@login_required
def followups_page(slug: str) -> Any:
    """The follow-up dashboard: progress, send, test, preview, failures, export."""
    event = organizer_event(slug)
    return render_template("organizer/followups.html", event=event,
                           progress=followup_sending.progress(event.id),
                           attendees=list_attendees(event.id),
                           retry_form=ConfirmForm(), test_form=TestForm())


@bp.get("/events/<slug>/followups/progress.json")
@login_required
def followups_progress(slug: str) -> Any:
    """Live progress for polling: sent, failed, skipped by reason, failures."""
    event = organizer_event(slug)
    return jsonify(followup_sending.progress(event.id))


def _confirm_page(event: Any, form: ConfirmSendForm, status: int = 200) -> Any:
    return render_template("organizer/followups_confirm.html", event=event, form=form,
                           summary=followup_sending.send_summary(event)), status


@bp.get("/events/<slug>/followups/send")
@login_required
def followups_send_confirm(slug: str) -> Any:
    """Before sending: how many people get what, and a warning while the event runs."""
    event = organizer_event(slug)
    return _confirm_page(event, ConfirmSendForm())


@bp.post("/events/<slug>/followups/send")
@login_required
def followups_send(slug: str) -> Any:
    """Queue every due follow-up and start delivering them, once confirmed."""
    event = organizer_event(slug)
    form = ConfirmSendForm()
    if not form.is_submitted() or not form.confirm.data:  # not from the confirmation page
        return redirect(url_for("organizer.followups_send_confirm", slug=slug))
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("organizer.followups_page", slug=slug))
    if followup_sending.is_running(event) and not form.early.data:
        form.early.errors = [_("The event is not over: tick the box to send anyway.")]
        return _confirm_page(event, form, 422)
    if followup_sending.start_followups(event.id):
        flash(_("The follow-ups are being prepared and sent: the counts below follow them. "
                "Attendees who already got theirs are left alone."), "success")
    else:
        flash(_("The follow-ups are already being prepared: the counts below follow them."),
              "info")
    return redirect(url_for("organizer.followups_page", slug=slug))


@bp.post("/events/<slug>/followups/retry")
@login_required
def followups_retry(slug: str) -> Any:
    """Queue the failed follow-ups again and deliver them."""
    event = organizer_event(slug)
    if ConfirmForm().validate_on_submit():
        count = followup_sending.retry_followups(event.id)
        flash(ngettext("%(num)d failed follow-up queued again.",
                       "%(num)d failed follow-ups queued again.", count), "success")
    return redirect(url_for("organizer.followups_page", slug=slug))


@bp.post("/events/<slug>/followups/test")
@login_required
def followups_test(slug: str) -> Any:
    """Send one attendee's follow-up to the signed-in organizer (its links are inert)."""
    event = organizer_event(slug)
    form = TestForm()
    if form.validate_on_submit():
        with service_errors():
            followup_mail.send_test(event, int(form.attendee.data or 0), current_user.email)
            flash(_("A test email was sent to %(email)s.", email=current_user.email),
                  "success")
    else:
        flash(_("Choose an attendee."), "error")
    return redirect(url_for("organizer.followups_page", slug=slug))


@bp.get("/events/<slug>/followups/preview/<int:attendee_id>")
@login_required
def followups_preview(slug: str, attendee_id: int) -> Any:
    """One attendee's follow-up exactly as it is (or will be) sent."""
    event = organizer_event(slug)
    mail = followup_mail.preview_email(event, attendee_id)
    return render_template("organizer/followup_preview.html", event=event, mail=mail)


#: the email's HTML, framed by the preview page: its own inline styles, nothing else (no
#: script, no request anywhere), sandboxed, and only inside eventnet's own pages
MAIL_PREVIEW_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                       "sandbox; frame-ancestors 'self'")


@bp.get("/events/<slug>/followups/preview/<int:attendee_id>/mail.html")
@login_required
def followups_preview_html(slug: str, attendee_id: int) -> Any:
    """The HTML part of the preview, for the page's frame. The page's own policy forbids
    inline styles, and a ``srcdoc`` frame would inherit it: the email looked unstyled."""
    event = organizer_event(slug)
    mail = followup_mail.preview_email(event, attendee_id)
    return Response(mail["html"], mimetype="text/html", headers={
        "Content-Security-Policy": MAIL_PREVIEW_POLICY, "X-Frame-Options": "SAMEORIGIN"})


@bp.get("/events/<slug>/followups/preview")
@login_required
def followups_preview_pick(slug: str) -> Any:
    """Go to the preview of the attendee chosen in the page's selector."""
    organizer_event(slug)
    attendee_id = request.args.get("attendee", type=row_id)
    if attendee_id is None:
        flash(_("Choose an attendee."), "error")
        return redirect(url_for("organizer.followups_page", slug=slug))
    return redirect(url_for("organizer.followups_preview", slug=slug, attendee_id=attendee_id))


@bp.post("/events/<slug>/followups/preview")
@login_required
def followups_preview_post(slug: str) -> Any:
    """"Preview" in the page's one attendee form (which posts, for its "Send a test")."""
    organizer_event(slug)
    attendee_id = request.form.get("attendee", type=row_id)
    if attendee_id is None:
        flash(_("Choose an attendee."), "error")
        return redirect(url_for("organizer.followups_page", slug=slug))
    return redirect(url_for("organizer.followups_preview", slug=slug, attendee_id=attendee_id))


@bp.get("/events/<slug>/followups/export.json")
@login_required
def followups_export(slug: str) -> Any:
    """Download every attendee's follow-up as JSON (the CLI export's format)."""
    event = organizer_event(slug)
    body = json.dumps(followups.export(event), ensure_ascii=False)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="followups-{event.slug}.json"'})
