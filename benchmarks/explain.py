"""Print the query plans of the slowest queries behind the main pages.

Usage (PostgreSQL for EXPLAIN ANALYZE; SQLite prints EXPLAIN QUERY PLAN):
    bash .ci/with-postgres python benchmarks/explain.py 10000 --top 8
It seeds the centre like benchmarks/pages.py (unless it is there), refreshes PostgreSQL's
statistics, requests each page once while recording every query with its parameters, times
each query by running it again, then runs EXPLAIN (ANALYZE, BUFFERS) on the slowest. With
--without NAME (repeatable) every query is timed again with those indexes dropped, inside a
transaction that is rolled back, and the plans of those that change most are shown both
ways: the plans before and after a migration's indexes, from one database.
"""

import argparse
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from pages import client_for, pages, seed, setup


@dataclass
class Query:
    page: str
    sql: str
    params: tuple
    ms: float


def capture(size: int) -> list[Query]:
    """Request every page once and return its queries, each timed by running it again in
    full: SQLite does much of a query's work while rows are fetched, after execute()."""
    recorded: list[Query] = []
    for page in pages(size):
        client = client_for(page.user)
        client.get(page.url)  # warm caches, as a second visitor would find them

        def record(execute, sql, params, many, context, label=page.label):
            recorded.append(Query(label, sql, tuple(params or ()), 0.0))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            assert client.get(page.url).status_code == 200, page.url
    for query in recorded:
        query.ms = replay(query)
    return recorded


def replay(query: Query) -> float:
    """Return the ms to run the query and fetch every row (0 for anything but a read)."""
    if not query.sql.lstrip().upper().startswith("SELECT"):
        return 0.0  # pages only read; never replay a write
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(query.sql, query.params)
        cursor.fetchall()
        return (time.perf_counter() - started) * 1000


def explain(query: Query) -> str:
    postgresql = connection.vendor == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgresql else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + query.sql, query.params)
        return "\n".join("    " + " ".join(str(part) for part in row) for row in cursor.fetchall())


def refresh_statistics() -> None:
    """Give PostgreSQL's planner statistics, as autovacuum would soon after a bulk load.

    SQLite is left as Django leaves it, without ANALYZE: its planner then has no statistics
    and the plans are the ones a default installation gets.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def show(slowest: list[Query], title: str) -> None:
    print(f"## {title}\n")
    for query in slowest:
        print(f"### {query.page}: {query.ms:.1f} ms\n")
        print("    " + query.sql[:600] + (" …" if len(query.sql) > 600 else ""))
        print()
        print(explain(query))
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int, nargs="?", default=10000)
    parser.add_argument("--top", type=int, default=6, help="how many of the slowest to explain")
    parser.add_argument("--without", action="append", default=[], help="an index to drop")
    args = parser.parse_args()
    setup()
    print(seed(args.size))
    refresh_statistics()
    queries = capture(args.size)
    by_page: dict[str, float] = {}
    for query in queries:
        by_page[query.page] = by_page.get(query.page, 0) + query.ms
    print(f"database: {connection.vendor}; {len(queries)} queries over {len(by_page)} pages\n")
    print("| page | queries | SQL ms |\n|---|---:|---:|")
    for page, ms in by_page.items():
        print(f"| {page} | {sum(1 for q in queries if q.page == page)} | {ms:.1f} |")
    print()
    slowest = sorted(queries, key=lambda q: q.ms, reverse=True)[: args.top]
    show(slowest, "Slowest, with every index")
    if args.without:
        compare(queries, args.without, args.top)


@contextmanager
def without(names: list[str]):
    """Drop the indexes for the duration, in a transaction that is rolled back."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP INDEX "{name}"')
        yield
        transaction.set_rollback(True)


def compare(queries: list[Query], names: list[str], top: int) -> None:
    """Print what the indexes change: times of every query with and without them, and the
    plans before and after for those that change most."""
    with without(names):
        before = [replay(query) for query in queries]
    changed = sorted(
        zip(before, queries, strict=True), key=lambda pair: pair[0] - pair[1].ms, reverse=True
    )[:top]
    print(f"## What {', '.join(names)} change\n")
    print("| page | query | without ms | with ms |\n|---|---|---:|---:|")
    for ms, query in changed:
        print(f"| {query.page} | {query.sql[:60]}… | {ms:.1f} | {query.ms:.1f} |")
    print()
    for ms, query in changed[:3]:
        print(f"### {query.page}: {ms:.1f} ms without, {query.ms:.1f} ms with\n")
        print("    " + query.sql[:600] + (" …" if len(query.sql) > 600 else ""))
        with without(names):
            print("\nWithout:\n\n" + explain(query))
        print("\nWith:\n\n" + explain(query) + "\n")


if __name__ == "__main__":
    sys.exit(main())
