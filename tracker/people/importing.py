"""Import learners from a school MIS export (CSV or XLSX): validate all, then apply all.

The whole file is read and checked before anything is written. The plan lists the rows to
add, to update and in error (each error naming its row, column and reason); applying it runs
in one transaction, so a file either imports completely or changes nothing. Importing the
same file twice changes nothing the second time, and nobody is ever deleted.

The preview and the import run the same checks (``build_plan``), so a file the preview calls
valid imports as previewed. Email addresses identify accounts (sign-in matches them without
regard to letter case), so a clash within the file or with another account is an error. A
registration, form or tutor group is pastoral: it is never read as the teaching group, and
moving existing learners between teaching groups happens only when asked (``move_groups``).
Text is cleaned of control characters on the way in, and the preview says so.

Files come as MIS systems write them: CSV in UTF-8 (with or without a byte-order mark),
Windows-1252, or Excel's "Unicode Text" (UTF-16 with a byte-order mark, tab-separated), with
commas, semicolons or tabs between cells; or XLSX. SIMS and Arbor list legal and preferred
names: pages show the preferred name, outputs for OCR the legal one. A status column saying a
learner left ("Leaver", "Left", "Withdrawn", with a leaving date) offers to mark them as left,
which, like a group move, happens only when confirmed (``mark_leavers``).
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import zip_longest

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from criteria.grading import Grade, GradingError
from criteria.models import Qualification, Unit
from tracker import access
from tracker.lib.storage import delete_older_than
from tracker.lib.text import as_unit_number, clean_line
from tracker.models import (
    AcademicYear,
    Centre,
    Enrolment,
    Learner,
    TargetChange,
    TeachingGroup,
    User,
)
from tracker.people.leavers import mark_many_left

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
        "preferred forename",
        "preferred first name",
        "known as",
        "given name",
        "firstname",
        "first names",
        "forenames",
    ],
    "last_name": [
        "last name",
        "surname",
        "preferred surname",
        "preferred last name",
        "family name",
        "lastname",
    ],
    "legal_first_name": ["legal forename", "legal first name", "legal forenames"],
    "legal_last_name": ["legal surname", "legal last name"],
    "status": [
        "enrolment status",
        "enrollment status",
        "status",
        "student status",
        "on roll status",
        "learner status",
    ],
    "left_on": [
        "date of leaving",
        "leaving date",
        "date left",
        "left on",
        "leave date",
        "end date",
    ],
    "leaving_reason": ["reason for leaving", "leaving reason", "reason left"],
    "email": ["email", "e mail", "email address", "school email", "student email", "pupil email"],
    "group": ["teaching group", "group", "class", "teaching class", "teaching set", "class group"],
    "unit": ["unit", "unit number", "unit no"],
    "target_grade": ["target grade", "target", "minimum target grade", "mtg", "min target"],
    "uln": ["uln", "unique learner number"],
    "qualification": [
        "qualification",
        "qualification code",
        "qualification name",
        "course code",
        "entry code",
    ],
    "average_gcse": [
        "average gcse",
        "average gcse score",
        "gcse average",
        "avg gcse",
        "ks4 average",
    ],
}
# Pastoral groups: never the teaching group (learners would move into teacherless groups).
PASTORAL = {
    "reg group",
    "registration group",
    "reg",
    "reg form",
    "registration form",
    "form",
    "form group",
    "tutor group",
    "tutor",
    "house",
}
REQUIRED = ["candidate_number", "first_name", "last_name", "email"]
# A legal name column stands in for a missing preferred one (a file with legal names only).
STANDS_IN = {"first_name": "legal_first_name", "last_name": "legal_last_name"}
# Status words (compared lower-case, punctuation removed): who has left, who is on roll.
LEAVER_STATUSES = {"leaver", "left", "withdrawn", "withdrew", "former", "past", "ceased"}
CURRENT_STATUSES = {"current", "on roll", "active", "enrolled", "registered", "guest", ""}
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%y", "%Y-%m-%d %H:%M:%S")
LABELS = {
    "candidate_number": "Candidate number",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "group": "Teaching group",
    "unit": "Unit",
    "target_grade": "Target grade",
    "uln": "ULN",
    "average_gcse": "Average GCSE",
    "legal_first_name": "Legal first name",
    "legal_last_name": "Legal last name",
    "status": "Status",
    "left_on": "Leaving date",
    "leaving_reason": "Reason for leaving",
    "qualification": "Qualification",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 20000
MAX_FILE_BYTES = 10 * 1024 * 1024


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
    group: str  # the teaching group the file names ('' when it names none)
    uln: str = ""
    average_gcse: Decimal | None = None
    targets: dict[int, str] = field(default_factory=dict)  # unit number -> grade ('' = none)
    legal_first_name: str = ""  # blank: the same as the preferred name
    legal_last_name: str = ""
    left_on: date | None = None  # the file says the learner has left, on this day
    leaving_reason: str = ""
    set_legal: bool = False  # whether importing writes the legal names (the file has both)
    action: str = "add"  # add, update, unchanged
    changes: list[str] = field(default_factory=list)
    set_group: bool = False  # whether importing puts the learner into `group`
    qualification_id: int | None = None  # the qualification the file names (None: keep)
    kept_group_id: int | None = None  # the group an existing learner stays in


@dataclass
class GroupMove:
    """An existing learner whom the file places in another teaching group."""

    row: int
    candidate_number: str
    name: str
    from_group: str
    to_group: str

    def __str__(self) -> str:
        return f"{self.name} ({self.candidate_number}): {self.from_group} → {self.to_group}"


@dataclass
class Leaving:
    """An existing learner on roll whom the file says has left."""

    row: int
    candidate_number: str
    name: str
    left_on: date
    reason: str

    def __str__(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.name} ({self.candidate_number}): left on {self.left_on:%d/%m/%Y}{why}"


@dataclass
class ImportPlan:
    centre: Centre
    year: AcademicYear
    learners: list[LearnerRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    new_groups: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)
    cleaned: list[RowError] = field(default_factory=list)  # values changed by cleaning
    moves: list[GroupMove] = field(default_factory=list)  # offered, made only if move_groups
    move_groups: bool = False
    warnings: list[RowError] = field(default_factory=list)  # imported, but worth checking
    leavers: list[Leaving] = field(default_factory=list)  # offered, marked only if mark_leavers
    mark_leavers: bool = False
    not_added: list[LearnerRow] = field(default_factory=list)  # new rows of learners who left
    # Qualifications by code and by full name (case-insensitive), for the Qualification column
    qualifications: dict[str, Qualification] = field(default_factory=dict)

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
    def to_mark_left(self) -> list[Leaving]:
        """Return the leavers importing marks as left (none unless confirmed)."""
        return self.leavers if self.mark_leavers else []

    @property
    def ok(self) -> bool:
        return not self.errors


def _normalise_header(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", clean_line(text).lower()).split())


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
    for name, legal in STANDS_IN.items():
        if name not in found and legal in found:
            found[name] = found[legal]
    for name in REQUIRED:
        if name not in found:
            spellings = ", ".join(f'"{alias}"' for alias in ALIASES[name][:3])
            errors.append(
                RowError(1, LABELS[name], f"column missing (a header such as {spellings})")
            )
    return found, errors


def unused_columns(headers: list[str], columns: dict[str, int]) -> list[str]:
    """Describe each header the importer does not read (pastoral groups say why)."""
    used = set(columns.values())
    unused = []
    for index, header in enumerate(headers):
        if index in used:
            continue
        text = clean_line(header or "") or f"column {index + 1} (no header)"
        if _normalise_header(text) in PASTORAL:
            text += " (a pastoral group, not a teaching group)"
        unused.append(text)
    return unused


def read_table(content: bytes, filename: str) -> list[list[str]]:
    """Return the rows of a CSV or XLSX file as lists of stripped strings.

    A file over MAX_FILE_BYTES, or with more than MAX_ROWS rows after the header, is refused
    without being read to the end.
    """
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError(
            f"The file is over {MAX_FILE_BYTES // (1024 * 1024)} MB: split it or remove columns."
        )
    if filename.lower().endswith(".xlsx"):
        return _read_xlsx(content)
    return _read_csv(content)


def _too_many_rows() -> ImportFileError:
    return ImportFileError(
        f"This file has more than {MAX_ROWS} rows of learners, the most one import takes: "
        "split it into smaller files (or delete empty rows below the data) and import each."
    )


def _take_rows(rows) -> list[list[str]]:
    """Collect rows, refusing as soon as there are more than MAX_ROWS below the header."""
    taken = []
    filled = 0
    for row in rows:
        if any(row):
            filled += 1
        taken.append(row)
        # A header and MAX_ROWS learners; many empty rows (formatted to the sheet's end) too.
        if filled > MAX_ROWS + 1 or len(taken) > 2 * MAX_ROWS + 100:
            raise _too_many_rows()
    return taken


def _decode(content: bytes) -> str:
    """Decode by byte-order mark (UTF-8, UTF-16 as Excel's "Unicode Text"), else UTF-8, else
    Windows-1252 (what Excel's plain "CSV" writes on a Windows PC in Britain)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(
                "The file says it is UTF-16 text but is damaged: save it as CSV UTF-8 and retry."
            ) from None
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise ImportFileError(
                "The file says it is UTF-8 text but is damaged: save it as CSV UTF-8 and retry."
            ) from None
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
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _take_rows([cell.strip() for cell in row] for row in reader)
    except csv.Error:
        # The reader's only complaint worth having: a cell over its size limit (131,072
        # characters), most often a quote mark never closed, which runs to the file's end.
        raise ImportFileError(
            'A cell in this file is far too long: most likely a quote mark (") is never '
            "closed. Check the file in Excel, save it again as CSV UTF-8 and retry."
        ) from None


def _delimiter(text: str) -> str:
    """Return the cell separator of a CSV text: comma, semicolon or tab.

    The header line decides (outside quotes), as it holds no free text; a tie goes to the comma.
    """
    header = text.lstrip("\r\n").split("\n", 1)[0]
    outside = re.sub(r'"[^"]*"', "", header)
    return max([",", ";", "\t"], key=outside.count)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise ImportFileError(
            f"The Excel file cannot be opened ({error.__class__.__name__})."
        ) from None
    # The same file read for its formulas: a formula cell Excel never calculated and saved
    # (written by a script, or saved with calculation off) has no value, and is handed on as
    # its formula text so the caller refuses it instead of reading an empty cell.
    formulas = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    try:
        if not workbook.worksheets:
            raise ImportFileError("The Excel file has no worksheet.")
        sheet = workbook.worksheets[0]
        declared = sheet.max_row  # from the sheet's <dimension>, None when not declared
        if declared is not None and declared > 2 * MAX_ROWS + 100:
            raise _too_many_rows()
        pairs = zip(
            sheet.iter_rows(values_only=True),
            formulas.worksheets[0].iter_rows(values_only=True),
            strict=False,
        )
        return _take_rows(
            [
                _cell_text(value) if value is not None else _unsaved_formula(formula)
                for value, formula in zip_longest(row, formula_row)
            ]
            for row, formula_row in pairs
        )
    finally:
        workbook.close()
        formulas.close()


def _unsaved_formula(formula) -> str:
    """The text of a formula cell with no saved value ("=B2*2"), or "" for an empty cell."""
    text = getattr(formula, "text", formula)  # an array formula keeps its text in `.text`
    if isinstance(text, str) and text.startswith("="):
        return text
    return ""


def build_plan(
    rows: list[list[str]],
    centre: Centre,
    year: AcademicYear,
    *,
    move_groups: bool = False,
    mark_leavers: bool = False,
) -> ImportPlan:
    """Validate every row and return what importing them would do.

    With ``move_groups`` existing learners whom the file places in another teaching group
    are moved; without it they keep their groups (the moves are still listed in
    ``plan.moves`` so the preview can offer them). Likewise ``mark_leavers`` marks as left the
    learners on roll whom the file's status column says have left (``plan.leavers``).
    """
    plan = ImportPlan(centre=centre, year=year, move_groups=move_groups, mark_leavers=mark_leavers)
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise ImportFileError("The file is empty: it needs a header row and a row per learner.")
    if len(rows) > MAX_ROWS + 1:
        raise _too_many_rows()
    columns, header_errors = match_headers(rows[0])
    plan.columns = [LABELS[name] for name in columns]
    plan.unused_columns = unused_columns(rows[0], columns)
    if header_errors:
        plan.errors = header_errors
        return plan
    units = {unit.number: unit for unit in Unit.objects.all()}
    if "qualification" in columns:
        plan.qualifications = qualification_lookup()
    by_candidate: dict[str, LearnerRow] = {}
    for number, cells in enumerate(rows[1:], start=2):
        record = _parse_row(number, cells, columns, units, plan)
        if record is None:
            continue
        existing = by_candidate.get(record.candidate_number)
        if existing is None:
            by_candidate[record.candidate_number] = record
            continue
        _merge_duplicate(existing, record, plan.errors)
    plan.learners = list(by_candidate.values())
    # Legal names are compared only when the file has both legal and preferred columns.
    has_legal_names = any(
        STANDS_IN[name] in columns and columns[name] != columns[STANDS_IN[name]]
        for name in STANDS_IN
    )
    _compare_with_database(
        plan, has_group_column="group" in columns, has_legal_names=has_legal_names
    )
    plan.errors.sort(key=lambda error: error.row)
    plan.warnings.sort(key=lambda warning: warning.row)
    return plan


def _parse_row(number, cells, columns, units, plan: ImportPlan) -> LearnerRow | None:
    errors = plan.errors
    values: dict[str, str] = {}
    for name, index in columns.items():
        raw = cells[index].strip() if index < len(cells) else ""
        value = clean_line(raw)
        controls = sum(1 for char in raw if unicodedata.category(char) == "Cc")
        if controls:
            what = "a control character" if controls == 1 else f"{controls} control characters"
            plan.cleaned.append(
                RowError(
                    number,
                    LABELS[name],
                    f"cleaned: removed {what} from the {_noun(name)} (now “{value}”)",
                )
            )
        values[name] = value

    def cell(name: str) -> str:
        return values.get(name, "")

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
    for name in ("first_name", "last_name"):
        if not cell(name):
            fail(name, "empty")
    email = cell("email").lower()
    local = email.partition("@")[0]
    if email and not local.isascii():
        odd = "".join(dict.fromkeys(char for char in local if not char.isascii()))
        fail(
            "email",
            f"'{email}' has {odd} before the @: email addresses cannot hold accented or other "
            "non-English letters there. Correct the address in the MIS (or the file) and "
            "upload it again",
        )
    elif email:
        try:
            validate_email(email)
        except ValidationError:
            fail("email", f"'{email}' is not an email address")
        else:
            if len(email) > User._meta.get_field("email").max_length:
                fail("email", "longer than an email address can be")
    uln = cell("uln")
    if uln and not re.fullmatch(r"\d{10}", uln):
        fail("uln", f"'{uln}' is not a 10-digit ULN")
    legal = {}
    for name in ("first_name", "last_name"):
        legal_name = STANDS_IN[name]
        # Kept only when it differs from the preferred name (blank means "the same").
        legal[legal_name] = cell(legal_name) if cell(legal_name) != cell(name) else ""
        for each in (name, legal_name):
            limit = Learner._meta.get_field(each).max_length
            if len(cell(each)) > limit:
                fail(each, f"longer than {limit} characters")
            if "?" in cell(each):
                plan.warnings.append(
                    RowError(
                        number,
                        LABELS[each],
                        f"“{cell(each)}” has a ? where a letter should be: Excel puts one in for "
                        "a letter it could not save. Save the file from Excel as “CSV UTF-8 "
                        "(Comma delimited)” and upload it again, or correct the name later",
                    )
                )
    left_on, leaving_reason = _leaving(cell, fail, columns)
    gcse = None
    if cell("average_gcse"):
        try:
            gcse = Decimal(cell("average_gcse")).quantize(Decimal("0.01"))  # as it is stored
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
        unit_number = as_unit_number(unit_text)
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
    qualification = None
    if cell("qualification"):
        qualification = plan.qualifications.get(cell("qualification").casefold())
        if qualification is None:
            fail(
                "qualification",
                f"unknown qualification '{cell('qualification')}' (use its code, e.g. 05833, "
                "or its full name)",
            )
    if len(errors) > before:
        return None
    return LearnerRow(
        qualification_id=qualification.pk if qualification else None,
        row=number,
        candidate_number=candidate,
        first_name=cell("first_name"),
        last_name=cell("last_name"),
        email=email,
        group=cell("group"),
        uln=uln,
        average_gcse=gcse,
        targets=targets,
        left_on=left_on,
        leaving_reason=leaving_reason,
        **legal,
    )


def _leaving(cell, fail, columns) -> tuple[date | None, str]:
    """Read the status, leaving date and reason of a row: (the day they left or None, why).

    A leaver's status needs a leaving date; a date on a learner still on roll is ignored (MIS
    exports fill in planned end dates).
    """
    status = " ".join(re.sub(r"[^a-z0-9]+", " ", cell("status").lower()).split())
    if status in CURRENT_STATUSES or "status" not in columns:
        return None, ""
    if status not in LEAVER_STATUSES:
        fail(
            "status",
            f"'{cell('status')}' is not a status this import knows: use Current for learners "
            "on roll, or Leaver (Left, Withdrawn) for those who have left",
        )
        return None, ""
    text = cell("left_on")
    if not text:
        fail(
            "left_on" if "left_on" in columns else "status",
            "a leaver needs the date they left (a column such as “Date of Leaving”)",
        )
        return None, ""
    for pattern in DATE_FORMATS:
        try:
            left_on = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if left_on > timezone.localdate():
            fail("left_on", f"'{text}' is still to come: a learner cannot have left yet")
            return None, ""
        reason = cell("leaving_reason") or cell("status")
        return left_on, reason[: Learner._meta.get_field("leaving_reason").max_length]
    fail("left_on", f"'{text}' is not a date (write it as 20/11/2026)")
    return None, ""


def qualification_lookup() -> dict[str, Qualification]:
    """Return every qualification by its code and by its full name, in lower case: what a
    file's Qualification column may hold."""
    lookup = {}
    for qualification in Qualification.objects.all():
        lookup[qualification.code.casefold()] = qualification
        lookup[qualification.name.casefold()] = qualification
    return lookup


def _noun(name: str) -> str:
    return {"last_name": "surname", "first_name": "first name"}.get(name, LABELS[name].lower())


def _merge_duplicate(first: LearnerRow, again: LearnerRow, errors: list[RowError]) -> None:
    """Fold a further row of the same learner (another unit) into the first, or refuse it."""
    for name in (
        "first_name",
        "last_name",
        "email",
        "group",
        "uln",
        "average_gcse",
        "legal_first_name",
        "legal_last_name",
        "left_on",
    ):
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


def _compare_with_database(
    plan: ImportPlan, *, has_group_column: bool, has_legal_names: bool = False
) -> None:
    numbers = [row.candidate_number for row in plan.learners]
    existing = {
        learner.candidate_number: learner
        for learner in Learner.objects.filter(centre=plan.centre, candidate_number__in=numbers)
        .select_related("group", "user")
        .prefetch_related("enrolments__unit")
    }
    _check_emails(plan, existing)
    groups = set(
        TeachingGroup.objects.filter(centre=plan.centre, academic_year=plan.year).values_list(
            "name", flat=True
        )
    )
    # Group names are matched regardless of letter case, as the group form matches them: a
    # file's "13hsc1" is the existing 13HSC1, and a new group keeps the first spelling seen.
    spelling = {name.casefold(): name for name in groups}
    for row in plan.learners:
        if row.group:
            row.group = spelling.setdefault(row.group.casefold(), row.group)
    for row in list(plan.learners):
        learner = existing.get(row.candidate_number)
        if learner is None and row.left_on is not None:
            # Someone the centre never had on roll who has already left: nothing to add.
            plan.learners.remove(row)
            plan.not_added.append(row)
            continue
        if learner is None:
            row.action, row.set_group = "add", True
            if not row.group:
                plan.errors.append(
                    RowError(
                        row.row,
                        LABELS["group"],
                        "empty: a new learner needs a teaching group"
                        if has_group_column
                        else 'a new learner needs a teaching group: add a "Teaching group" '
                        "column to the file (a registration, form or tutor group is not one)",
                    )
                )
            continue
        changes = []
        for name in ("first_name", "last_name", "email", "uln"):
            if getattr(row, name) and getattr(row, name) != getattr(learner, name):
                changes.append(
                    f"{LABELS[name]}: {getattr(learner, name) or '—'} → {getattr(row, name)}"
                )
        row.set_legal = has_legal_names
        if has_legal_names:
            for name in ("legal_first_name", "legal_last_name"):
                if getattr(row, name) != getattr(learner, name):
                    changes.append(
                        f"{LABELS[name]}: {getattr(learner, name) or '—'} → "
                        f"{getattr(row, name) or '(as preferred)'}"
                    )
        if row.left_on is not None and learner.left_on is None:
            plan.leavers.append(
                Leaving(
                    row.row,
                    row.candidate_number,
                    f"{learner.first_name} {learner.last_name}",
                    row.left_on,
                    row.leaving_reason,
                )
            )
        account = learner.user
        if (
            account is not None
            and row.email
            and account.email != row.email
            and not any(change.startswith("Email:") for change in changes)
        ):
            changes.append(f"Account email: {account.email or '—'} → {row.email}")
        if row.qualification_id and row.qualification_id != learner.qualification_id:
            names = {q.pk: q.name for q in plan.qualifications.values()}
            changes.append(
                f"{LABELS['qualification']}: {names.get(learner.qualification_id, '—')} → "
                f"{names[row.qualification_id]}"
            )
        if row.average_gcse is not None and row.average_gcse != learner.average_gcse:
            changes.append(f"Average GCSE: {learner.average_gcse or '—'} → {row.average_gcse}")
        current = learner.group
        if row.group and current is None:
            row.set_group = True
            changes.append(f"{LABELS['group']}: — → {row.group}")
        elif row.group and current.name != row.group:
            plan.moves.append(
                GroupMove(
                    row.row,
                    row.candidate_number,
                    f"{learner.first_name} {learner.last_name}",
                    current.name,
                    row.group,
                )
            )
            if plan.move_groups:
                row.set_group = True
                changes.append(f"{LABELS['group']}: {current.name} → {row.group}")
        if not row.set_group:
            row.kept_group_id = learner.group_id
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
    wanted = {row.group for row in plan.learners if row.set_group and row.group}
    plan.new_groups = sorted(wanted - groups)


def _check_emails(plan: ImportPlan, existing: dict[str, Learner]) -> None:
    """Refuse an email another row or another account would share (letter case ignored).

    An address held by an existing learner whose row in this file gives them another address
    is free for someone else in the same file: they give it up when the file is imported.
    """
    first_row: dict[str, LearnerRow] = {}
    for row in plan.learners:
        if not row.email:
            continue
        if row.email in first_row:
            other = first_row[row.email]
            plan.errors.append(
                RowError(
                    row.row,
                    LABELS["email"],
                    f"'{row.email}' is also the email of row {other.row} "
                    f"(candidate {other.candidate_number}): each learner needs their own",
                )
            )
        else:
            first_row[row.email] = row
    if not first_row:
        return
    emails = set(first_row)
    # Who holds each address now: accounts by user id, learners without an account by id.
    holders: dict[str, set[tuple[str, int]]] = {}
    for pk, email in (
        User.objects.annotate(lower=Lower("email"))
        .filter(lower__in=emails)
        .values_list("pk", "lower")
    ):
        holders.setdefault(email, set()).add(("user", pk))
    centre_learners = {}
    for learner in Learner.objects.annotate(lower=Lower("email")).filter(
        centre=plan.centre, lower__in=emails
    ):
        holder = ("user", learner.user_id) if learner.user_id else ("learner", learner.pk)
        holders.setdefault(learner.email.lower(), set()).add(holder)
        centre_learners[holder] = learner.candidate_number
    # The keys of each learner in the file, and the addresses they give up.
    own: dict[str, set[tuple[str, int]]] = {}
    freed: set[tuple[tuple[str, int], str]] = set()
    for row in plan.learners:
        learner = existing.get(row.candidate_number)
        if learner is None:
            continue
        keys = {("learner", learner.pk)} | (
            {("user", learner.user_id)} if learner.user_id else set()
        )
        own[row.candidate_number] = keys
        if row.email:
            old = {learner.email.lower()} | (
                {learner.user.email.lower()} if learner.user else set()
            )
            for address in old - {row.email}:
                freed.update((key, address) for key in keys)
    for email, row in first_row.items():
        others = {
            holder
            for holder in holders.get(email, set())
            if holder not in own.get(row.candidate_number, set()) and (holder, email) not in freed
        }
        if not others:
            continue
        numbers = sorted(centre_learners[h] for h in others if h in centre_learners)
        whose = f" (candidate {', '.join(numbers)})" if numbers else ""
        plan.errors.append(
            RowError(
                row.row, LABELS["email"], f"'{email}' already belongs to another account{whose}"
            )
        )


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
        by_name: dict[str, set[int]] = {}
        by_pk: dict[int, set[int]] = {}
        for row in plan.learners:
            if row.set_group:
                by_name.setdefault(row.group, set()).update(row.targets)
            elif row.kept_group_id is not None:
                by_pk.setdefault(row.kept_group_id, set()).update(row.targets)
        for name, numbers in by_name.items():
            if numbers:
                groups[name].units.add(*(units[number] for number in numbers))
        for group in TeachingGroup.objects.filter(pk__in=[pk for pk, n in by_pk.items() if n]):
            group.units.add(*(units[number] for number in by_pk[group.pk]))
        usernames = _Usernames(plan)
        updated = _update_learners(plan, groups, units, user, usernames)
        added = _add_learners(plan, groups, units, user, usernames)
        left = mark_many_left(
            plan.centre,
            {
                leaving.candidate_number: (leaving.left_on, leaving.reason)
                for leaving in plan.to_mark_left
            },
        )
    return {
        "added": added,
        "updated": updated,
        "left": left,
        "unchanged": len(plan.unchanged),
        "groups_created": len(plan.new_groups),
    }


class _Usernames:
    """Give each new or renamed account a username nobody holds (letter case ignored).

    A learner's username is their email when it is free, else the centre number and their
    candidate number. Only names nobody holds before the import are handed out, so the order
    in which accounts are saved can never hit the unique check on usernames.
    """

    def __init__(self, plan: ImportPlan):
        self.prefix = plan.centre.ocr_number
        wanted = set()
        for row in plan.learners:
            if row.email:
                wanted.add(row.email)
            wanted.add(f"{self.prefix}-{row.candidate_number}".lower())
        self.asked = wanted
        self.taken = set(
            User.objects.annotate(lower=Lower("username"))
            .filter(lower__in=wanted)
            .values_list("lower", flat=True)
        )

    def _free(self, name: str) -> bool:
        lower = name.lower()
        if lower in self.taken:
            return False
        if lower in self.asked:
            return True
        self.asked.add(lower)
        if User.objects.filter(username__iexact=name).exists():
            self.taken.add(lower)
            return False
        return True

    def claim(self, row: LearnerRow) -> str:
        choices = [row.email] if row.email else []
        choices.append(f"{self.prefix}-{row.candidate_number}")
        choices += (f"{self.prefix}-{row.candidate_number}-{n}" for n in range(2, 1000))
        limit = User._meta.get_field("username").max_length
        for name in choices:
            if len(name) <= limit and self._free(name):
                self.taken.add(name.lower())
                return name
        raise RuntimeError(f"No free username for candidate {row.candidate_number}")


def _add_learners(plan: ImportPlan, groups, units, user, usernames: _Usernames) -> int:
    rows = plan.to_add
    if not rows:
        return 0
    accounts = []
    for row in rows:
        account = User(
            username=usernames.claim(row),
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
        )
        account.set_unusable_password()
        accounts.append(account)
    accounts = User.objects.bulk_create(accounts)
    learners = Learner.objects.bulk_create(
        Learner(
            centre=plan.centre,
            candidate_number=row.candidate_number,
            first_name=row.first_name,
            last_name=row.last_name,
            legal_first_name=row.legal_first_name,
            legal_last_name=row.legal_last_name,
            email=row.email,
            uln=row.uln,
            average_gcse=row.average_gcse,
            group=groups[row.group],
            user=account,
            qualification_id=row.qualification_id,
        )
        for row, account in zip(rows, accounts, strict=True)
    )
    _enrol(plan, list(zip(rows, learners, strict=True)), units, user)
    return len(rows)


def _update_learners(plan: ImportPlan, groups, units, user, usernames: _Usernames) -> int:
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
        old_email = learner.email
        for name in ("first_name", "last_name", "email", "uln"):
            if getattr(row, name):
                setattr(learner, name, getattr(row, name))
        if row.average_gcse is not None:
            learner.average_gcse = row.average_gcse
        if row.qualification_id:
            learner.qualification_id = row.qualification_id
        if row.set_legal:
            learner.legal_first_name = row.legal_first_name
            learner.legal_last_name = row.legal_last_name
        if row.set_group:
            learner.group = groups[row.group]
        learner.save()
        account = learner.user
        # A learner's account holds no rights; one that does (a misfiled staff or Django
        # account) is never changed by an import, so its email cannot be redirected.
        if (
            account
            and not access.rights_of(account)
            and (
                account.email != learner.email
                or account.first_name != learner.first_name
                or account.last_name != learner.last_name
            )
        ):
            fields = ["email", "first_name", "last_name"]
            if learner.email and account.username.lower() in {
                old_email.lower(),
                account.email.lower(),
            } - {learner.email.lower()}:
                # The username was the old address: signing in with it must not reach
                # this account once someone else may hold that address.
                account.username = usernames.claim(row)
                fields.append("username")
            account.email = learner.email
            account.first_name = learner.first_name
            account.last_name = learner.last_name
            account.save(update_fields=fields)
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


# An uploaded file waits between the preview and the confirmation in the default storage (not
# one server's disk, so the confirmation works on whichever app process serves it, and with
# files in object storage), all in one folder so that forgotten ones can be found.
PENDING_FOLDER = "imports"


def pending_name(token: str, suffix: str) -> str:
    """Where the uploaded file of a preview waits for its confirmation."""
    return f"{PENDING_FOLDER}/{token}{suffix}"


def discard_pending(pending: dict | None) -> None:
    """Delete the file a preview left waiting (its session entry), if there is one."""
    if pending and pending.get("token"):
        default_storage.delete(pending_name(pending["token"], pending.get("suffix", "")))


def remove_expired_uploads(now: datetime | None = None) -> int:
    """Delete uploaded learners files never confirmed within PENDING_UPLOAD_HOURS.

    They hold learners' names and email addresses; return how many were deleted.
    """
    cutoff = (now or timezone.now()) - timedelta(hours=settings.PENDING_UPLOAD_HOURS)
    return delete_older_than(PENDING_FOLDER, cutoff)
