"""Attendee imports in the web UI: upload, preview with row-level errors, confirm, apply."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from eventnet.services import imports
from eventnet.services.errors import EventnetError
from eventnet.web.auth import organizer_event
from eventnet.web.forms_common import choices
from eventnet.web.organizer import bp

FORMAT_LABELS = {
    "auto": _l("Detect from the header row"),
    "eventnet": "eventnet CSV",
    "eventbrite": "Eventbrite",
    "meetup": "Meetup",
    "luma": "Luma",
}
PREVIEW_ROWS = 500
_SESSION_KEY = "imports"  # upload name → [event id, format]


class UploadForm(FlaskForm):
    """Choose a file and its format."""

    file = FileField(_l("Attendee file (CSV)"), validators=[FileRequired()])
    format = SelectField(_l("Format"), default="auto", choices=choices(
        [(k, FORMAT_LABELS[k]) for k in ("auto", *imports.PARSERS)]))


class ApplyForm(FlaskForm):
    """Confirm the import shown in the preview."""


@bp.route("/events/<slug>/import", methods=["GET", "POST"])
@login_required
def import_upload(slug: str) -> Any:
    """Upload a file; it is checked at once and kept (an hour at most) for the preview."""
    event = organizer_event(slug)
    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data.read(imports.MAX_IMPORT_BYTES + 1)
        fmt = form.format.data or "auto"
        try:
            imports.plan_import(event, data, fmt)  # refuse unreadable files before keeping them
            name = imports.store_upload(data)
        except EventnetError as exc:
            form.file.errors = [*list(form.file.errors), exc.message]
        else:
            pending = dict(session.get(_SESSION_KEY, {}))
            pending[name] = [event.id, fmt]
            session[_SESSION_KEY] = dict(list(pending.items())[-5:])
            return redirect(url_for("organizer.import_preview", slug=event.slug, name=name))
    status = 422 if form.errors else 200
    return render_template("organizer/import_upload.html", event=event, form=form), status


def _pending(event_id: int, name: str) -> str:
    """The format of an upload this browser made for this event; 404 otherwise."""
    entry = session.get(_SESSION_KEY, {}).get(name)
    if not entry or entry[0] != event_id:
        abort(404)
    return str(entry[1])


def _forget(name: str) -> None:
    pending = dict(session.get(_SESSION_KEY, {}))
    pending.pop(name, None)
    session[_SESSION_KEY] = pending
    imports.discard_upload(name)


@bp.route("/events/<slug>/import/<name>", methods=["GET", "POST"])
@login_required
def import_preview(slug: str, name: str) -> Any:
    """The preview of an upload (GET) and its all-or-nothing application (POST)."""
    event = organizer_event(slug)
    fmt = _pending(event.id, name)
    form = ApplyForm()
    try:
        plan = imports.plan_import(event, imports.load_upload(name), fmt)
    except EventnetError as exc:
        _forget(name)
        flash(exc.message, "error")
        return redirect(url_for("organizer.import_upload", slug=event.slug))
    if form.validate_on_submit():
        try:
            result = imports.apply_import(event.id, plan)
        except EventnetError as exc:
            flash(exc.message, "error")
        else:
            _forget(name)
            flash(_("Import done: %(created)d created, %(updated)d updated, %(unchanged)d "
                    "unchanged, %(skipped)d skipped, %(checked)d checked in.",
                    created=result.created, updated=result.updated,
                    unchanged=result.unchanged, skipped=len(plan.skipped),
                    checked=result.checked_in), "success")
            return redirect(url_for("organizer.attendees", slug=event.slug))
    rows = imports.preview(event, plan)
    status = 422 if not plan.is_valid else 200
    return render_template("organizer/import_preview.html", event=event, form=form, plan=plan,
                           rows=rows[:PREVIEW_ROWS], total=len(rows), name=name,
                           format_label=FORMAT_LABELS.get(plan.format, plan.format),
                           new=sum(1 for r in rows if r["action"] == "new")), status


@bp.post("/events/<slug>/import/<name>/cancel")
@login_required
def import_cancel(slug: str, name: str) -> Any:
    """Drop an upload without importing it."""
    event = organizer_event(slug)
    _pending(event.id, name)
    if not ApplyForm().validate_on_submit():
        abort(400)
    _forget(name)
    flash(_("The upload was discarded; nothing was imported."), "info")
    return redirect(url_for("organizer.import_upload", slug=event.slug))
