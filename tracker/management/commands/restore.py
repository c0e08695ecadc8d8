from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.reports.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup into this instance's freshly migrated, empty database (see README)."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="A folder written by manage.py backup")

    def handle(self, *args, **options):
        folder: Path = options["folder"]
        try:
            summary = restore_backup(folder)
        except BackupError as error:
            raise CommandError(str(error)) from None
        for label, rows in summary.rows.items():
            if rows:
                self.stdout.write(f"  {label}: {rows:,}")
        self.stdout.write(
            f"Restored {summary.total_rows:,} rows of {len(summary.rows)} tables and "
            f"{summary.files:,} files ({summary.bytes:,} bytes) from {folder}."
        )
