"""Import learners from a school MIS export (CSV or XLSX): validate all, then apply all.

The whole file is read and checked before anything is written. The plan lists the rows to
add, to update and in error (each error naming its row, column and reason); applying it runs
in one transaction, so a file either imports completely or changes nothing. Importing the
same file twice changes nothing the second time, and nobody is ever deleted.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from criteria.grading import Grade, GradingError
from criteria.models import Unit
from tracker import access
from tracker.models import (
    AcademicYear,
    Centre,
    Enrolment,
    Learner,
    TargetChange,
    TeachingGroup,
    User,
)

# Column -> the header spellings MIS exports use (compared lower-case, punctuation removed).
ALIASES = {
    "candidate_number": [
        "candidate number",
        "candidate no",
        "cand no",
        "candidate",
        "exam candidate number",
        "candidate num",
        "exam number",
        "candno",
    ],
    "first_name": [
        "first name",
        "forename",
        "legal forename",
        "preferred forename",
        "given name",
        "firstname",
        "first names",
        "forenames",
    ],
    "last_name": [
        "last name",
        "surname",
        "legal surname",
        "preferred surname",
        "family name",
        "lastname",
    ],
    "email": ["email", "e mail", "email address", "school email", "student email", "pupil email"],
    "group": [
        "group",
        "reg group",
        "registration group",
        "teaching group",
        "class",
        "form",
        "reg",
        "tutor group",
    ],
    "unit": ["unit", "unit number", "unit no"],
    "target_grade": ["target grade", "target", "minimum target grade", "mtg", "min target"],
    "uln": ["uln", "unique learner number"],
    "average_gcse": [
        "average gcse",
        "average gcse score",
        "gcse average",
        "avg gcse",
        "ks4 average",
    ],
}
REQUIRED = ["candidate_number", "first_name", "last_name", "email", "group"]
LABELS = {
    "candidate_number": "Candidate number",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "group": "Group",
    "unit": "Unit",
    "target_grade": "Target grade",
    "uln": "ULN",
    "average_gcse": "Average GCSE",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 20000


class ImportFileError(Exception):
    """The file cannot be read as a table at all (wrong type, no header, unknown encoding)."""


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


@dataclass
class LearnerRow:
    """One learner as the file describes them, gathered from one or more rows."""

    row: int
    candidate_number: str
    first_name: str
    last_name: str
    email: str
    group: str
    uln: str = ""
    average_gcse: Decimal | None = None
    targets: dict[int, str] = field(default_factory=dict)  # unit number -> grade ('' = none)
    action: str = "add"  # add, update, unchanged
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    centre: Centre
    year: AcademicYear
    learners: list[LearnerRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    new_groups: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    @property
    def to_add(self) -> list[LearnerRow]:
        return [row for row in self.learners if row.action == "add"]

    @property
    def to_update(self) -> list[LearnerRow]:
        return [row for row in self.learners if row.action == "update"]

    @property
    def unchanged(self) -> list[LearnerRow]:
        return [row for row in self.learners if row.action == "unchanged"]

    @property
    def to_write(self) -> int:
        """Return how many learners importing would add or update."""
        return len(self.to_add) + len(self.to_update)

    @property
    def ok(self) -> bool:
        return not self.errors


def _normalise_header(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def match_headers(headers: list[str]) -> tuple[dict[str, int], list[RowError]]:
    """Return column name -> index for the headers found, and errors for missing ones."""
    lookup = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
    found: dict[str, int] = {}
    errors = []
    for index, header in enumerate(headers):
        name = lookup.get(_normalise_header(header or ""))
        if name is None:
            continue
        if name in found:
            errors.append(RowError(1, header, f"a second {LABELS[name]} column (use only one)"))
            continue
        found[name] = index
    for name in REQUIRED:
        if name not in found:
            spellings = ", ".join(f'"{alias}"' for alias in ALIASES[name][:3])
            errors.append(
                RowError(1, LABELS[name], f"column missing (a header such as {spellings})")
            )
    return found, errors


def read_table(content: bytes, filename: str) -> list[list[str]]:
    """Return the rows of a CSV or XLSX file as lists of stripped strings."""
    if filename.lower().endswith(".xlsx"):
        return _read_xlsx(content)
    return _read_csv(content)


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is neither UTF-8 nor Windows-1252 text: save it as CSV UTF-8 and retry."
        ) from None


def _read_csv(content: bytes) -> list[list[str]]:
    if content[:4] == b"PK\x03\x04":
        raise ImportFileError("This looks like an Excel file: give it the .xlsx extension.")
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [[cell.strip() for cell in row] for row in reader]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise ImportFileError(
            f"The Excel file cannot be opened ({error.__class__.__name__})."
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def build_plan(rows: list[list[str]], centre: Centre, year: AcademicYear) -> ImportPlan:
    """Validate every row and return what importing them would do."""
    plan = ImportPlan(centre=centre, year=year)
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise ImportFileError("The file is empty: it needs a header row and a row per learner.")
    if len(rows) > MAX_ROWS + 1:
        raise ImportFileError(f"The file has {len(rows) - 1} rows; the limit is {MAX_ROWS}.")
    columns, header_errors = match_headers(rows[0])
    plan.columns = [LABELS[name] for name in columns]
    if header_errors:
        plan.errors = header_errors
        return plan
    units = {unit.number: unit for unit in Unit.objects.all()}
    by_candidate: dict[str, LearnerRow] = {}
    for number, cells in enumerate(rows[1:], start=2):
        record = _parse_row(number, cells, columns, units, plan.errors)
        if record is None:
            continue
        existing = by_candidate.get(record.candidate_number)
        if existing is None:
            by_candidate[record.candidate_number] = record
            continue
        _merge_duplicate(existing, record, plan.errors)
    plan.learners = list(by_candidate.values())
    _compare_with_database(plan)
    return plan


def _parse_row(number, cells, columns, units, errors) -> LearnerRow | None:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    before = len(errors)

    def fail(name: str, message: str) -> None:
        errors.append(RowError(number, LABELS[name], message))

    for name in columns:
        if cell(name).startswith(FORMULA_STARTS):
            fail(name, f"'{cell(name)[:30]}' looks like a spreadsheet formula; remove it")
    if len(errors) > before:
        return None
    candidate = cell("candidate_number")
    if candidate.isdigit() and len(candidate) < 4:
        candidate = candidate.zfill(4)  # spreadsheets drop leading zeros: 42 means 0042
    if not re.fullmatch(r"\d{4}", candidate):
        fail("candidate_number", f"'{candidate}' is not a 4-digit candidate number")
    for name in ("first_name", "last_name", "group"):
        if not cell(name):
            fail(name, "empty")
    email = cell("email").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            fail("email", f"'{email}' is not an email address")
    uln = cell("uln")
    if uln and not re.fullmatch(r"\d{10}", uln):
        fail("uln", f"'{uln}' is not a 10-digit ULN")
    gcse = None
    if cell("average_gcse"):
        try:
            gcse = Decimal(cell("average_gcse"))
        except InvalidOperation:
            gcse = None
        if gcse is None or not Decimal(0) <= gcse <= Decimal(9):
            fail("average_gcse", f"'{cell('average_gcse')}' is not a score from 0 to 9")
    targets: dict[int, str] = {}
    unit_text, grade_text = cell("unit"), cell("target_grade")
    grade = ""
    if grade_text:
        try:
            grade = Grade.parse(grade_text).value
        except GradingError:
            grade = "?"
        if grade not in ("P", "M", "D"):
            fail("target_grade", f"'{grade_text}' is not a target grade (use P, M or D)")
    if unit_text:
        unit_number = int(unit_text) if unit_text.isdigit() else None
        if unit_number not in units:
            fail(
                "unit",
                f"unknown unit '{unit_text}' (the catalogue has units "
                f"{', '.join(str(n) for n in sorted(units))})",
            )
        else:
            targets[unit_number] = grade
    elif grade_text:
        fail("target_grade", "a target grade needs a Unit column saying which unit it is for")
    if len(errors) > before:
        return None
    return LearnerRow(
        row=number,
        candidate_number=candidate,
        first_name=cell("first_name"),
        last_name=cell("last_name"),
        email=email,
        group=cell("group"),
        uln=uln,
        average_gcse=gcse,
        targets=targets,
    )


def _merge_duplicate(first: LearnerRow, again: LearnerRow, errors: list[RowError]) -> None:
    """Fold a further row of the same learner (another unit) into the first, or refuse it."""
    for name in ("first_name", "last_name", "email", "group", "uln", "average_gcse"):
        if getattr(again, name) != getattr(first, name):
            errors.append(
                RowError(
                    again.row,
                    LABELS[name],
                    f"candidate {again.candidate_number} is also on row {first.row} "
                    f"with a different {LABELS[name].lower()}",
                )
            )
            return
    if not again.targets or set(again.targets) & set(first.targets):
        errors.append(
            RowError(
                again.row,
                LABELS["candidate_number"],
                f"duplicate of row {first.row} (candidate {again.candidate_number})",
            )
        )
        return
    first.targets.update(again.targets)


def _compare_with_database(plan: ImportPlan) -> None:
    numbers = [row.candidate_number for row in plan.learners]
    existing = {
        learner.candidate_number: learner
        for learner in Learner.objects.filter(centre=plan.centre, candidate_number__in=numbers)
        .select_related("group")
        .prefetch_related("enrolments__unit")
    }
    groups = set(
        TeachingGroup.objects.filter(centre=plan.centre, academic_year=plan.year).values_list(
            "name", flat=True
        )
    )
    plan.new_groups = sorted({row.group for row in plan.learners} - groups)
    emails = {row.email for row in plan.learners if row.email}
    taken = dict(
        User.objects.filter(email__in=emails).values_list("email", "learner__candidate_number")
    )
    for row in plan.learners:
        owner = taken.get(row.email, row.candidate_number) if row.email else row.candidate_number
        if owner != row.candidate_number:
            plan.errors.append(
                RowError(row.row, "Email", f"'{row.email}' already belongs to another account")
            )
        learner = existing.get(row.candidate_number)
        if learner is None:
            continue
        changes = []
        for name in ("first_name", "last_name", "email", "uln"):
            if getattr(row, name) and getattr(row, name) != getattr(learner, name):
                changes.append(
                    f"{LABELS[name]}: {getattr(learner, name) or '—'} → {getattr(row, name)}"
                )
        if row.average_gcse is not None and row.average_gcse != learner.average_gcse:
            changes.append(f"Average GCSE: {learner.average_gcse or '—'} → {row.average_gcse}")
        if learner.group is None or learner.group.name != row.group:
            changes.append(f"Group: {learner.group or '—'} → {row.group}")
        enrolled = {
            e.unit.number: e.target_grade
            for e in learner.enrolments.all()
            if e.academic_year_id == plan.year.pk
        }
        for unit_number, grade in sorted(row.targets.items()):
            if unit_number not in enrolled:
                changes.append(f"Enrol on unit {unit_number}")
            if grade and enrolled.get(unit_number, "") != grade:
                changes.append(
                    f"Unit {unit_number} target: {enrolled.get(unit_number) or '—'} → {grade}"
                )
        row.action = "update" if changes else "unchanged"
        row.changes = changes


def apply_plan(plan: ImportPlan, user: User | None) -> dict[str, int]:
    """Write a valid plan in one transaction; return counts of what was done."""
    if plan.errors:
        raise ValueError("A plan with errors cannot be applied")
    units = {unit.number: unit for unit in Unit.objects.all()}
    with transaction.atomic():
        groups = {
            group.name: group
            for group in TeachingGroup.objects.filter(centre=plan.centre, academic_year=plan.year)
        }
        for name in plan.new_groups:
            groups[name] = TeachingGroup.objects.create(
                centre=plan.centre, academic_year=plan.year, name=name
            )
        wanted_units: dict[str, set[int]] = {}
        for row in plan.learners:
            wanted_units.setdefault(row.group, set()).update(row.targets)
        for name, numbers in wanted_units.items():
            groups[name].units.add(*(units[number] for number in numbers))
        added = _add_learners(plan, groups, units, user)
        updated = _update_learners(plan, groups, units, user)
    return {
        "added": added,
        "updated": updated,
        "unchanged": len(plan.unchanged),
        "groups_created": len(plan.new_groups),
    }


def _account_for(row: LearnerRow, centre: Centre) -> User:
    account = User(
        username=row.email or f"{centre.ocr_number}-{row.candidate_number}",
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
    )
    account.set_unusable_password()
    return account


def _add_learners(plan: ImportPlan, groups, units, user) -> int:
    rows = plan.to_add
    if not rows:
        return 0
    accounts = User.objects.bulk_create(_account_for(row, plan.centre) for row in rows)
    learners = Learner.objects.bulk_create(
        Learner(
            centre=plan.centre,
            candidate_number=row.candidate_number,
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            uln=row.uln,
            average_gcse=row.average_gcse,
            group=groups[row.group],
            user=account,
        )
        for row, account in zip(rows, accounts, strict=True)
    )
    _enrol(plan, list(zip(rows, learners, strict=True)), units, user)
    return len(rows)


def _update_learners(plan: ImportPlan, groups, units, user) -> int:
    rows = plan.to_update
    if not rows:
        return 0
    learners = {
        learner.candidate_number: learner
        for learner in Learner.objects.filter(
            centre=plan.centre, candidate_number__in=[row.candidate_number for row in rows]
        ).select_related("user")
    }
    pairs = []
    for row in rows:
        learner = learners[row.candidate_number]
        for name in ("first_name", "last_name", "email", "uln"):
            if getattr(row, name):
                setattr(learner, name, getattr(row, name))
        if row.average_gcse is not None:
            learner.average_gcse = row.average_gcse
        learner.group = groups[row.group]
        learner.save()
        # A learner's account holds no rights; one that does (a misfiled staff or Django
        # account) is never changed by an import, so its email cannot be redirected.
        if (
            learner.user
            and not access.rights_of(learner.user)
            and (
                learner.user.email != learner.email
                or learner.user.first_name != learner.first_name
                or learner.user.last_name != learner.last_name
            )
        ):
            learner.user.email = learner.email
            learner.user.first_name = learner.first_name
            learner.user.last_name = learner.last_name
            learner.user.save(update_fields=["email", "first_name", "last_name"])
        pairs.append((row, learner))
    _enrol(plan, pairs, units, user)
    return len(rows)


def _enrol(plan: ImportPlan, pairs, units, user) -> None:
    """Create missing enrolments and record target changes in history."""
    existing = {
        (e.learner_id, e.unit_id): e
        for e in Enrolment.objects.filter(
            learner__in=[learner for _, learner in pairs], academic_year=plan.year
        )
    }
    new_enrolments = []
    changes = []
    for row, learner in pairs:
        for number, grade in row.targets.items():
            unit = units[number]
            enrolment = existing.get((learner.pk, unit.pk))
            if enrolment is None:
                enrolment = Enrolment(
                    learner=learner, unit=unit, academic_year=plan.year, target_grade=grade
                )
                new_enrolments.append(enrolment)
                if grade:
                    changes.append((enrolment, "", grade))
            elif grade and enrolment.target_grade != grade:
                changes.append((enrolment, enrolment.target_grade, grade))
                enrolment.target_grade = grade
                enrolment.save(update_fields=["target_grade"])
    Enrolment.objects.bulk_create(new_enrolments)
    TargetChange.objects.bulk_create(
        TargetChange(
            enrolment=enrolment,
            old_grade=old,
            new_grade=new,
            source=TargetChange.Source.IMPORT,
            changed_by=user,
        )
        for enrolment, old, new in changes
    )
