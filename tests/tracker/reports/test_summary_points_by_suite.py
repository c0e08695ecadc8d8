"""The Summary never adds points of different suites together, and its totals block counts
learners per qualification grade."""

import io

from django.urls import reverse
from openpyxl import load_workbook

from tests.tracker.assessment.test_qualifications import diploma_on_200_points
from tracker.models import Prediction

SUITE_2016 = "Cambridge Technicals (2016 suite)"
SUITE_2012 = "Cambridge Technicals (2012 suite, QCF)"


def summary_sheet(client, cast):
    response = client.get(reverse("export_grades") + f"?group={cast.group.pk}")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return book["Summary"]


def test_points_are_totalled_per_suite_never_across_suites(cast, client_for):
    diploma_on_200_points(cast)
    Prediction.objects.create(
        enrolment=cast.learner.enrolments.get(unit=cast.unit30),
        grade="D",
        predicted_by=cast.teacher,
    )
    sheet = summary_sheet(client_for("teacher"), cast)
    header = [c.value for c in sheet[6]]
    assert "Total points (achieved)" not in header
    assert "Total points (projected)" not in header
    for suite in (SUITE_2016, SUITE_2012):
        assert f"Total points, {suite}: achieved" in header
        assert f"Total points, {suite}: projected" in header
    row = dict(zip(header, [c.value for c in sheet[7]], strict=True))
    assert row["Candidate number"] == "0001"
    assert row[f"Total points, {SUITE_2016}: achieved"] == (row["Unit 6 points"] or 0)
    assert row[f"Total points, {SUITE_2012}: achieved"] == (row["Unit 30 points"] or 0)


def test_the_totals_block_counts_qualification_grades(cast, client_for):
    diploma_on_200_points(cast)
    sheet = summary_sheet(client_for("teacher"), cast)
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    starts = [i for i, row in enumerate(rows) if str(row[0]).startswith("Qualification grades:")]
    assert len(starts) == 1
    heading = rows[starts[0]]
    assert heading[0].endswith("(05833)")
    assert heading[4:12] == ["U", "PP", "MP", "MM", "DM", "DD", "D*D", "D*D*"]
    block = {row[0]: row[4:13] for row in rows[starts[0] + 1 : starts[0] + 5]}
    assert set(block) == {
        "Qualification achieved",
        "Qualification projected",
        "Qualification predicted",
        "Qualification target",
    }
    predicted = dict(zip(heading[4:13], block["Qualification predicted"], strict=True))
    assert predicted["DD"] == 1 and predicted["Learners"] == 1
    assert sum(block["Qualification target"][:-1]) == block["Qualification target"][-1]


def test_no_qualification_block_when_no_learner_is_registered(cast, client_for):
    sheet = summary_sheet(client_for("teacher"), cast)
    assert not [
        row
        for row in sheet.iter_rows(values_only=True)
        if str(row[0]).startswith("Qualification grades:")
    ]
