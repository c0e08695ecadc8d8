"""Grade-only units: the units of a learner's qualification the site does not track in full,
entered as a grade achieved and a teacher's predicted grade, one by one or from a file.

Every change is kept in `GradeOnlyChange` (who, when, from where, old and new grades). A file
(CSV or XLSX: candidate number, unit, grade, and optionally prediction) is checked whole first:
any error and nothing changes; the preview shows exactly what importing will do.
"""

import re
from dataclasses import dataclass, field

from django.db import transaction

from criteria.grading import Grade, GradingError
from criteria.models import QualificationUnit
from tracker.lib.text import as_unit_number, clean_line
from tracker.models import GradeOnlyChange, GradeOnlyResult, Learner, User
from tracker.people.importing import (
    ALIASES,
    FORMULA_STARTS,
    MAX_ROWS,
    ImportFileError,
    RowError,
)

COLUMNS = {
    "candidate_number": ("Candidate number", ALIASES["candidate_number"]),
    "unit": ("Unit", ["unit", "unit number", "unit no"]),
    "grade": ("Grade", ["grade", "grade achieved", "achieved", "result", "unit grade"]),
    "prediction": (
        "Prediction",
        ["prediction", "predicted", "predicted grade", "teacher prediction"],
    ),
}
REQUIRED = ("candidate_number", "unit")


class GradeOnlyError(ValueError):
    """A grade-only result that cannot be saved, with a message for the page."""


def allowed_grades(near_pass: bool) -> list[Grade]:
    """Grades a grade-only unit takes: U, P, M, D, and Near Pass (R) when `near_pass`: the
    unit is examined (`QualificationUnit.examined`) and its suite awards it (the 2016 suite's
    examined units; points notes, "Unit grades")."""
    return [grade for grade in Grade if grade is not Grade.R or near_pass]


def suite_awards_near_pass(suite) -> bool:
    """Whether the suite's points table has Near Pass points (one query)."""
    return suite.points_values.filter(grade="R").exists()


def save_result(
    learner: Learner,
    unit: QualificationUnit,
    achieved: str,
    predicted: str,
    user: User,
    source: str = GradeOnlyChange.Source.APP,
) -> bool:
    """Store a learner's grade achieved and predicted grade ('' for none) on a unit of their
    qualification; return whether anything changed (a change is kept in the history).

    Raises GradeOnlyError for a unit of another qualification or a tracked unit.
    """
    if unit.qualification_id != learner.qualification_id:
        raise GradeOnlyError(f"Unit {unit.number} is not a unit of the learner's qualification")
    with transaction.atomic():
        result, _ = GradeOnlyResult.objects.select_for_update().get_or_create(
            learner=learner, qualification_unit=unit
        )
        if (result.achieved, result.predicted) == (achieved, predicted):
            return False
        GradeOnlyChange.objects.create(
            result=result,
            old_achieved=result.achieved,
            new_achieved=achieved,
            old_predicted=result.predicted,
            new_predicted=predicted,
            source=source,
            changed_by=user,
        )
        result.achieved, result.predicted, result.updated_by = achieved, predicted, user
        result.save()
        return True


@dataclass
class GradeRow:
    """One change a file asks for."""

    row: int
    learner: Learner
    unit: QualificationUnit
    achieved: str
    predicted: str
    old_achieved: str = ""
    old_predicted: str = ""

    @property
    def changed(self) -> bool:
        return (self.achieved, self.predicted) != (self.old_achieved, self.old_predicted)


@dataclass
class GradePlan:
    rows: list[GradeRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes(self) -> list[GradeRow]:
        return [row for row in self.rows if row.changed]

    @property
    def unchanged(self) -> int:
        return len(self.rows) - len(self.changes)


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _match_columns(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    columns, errors = {}, []
    for index, text in enumerate(header):
        name = _normal(text)
        for key, (_, aliases) in COLUMNS.items():
            if key not in columns and name in aliases:
                columns[key] = index
    for key in REQUIRED:
        if key not in columns:
            label, aliases = COLUMNS[key]
            errors.append(RowError(1, label, f'column missing (a header such as "{aliases[0]}")'))
    if "grade" not in columns and "prediction" not in columns:
        errors.append(RowError(1, "Grade", 'column missing: add "Grade" or "Prediction"'))
    return columns, errors


def build_grade_plan(table: list[list[str]], learners, leavers=None) -> GradePlan:
    """Check a grades file whole and return what importing it would do.

    `table`: rows of cells (header first), as `tracker.people.importing.read_table` reads a
    CSV or XLSX; `learners`: the learners the importer may change (by candidate number).
    Errors name the row and column: an unknown candidate number (or one the importer may not
    change), a learner with no qualification, a unit not in their qualification or tracked
    in full, a grade that is not a unit grade (Near Pass only on an examined unit of a suite
    that awards it), a formula (an XLSX formula with no saved value arrives as its formula
    text and is refused: type the grade), a learner and unit listed twice. `leavers`: the
    importer's learners who have left, so their candidate numbers are reported as leavers.
    A unit is its number, with or without the word "Unit" ("5", "Unit 5", "unit 05").
    An empty Grade or Prediction cell leaves that value as it is.
    """
    plan = GradePlan()
    table = [row for row in table if any(cell.strip() for cell in row)]
    if not table:
        raise ImportFileError("The file is empty: it needs a header row and a row per unit.")
    if len(table) > MAX_ROWS + 1:
        raise ImportFileError(f"The file has more than {MAX_ROWS} rows: split it.")
    columns, plan.errors = _match_columns(table[0])
    plan.columns = [COLUMNS[key][0] for key in columns]
    if plan.errors:
        return plan
    by_number = {
        learner.candidate_number: learner
        for learner in learners.select_related("qualification__suite")
    }
    units = {
        (unit.qualification_id, unit.number): unit
        for unit in QualificationUnit.objects.filter(
            qualification_id__in={each.qualification_id for each in by_number.values()}
        ).select_related("qualification__suite")
    }
    left = {}
    if leavers is not None:
        left = {
            each.candidate_number: each
            for each in leavers.exclude(candidate_number="")
            if each.candidate_number not in by_number
        }
    suites = {unit.qualification.suite for unit in units.values()}
    near_pass = {suite.pk: suite_awards_near_pass(suite) for suite in suites}
    existing = {
        (result.learner_id, result.qualification_unit_id): result
        for result in GradeOnlyResult.objects.filter(learner__in=by_number.values())
    }
    seen: dict[tuple[int, int], int] = {}
    for number, cells in enumerate(table[1:], start=2):

        def cell(key: str, cells=cells) -> str:
            index = columns.get(key)
            if index is None or index >= len(cells):
                return ""
            return clean_line(cells[index].strip())

        before = len(plan.errors)

        def fail(key: str, message: str, number=number) -> None:
            plan.errors.append(RowError(number, COLUMNS[key][0], message))

        for key in columns:
            if cell(key).startswith("="):
                fail(
                    key,
                    f"'{cell(key)[:30]}' is a formula with no saved value: type the "
                    f"{'grade' if key in ('grade', 'prediction') else 'value'} instead",
                )
            elif cell(key).startswith(FORMULA_STARTS):
                fail(key, f"'{cell(key)[:30]}' looks like a spreadsheet formula; remove it")
        if len(plan.errors) > before:
            continue
        candidate = cell("candidate_number")
        if candidate.isdigit() and len(candidate) < 4:
            candidate = candidate.zfill(4)
        learner = by_number.get(candidate)
        if learner is None and candidate in left:
            fail(
                "candidate_number",
                f"{left[candidate].full_name} (candidate number '{candidate}') has left the "
                "centre: a leaver's grades cannot change",
            )
            continue
        if learner is None:
            fail("candidate_number", f"no learner of yours has candidate number '{candidate}'")
            continue
        if learner.qualification_id is None:
            fail("candidate_number", f"{learner.full_name} is not registered on a qualification")
            continue
        text = cell("unit")
        unit = units.get((learner.qualification_id, as_unit_number(text)))
        if unit is None:
            fail("unit", f"'{text}' is not a unit of {learner.full_name}'s qualification")
            continue
        if unit.unit_id is not None:
            fail(
                "unit",
                f"Unit {unit.number} is tracked in full on the site: record it there, not here",
            )
            continue
        old = existing.get((learner.pk, unit.pk))
        values = {}
        for key, attribute in (("grade", "achieved"), ("prediction", "predicted")):
            typed = cell(key)
            current = getattr(old, attribute, "") if old else ""
            if not typed:
                values[attribute] = current
                continue
            try:
                grade = Grade.parse(typed)
            except GradingError:
                fail(key, f"'{typed}' is not a unit grade (use U, P, M or D)")
                continue
            if grade is Grade.R and not near_pass.get(unit.qualification.suite_id):
                fail(key, "Near Pass (R) is not a grade of this suite")
                continue
            if grade is Grade.R and not unit.examined:
                fail(
                    key,
                    f"Near Pass (R) is only for examined units; Unit {unit.number} is "
                    "assessed by the centre",
                )
                continue
            values[attribute] = grade.value
        if len(plan.errors) > before:
            continue
        key = (learner.pk, unit.pk)
        if key in seen:
            fail("unit", f"{learner.full_name}'s unit {unit.number} is already on row {seen[key]}")
            continue
        seen[key] = number
        plan.rows.append(
            GradeRow(
                row=number,
                learner=learner,
                unit=unit,
                achieved=values["achieved"],
                predicted=values["predicted"],
                old_achieved=old.achieved if old else "",
                old_predicted=old.predicted if old else "",
            )
        )
    return plan


def apply_grade_plan(plan: GradePlan, user: User) -> int:
    """Write every change of a checked plan in one transaction; return how many changed."""
    if not plan.ok:
        raise GradeOnlyError("A file with errors is never imported")
    with transaction.atomic():
        return sum(
            save_result(
                row.learner,
                row.unit,
                row.achieved,
                row.predicted,
                user,
                GradeOnlyChange.Source.IMPORT,
            )
            for row in plan.changes
        )
