from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.models import Centre
from tracker.people.importing import ImportFileError, apply_plan, build_plan, read_table


class Command(BaseCommand):
    help = "Import learners from a MIS export (CSV or XLSX): all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check and report only")
        parser.add_argument("--centre", help="OCR centre number (needed with several centres)")
        parser.add_argument(
            "--move-groups",
            action="store_true",
            help="Move existing learners into the teaching group the file names "
            "(without it they keep their groups)",
        )
        parser.add_argument(
            "--mark-leavers",
            action="store_true",
            help="Mark as left the learners whom the file's status column says have left "
            "(without it they are only listed)",
        )

    def handle(self, *args, **options):
        centre = self.centre(options["centre"])
        year = centre.years.filter(is_current=True).first() or centre.years.first()
        if year is None:
            raise CommandError(f"{centre} has no academic year yet.")
        path: Path = options["file"]
        try:
            plan = build_plan(
                read_table(path.read_bytes(), path.name),
                centre,
                year,
                move_groups=options["move_groups"],
                mark_leavers=options["mark_leavers"],
            )
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        if plan.errors:
            report = "\n".join(f"  {error}" for error in plan.errors)
            raise CommandError(
                f"{path.name}: {len(plan.errors)} problem(s), nothing imported:\n{report}"
            )
        summary = (
            f"{len(plan.to_add)} to add, {len(plan.to_update)} to update, "
            f"{len(plan.unchanged)} unchanged"
        )
        for note in plan.cleaned:
            self.stdout.write(f"  {note}")
        if plan.unused_columns:
            self.stdout.write(f"Columns not used: {', '.join(plan.unused_columns)}")
        if plan.moves:
            verb = "moved" if plan.move_groups else "kept in their groups (--move-groups moves)"
            self.stdout.write(f"{len(plan.moves)} learner(s) in another teaching group, {verb}:")
            for move in plan.moves:
                self.stdout.write(f"  Row {move.row}: {move}")
        for warning in plan.warnings:
            self.stdout.write(f"Check: {warning}")
        if plan.leavers:
            verb = "marked as left" if plan.mark_leavers else "not marked (--mark-leavers marks)"
            self.stdout.write(f"{len(plan.leavers)} learner(s) who have left, {verb}:")
            for leaving in plan.leavers:
                self.stdout.write(f"  Row {leaving.row}: {leaving}")
        for row in plan.not_added:
            self.stdout.write(
                f"Row {row.row}: {row.first_name} {row.last_name} ({row.candidate_number}) "
                "has left and was never on roll here: not added."
            )
        if options["dry_run"]:
            self.stdout.write(f"{path.name} is valid (dry run, nothing written): {summary}.")
            return
        counts = apply_plan(plan, None)
        self.stdout.write(
            f"Imported {path.name}: {counts['added']} added, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['groups_created']} groups created, "
            f"{counts['left']} marked as left."
        )

    def centre(self, number: str | None) -> Centre:
        centres = Centre.objects.all()
        if number:
            centres = centres.filter(ocr_number=number)
        found = list(centres[:2])
        if len(found) != 1:
            raise CommandError(
                "No centre matches." if not found else "Several centres: give --centre NUMBER."
            )
        return found[0]
