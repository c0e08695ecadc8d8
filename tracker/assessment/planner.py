"""Saving a what-if plan as a teacher's predictions (the planner itself saves nothing)."""

from django.db import transaction

from criteria.grading import Grade
from tracker.assessment.grade_only import save_result
from tracker.assessment.qualifications import GRADE_ONLY, TRACKED, QualificationProgress
from tracker.models import Prediction

PLANNER_NOTE = "Set with the what-if planner"


class PlanError(ValueError):
    """A plan that cannot be saved, with a message for the teacher."""


def save_plan(state: QualificationProgress, choices: dict[int, Grade], user) -> list[int]:
    """Save the planned grades as `user`'s predictions; return the unit numbers changed.

    `choices` is {unit number: Grade} from `PlannerForm.choices()`, checked against `state`
    (open units only, allowed grades). A tracked unit gets a new `Prediction` (history kept,
    noted "Set with the what-if planner"); a grade-only unit's `GradeOnlyResult.predicted` is
    set through `grade_only.save_result` (history kept). A unit whose prediction already
    equals the choice is left alone. All or nothing (one transaction). Raises PlanError for
    a learner who has left.
    """
    learner = state.learner
    if learner.left_on is not None:
        raise PlanError(f"{learner.full_name} has left: nothing new is recorded.")
    rows = {row.number: row for row in state.rows + state.available if not row.finished}
    changed = []
    with transaction.atomic():
        for number, grade in sorted(choices.items()):
            row = rows.get(number)
            if row is None or grade not in row.allowed_grades:
                raise PlanError(f"Unit {number} cannot be given {grade.label} now.")
            if _already_predicted(row, grade):
                continue
            if row.kind == TRACKED:
                Prediction.objects.create(
                    enrolment=row.progress.enrolment,
                    grade=grade.value,
                    note=PLANNER_NOTE,
                    predicted_by=user,
                )
            elif row.kind == GRADE_ONLY:
                _predict_grade_only(learner, row, grade, user)
            else:
                continue
            changed.append(number)
    return changed


def _already_predicted(row, grade: Grade) -> bool:
    if row.kind == TRACKED:
        prediction = row.progress.prediction
        return prediction is not None and prediction.grade == grade.value
    return row.result is not None and row.result.predicted == grade.value


def _predict_grade_only(learner, row, grade: Grade, user) -> None:
    achieved = row.result.achieved if row.result is not None else ""
    save_result(learner, row.qualification_unit, achieved, grade.value, user)
