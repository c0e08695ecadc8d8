"""`progress_for(plain_items=True)`, for exports: the same grades, points, exam results and
flags as with every item, each item's status and decision date in plain lists, in the same
number of queries."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker.assessment.progress import progress_for
from tracker.assessment.services import decision_for, record_decision
from tracker.models import Centre, Enrolment, Status


def shown(progress) -> tuple:
    """What the export reads from a learner-unit's progress, but the items."""
    return (
        progress.enrolment.pk,
        progress.done,
        progress.submitted,
        progress.total,
        progress.achieved,
        progress.projected,
        progress.lowest,
        progress.highest,
        progress.points,
        progress.projected_points,
        progress.points_verified,
        progress.flags,
        progress.late_work,
        progress.below_target,
        progress.not_sat,
        [(r.mark.pk, r.grade, r.boundaries and r.boundaries.pk) for r in progress.exam_results],
        progress.graded_by.mark.pk if progress.graded_by else None,
        progress.prediction.grade if progress.prediction else None,
    )


def items_of(progress) -> list[tuple]:
    """Each item's (status, decision date): a criterion's date, never a topic's."""
    return [
        (
            item.status,
            item.decision.decided_at if item.decision and not progress.unit.is_examined else None,
        )
        for item in progress.items
    ]


def both(enrolments) -> tuple[list, list, int, int]:
    with CaptureQueriesContext(connection) as full_queries:
        full = progress_for(enrolments.all(), with_assessors=False, with_dates=True)
    with CaptureQueriesContext(connection) as plain_queries:
        plain = progress_for(
            enrolments.all(), with_assessors=False, with_dates=True, plain_items=True
        )
    return full, plain, len(full_queries), len(plain_queries)


def assert_same(full: list, plain: list) -> None:
    assert [shown(p) for p in plain] == [shown(p) for p in full]
    assert [list(zip(p.statuses, p.decided, strict=True)) for p in plain] == [
        items_of(p) for p in full
    ]
    assert all(p.items == [] and p.steps == [] and p.next_steps == {} for p in plain)


def test_plain_items_progress_equals_the_full_progress(cast):
    enrolment = cast.enrolment
    enrolment.target_grade = "D"
    enrolment.save()
    for code in ("P1", "P2"):
        decision = decision_for(enrolment, cast.unit30.criteria.get(code=code))
        record_decision(decision, cast.teacher, Status.ACHIEVED, "", decision.revision)
    handed_in = decision_for(enrolment, cast.unit30.criteria.get(code="M1"))
    handed_in.status = Status.SUBMITTED
    handed_in.save()
    enrolments = Enrolment.objects.select_related("unit__suite", "learner__group")
    full, plain, full_queries, plain_queries = both(enrolments)
    assert_same(full, plain)
    assert plain_queries == full_queries
    (mine,) = [p for p in plain if p.enrolment.pk == enrolment.pk]
    assert (mine.done, mine.submitted, mine.total) == (2, 1, 14)
    assert mine.statuses[:2] == [Status.ACHIEVED, Status.ACHIEVED]
    assert mine.decided[0] is not None and mine.decided[-1] is None


def test_plain_items_without_dates_leaves_them_out(cast):
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code="P1"))
    record_decision(decision, cast.teacher, Status.ACHIEVED, "", decision.revision)
    enrolments = Enrolment.objects.select_related("unit__suite", "learner__group")
    plain = progress_for(enrolments, with_assessors=False, plain_items=True)
    (mine,) = [p for p in plain if p.enrolment.pk == cast.enrolment.pk]
    assert mine.statuses[0] == Status.ACHIEVED and mine.decided == [None] * 14


@pytest.mark.parametrize("other", [{"with_assessors": True}, {"with_items": False}])
def test_plain_items_refuses_the_other_shapes(cast, other):
    enrolments = Enrolment.objects.select_related("unit__suite", "learner__group")
    with pytest.raises(ValueError, match="plain_items"):
        progress_for(enrolments, **{"with_assessors": False, **other, "plain_items": True})


@pytest.mark.slow
def test_plain_items_progress_equals_the_full_progress_in_a_seeded_centre(db):
    call_command("seed_scale", "--learners", "45", "--centre", "99946", stdout=io.StringIO())
    centre = Centre.objects.get(ocr_number="99946")
    enrolments = Enrolment.objects.filter(learner__centre=centre).select_related(
        "unit__suite", "learner__group"
    )
    full, plain, full_queries, plain_queries = both(enrolments)
    assert_same(full, plain)
    assert plain_queries == full_queries
    assert any(p.flags for p in plain) and any(p.graded_by for p in plain)
    assert any(at is not None for p in plain for at in p.decided)
