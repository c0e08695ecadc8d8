from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from criteria.models import Unit
from tracker.management.demo import (
    DEMO_CENTRE_NUMBER,
    DEMO_LEARNERS,
    DEMO_PASSWORD,
    DEMO_STAFF,
    learner_username,
)
from tracker.models import (
    AcademicYear,
    Centre,
    Enrolment,
    LeadAssessor,
    Learner,
    StaffMembership,
    TeachingGroup,
    User,
)
from tracker.targets import set_target

GRADES = "PMD"


class Command(BaseCommand):
    help = "Create the demo centre with staff, groups and learners (does nothing if present)."

    def handle(self, *args, **options):
        if Centre.objects.filter(ocr_number=DEMO_CENTRE_NUMBER).exists():
            self.stdout.write("Demo data already present; nothing changed.")
            return
        units = {unit.number: unit for unit in Unit.objects.filter(number__in=[6, 30])}
        if len(units) != 2:
            raise CommandError("Load the catalogue first: python manage.py load_specs")
        with transaction.atomic():
            counts = self.seed(units)
        self.stdout.write(
            f"Demo centre created: {counts['staff']} staff, 2 groups, "
            f"{counts['learners']} learners."
        )

    def seed(self, units: dict[int, Unit]) -> dict[str, int]:
        centre = Centre.objects.create(
            name="Riverside Sixth Form College (demo)", ocr_number=DEMO_CENTRE_NUMBER
        )
        year = AcademicYear.objects.create(
            centre=centre,
            name="2026/27",
            starts_on=date(2026, 9, 1),
            ends_on=date(2027, 7, 31),
            is_current=True,
        )
        staff = {}
        for username, first, last, roles, _ in DEMO_STAFF:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username.replace('.', '')}@riverside.example.org",
                **dict.fromkeys(roles, True),
            )
            user.is_staff = user.is_superuser = "is_centre_admin" in roles
            user.set_password(DEMO_PASSWORD)
            user.save()
            StaffMembership.objects.create(user=user, centre=centre)
            staff[username] = user
        first_group = TeachingGroup.objects.create(centre=centre, academic_year=year, name="13HSC1")
        second_group = TeachingGroup.objects.create(
            centre=centre, academic_year=year, name="13HSC2"
        )
        first_group.teachers.add(staff["p.shah"], staff["e.walsh"])
        second_group.teachers.add(staff["j.okafor"], staff["e.walsh"])
        first_group.internal_verifiers.add(staff["m.hughes"])
        second_group.internal_verifiers.add(staff["p.shah"], staff["m.hughes"])
        for group in (first_group, second_group):
            group.units.add(*units.values())
        LeadAssessor.objects.create(centre=centre, unit=units[30], user=staff["p.shah"])
        LeadAssessor.objects.create(centre=centre, unit=units[6], user=staff["j.okafor"])
        for index, (first, last) in enumerate(DEMO_LEARNERS):
            username = learner_username(first, last)
            account = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@students.riverside.example.org",
            )
            account.set_password(DEMO_PASSWORD)
            account.save()
            learner = Learner.objects.create(
                centre=centre,
                candidate_number=f"{1001 + index:04d}",
                first_name=first,
                last_name=last,
                email=account.email,
                user=account,
                group=first_group if index % 2 == 0 else second_group,
            )
            for offset, unit in enumerate(units.values()):
                enrolment = Enrolment.objects.create(learner=learner, unit=unit, academic_year=year)
                # Every third learner's unit 6 target is left for the teacher to set.
                if unit.number == 6 and index % 3 == 2:
                    continue
                set_target(enrolment, GRADES[(index + offset) % 3], staff["admin"], "import")
        return {"staff": len(staff), "learners": len(DEMO_LEARNERS)}
