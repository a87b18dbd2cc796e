"""Worker tasks for jobs a merchant watches from a job page (`models.Job`).

The task only re-enters the app and hands over to the service that does the work; the job row
carries progress and the result, so the page can be reloaded and the worker can be anywhere.
"""
from __future__ import annotations

from ..models import Job
from ..tasks import app_context, huey


@huey.task()
def run_job(job_id: int) -> None:
    with app_context():
        from . import importing
        importing.run_import(job_id)


def enqueue(job: Job) -> None:
    """Queue a committed job row (the worker reads it by id)."""
    run_job(job.id)
