"""The main pages under load: gunicorn on loopback, 50 concurrent signed-in clients.

Usage (a scratch SQLite database in a temporary folder, or the database in DATABASE_URL):
    python benchmarks/load.py [--learners 2000] [--clients 50] [--requests 20]
    bash .ci/with-postgres python benchmarks/load.py
    python benchmarks/load.py --baseline 480e4b1   # this tree and 480e4b1, paired

With --baseline REV a worktree of REV (benchmarks/baseline.py) is served by its own gunicorn
with its own scratch database beside this tree's, and the same load runs against each in
turn, --rounds times; it prints each run, both medians and the median ratio of throughput.

It seeds a centre (seed_scale), collects the static files (DEBUG is off, as in production),
starts gunicorn with sync workers (2 x cores + 1 unless --workers) and runs a bounded load:
each client is a thread with its own connection and its own session (written straight to
the session store) and asks for its role's pages in turn, --requests times:

- learners (half the clients): their home page and a unit page;
- teachers (two fifths): the teacher dashboard, the marking queue and a group grid;
- the centre admin (one tenth, one session each): the IV report and the centre dashboard.

Every page is first asked for a few times, uncounted, to warm the workers up. Any answer
but 200, or a failed connection, is an error. Latency is from sending the request to the
last byte of the answer, so it includes the time a request waits for a free worker.
"""

import argparse
import http.client
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from baseline import (
    checkout,
    load_average,
    paired,
    revision_name,
    tree_root,
)
from upload import django_setup, gunicorn, prepare_database, scratch_environment, session_cookie

CENTRE = "92000"  # the 2,000-learner centre of pages.py and export.py, when the database has it


@dataclass
class Client:
    role: str
    cookie: str
    pages: list[tuple[str, str]]  # (label, url)
    results: list[tuple[str, int, float]] = field(default_factory=list)


def clients(count: int) -> list[Client]:
    """Return `count` clients mixing learners, teachers and the centre admin."""
    from django.urls import reverse

    from tracker.models import Enrolment, TeachingGroup, User

    learners = list(
        Enrolment.objects.filter(learner__centre__ocr_number=CENTRE, unit__number=30)
        .select_related("learner__user")
        .order_by("learner__group__name", "learner__last_name")[::7]
    )
    groups = list(
        TeachingGroup.objects.filter(centre__ocr_number=CENTRE)
        .prefetch_related("teachers", "units")
        .order_by("name")
    )
    admin = User.objects.get(username=f"{CENTRE}-admin")
    result = []
    for index in range(count):
        kind = index % 10
        if kind < 5:
            enrolment = learners[index % len(learners)]
            pages = [
                ("learner home", reverse("learner_home")),
                ("learner unit page", reverse("learner_unit", args=[enrolment.pk])),
            ]
            result.append(Client("learner", session_cookie(enrolment.learner.user), pages))
        elif kind < 9:
            group = groups[(index * 3) % len(groups)]
            unit30 = next(unit for unit in group.units.all() if unit.number == 30)
            pages = [
                ("teacher dashboard", reverse("teacher_home")),
                ("marking queue", reverse("queue")),
                ("group grid (unit 30)", reverse("grid", args=[group.pk, unit30.pk])),
            ]
            result.append(Client("teacher", session_cookie(group.teachers.first()), pages))
        else:
            pages = [
                ("IV report", reverse("iv_report")),
                ("centre dashboard", reverse("centre:home")),
            ]
            result.append(Client("admin", session_cookie(admin), pages))
    return result


def site_clients(environment: dict[str, str], learners: int, count: int) -> list[dict]:
    """Child of a paired run: prepare this tree's site and return its clients as dicts."""
    django_setup(environment)
    from django.core.management import call_command

    prepare_database(learners=learners, centre=CENTRE)
    with open(os.devnull, "w") as quiet:
        call_command("collectstatic", interactive=False, verbosity=0, stdout=quiet)
    return [
        {"role": client.role, "cookie": client.cookie, "pages": client.pages}
        for client in clients(count)
    ]


def get(connection: http.client.HTTPConnection, url: str, cookie: str) -> int:
    """Ask for a page; http.client opens the connection again when the worker closed it."""
    connection.request("GET", url, headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    if response.getheader("Connection", "").lower() == "close":
        connection.close()
    return response.status


def run(client: Client, port: int, requests: int, offset: int, start: threading.Barrier) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start.wait()
    for number in range(requests):
        label, url = client.pages[(number + offset) % len(client.pages)]
        started = time.perf_counter()
        try:
            status = get(connection, url, client.cookie)
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
        client.results.append((label, status, time.perf_counter() - started))
    connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))]


def alone_times(server, sample: list[Client], repeat: int = 5) -> dict[str, float]:
    """Warm the workers up, then return each page's median ms with one client at a time."""
    connection = server.connection()
    for client in sample:
        for _, url in client.pages * 2:
            assert get(connection, url, client.cookie) == 200, url
    times: dict[str, list[float]] = defaultdict(list)
    for client in sample:
        for label, url in client.pages * repeat:
            started = time.perf_counter()
            get(connection, url, client.cookie)
            times[label].append((time.perf_counter() - started) * 1000)
    connection.close()
    return {label: statistics.median(values) for label, values in times.items()}


def report(
    everyone: list[Client], alone: dict[str, float], seconds: float, workers: int, database: str
) -> None:
    by_page: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for client in everyone:
        for label, status, elapsed in client.results:
            by_page[label].append(elapsed * 1000)
            errors[label] += status != 200
    every = [ms for values in by_page.values() for ms in values]
    print(
        f"database: {database}; gunicorn: {workers} sync workers; {len(everyone)} clients; "
        f"{len(every)} requests in {seconds:.1f} s"
    )
    print("| page | one client: median ms | requests | errors | median ms | p95 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, values in by_page.items():
        print(
            f"| {label} | {alone[label]:.0f} | {len(values)} | {errors[label]} "
            f"| {statistics.median(values):.0f} | {percentile(values, 0.95):.0f} |"
        )
    print(
        f"| **all pages** | | {len(every)} | {sum(errors.values())} "
        f"| {statistics.median(every):.0f} | {percentile(every, 0.95):.0f} |"
    )
    print(f"throughput: {len(every) / seconds:.1f} requests/s")


def load(server, everyone: list[Client], requests: int) -> tuple[float, float]:
    """Run the bounded load once; return the seconds it took and the clients' CPU seconds."""
    for client in everyone:
        client.results = []
    start = threading.Barrier(len(everyone) + 1)
    threads = [
        threading.Thread(target=run, args=(client, server.port, requests, i, start))
        for i, client in enumerate(everyone)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, time.process_time() - cpu


def side_clients(tree, environment: dict[str, str], learners: int, count: int) -> list[Client]:
    """Prepare a tree's site in a child process and return its signed-in clients."""
    import json
    import subprocess

    done = subprocess.run(  # noqa: S603 - this script, with arguments of its own
        [
            sys.executable,
            __file__,
            "--child-clients",
            f"--learners={learners}",
            f"--clients={count}",
        ],
        env={**os.environ, **environment, "BENCH_TREE": str(tree)},
        check=True,
        capture_output=True,
        text=True,
    )
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return [Client(row["role"], row["cookie"], [tuple(p) for p in row["pages"]]) for row in rows]


def compare(args) -> None:
    """Serve this tree and `args.baseline` side by side and load them alternately."""
    name = revision_name(args.baseline)
    folder = tempfile.mkdtemp(prefix="load-bench-")
    try:
        with checkout(args.baseline) as tree:
            sides = {}
            for side, root in (("current", tree_root()), (name, tree)):
                environment = scratch_environment(f"{folder}/{side}")
                os.makedirs(f"{folder}/{side}", exist_ok=True)
                if os.environ.get("DATABASE_URL", "").startswith("postgres"):
                    from baseline import database_urls

                    current_url, baseline_url = database_urls(folder)
                    environment["DATABASE_URL"] = current_url if side == "current" else baseline_url
                sides[side] = (root, environment)
            everyone = {
                side: side_clients(root, environment, args.learners, args.clients)
                for side, (root, environment) in sides.items()
            }
            print(
                f"baseline {name}; gunicorn: {args.workers} sync workers each; "
                f"{args.clients} clients × {args.requests} requests per run; "
                f"{args.rounds} rounds, alternating; {load_average()}"
            )
            throughput: dict[str, list[float]] = {side: [] for side in sides}
            errors = dict.fromkeys(sides, 0)
            with (
                gunicorn(sides["current"][1], args.workers, cwd=sides["current"][0]) as mine,
                gunicorn(sides[name][1], args.workers, cwd=sides[name][0]) as theirs,
            ):
                servers = {"current": mine, name: theirs}
                for side, server in servers.items():
                    alone_times(server, everyone[side][:10])  # warm up
                for _ in range(args.rounds):
                    for side, server in servers.items():
                        seconds, _ = load(server, everyone[side], args.requests)
                        results = [r for c in everyone[side] for r in c.results]
                        throughput[side].append(len(results) / seconds)
                        errors[side] += sum(status != 200 for _, status, _ in results)
                        latencies = [elapsed * 1000 for _, _, elapsed in results]
                        print(
                            f"  {side}: {len(results) / seconds:.1f} requests/s, "
                            f"median {statistics.median(latencies):.0f} ms, "
                            f"p95 {percentile(latencies, 0.95):.0f} ms, "
                            f"errors {sum(status != 200 for _, status, _ in results)}",
                            flush=True,
                        )
            ours, base, ratio = paired(throughput["current"], throughput[name])
            print(f"| | current | {name} | current ÷ {name} |")
            print("|---|---:|---:|---:|")
            print(f"| requests/s (median of rounds) | {ours:.1f} | {base:.1f} | {ratio:.2f} |")
            print(f"| errors | {errors['current']} | {errors[name]} | |")
            print(f"after: {load_average()}")
            if any(errors.values()):
                sys.exit("Some requests failed.")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2000, help="size of the seeded centre")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="requests per client")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--baseline", metavar="REV", help="compare with this commit, paired")
    parser.add_argument("--rounds", type=int, default=2, help="paired rounds (with --baseline)")
    parser.add_argument("--child-clients", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_clients:
        import json

        environment = {
            key: os.environ[key]
            for key in ("DATABASE_URL", "MEDIA_ROOT", "STATIC_ROOT", "SECRET_KEY")
            if key in os.environ
        }
        print(json.dumps(site_clients(environment, args.learners, args.clients)))
        return
    if args.baseline:
        compare(args)
        return
    folder = tempfile.mkdtemp(prefix="load-bench-")
    try:
        environment = scratch_environment(folder)
        if os.environ.get("DATABASE_URL"):
            environment["DATABASE_URL"] = os.environ["DATABASE_URL"]
        django_setup(environment)
        from django.core.management import call_command
        from django.db import connection

        prepare_database(learners=args.learners, centre=CENTRE)
        with open(os.devnull, "w") as quiet:
            call_command("collectstatic", interactive=False, verbosity=0, stdout=quiet)
        everyone = clients(args.clients)
        database = connection.vendor
        connection.close()  # the server has the database to itself from here

        with gunicorn(environment, workers=args.workers) as server:
            alone = alone_times(server, everyone[:10])  # every role, so every page
            seconds, cpu = load(server, everyone, args.requests)
        report(everyone, alone, seconds, args.workers, database)
        print(f"the clients themselves used {cpu:.1f} s of CPU ({cpu / seconds:.0%} of a core)")
        if any(status != 200 for client in everyone for _, status, _ in client.results):
            sys.exit("Some requests failed.")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
