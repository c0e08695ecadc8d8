from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from criteria.models import Unit
from tracker.models import Centre, TeachingGroup
from tracker.reports.exports import centre_scope, group_scope, write_workbook


class Command(BaseCommand):
    help = "Export grade predictions to an Excel workbook (a group, a unit, or the centre)."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, required=True, help="FILE.xlsx to write")
        parser.add_argument("--group", help="Group name, e.g. 13HSC1")
        parser.add_argument("--unit", type=int, help="Unit number, e.g. 30")
        parser.add_argument("--centre", help="OCR centre number (needed with several centres)")
        parser.add_argument(
            "--include-leavers",
            action="store_true",
            help="Also list learners who have left (marked in a 'Left on' column)",
        )

    def handle(self, *args, **options):
        centres = Centre.objects.all()
        if options["centre"]:
            centres = centres.filter(ocr_number=options["centre"])
        if centres.count() != 1:
            raise CommandError("Name the centre with --centre NUMBER.")
        centre = centres.get()
        unit = None
        if options["unit"] is not None:
            unit = Unit.objects.filter(number=options["unit"]).first()
            if unit is None:
                raise CommandError(f"There is no unit {options['unit']} in the catalogue.")
        if options["group"]:
            group = TeachingGroup.objects.filter(centre=centre, name=options["group"]).first()
            if group is None:
                raise CommandError(f"There is no group {options['group']} at {centre.name}.")
            scope = group_scope(group, unit, include_leavers=options["include_leavers"])
        else:
            scope = centre_scope(centre, unit, include_leavers=options["include_leavers"])
        output: Path = options["output"]
        if output.suffix.lower() != ".xlsx":
            raise CommandError("The output file must end in .xlsx")
        with output.open("wb") as handle:
            write_workbook(scope, handle)
        learners = scope.learners.count()
        noun = "learner" if learners == 1 else "learners"
        self.stdout.write(f"Wrote {output} ({scope.label}: {learners} {noun}).")
