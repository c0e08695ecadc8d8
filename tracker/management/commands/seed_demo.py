"""Create the demo centre (the work is done by tracker.demo.seed)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from criteria.models import Unit
from tracker.demo.centre import DEMO_CENTRE_NUMBER
from tracker.demo.seed import DemoSeeder
from tracker.models import Centre
from tracker.notifications.services import quietly


class Command(BaseCommand):
    help = "Create the demo centre with staff, groups and learners (does nothing if present)."

    def handle(self, *args, **options):
        if Centre.objects.filter(ocr_number=DEMO_CENTRE_NUMBER).exists():
            self.stdout.write("Demo data already present; nothing changed.")
            return
        units = {unit.number: unit for unit in Unit.objects.filter(number__in=[6, 30])}
        if len(units) != 2:
            raise CommandError("Load the catalogue first: python manage.py load_specs")
        with transaction.atomic(), quietly():
            counts = DemoSeeder().seed(units)
        self.stdout.write(
            f"Demo centre created: {counts['staff']} staff, 2 groups, "
            f"{counts['learners']} learners."
        )
