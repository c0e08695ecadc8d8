"""Concurrent decision saves under gunicorn: every answer is a save or a reported conflict.

Usage (a scratch SQLite database in a temporary folder, or the database in DATABASE_URL):
    python benchmarks/concurrency.py [--rounds 50] [--threads 8] [--saves 20] [--workers 4]
    bash .ci/with-postgres python benchmarks/concurrency.py

It seeds a small centre (seed_scale), starts gunicorn with sync workers on loopback and runs
two scenarios through the grid's save (the `decide` route, as htmx posts it):

- same decision: two teachers' clients post a change to the same criterion decision from the
  same page (same revision) at the same moment, --rounds times, each round on a criterion
  nobody has decided yet. Exactly one save must win (200) and the other must be told it
  changed (409); two wins would be a lost update.
- different learners: --threads clients each save --saves decisions of their own learner as
  fast as they can, all at once. Every save must succeed (200). Meanwhile the centre admin
  reloads the centre dashboard, which works out the summaries the saves left missing: every
  load must succeed (200), and afterwards its figures must equal every learner's progress
  added up (a summary worked out from data a save was changing would differ).

Any other answer (a 500 such as "database is locked", a failed connection) is an error. It
prints the counts and exits non-zero unless there are no errors and no lost updates.
"""

import argparse
import http.client
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from urllib.parse import urlencode

from upload import django_setup, gunicorn, prepare_database, scratch_environment, session_cookie

CENTRE = "93000"


def post(port: int, cookie: str, path: str, fields: dict[str, str]) -> int:
    """Post a form as htmx does and return the status (0 for a failed connection)."""
    csrf = cookie.rsplit("=", 1)[1]
    body = urlencode({**fields, "csrfmiddlewaretoken": csrf})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded",
                "HX-Request": "true",
                "Referer": f"http://127.0.0.1:{port}/",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()


def plan():
    """Return a group's teacher signed in twice and the group's Unit 30 enrolments."""
    from tracker.models import Enrolment, TeachingGroup

    group = (
        TeachingGroup.objects.filter(centre__ocr_number=CENTRE, units__number=30)
        .prefetch_related("teachers")
        .order_by("name")
        .first()
    )
    teacher = group.teachers.order_by("pk").first()
    cookies = [session_cookie(teacher), session_cookie(teacher)]
    enrolments = list(
        Enrolment.objects.filter(learner__group=group, unit__number=30)
        .select_related("learner")
        .order_by("learner__last_name", "pk")
    )
    return cookies, enrolments


def undecided(enrolments, count: int) -> list[tuple[str, str]]:
    """Return up to `count` (decide URL, item key) pairs with no decision recorded yet."""
    from django.urls import reverse

    from tracker.models import Decision

    decided = set(
        Decision.objects.filter(enrolment__in=enrolments).values_list(
            "enrolment_id", "criterion_id"
        )
    )
    found = []
    for enrolment in enrolments:
        for criterion in enrolment.unit.criteria.order_by("order"):
            if (enrolment.pk, criterion.pk) not in decided:
                url = reverse("decide", args=[enrolment.learner_id, enrolment.pk])
                found.append((url, criterion.key))
                if len(found) == count:
                    return found
    return found


def race(port: int, cookies: list[str], url: str, key: str) -> list[int]:
    """Post two different decisions on one criterion from the same page at once."""
    statuses: list[int] = []
    start = threading.Barrier(2)

    def save(cookie: str, status: str) -> None:
        fields = {"item": key, "revision": "0", "status": status, "from": "grid"}
        start.wait()
        statuses.append(post(port, cookie, url, fields))

    threads = [
        threading.Thread(target=save, args=(cookies[0], "achieved")),
        threading.Thread(target=save, args=(cookies[1], "not_yet")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def same_decision(port: int, cookies: list[str], targets, outcome: Counter) -> None:
    for url, key in targets:
        pair = race(port, cookies, url, key)
        if pair == [200, 409]:
            outcome["one saved, one told of the conflict"] += 1
        elif pair == [200, 200]:
            outcome["lost update (both saved)"] += 1
        else:
            outcome["error"] += 1
            outcome[f"answers {pair}"] += 1


def different_learners(port: int, cookie: str, enrolments, saves: int, outcome: Counter):
    from django.urls import reverse

    from tracker.models import Decision

    threads, lock = [], threading.Lock()
    start = threading.Barrier(len(enrolments))
    for enrolment in enrolments:
        criterion = enrolment.unit.criteria.order_by("order").first()
        url = reverse("decide", args=[enrolment.learner_id, enrolment.pk])
        decision = Decision.objects.filter(enrolment=enrolment, criterion=criterion).first()
        revision = decision.revision if decision else 0

        def run(url=url, key=criterion.key, revision=revision) -> None:
            start.wait()
            for step in range(saves):
                status = "achieved" if step % 2 else "not_yet"
                fields = {"item": key, "revision": str(revision), "status": status, "from": "grid"}
                answer = post(port, cookie, url, fields)
                with lock:
                    outcome["saved" if answer == 200 else "error"] += 1
                    if answer != 200:
                        outcome[f"answer {answer}"] += 1
                if answer == 200:
                    revision += 1

        threads.append(threading.Thread(target=run))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def dashboard_while(port: int, cookie: str, busy: threading.Event, outcome: Counter) -> None:
    """Load the centre dashboard again and again until ``busy`` is cleared."""
    from django.urls import reverse

    url = reverse("centre:home")
    while busy.is_set():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request("GET", url, headers={"Cookie": cookie})
            answer = connection.getresponse().status
        except OSError:
            answer = 0
        finally:
            connection.close()
        outcome["dashboard loaded" if answer == 200 else "error"] += 1
        if answer != 200:
            outcome[f"dashboard answer {answer}"] += 1


def dashboard_agrees() -> bool:
    """Return whether the centre dashboard's figures equal every learner's progress."""
    from tracker.models import Centre, TeachingGroup
    from tracker.reports.dashboard import SERIES, centre_figures, group_figures

    centre = Centre.objects.get(ocr_number=CENTRE)

    def counted(figures) -> tuple:
        return (
            figures.done,
            figures.learners,
            {(s, g): n for s in SERIES for g, n in figures.distribution[s].items() if n},
        )

    added = {}
    for group in group_figures(TeachingGroup.objects.filter(centre=centre)):
        for unit_id, figures in group.units.items():
            done, learners, distribution = added.get(unit_id, (0, 0, {}))
            for key, count in counted(figures)[2].items():
                distribution[key] = distribution.get(key, 0) + count
            added[unit_id] = (done + figures.done, learners + figures.learners, distribution)
    return {f.unit.pk: counted(f) for f in centre_figures(centre)} == added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--saves", type=int, default=20, help="saves per thread")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="concurrency-bench-")
    try:
        environment = scratch_environment(folder)
        if os.environ.get("DATABASE_URL"):
            environment["DATABASE_URL"] = os.environ["DATABASE_URL"]
        django_setup(environment)
        from django.db import connection

        prepare_database(learners=40, centre=CENTRE)
        from django.core.management import call_command

        # The dashboard is a whole page: its static files come from the manifest.
        with open(os.devnull, "w") as quiet:
            call_command("collectstatic", interactive=False, verbosity=0, stdout=quiet)
        cookies, enrolments = plan()
        from tracker.models import User

        admin = session_cookie(User.objects.get(username=f"{CENTRE}-admin"))
        targets = undecided(enrolments, args.rounds)
        learners = enrolments[: args.threads]
        database = connection.vendor
        connection.close()
        same, different = Counter(), Counter()
        with gunicorn(environment, workers=args.workers) as server:
            started = time.perf_counter()
            same_decision(server.port, cookies, targets, same)
            busy = threading.Event()
            busy.set()
            reader = threading.Thread(
                target=dashboard_while, args=(server.port, admin, busy, different)
            )
            reader.start()
            different_learners(server.port, cookies[0], learners, args.saves, different)
            busy.clear()
            reader.join()
            seconds = time.perf_counter() - started
        agrees = dashboard_agrees()
        print(f"{database}, gunicorn with {args.workers} sync workers, {seconds:.1f} s")
        print(f"same decision, {len(targets)} rounds of two simultaneous saves:")
        for what, count in sorted(same.items()):
            print(f"  {what}: {count}")
        print(f"different learners, {len(learners)} threads x {args.saves} saves:")
        for what, count in sorted(different.items()):
            print(f"  {what}: {count}")
        errors = same["error"] + different["error"]
        lost = same["lost update (both saved)"]
        print(f"errors: {errors}, lost updates: {lost}")
        print(f"centre dashboard equals every learner's progress: {'yes' if agrees else 'NO'}")
        if errors or lost or not agrees:
            sys.exit("Some saves failed or were lost, or the dashboard disagrees.")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
