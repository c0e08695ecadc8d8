from django.core.management.base import BaseCommand

from tracker.assessment import datasheets
from tracker.notifications import services as notifications
from tracker.people import importing
from tracker.reports.exports import fail_stalled_exports
from tracker.reports.summaries import refresh_every_centre


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class Command(BaseCommand):
    """Run every periodic job once; cron or a systemd timer runs it every 5 minutes.

    The task framework's database backend has no scheduler, so each job lives beside its
    domain as a small function needing no request, and is called here:

    - uploaded learners files and data sheets never confirmed are deleted once they are
      older than PENDING_UPLOAD_HOURS (they hold learners' names and email addresses);
    - background exports whose worker died are marked failed (EXPORT_STALL_MINUTES), and
      the centre admin who asked for a failed export is told;
    - notifications: learners are reminded of a deadline two days ahead (once per
      deadline), teachers get their daily digest of work handed in (from
      NOTIFICATION_DIGEST_HOUR, once a day), and event emails the mail server refused are
      tried again. Each is claimed before it is sent, so running every 5 minutes, or two
      runs at once, never sends one twice.

    A later periodic job is added the same way: a function where its domain lives, called
    from handle() with its count in the summary line.
    """

    help = (
        "Run the periodic jobs: delete forgotten uploads, fail exports whose worker died, "
        "send deadline reminders and teachers' daily digests."
    )

    def handle(self, *args, **options):
        removed = importing.remove_expired_uploads() + datasheets.remove_expired_uploads()
        failed = fail_stalled_exports()
        notifications.notify_failed_exports()
        reminders = notifications.remind_deadlines()
        digests = notifications.send_evidence_digests()
        retried = notifications.send_waiting_emails()
        summaries = refresh_every_centre()
        self.stdout.write(
            f"housekeeping: {plural(removed, 'pending file')} removed, "
            f"{plural(failed, 'stuck export')} marked failed, "
            f"{plural(reminders, 'deadline reminder')}, {plural(digests, 'digest')} sent, "
            f"{plural(retried, 'email')} retried, "
            f"{summaries} dashboard {'summary' if summaries == 1 else 'summaries'} worked out"
        )
