"""Measure the centre dashboard as the centre grows, with its summaries kept and refreshed.

Usage (a scratch database: it is migrated and filled; sizes share one database, so each
centre is measured beside the larger ones):
    DATABASE_URL=sqlite:///s.sqlite3 SECRET_KEY=x python benchmarks/summaries.py 200 2000 10000
    bash .ci/with-postgres python benchmarks/summaries.py 200 2000 10000

For each centre it prints, in ms (median of --repeat requests, each a fresh request in the
same process):
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


def measure(size: int, repeat: int) -> dict[str, float]:
    from django.db.models import F
    from django.urls import reverse

    from criteria.models import Unit
    from tracker.models import Centre, Decision, EnrolmentSummary, Status, User
    from tracker.reports.summaries import refresh_summaries

    centre = Centre.objects.get(ocr_number=centre_number(size))
    client = client_for(User.objects.get(username=f"{centre.ocr_number}-admin"))
    url = reverse("centre:home")
    refresh_summaries(centre)
    client.get(url)
    unchanged = statistics.median(timed_ms(client, url) for _ in range(repeat))
    decisions = list(
        Decision.objects.filter(enrolment__learner__centre=centre, criterion__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:repeat]
    )
    after_decision = []
    for pk in decisions:
        Decision.objects.filter(pk=pk).update(status=Status.NOT_YET, revision=F("revision") + 1)
        after_decision.append(timed_ms(client, url))
    # A catalogue change drops every summary of the unit (all centres): time the first load.
    rows = EnrolmentSummary.objects.filter(centre=centre, unit__number=30).count()
    after_catalogue = []
    for _ in range(max(1, repeat // 5)):
        Unit.objects.filter(number=30).update(glh=F("glh"))
        after_catalogue.append(timed_ms(client, url))
    catalogue = statistics.median(after_catalogue)
    return {
        "unchanged": unchanged,
        "after a decision": statistics.median(after_decision),
        "after a catalogue change": catalogue,
        "per 1,000 learner-units": (catalogue - unchanged) / rows * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    django_setup()
    prepare(args.sizes, report=lambda line: print(line, flush=True))
    print(load_average())
    print()
    results = {size: measure(size, args.repeat) for size in args.sizes}
    columns = list(results[args.sizes[0]])
    print("| learners | " + " | ".join(f"{c} ms" for c in columns) + " |")
    print("|---:|" + "---:|" * len(columns))
    for size, row in results.items():
        print(f"| {size:,} | " + " | ".join(f"{row[c]:.1f}" for c in columns) + " |")
    smallest = results[args.sizes[0]]
    print()
    print(f"| learners | unchanged × {args.sizes[0]:,} | after a decision × {args.sizes[0]:,} |")
    print("|---:|---:|---:|")
    for size, row in results.items():
        print(
            f"| {size:,} | {row['unchanged'] / smallest['unchanged']:.2f} "
            f"| {row['after a decision'] / smallest['after a decision']:.2f} |"
        )
    print(load_average())


if __name__ == "__main__":
    main()
