"""The centre dashboard's summaries stay equal to every learner's progress after every kind
of write (issue #18): each path in docs/performance.md's list, one write each, then the
centre's figures against the sum of `progress_for` over its learners."""

import io
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db.models import Count, Exists, F, Min, OuterRef, Q

from criteria.models import BoundarySet, Criterion, ExamSeries, Unit
from tests.tracker.reports.test_dashboards import per_learner_figures
from tracker.assessment.boundaries import save_boundaries, values_of
from tracker.assessment.bulk import record_bulk_decisions
from tracker.assessment.services import decision_for, record_decision
from tracker.evidence.services import Claim, submit_evidence, withdraw_evidence
from tracker.models import (
    Centre,
    CentreSummary,
    Decision,
    Enrolment,
    EnrolmentSummary,
    Evidence,
    ExamMark,
    GroupSummary,
    Learner,
    Prediction,
    Status,
    SummaryMarker,
    TeachingGroup,
)
from tracker.people.leavers import mark_left, reinstate
from tracker.people.targets import set_target
from tracker.reports.dashboard import GRADES, NOT_SAT, SERIES, centre_figures
from tracker.reports.summaries import refresh_summaries

pytestmark = pytest.mark.slow


def figures_of(centre) -> dict:
    return {
        figures.unit.pk: (
            figures.done,
            figures.total,
            figures.learners,
            {(s, g): figures.distribution[s][g] for s in SERIES for g in [NOT_SAT, *GRADES]},
        )
        for figures in centre_figures(centre)
    }


@pytest.fixture
def centres(db):
    for size, number in ((30, "99930"), (8, "99908")):
        call_command(
            "seed_scale", "--learners", str(size), "--centre", number, stdout=io.StringIO()
        )
    return Centre.objects.get(ocr_number="99930"), Centre.objects.get(ocr_number="99908")


def check(centres, changed: bool | None = True):
    """The dashboard's figures equal every learner's progress added up, in both centres;
    ``changed``: the write left a summary to work out again in the first centre (None: it
    may, harmlessly)."""
    mine, other = centres
    if changed is not None:
        to_work_out = SummaryMarker.objects.filter(centre=mine, group__isnull=True)
        assert to_work_out.exists() == changed
    for centre in centres:
        assert figures_of(centre) == per_learner_figures(centre)
        assert backlogs_of(centre) == waiting_per_group(centre)
        blank = Enrolment.objects.filter(target_grade="")
        without_target = Learner.objects.current().filter(centre=centre, enrolments__in=blank)
        assert CentreSummary.objects.get(centre=centre).without_target == (
            without_target.distinct().count()
        )
    assert not SummaryMarker.objects.filter(centre__in=centres).exists()


def backlogs_of(centre) -> dict[int, tuple]:
    return {
        row.group_id: (row.waiting, row.waiting_since)
        for row in GroupSummary.objects.filter(centre=centre)
    }


def waiting_per_group(centre) -> dict[int, tuple]:
    """The marking backlog counted from the decisions: handed in, not yet marked, of the
    current learners of the centre's groups."""
    return {
        row["enrolment__learner__group"]: (row["count"], row["oldest"])
        for row in Decision.objects.filter(
            status=Status.SUBMITTED,
            enrolment__learner__group__centre=centre,
            enrolment__learner__left_on__isnull=True,
        )
        .values("enrolment__learner__group")
        .annotate(count=Count("pk"), oldest=Min("submitted_at"))
        .order_by()
    }


def a_learner(centre, **filters) -> Learner:
    return Learner.objects.filter(centre=centre, left_on__isnull=True, **filters).order_by("pk")[0]


def test_every_write_path_keeps_the_dashboard_equal_to_the_learners_progress(centres, settings):
    mine, other = centres
    check(centres)  # first load: every summary worked out
    check(centres, changed=False)
    unit30 = Unit.objects.get(number=30)
    unit6 = Unit.objects.get(number=6)
    claimed = Q(decisions__status__in=[Status.ACHIEVED, Status.SUBMITTED])
    enrolment = (
        Enrolment.objects.filter(learner__centre=mine, learner__group__isnull=False, unit=unit30)
        .annotate(claimed=Count("decisions", filter=claimed))
        .order_by("claimed", "pk")[0]
    )
    learner = enrolment.learner
    teacher = learner.group.teachers.order_by("pk")[0]

    # Decisions: the marking page and data sheets (record_decision), a resubmission.
    open_criteria = (
        Criterion.objects.filter(unit=unit30)
        .exclude(
            decisions__enrolment=enrolment,
            decisions__status__in=[Status.ACHIEVED, Status.SUBMITTED],
        )
        .order_by("order")
    )
    decision = decision_for(enrolment, open_criteria[0])
    record_decision(decision, teacher, Status.ACHIEVED, "Well done.", decision.revision)
    check(centres)
    # The grid's bulk entry.
    cells = [
        (e.pk, f"c:{d.criterion_id}", d.revision)
        for e in Enrolment.objects.filter(learner__group=learner.group, unit=unit30)[:3]
        for d in e.decisions.filter(criterion__band="M")[:1]
    ]
    record_bulk_decisions(learner.group, unit30, teacher, Status.NOT_YET, cells)
    check(centres)
    # Evidence handed in, then withdrawn.
    open_criterion = open_criteria[1]
    evidence = submit_evidence(
        enrolment,
        learner.user,
        [Claim(open_criterion, "page 2")],
        upload=ContentFile(b"%PDF-1.4 work", name="work.pdf"),
        original_name="work.pdf",
        content_type="application/pdf",
        declared=True,
    )
    check(centres)
    withdraw_evidence(evidence, learner.user)
    check(centres)
    # Exam marks: entered, changed, deleted.
    series = ExamSeries.objects.filter(unit=unit6, boundary_set__isnull=False).order_by("pk")[0]
    sitting = learner.enrolments.get(unit=unit6)
    mark, _ = ExamMark.objects.update_or_create(
        enrolment=sitting, series=series, defaults={"mark": 55, "entered_by": teacher}
    )
    check(centres)
    ExamMark.objects.filter(pk=mark.pk).update(mark=1)
    check(centres)
    mark.delete()
    check(centres)
    # Boundary edits, and a series' date (which decides the order of sittings).
    boundary = BoundarySet.objects.get(series=series)
    before = values_of(boundary)
    boundary.pass_mark = boundary.pass_mark + 1
    save_boundaries(boundary, before, teacher)
    check(centres)
    ExamSeries.objects.filter(pk=series.pk).update(sat_on=date(2020, 1, 1))
    check(centres)
    # The catalogue: a unit's Near Pass, a criterion's band, load_specs.
    Unit.objects.filter(pk=unit6.pk).update(near_pass=not unit6.near_pass)
    check(centres)
    Criterion.objects.filter(unit=unit30, code="M1").update(band="D")
    check(centres)
    call_command("load_specs", stdout=io.StringIO())
    check(centres, changed=Unit.objects.filter(pk=unit6.pk, near_pass=unit6.near_pass).exists())
    # Targets and predictions.
    set_target(enrolment, "D" if enrolment.target_grade != "D" else "P", teacher, "page")
    check(centres)
    set_target(enrolment, "", teacher, "page")  # one more learner without a target
    check(centres)
    Prediction.objects.create(enrolment=enrolment, grade="M", predicted_by=teacher)
    check(centres)
    Prediction.objects.filter(enrolment=enrolment).update(grade="P")
    check(centres)
    # Leavers and reinstatement.
    # (A learner with work waiting: their group's marking backlog must lose it, then regain it.)
    waiting = Learner.objects.filter(
        centre=mine, left_on__isnull=True, enrolments__decisions__status=Status.SUBMITTED
    )
    learner = waiting.exclude(group__isnull=True).order_by("pk")[0]
    before = GroupSummary.objects.get(group=learner.group_id).waiting
    mark_left(learner, date(2026, 11, 1), "Moved away")
    check(centres)  # their rows are gone; the centre's counts are worked out again
    assert GroupSummary.objects.get(group=learner.group_id).waiting < before
    reinstate(Learner.objects.get(pk=learner.pk))
    check(centres)
    assert GroupSummary.objects.get(group=learner.group_id).waiting == before
    # Group moves: to another group, to no group, back; and between centres.
    moved = waiting.exclude(group__isnull=True).exclude(pk=learner.pk).order_by("pk")[0]
    other_group = TeachingGroup.objects.filter(centre=mine).exclude(pk=moved.group_id)[0]
    home = moved.group
    moved.group = other_group
    moved.save(update_fields=["group"])
    check(centres)
    moved.group = None
    moved.save(update_fields=["group"])
    check(centres)
    moved.group = home
    moved.save(update_fields=["group"])
    check(centres)
    moved.group = TeachingGroup.objects.filter(centre=other).order_by("pk")[0]
    moved.centre, moved.candidate_number = other, "9999"
    moved.save(update_fields=["group", "centre", "candidate_number"])
    assert SummaryMarker.objects.filter(centre=other).exists()
    check(centres)
    # A decision saved as a queryset update, as bulk_create, and deleted.
    Decision.objects.filter(enrolment__learner__centre=mine, status=Status.SUBMITTED).update(
        status=Status.ACHIEVED, revision=F("revision") + 1
    )
    check(centres)
    doomed = Decision.objects.filter(enrolment__learner__centre=mine, criterion__isnull=False)[0]
    Decision.objects.filter(pk=doomed.pk).delete()
    check(centres)
    Decision.objects.bulk_create(
        [Decision(enrolment=doomed.enrolment, criterion=doomed.criterion, status=Status.ACHIEVED)]
    )
    check(centres)
    # An enrolment removed, and one added.
    handed_in = Evidence.objects.filter(enrolment=OuterRef("pk"))
    gone = (
        Enrolment.objects.filter(learner__centre=mine, learner__group__isnull=False)
        .exclude(Exists(handed_in))
        .order_by("-pk")[0]
    )
    learner_of_gone, year = gone.learner, gone.academic_year
    gone.delete()  # its decisions go first, which marks the centre for nothing to work out
    check(centres, changed=None)
    Enrolment.objects.create(learner=learner_of_gone, unit=gone.unit, academic_year=year)
    check(centres)
    # The rule for resits changed: every row worked out under the old rule is redone.
    settings.EXAM_RESULT_RULE = "latest_series"
    assert figures_of(mine) == per_learner_figures(mine)
    assert not EnrolmentSummary.objects.exclude(rule="latest_series").filter(centre=mine).exists()


def test_a_summary_worked_out_is_not_redone_until_a_write(centres):
    mine, _ = centres
    assert refresh_summaries(mine) > 0
    assert refresh_summaries(mine) == 0
    enrolment = Enrolment.objects.filter(learner__centre=mine).order_by("pk")[0]
    Prediction.objects.create(
        enrolment=enrolment, grade="D", predicted_by=enrolment.learner.group.teachers.get()
    )
    assert refresh_summaries(mine) == 1


def test_housekeeping_works_out_missing_summaries_ahead_of_the_dashboard(centres):
    mine, other = centres
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    rows = EnrolmentSummary.objects.filter(centre__in=centres).count()
    assert f"{rows} dashboard summaries worked out" in out.getvalue()
    assert not SummaryMarker.objects.exists()
    assert refresh_summaries(mine) == refresh_summaries(other) == 0
