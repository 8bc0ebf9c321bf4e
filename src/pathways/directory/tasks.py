"""Running import jobs away from the request that uploaded them.

With `settings.TASKS_EAGER` (tests, and `PATHWAYS_TASKS_EAGER=1`) a job runs inline, so
the caller sees it finished. Otherwise it runs in a daemon thread started once the upload's
transaction has committed, so the thread can see the job row. A job that crashes is
marked failed rather than left running. A job interrupted by a server restart is marked
failed when its page is next opened after 30 minutes without progress
(`imports.import_job_get_for_user`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connections, transaction

from . import imports
from .models import ImportJob

logger = logging.getLogger(__name__)

CRASH_MESSAGE = (
    "Pathways stopped unexpectedly while importing this file. Nothing was imported. "
    "Try again, and if it happens again tell your Pathways administrator."
)


def import_job_execute(job_id: Any) -> None:
    """Run one job now, in this thread; never raises."""
    try:
        imports.import_job_run(job_id=job_id)
    except Exception:
        logger.exception("Import job %s failed unexpectedly", job_id)
        try:
            imports.import_job_fail(job_id=job_id, message=CRASH_MESSAGE)
        except Exception:
            logger.exception("Could not mark import job %s as failed", job_id)


def _run_in_thread(job_id: Any) -> None:
    try:
        import_job_execute(job_id)
    finally:
        # A thread's database connections are its own; close them or they leak.
        connections.close_all()


def _start_thread(job_id: Any) -> threading.Thread:
    thread = threading.Thread(
        target=_run_in_thread, args=(job_id,), name=f"pathways-import-{job_id}", daemon=True
    )
    thread.start()
    return thread


def import_job_enqueue(job: ImportJob) -> None:
    """Run a queued job: inline when TASKS_EAGER, else in a background thread after commit."""
    if settings.TASKS_EAGER:
        import_job_execute(job.pk)
        return
    job_id = job.pk
    transaction.on_commit(lambda: _start_thread(job_id))
