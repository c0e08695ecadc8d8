"""`progress_for(with_items=False)`, for the dashboards: the same grades, counts, points and
flags as with every item, in the same number of queries."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker.assessment.progress import progress_for
from tracker.assessment.services import decision_for, record_decision
from tracker.models import Centre, Enrolment, Status


def shown(progress) -> tuple:
    """What a dashboard reads from a learner-unit's progress."""
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
        progress.below_target,
        progress.not_sat,
        progress.graded_by.mark.pk if progress.graded_by else None,
        progress.prediction.pk if progress.prediction else None,
    )


def both(enrolments) -> tuple[list, list, int, int]:
    with CaptureQueriesContext(connection) as full_queries:
        full = progress_for(enrolments.all(), with_assessors=False)
    with CaptureQueriesContext(connection) as counted_queries:
        counted = progress_for(enrolments.all(), with_assessors=False, with_items=False)
    return full, counted, len(full_queries), len(counted_queries)


def test_counts_only_progress_equals_the_full_progress(cast):
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
    full, counted, full_queries, counted_queries = both(enrolments)
    assert [shown(p) for p in counted] == [shown(p) for p in full]
    # No exam series has boundaries here: counts only asks for no exam marks.
    assert counted_queries == full_queries - 1
    (mine,) = [p for p in counted if p.enrolment.pk == enrolment.pk]
    assert (mine.done, mine.submitted, mine.total) == (2, 1, 14)
    assert mine.items == [] and mine.steps == []


@pytest.mark.slow
def test_counts_only_progress_equals_the_full_progress_in_a_seeded_centre(db):
    call_command("seed_scale", "--learners", "45", "--centre", "99945", stdout=io.StringIO())
    centre = Centre.objects.get(ocr_number="99945")
    enrolments = Enrolment.objects.filter(learner__centre=centre).select_related(
        "unit__suite", "learner__group"
    )
    full, counted, full_queries, counted_queries = both(enrolments)
    assert [shown(p) for p in counted] == [shown(p) for p in full]
    assert counted_queries == full_queries
    assert any(p.flags for p in counted) and any(p.graded_by for p in counted)
