"""Formatting filters only: status and grades are worked out elsewhere.

Grade and status words come from their one definition (`criteria.grading.Grade`,
`tracker.models.Status`); templates never spell them out.
"""

from django import template

from criteria.grading import Grade
from tracker.models import Status

register = template.Library()


@register.filter
def percent_of(part: int, whole: int) -> int:
    """Return part as a whole-number percentage of whole (0 when whole is 0)."""
    try:
        return round(100 * int(part) / int(whole)) if int(whole) else 0
    except (TypeError, ValueError):
        return 0


def _grade(value) -> Grade | None:
    try:
        return Grade(getattr(value, "value", value))
    except ValueError:
        return None


def _status(value) -> Status:
    try:
        return Status(getattr(value, "value", value))
    except ValueError:
        return Status.NOT_STARTED


@register.filter
def grade_label(value) -> str:
    """Return a grade's full name ("Near Pass") from its letter or Grade; "" for none."""
    grade = _grade(value)
    return grade.label if grade else ""


@register.filter
def grade_short(value) -> str:
    """Return a grade's letter for tight spaces; "" for none."""
    grade = _grade(value)
    return grade.short if grade else ""


@register.filter
def grade_class(value) -> str:
    """Return the badge class for a grade; "" for none."""
    grade = _grade(value)
    return grade.css_class if grade else ""


@register.filter
def status_label(value) -> str:
    """Return a criterion status's full wording ("Not yet achieved")."""
    return _status(value).label


@register.filter
def status_short(value) -> str:
    """Return a criterion status's symbol for tight spaces ("✗")."""
    return _status(value).short


@register.filter
def status_badge(value) -> str:
    """Return a status's symbol and wording together ("✗ Not yet achieved")."""
    return _status(value).badge


@register.filter
def status_class(value) -> str:
    """Return the class a status is coloured with ("status-not_yet")."""
    return _status(value).css_class


@register.filter
def qualification_grade(value) -> str:
    """Return a qualification grade in words ("Distinction Merit (DM)"); Unclassified for
    none (`criteria.grading.qualification_grade_words`)."""
    from criteria.grading import GradingError, qualification_grade_words

    try:
        return qualification_grade_words(value or None)
    except GradingError:
        return str(value)
