"""Teacher and centre dashboards: figures, at-risk learners, and fixed query counts."""

import io
import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from criteria.models import BoundarySet, ExamSeries
from tests.conftest import make_learner
from tests.tracker.assessment.test_assessment import add_learners
from tracker.assessment.progress import progress_for
from tracker.assessment.services import decision_for, record_decision
from tracker.models import Centre, Evidence, ExamMark, Learner, Prediction, TeachingGroup
from tracker.reports.dashboard import GRADES, NOT_SAT, SERIES, centre_figures, group_figures
from tracker.reports.summaries import refresh_summaries

# The centre overview: session, user, staff membership, centre, whether a summary is missing,
# the centre's summary (figures and learners without a target), the units with their
# criteria and topics; marking backlog (count, then the page), groups (count, then the page
# with its units, teachers and internal verifiers), counts of learners and staff, learners
# without a target (the page), learners in no group, navigation learner record: 19 whatever
# its size, once the summaries are there (their refresh: test_query_counts.py).
CENTRE_QUERIES = 19


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_group_figures_count_grades_progress_and_backlog(cast):
    enrolment = cast.enrolment
    enrolment.target_grade = "M"
    enrolment.save()
    for criterion in cast.unit30.criteria.filter(band="P"):
        decision = decision_for(enrolment, criterion)
        record_decision(decision, cast.teacher, "achieved", "", decision.revision)
    (figures,) = group_figures([cast.group])
    unit30 = figures.units[cast.unit30.pk]
    assert (unit30.done, unit30.total, unit30.learners) == (10, 14, 1)
    assert unit30.distribution["achieved"]["P"] == 1
    assert unit30.distribution["target"]["M"] == 1
    assert figures.awaiting == 0
    assert figures.at_risk[0][0] == cast.learner
    assert "Unit 30: Below target (Merit)" in figures.at_risk[0][1]


def test_a_learner_without_recent_evidence_is_at_risk(cast):
    Learner.objects.update(joined_at=timezone.now() - timedelta(weeks=8))
    Evidence.objects.update(uploaded_at=timezone.now() - timedelta(weeks=6))
    (figures,) = group_figures([cast.group])
    assert "No evidence in 4 weeks" in figures.at_risk[0][1]


def test_a_newly_joined_learner_is_not_flagged_until_four_weeks_after_joining(cast):
    new = make_learner(cast.centre, cast.group, "0100", "Nia", "New")
    Learner.objects.filter(pk=new.pk).update(joined_at=timezone.now() - timedelta(weeks=3))
    (figures,) = group_figures([cast.group])
    assert new not in [learner for learner, _ in figures.at_risk]
    Learner.objects.filter(pk=new.pk).update(joined_at=timezone.now() - timedelta(weeks=5))
    (figures,) = group_figures([cast.group])
    flags = dict(figures.at_risk)[Learner.objects.get(pk=new.pk)]
    assert "No evidence in 4 weeks" in flags


def test_teacher_dashboard_shows_the_table_beside_the_chart(cast, client_for):
    page = client_for("teacher").get(reverse("teacher_home")).content.decode()
    assert "Unit 30: learners by grade (1 learner)" in page
    assert re.search(r'<canvas data-chart="chart-g\d+-u\d+" aria-hidden="true">', page)
    assert "<strong>1</strong> criterion decision awaiting marking" in page
    assert "vendor/chartjs/chart.umd.min.js" in page


def test_teacher_dashboard_query_count_does_not_grow(cast, client_for):
    client = client_for("teacher")
    # session, user, groups, enrolments, their units, criteria, topics, decisions,
    # predictions, boundaries (no exam marks asked for: no series has boundaries), points,
    # late assignments, latest evidence, marking backlog, upcoming deadlines, open internal
    # verification actions, navigation learner record with the count of unread
    # notifications, the newest unread (the learner's hand-in), learners for the
    # qualification summary (none registered on a qualification here)
    before = count_queries(client, reverse("teacher_home"))
    add_learners(cast, 6)
    assert count_queries(client, reverse("teacher_home")) == before == 19


def test_centre_dashboard_query_count_does_not_grow(cast, client_for):
    client = client_for("admin")
    refresh_summaries(cast.centre)
    before = count_queries(client, reverse("centre:home"))
    add_learners(cast, 6)
    refresh_summaries(cast.centre)
    assert count_queries(client, reverse("centre:home")) == before == CENTRE_QUERIES


def per_learner_figures(centre) -> dict[int, tuple]:
    """Add up every learner's progress per unit, as the centre dashboard used to."""
    totals: dict[int, list] = {}
    for figures in group_figures(TeachingGroup.objects.filter(centre=centre)):
        for unit_id, unit in figures.units.items():
            total = totals.setdefault(unit_id, [0, 0, 0, {}])
            total[0] += unit.done
            total[1] += unit.total
            total[2] += unit.learners
            for series in SERIES:
                for grade in [NOT_SAT, *GRADES]:
                    count = unit.distribution[series][grade]
                    total[3][series, grade] = total[3].get((series, grade), 0) + count
    return {unit_id: (*total[:3], total[3]) for unit_id, total in totals.items()}


@pytest.mark.slow
def test_centre_figures_counted_in_the_database_equal_the_per_learner_progress(db):
    call_command("seed_scale", "--learners", "45", "--centre", "99945", stdout=io.StringIO())
    centre = Centre.objects.get(ocr_number="99945")
    # A learner in no group counts in neither; a newer prediction replaces the older one.
    first, last = centre.learners.order_by("pk")[:1].get(), centre.learners.order_by("-pk")[0]
    Learner.objects.filter(pk=first.pk).update(group=None)
    Prediction.objects.create(
        enrolment=last.enrolments.get(unit__number=30),
        grade="D",
        predicted_by=last.group.teachers.get(),
    )
    counted = {
        figures.unit.pk: (
            figures.done,
            figures.total,
            figures.learners,
            {(s, g): figures.distribution[s][g] for s in SERIES for g in [NOT_SAT, *GRADES]},
        )
        for figures in centre_figures(centre)
    }
    assert counted == per_learner_figures(centre)
    for done, total, learners, distribution in counted.values():
        assert learners == 44 and 0 < done < total
        for series in SERIES:  # the seeded centre spreads across grades in every series
            assert sum(1 for g in GRADES if distribution[series, g]) >= 3, series


def exam_series(cast, name: str, kind: str, sat_on=None):
    """A series of Unit 6 with boundaries (pass 28, merit 38, distinction 48, near pass 22)."""
    made = ExamSeries.objects.create(
        unit=cast.unit6,
        name=name,
        kind=kind,
        sat_on=sat_on,
        centre=cast.centre if kind == ExamSeries.Kind.MOCK else None,
    )
    BoundarySet.objects.create(
        series=made,
        max_mark=60,
        distinction=48,
        merit=38,
        pass_mark=28,
        near_pass=22,
        source="made up for the test",
        illustrative=True,
    )
    return made


def test_an_exam_not_sat_yet_is_its_own_row_never_unclassified_nor_below_target(cast):
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    enrolment.target_grade = "M"
    enrolment.save()
    (figures,) = group_figures([cast.group])
    unit6 = figures.units[cast.unit6.pk]
    assert unit6.distribution["achieved"] == {NOT_SAT: 1}
    assert unit6.distribution["projected"] == {NOT_SAT: 1}
    assert dict(unit6.rows())["Not sat yet"] == [1, 1, 0, 0]  # achieved, projected
    assert dict(unit6.rows())["Unclassified"] == [0, 0, 0, 0]
    assert unit6.chart()["grades"][0] == "Not sat yet"
    assert not any("Unit 6" in flag for _, flags in figures.at_risk for flag in flags)
    # The centre counts every learner of the centre the same way.
    (centre_unit6,) = [f for f in centre_figures(cast.centre) if f.unit.pk == cast.unit6.pk]
    assert centre_unit6.distribution["achieved"][NOT_SAT] == 2
    assert centre_unit6.distribution["achieved"]["U"] == 0
    # The teacher's own prediction below target is still flagged.
    Prediction.objects.create(enrolment=enrolment, grade="P", predicted_by=cast.teacher)
    (figures,) = group_figures([cast.group])
    assert "Unit 6: Below target (Merit)" in dict(figures.at_risk)[cast.learner]


def test_a_graded_mock_projects_while_the_exam_is_not_sat_yet(cast):
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    enrolment.target_grade = "D"
    enrolment.save()
    mock = exam_series(cast, "Mock 1", ExamSeries.Kind.MOCK)
    ExamMark.objects.create(enrolment=enrolment, series=mock, mark=30, entered_by=cast.teacher)
    (figures,) = group_figures([cast.group])
    unit6 = figures.units[cast.unit6.pk]
    assert unit6.distribution["achieved"] == {NOT_SAT: 1}
    assert unit6.distribution["projected"] == {"P": 1}
    assert not any("Unit 6" in flag for _, flags in figures.at_risk for flag in flags)
    (centre_unit6,) = [f for f in centre_figures(cast.centre) if f.unit.pk == cast.unit6.pk]
    assert +centre_unit6.distribution["achieved"] == {NOT_SAT: 2}
    assert centre_unit6.distribution["projected"]["P"] == 1


@pytest.mark.parametrize("rule, grade", [("best", "M"), ("latest_series", "P")])
def test_dashboards_count_the_exam_result_that_counts_not_the_mark_typed_last(
    cast, settings, rule, grade
):
    """A Merit in January, a Pass at the June resit, and the January mark re-typed last:
    the counting rule decides, as on the learner's page, never when a mark was saved."""
    settings.EXAM_RESULT_RULE = rule
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    june = exam_series(cast, "June 2026", ExamSeries.Kind.REAL, date(2026, 6, 10))
    january = exam_series(cast, "January 2026", ExamSeries.Kind.REAL, date(2026, 1, 10))
    ExamMark.objects.create(enrolment=enrolment, series=june, mark=30, entered_by=cast.teacher)
    ExamMark.objects.create(enrolment=enrolment, series=january, mark=40, entered_by=cast.teacher)
    # An older mock typed in last must not decide the projected grade either.
    mock = exam_series(cast, "Mock December 2025", ExamSeries.Kind.MOCK)
    ExamMark.objects.create(enrolment=enrolment, series=mock, mark=50, entered_by=cast.teacher)
    (progress,) = progress_for([enrolment])
    assert progress.achieved.value == grade == progress.graded_by.grade.value
    (figures,) = group_figures([cast.group])
    unit6 = figures.units[cast.unit6.pk]
    assert unit6.distribution["achieved"] == {grade: 1}
    assert unit6.distribution["projected"] == {grade: 1}
    (centre_unit6,) = [f for f in centre_figures(cast.centre) if f.unit.pk == cast.unit6.pk]
    assert centre_unit6.distribution["achieved"][grade] == 1
    assert centre_unit6.distribution["projected"][grade] == 1
    assert centre_unit6.distribution["achieved"][NOT_SAT] == 1  # the other learner


def test_both_dashboards_show_the_not_sat_yet_row_for_unit_6_only(cast, client_for):
    for role, url in (("teacher", "teacher_home"), ("admin", "centre:home")):
        page = client_for(role).get(reverse(url)).content.decode()
        assert page.count('<th scope="row">Not sat yet</th>') == 1, role
        assert "Not sat yet" in page.split("Unit 6: learners by grade")[1].split("</table>")[0]


def test_the_centre_overview_names_learners_in_no_group(cast, client_for):
    loose = make_learner(cast.centre, cast.group, "0777", "Isla", "Roberts")
    Learner.objects.filter(pk=loose.pk).update(group=None)
    page = client_for("admin").get(reverse("centre:home")).content.decode()
    listed = page.split('id="ungrouped"')[1].split("</ul>")[0]
    assert f'<a href="{loose.get_absolute_url()}">Isla Roberts</a> (0777)' in listed
    assert ">1</span>" in listed
