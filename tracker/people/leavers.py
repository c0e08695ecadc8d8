"""Learners who leave the centre: marked as left, kept read-only, and reinstated.

A leaver keeps every record (evidence, decisions, targets) and their teaching group, so
reinstating them puts them back where they were. While they are away their account cannot
sign in (it is deactivated, the one reversible switch Django's sign-in already honours), and
``Learner.objects.current()`` leaves them out of grids, at-risk lists, deadline flags,
sampling proposals and the grade-prediction export. Outputs for OCR (Unit Recording Sheets,
the moderation sample) still include the units they achieved.
"""

from datetime import date

from django.db import transaction

from tracker.models import Learner, User


class LeaverError(Exception):
    """The learner cannot be marked as left or reinstated; the message says why."""


def mark_left(learner: Learner, left_on: date, reason: str) -> None:
    """Record that the learner left on ``left_on`` for ``reason`` and stop their sign-in.

    Raises LeaverError when they are already marked as left.
    """
    if learner.left_on is not None:
        raise LeaverError(f"{learner.full_name} is already marked as left ({learner.left_on}).")
    with transaction.atomic():
        learner.left_on = left_on
        learner.leaving_reason = reason.strip()
        learner.save(update_fields=["left_on", "leaving_reason"])
        if learner.user_id:
            User.objects.filter(pk=learner.user_id).update(is_active=False)


def mark_many_left(centre, leavers: dict[str, tuple[date, str]]) -> int:
    """Mark the centre's learners (candidate number -> (date, reason)) as left.

    Learners already marked as left are left as they are; return how many were marked.
    """
    learners = Learner.objects.filter(
        centre=centre, candidate_number__in=list(leavers), left_on__isnull=True
    )
    marked = 0
    with transaction.atomic():
        for learner in learners:
            left_on, reason = leavers[learner.candidate_number]
            mark_left(learner, left_on, reason)
            marked += 1
    return marked


def reinstate(learner: Learner) -> None:
    """Bring a leaver back: sign-in re-enabled, back in their group with all their records.

    Raises LeaverError when they are not marked as left.
    """
    if learner.left_on is None:
        raise LeaverError(f"{learner.full_name} has not left.")
    with transaction.atomic():
        learner.left_on = None
        learner.leaving_reason = ""
        learner.save(update_fields=["left_on", "leaving_reason"])
        if learner.user_id:
            User.objects.filter(pk=learner.user_id).update(is_active=True)
