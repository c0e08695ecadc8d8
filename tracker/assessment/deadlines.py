"""When a criterion is due for one learner, and whether a hand-in was late.

The rule (centre practice for OCR Cambridge Technicals coursework, issue #17): a criterion's
deadline is that of the assignment covering it, the latest one if several assignments of the
learner's group cover it, and none if none does. A learner's extension replaces the
assignment's deadline for that learner. A deadline is a day: work is on time until the end of
that day in the site's `TIME_ZONE`.
"""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from tracker.models import Assignment, Extension


def end_of_day(day: date) -> datetime:
    """Return the last instant of `day` in the site's time zone, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.max), timezone.get_default_timezone())


def due_at(deadlines: Iterable[date]) -> datetime | None:
    """Return the end of the latest of `deadlines` (each already moved by any extension), or
    None when there is none: a criterion no assignment covers has no deadline."""
    latest = max(deadlines, default=None)
    return end_of_day(latest) if latest else None


def late_by(handed_in_at: datetime, due: datetime | None) -> timedelta | None:
    """Return how long after `due` the work came in, or None when it was on time or had no
    deadline."""
    if due is None or handed_in_at <= due:
        return None
    return handed_in_at - due


def days_late(due: datetime, lateness: timedelta) -> int:
    """Return the calendar days (in the site's time zone) between the deadline day and the day
    the work came in: 1 for anything handed in the day after the deadline."""
    return (timezone.localdate(due + lateness) - timezone.localdate(due)).days


def criterion_due(learner, unit_id: int, criterion_ids: Iterable[int]) -> dict[int, datetime]:
    """Return {criterion id: due datetime} for the criteria of `unit_id` that an assignment of
    the learner's group covers, with the learner's extensions applied. Two queries."""
    wanted = set(criterion_ids)
    if not learner.group_id or not wanted:
        return {}
    covering = Assignment.criteria.through.objects.filter(
        assignment__group_id=learner.group_id,
        assignment__unit_id=unit_id,
        criterion_id__in=wanted,
    ).values_list("assignment_id", "criterion_id", "assignment__deadline")
    covering = list(covering)
    extensions = dict(
        Extension.objects.filter(
            learner=learner, assignment_id__in={row[0] for row in covering}
        ).values_list("assignment_id", "deadline")
    )
    by_criterion: dict[int, list[date]] = {}
    for assignment_id, criterion_id, deadline in covering:
        by_criterion.setdefault(criterion_id, []).append(extensions.get(assignment_id, deadline))
    return {criterion_id: due_at(days) for criterion_id, days in by_criterion.items()}
