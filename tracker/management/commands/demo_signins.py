from django.core.management.base import BaseCommand

from tracker.demo.centre import (
    DEMO_CENTRE_NUMBER,
    DEMO_LEARNERS,
    DEMO_PASSWORD,
    DEMO_STAFF,
    learner_username,
)
from tracker.models import Centre


class Command(BaseCommand):
    help = "Print the demo sign-ins (when the demo centre exists)."

    def handle(self, *args, **options):
        if not Centre.objects.filter(ocr_number=DEMO_CENTRE_NUMBER).exists():
            self.stdout.write("No demo centre: run python manage.py seed_demo")
            return
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD})")
        for username, _, _, _, description in DEMO_STAFF:
            self.stdout.write(f"  {username:<18} {description}")
        for first, last in DEMO_LEARNERS[:2]:
            self.stdout.write(f"  {learner_username(first, last):<18} learner")
        self.stdout.write(f"  … and {len(DEMO_LEARNERS) - 2} more learners (first.last)")
