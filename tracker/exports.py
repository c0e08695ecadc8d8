"""The Excel export of grade predictions: Summary, one sheet per unit, and an IV sheet.

Rows are generated a chunk of learners at a time and written by openpyxl in write-only
mode, so memory stays flat however large the centre is.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from criteria.models import TopicItem, Unit
from tracker.models import Centre, Decision, Enrolment, Learner, SampleItem, Status
from tracker.progress import UnitProgress, progress_for
from tracker.spreadsheets import STATUS_FILLS, cell, header_block, set_widths

CHUNK = 400  # learners per batch of queries
DATE = "dd/mm/yyyy"
DATETIME = "dd/mm/yyyy hh:mm"


@dataclass
class ExportScope:
    centre: Centre
    label: str  # e.g. "Group 13HSC1, unit 30" or "Whole centre"
    learners: QuerySet  # Learner queryset
    units: list[Unit]
    on_progress: Callable[[int], None] | None = None  # called with the percent done
    _passes_done: int = 0

    def report(self, learners_done: int, learners_total: int) -> None:
        """Report progress: the summary and each unit sheet read every learner once."""
        if self.on_progress is None or not learners_total:
            return
        passes = len(self.units) + 1
        fraction = (self._passes_done + learners_done / learners_total) / passes
        self.on_progress(min(99, int(100 * fraction)))


def _progress_by_learner(
    scope: ExportScope,
) -> Iterator[tuple[Learner, dict[int, UnitProgress]]]:
    """Yield each learner with their progress per unit, CHUNK learners at a time."""
    ids = list(
        scope.learners.order_by("group__name", "last_name", "first_name", "pk").values_list(
            "pk", flat=True
        )
    )
    unit_ids = [unit.pk for unit in scope.units]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        learners = {
            learner.pk: learner
            for learner in Learner.objects.filter(pk__in=chunk).select_related("group")
        }
        enrolments = Enrolment.objects.filter(
            learner_id__in=chunk, unit_id__in=unit_ids
        ).select_related("unit__suite", "learner__group")
        by_learner: dict[int, dict[int, UnitProgress]] = {pk: {} for pk in chunk}
        for progress in progress_for(enrolments):
            by_learner[progress.enrolment.learner_id][progress.unit.pk] = progress
        for pk in chunk:
            yield learners[pk], by_learner[pk]
        scope.report(start + len(chunk), len(ids))
    scope._passes_done += 1


def _grade(value) -> str:
    return value.label if value is not None and hasattr(value, "label") else (value or "")


PREDICTED = {"U": "Unclassified", "R": "Near Pass", "P": "Pass", "M": "Merit", "D": "Distinction"}


def write_workbook(scope: ExportScope, handle) -> None:
    """Write the grades workbook for the scope to a binary file object."""
    book = Workbook(write_only=True)
    generated = timezone.localtime().replace(tzinfo=None)
    lines = [
        f"Centre: {scope.centre.name} ({scope.centre.ocr_number})",
        f"Scope: {scope.label}",
        ("Generated", generated, DATETIME),
    ]
    _summary(book, scope, lines)
    for unit in scope.units:
        _unit_sheet(book, scope, unit, lines)
    _iv_sheet(book, scope, lines)
    book.save(handle)


def _table_start(sheet, lines: list[str], title: str, headers: list[str], widths: list[int]):
    sheet.freeze_panes = f"A{len(lines) + 4}"
    set_widths(sheet, widths)
    header_row = header_block(sheet, title, lines) + 1
    sheet.append([cell(sheet, header, bold=True) for header in headers])
    return header_row


def _finish(sheet, header_row: int, columns: int, rows: int) -> None:
    last = get_column_letter(max(columns, 1))
    sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + max(rows, 1)}"


def _summary(book: Workbook, scope: ExportScope, lines: list[str]) -> None:
    sheet = book.create_sheet("Summary")
    headers = ["Candidate number", "First name", "Last name", "Group"]
    widths = [12, 16, 18, 10]
    for unit in scope.units:
        for part in ("achieved", "projected", "predicted", "target", "points"):
            headers.append(f"Unit {unit.number} {part}")
            widths.append(12)
    headers += ["Total points (achieved)", "Total points (projected)", "Points status", "Flags"]
    widths += [14, 14, 16, 50]
    header_row = _table_start(sheet, lines, "Grade predictions", headers, widths)
    rows = 0
    for learner, progress in _progress_by_learner(scope):
        row = [
            cell(sheet, learner.candidate_number),
            cell(sheet, learner.first_name),
            cell(sheet, learner.last_name),
            cell(sheet, learner.group.name if learner.group else ""),
        ]
        total = projected_total = 0
        verified = True
        flags = []
        for unit in scope.units:
            entry = progress.get(unit.pk)
            if entry is None:
                row += [cell(sheet, "not enrolled")] + [cell(sheet, "")] * 4
                continue
            prediction = PREDICTED[entry.prediction.grade] if entry.prediction else ""
            row += [
                cell(sheet, entry.achieved.label),
                cell(sheet, entry.projected.label),
                cell(sheet, prediction),
                cell(sheet, PREDICTED.get(entry.target, "")),
                cell(sheet, entry.points),
            ]
            total += entry.points or 0
            projected_total += entry.projected_points or 0
            verified = verified and entry.points_verified
            flags += [f"Unit {unit.number}: {flag}" for flag in entry.flags]
        row += [
            cell(sheet, total),
            cell(sheet, projected_total),
            cell(sheet, "verified" if verified else "unverified: check the qualification handbook"),
            cell(sheet, "; ".join(flags)),
        ]
        sheet.append(row)
        rows += 1
    _finish(sheet, header_row, len(headers), rows)


def _unit_sheet(book: Workbook, scope: ExportScope, unit: Unit, lines: list[str]) -> None:
    sheet = book.create_sheet(f"Unit {unit.number}")
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
    header_row = _table_start(sheet, lines, f"Unit {unit.number}: {unit.title}", headers, widths)
    rows = 0
    for learner, progress in _progress_by_learner(scope):
        entry = progress.get(unit.pk)
        if entry is None:
            continue
        row = [
            cell(sheet, learner.candidate_number),
            cell(sheet, f"{learner.first_name} {learner.last_name}"),
            cell(sheet, learner.group.name if learner.group else ""),
            cell(sheet, entry.achieved.label),
            cell(sheet, entry.projected.label),
        ]
        if unit.is_examined:
            latest = entry.exam_results[-1] if entry.exam_results else None
            row += [
                cell(sheet, entry.done),
                cell(sheet, latest.mark.series if latest else ""),
                cell(sheet, latest.mark.mark if latest else None),
                cell(sheet, _exam_grade(latest)),
            ]
            for item in entry.items:
                label = Status(item.status).label
                row.append(
                    cell(
                        sheet,
                        "Secure" if item.status == Status.ACHIEVED else label,
                        fill=STATUS_FILLS.get(label),
                    )
                )
        else:
            for item in entry.items:
                label = Status(item.status).label
                decided = item.decision.decided_at if item.decision else None
                row += [
                    cell(sheet, label, fill=STATUS_FILLS.get(label)),
                    cell(sheet, _excel_datetime(decided), number_format=DATE),
                ]
        sheet.append(row)
        rows += 1
    _finish(sheet, header_row, len(headers), rows)


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
    """Yield one row per sampled learner-unit in scope, for the IV sheet."""
    items = list(
        SampleItem.objects.filter(
            included=True, enrolment__learner__in=scope.learners, sample__unit__in=scope.units
        )
        .select_related("enrolment__learner", "sample__unit", "sample__verifier")
        .annotate(open_actions=Count("actions", filter=~Q(actions__state="closed")))
        .order_by("enrolment__learner__last_name", "sample__unit__number")
    )
    assessors: dict[int, set[str]] = {}
    for enrolment_id, first, last in (
        Decision.objects.filter(
            enrolment__in=[i.enrolment_id for i in items], assessor__isnull=False
        )
        .values_list("enrolment_id", "assessor__first_name", "assessor__last_name")
        .distinct()
    ):
        assessors.setdefault(enrolment_id, set()).add(f"{first} {last}")
    for item in items:
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


def _iv_sheet(book: Workbook, scope: ExportScope, lines: list[str]) -> None:
    sheet = book.create_sheet("IV")
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
    header_row = _table_start(
        sheet, lines, "Internal verification", headers, [14, 24, 8, 18, 18, 12, 14, 10, 12]
    )
    rows = 0
    for values in iv_rows(scope):
        sheet.append(
            [
                cell(sheet, value, number_format=DATE if isinstance(value, datetime) else None)
                for value in values
            ]
        )
        rows += 1
    _finish(sheet, header_row, len(headers), rows)


def group_scope(group, unit: Unit | None = None) -> ExportScope:
    units = [unit] if unit else list(group.units.order_by("number"))
    label = f"Group {group.name}" + (f", unit {unit.number}" if unit else "")
    return ExportScope(group.centre, label, Learner.objects.filter(group=group), units)


def centre_scope(centre: Centre, unit: Unit | None = None) -> ExportScope:
    units = (
        [unit]
        if unit
        else list(
            Unit.objects.filter(enrolments__learner__centre=centre).distinct().order_by("number")
        )
    )
    label = "Whole centre" + (f", unit {unit.number}" if unit else "")
    return ExportScope(centre, label, Learner.objects.filter(centre=centre), units)
