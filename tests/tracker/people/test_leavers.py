"""Learners who leave: marked as left, read-only, out of current lists, and reinstated."""

import io
from datetime import date, datetime

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tracker.assessment.services import AssessmentError, decision_for, record_decision
from tracker.evidence.services import Claim, submit_evidence
from tracker.models import Learner
from tracker.people.leavers import LeaverError, mark_left, reinstate
from tracker.reports.dashboard import group_figures
from tracker.reports.exports import group_scope
from tracker.verification.sampling import propose_sample


def leave(cast, client_for, when="2026-11-20", reason="Moved school", **options):
    return client_for("admin").post(
        reverse("learner_leave", args=[cast.learner.pk]),
        {"left_on": when, "reason": reason},
        **options,
    )


def summary_names(response) -> list[str]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["Summary"]
    header = [c.value for c in sheet[6]]
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(7)]
    return [(row["Last name"], row.get("Left on")) for row in rows if row["Last name"]]


def test_the_admin_marks_a_learner_as_left_and_they_cannot_sign_in(cast, client_for):
    response = leave(cast, client_for)
    assert response.status_code == 302
    learner = Learner.objects.select_related("user").get(pk=cast.learner.pk)
    assert learner.left_on == date(2026, 11, 20)
    assert learner.leaving_reason == "Moved school"
    assert not learner.user.is_active
    assert not Client().login(username=learner.user.username, password="pw")
    page = client_for("admin").get(reverse("learner", args=[learner.pk])).content.decode()
    assert "Left on 20 November 2026" in page and "Reinstate Lara Learner" in page
    assert "Mark as left" not in page


def test_a_leaving_date_to_come_or_missing_is_a_clear_error(cast, client_for):
    response = leave(cast, client_for, when="2999-01-01", follow=True)
    assert "cannot have left on a day still to come" in response.content.decode()
    assert Learner.objects.get(pk=cast.learner.pk).left_on is None
    response = leave(cast, client_for, when="not a date", reason="", follow=True)
    assert "Enter a valid date" in response.content.decode()
    assert Learner.objects.get(pk=cast.learner.pk).left_on is None


def test_a_leaver_leaves_grid_group_page_export_dashboard_and_sampling(cast, client_for):
    teacher = client_for("teacher")
    grid = reverse("grid", args=[cast.group.pk, cast.unit30.pk])
    assert "Lara" in teacher.get(grid).content.decode()
    leave(cast, client_for)
    assert "Learner, Lara" not in teacher.get(grid).content.decode()
    assert "Lara Learner" not in teacher.get(grid).content.decode()
    group_page = teacher.get(reverse("group", args=[cast.group.pk])).content.decode()
    assert "Lara" not in group_page
    export = teacher.get(reverse("export_grades") + f"?group={cast.group.pk}")
    assert summary_names(export) == []
    export = teacher.get(reverse("export_grades") + f"?group={cast.group.pk}&leavers=1")
    assert summary_names(export) == [("Learner", datetime(2026, 11, 20))]
    assert group_figures([cast.group])[0].at_risk == []
    sample, rest, _ = propose_sample(cast.group, cast.unit30)
    assert sample == [] and rest == []
    # OCR moderation still takes the leaver's units.
    sample, rest, _ = propose_sample(cast.group, cast.unit30, include_leavers=True)
    assert len(sample + rest) == 1
    assert group_scope(cast.group).learners.count() == 0


def test_a_leavers_record_is_read_only(cast, client_for):
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code="P1"))
    mark_left(cast.learner, date(2026, 11, 20), "Moved")
    decision.enrolment.learner.refresh_from_db()
    with pytest.raises(AssessmentError, match="read-only"):
        record_decision(decision, cast.teacher, "achieved", "", decision.revision)
    enrolment = cast.learner.enrolments.get(unit=cast.unit30)
    with pytest.raises(AssessmentError, match="read-only"):
        submit_evidence(
            enrolment, cast.teacher, [Claim(cast.unit30.criteria.get(code="P2"))], declared=True
        )
    response = client_for("teacher").post(
        reverse("learner_target", args=[cast.learner.pk, enrolment.pk]), {"target_grade": "M"}
    )
    assert response.status_code == 403
    # Teachers still read the record.
    assert client_for("teacher").get(reverse("learner", args=[cast.learner.pk])).status_code == 200


def test_the_archive_lists_leavers_with_their_units(cast, client_for):
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code="P1"))
    record_decision(decision, cast.teacher, "achieved", "", decision.revision)
    leave(cast, client_for)
    page = client_for("admin").get(reverse("centre:leavers")).content.decode()
    assert "Lara Learner" in page and "Moved school" in page and "Unit 30" in page
    assert reverse("learner", args=[cast.learner.pk]) in page
    assert "Omar" not in page


def test_reinstating_brings_the_learner_back(cast, client_for):
    leave(cast, client_for)
    response = client_for("admin").post(reverse("learner_reinstate", args=[cast.learner.pk]))
    assert response.status_code == 302
    learner = Learner.objects.select_related("user").get(pk=cast.learner.pk)
    assert learner.left_on is None and learner.user.is_active
    assert learner.group == cast.group
    assert Client().login(username=learner.user.username, password="pw")
    grid = reverse("grid", args=[cast.group.pk, cast.unit30.pk])
    assert "Lara" in client_for("teacher").get(grid).content.decode()
    with pytest.raises(LeaverError):
        reinstate(learner)


def test_the_recording_sheet_uses_the_legal_name(cast, client_for):
    Learner.objects.filter(pk=cast.learner.pk).update(legal_first_name="Larissa")
    mark_left(Learner.objects.get(pk=cast.learner.pk), date(2026, 11, 20), "Moved")
    page = client_for("teacher").get(reverse("urs", args=[cast.learner.pk, cast.enrolment.pk]))
    assert "Larissa Learner" in page.content.decode()


def test_a_leavers_hand_ins_leave_the_marking_queue_and_the_centre_count(cast, client_for):
    teacher = client_for("teacher")
    assert "Lara Learner" in teacher.get(reverse("queue")).content.decode()
    leave(cast, client_for)
    assert "Lara Learner" not in teacher.get(reverse("queue")).content.decode()
    home = client_for("admin").get(reverse("centre:home"))
    assert home.context["learner_count"] == 1
