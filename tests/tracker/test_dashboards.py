"""Teacher and centre dashboards: figures, at-risk learners, and fixed query counts."""

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.tracker.test_assessment import add_learners
from tracker.assessment import decision_for, record_decision
from tracker.dashboard import group_figures
from tracker.models import Evidence

# The centre overview: session and user, the centre, its groups with units, teachers and IVs,
# the counts of learners, enrolments and staff, learners without a target, the group
# figures (as on the teacher dashboard) and the backlog per teacher: 29 whatever its size.
CENTRE_QUERIES = 29


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
    Evidence.objects.update(uploaded_at=timezone.now() - timedelta(weeks=6))
    (figures,) = group_figures([cast.group])
    assert "No evidence in 4 weeks" in figures.at_risk[0][1]


def test_teacher_dashboard_shows_the_table_beside_the_chart(cast, client_for):
    page = client_for("teacher").get(reverse("teacher_home")).content.decode()
    assert "Unit 30: learners by grade (1 learner)" in page
    assert re.search(r'<canvas data-chart="chart-g\d+-u\d+" aria-hidden="true">', page)
    assert "<strong>1</strong> criterion decision awaiting marking" in page
    assert "vendor/chartjs/chart.umd.min.js" in page


def test_teacher_dashboard_query_count_does_not_grow(cast, client_for):
    client = client_for("teacher")
    # session, user, groups, enrolments, criteria, topics, decisions, predictions,
    # exam marks, boundaries, points, late assignments, latest evidence, marking backlog,
    # upcoming deadlines, open internal verification actions, navigation learner record
    before = count_queries(client, reverse("teacher_home"))
    add_learners(cast, 6)
    assert count_queries(client, reverse("teacher_home")) == before == 17


def test_centre_dashboard_query_count_does_not_grow(cast, client_for):
    client = client_for("admin")
    before = count_queries(client, reverse("centre:home"))
    add_learners(cast, 6)
    assert count_queries(client, reverse("centre:home")) == before == CENTRE_QUERIES
