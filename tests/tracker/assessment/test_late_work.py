"""Late work: the deadline rule, what a hand-in records, and where it shows."""

import importlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PDF
from tracker.assessment import deadlines
from tracker.assessment.progress import deadlines_for, progress_for
from tracker.evidence.services import Claim, submit_evidence
from tracker.models import Assignment, EvidenceLink, Extension

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
zones = st.sampled_from(["Europe/London", "UTC", "America/New_York", "Pacific/Auckland"])


@settings(max_examples=60, deadline=None)
@given(day=days, zone=zones, seconds=st.integers(min_value=-3 * 86400, max_value=3 * 86400))
def test_a_deadline_ends_at_the_end_of_its_day_in_the_site_time_zone(day, zone, seconds):
    with override_settings(TIME_ZONE=zone):
        due = deadlines.end_of_day(day)
        assert timezone.localtime(due).date() == day
        assert timezone.localtime(due + timedelta(microseconds=1)).date() == day + timedelta(1)
        handed_in = due + timedelta(seconds=seconds)
        late = deadlines.late_by(handed_in, due)
        assert (late is None) == (seconds <= 0)
        if late is not None:
            assert late == timedelta(seconds=seconds)
            local_day = timezone.localtime(handed_in).date()
            assert deadlines.days_late(due, late) == (local_day - day).days >= 1


@settings(max_examples=60, deadline=None)
@given(dates=st.lists(days, max_size=5), zone=zones)
def test_several_assignments_take_the_latest_and_none_means_no_deadline(dates, zone):
    with override_settings(TIME_ZONE=zone):
        due = deadlines.due_at(dates)
        if not dates:
            assert due is None
            assert deadlines.late_by(timezone.now(), due) is None
        else:
            assert due == deadlines.end_of_day(max(dates))


def test_one_minute_before_midnight_in_london_is_on_time_even_in_summer_time(settings):
    settings.TIME_ZONE = "Europe/London"
    due = deadlines.end_of_day(date(2027, 3, 30))  # British Summer Time
    on_time = datetime(2027, 3, 30, 22, 59, tzinfo=ZoneInfo("UTC"))  # 23:59 BST
    late = datetime(2027, 3, 30, 23, 1, tzinfo=ZoneInfo("UTC"))  # 00:01 BST next day
    assert deadlines.late_by(on_time, due) is None
    assert deadlines.late_by(late, due) == timedelta(minutes=1, microseconds=1)


def _assignment(cast, title, deadline, *codes):
    assignment = Assignment.objects.create(
        group=cast.group,
        unit=cast.unit30,
        title=title,
        issued_on=deadline - timedelta(weeks=3),
        deadline=deadline,
        created_by=cast.teacher,
    )
    assignment.criteria.set(cast.unit30.criteria.filter(code__in=codes))
    return assignment


def _hand_in(cast, *codes):
    return submit_evidence(
        cast.enrolment,
        cast.learner.user,
        [Claim(cast.unit30.criteria.get(code=code)) for code in codes],
        upload=SimpleUploadedFile("work.pdf", PDF),
        original_name="work.pdf",
        declared=True,
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    offsets=st.lists(st.integers(min_value=-10, max_value=10), min_size=1, max_size=3),
    extension=st.one_of(st.none(), st.integers(min_value=-10, max_value=10)),
)
def test_a_hand_in_stores_the_latest_covering_deadline_moved_by_the_extension(
    cast, offsets, extension
):
    """Over real rows: several assignments cover P2 and the learner may have an extension on
    the first; the stored deadline and lateness follow the rule."""
    with transaction.atomic():
        today = timezone.localdate()
        made = [
            _assignment(cast, f"A{i}", today + timedelta(days=offset), "P2")
            for i, offset in enumerate(offsets)
        ]
        effective = [a.deadline for a in made]
        if extension is not None:
            moved = today + timedelta(days=extension)
            Extension.objects.create(
                assignment=made[0], learner=cast.learner, deadline=moved, granted_by=cast.teacher
            )
            effective[0] = moved
        link = _hand_in(cast, "P2").links.get()
        assert link.due_at == deadlines.end_of_day(max(effective))
        assert (link.late_by is not None) == (max(effective) < today)
        if link.late_by:
            assert link.days_late == (today - max(effective)).days
        transaction.set_rollback(True)


def test_a_criterion_no_assignment_covers_has_no_deadline(cast):
    _assignment(cast, "Rights", timezone.localdate() - timedelta(days=5), "P2")
    evidence = _hand_in(cast, "P2", "P3")
    links = {link.criterion.code: link for link in evidence.links.select_related("criterion")}
    assert links["P3"].due_at is None and links["P3"].late_by is None
    assert links["P2"].late_by is not None and links["P2"].days_late == 5


def test_late_work_shows_on_the_queue_with_a_late_only_filter_and_on_the_marking_page(
    cast, client_for
):
    deadline = timezone.localdate() - timedelta(days=3)
    _assignment(cast, "Rights", deadline, "P2")
    _hand_in(cast, "P2")
    teacher = client_for("teacher")
    words = f"Handed in 3 days late (deadline {deadline:%-d %B})"
    queue = teacher.get(reverse("queue")).content.decode()
    assert '<span class="badge text-bg-warning">late</span>' in queue and words in queue
    assert "Lara Learner" in teacher.get(reverse("queue") + "?late=1").content.decode()
    marking = teacher.get(reverse("mark", args=[cast.learner.pk, cast.enrolment.pk]))
    assert words in marking.content.decode()


def test_the_late_only_filter_leaves_out_work_handed_in_on_time(cast, client_for):
    _assignment(cast, "Rights", timezone.localdate() + timedelta(days=3), "P2")
    _hand_in(cast, "P2")
    teacher = client_for("teacher")
    assert "Lara Learner" in teacher.get(reverse("queue")).content.decode()
    late_only = teacher.get(reverse("queue") + "?late=1").content.decode()
    assert "Lara Learner" not in late_only and "No late work is waiting" in late_only


def test_the_learners_deadlines_name_criteria_handed_in_late(cast):
    deadline = timezone.localdate() - timedelta(days=1)
    _assignment(cast, "Rights", deadline, "P2", "P3")
    _hand_in(cast, "P2")
    (item,) = deadlines_for(cast.learner, progress_for([cast.enrolment]))
    assert item.late == [("P2", f"Handed in 1 day late (deadline {deadline:%-d %B})")]
    assert item.outstanding == ["P3"]


def test_the_data_migration_records_lateness_of_earlier_evidence(cast):
    deadline = timezone.localdate() - timedelta(days=2)
    _assignment(cast, "Definitions", deadline, "P1")
    link = cast.evidence.links.get()
    EvidenceLink.objects.filter(pk=link.pk).update(due_at=None, late_by=None)
    migration = importlib.import_module("tracker.migrations.0015_evidence_lateness")
    migration.record_lateness(apps, None)
    link.refresh_from_db()
    assert link.due_at == deadlines.end_of_day(deadline)
    assert link.days_late == 2


def _words(response) -> str:
    """The page's main text with the tags taken out and the spaces squeezed."""
    import re

    main = response.content.decode().split("<main", 1)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def test_the_learners_home_lists_each_late_item_next_to_done_and_missing(cast, client_for):
    late = timezone.localdate() - timedelta(days=3)
    _assignment(cast, "Rights", late, "P2", "P3")
    _assignment(cast, "Choices", late + timedelta(days=10), "P4")
    _hand_in(cast, "P2", "P4")
    page = _words(client_for("learner").get(reverse("learner_home")))
    words = f"P2: Handed in 3 days late (deadline {late:%-d %B})"
    assert words in page
    # Still missing beside it, in the same deadline.
    rights = page.split("Rights", 1)[1].split("Choices", 1)[0]
    assert "✗ Late: P3 missing" in rights and words in rights
    # Handed in on time: done, and nothing called late.
    choices = page.split("Choices", 1)[1]
    assert "✓ Handed in" in choices and "late (deadline" not in choices


def test_a_deadline_handed_in_in_full_but_late_still_says_so(cast, client_for):
    late = timezone.localdate() - timedelta(days=1)
    _assignment(cast, "Rights", late, "P2")
    _hand_in(cast, "P2")
    page = _words(client_for("learner").get(reverse("learner_home")))
    assert f"✓ Handed in P2: Handed in 1 day late (deadline {late:%-d %B})" in page


def test_the_learners_unit_page_says_which_evidence_came_in_late(cast, client_for):
    late = timezone.localdate() - timedelta(days=2)
    _assignment(cast, "Rights", late, "P2")
    _hand_in(cast, "P2", "P3")
    client = client_for("learner")
    body = client.get(reverse("learner_unit", args=[cast.enrolment.pk])).content.decode()
    p2 = body.split('id="item-P2"', 1)[1].split("</li>", 1)[0]
    p3 = body.split('id="item-P3"', 1)[1].split("</li>", 1)[0]
    assert f"Handed in 2 days late (deadline {late:%-d %B})" in p2
    assert "Handed in" not in p3 and "work.pdf" in p3
