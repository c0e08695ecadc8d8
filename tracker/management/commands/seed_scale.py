"""Seed a large, realistic centre for benchmarks (the work is done by tracker.demo.scale)."""

import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from criteria.models import Unit
from tracker.demo.scale import ScaleCentre
from tracker.models import Centre


class Command(BaseCommand):
    help = "Create a large centre for benchmarks: N learners in groups of 20 on both units."

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, required=True)
        parser.add_argument("--centre", default="99900", help="OCR number of the new centre")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        count, number = options["learners"], options["centre"]
        if not 1 <= count <= 10000:
            raise CommandError("--learners must be from 1 to 10000 (4-digit candidate numbers)")
        if Centre.objects.filter(ocr_number=number).exists():
            raise CommandError(f"Centre {number} already exists: pick another --centre.")
        units = {unit.number: unit for unit in Unit.objects.filter(number__in=[6, 30])}
        if len(units) != 2:
            raise CommandError("Load the catalogue first: python manage.py load_specs")
        started = time.perf_counter()
        with transaction.atomic():
            rows = ScaleCentre(number, units, random.Random(options["seed"])).build(count)
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Centre {number}: {count} learners, {rows['Decision']} decisions, "
            f"{sum(rows.values())} rows in {seconds:.1f} s."
        )
        for table, made in sorted(rows.items()):
            self.stdout.write(f"  {table}: {made}")
