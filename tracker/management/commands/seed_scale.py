import random
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from criteria.models import Unit
from tracker.models import (
    AcademicYear,
    Centre,
    Decision,
    DecisionChange,
    Enrolment,
    Learner,
    StaffMembership,
    Status,
    TeachingGroup,
    User,
)

STATUSES = [Status.ACHIEVED] * 5 + [Status.SUBMITTED, Status.NOT_YET, Status.NOT_STARTED]


class Command(BaseCommand):
    help = "Create a large centre for benchmarks: N learners in groups of 20 on both units."

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, required=True)
        parser.add_argument("--centre", default="99900", help="OCR number of the new centre")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        count, number = options["learners"], options["centre"]
        if count < 1:
            raise CommandError("--learners must be at least 1")
        if Centre.objects.filter(ocr_number=number).exists():
            raise CommandError(f"Centre {number} already exists: pick another --centre.")
        units = list(Unit.objects.filter(number__in=[6, 30]).prefetch_related("criteria"))
        if len(units) != 2:
            raise CommandError("Load the catalogue first: python manage.py load_specs")
        random.seed(options["seed"])
        started = timezone.now()
        with transaction.atomic():
            decisions = self.seed(number, count, units)
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(
            f"Centre {number}: {count} learners, {decisions} decisions in {seconds:.1f} s."
        )

    def seed(self, number: str, count: int, units: list[Unit]) -> int:
        centre = Centre.objects.create(name=f"Scale centre {number}", ocr_number=number)
        year = AcademicYear.objects.create(
            centre=centre,
            name="2026/27",
            is_current=True,
            starts_on=date(2026, 9, 1),
            ends_on=date(2027, 7, 31),
        )
        teachers = User.objects.bulk_create(
            User(username=f"{number}-t{i}", first_name="Teacher", last_name=str(i), is_teacher=True)
            for i in range(max(1, count // 60))
        )
        StaffMembership.objects.bulk_create(
            StaffMembership(user=t, centre=centre) for t in teachers
        )
        groups = TeachingGroup.objects.bulk_create(
            TeachingGroup(centre=centre, academic_year=year, name=f"G{i:04d}")
            for i in range((count + 19) // 20)
        )
        for index, group in enumerate(groups):
            group.units.add(*units)
            group.teachers.add(teachers[index % len(teachers)])
        learners = Learner.objects.bulk_create(
            Learner(
                centre=centre,
                candidate_number=f"{i % 10000:04d}",
                first_name="Learner",
                last_name=f"{i:05d}",
                group=groups[i // 20],
            )
            for i in range(count)
        )
        enrolments = Enrolment.objects.bulk_create(
            Enrolment(
                learner=learner, unit=unit, academic_year=year, target_grade=random.choice("PMD")
            )
            for learner in learners
            for unit in units
        )
        criteria = {unit.pk: list(unit.criteria.all()) for unit in units}
        now = timezone.now()
        rows = []
        for enrolment in enrolments:
            teacher = teachers[(enrolment.learner.group_id or 0) % len(teachers)]
            for criterion in criteria[enrolment.unit_id]:
                status = random.choice(STATUSES)
                if status == Status.NOT_STARTED:
                    continue
                assessed = status in (Status.ACHIEVED, Status.NOT_YET)
                rows.append(
                    Decision(
                        enrolment=enrolment,
                        criterion=criterion,
                        status=status,
                        assessor=teacher if assessed else None,
                        decided_at=now if assessed else None,
                        submitted_at=now,
                        attempts=1 if assessed else 0,
                        revision=1,
                    )
                )
        made = Decision.objects.bulk_create(rows, batch_size=5000)
        DecisionChange.objects.bulk_create(
            (
                DecisionChange(
                    decision=d,
                    changed_by=d.assessor or teachers[0],
                    old_status=Status.SUBMITTED,
                    new_status=d.status,
                )
                for d in made
                if d.assessor_id
            ),
            batch_size=5000,
        )
        return len(made)
