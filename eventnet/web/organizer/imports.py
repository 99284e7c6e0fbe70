"""Attendee imports in the web UI: upload a file, then follow its job to the result."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from eventnet.services import import_jobs, imports
from eventnet.services.errors import EventnetError, Unavailable
from eventnet.web.auth import organizer_event
from eventnet.web.organizer import bp
from eventnet.web.organizer.forms import FORMAT_LABELS, UploadForm

#: rejected or skipped lines shown on the job's page
SHOWN_LINES = 1000
#: seconds between two reloads of the page of a job that has not ended
REFRESH_SECONDS = 2


@bp.route("/events/<slug>/import", methods=["GET", "POST"])
@login_required
def import_upload(slug: str) -> Any:
    """Upload a file: unreadable files are refused at once, the others become a job."""
    event = organizer_event(slug)
    form = UploadForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(imports.MAX_IMPORT_BYTES + 1)
        try:
            job_id = import_jobs.submit_import(event.id, current_user.id, data,
                                               form.format.data or "auto",
                                               upload.filename or "")
        except Unavailable as exc:
            flash(exc.message, "error")
            status = exc.status
        except EventnetError as exc:
            form.file.errors = [*list(form.file.errors), exc.message]
            status = 413 if exc.code == "too_large" else exc.status
        else:
            return redirect(url_for("organizer.import_job", slug=event.slug, job_id=job_id))
    elif form.errors:
        status = 422
    return render_template("organizer/import_upload.html", event=event, form=form,
                           jobs=import_jobs.recent_import_jobs(event.id)), status


@bp.get("/events/<slug>/import/<int:job_id>")
@login_required
def import_job(slug: str, job_id: int) -> Any:
    """Where an import stands; the page reloads itself until the job has ended."""
    event = organizer_event(slug)
    try:
        job = import_jobs.get_import_job(event.id, job_id)
    except EventnetError:
        abort(404)
    return render_template("organizer/import_job.html", event=event, job=job,
                           format_label=FORMAT_LABELS.get(
                               job.result.get("format", job.format), job.format),
                           shown=SHOWN_LINES, refresh=REFRESH_SECONDS)
