"""Assessment: the core loop, history, conflicts, resubmission policy, predictions, exams."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from criteria.grading import Grade
from criteria.models import BoundarySet, ExamSeries
from tests.conftest import PDF, make_learner
from tracker.assessment.progress import progress_for
from tracker.models import (
    Assignment,
    Decision,
    DecisionChange,
    ExamMark,
    Extension,
    LeadAssessor,
    Prediction,
    Status,
)


def key(cast, code: str) -> str:
    return f"c:{cast.unit30.criteria.get(code=code).pk}"


def decide(client, cast, code, status, feedback="", revision=None, htmx=False, grid=False):
    decision = Decision.objects.filter(enrolment=cast.enrolment, criterion__code=code).first()
    data = {
        "item": key(cast, code),
        "revision": revision if revision is not None else (decision.revision if decision else 0),
        "status": status,
        "feedback": feedback,
    }
    if grid:
        data["from"] = "grid"
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        reverse("decide", args=[cast.learner.pk, cast.enrolment.pk]), data, headers=headers
    )


def text(response) -> str:
    """Return the page's words without tags, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split()).replace(" ,", ",")


def progress(cast):
    (result,) = progress_for([cast.enrolment])
    return result


def test_the_core_loop_upload_assess_and_see_the_grade(cast, client_for):
    learner = client_for("learner")
    learner.post(
        reverse("upload", args=[cast.enrolment.pk]),
        {
            "file": SimpleUploadedFile("rights.pdf", PDF),
            "items": [key(cast, "P2"), key(cast, "M1")],
            "declaration": "on",
        },
    )
    page = text(learner.get(reverse("learner_home")))
    assert "For Pass: P3, P4, P5, P6, P7, P8, P9, P10 . ● P1, P2: waiting for your teacher" in page

    teacher = client_for("teacher")
    queue = teacher.get(reverse("queue")).content.decode()
    assert "Lara Learner" in queue and "P1, P2, M1" in queue
    decide(teacher, cast, "P1", "achieved", "Clear definition.")
    decide(teacher, cast, "P2", "not_yet", "Link rights to choice with an example.")

    state = progress(cast)
    statuses = {entry.code: entry.status for entry in state.items}
    assert statuses["P1"] == Status.ACHIEVED and statuses["P2"] == Status.NOT_YET
    assert state.achieved is Grade.U
    page = learner.get(reverse("learner_unit", args=[cast.enrolment.pk])).content.decode()
    assert "Link rights to choice with an example." in page
    assert "✗ Not yet achieved" in page
    history = DecisionChange.objects.filter(decision__criterion__code="P2").order_by("pk")
    assert [(c.old_status, c.new_status) for c in history] == [
        ("not_started", "submitted"),
        ("submitted", "not_yet"),
    ]


def test_grades_follow_the_decisions(cast, client_for):
    teacher = client_for("teacher")
    for criterion in cast.unit30.criteria.filter(band="P"):
        decide(teacher, cast, criterion.code, "achieved")
    state = progress(cast)
    assert state.achieved is Grade.P
    assert state.points == 70  # 2012 suite: Pass 7 per credit × 10 credits (unverified)
    assert state.points_verified is False
    assert state.next_steps == {Grade.M: ["M1", "M2", "M3"], Grade.D: ["M1", "M2", "M3", "D1"]}


def test_projected_grade_counts_submitted_work(cast, client_for):
    teacher = client_for("teacher")
    for criterion in cast.unit30.criteria.filter(band="P").exclude(code="P1"):
        decide(teacher, cast, criterion.code, "achieved")
    state = progress(cast)  # P1 is submitted in the cast
    assert (state.achieved, state.projected) == (Grade.U, Grade.P)


def test_htmx_decision_returns_the_row_and_the_new_summary(cast, client_for):
    response = decide(client_for("teacher"), cast, "P1", "achieved", htmx=True)
    body = response.content.decode()
    assert 'id="item-P1"' in body and "✓ Achieved" in body
    assert 'id="unit-summary" hx-swap-oob="true"' in body


def test_grid_cell_edit_updates_grade_and_points_in_place(cast, client_for):
    teacher = client_for("teacher")
    for criterion in cast.unit30.criteria.filter(band="P").exclude(code="P10"):
        decide(teacher, cast, criterion.code, "achieved")
    response = decide(teacher, cast, "P10", "achieved", htmx=True, grid=True)
    body = response.content.decode()
    assert 'id="cell-' in body and '✓<span class="vh"> Achieved</span>' in body
    assert 'id="grade-' in body and "Pass" in body
    assert 'id="points-' in body and ">70" in body


def test_a_stale_save_is_refused_not_overwritten(cast, client_for):
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    stale = decision.revision
    decide(client_for("teacher"), cast, "P1", "achieved", "Good.", revision=stale)
    response = decide(
        client_for("teacher"), cast, "P1", "not_yet", "No.", revision=stale, htmx=True
    )
    assert "This decision was changed by Teacher Staff at" in response.content.decode()
    decision.refresh_from_db()
    assert (decision.status, decision.feedback) == (Status.ACHIEVED, "Good.")


def test_every_change_is_kept_and_shown(cast, client_for):
    teacher = client_for("teacher")
    decide(teacher, cast, "P1", "not_yet", "Add a source.")
    decide(teacher, cast, "P1", "achieved", "Now referenced.")
    page = teacher.get(reverse("mark", args=[cast.learner.pk, cast.enrolment.pk])).content.decode()
    assert "History of P1 (3)" in page
    assert "“Add a source.”" in page and "“Now referenced.”" in page


def test_resubmission_is_counted_and_warned_not_blocked(cast, client_for):
    teacher, learner = client_for("teacher"), client_for("learner")
    decide(teacher, cast, "P1", "not_yet", "Define it in your own words.")
    learner.post(
        reverse("upload", args=[cast.enrolment.pk]),
        {
            "file": SimpleUploadedFile("v2.pdf", PDF),
            "items": [key(cast, "P1")],
            "declaration": "on",
        },
    )
    response = decide(client_for("teacher"), cast, "P1", "achieved", htmx=True)
    assert "Resubmission not authorised by the lead assessor." in response.content.decode()
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    assert (decision.status, decision.attempts) == (Status.ACHIEVED, 2)
    assert decision.changes.filter(note="resubmission").exists()


@pytest.mark.parametrize("first", ["not_yet", "achieved"])
def test_a_first_hand_in_after_a_decision_on_nothing_is_not_a_resubmission(cast, client_for, first):
    """Case 15: "not yet achieved: nothing handed in", then the learner's first upload.
    Only an assessed submission is an attempt."""
    teacher, learner = client_for("teacher"), client_for("learner")
    decide(teacher, cast, "P5", first, "Nothing handed in for P5 yet.")
    if first == "achieved":  # and back, still with nothing handed in
        decide(teacher, cast, "P5", "not_yet", "Nothing handed in for P5 yet.")
    learner.post(
        reverse("upload", args=[cast.enrolment.pk]),
        {
            "file": SimpleUploadedFile("p5.pdf", PDF),
            "items": [key(cast, "P5")],
            "declaration": "on",
        },
    )
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P5")
    assert decision.status == Status.SUBMITTED
    assert not decision.changes.filter(note="resubmission").exists()
    response = decide(client_for("teacher"), cast, "P5", "achieved", htmx=True)
    assert "Resubmission" not in response.content.decode()
    decision.refresh_from_db()
    assert (decision.status, decision.attempts) == (Status.ACHIEVED, 1)
    assert not decision.changes.exclude(note="").exists()


def test_lead_assessor_authorisation_removes_the_warning(cast, client_for):
    from tracker.assessment.services import authorise_resubmission, record_decision

    LeadAssessor.objects.create(centre=cast.centre, unit=cast.unit30, user=cast.teacher)
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    record_decision(decision, cast.teacher, "not_yet", "Try again", decision.revision)
    decision.status = Status.SUBMITTED
    decision.save()
    authorise_resubmission(decision, cast.teacher)
    assert record_decision(decision, cast.teacher, "achieved", "", decision.revision) == []


def test_teacher_prediction_is_shown_with_history(cast, client_for):
    teacher = client_for("teacher")
    url = reverse("predict", args=[cast.learner.pk, cast.enrolment.pk])
    teacher.post(url, {"grade": "P", "note": "early"})
    teacher.post(url, {"grade": "M", "note": "after mock"})
    assert Prediction.objects.filter(enrolment=cast.enrolment).count() == 2
    assert progress(cast).prediction.grade == "M"


def test_below_target_is_flagged(cast):
    enrolment = cast.enrolment
    enrolment.target_grade = "D"
    enrolment.save()
    assert "Below target (Distinction)" in progress(cast).flags


def test_deadline_passed_with_criteria_outstanding_is_flagged_unless_extended(cast):
    today = timezone.localdate()
    assignment = Assignment.objects.create(
        group=cast.group,
        unit=cast.unit30,
        title="Booklet",
        issued_on=today - timedelta(days=30),
        deadline=today - timedelta(days=1),
        created_by=cast.teacher,
    )
    assignment.criteria.set(cast.unit30.criteria.filter(code__in=["P1", "P2"]))
    assert "Deadline passed: Booklet (P2 outstanding)" in progress(cast).flags
    Extension.objects.create(
        assignment=assignment,
        learner=cast.learner,
        deadline=today + timedelta(days=7),
        granted_by=cast.teacher,
    )
    assert not any("Deadline" in flag for flag in progress(cast).flags)


def test_exam_marks_give_grades_from_the_series_boundaries(cast, client_for):
    BoundarySet.objects.create(
        series=cast.mock_series,
        max_mark=60,
        distinction=48,
        merit=38,
        pass_mark=28,
        near_pass=22,
        source="Illustrative",
        illustrative=True,
    )
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    response = client_for("teacher").post(
        reverse("exam_marks", args=[cast.group.pk, cast.unit6.pk]),
        {"series": cast.mock_series.pk, f"mark-{enrolment.pk}": "25"},
    )
    assert response.status_code == 302
    (state,) = progress_for([enrolment])
    assert state.exam_results[0].grade is Grade.R  # Near Pass
    assert state.projected is Grade.R


def test_a_series_without_boundaries_shows_no_guessed_grade(cast):
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    series = ExamSeries.objects.create(
        unit=cast.unit6, name="Mock 2", kind=ExamSeries.Kind.MOCK, centre=cast.centre
    )
    ExamMark.objects.create(enrolment=enrolment, series=series, mark=50, entered_by=cast.teacher)
    (state,) = progress_for([enrolment])
    assert state.exam_results[0].grade is None
    assert state.projected is Grade.U


@pytest.mark.parametrize("mark", ["61", "-3", "ten"])
def test_impossible_marks_are_refused(cast, client_for, mark):
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    response = client_for("teacher").post(
        reverse("exam_marks", args=[cast.group.pk, cast.unit6.pk]),
        {"series": cast.mock_series.pk, f"mark-{enrolment.pk}": mark},
        follow=True,
    )
    assert "No marks saved." in response.content.decode()
    assert not ExamMark.objects.exists()


def test_topics_of_unit_6_are_marked_like_criteria(cast, client_for):
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    topic = enrolment.unit.learning_outcomes.get(number=1).topics.first()
    client_for("teacher").post(
        reverse("decide", args=[cast.learner.pk, enrolment.pk]),
        {"item": f"t:{topic.pk}", "revision": 0, "status": "achieved", "feedback": "Secure."},
    )
    (state,) = progress_for([enrolment])
    assert state.done == 1


def add_learners(cast, count: int) -> None:
    for index in range(count):
        learner = make_learner(cast.centre, cast.group, f"{100 + index:04d}", "Extra", f"L{index}")
        Decision.objects.create(
            enrolment=learner.enrolments.get(unit=cast.unit30),
            criterion=cast.unit30.criteria.get(code="P1"),
            status=Status.SUBMITTED,
            submitted_at=timezone.now(),
        )


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_marking_queue_query_count_does_not_grow(cast, client_for):
    client = client_for("teacher")
    # session, user, the user's learner record (navigation), learner-units waiting (count,
    # then the page), their decisions with learner, group, unit and criterion in one join,
    # late hand-ins
    assert count_queries(client, reverse("queue")) == 7
    add_learners(cast, 5)
    assert count_queries(client, reverse("queue")) == 7


def test_grid_query_count_does_not_grow(cast, client_for):
    client = client_for("teacher")
    url = reverse("grid", args=[cast.group.pk, cast.unit30.pk])
    # session, user, staff membership, group, unit, enrolments, criteria, decisions,
    # predictions, points, assignments (late flags), group assignments for the filter,
    # "is a teacher of the group", evidence per cell, navigation learner record
    assert count_queries(client, url) == 15
    add_learners(cast, 5)
    assert count_queries(client, url) == 15


def test_learner_pages_query_counts_do_not_grow(cast, client_for):
    client = client_for("learner")
    home = reverse("learner_home")
    unit = reverse("learner_unit", args=[cast.enrolment.pk])
    # home: session, user, learner, enrolments, criteria, topics, decisions, predictions,
    # exam marks, boundaries, points, assignments, extensions, centre, group, teachers,
    # deadlines, late hand-ins, unread notifications (count); unit page: session, user,
    # enrolment, criteria, decisions, predictions, points, assignments, evidence links,
    # evidence, their links, criteria, decisions, navigation learner record with the count of
    # unread notifications
    assert (count_queries(client, home), count_queries(client, unit)) == (19, 14)
    add_learners(cast, 5)
    assert (count_queries(client, home), count_queries(client, unit)) == (19, 14)


def test_marking_page_query_count_does_not_grow(cast, client_for):
    client = client_for("teacher")
    url = reverse("mark", args=[cast.learner.pk, cast.enrolment.pk])
    assert count_queries(client, url) == 18
    add_learners(cast, 5)
    assert count_queries(client, url) == 18


def test_adopting_the_unit_plan_creates_its_assignments_once(cast, client_for):
    teacher = client_for("teacher")
    url = reverse("adopt_plan", args=[cast.group.pk, cast.unit30.pk])
    teacher.post(url)
    teacher.post(url)
    assignments = Assignment.objects.filter(group=cast.group, unit=cast.unit30)
    assert assignments.count() == 10
    booklet = assignments.get(criteria__code="M1")
    assert sorted(booklet.criteria.values_list("code", flat=True)) == ["M1", "P2"]


def test_teacher_sets_an_assignment_and_an_extension(cast, client_for):
    teacher = client_for("teacher")
    response = teacher.post(
        reverse("assignments", args=[cast.group.pk, cast.unit30.pk]),
        {
            "title": "Legislation poster",
            "criteria": [cast.unit30.criteria.get(code="P3").pk],
            "issued_on": "2026-10-01",
            "deadline": "2026-10-22",
        },
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(title="Legislation poster")
    teacher.post(
        reverse("extend", args=[assignment.pk]),
        {"learner": cast.learner.pk, "deadline": "2026-11-05", "reason": "illness"},
    )
    assert Extension.objects.get(assignment=assignment).deadline.isoformat() == "2026-11-05"


def test_a_deadline_before_the_issue_date_is_refused(cast, client_for):
    response = client_for("teacher").post(
        reverse("assignments", args=[cast.group.pk, cast.unit30.pk]),
        {"title": "X", "issued_on": "2026-10-22", "deadline": "2026-10-01"},
    )
    assert "The deadline is before the issue date." in response.content.decode()


def test_lead_assessor_authorises_a_resubmission_from_the_marking_page(cast, client_for):
    LeadAssessor.objects.create(centre=cast.centre, unit=cast.unit30, user=cast.teacher)
    teacher = client_for("teacher")
    decide(teacher, cast, "P1", "not_yet", "Try again.")
    client_for("learner").post(
        reverse("upload", args=[cast.enrolment.pk]),
        {
            "file": SimpleUploadedFile("v2.pdf", PDF),
            "items": [key(cast, "P1")],
            "declaration": "on",
        },
    )
    page = teacher.get(reverse("mark", args=[cast.learner.pk, cast.enrolment.pk]))
    assert "Authorise resubmission of P1 (lead assessor)" in page.content.decode()
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    teacher.post(
        reverse("authorise", args=[cast.learner.pk, cast.enrolment.pk]), {"decision": decision.pk}
    )
    decision.refresh_from_db()
    assert decision.resubmission_authorised_by == cast.teacher
    response = decide(teacher, cast, "P1", "achieved", htmx=True)
    assert "not authorised" not in response.content.decode()


def grid_cell(body: str, code: str) -> str:
    return re.search(rf'<td id="cell-\d+-{code}".*?</td>', body, re.S).group(0)


def grid_status(body: str) -> str:
    return re.search(r'<div id="grid-status".*?</div>', body, re.S).group(0)


def decided_by_the_other_teacher(cast, code: str, status: str, feedback: str = "") -> Decision:
    """Another teacher of the group decides behind the page (the page holds the old revision)."""
    from tracker.assessment.services import record_decision

    cast.group.teachers.add(cast.other_teacher)
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code=code)
    record_decision(decision, cast.other_teacher, status, feedback, decision.revision)
    return decision


def test_a_stale_grid_save_answers_409_with_the_stored_cell_and_why(cast, client_for):
    stale = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1").revision
    decision = decided_by_the_other_teacher(cast, "P1", "achieved", "Theirs.")
    response = decide(
        client_for("teacher"), cast, "P1", "not_yet", revision=stale, htmx=True, grid=True
    )
    assert response.status_code == 409
    body = response.content.decode()
    cell = grid_cell(body, "P1")
    assert 'class="g-achieved cell-refused"' in cell
    assert f'data-v="{decision.revision}"' in cell
    message = "Not saved: changed by Other_Teacher Staff at "
    assert message in cell and message in grid_status(body)
    assert "to ✓ Achieved. The cell now shows the stored decision." in cell
    assert re.search(r'aria-describedby="(msg-\d+-P1)".*id="\1"', cell, re.S)
    decision.refresh_from_db()
    assert (decision.status, decision.feedback) == (Status.ACHIEVED, "Theirs.")


def test_a_grid_save_that_cannot_be_made_says_why_in_the_cell(cast, client_for):
    response = decide(client_for("teacher"), cast, "P1", "maybe", htmx=True, grid=True)
    assert response.status_code == 400
    cell = grid_cell(response.content.decode(), "P1")
    assert "Not saved: Select a valid choice." in cell
    assert 'class="g-submitted cell-refused"' in cell and "●" in cell
    assert Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1").status == (
        Status.SUBMITTED
    )


def test_a_grid_save_by_someone_who_may_not_decide_says_why_in_the_cell(cast, client_for):
    response = decide(client_for("iv"), cast, "P1", "achieved", htmx=True, grid=True)
    assert response.status_code == 403
    body = response.content.decode()
    cell = grid_cell(body, "P1")
    assert "Not saved: Only the learner&#x27;s teachers record decisions." in cell
    assert "<select" not in cell and 'class="g-submitted cell-refused"' in cell
    assert "Not saved" in grid_status(body)
    assert Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1").status == (
        Status.SUBMITTED
    )


def test_a_stale_save_on_the_marking_page_keeps_what_was_typed_beside_the_stored(cast, client_for):
    stale = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1").revision
    decision = decided_by_the_other_teacher(cast, "P1", "achieved", "Their careful note.")
    teacher = client_for("teacher")
    response = decide(
        teacher, cast, "P1", "not_yet", "My own typed feedback.", revision=stale, htmx=True
    )
    body = response.content.decode()
    assert "This decision was changed by Other_Teacher Staff at" in body
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", body, re.S).group(1)
    assert textarea == "My own typed feedback."
    assert re.search(r'value="not_yet" id="n-c:\d+" checked', body)
    assert not re.search(r'value="achieved" id="a-c:\d+" checked', body)
    stored = re.search(r'<div[^>]*id="stored-P1".*?</div>', body, re.S).group(0)
    assert "saved by Other_Teacher Staff at" in stored and "✓ Achieved" in stored
    assert "Their careful note." in stored
    decision.refresh_from_db()
    assert f'name="revision" value="{decision.revision}"' in body
    assert (decision.status, decision.feedback) == (Status.ACHIEVED, "Their careful note.")
    # Saving again, with the stored revision the form now carries, replaces theirs on purpose.
    decide(teacher, cast, "P1", "not_yet", "My own typed feedback.", htmx=True)
    decision.refresh_from_db()
    assert (decision.status, decision.feedback) == (Status.NOT_YET, "My own typed feedback.")


def test_one_wrong_exam_mark_saves_none_and_keeps_every_typed_mark(cast, client_for):
    add_learners(cast, 13)
    enrolments = list(
        cast.unit6.enrolments.filter(learner__group=cast.group).order_by("learner__last_name")
    )
    assert len(enrolments) == 14
    marks = {f"mark-{e.pk}": str(20 + index) for index, e in enumerate(enrolments)}
    bad = enrolments[5]
    marks[f"mark-{bad.pk}"] = "61"
    response = client_for("teacher").post(
        reverse("exam_marks", args=[cast.group.pk, cast.unit6.pk]),
        {"new_mock": "Mock 3", **marks},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert not ExamMark.objects.exists()
    assert "No marks saved." in body
    for name, value in marks.items():
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
        assert f'value="{value}"' in field
        assert ('aria-invalid="true"' in field) == (name == f"mark-{bad.pk}")
    field = re.search(rf'<input[^>]*name="mark-{bad.pk}"[^>]*>', body).group(0)
    assert f'aria-describedby="mark-error-{bad.pk} mark-help"' in field
    error = re.search(rf'<div class="invalid-feedback" id="mark-error-{bad.pk}">(.*?)</div>', body)
    assert error.group(1) == "&#x27;61&#x27; is not a mark from 0 to 60"
    assert 'name="new_mock"' in body and 'value="Mock 3"' in body
    assert not ExamSeries.objects.filter(name="Mock 3").exists()  # nothing saved, not even it


def test_feedback_longer_than_a_few_paragraphs_is_refused_with_a_message(cast, client_for):
    from tracker.assessment.forms import FEEDBACK_MAX_LENGTH

    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    response = client_for("teacher").post(
        reverse("decide", args=[cast.learner.pk, cast.enrolment.pk]),
        {
            "item": decision.criterion.key,
            "revision": decision.revision,
            "status": "achieved",
            "feedback": "x" * (FEEDBACK_MAX_LENGTH + 1),
        },
        follow=True,
    )
    assert f"at most {FEEDBACK_MAX_LENGTH:,}".replace(",", "") in response.content.decode().replace(
        ",", ""
    )
    decision.refresh_from_db()
    assert decision.status == Status.SUBMITTED


def test_teacher_predicts_near_pass_for_unit_6_and_sees_the_note_everywhere(cast, client_for):
    teacher = client_for("teacher")
    unit6 = cast.learner.enrolments.get(unit=cast.unit6)
    mark_url = reverse("mark", args=[cast.learner.pk, unit6.pk])
    page = teacher.get(mark_url).content.decode()
    assert '<option value="R"' in page
    assert 'class="form-select"' in page and 'class="form-control"' in page
    response = teacher.post(
        reverse("predict", args=[cast.learner.pk, unit6.pk]),
        {"grade": "R", "note": "Needs <b>exam</b> practice"},
    )
    assert response.status_code == 302
    assert Prediction.objects.get(enrolment=unit6).grade == "R"
    for url in (mark_url, reverse("learner", args=[cast.learner.pk])):
        page = teacher.get(url).content.decode()
        assert "Near Pass" in page
        assert "Note: Needs &lt;b&gt;exam&lt;/b&gt; practice" in page
    learner_page = client_for("learner").get(reverse("learner_home")).content.decode()
    assert "Note: Needs &lt;b&gt;exam&lt;/b&gt; practice" in learner_page


def test_near_pass_is_refused_for_a_unit_that_does_not_award_it(cast, client_for):
    teacher = client_for("teacher")
    page = teacher.get(reverse("mark", args=[cast.learner.pk, cast.enrolment.pk])).content.decode()
    assert '<option value="R"' not in page
    response = teacher.post(
        reverse("predict", args=[cast.learner.pk, cast.enrolment.pk]), {"grade": "R"}, follow=True
    )
    assert not Prediction.objects.filter(enrolment=cast.enrolment).exists()
    assert "Choose a predicted grade this unit can award" in response.content.decode()
