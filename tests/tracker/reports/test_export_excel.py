"""The grades workbook as people open it in Excel: frozen learner columns, the Summary's
target colours and totals, one note on unverified points, "not sat" before the Unit 6 exam,
and late work counted against the learner's target (each read back with openpyxl)."""

import io
from datetime import timedelta

from django.urls import reverse
from openpyxl import load_workbook

from criteria.models import BoundarySet, ExamSeries
from tracker.assessment.services import decision_for, record_decision
from tracker.models import Enrolment, ExamMark, Prediction
from tracker.reports import exports


def group_workbook(cast, client_for):
    response = client_for("teacher").get(reverse("export_grades") + f"?group={cast.group.pk}")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def summary_rows(book) -> list[dict]:
    sheet = book["Summary"]
    header = [c.value for c in sheet[6]]
    rows = []
    for values in sheet.iter_rows(min_row=7, values_only=True):
        if not values or values[0] is None or not str(values[0]).isdigit():
            break
        rows.append(dict(zip(header, values, strict=False)))
    return rows


def cell_named(sheet, row: int, header: str):
    names = [c.value for c in sheet[6]]
    return sheet.cell(row, names.index(header) + 1)


def decide(cast, codes, status="achieved"):
    for code in codes:
        decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code=code))
        record_decision(decision, cast.teacher, status, "", decision.revision)


def set_target(enrolment: Enrolment, grade: str) -> None:
    enrolment.target_grade = grade
    enrolment.save(update_fields=["target_grade"])


def test_every_sheet_freezes_the_header_rows_and_the_learner_columns(cast, client_for):
    book = group_workbook(cast, client_for)
    assert book["Summary"].freeze_panes == "D7"  # number, first name, last name
    for name in ("Unit 6", "Unit 30", "IV"):
        assert book[name].freeze_panes == "C7", name  # number, name


def test_the_summary_colours_the_expected_grade_against_the_target(cast, client_for):
    decide(cast, [f"P{n}" for n in range(1, 11)])  # projected Pass
    set_target(cast.enrolment, "M")
    other = cast.learner.enrolments.get(unit=cast.unit6)
    set_target(other, "P")
    Prediction.objects.create(enrolment=other, grade="M", predicted_by=cast.teacher)
    book = group_workbook(cast, client_for)
    sheet = book["Summary"]
    projected30 = cell_named(sheet, 7, "Unit 30 projected")
    assert projected30.value == "Pass"
    assert projected30.fill.fgColor.rgb.endswith("F8D7DA")  # below the Merit target
    predicted6 = cell_named(sheet, 7, "Unit 6 predicted")
    assert predicted6.value == "Merit"
    assert predicted6.fill.fgColor.rgb.endswith("D1E7DD")  # on or above the Pass target
    # The words say it too, not the colour alone.
    row = summary_rows(book)[0]
    assert "Unit 30: Below target (Merit)" in row["Flags"]


def test_no_target_means_no_colour(cast, client_for):
    set_target(cast.enrolment, "")
    book = group_workbook(cast, client_for)
    projected = cell_named(book["Summary"], 7, "Unit 30 projected")
    assert projected.fill.fill_type is None


def totals(book) -> dict:
    """Return {(unit, series): [U, Near Pass, Pass, Merit, Distinction, none, learners]} and
    {unit: (with a target, on or above, share, row number)} from the block below the
    Summary's learners (labels in column A, figures from column E)."""
    sheet = book["Summary"]
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r and r[0] == "Totals: learners per grade")
    assert list(rows[start][4:11]) == [
        "Unclassified",
        "Near Pass",
        "Pass",
        "Merit",
        "Distinction",
        "None yet",
        "Learners",
    ]
    counts, shares = {}, {}
    index = start + 1
    while rows[index] and rows[index][0]:
        row = rows[index]
        assert row[1:4] == (None, None, None)  # the learner columns stay empty
        unit, series = row[0].split(" (")[0].rsplit(" ", 1)
        counts[(unit, series.capitalize())] = list(row[4:11])
        index += 1
    target_start = next(i for i, r in enumerate(rows) if r and r[0] == "On or above target")
    assert list(rows[target_start][4:7]) == ["Learners with a target", "On or above", "Share"]
    index = target_start + 1
    while rows[index] and str(rows[index][0]).startswith("Unit "):
        row = rows[index]
        shares[row[0]] = (*row[4:7], index + 1)  # and the sheet's row number
        index += 1
    return counts, shares


def test_the_summary_ends_with_learners_per_grade_and_the_share_on_target(cast, client_for):
    decide(cast, [f"P{n}" for n in range(1, 11)])  # achieved Pass on Unit 30
    set_target(cast.enrolment, "P")
    Prediction.objects.create(enrolment=cast.enrolment, grade="M", predicted_by=cast.teacher)
    book = group_workbook(cast, client_for)
    learners = len(summary_rows(book))
    counts, shares = totals(book)
    achieved = counts[("Unit 30", "Achieved")]
    assert achieved[2] == 1 and achieved[6] == learners  # one Pass, every learner counted
    assert counts[("Unit 30", "Predicted")][3] == 1  # one Merit predicted
    assert counts[("Unit 30", "Target")][2] == 1
    # Unit 6 before any real exam: achieved is "none yet" (not sat), never Unclassified.
    unit6 = counts[("Unit 6", "Achieved")]
    assert unit6[0] == 0 and unit6[5] == learners
    with_target, on_or_above, share, row_number = shares["Unit 30"]
    assert (with_target, on_or_above) == (1, 1) and share == 1
    assert book["Summary"].cell(row_number, 7).number_format == "0%"


def test_unverified_points_get_one_note_not_words_on_every_row(cast, client_for):
    book = group_workbook(cast, client_for)
    sheet = book["Summary"]
    assert sheet["A5"].value == exports.POINTS_NOTE
    rows = summary_rows(book)
    assert rows and all(row["Points status"] in ("verified", "unverified") for row in rows)
    words = [
        c.value
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str) and "handbook" in c.value
    ]
    assert words == [exports.POINTS_NOTE]


def test_unit_6_reads_not_sat_until_a_real_exam_result(cast, client_for):
    unit6 = cast.learner.enrolments.get(unit=cast.unit6)
    book = group_workbook(cast, client_for)
    assert summary_rows(book)[0]["Unit 6 achieved"] == "not sat"
    assert cell_named(book["Unit 6"], 7, "Grade achieved").value == "not sat"

    series = ExamSeries.objects.create(unit=cast.unit6, name="June 2026", kind="real")
    BoundarySet.objects.create(
        series=series, max_mark=60, distinction=48, merit=36, pass_mark=24, source="Test"
    )
    ExamMark.objects.create(enrolment=unit6, series=series, mark=40, entered_by=cast.teacher)
    book = group_workbook(cast, client_for)
    assert summary_rows(book)[0]["Unit 6 achieved"] == "Merit"
    assert cell_named(book["Unit 6"], 7, "Grade achieved").value == "Merit"


def late_flag(cast, client_for) -> str:
    row = summary_rows(group_workbook(cast, client_for))[0]
    flags = [f for f in (row["Flags"] or "").split("; ") if "Deadline passed" in f]
    return flags[0] if flags else ""


def test_late_work_counts_only_what_the_target_needs_and_says_so(cast, client_for):
    assignment = cast.assignment
    assignment.deadline = cast.year.starts_on + timedelta(days=1)
    assignment.save(update_fields=["deadline"])
    # P1 is handed in already (the cast's evidence); P2, M1 and D1 are not.
    assignment.criteria.set(cast.unit30.criteria.filter(code__in=["P1", "P2", "M1", "D1"]))

    set_target(cast.enrolment, "P")
    assert late_flag(cast, client_for) == (
        "Unit 30: Deadline passed: Handout (P2 outstanding, needed for the Pass target)"
    )
    set_target(cast.enrolment, "M")
    assert "(P2, M1 outstanding, needed for the Merit target)" in late_flag(cast, client_for)
    set_target(cast.enrolment, "D")
    assert "(P2, M1, D1 outstanding, needed for the Distinction target)" in late_flag(
        cast, client_for
    )
    set_target(cast.enrolment, "")
    assert "(P2, M1, D1 outstanding, no target set, so every criterion counts)" in late_flag(
        cast, client_for
    )
    # With P2 handed in, a Pass target needs nothing more from this assignment.
    decide(cast, ["P2"], status="achieved")
    set_target(cast.enrolment, "P")
    assert late_flag(cast, client_for) == ""
