"""Every main page costs the same queries in a small and a three times larger centre.

Each count is pinned with the queries it is made of, in order. The centres come from
`seed_scale`, so every list on the pages has rows: decisions in all states, evidence,
predictions, mock and exam marks, assignments and internal verification samples.
"""

import io
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from criteria.models import BoundarySet, ExamSeries
from tracker.models import (
    Action,
    Assignment,
    Centre,
    Check,
    Decision,
    DecisionChange,
    Enrolment,
    EnrolmentSummary,
    Evidence,
    EvidenceLink,
    ExamMark,
    Extension,
    Learner,
    Prediction,
    Record,
    Sample,
    SampleItem,
    Status,
    User,
)
from tracker.reports.summaries import refresh_every_centre, refresh_summaries

pytestmark = pytest.mark.slow  # backup/restore and seed_scale: real work, seconds each

SIZES = (20, 60)


@dataclass
class Seeded:
    """A seeded centre and the people and records its pages are asked about."""

    centre: Centre
    admin: User
    teacher: User
    learner: User
    enrolment: Enrolment

    @property
    def group(self):
        return self.enrolment.learner.group


def subjects(centre: Centre) -> Seeded:
    """Return the centre's admin, and the first learner of its first group with their
    teacher and Unit 30 enrolment."""
    group = centre.groups.order_by("pk").first()
    enrolment = (
        Enrolment.objects.filter(learner__group=group, unit__number=30)
        .select_related("learner__user", "learner__group")
        .order_by("learner__last_name")
        .first()
    )
    return Seeded(
        centre=centre,
        admin=User.objects.get(username=f"{centre.ocr_number}-admin"),
        teacher=group.teachers.get(),
        learner=enrolment.learner.user,
        enrolment=enrolment,
    )


def seed(size: int) -> Seeded:
    number = f"999{size:02d}"
    call_command("seed_scale", "--learners", str(size), "--centre", number, stdout=io.StringIO())
    return subjects(Centre.objects.get(ocr_number=number))


@pytest.fixture
def centres(db) -> dict[int, Seeded]:
    seeded = {size: seed(size) for size in SIZES}
    # The centre dashboard's summaries as a centre has them between writes (their refresh
    # after a write is pinned in test_the_centre_dashboard_refresh_costs_the_same_queries).
    refresh_every_centre()
    return seeded


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


PAGES = {
    # session, user, learner, enrolments, criteria, topics, decisions, predictions, exam
    # marks, boundaries, points, assignments (late flags), their criteria, extensions,
    # centre (aspiration step), group, teachers, the learner's extensions, deadlines with
    # their criteria, late hand-ins, unread notifications (count)
    "learner home": (22, lambda s: (s.learner, reverse("learner_home"))),
    # session, user, enrolment, criteria, decisions, predictions, points, assignments, their
    # criteria, extensions, evidence links, evidence, their links, criteria, decisions,
    # navigation learner record
    "learner unit page": (
        16,
        lambda s: (s.learner, reverse("learner_unit", args=[s.enrolment.pk])),
    ),
    # session, user, groups, enrolments, their units (one copy each, shared), criteria,
    # topics, decisions, predictions, boundaries, the graded exam marks, points, assignments
    # (late flags), their criteria, extensions, latest evidence, marking backlog, upcoming
    # deadlines, navigation learner record, open internal verification actions, learners for
    # the qualification summary
    "teacher dashboard": (21, lambda s: (s.teacher, reverse("teacher_home"))),
    # session, user, learner-units waiting (count, then the page), their decisions,
    # navigation learner record
    "marking queue": (7, lambda s: (s.teacher, reverse("queue"))),
    # session, user, staff membership, group, unit, enrolments, criteria, decisions,
    # predictions, points, assignments (late flags), their criteria, extensions, the
    # group's assignments for the filter, "teaches the group", evidence handed in per cell
    # (bulk entry's warning), navigation learner record
    "group grid": (
        17,
        lambda s: (s.teacher, reverse("grid", args=[s.group.pk, s.enrolment.unit_id])),
    ),
    # session, user, staff membership, learner, enrolment, criteria, decisions, predictions,
    # points, assignments (late flags), their criteria, extensions, evidence links, "teaches
    # the group", decisions with their history, evidence with a hash, the same files from
    # other learners, "is lead assessor", navigation learner record
    "marking page": (
        20,
        lambda s: (
            s.teacher,
            reverse("mark", args=[s.enrolment.learner_id, s.enrolment.pk]),
        ),
    ),
    # session, user, staff membership, assessors (count, then the page), per assessor and
    # unit: assessed, sampled, checks, actions; outstanding actions (count), navigation
    # learner record, outstanding actions page
    "IV report": (12, lambda s: (s.admin, reverse("iv_report"))),
    # CENTRE_QUERIES in test_dashboards.py (exam boundaries cost nothing more: they are in
    # the summaries)
    "centre dashboard": (19, lambda s: (s.admin, reverse("centre:home"))),
}


@pytest.mark.parametrize("page", PAGES)
def test_a_page_costs_the_same_queries_in_a_larger_centre(centres, page, django_assert_num_queries):
    expected, subject = PAGES[page]
    for size in SIZES:
        user, url = subject(centres[size])
        client = signed_in(user)
        with django_assert_num_queries(expected):
            response = client.get(url)
        assert response.status_code == 200, (page, size)


def test_the_centre_dashboard_refresh_costs_the_same_queries_in_a_larger_centre(centres):
    """After writes, the dashboard works out the missing summaries: the same queries
    whatever the centre's size (per 2,000 learner-units), and the rows written in as few
    inserts as the database takes."""
    costs = []
    for size in SIZES:
        seeded = centres[size]
        Decision.objects.filter(
            enrolment__learner__centre=seeded.centre, status=Status.SUBMITTED
        ).update(status=Status.ACHIEVED)
        with CaptureQueriesContext(connection) as queries:
            written = refresh_summaries(seeded.centre)
        inserts = [q for q in queries.captured_queries if "INSERT" in q["sql"]]
        fields = list(EnrolmentSummary._meta.concrete_fields)
        batch = connection.ops.bulk_batch_size(fields, [None] * written)
        assert written > size / 2 and len(inserts) == -(-written // batch)
        costs.append(len(queries) - len(inserts))
        with CaptureQueriesContext(connection) as queries:
            assert refresh_summaries(seeded.centre) == 0
        assert len(queries) == 1
    assert costs[0] == costs[1]


def test_the_marking_queue_comes_a_page_at_a_time_oldest_first(db):
    seeded = seed(60)  # one teacher of three groups: more than a page of learner-units
    client = signed_in(seeded.teacher)
    first = client.get(reverse("queue"))
    second = client.get(reverse("queue") + "?page=2").context
    assert first.context["page"].paginator.num_pages == 2
    assert '<nav aria-label="Marking queue pages"' in first.content.decode()
    assert 'rel="next" href="?page=2"' in first.content.decode()
    since = [row["since"] for row in first.context["rows"]] + [
        row["since"] for row in second["rows"]
    ]
    assert since == sorted(since)
    waiting = Decision.objects.filter(
        status=Status.SUBMITTED, enrolment__learner__group__teachers=seeded.teacher
    )
    assert len(since) == waiting.values("enrolment").distinct().count()


def test_centre_lists_page_independently(db):
    seeded = seed(60)
    Enrolment.objects.filter(learner__centre=seeded.centre).update(target_grade="")
    page = signed_in(seeded.admin).get(reverse("centre:home") + "?learners=2&groups=1")
    assert page.context["without_target"].number == 2
    assert page.context["groups"].number == 1
    html = page.content.decode()
    assert '<nav aria-label="Pages of learners without a target"' in html
    assert 'href="?learners=1&amp;groups=1#without-target"' in html  # keeps the other list


def test_seed_scale_writes_every_kind_of_row_and_the_pages_render(db):
    output = io.StringIO()
    call_command("seed_scale", "--learners", "45", "--centre", "99945", stdout=output)
    assert output.getvalue().startswith("Centre 99945: 45 learners, ")
    centre = Centre.objects.get(ocr_number="99945")
    mine = {"enrolment__learner__centre": centre}
    assert Learner.objects.filter(centre=centre, user__isnull=False).count() == 45
    assert centre.groups.count() == 3
    decisions = Decision.objects.filter(**mine)
    assert set(decisions.values_list("status", flat=True)) == {
        Status.ACHIEVED,
        Status.SUBMITTED,
        Status.NOT_YET,
    }
    assert decisions.filter(topic__isnull=False).exists()
    assert decisions.filter(attempts=2).exists()  # resubmitted and achieved
    changes = DecisionChange.objects.filter(decision__in=decisions)
    assert changes.count() > decisions.count()
    assert changes.filter(note="resubmission").exists()
    evidence = Evidence.objects.filter(**mine)
    assert set(evidence.values_list("kind", flat=True)) == {"upload", "observation"}
    assert evidence.filter(replaces__isnull=False).exists()
    assert EvidenceLink.objects.filter(evidence__in=evidence, topic__isnull=False).exists()
    assert Decision.evidence.through.objects.filter(evidence__in=evidence).exists()
    assert Prediction.objects.filter(**mine).count() > 45
    kinds = set(ExamMark.objects.filter(**mine).values_list("series__kind", flat=True))
    assert kinds == {"mock", "real"}
    mine_or_shared = ExamSeries.objects.filter(unit__number=6).for_centre(centre.pk)
    assert BoundarySet.objects.filter(series__in=mine_or_shared).count() == 2
    assert Assignment.objects.filter(group__centre=centre).count() == 30
    assert Extension.objects.filter(learner__centre=centre).exists()
    items = SampleItem.objects.filter(sample__group__centre=centre)
    assert Sample.objects.filter(group__centre=centre).count() == 3
    assert set(items.values_list("judgement", flat=True)) == {"", "agree", "disagree"}
    assert items.filter(signed_off_at__isnull=False).exists()
    assert set(Check.objects.filter(item__in=items).values_list("agrees", flat=True)) == {
        True,
        False,
    }
    assert set(Action.objects.filter(item__in=items).values_list("state", flat=True)) == set(
        Action.State.values
    )
    assert Record.objects.filter(item__in=items).exists()
    seeded = subjects(centre)
    for page, (_, subject) in PAGES.items():
        user, url = subject(seeded)
        assert signed_in(user).get(url).status_code == 200, page
