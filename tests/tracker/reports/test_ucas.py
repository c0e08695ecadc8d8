"""The UCAS predicted grades export: who may download what, and cells that stay text."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import make_learner
from tests.tracker.assessment.test_qualifications import diploma_on_200_points
from tracker.reports.ucas import HEADERS

HOSTILE = {
    '=HYPERLINK("http://x")': '\'=HYPERLINK("http://x")',
    "+Plus": "'+Plus",
    "-Minus": "'-Minus",
    "@SUM(A1)": "'@SUM(A1)",
    "Tab\x0bBreak": "Tab\nBreak",
    "Bell\x07Ringer": "BellRinger",
}


def download(client, **query):
    response = client.get(reverse("export_ucas"), query)
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content if response.streaming else [response.content])


def csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def hostile_learners(cast):
    learners = []
    for number, first in enumerate(HOSTILE, start=10):
        learner = make_learner(cast.centre, cast.group, f"{number:04d}", "Ann", f"L{number}")
        learner.legal_first_name = first
        learner.save()
        learners.append(learner)
    return learners


def test_the_page_offers_the_teachers_groups_and_the_admin_the_whole_centre(cast, client_for):
    page = client_for("teacher").get(reverse("export_ucas")).content.decode()
    assert "13A" in page and "13B" not in page and "Whole centre" not in page
    page = client_for("admin").get(reverse("export_ucas")).content.decode()
    assert "13A" in page and "13B" in page and "Whole centre" in page


def test_csv_cells_that_look_like_formulas_stay_text(cast, client_for):
    hostile_learners(cast)
    rows = csv_rows(download(client_for("teacher"), group=cast.group.pk, format="csv"))
    assert tuple(rows[0]) == HEADERS
    names = {row[1].split(" L")[0] for row in rows[1:]}
    assert set(HOSTILE.values()) <= names
    lara = next(row for row in rows if row[0] == "0001")
    assert lara[1] == "Lara Learner" and lara[5] == "Teacher Staff"


def test_xlsx_cells_that_look_like_formulas_stay_text(cast, client_for):
    hostile_learners(cast)
    data = download(client_for("admin"), format="xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    assert [cell.value for cell in sheet[1]] == list(HEADERS)
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)
    names = {cell.value.split(" L")[0] for cell in cells}
    for typed, shown in HOSTILE.items():
        assert shown.lstrip("'") in names, typed
    candidates = {row[0].value for row in sheet.iter_rows(min_row=2)}
    assert {"0001", "0002"} <= candidates  # the whole centre, both groups


def test_teachers_export_only_their_groups_and_bad_choices_are_form_errors(cast, client_for):
    teacher = client_for("teacher")
    response = teacher.get(reverse("export_ucas"), {"group": cast.other_group.pk, "format": "csv"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    for query in ({"format": "csv"}, {"group": "x", "format": "xlsx"}, {"format": "pdf"}):
        assert teacher.get(reverse("export_ucas"), query).status_code == 400


def test_leavers_are_left_out(cast, client_for):
    cast.other_learner.left_on = timezone.localdate()
    cast.other_learner.save()
    rows = csv_rows(download(client_for("admin"), format="csv"))
    assert [row[0] for row in rows[1:]] == ["0001"]


@pytest.mark.parametrize("extra", [0, 5])
def test_the_export_takes_the_same_queries_however_many_learners(
    cast, client_for, django_assert_num_queries, extra
):
    for number in range(extra):
        make_learner(cast.centre, cast.group, f"{number + 100:04d}", "Extra", f"N{number}")
    diploma_on_200_points(cast)
    admin = client_for("admin")
    # session, user, staff centre (role), groups listed, centre, learners, group teachers;
    # the qualification service: qualifications, their units, point ranges, the centre's
    # ranges, UCAS tariffs, unit points, grade-only results, then progress_for's enrolments,
    # criteria, topics, decisions, predictions, exam marks, boundaries, points, assignments.
    with django_assert_num_queries(23):
        download(admin, format="csv")


def test_the_200_points_diploma_is_predicted_dd_with_its_ucas_points(cast, client_for):
    diploma_on_200_points(cast)
    rows = csv_rows(download(client_for("teacher"), group=cast.group.pk, format="csv"))
    lara = dict(zip(HEADERS, next(row for row in rows if row[0] == "0001"), strict=True))
    assert "Diploma" in lara["Qualification"] and "05833" in lara["Qualification"]
    assert lara["Predicted grade"] == "Distinction Distinction (DD)"
    assert lara["UCAS tariff points"] == "96"
    assert lara["Date"] == timezone.localdate().isoformat()
    assert lara["Check"].startswith("Unverified")
    sheet = load_workbook(io.BytesIO(download(client_for("admin"), format="xlsx"))).active
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "0001")
    assert row[3:5] == ("Distinction Distinction (DD)", 96)


def test_a_unit_nobody_has_predicted_is_named_in_the_check_column(cast, client_for):
    """Without a Unit 6 prediction the grade counts Unit 6 at its grade so far (nothing
    before the exam), so the sixth-form team is told before sending it to UCAS."""
    diploma_on_200_points(cast)
    cast.learner.enrolments.get(unit=cast.unit6).predictions.all().delete()
    rows = csv_rows(download(client_for("admin"), format="csv"))
    lara = dict(zip(HEADERS, next(row for row in rows if row[0] == "0001"), strict=True))
    assert lara["Check"].startswith(
        "No prediction yet for Unit 6: counted at the grade so far, so this grade may be too low; "
        "Unverified"
    )
    sheet = load_workbook(io.BytesIO(download(client_for("admin"), format="xlsx"))).active
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "0001")
    assert row[7].startswith("No prediction yet for Unit 6:")
    page = client_for("admin").get(reverse("export_ucas")).content.decode()
    assert "the Check column names any unit no teacher has predicted yet" in page
