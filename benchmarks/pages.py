"""Measure queries and response times of the main pages as the centre grows.

Usage (a scratch database: it is migrated and filled):
    DATABASE_URL=sqlite:///scratch.sqlite3 SECRET_KEY=x python benchmarks/pages.py 200 2000
    bash .ci/with-postgres python benchmarks/pages.py 200 2000 10000
    SECRET_KEY=x python benchmarks/pages.py 200 2000 --baseline 480e4b1   # paired comparison
It migrates, loads the catalogue, seeds one centre per size (seed_scale, timed) and prints
two tables: seeding time per size, and queries per request with the median and p95 time
of repeated in-process requests for each page.

With --baseline REV it checks REV out beside this tree (benchmarks/baseline.py), gives each
its own scratch database, seeds both, and times every page on each side alternately
(--rounds rounds of --repeat ÷ rounds requests), printing both times and the median ratio.
"""

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from baseline import (
    checkout,
    database_urls,
    load_average,
    paired,
    revision_name,
    tree_environment,
    tree_root,
)


def django_setup() -> None:
    """Set Django up with the code of the tree measured (BENCH_TREE, else this one)."""
    sys.path.insert(0, str(tree_root()))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()


@dataclass
class Page:
    label: str
    user: object  # the User who asks for the page
    url: str


def centre_number(size: int) -> str:
    return f"9{size:04d}"[-5:]


def setup() -> None:
    """Migrate and load the catalogue; keep one connection so every query is seen."""
    from django.conf import settings
    from django.core.management import call_command
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

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
    from django.core.management import call_command

    from tracker.models import Centre

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
    from django.urls import reverse

    from tracker.models import Centre, Enrolment, TeachingGroup, User

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


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def measure(client, url: str, repeat: int) -> tuple[int, float, float]:
    """Return queries of one request, then the median and p95 ms of `repeat` more."""
    queries, times = timed(client, url, repeat)
    return queries, statistics.median(times), times[round(0.95 * (len(times) - 1))]


def timed(client, url: str, repeat: int) -> tuple[int, list[float]]:
    """Return queries of one (untimed) request, then the sorted ms of `repeat` more."""
    from django.db import connection

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
    return len(queries), times


def prepare(sizes: list[int], report=print) -> str:
    """Migrate, load the catalogue and seed every size; return the database's vendor."""
    from django.db import connection

    setup()
    report(f"database: {connection.vendor}")
    report("| learners | decisions | rows written | seeding s |")
    report("|---:|---:|---:|---:|")
    for size in sizes:
        report(seed(size))
    if connection.vendor == "postgresql":
        # Autovacuum analyses freshly loaded tables within a minute or so; do it now, or
        # the planner measures a database no live one looks like. (SQLite is left without
        # statistics, as Django leaves it.)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return connection.vendor


def serve(sizes: list[int]) -> None:
    """Child of a paired run: seed, list the pages, then time the ones asked for on stdin.

    Each line in is {"page": index, "repeat": n}; each line out is {"queries", "times"}.
    """
    django_setup()
    vendor = prepare(sizes, report=lambda line: print(line, file=sys.stderr, flush=True))
    every = [(size, page) for size in sizes for page in pages(size)]
    clients = {}
    print(json.dumps({"vendor": vendor, "pages": [[s, p.label] for s, p in every]}), flush=True)
    for line in sys.stdin:
        ask = json.loads(line)
        size, page = every[ask["page"]]
        client = clients.setdefault(ask["page"], client_for(page.user))
        queries, times = timed(client, page.url, ask["repeat"])
        print(json.dumps({"queries": queries, "times": times}), flush=True)


class Child:
    """A `serve` process running one tree's code against its own database."""

    def __init__(self, tree, database_url: str, sizes: list[int]):
        self.process = subprocess.Popen(  # noqa: S603 - this script, our own arguments
            [sys.executable, __file__, "--serve", *map(str, sizes)],
            env=tree_environment(tree, database_url),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.pages = None

    def ready(self) -> dict:
        return json.loads(self.process.stdout.readline())

    def ask(self, page: int, repeat: int) -> dict:
        self.process.stdin.write(json.dumps({"page": page, "repeat": repeat}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def wanted(label: str, only: list[str]) -> bool:
    """Return whether a page is measured: every page, or those whose label contains one of
    the words given with --pages (any letter case)."""
    return not only or any(word.lower() in label.lower() for word in only)


def compare(
    sizes: list[int], revision: str, rounds: int, repeat: int, only: list[str] = ()
) -> None:
    """Time every page (or those `only` names) in this tree and at `revision`, alternately,
    and print the ratios."""
    name = revision_name(revision)
    with checkout(revision) as tree, tempfile.TemporaryDirectory() as folder:
        current_url, baseline_url = database_urls(folder)
        # Both seed at once; then the measuring alternates, one side at a time.
        current = Child(tree_root(), current_url, sizes)
        baseline = Child(tree, baseline_url, sizes)
        try:
            listed, other = current.ready(), baseline.ready()
            assert listed["pages"] == other["pages"], (listed["pages"], other["pages"])
            print(f"database: {listed['vendor']}; baseline {name}; {load_average()}")
            print(
                f"{rounds} rounds of {repeat} requests per page on each side, alternating; "
                "ms are the medians of the rounds' medians; × is the median of the rounds' "
                "ratios (current ÷ baseline)"
            )
            print(
                "| learners | page | queries (current / baseline) | current ms "
                f"| {name} ms | × baseline |"
            )
            print("|---:|---|---:|---:|---:|---:|")
            for index, (size, label) in enumerate(listed["pages"]):
                if not wanted(label, only):
                    continue
                mine, theirs, counts = [], [], None
                for _ in range(rounds):
                    a = current.ask(index, repeat)
                    b = baseline.ask(index, repeat)
                    counts = (a["queries"], b["queries"])
                    mine.append(statistics.median(a["times"]))
                    theirs.append(statistics.median(b["times"]))
                ours, base, ratio = paired(mine, theirs)
                print(
                    f"| {size} | {label} | {counts[0]} / {counts[1]} | {ours:.1f} "
                    f"| {base:.1f} | {ratio:.2f} |",
                    flush=True,
                )
            print(f"after: {load_average()}")
        finally:
            current.close()
            baseline.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[200, 2000])
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page")
    parser.add_argument("--baseline", metavar="REV", help="compare with this commit, paired")
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds (with --baseline)")
    parser.add_argument(
        "--pages",
        default="",
        help="only pages whose label contains one of these comma-separated words, e.g. "
        '"teacher dashboard,centre dashboard"',
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    only = [word.strip() for word in args.pages.split(",") if word.strip()]
    if args.serve:
        serve(args.sizes)
        return
    if args.baseline:
        compare(args.sizes, args.baseline, args.rounds, max(1, args.repeat // args.rounds), only)
        return
    django_setup()
    prepare(args.sizes, report=lambda line: print(line, flush=True))
    print(load_average())
    print()
    print("| learners | page | queries | median ms | p95 ms |")
    print("|---:|---|---:|---:|---:|")
    for size in args.sizes:
        for page in pages(size):
            if not wanted(page.label, only):
                continue
            queries, median, p95 = measure(client_for(page.user), page.url, args.repeat)
            print(f"| {size} | {page.label} | {queries} | {median:.1f} | {p95:.1f} |", flush=True)


if __name__ == "__main__":
    main()
