"""Measure the centre dashboard as the centre grows, with its summaries kept and refreshed.

Usage (a scratch database: it is migrated and filled; sizes share one database, so each
centre is measured beside the larger ones):
    DATABASE_URL=sqlite:///s.sqlite3 SECRET_KEY=x python benchmarks/summaries.py 200 2000 10000
    bash .ci/with-postgres python benchmarks/summaries.py 200 2000 10000

For each centre it prints, in ms (--rounds rounds of --repeat requests, the sizes taking
turns so that the machine's load falls on all alike; each a fresh request in one process):
- *unchanged*: the dashboard when nothing was written since the last load (the summaries
  are all there: one query finds nothing to work out);
- *after a decision*: one decision of the centre changed before each request (the usual
  case: the dashboard works out that one learner-unit again);
- *after a catalogue change*: every summary of Unit 30 dropped before the request (as a
  boundary or criteria edit does), with the time per 1,000 learner-units worked out.
It ends with each size's times as a ratio of the smallest size's (issue #18's goal: the
dashboard at 10,000 learners within 1.2x of its time at 200).
"""

import argparse
import statistics
import time

from baseline import load_average
from pages import centre_number, client_for, django_setup, prepare


def timed_ms(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return (time.perf_counter() - started) * 1000


def prepared(size: int):
    """Return the centre of this size, its admin's client and the dashboard's URL, with
    the summaries up to date."""
    from django.urls import reverse

    from tracker.models import Centre, User
    from tracker.reports.summaries import refresh_summaries

    centre = Centre.objects.get(ocr_number=centre_number(size))
    client = client_for(User.objects.get(username=f"{centre.ocr_number}-admin"))
    refresh_summaries(centre)
    client.get(reverse("centre:home"))
    return centre, client, reverse("centre:home")


def unchanged(client, url: str, repeat: int) -> float:
    return statistics.median(timed_ms(client, url) for _ in range(repeat))


def after_decisions(centre, client, url: str, repeat: int, offset: int) -> float:
    """Median ms of loads each after one decision of the centre changed."""
    from django.db.models import F

    from tracker.models import Decision, Status

    decisions = list(
        Decision.objects.filter(enrolment__learner__centre=centre, criterion__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[offset : offset + repeat]
    )
    times = []
    for pk in decisions:
        Decision.objects.filter(pk=pk).update(status=Status.NOT_YET, revision=F("revision") + 1)
        times.append(timed_ms(client, url))
    return statistics.median(times)


def after_catalogue(centre, client, url: str) -> tuple[float, int]:
    """Ms of the load after every summary of Unit 30 was dropped, and how many it redid."""
    from django.db.models import F

    from criteria.models import Unit
    from tracker.models import EnrolmentSummary
    from tracker.reports.summaries import refresh_every_centre

    refresh_every_centre()  # the change drops every centre's rows: start from none missing
    rows = EnrolmentSummary.objects.filter(centre=centre, unit__number=30).count()
    Unit.objects.filter(number=30).update(glh=F("glh"))
    return timed_ms(client, url), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--repeat", type=int, default=10, help="requests per size and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, sizes alternating")
    args = parser.parse_args()
    django_setup()
    prepare(args.sizes, report=lambda line: print(line, flush=True))
    print(load_average())
    print()
    sites = {size: prepared(size) for size in args.sizes}
    smallest = args.sizes[0]
    times = {size: {"unchanged": [], "after a decision": []} for size in args.sizes}
    ratios = {size: {"unchanged": [], "after a decision": []} for size in args.sizes}
    for round_ in range(args.rounds):
        for size in args.sizes:
            centre, client, url = sites[size]
            times[size]["unchanged"].append(unchanged(client, url, args.repeat))
            times[size]["after a decision"].append(
                after_decisions(centre, client, url, args.repeat, round_ * args.repeat)
            )
        for size in args.sizes:
            for kind in ratios[size]:
                ratios[size][kind].append(times[size][kind][-1] / times[smallest][kind][-1])
    catalogue = {size: after_catalogue(*sites[size]) for size in args.sizes}
    print(
        f"{args.rounds} rounds of {args.repeat} requests per size and kind, sizes alternating; "
        "ms are medians of the rounds' medians, ratios the median of each round's ratio."
    )
    print()
    print(
        f"| learners | unchanged ms | × {smallest:,} | after a decision ms | × {smallest:,} "
        "| after a catalogue change ms | per 1,000 learner-units ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        ms, rows = catalogue[size]
        base = statistics.median(times[size]["unchanged"])
        print(
            f"| {size:,} | {base:.1f} | {statistics.median(ratios[size]['unchanged']):.2f} "
            f"| {statistics.median(times[size]['after a decision']):.1f} "
            f"| {statistics.median(ratios[size]['after a decision']):.2f} "
            f"| {ms:.0f} | {(ms - base) / rows * 1000:.0f} |"
        )
    print(load_average())


if __name__ == "__main__":
    main()
