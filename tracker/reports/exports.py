"""The Excel export of grade predictions: Summary, one sheet per unit, and an IV sheet.

Learners are read a chunk at a time, their progress worked out once, and each learner's rows
written to the Summary and every unit sheet together by openpyxl in write-only mode (each
sheet streams to its own temporary file), so memory stays flat however large the centre is.
"""

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from criteria.grading import Grade
from criteria.models import PointsValue, Suite, TopicItem, Unit
from tracker.assessment.progress import UnitProgress, progress_for
from tracker.lib.spreadsheets import (
    STATUS_FILLS,
    CellMaker,
    excel_serial,
    header_block,
    plain_text,
    set_widths,
)
from tracker.models import (
    Centre,
    Decision,
    Enrolment,
    ExamMark,
    ExportJob,
    Learner,
    SampleItem,
    Status,
)
from tracker.reports import qualification_columns
from tracker.reports.qualification_columns import with_qualifications

CHUNK = 400  # learners per batch of queries
DATE = "dd/mm/yyyy"
DATETIME = "dd/mm/yyyy hh:mm"
# The Summary's grade colours (the site's success and danger badge tints): green when the
# grade expected (the teacher's prediction, else the projected grade) is on or above the
# learner's target, red when it is below. The Flags column says "Below target" in words.
ON_TARGET = PatternFill("solid", fgColor="D1E7DD")
BELOW_TARGET = PatternFill("solid", fgColor="F8D7DA")
NOT_SAT = "not sat"  # an examined unit's achieved grade before a real exam result
NONE_YET = "None yet"
TOTAL_GRADES = [Grade.U, Grade.R, Grade.P, Grade.M, Grade.D]
POINTS_NOTE = (
    "Points marked 'unverified' use values not yet checked against the OCR qualification "
    "handbook: check them there before you rely on them."
)


@dataclass
class ExportScope:
    centre: Centre
    label: str  # e.g. "Group 13HSC1, unit 30" or "Whole centre"
    learners: QuerySet  # Learner queryset
    units: list[Unit]
    on_progress: Callable[[int], None] | None = None  # called with the percent done
    include_leavers: bool = False  # then the summary has a "Left on" column

    def report(self, learners_done: int, learners_total: int) -> None:
        """Report progress: one pass over the learners writes every sheet but the IV one."""
        if self.on_progress is None or not learners_total:
            return
        self.on_progress(min(99, int(100 * learners_done / learners_total)))


def _progress_by_learner(
    scope: ExportScope,
) -> Iterator[tuple[Learner, dict[int, UnitProgress]]]:
    """Yield each learner with their progress per unit, CHUNK learners at a time."""
    ids = list(
        scope.learners.order_by("group__name", "last_name", "first_name", "pk").values_list(
            "pk", flat=True
        )
    )
    units = Unit.objects.select_related("suite").in_bulk([unit.pk for unit in scope.units])
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        learners = Learner.objects.select_related("group").in_bulk(chunk)
        enrolments = list(Enrolment.objects.filter(learner_id__in=chunk, unit_id__in=list(units)))
        for enrolment in enrolments:
            # Share the learners and units already read instead of joining them again.
            enrolment.learner = learners[enrolment.learner_id]
            enrolment.unit = units[enrolment.unit_id]
        by_learner: dict[int, dict[int, UnitProgress]] = {pk: {} for pk in chunk}
        for progress in progress_for(
            enrolments, with_assessors=False, with_dates=True, plain_items=True
        ):
            by_learner[progress.enrolment.learner_id][progress.unit.pk] = progress
        for pk in chunk:
            yield learners[pk], by_learner[pk]
        scope.report(start + len(chunk), len(ids))


def write_workbook(scope: ExportScope, handle) -> None:
    """Write the grades workbook for the scope to a binary file object."""
    book = Workbook(write_only=True)
    generated = timezone.localtime().replace(tzinfo=None)
    lines = [
        f"Centre: {scope.centre.name} ({scope.centre.ocr_number})",
        f"Scope: {scope.label}",
        ("Generated", generated, DATETIME),
    ]
    try:
        summary = _summary_table(book, scope, lines)
        totals = SummaryTotals(scope.units)
        qualification_totals = qualification_columns.QualificationTotals()
        unit_tables = [(unit, _UnitRows(book, unit, lines)) for unit in scope.units]
        iv = _iv_table(book, lines)  # created now: the sheets keep their order in the book
        suite_ids = _suite_ids(scope)
        for learner, progress, qualification in with_qualifications(
            _progress_by_learner(scope), CHUNK
        ):
            who = _Who.of(learner)
            summary_row = _summary_row(summary.cell, scope, learner, progress, who, suite_ids)
            summary.append(summary_row + qualification_columns.cells(summary.cell, qualification))
            totals.add(progress)
            qualification_totals.add(qualification)
            for unit, rows in unit_tables:
                entry = progress.get(unit.pk)
                if entry is not None:
                    rows.append(learner, entry, who)
        for values in iv_rows(scope):
            iv.append(
                [
                    iv.cell(value, number_format=DATE if isinstance(value, datetime) else None)
                    for value in values
                ]
            )
        for table in [summary, *(rows.table for _, rows in unit_tables), iv]:
            table.finish()
        totals.write(summary)
        qualification_totals.write(summary.sheet, summary.cell)
        book.save(handle)
    except BaseException:
        _discard(book)
        raise


def _discard(book: Workbook) -> None:
    """Close and remove the sheets' temporary files of a workbook abandoned halfway.

    openpyxl streams each write-only sheet to a temporary file that only saving the book
    (or the process ending) removes; a worker that runs for weeks must not collect them.
    """
    for sheet in book.worksheets:
        writer = sheet._writer
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            sheet.close()
        with contextlib.suppress(Exception):
            writer.cleanup()


class _Table:
    """A sheet with a title block, a filter over its rows, and its header rows and learner
    columns (the first `frozen_columns`: candidate number and name) frozen, so both stay in
    sight however far the sheet is scrolled."""

    def __init__(
        self,
        book: Workbook,
        name: str,
        lines: list,
        title: str,
        headers,
        widths,
        *,
        frozen_columns: int = 2,
        note: str = "",
    ):
        self.sheet = book.create_sheet(name)
        self.cell = CellMaker(self.sheet)
        self.columns = len(headers)
        self.rows = 0
        self.sheet.freeze_panes = f"{get_column_letter(frozen_columns + 1)}{len(lines) + 4}"
        set_widths(self.sheet, widths)
        # The title block ends with an empty row; a note, when there is one, takes it.
        self.header_row = header_block(self.sheet, title, lines, note=note) + 1
        self.sheet.append([self.cell(header, bold=True) for header in headers])

    def append(self, row: list) -> None:
        self.sheet.append(row)
        self.rows += 1

    def finish(self) -> None:
        last = get_column_letter(max(self.columns, 1))
        self.sheet.auto_filter.ref = (
            f"A{self.header_row}:{last}{self.header_row + max(self.rows, 1)}"
        )


def _summary_table(book: Workbook, scope: ExportScope, lines: list) -> _Table:
    headers = ["Candidate number", "First name", "Last name", "Group"]
    widths = [12, 16, 18, 10]
    for unit in scope.units:
        for part in ("achieved", "projected", "predicted", "target", "points"):
            headers.append(f"Unit {unit.number} {part}")
            widths.append(12)
    # Points of different suites are never added together (a 2016 unit's points and a 2012
    # unit's per-credit points are different scales): one pair of totals per suite.
    suites = Suite.objects.in_bulk(_suite_ids(scope))
    for suite_id in _suite_ids(scope):
        headers += [
            f"Total points, {suites[suite_id].name}: achieved",
            f"Total points, {suites[suite_id].name}: projected",
        ]
        widths += [16, 16]
    headers += ["Points status", "Flags"]
    widths += [16, 50]
    if scope.include_leavers:
        headers.append("Left on")
        widths.append(12)
    headers, widths = headers + qualification_columns.HEADERS, widths + qualification_columns.WIDTHS
    unverified = PointsValue.objects.filter(
        suite__in={unit.suite_id for unit in scope.units}, verified=False
    ).exists()
    return _Table(
        book,
        "Summary",
        lines,
        "Grade predictions",
        headers,
        widths,
        frozen_columns=3,  # candidate number, first name, last name
        note=POINTS_NOTE if unverified else "",
    )


def _suite_ids(scope: ExportScope) -> list[int]:
    """The suites of the scope's units, in the order their first unit comes."""
    return list(dict.fromkeys(unit.suite_id for unit in scope.units))


@dataclass
class _Who:
    """A learner's candidate number, full name ("First Last") and group as every sheet
    writes them: cleaned once and shared while plain text (`plain_text`); None where the
    text needs a cell object, which belongs to one sheet, so each sheet makes its own."""

    learner: Learner
    number: str | None
    name: str | None
    group: str | None

    @classmethod
    def of(cls, learner: Learner) -> "_Who":
        return cls(
            learner,
            plain_text(learner.candidate_number),
            plain_text(f"{learner.first_name} {learner.last_name}"),
            plain_text(_group_name(learner)),
        )

    def cells(self, cell: CellMaker) -> tuple:
        """(number, name, group) for the sheet whose cells `cell` makes."""
        learner = self.learner
        return (
            self.number if self.number is not None else cell(learner.candidate_number),
            self.name
            if self.name is not None
            else cell(f"{learner.first_name} {learner.last_name}"),
            self.group if self.group is not None else cell(_group_name(learner)),
        )


def _group_name(learner: Learner) -> str:
    return learner.group.name if learner.group else ""


def _summary_row(
    cell: CellMaker,
    scope: ExportScope,
    learner: Learner,
    progress,
    who: _Who | None = None,
    suite_ids: list[int] | None = None,
) -> list:
    """Return a learner's Summary row: who they are, then per unit the grades achieved,
    projected and predicted, the target and the points, then the points totals (achieved,
    projected) of each suite, never added across suites, and the flags.

    The expected grade (the prediction, else the projected grade) is coloured by
    `_target_fill`; an examined unit with no real exam result reads "not sat". `who` and
    `suite_ids` save working them out again when the caller has them.
    """
    number, _, group = (who or _Who.of(learner)).cells(cell)
    row = [number, cell(learner.first_name), cell(learner.last_name), group]
    totals = {suite_id: [0, 0] for suite_id in suite_ids or _suite_ids(scope)}
    verified = True
    flags = []
    for unit in scope.units:
        entry = progress.get(unit.pk)
        if entry is None:
            row += ["not enrolled", "", "", "", ""]
            continue
        fill = _target_fill(entry)
        projected = entry.projected.label
        prediction = Grade(entry.prediction.grade).label if entry.prediction else ""
        row += [
            _achieved_label(entry),
            cell.repeated(projected, fill=fill) if fill and not prediction else projected,
            cell.repeated(prediction, fill=fill) if fill and prediction else prediction,
            Grade(entry.target).label if entry.target else "",
            entry.points,
        ]
        totals[unit.suite_id][0] += entry.points or 0
        totals[unit.suite_id][1] += entry.projected_points or 0
        verified = verified and entry.points_verified
        flags += [f"Unit {unit.number}: {flag}" for flag in export_flags(entry)]
    for achieved, projected in totals.values():
        row += [achieved, projected]
    row += [
        "verified" if verified else "unverified",
        cell("; ".join(flags)),
    ]
    if scope.include_leavers:
        row.append(cell(learner.left_on, number_format=DATE) if learner.left_on else "")
    return row


def _expected(entry: UnitProgress) -> Grade:
    """The grade a learner is heading for: the teacher's prediction, else the projected
    grade (as the site's "Below target" flag has it)."""
    return Grade(entry.prediction.grade) if entry.prediction else entry.projected


def _target_fill(entry: UnitProgress):
    """Return ON_TARGET or BELOW_TARGET for a learner-unit with a target, else None."""
    if not entry.target:
        return None
    return BELOW_TARGET if _expected(entry) < Grade(entry.target) else ON_TARGET


def has_real_result(entry: UnitProgress) -> bool:
    """Whether an examined unit has a graded result of the real OCR exam (not a mock)."""
    return any(
        result.mark.kind == ExamMark.Kind.REAL and result.grade is not None
        for result in entry.exam_results
    )


def _achieved_label(entry: UnitProgress) -> str:
    """The achieved grade's words; an examined unit before a real result: "not sat"."""
    if entry.unit.is_examined and not has_real_result(entry):
        return NOT_SAT
    return entry.achieved.label


# The criteria a target grade needs, by band: every P for Pass (or a Near Pass or U
# target), P and M for Merit, all of them for Distinction or when there is no target.
TARGET_BANDS = {"U": "P", "R": "P", "P": "P", "M": "PM", "D": "PMD"}


def export_flags(entry: UnitProgress) -> list[str]:
    """Return the learner-unit's flags for the workbook.

    The late-work flag counts only the outstanding criteria the learner's target grade
    needs (`TARGET_BANDS`) and says so; an assignment with none of those outstanding is not
    flagged. Every other flag is the site's (`progress_for`), word for word.
    """
    late = {text for _, _, text in entry.late_work}
    flags = [flag for flag in entry.flags if flag not in late]
    target = entry.target
    bands = TARGET_BANDS.get(target, "PMD")
    for title, outstanding, _ in entry.late_work:
        needed = [code for code in outstanding if code[:1] in bands or code[:1] not in "PMD"]
        if not needed:
            continue
        if target:
            why = f"needed for the {Grade(target).label} target"
        else:
            why = "no target set, so every criterion counts"
        flags.append(f"Deadline passed: {title} ({', '.join(needed)} outstanding, {why})")
    return flags


class SummaryTotals:
    """Learners per grade for each unit (achieved, projected, predicted, target) and the
    share on or above target, added up as the Summary's rows are written and put below
    them (a write-only sheet cannot go back up)."""

    SERIES = ("Achieved", "Projected", "Predicted", "Target")

    def __init__(self, units: list[Unit]):
        self.units = units
        self.counts = {unit.pk: {series: {} for series in self.SERIES} for unit in units}
        self.with_target = dict.fromkeys((unit.pk for unit in units), 0)
        self.on_target = dict.fromkeys((unit.pk for unit in units), 0)

    def add(self, progress: dict[int, UnitProgress]) -> None:
        for unit_id, entry in progress.items():
            counts = self.counts.get(unit_id)
            if counts is None:
                continue
            achieved = (
                None if entry.unit.is_examined and not has_real_result(entry) else entry.achieved
            )
            predicted = Grade(entry.prediction.grade) if entry.prediction else None
            target = Grade(entry.target) if entry.target else None
            for series, grade in zip(
                self.SERIES, (achieved, entry.projected, predicted, target), strict=True
            ):
                counts[series][grade] = counts[series].get(grade, 0) + 1
            if target is not None:
                self.with_target[unit_id] += 1
                self.on_target[unit_id] += not _expected(entry) < target

    def write(self, table: "_Table") -> None:
        """Append the block below the learners: labels in column A, figures from column E,
        so the learner columns (number, first name, last name, group) stay empty."""
        sheet, cell = table.sheet, table.cell
        gap = ["", "", ""]
        sheet.append([])
        heading = [grade.label for grade in TOTAL_GRADES] + [NONE_YET, "Learners"]
        sheet.append(
            [cell("Totals: learners per grade", bold=True), *gap]
            + [cell(text, bold=True) for text in heading]
        )
        for unit in self.units:
            counts = self.counts[unit.pk]
            for series in self.SERIES:
                row = counts[series]
                label = f"Unit {unit.number} {series.lower()}"
                if series == "Achieved" and unit.is_examined:
                    label += f" ({NONE_YET.lower()}: {NOT_SAT})"
                figures = [row.get(grade, 0) for grade in TOTAL_GRADES]
                sheet.append([label, *gap, *figures, row.get(None, 0), sum(row.values())])
        sheet.append([])
        sheet.append(
            [cell("On or above target", bold=True), *gap]
            + [cell(text, bold=True) for text in ("Learners with a target", "On or above", "Share")]
        )
        for unit in self.units:
            with_target = self.with_target[unit.pk]
            share = self.on_target[unit.pk] / with_target if with_target else None
            sheet.append(
                [
                    f"Unit {unit.number}",
                    *gap,
                    with_target,
                    self.on_target[unit.pk],
                    cell(share, number_format="0%") if share is not None else "",
                ]
            )
        sheet.append(
            [
                cell(
                    "On or above target: the teacher's predicted grade, or the projected grade "
                    "when there is no prediction, is at least the target. Colours in the "
                    "grade columns: green on or above target, red below (the Flags column "
                    "says so in words)."
                )
            ]
        )


def _unit_table(book: Workbook, unit: Unit, lines: list) -> _Table:
    items = list(_first_items(unit))
    headers = ["Candidate number", "Name", "Group", "Grade achieved", "Grade projected"]
    widths = [12, 24, 10, 14, 14]
    if unit.is_examined:
        headers += ["Topics secure", "Latest exam series", "Mark", "Exam grade"]
        widths += [10, 22, 8, 14]
        headers += [item.code for item in items]
        widths += [9] * len(items)
    else:
        for item in items:
            headers += [item.code, f"{item.code} date"]
            widths += [16, 11]
    title = f"Unit {unit.number}: {unit.title}"
    return _Table(book, f"Unit {unit.number}", lines, title, headers, widths)


class _UnitRows:
    """A unit sheet and its learner rows: who the learner is, the grades, then each
    criterion's status and decision date (centre-assessed) or the topics secure, the latest
    exam result and each topic's status (examined), from `progress_for(plain_items=True)`.

    Each status cell is made once per sheet and appended again and again; the dates are
    converted to the site's time zone (`TIME_ZONE`) with the zone looked up once.
    """

    def __init__(self, book: Workbook, unit: Unit, lines: list):
        self.table = _unit_table(book, unit, lines)
        self.cell = self.table.cell
        self.examined = unit.is_examined
        self.status_cells: dict[str, object] = {}
        self.no_date = None
        self.dated = self.cell.numbers(DATE)
        self.zone = timezone.get_current_timezone()

    def status_cell(self, status: str):
        """The status's cell (made the first time it is needed, as the rows reach it)."""
        found = self.status_cells.get(status)
        if found is None:
            found = self.status_cells[status] = _status_cell(
                self.cell, status, examined=self.examined
            )
        return found

    def append(self, learner: Learner, entry: UnitProgress, who: _Who | None = None) -> None:
        cell = self.cell
        row = [
            *(who or _Who.of(learner)).cells(cell),
            _achieved_label(entry),
            entry.projected.label,
        ]
        cells = self.status_cells
        if self.examined:
            latest = entry.exam_results[-1] if entry.exam_results else None
            row += [
                entry.done,
                cell(latest.mark.series.name if latest else ""),
                latest.mark.mark if latest else None,
                _exam_grade(latest),
            ]
            row += [cells.get(status) or self.status_cell(status) for status in entry.statuses]
        else:
            if self.no_date is None:
                self.no_date = cell.repeated(None, number_format=DATE)
            no_date, dated, zone = self.no_date, self.dated, self.zone
            for status, decided in zip(entry.statuses, entry.decided, strict=True):
                row.append(cells.get(status) or self.status_cell(status))
                # The local date and time, as the site shows it.
                row.append(dated(excel_serial(decided.astimezone(zone))) if decided else no_date)
        self.table.append(row)


# What a status cell says: a Unit 6 topic achieved is "Secure", as on the site.
_STATUS_WORDS = {
    examined: {
        status: "Secure" if examined and status == Status.ACHIEVED else Status(status).label
        for status in Status.values
    }
    for examined in (False, True)
}


def _status_cell(cell: CellMaker, status: str, *, examined: bool):
    """The coloured status cell (one per status and sheet, appended again and again)."""
    return cell.repeated(_STATUS_WORDS[examined][status], fill=STATUS_FILLS.get(status))


def _first_items(unit: Unit):
    """Return the unit's criteria or topics in order (the sheet's columns)."""
    if unit.is_examined:
        return TopicItem.objects.filter(learning_outcome__unit=unit).order_by(
            "learning_outcome__number", "order"
        )
    return unit.criteria.order_by("order")


def _exam_grade(result) -> str:
    if result is None:
        return ""
    if result.grade is None:
        return "no boundaries entered"
    return result.grade.label + (
        " (illustrative boundaries)" if result.boundaries.illustrative else ""
    )


def _excel_datetime(value: datetime | None):
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None)


def iv_rows(scope: ExportScope) -> Iterator[list]:
    """Yield one row per sampled learner-unit in scope, for the IV sheet, CHUNK at a time."""
    ids = list(
        SampleItem.objects.filter(
            included=True, enrolment__learner__in=scope.learners, sample__unit__in=scope.units
        )
        .order_by("enrolment__learner__last_name", "sample__unit__number", "pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        items = (
            SampleItem.objects.filter(pk__in=chunk)
            .select_related("enrolment__learner", "sample__unit", "sample__verifier")
            .annotate(open_actions=Count("actions", filter=~Q(actions__state="closed")))
            .in_bulk()
        )
        assessors: dict[int, set[str]] = {}
        for enrolment_id, first, last in (
            Decision.objects.filter(
                enrolment__in={item.enrolment_id for item in items.values()},
                assessor__isnull=False,
            )
            .values_list("enrolment_id", "assessor__first_name", "assessor__last_name")
            .distinct()
        ):
            assessors.setdefault(enrolment_id, set()).add(f"{first} {last}")
        for pk in chunk:
            item = items[pk]
            learner = item.enrolment.learner
            yield [
                learner.candidate_number,
                learner.full_name,
                item.sample.unit.number,
                ", ".join(sorted(assessors.get(item.enrolment_id, ()))),
                str(item.sample.verifier),
                _excel_datetime(item.sample.created_at),
                item.get_judgement_display(),
                item.open_actions,
                _excel_datetime(item.signed_off_at),
            ]


def _iv_table(book: Workbook, lines: list) -> _Table:
    headers = [
        "Candidate number",
        "Name",
        "Unit",
        "Assessor",
        "Internal verifier",
        "Sampled on",
        "Judgement",
        "Actions open",
        "Signed off",
    ]
    widths = [14, 24, 8, 18, 18, 12, 14, 10, 12]
    return _Table(book, "IV", lines, "Internal verification", headers, widths)


def _learners(include_leavers: bool) -> QuerySet:
    """Every learner, or only those still on roll (the default for grade predictions)."""
    return Learner.objects.all() if include_leavers else Learner.objects.current()


def group_scope(group, unit: Unit | None = None, *, include_leavers: bool = False) -> ExportScope:
    units = [unit] if unit else list(group.units.order_by("number"))
    label = f"Group {group.name}" + (f", unit {unit.number}" if unit else "")
    learners = _learners(include_leavers).filter(group=group)
    return ExportScope(group.centre, label, learners, units, include_leavers=include_leavers)


def centre_scope(
    centre: Centre, unit: Unit | None = None, *, include_leavers: bool = False
) -> ExportScope:
    units = (
        [unit]
        if unit
        else list(
            Unit.objects.filter(enrolments__learner__centre=centre).distinct().order_by("number")
        )
    )
    label = "Whole centre" + (f", unit {unit.number}" if unit else "")
    learners = _learners(include_leavers).filter(centre=centre)
    return ExportScope(centre, label, learners, units, include_leavers=include_leavers)


def fail_stalled_exports(now: datetime | None = None, jobs: QuerySet | None = None) -> int:
    """Mark failed the background exports whose worker died; return how many.

    A job being built writes a heartbeat with its progress: none for EXPORT_STALL_MINUTES
    means its worker stopped (killed, restarted, out of memory). A job still waiting to start
    is only given up after EXPORT_QUEUE_STALL_MINUTES, since the worker may just be busy.
    Each update re-checks the state and time, so a job that moves on meanwhile is left alone.
    """
    now = now or timezone.now()
    jobs = ExportJob.objects.all() if jobs is None else jobs
    running_cutoff = now - timedelta(minutes=settings.EXPORT_STALL_MINUTES)
    queued_cutoff = now - timedelta(minutes=settings.EXPORT_QUEUE_STALL_MINUTES)
    running = jobs.filter(state=ExportJob.State.RUNNING).filter(
        Q(heartbeat_at__lt=running_cutoff)
        | Q(heartbeat_at__isnull=True, created_at__lt=running_cutoff)
    )
    queued = jobs.filter(state=ExportJob.State.QUEUED, created_at__lt=queued_cutoff)
    failed = running.update(
        state=ExportJob.State.FAILED,
        finished_at=now,
        error=(
            "The background worker stopped while building this export (no progress for "
            f"{settings.EXPORT_STALL_MINUTES} minutes)."
        ),
    )
    failed += queued.update(
        state=ExportJob.State.FAILED,
        finished_at=now,
        error=(
            "No background worker started this export within "
            f"{settings.EXPORT_QUEUE_STALL_MINUTES} minutes."
        ),
    )
    return failed
