"""Unit Recording Sheets: per learner and per group, printable and as a workbook."""

import io

from django.urls import reverse
from openpyxl import load_workbook

from tracker.assessment.services import decision_for, record_decision


def test_the_recording_sheet_shows_unit_centre_candidate_and_each_criterion(cast, client_for):
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code="P1"))
    record_decision(decision, cast.teacher, "achieved", "Clear definition.", decision.revision)
    page = client_for("teacher").get(reverse("urs", args=[cast.learner.pk, cast.enrolment.pk]))
    html = page.content.decode()
    for expected in (
        "M/505/7782",
        "Test College",
        "12345",
        "Lara Learner",
        "0001",
        "Clear definition.",
        "handout.pdf, page 1",
        "/static/tracker/sheet.css",  # A4 print styles
    ):
        assert expected in html


def test_the_recording_sheet_downloads_as_a_workbook(cast, client_for):
    url = reverse("urs", args=[cast.learner.pk, cast.enrolment.pk]) + "?format=xlsx"
    response = client_for("teacher").get(url)
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["0001 Learner"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Unit Recording Sheet"
    header = rows.index(
        ("Criterion", "Wording", "Achieved", "Teacher comment", "Evidence location")
    )
    assert rows[header + 1][:3] == (
        "P1",
        "define the term 'personalisation' as it applies in health and social care",
        "No",
    )
    assert rows[header + 1][4] == "handout.pdf, page 1"


def test_a_group_gets_one_sheet_per_learner(cast, client_for):
    url = reverse("group_urs", args=[cast.group.pk, cast.unit30.pk]) + "?format=xlsx"
    book = load_workbook(io.BytesIO(client_for("teacher").get(url).content))
    assert book.sheetnames == ["0001 Learner"]
