"""Data sheets: download a group's decisions, mark offline in a spreadsheet, import them back.

The download carries a hidden sheet recording each decision as it was (status, feedback and
revision). On import every cell is compared three ways — the sheet, the download, and the
site now — so changes made on the site since the download are kept, and a cell changed on
both sides differently is a conflict the teacher settles before anything is applied.
"""

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from criteria.models import Criterion
from tracker.assessment.services import AssessmentError, decision_for, record_decision
from tracker.lib.spreadsheets import BOLD, TITLE, put, workbook_text
from tracker.lib.storage import delete_older_than
from tracker.models import Decision, Enrolment, Status, User

SHEET = "Data sheet"
HIDDEN = "Downloaded"
FIRST_ROW = 5  # header row; learners start on the next row
OLD_HIDDEN_HEADERS = ["enrolment", "criterion", "revision", "status", "feedback"]
HIDDEN_HEADERS = ["candidate number", "learner", "criterion", "revision", "status", "feedback"]
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
        Enrolment.objects.current()
        .filter(learner__group=group, unit=unit, academic_year=group.academic_year)
        .select_related("learner")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )


def _headers(criteria) -> list[str]:
    headers = ["Candidate number", "Learner"]
    for criterion in criteria:
        headers += [f"{criterion.code} status", f"{criterion.code} feedback"]
    return headers


def build_datasheet(group, unit, user: User) -> bytes:
    """Return the data sheet workbook for a group and a centre-assessed unit.

    Every piece of text goes in as text (never a formula), cleaned of the control characters
    a workbook cannot hold. The hidden sheet keys each decision by candidate number and
    criterion code, so the learner rows can be sorted, filtered or deleted in Excel.
    """
    criteria = list(unit.criteria.order_by("order"))
    enrolments = _enrolments(group, unit)
    decisions = {
        (d.enrolment_id, d.criterion_id): d
        for d in Decision.objects.filter(enrolment__in=enrolments, criterion__isnull=False)
    }
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    put(sheet, 1, 1, f"Data sheet: {group.name}, unit {unit.number}: {unit.title}", font=TITLE)
    put(sheet, 2, 1, "Set each status to Achieved or Not yet achieved and add feedback; then use")
    put(
        sheet,
        3,
        1,
        "Import data sheet on the group grid. Rows may be sorted or filtered; do not change "
        "the candidate numbers or names.",
    )
    for column, header in enumerate(_headers(criteria), start=1):
        put(sheet, FIRST_ROW, column, header, font=BOLD)
        sheet.column_dimensions[get_column_letter(column)].width = 14 if column > 2 else 20
    hidden = book.create_sheet(HIDDEN)
    hidden.sheet_state = "hidden"
    meta = ["group", group.pk, "unit", unit.pk, "downloaded", timezone.now().isoformat()]
    for column, value in enumerate([*meta, "by", user.pk], start=1):
        put(hidden, 1, column, value)
    for column, value in enumerate(HIDDEN_HEADERS, start=1):
        put(hidden, 2, column, value)
    choice = DataValidation(
        type="list", formula1='"Achieved,Not yet achieved,Submitted,Not started"', allow_blank=True
    )
    sheet.add_data_validation(choice)
    hidden_row = 3
    for row, enrolment in enumerate(enrolments, start=FIRST_ROW + 1):
        learner = enrolment.learner
        put(sheet, row, 1, learner.candidate_number)
        put(sheet, row, 2, learner.full_name)
        for index, criterion in enumerate(criteria):
            decision = decisions.get((enrolment.pk, criterion.pk))
            status = decision.status if decision else Status.NOT_STARTED
            feedback = decision.feedback if decision else ""
            column = 3 + 2 * index
            choice.add(put(sheet, row, column, LABELS[status]))
            put(sheet, row, column + 1, feedback)
            revision = decision.revision if decision else 0
            values = [learner.candidate_number, learner.full_name, criterion.code, revision]
            for hidden_column, value in enumerate([*values, status, feedback], start=1):
                put(hidden, hidden_row, hidden_column, value)
            hidden_row += 1
    sheet.freeze_panes = sheet.cell(FIRST_ROW + 1, 3)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(value) -> str:
    """The text of a value as the import compares it: cleaned, one kind of line break, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = workbook_text(str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def _candidate(value) -> str:
    """A candidate number as written: Excel turns a typed 0042 into the number 42."""
    text = _text(value)
    return text.zfill(4) if text.isdigit() else text


def _name(value) -> str:
    return " ".join(_text(value).split()).casefold()


def _formula(cell) -> str | None:
    """The formula a cell holds (a workbook read without data_only), or None for a value."""
    if cell.data_type != "f":
        return None
    value = cell.value
    return str(getattr(value, "text", None) or value)


@dataclass
class _Downloaded:
    name: str
    cells: dict[str, tuple[int, str, str]]  # criterion code: (revision, status, feedback)


def _read_hidden(hidden, unit) -> dict[str, _Downloaded]:
    """The decisions as they were at download, by candidate number."""
    headers = [_text(cell.value) for cell in hidden[2]]
    if headers[: len(OLD_HIDDEN_HEADERS)] == OLD_HIDDEN_HEADERS:
        rows = _old_hidden_rows(hidden, unit)
    elif headers[: len(HIDDEN_HEADERS)] == HIDDEN_HEADERS:
        rows = hidden.iter_rows(min_row=3, max_col=len(HIDDEN_HEADERS), values_only=True)
    else:
        raise DataSheetError("The data sheet's hidden record was changed: download it again.")
    downloaded: dict[str, _Downloaded] = {}
    for number, name, code, revision, status, feedback in rows:
        if number is None:
            continue
        record = downloaded.setdefault(_candidate(number), _Downloaded(_text(name), {}))
        try:
            revision = int(revision or 0)
        except (TypeError, ValueError):
            raise DataSheetError("The data sheet's hidden record was changed.") from None
        record.cells[_text(code)] = (revision, _text(status), _text(feedback))
    return downloaded


def _old_hidden_rows(hidden, unit):
    """Rows of a hidden record made before it held candidate numbers (keyed by enrolment)."""
    rows = list(hidden.iter_rows(min_row=3, max_col=len(OLD_HIDDEN_HEADERS), values_only=True))
    learners = {
        e.pk: e.learner
        for e in Enrolment.objects.filter(
            pk__in=[row[0] for row in rows if isinstance(row[0], int)], unit=unit
        ).select_related("learner")
    }
    codes = dict(unit.criteria.values_list("pk", "code"))
    for enrolment_id, criterion_id, revision, status, feedback in rows:
        learner = learners.get(enrolment_id)
        if learner is not None and criterion_id in codes:
            name = learner.full_name
            yield learner.candidate_number, name, codes[criterion_id], revision, status, feedback


# A group's data sheet is tens of kilobytes; these bounds refuse a huge or padded file before
# it is loaded in full (a million-row sheet would cost a minute and gigabytes).
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_SHEET_ROWS = 2_000  # learner rows on the visible sheet
MAX_HIDDEN_ROWS = 100_000  # one row per learner and criterion on the hidden tab


def check_bounds(content: bytes) -> None:
    """Refuse a file too large to be a data sheet, reading it only as far as needed.

    The size comes first; then each tab's declared dimensions, or, where a tab declares none,
    its rows streamed in read-only mode up to the limit. Raises DataSheetError.
    """
    if len(content) > MAX_FILE_BYTES:
        raise DataSheetError(
            f"The file is over {MAX_FILE_BYTES // (1024 * 1024)} MB, far larger than a data "
            "sheet: download the group's data sheet again and enter the decisions in it."
        )
    try:
        book = load_workbook(io.BytesIO(content), read_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise DataSheetError(
            f"The file cannot be opened as a workbook ({error.__class__.__name__})."
        ) from None
    try:
        for name, limit in ((SHEET, MAX_SHEET_ROWS + FIRST_ROW), (HIDDEN, MAX_HIDDEN_ROWS)):
            if name not in book.sheetnames:
                continue
            sheet = book[name]
            rows = sheet.max_row if sheet.max_row is not None else 0
            if rows <= limit and sheet.max_row is None:
                rows = 0
                for _ in sheet.iter_rows(values_only=True):
                    rows += 1
                    if rows > limit:
                        break
            if rows > limit:
                raise DataSheetError(
                    f"The '{name}' tab has more than {limit} rows, more than any data sheet: "
                    "delete the rows below the learners, or download the data sheet again."
                )
    finally:
        book.close()


def plan_import(content: bytes, group, unit) -> DataSheetPlan:
    """Compare an edited data sheet with its download and with the site now.

    Each learner row is found by its candidate number, wherever it now stands, and its name
    must match; learners missing from the sheet are left as they are. The workbook is read
    with its formulas, so a formula the teacher typed is refused, while text (even text
    starting with - + or @) is text.
    """
    check_bounds(content)
    try:
        book = load_workbook(io.BytesIO(content))
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise DataSheetError(
            f"The file cannot be opened as a workbook ({error.__class__.__name__})."
        ) from None
    if SHEET not in book.sheetnames or HIDDEN not in book.sheetnames:
        raise DataSheetError("This is not a data sheet downloaded from the tracker.")
    hidden = book[HIDDEN]
    meta = [cell.value for cell in hidden[1]]
    if len(meta) < 4 or meta[1] != group.pk or meta[3] != unit.pk:
        raise DataSheetError("This data sheet belongs to another group or unit.")
    downloaded = _read_hidden(hidden, unit)
    order = list(unit.criteria.order_by("order"))
    enrolments = {e.learner.candidate_number: e for e in _enrolments(group, unit)}
    current = {
        (d.enrolment_id, d.criterion_id): d
        for d in Decision.objects.filter(
            enrolment__in=list(enrolments.values()), criterion__isnull=False
        )
    }
    sheet = book[SHEET]
    expected = _headers(order)
    headers = [_text(cell.value) for cell in sheet[FIRST_ROW]]
    if headers[: len(expected)] != expected:
        raise DataSheetError(
            f"The sheet's columns were changed: row {FIRST_ROW} must read "
            f"{', '.join(expected[:4])} …"
        )
    plan = DataSheetPlan()
    seen: dict[str, int] = {}
    for cells in sheet.iter_rows(min_row=FIRST_ROW + 1, max_col=len(expected)):
        row = cells[0].row
        if all(_text(cell.value) == "" for cell in cells):
            continue  # an empty row (inserted, or left by a deleted learner)
        number = _candidate(cells[0].value)
        if not number or _formula(cells[0]) is not None:
            plan.errors.append(f"{SHEET}!A{row}: the row has no candidate number")
            continue
        if number in seen:
            plan.errors.append(
                f"{SHEET}!A{row}: candidate {number} is also on row {seen[number]}; "
                "each learner may appear once"
            )
            continue
        seen[number] = row
        record = downloaded.get(number)
        if record is None:
            plan.errors.append(
                f"{SHEET}!A{row}: candidate {number} was not in this data sheet when it "
                "was downloaded"
            )
            continue
        enrolment = enrolments.get(number)
        names = {_name(record.name)}
        if enrolment is not None:  # a learner renamed on the site since may carry either name
            names.add(_name(enrolment.learner.full_name))
        if _name(cells[1].value) not in names:
            plan.errors.append(
                f"{SHEET}!B{row}: '{_text(cells[1].value)}' is not the name of candidate "
                f"{number} ({record.name}); the candidate numbers and names must stay together"
            )
            continue
        if enrolment is None:
            continue  # the learner left the group since: their row is ignored
        for index, criterion in enumerate(order):
            was = record.cells.get(criterion.code)
            if was is None:
                continue  # a criterion added since the download
            change = _compare(
                plan,
                enrolment,
                criterion,
                cells[2 + 2 * index],
                cells[3 + 2 * index],
                was,
                current.get((enrolment.pk, criterion.pk)),
            )
            if change is not None:
                plan.changes.append(change)
    return plan


def _compare(plan, enrolment, criterion, status_cell, feedback_cell, was, decision):
    """Compare one decision three ways; return its change, or None (an error goes on plan)."""
    revision, old_status, old_feedback = was
    old_label = LABELS.get(old_status, old_status)
    refused = False
    for cell, before in ((status_cell, old_label), (feedback_cell, old_feedback)):
        formula = _formula(cell)
        if formula is not None and _text(formula) != before:
            plan.errors.append(
                f"{SHEET}!{cell.coordinate}: the cell holds a formula ({_text(formula)[:40]}); "
                "type the text instead"
            )
            refused = True
    if refused:
        return None
    raw_status = _text(status_cell.value)
    feedback = _text(feedback_cell.value)
    status = FROM_LABEL.get(raw_status.lower())
    if status is None:
        plan.errors.append(
            f"{SHEET}!{status_cell.coordinate}: '{raw_status}' is not a status "
            "(use Achieved or Not yet achieved)"
        )
        return None
    site = (decision.status, decision.feedback) if decision else (Status.NOT_STARTED, "")
    in_sheet = (status, feedback)
    sheet_changed = in_sheet != (old_status, old_feedback)
    site_changed = (decision.revision if decision else 0) != revision
    if not sheet_changed:
        if site_changed:
            return CellChange(enrolment, criterion, status_cell.coordinate, in_sheet, site, "site")
        return None
    if status not in (Status.ACHIEVED, Status.NOT_YET):
        plan.errors.append(
            f"{SHEET}!{status_cell.coordinate}: only Achieved or Not yet achieved can "
            f"be recorded, not '{raw_status}'"
        )
        return None
    if in_sheet == (site[0], _text(site[1])):
        return None  # already so on the site (e.g. the same sheet imported twice)
    kind = "conflict" if site_changed else "apply"
    return CellChange(enrolment, criterion, status_cell.coordinate, in_sheet, site, kind)


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


# An uploaded sheet waits for its confirmation in the default storage (not local disk), all
# in one folder so that forgotten ones can be found.
PENDING_FOLDER = "datasheets"


def pending_name(token: str) -> str:
    """Where an uploaded sheet waits for its confirmation."""
    return f"{PENDING_FOLDER}/{token}.xlsx"


def pending_content(token: str) -> bytes | None:
    """Return the sheet waiting for confirmation, or None when there is none (or it expired)."""
    if not token:
        return None
    try:
        with default_storage.open(pending_name(token), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def discard_pending(token: str | None) -> None:
    """Delete the sheet waiting for confirmation under ``token``, if there is one."""
    if token:
        default_storage.delete(pending_name(token))


def remove_expired_uploads(now: datetime | None = None) -> int:
    """Delete uploaded data sheets never confirmed within PENDING_UPLOAD_HOURS; return how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.PENDING_UPLOAD_HOURS)
    return delete_older_than(PENDING_FOLDER, cutoff)
