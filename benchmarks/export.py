"""Time the whole-centre Excel export and its peak memory against a bare openpyxl floor.

Usage (a scratch database: it is migrated and filled):
    DATABASE_URL=sqlite:///scratch.sqlite3 SECRET_KEY=x python benchmarks/export.py 200 2000
    bash .ci/with-postgres python benchmarks/export.py 200 2000 10000
    SECRET_KEY=x python benchmarks/export.py 2000 --baseline 480e4b1   # paired comparison

With --baseline REV the export runs alternately in this tree and in a worktree of REV, each
with its own scratch database (benchmarks/baseline.py), the floor after each pair, and the
table gives both times, the floor and the median of the rounds' ratios.

For each size it seeds a centre (seed_scale) unless there is one, then runs, each in a fresh
process so that no run inherits another's memory:

- export: `centre_scope` and `write_workbook` into a temporary file, as the background job
  does (queries counted);
- matrix (not timed): the export read back with openpyxl, every cell's value and style
  written row by row to a pickle stream, with each sheet's widths, frozen panes and filter;
- floor: a bare openpyxl write-only loop writing that matrix: the same sheets, rows, values
  and styles. It hands openpyxl cells the cheapest way the export does (plain values bare,
  a styled cell copying one style array per distinct style, a repeated styled cell reused),
  so the gap between the two is the cost of reading the database and working out progress.
  Reading the matrix back from the pickle stream is timed on its own and taken off.

Peak memory is the process's peak resident set (VmHWM); "growth" is that peak
less the resident set just before the export starts (after Django and openpyxl are loaded).
With --tracemalloc the export runs once more under tracemalloc for the Python heap's peak.
"""

import argparse
import json
import os
import pickle
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
END = "end of sheet"


def centre_number(size: int) -> str:
    return f"9{size:04d}"[-5:]  # as benchmarks/pages.py, so a scratch database serves both


def peak_rss_mb() -> float:
    """Return this process's peak resident set since it started.

    getrusage's ru_maxrss survives fork and exec, so a child started by a large parent
    reports the parent's peak; the kernel's VmHWM belongs to this program only.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1024 / 1024


def django_setup() -> None:
    from baseline import tree_root

    sys.path.insert(0, str(tree_root()))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()


# --- the export, as the background job builds it -------------------------------------------


def run_export(centre: str, output: str, traced: bool) -> dict:
    django_setup()
    import openpyxl  # noqa: F401 - loaded before the baseline, as in a running worker
    from django.db import connection

    from tracker.models import Centre
    from tracker.reports.exports import centre_scope, write_workbook

    scope = centre_scope(Centre.objects.get(ocr_number=centre))
    before = rss_mb()
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    if traced:
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    with connection.execute_wrapper(count), open(output, "wb") as handle:
        write_workbook(scope, handle)
    seconds = time.perf_counter() - started
    result = {"seconds": seconds, "before": before, "peak": peak_rss_mb(), "queries": queries}
    if traced:
        result["traced"] = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    return result


# --- the matrix: the export's cells read back ------------------------------------------------


def sheet_settings(archive: zipfile.ZipFile, index: int) -> dict:
    """Return a sheet's column widths, frozen cell and filter, read from its XML."""
    xml = archive.read(f"xl/worksheets/sheet{index}.xml").decode()
    head, _, tail = xml.partition("<sheetData")
    widths = {
        int(column): float(width)
        for width, column in re.findall(r'<col width="([\d.]+)"[^>]*min="(\d+)"', head)
    }
    frozen = re.search(r'topLeftCell="([A-Z]+\d+)"', head)
    autofilter = re.search(r'<autoFilter ref="([^"]+)"', tail)
    return {
        "widths": widths,
        "frozen": frozen.group(1) if frozen else None,
        "filter": autofilter.group(1) if autofilter else None,
    }


def write_matrix(source: str, output: str) -> dict:
    from openpyxl import load_workbook

    book = load_workbook(source, read_only=True)
    archive = zipfile.ZipFile(source)
    cells = 0
    with open(output, "wb") as handle:
        for index, name in enumerate(book.sheetnames, start=1):
            sheet = book[name]
            styles: dict[int, tuple] = {}
            pickle.dump({"name": name, **sheet_settings(archive, index)}, handle)
            for row in sheet.iter_rows():
                values = []
                for cell in row:
                    value = getattr(cell, "value", None)
                    style_id = getattr(cell, "_style_id", 0)
                    if style_id and style_id not in styles:
                        fill = cell.fill
                        styles[style_id] = (
                            bool(cell.font.b),
                            cell.font.sz,
                            fill.fgColor.rgb if fill.fill_type else None,
                            cell.number_format,
                            bool(cell.style_array.quotePrefix),
                        )
                    values.append((value, styles.get(style_id)))
                    cells += value is not None
                pickle.dump(values, handle)
            pickle.dump(END, handle)
    return {"cells": cells}


# --- the floor: a bare write-only loop over the same matrix ----------------------------------


def read_matrix(handle):
    """Yield (settings, rows) per sheet, the rows read lazily from the pickle stream."""

    def rows():
        # The stream is this script's own scratch file, written by write_matrix above.
        while (row := pickle.load(handle)) != END:  # noqa: S301
            yield row

    while True:
        try:
            settings = pickle.load(handle)  # noqa: S301
        except EOFError:
            return
        yield settings, rows()


class FloorSheet:
    """Write rows of (value, style) to a write-only sheet, handing openpyxl cells cheaply."""

    def __init__(self, book, settings: dict):
        from openpyxl.utils import get_column_letter

        self.sheet = book.create_sheet(settings["name"])
        for column, width in settings["widths"].items():
            self.sheet.column_dimensions[get_column_letter(column)].width = width
        self.sheet.freeze_panes = settings["frozen"]
        self.prototypes: dict[tuple, object] = {}
        self.repeated: dict[tuple, object] = {}

    def styled(self, value, style: tuple):
        """Return a cell with this style, copying one style array per distinct style."""
        from copy import copy

        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font, PatternFill

        if style not in self.prototypes:
            bold, size, fill, number_format, quote = style
            model = WriteOnlyCell(self.sheet)
            if bold or size:
                model.font = Font(bold=bold, size=size)
            if fill:
                model.fill = PatternFill("solid", fgColor=fill)
            model.number_format = number_format
            model.quotePrefix = quote
            self.prototypes[style] = model._style
        result = WriteOnlyCell(self.sheet)
        result._style = copy(self.prototypes[style])
        result.value = value
        if isinstance(value, str):
            result.data_type = "s"
        return result

    def append(self, row: list) -> None:
        from openpyxl.cell.cell import ERROR_CODES

        out = []
        for value, style in row:
            if style is None:
                if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
                    out.append(self.styled(value, (False, None, None, "General", False)))
                else:
                    out.append(value)
            elif value is None or isinstance(value, str) and len(value) < 20:
                # A repeated styled value (a status, an empty date) is one cell, as in the
                # export: a write-only sheet writes each cell as its row is appended.
                key = (value, style)
                if key not in self.repeated:
                    self.repeated[key] = self.styled(value, style)
                out.append(self.repeated[key])
            else:
                out.append(self.styled(value, style))
        self.sheet.append(out)


def run_floor(matrix: str, output: str) -> dict:
    from openpyxl import Workbook

    # Reading the matrix alone, to take it off the floor's time.
    started = time.perf_counter()
    with open(matrix, "rb") as handle:
        for _, rows in read_matrix(handle):
            for _ in rows:
                pass
    reading = time.perf_counter() - started

    before = rss_mb()
    started = time.perf_counter()
    book = Workbook(write_only=True)
    with open(matrix, "rb") as handle:
        for settings, rows in read_matrix(handle):
            sheet = FloorSheet(book, settings)
            for row in rows:
                sheet.append(row)
            if settings["filter"]:
                sheet.sheet.auto_filter.ref = settings["filter"]
    with open(output, "wb") as handle:
        book.save(handle)
    seconds = time.perf_counter() - started - reading
    return {"seconds": seconds, "reading": reading, "before": before, "peak": peak_rss_mb()}


# --- the driver ------------------------------------------------------------------------------


def child(*args: str, env: dict | None = None) -> dict:
    """Run one measurement in a fresh process and return what it printed."""
    done = subprocess.run(  # noqa: S603 - this script, with arguments of its own
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, env=env
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(sizes: list[int]) -> str:
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    from tracker.models import Centre

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("load_specs", verbosity=0, stdout=quiet)
        for size in sizes:
            number = centre_number(size)
            if not Centre.objects.filter(ocr_number=number).exists():
                print(f"seeding {size:,} learners…", file=sys.stderr, flush=True)
                call_command("seed_scale", learners=size, centre=number, stdout=quiet)
    vendor = connection.vendor
    connection.close()
    return vendor


def compare(sizes: list[int], revision: str, rounds: int) -> None:
    """Export each size in this tree and at `revision` alternately, with the floor between."""
    import statistics

    from baseline import (
        checkout,
        database_urls,
        load_average,
        paired,
        revision_name,
        tree_environment,
        tree_root,
    )

    name = revision_name(revision)
    with checkout(revision) as tree, tempfile.TemporaryDirectory() as scratch:
        current_url, baseline_url = database_urls(scratch)
        sides = {
            "current": tree_environment(tree_root(), current_url),
            name: tree_environment(tree, baseline_url),
        }
        for env in sides.values():
            vendor = child("--child", "prepare", *map(str, sizes), env=env)["vendor"]
        print(f"database: {vendor}; baseline {name}; {load_average()}")
        print(
            f"{rounds} rounds, each a fresh process per export: current, baseline, floor; "
            "s are medians; × are medians of the rounds' ratios"
        )
        print(
            f"| learners | cells | queries (current / {name}) | current s | {name} s "
            f"| floor s | current × floor | {name} × floor | current × {name} "
            f"| current peak MB (growth) | {name} peak MB (growth) |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        matrix, floor = f"{scratch}/m", f"{scratch}/floor.xlsx"
        # Each side's workbook in a file of its own: the floor is the current one's cells.
        books = {side: f"{scratch}/export-{number}.xlsx" for number, side in enumerate(sides)}
        for size in sizes:
            centre = centre_number(size)
            runs = {side: [] for side in sides}
            floors = []
            for _ in range(rounds):
                for side, env in sides.items():
                    runs[side].append(
                        child(
                            "--child",
                            "export",
                            "--centre",
                            centre,
                            "--output",
                            books[side],
                            env=env,
                        )
                    )
                # The floor writes the current export's cells back (its matrix).
                cells = child("--child", "matrix", "--input", books["current"], "--output", matrix)[
                    "cells"
                ]
                floors.append(child("--child", "floor", "--input", matrix, "--output", floor))
                print(f"  {load_average()}", file=sys.stderr, flush=True)
            mine = [run["seconds"] for run in runs["current"]]
            theirs = [run["seconds"] for run in runs[name]]
            bare = [run["seconds"] for run in floors]
            # Each round on its own (to stderr, so the table stays a table).
            for number, (a, b, f) in enumerate(zip(mine, theirs, bare, strict=True), start=1):
                print(
                    f"round {number}: current {a:.2f} s, {name} {b:.2f} s, floor {f:.2f} s; "
                    f"current × floor {a / f:.2f}, {name} × floor {b / f:.2f}, "
                    f"current × {name} {a / b:.2f}",
                    file=sys.stderr,
                    flush=True,
                )
            ours, base, ratio = paired(mine, theirs)
            _, _, ours_floor = paired(mine, bare)
            _, _, base_floor = paired(theirs, bare)
            last, old = runs["current"][-1], runs[name][-1]
            print(
                f"| {size:,} | {cells:,} | {last['queries']} / {old['queries']} | {ours:.2f} "
                f"| {base:.2f} | {statistics.median(bare):.2f} | {ours_floor:.2f} "
                f"| {base_floor:.2f} | {ratio:.2f} "
                f"| {last['peak']:.0f} ({last['peak'] - last['before']:+.0f}) "
                f"| {old['peak']:.0f} ({old['peak'] - old['before']:+.0f}) |",
                flush=True,
            )
        print(f"after: {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[200, 2000, 10000])
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the Python heap")
    parser.add_argument("--baseline", metavar="REV", help="compare with this commit, paired")
    parser.add_argument("--rounds", type=int, default=3, help="paired rounds (with --baseline)")
    parser.add_argument(
        "--child", choices=["export", "matrix", "floor", "prepare"], help=argparse.SUPPRESS
    )
    parser.add_argument("--centre", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "export":
        print(json.dumps(run_export(args.centre, args.output, args.tracemalloc)))
        return
    if args.child == "matrix":
        print(json.dumps(write_matrix(args.input, args.output)))
        return
    if args.child == "floor":
        print(json.dumps(run_floor(args.input, args.output)))
        return
    if args.child == "prepare":
        print(json.dumps({"vendor": prepare(args.sizes)}))
        return
    if args.baseline:
        compare(args.sizes, args.baseline, args.rounds)
        return

    vendor = prepare(args.sizes)
    print(f"database: {vendor}")
    print(
        "| learners | cells | queries | export s | floor s | × floor "
        "| export peak MB (growth) | floor peak MB (growth) |"
        + (" traced peak MB |" if args.tracemalloc else "")
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if args.tracemalloc else ""))
    with tempfile.TemporaryDirectory() as scratch:
        book, matrix, floor = (f"{scratch}/{name}" for name in ("export.xlsx", "m", "floor.xlsx"))
        for size in args.sizes:
            centre = centre_number(size)
            export = child("--child", "export", "--centre", centre, "--output", book)
            cells = child("--child", "matrix", "--input", book, "--output", matrix)["cells"]
            bare = child("--child", "floor", "--input", matrix, "--output", floor)
            row = (
                f"| {size:,} | {cells:,} | {export['queries']} | {export['seconds']:.1f} "
                f"| {bare['seconds']:.1f} | {export['seconds'] / bare['seconds']:.2f} "
                f"| {export['peak']:.0f} ({export['peak'] - export['before']:+.0f}) "
                f"| {bare['peak']:.0f} ({bare['peak'] - bare['before']:+.0f}) |"
            )
            if args.tracemalloc:
                traced = child(
                    "--child", "export", "--centre", centre, "--output", book, "--tracemalloc"
                )
                row += f" {traced['traced']:.1f} |"
            print(row, flush=True)


if __name__ == "__main__":
    main()
