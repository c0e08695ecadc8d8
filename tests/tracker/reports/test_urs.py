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


def test_unit6_sheet_heads_its_topics_and_leaves_out_a_unit_code_it_has_not(cast, client_for):
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    url = reverse("urs", args=[cast.learner.pk, enrolment.pk])
    html = client_for("teacher").get(url).content.decode()
    # 2.9 and 2.12 share their text; their headings tell them apart.
    holistic = html.index('scope="rowgroup" colspan="4">Holistic overview<')
    challenges = html.index('colspan="4">Challenges to adopting a person–centred approach<')
    assert holistic < html.index('<th scope="row">2.9 ') < challenges
    assert challenges < html.index('<th scope="row">2.12 ')
    assert "Unit code" not in html and "—" not in html
    book = load_workbook(io.BytesIO(client_for("teacher").get(url + "?format=xlsx").content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert "Unit 6: Personalisation and a person-centred approach to care" in rows[1][0]
    assert "no unit reference" not in rows[1][0]
    wording = {row[0]: row[1] for row in rows if row and row[0] in ("2.9", "2.12")}
    assert wording == {
        "2.9": "Holistic overview: Institutional history of public services",
        "2.12": "Challenges to adopting a person–centred approach: "
        "Institutional history of public services",
    }
