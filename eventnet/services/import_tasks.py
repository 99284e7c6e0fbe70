"""The Celery task of web imports (``services.import_jobs``), on the Celery app of
``eventnet.mail.tasks``.

Imported only with a broker (Celery is the ``scale`` extra); a worker imports it when it
starts (``TASK_MODULES`` in ``eventnet.mail.tasks``), and the task runs inside the Flask app
(``AppTask``).
"""

from __future__ import annotations

from eventnet.mail.tasks import celery_app
from eventnet.services import import_jobs


@celery_app.task(name="eventnet.run_import_job")
def run_import_job_task(job_id: int) -> None:
    """Check and store an uploaded file (``import_jobs.run_import_job``)."""
    import_jobs.run_import_job(job_id)
