"""Qualification grade distributions on the teacher's home and the group page."""

from django.urls import reverse

from tests.conftest import make_learner
from tests.tracker.assessment.test_qualifications import diploma_on_200_points
from tracker.models import GradeOnlyResult
from tracker.reports.qualification_summary import group_summaries


def test_the_group_counts_learners_by_qualification_grade_and_lists_those_below_target(cast):
    diploma_on_200_points(cast)
    unit6 = cast.learner.enrolments.get(unit=cast.unit6)
    unit6.target_grade = "D"
    unit6.save()
    ((group, summary),) = group_summaries([cast.group])
    assert group == cast.group
    assert summary.registered == 1 and summary.unregistered == 0
    rows = dict(summary.rows)
    assert rows["Predicted"] == [("Distinction Distinction (DD)", 1)]
    assert summary.unverified
    # Target 202 points and predicted 200 are both Distinction Distinction: on target.
    assert summary.below == []
    # Unit 10 predicted Pass instead of Distinction: 196 points is Distinction Merit, below
    # the target's 198 points, Distinction Distinction.
    GradeOnlyResult.objects.filter(learner=cast.learner, qualification_unit__number=10).update(
        predicted="P"
    )
    ((_, summary),) = group_summaries([cast.group])
    ((learner, state),) = summary.below
    assert learner == cast.learner
    assert (state.predicted.words, state.target.words) == (
        "Distinction Merit (DM)",
        "Distinction Distinction (DD)",
    )


def test_teacher_home_and_group_page_show_the_distribution(cast, client_for):
    diploma_on_200_points(cast)
    teacher = client_for("teacher")
    for url in (reverse("teacher_home"), reverse("group", args=[cast.group.pk])):
        page = teacher.get(url).content.decode()
        assert "Qualification predictions" in page
        assert "Distinction Distinction (DD): <strong>1</strong>" in page


def test_the_summary_takes_the_same_queries_however_many_learners(cast, django_assert_num_queries):
    diploma_on_200_points(cast)
    group_summaries([cast.group])  # warm any per-process caches
    # learners, then the qualification service (qualifications, units, ranges, centre
    # ranges, tariffs, unit points, grade-only results) and progress_for's own queries.
    with django_assert_num_queries(17) as first:
        group_summaries([cast.group])
    for number in range(4):
        learner = make_learner(cast.centre, cast.group, f"{number + 50:04d}", "Extra", f"N{number}")
        learner.qualification = cast.learner.qualification
        learner.save()
    with django_assert_num_queries(len(first.captured_queries)):
        group_summaries([cast.group])
