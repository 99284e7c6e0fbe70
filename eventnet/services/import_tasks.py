"""The Celery task of web imports (``services.import_jobs``), on the Celery app of
``eventnet.mail.tasks``.

Imported only with a broker (Celery is the ``scale`` extra). A worker must import this module
to know the task: list it among the worker's task modules, or start the worker with
``-I eventnet.services.import_tasks``.
"""

from __future__ import annotations

from typing import Any

from flask import has_app_context

from eventnet.extensions import db
from eventnet.mail.tasks import celery_app
from eventnet.services import import_jobs

_flask_app: Any = None


def _app() -> Any:
    global _flask_app
    if _flask_app is None:
        from eventnet import create_app  # a worker's entry point

        _flask_app = create_app()
    return _flask_app


@celery_app.task(name="eventnet.run_import_job")
def run_import_job_task(job_id: int) -> None:
    """Check and store an uploaded file (``import_jobs.run_import_job``)."""
    if has_app_context():  # a task base that opens the app already, or a test
        import_jobs.run_import_job(job_id)
        return
    with _app().app_context():
        try:
            import_jobs.run_import_job(job_id)
        finally:
            db.session.remove()
