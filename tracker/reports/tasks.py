"""Background jobs, run by the task framework's worker (`python manage.py db_worker`)."""

import contextlib
import tempfile

from django.core.files import File
from django.utils import timezone
from django_tasks import task

from tracker.models import ExportJob
from tracker.notifications import services as notifications
from tracker.reports.exports import centre_scope, write_workbook


@task()
def build_centre_export(job_id: int) -> None:
    """Build a whole-centre workbook, saving progress as it goes; learners who have left are
    in it when the job asked for them (`ExportJob.include_leavers`).

    A failure at any step (building the workbook, storing it, recording it) marks the job
    failed and removes whatever reached storage, so no half-built file is ever offered.
    """
    job = ExportJob.objects.select_related("centre", "unit").get(pk=job_id)
    job.state, job.heartbeat_at = ExportJob.State.RUNNING, timezone.now()
    job.save(update_fields=["state", "heartbeat_at"])

    def progress(percent: int) -> None:
        # The heartbeat tells the housekeeping and the progress page that a worker is alive.
        ExportJob.objects.filter(pk=job_id).update(progress=percent, heartbeat_at=timezone.now())

    scope = centre_scope(job.centre, job.unit, include_leavers=job.include_leavers)
    scope.on_progress = progress
    storage = job.file.storage
    # The name is chosen first (a random one), so a save that fails partway through
    # writing it can be cleaned up too.
    planned = job.file.field.generate_filename(job, "export.xlsx")
    try:
        with tempfile.TemporaryFile() as handle:
            write_workbook(scope, handle)
            handle.seek(0)
            job.file.name = storage.save(planned, File(handle))
        job.state, job.progress, job.finished_at = ExportJob.State.DONE, 100, timezone.now()
        job.error = ""
        job.save(update_fields=["state", "progress", "file", "finished_at", "error"])
    except Exception as error:
        for name in {planned, job.file.name} - {"", None}:
            # Cleaning up must not hide the failure that is being reported.
            with contextlib.suppress(Exception):
                storage.delete(name)
        job.file.name = ""
        job.state, job.error = ExportJob.State.FAILED, f"{error.__class__.__name__}: {error}"
        job.finished_at = timezone.now()
        job.save(update_fields=["state", "error", "file", "finished_at"])
        notifications.export_failed(job)
        raise
