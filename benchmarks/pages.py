"""Measure queries and response times of the main pages as the centre grows.

Usage (a scratch database: it is migrated and filled):
    DATABASE_URL=sqlite:///scratch.sqlite3 SECRET_KEY=x python benchmarks/pages.py 200 2000
    bash .ci/with-postgres python benchmarks/pages.py 200 2000 10000
It migrates, loads the catalogue, seeds one centre per size (seed_scale, timed) and prints
two tables: seeding time per size, and queries per request with the median and p95 time
of repeated in-process requests for each page.
"""

import argparse
import io
import os
import statistics
import sys
import time
from dataclasses import dataclass
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


@dataclass
class Page:
    label: str
    user: User
    url: str


def centre_number(size: int) -> str:
    return f"9{size:04d}"[-5:]


def setup() -> None:
    """Migrate and load the catalogue; keep one connection so every query is seen."""
    settings.ALLOWED_HOSTS = ["*"]
    # Pages are timed without collectstatic's manifest, as in the test suite.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("load_specs", verbosity=0, stdout=quiet)


def seed(size: int) -> str:
    """Seed a centre of `size` learners unless there is one; return a row of the table."""
    number = centre_number(size)
    if Centre.objects.filter(ocr_number=number).exists():
        return f"| {size} | (seeded before) | | |"
    report = io.StringIO()
    started = time.perf_counter()
    call_command("seed_scale", learners=size, centre=number, stdout=report)
    seconds = time.perf_counter() - started
    # "Centre N: L learners, D decisions, R rows in S s."
    words = report.getvalue().split()
    decisions, rows = words[4], words[6]
    return f"| {size} | {int(decisions):,} | {int(rows):,} | {seconds:.1f} |"


def pages(size: int) -> list[Page]:
    """Return the pages to measure in the centre of this size, each with who asks for it."""
    centre = Centre.objects.get(ocr_number=centre_number(size))
    group = TeachingGroup.objects.filter(centre=centre).order_by("pk").first()
    teacher = group.teachers.first()
    admin = User.objects.get(username=f"{centre.ocr_number}-admin")
    enrolment = (
        Enrolment.objects.filter(learner__group=group, unit__number=30)
        .select_related("learner__user", "unit")
        .order_by("learner__last_name")
        .first()
    )
    learner, unit30 = enrolment.learner.user, enrolment.unit
    return [
        Page("learner home", learner, reverse("learner_home")),
        Page("learner unit page (unit 30)", learner, reverse("learner_unit", args=[enrolment.pk])),
        Page("teacher dashboard", teacher, reverse("teacher_home")),
        Page("marking queue", teacher, reverse("queue")),
        Page("group grid (unit 30)", teacher, reverse("grid", args=[group.pk, unit30.pk])),
        Page("marking page", teacher, reverse("mark", args=[enrolment.learner_id, enrolment.pk])),
        Page("IV report", admin, reverse("iv_report")),
        Page("centre dashboard", admin, reverse("centre:home")),
    ]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def measure(client: Client, url: str, repeat: int) -> tuple[int, float, float]:
    """Return queries of one request, then the median and p95 ms of `repeat` more."""
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return len(queries), statistics.median(times), times[round(0.95 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[200, 2000])
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page")
    args = parser.parse_args()
    setup()
    print(f"database: {connection.vendor}")
    print("| learners | decisions | rows written | seeding s |")
    print("|---:|---:|---:|---:|")
    for size in args.sizes:
        print(seed(size), flush=True)
    if connection.vendor == "postgresql":
        # Autovacuum analyses freshly loaded tables within a minute or so; do it now, or
        # the planner measures a database no live one looks like. (SQLite is left without
        # statistics, as Django leaves it.)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print()
    print("| learners | page | queries | median ms | p95 ms |")
    print("|---:|---|---:|---:|---:|")
    for size in args.sizes:
        for page in pages(size):
            queries, median, p95 = measure(client_for(page.user), page.url, args.repeat)
            print(f"| {size} | {page.label} | {queries} | {median:.1f} | {p95:.1f} |", flush=True)


if __name__ == "__main__":
    main()
