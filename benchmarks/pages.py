"""Measure queries and response times of the main pages as the centre grows.

Usage (a scratch database is best):
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 SECRET_KEY=x python benchmarks/pages.py 200 2000
It migrates, loads the catalogue, seeds one centre per size (seed_scale) and prints a table
of queries per request and median / p95 time over repeated in-process requests.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from tracker.models import Centre, Enrolment, TeachingGroup, User  # noqa: E402

REPEAT = 15


def measure(client: Client, url: str) -> tuple[int, float, float]:
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return len(queries), statistics.median(times), times[int(0.95 * (len(times) - 1))]


def pages(number: str) -> list[tuple[str, User, str]]:
    centre = Centre.objects.get(ocr_number=number)
    group = TeachingGroup.objects.filter(centre=centre).first()
    teacher = group.teachers.first()
    admin, _ = User.objects.get_or_create(
        username=f"{number}-admin", defaults={"is_centre_admin": True}
    )
    admin.staff_membership if hasattr(admin, "staff_membership") else (
        centre.staff.create(user=admin)
    )
    enrolment = Enrolment.objects.filter(learner__group=group, unit__number=30).first()
    unit30 = enrolment.unit
    return [
        ("teacher dashboard", teacher, reverse("teacher_home")),
        ("marking queue", teacher, reverse("queue")),
        ("group grid (unit 30)", teacher, reverse("grid", args=[group.pk, unit30.pk])),
        ("marking page", teacher, reverse("mark", args=[enrolment.learner_id, enrolment.pk])),
        ("centre dashboard", admin, reverse("centre:home")),
        ("IV report", admin, reverse("iv_report")),
    ]


def main(sizes: list[int]) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    # Keep one connection for the whole run, as the test suite does, so queries are counted.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    call_command("migrate", verbosity=0)
    call_command("load_specs", verbosity=0)
    print(f"database: {connection.vendor}")
    print("| learners | page | queries | median ms | p95 ms |")
    print("|---:|---|---:|---:|---:|")
    for size in sizes:
        number = f"9{size:04d}"[-5:]
        if not Centre.objects.filter(ocr_number=number).exists():
            with open(os.devnull, "w") as quiet:
                call_command("seed_scale", learners=size, centre=number, stdout=quiet)
        for label, user, url in pages(number):
            client = Client()
            client.force_login(user)
            queries, median, p95 = measure(client, url)
            print(f"| {size} | {label} | {queries} | {median:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [200, 2000])
