"""Target grades: set with history, aspirational grades, and targets from GCSE scores."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from tracker.models import Enrolment, GcseTargetRange, TargetChange, User

LADDER = ["P", "M", "D"]


def aspirational_grade(target: str, step: int) -> str:
    """Return the grade `step` places above the target, capped at Distinction ('' if none)."""
    if not target or step <= 0:
        return ""
    return LADDER[min(LADDER.index(target) + step, len(LADDER) - 1)]


def target_from_gcse(score: Decimal | None, ranges: Iterable[GcseTargetRange]) -> str:
    """Return the grade of the highest range whose minimum the score reaches ('' if none)."""
    if score is None:
        return ""
    grade = ""
    for band in sorted(ranges, key=lambda band: band.minimum_score):
        if score >= band.minimum_score:
            grade = band.grade
    return grade


def set_target(enrolment: Enrolment, grade: str, user: User | None, source: str) -> bool:
    """Change a target grade, keeping the change in history; return whether it changed."""
    if enrolment.target_grade == grade:
        return False
    with transaction.atomic():
        TargetChange.objects.create(
            enrolment=enrolment,
            old_grade=enrolment.target_grade,
            new_grade=grade,
            source=source,
            changed_by=user,
        )
        enrolment.target_grade = grade
        enrolment.save(update_fields=["target_grade"])
    return True


def targets_from_gcse(centre, user: User | None) -> int:
    """Fill empty targets from average GCSE scores through the centre's ranges.

    Targets already set (imported or entered by a teacher) are never overwritten.
    Return how many targets were set.
    """
    ranges = list(GcseTargetRange.objects.filter(centre=centre))
    if not ranges:
        return 0
    count = 0
    enrolments = Enrolment.objects.filter(
        learner__centre=centre, target_grade="", learner__average_gcse__isnull=False
    ).select_related("learner")
    with transaction.atomic():
        for enrolment in enrolments:
            grade = target_from_gcse(enrolment.learner.average_gcse, ranges)
            if grade and set_target(enrolment, grade, user, TargetChange.Source.GCSE):
                count += 1
    return count
