"""Attendee imports from the web, as jobs: uploaded at once, checked and stored in the
background, followed on a page.

``submit_import`` refuses a file that cannot be read at all (a 4xx at once), keeps it in an
``ImportJob`` row and starts the job: in a Celery worker when a broker is set (the task is in
``services.import_tasks``), else in a thread of this process, as the follow-up send does.
``run_import_job`` checks every row (reporting each bad line), then stores all rows in one
transaction (``imports.apply_import``) or none; the job's state, phase and counts are what
the page shows. The file leaves the database when the job ends.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from eventnet.config import LANGUAGES
from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Event, ImportJob, utcnow
from eventnet.models.import_job import DONE, FAILED, FINISHED, QUEUED, RUNNING
from eventnet.services import imports
from eventnet.services.errors import EventnetError, Invalid, NotFound, Unavailable

log = logging.getLogger(__name__)

#: a job not started by then (no worker took it), or running without a sign of life that
#: long (its process died), is failed; nothing of it was stored
QUEUED_LEASE = timedelta(minutes=10)
#: renewed as rows are checked; the store itself is one transaction of seconds, during
#: which SQLite lets nobody write (the lease included), so this is generous
RUNNING_LEASE = timedelta(minutes=10)
#: finished jobs (their rejected lines name people) are deleted after this long
KEEP_FINISHED = timedelta(days=7)
#: phases of a running job
CHECKING, STORING = "checking", "storing"
#: rows between two progress updates while storing (PostgreSQL)
STORE_PROGRESS_EVERY = 5000

#: this process's job threads, by job id (``wait`` joins them)
_threads: dict[int, threading.Thread] = {}


def submit_import(event_id: int, organizer_id: int | None, data: bytes, fmt: str = "auto",
                  filename: str = "") -> int:
    """Check that a file can be imported at all, keep it as a job and start the job;
    returns the job's id. Raises Invalid (a file that cannot be read: too large, empty,
    not UTF-8, another separator, an unknown format, missing columns), NotFound, or
    Unavailable (the broker is down: the job is failed, nothing imported)."""
    if len(data) > imports.MAX_IMPORT_BYTES:
        raise Invalid(_("The file is too large (20 MB at most)."), code="too_large")
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound(_("No such event."))
    if fmt != "auto" and fmt not in imports.PARSERS:
        raise Invalid(_("Unknown import format: %(fmt)s", fmt=fmt), code="unknown_format")
    rows_total = imports.check_file(event, data, fmt)[1]
    now = utcnow()
    with write_transaction() as session:
        session.execute(delete(ImportJob).where(ImportJob.state.in_(FINISHED),
                                                ImportJob.finished_at < now - KEEP_FINISHED))
        job = ImportJob(event_id=event_id, organizer_id=organizer_id, kind="attendees",
                        format=fmt, filename=filename[:200], language=_language(),
                        data=data, state=QUEUED,
                        rows_total=rows_total, created_at=now, lease_until=now + QUEUED_LEASE)
        session.add(job)
        session.flush()
        job_id: int = job.id
    _start(job_id)
    return job_id


def _language() -> str:
    """The language of the page uploading the file, for what the job will write."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else "en"


def _start(job_id: int) -> None:
    """Run the job in a Celery worker when a broker is set, else in a thread."""
    if not current_app.config.get("BROKER_URL"):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        thread = threading.Thread(target=_run_in_thread, args=(app, job_id),
                                  name=f"eventnet-import-{job_id}", daemon=True)
        _threads[job_id] = thread
        thread.start()
        return
    from eventnet.mail.tasks import configure
    from eventnet.services.import_tasks import run_import_job_task

    configure(current_app.config)
    try:
        run_import_job_task.delay(job_id)
    except Exception as exc:  # the broker is down: say so, and keep no file waiting
        log.warning("could not hand import job %s to Celery: %s", job_id, exc)
        _finish(job_id, FAILED, error=_("The background workers cannot be reached right now; "
                                        "nothing was imported. Try again in a moment."),
                error_code="unavailable")
        raise Unavailable(_("The background workers cannot be reached right now; nothing "
                            "was imported. Try again in a moment.")) from exc


def _run_in_thread(app: Any, job_id: int) -> None:
    with app.app_context():
        try:
            run_import_job(job_id)
        except Exception:
            log.exception("import job %s failed", job_id)
        finally:
            db.session.remove()
            _threads.pop(job_id, None)


def wait(job_id: int, timeout: float | None = None) -> None:
    """Wait until this process's thread for the job (if any) has ended (tests, benchmarks)."""
    thread = _threads.get(job_id)
    if thread is not None:
        thread.join(timeout)


def run_import_job(job_id: int) -> None:
    """Check every row of the job's file, then store them all in one transaction, or none;
    the job ends done (with the counts) or failed (with every rejected line, or the reason).
    Does nothing for a job another run took. For a thread, a Celery task or the CLI."""
    now = utcnow()
    with write_transaction() as session:
        taken = session.execute(
            update(ImportJob).where(ImportJob.id == job_id, ImportJob.state == QUEUED)
            .values(state=RUNNING, phase=CHECKING, started_at=now,
                    lease_until=now + RUNNING_LEASE)).rowcount
    if not taken:
        return
    language = db.session.scalar(select(ImportJob.language).where(ImportJob.id == job_id))
    with force_locale(language or "en"):  # no request here: the uploader's language
        try:
            result = _check_and_store(job_id)
        except EventnetError as exc:
            _finish(job_id, FAILED, error=exc.message, error_code=exc.code)
        except Exception:
            _finish(job_id, FAILED, error=_("The import failed on an unexpected error; "
                                            "nothing was imported."),
                    error_code="internal_error")
            raise
        else:
            if result is not None:
                _finish(job_id, DONE, result=result)


def _check_and_store(job_id: int) -> dict[str, Any] | None:
    """The job's counts once stored; None when rows were rejected (the job then failed
    with them)."""
    job = db.session.get(ImportJob, job_id)
    assert job is not None and job.data is not None
    event = db.session.get(Event, job.event_id)
    if event is None:
        raise NotFound(_("No such event."))
    data, fmt, event_id = job.data, job.format, job.event_id
    db.session.commit()  # end the read snapshot: progress is written meanwhile

    def checked(done: int, total: int) -> None:
        _progress(job_id, rows_checked=done, rows_total=total)

    plan = imports.plan_import(event, data, fmt, on_progress=checked)
    if not plan.is_valid:
        _finish(job_id, FAILED, errors=[[e.line, e.message] for e in plan.errors],
                error=_("Nothing was imported: fix these lines in the file and upload it "
                        "again."), error_code="rejected_rows")
        return None
    _progress(job_id, phase=STORING)
    stored = _store_progress(job_id)
    result = imports.apply_import(event_id, plan, on_progress=stored)
    return {"format": plan.format, "created": result.created, "updated": result.updated,
            "unchanged": result.unchanged, "checked_in": result.checked_in,
            "skipped": [[s.line, s.message] for s in plan.skipped],
            "ignored_columns": plan.ignored_columns}


def _store_progress(job_id: int) -> Any:
    """A progress callback for the store: the rows handled, written beside the import's
    transaction on a connection of its own. Not on SQLite, where the import holds the only
    write lock until it commits: there the count jumps to the total at the end."""
    if db.session.get_bind().dialect.name == "sqlite":
        return None
    engine = db.engine
    last = [0]

    def stored(done: int) -> None:
        if done - last[0] < STORE_PROGRESS_EVERY:
            return
        last[0] = done
        with engine.begin() as conn:
            conn.execute(update(ImportJob).where(ImportJob.id == job_id)
                         .values(rows_done=done, lease_until=utcnow() + RUNNING_LEASE))

    return stored


def _progress(job_id: int, **values: Any) -> None:
    with write_transaction() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id)
                        .values(lease_until=utcnow() + RUNNING_LEASE, **values))


def _finish(job_id: int, state: str, *, result: dict[str, Any] | None = None,
            errors: list[list[Any]] | None = None, error: str = "",
            error_code: str = "") -> None:
    """End the job (unless it ended already) and let go of its file."""
    values: dict[str, Any] = {"state": state, "phase": "", "data": None,
                              "finished_at": utcnow(), "lease_until": None,
                              "error": error, "error_code": error_code}
    if result is not None:
        values.update(result=result, rows_done=result["created"] + result["updated"]
                      + result["unchanged"])
    if errors is not None:
        values["errors"] = errors
    with write_transaction() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id,
                                                ImportJob.state.not_in(FINISHED))
                        .values(**values))


def get_import_job(event_id: int, job_id: int) -> ImportJob:
    """The event's import job; one whose process died (its lease lapsed) is failed first,
    nothing of it stored. Raises NotFound."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.event_id != event_id:
        raise NotFound(_("No such import."))
    if not job.is_finished and job.lease_until is not None and job.lease_until < utcnow():
        _finish(job_id, FAILED, error=_("The import stopped before it ended (its server "
                                        "restarted); nothing was imported. Upload the file "
                                        "again."), error_code="interrupted")
        db.session.expire_all()
        job = db.session.get(ImportJob, job_id)
        assert job is not None
    return job


def recent_import_jobs(event_id: int, limit: int = 5) -> list[ImportJob]:
    """The event's latest import jobs, newest first."""
    return list(db.session.scalars(
        select(ImportJob).where(ImportJob.event_id == event_id)
        .order_by(ImportJob.created_at.desc(), ImportJob.id.desc()).limit(limit)))
