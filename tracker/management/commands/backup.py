from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.reports.backup import BackupError, write_backup


class Command(BaseCommand):
    help = "Back up the database and every stored file to a new folder (see README)."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="A new or empty folder")

    def handle(self, *args, **options):
        folder: Path = options["folder"]
        try:
            summary = write_backup(folder)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Backed up {summary.total_rows:,} rows of {len(summary.rows)} tables and "
            f"{summary.files:,} files ({summary.bytes:,} bytes) to {folder}."
        )
