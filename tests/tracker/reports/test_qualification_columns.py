"""The grades workbook's qualification columns on the Summary sheet."""

import io

from django.urls import reverse
from openpyxl import load_workbook

from tests.tracker.assessment.test_qualifications import diploma_on_200_points
from tracker.models import GradeOnlyResult
from tracker.reports.qualification_columns import BELOW_TARGET, ON_TARGET, UNVERIFIED


def summary_rows(response) -> dict[str, dict]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    summary = book["Summary"]
    header = [c.value for c in summary[6]]
    rows = {}
    for values in summary.iter_rows(min_row=7, values_only=True):
        row = dict(zip(header, values, strict=True))
        rows[row["Candidate number"]] = row
    return rows


def test_the_summary_shows_the_200_points_diploma_as_dd_with_one_unverified_note(cast, client_for):
    diploma_on_200_points(cast)
    url = reverse("export_grades") + f"?group={cast.group.pk}"
    row = summary_rows(client_for("teacher").get(url))["0001"]
    assert row["Qualification"].endswith("(05833)")
    assert row["Qualification size"] == "720 GLH"
    assert row["Qualification points (predicted)"] == 200
    assert row["Qualification grade (predicted)"] == "Distinction Distinction (DD)"
    assert row["UCAS points (predicted)"] == 96
    assert row["Qualification figures"] == UNVERIFIED


def test_a_learner_on_no_qualification_says_so_and_a_unit_export_keeps_the_columns(
    cast, client_for
):
    diploma_on_200_points(cast)
    url = reverse("export_grades") + f"?unit={cast.unit30.pk}"
    rows = summary_rows(client_for("admin").get(url))
    assert rows["0002"]["Qualification"] == "Not registered on a qualification"
    # Only Unit 30 is exported, yet the qualification counts every unit of the Diploma.
    assert rows["0001"]["Qualification points (predicted)"] == 200


def test_the_predicted_qualification_grade_is_coloured_against_the_target(cast, client_for):
    """Green on or above the target grade, red below, as the unit grade columns are."""
    diploma_on_200_points(cast)
    unit6 = cast.learner.enrolments.get(unit=cast.unit6)
    unit6.target_grade = "D"  # target 202 points: Distinction Distinction, as predicted
    unit6.save()
    url = reverse("export_grades") + f"?group={cast.group.pk}"

    def predicted_fill():
        response = client_for("teacher").get(url)
        summary = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Summary"]
        column = [c.value for c in summary[6]].index("Qualification grade (predicted)") + 1
        return summary.cell(row=7, column=column).fill.fgColor.rgb

    assert predicted_fill() == "00" + ON_TARGET.fgColor.rgb[-6:]
    GradeOnlyResult.objects.filter(learner=cast.learner, qualification_unit__number=10).update(
        predicted="P"
    )
    assert predicted_fill() == "00" + BELOW_TARGET.fgColor.rgb[-6:]
