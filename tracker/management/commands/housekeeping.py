from django.core.management.base import BaseCommand

from tracker.assessment import datasheets
from tracker.people import importing
from tracker.reports.exports import fail_stalled_exports


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class Command(BaseCommand):
    """Run every periodic job once; cron or a systemd timer runs it every 5 minutes.

    The task framework's database backend has no scheduler, so each job lives beside its
    domain as a small function needing no request, and is called here:

    - uploaded learners files and data sheets never confirmed are deleted once they are
      older than PENDING_UPLOAD_HOURS (they hold learners' names and email addresses);
    - background exports whose worker died are marked failed (EXPORT_STALL_MINUTES).

    A later periodic job is added the same way: a function where its domain lives, called
    from handle() with its count in the summary line.
    """

    help = "Run the periodic jobs: delete forgotten uploads, fail exports whose worker died."

    def handle(self, *args, **options):
        removed = importing.remove_expired_uploads() + datasheets.remove_expired_uploads()
        failed = fail_stalled_exports()
        self.stdout.write(
            f"housekeeping: {plural(removed, 'pending file')} removed, "
            f"{plural(failed, 'stuck export')} marked failed"
        )
