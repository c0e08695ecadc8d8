from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from criteria.loader import SPEC_DIR, SpecError, load_catalogue, read_specs
from criteria.models import Criterion, TopicItem, Unit


class Command(BaseCommand):
    help = "Validate the unit spec files and load them into the catalogue (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", type=Path, default=SPEC_DIR, help="Folder of spec files (default: built in)"
        )

    def handle(self, *args, **options):
        try:
            report = load_catalogue(read_specs(options["dir"]))
        except SpecError as error:
            lines = "\n".join(f"  {problem}" for problem in error.problems)
            raise CommandError(f"Spec files refused, nothing was loaded:\n{lines}") from None
        for verb, items in (
            ("added", report.added),
            ("changed", report.changed),
            ("removed", report.removed),
        ):
            for item in items:
                self.stdout.write(f"{verb}: {item}")
        totals = (
            f"{Unit.objects.count()} units, {Criterion.objects.count()} criteria, "
            f"{TopicItem.objects.count()} topic items"
        )
        if report.unchanged:
            self.stdout.write(f"Catalogue unchanged ({totals}).")
        else:
            self.stdout.write(
                f"Catalogue loaded ({totals}): {len(report.added)} added, "
                f"{len(report.changed)} changed, {len(report.removed)} removed."
            )
