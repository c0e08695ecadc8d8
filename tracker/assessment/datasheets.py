"""Data sheets: download a group's decisions, mark offline in a spreadsheet, import them back.

The download carries a hidden sheet recording each decision as it was (status, feedback and
revision). On import every cell is compared three ways — the sheet, the download, and the
site now — so changes made on the site since the download are kept, and a cell changed on
both sides differently is a conflict the teacher settles before anything is applied.
"""

import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from criteria.models import Criterion
from tracker.assessment.services import AssessmentError, decision_for, record_decision
from tracker.lib.spreadsheets import looks_like_formula
from tracker.models import Decision, Enrolment, Status, User

SHEET = "Data sheet"
HIDDEN = "Downloaded"
FIRST_ROW = 5  # header row; learners start on the next row
LABELS = {status: status.label for status in Status}
FROM_LABEL = {label.lower(): status for status, label in LABELS.items()}


class DataSheetError(Exception):
    """The file is not a data sheet of this group and unit."""


@dataclass
class CellChange:
    enrolment: Enrolment
    criterion: Criterion
    cell: str
    sheet: tuple[str, str]  # (status, feedback) in the sheet
    site: tuple[str, str]  # now on the site
    kind: str  # "apply", "site" (changed on the site only, kept) or "conflict"

    @property
    def key(self) -> str:
        return f"{self.enrolment.pk}-{self.criterion.pk}"


@dataclass
class DataSheetPlan:
    changes: list[CellChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def to_apply(self) -> list[CellChange]:
        return [c for c in self.changes if c.kind == "apply"]

    @property
    def site_only(self) -> list[CellChange]:
        return [c for c in self.changes if c.kind == "site"]

    @property
    def conflicts(self) -> list[CellChange]:
        return [c for c in self.changes if c.kind == "conflict"]


def _enrolments(group, unit):
    return list(
        Enrolment.objects.filter(learner__group=group, unit=unit, academic_year=group.academic_year)
        .select_related("learner")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )


def build_datasheet(group, unit, user: User) -> bytes:
    """Return the data sheet workbook for a group and a centre-assessed unit."""
    criteria = list(unit.criteria.order_by("order"))
    enrolments = _enrolments(group, unit)
    decisions = {
        (d.enrolment_id, d.criterion_id): d
        for d in Decision.objects.filter(enrolment__in=enrolments, criterion__isnull=False)
    }
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet["A1"] = f"Data sheet: {group.name}, unit {unit.number}: {unit.title}"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = "Set each status to Achieved or Not yet achieved and add feedback; then use"
    sheet["A3"] = "Import data sheet on the group grid. Do not change the first two columns."
    headers = ["Candidate number", "Learner"]
    for criterion in criteria:
        headers += [f"{criterion.code} status", f"{criterion.code} feedback"]
    for column, header in enumerate(headers, start=1):
        sheet.cell(FIRST_ROW, column, header).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(column)].width = 14 if column > 2 else 20
    hidden = book.create_sheet(HIDDEN)
    hidden.sheet_state = "hidden"
    hidden.append(
        [
            "group",
            group.pk,
            "unit",
            unit.pk,
            "downloaded",
            timezone.now().isoformat(),
            "by",
            user.pk,
        ]
    )
    hidden.append(["enrolment", "criterion", "revision", "status", "feedback"])
    choice = DataValidation(
        type="list", formula1='"Achieved,Not yet achieved,Submitted,Not started"', allow_blank=True
    )
    sheet.add_data_validation(choice)
    for row, enrolment in enumerate(enrolments, start=FIRST_ROW + 1):
        sheet.cell(row, 1, enrolment.learner.candidate_number).data_type = "s"
        sheet.cell(row, 2, enrolment.learner.full_name).data_type = "s"
        for index, criterion in enumerate(criteria):
            decision = decisions.get((enrolment.pk, criterion.pk))
            status = decision.status if decision else Status.NOT_STARTED
            feedback = decision.feedback if decision else ""
            column = 3 + 2 * index
            sheet.cell(row, column, LABELS[status])
            choice.add(sheet.cell(row, column))
            feedback_cell = sheet.cell(row, column + 1, feedback)
            feedback_cell.data_type = "s"
            hidden.append(
                [enrolment.pk, criterion.pk, decision.revision if decision else 0, status, feedback]
            )
    sheet.freeze_panes = sheet.cell(FIRST_ROW + 1, 3)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def plan_import(content: bytes, group, unit) -> DataSheetPlan:
    """Compare an edited data sheet with its download and with the site now."""
    try:
        book = load_workbook(io.BytesIO(content), data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise DataSheetError(
            f"The file cannot be opened as a workbook ({error.__class__.__name__})."
        ) from None
    if SHEET not in book.sheetnames or HIDDEN not in book.sheetnames:
        raise DataSheetError("This is not a data sheet downloaded from the tracker.")
    hidden = book[HIDDEN]
    meta = [cell.value for cell in hidden[1]]
    if meta[1] != group.pk or meta[3] != unit.pk:
        raise DataSheetError("This data sheet belongs to another group or unit.")
    criteria = {c.pk: c for c in unit.criteria.all()}
    enrolments = {e.pk: e for e in _enrolments(group, unit)}
    downloaded = {}
    for values in hidden.iter_rows(min_row=3, max_col=5, values_only=True):
        enrolment_id, criterion_id, revision, status, feedback = values
        downloaded[(enrolment_id, criterion_id)] = (revision, status, _text(feedback))
    current = {
        (d.enrolment_id, d.criterion_id): d
        for d in Decision.objects.filter(
            enrolment__in=list(enrolments.values()), criterion__isnull=False
        )
    }
    sheet = book[SHEET]
    headers = [_text(cell.value) for cell in sheet[FIRST_ROW]]
    order = list(unit.criteria.order_by("order"))
    expected = ["Candidate number", "Learner"]
    for criterion in order:
        expected += [f"{criterion.code} status", f"{criterion.code} feedback"]
    if headers[: len(expected)] != expected:
        raise DataSheetError(
            f"The sheet's columns were changed: row {FIRST_ROW} must read "
            f"{', '.join(expected[:4])} …"
        )
    plan = DataSheetPlan()
    keys = list(downloaded)
    rows_by_enrolment: dict[int, int] = {}
    for enrolment_id, _ in keys:
        rows_by_enrolment.setdefault(enrolment_id, FIRST_ROW + 1 + len(rows_by_enrolment))
    for (enrolment_id, criterion_id), (revision, old_status, old_feedback) in downloaded.items():
        enrolment = enrolments.get(enrolment_id)
        criterion = criteria.get(criterion_id)
        if enrolment is None or criterion is None:
            continue  # the learner left the group since: their row is ignored
        row = rows_by_enrolment[enrolment_id]
        column = 3 + 2 * order.index(criterion)
        status_cell = f"{get_column_letter(column)}{row}"
        raw_status = _text(sheet.cell(row, column).value)
        feedback = _text(sheet.cell(row, column + 1).value)
        status = FROM_LABEL.get(raw_status.lower())
        if status is None:
            plan.errors.append(
                f"{SHEET}!{status_cell}: '{raw_status}' is not a status "
                "(use Achieved or Not yet achieved)"
            )
            continue
        if looks_like_formula(feedback):
            plan.errors.append(
                f"{SHEET}!{get_column_letter(column + 1)}{row}: feedback starts "
                "like a formula; remove the leading = + - or @"
            )
            continue
        decision = current.get((enrolment_id, criterion_id))
        site = (decision.status, decision.feedback) if decision else (Status.NOT_STARTED, "")
        in_sheet = (status, feedback)
        sheet_changed = in_sheet != (old_status, old_feedback)
        site_changed = (decision.revision if decision else 0) != revision
        if not sheet_changed:
            if site_changed:
                plan.changes.append(
                    CellChange(enrolment, criterion, status_cell, in_sheet, site, "site")
                )
            continue
        if status not in (Status.ACHIEVED, Status.NOT_YET):
            plan.errors.append(
                f"{SHEET}!{status_cell}: only Achieved or Not yet achieved can "
                f"be recorded, not '{raw_status}'"
            )
            continue
        if in_sheet == site:
            continue  # already so on the site (e.g. the same sheet imported twice)
        kind = "conflict" if site_changed else "apply"
        plan.changes.append(CellChange(enrolment, criterion, status_cell, in_sheet, site, kind))
    return plan


def apply_plan(plan: DataSheetPlan, user: User, resolutions: dict[str, str]) -> int:
    """Apply the sheet's changes (and conflicts resolved in its favour) all or nothing."""
    if plan.errors:
        raise AssessmentError("Correct the sheet first: nothing was applied.")
    unresolved = [c for c in plan.conflicts if resolutions.get(c.key) not in ("sheet", "site")]
    if unresolved:
        raise AssessmentError(f"Choose the sheet or the site for {len(unresolved)} conflict(s).")
    chosen = plan.to_apply + [c for c in plan.conflicts if resolutions[c.key] == "sheet"]
    with transaction.atomic():
        for change in chosen:
            decision = decision_for(change.enrolment, change.criterion)
            record_decision(
                decision,
                user,
                change.sheet[0],
                change.sheet[1],
                decision.revision,
                note="via data sheet",
            )
    return len(chosen)
