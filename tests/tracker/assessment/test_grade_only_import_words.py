"""Grades import: units typed as "Unit 5", formulas Excel never saved a value for, leavers,
and Near Pass only on examined units."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from criteria.models import Qualification, QualificationUnit
from tracker.models import GradeOnlyResult


def register(learner, code="05833"):
    learner.qualification = Qualification.objects.get(code=code)
    learner.save(update_fields=["qualification"])


def upload(client, content: bytes, name="grades.csv"):
    return client.post(reverse("grades_import"), {"file": SimpleUploadedFile(name, content)})


def errors(response) -> list[str]:
    return [str(error) for error in response.context["plan"].errors]


@pytest.mark.parametrize("typed", ["Unit 5", "unit 05", "5", "UNIT5"])
def test_a_unit_may_be_typed_with_the_word_unit(cast, client_for, typed):
    register(cast.learner)
    preview = upload(client_for("teacher"), f"Candidate No,Unit,Grade\n0001,{typed},D\n".encode())
    assert preview.context["plan"].ok, errors(preview)
    assert preview.context["plan"].rows[0].unit.number == 5


def test_an_xlsx_formula_with_no_saved_value_is_refused_on_its_row_and_column(cast, client_for):
    """openpyxl writes formulas without a calculated value, as a script or Excel with manual
    calculation would: the cell was read as empty and the row skipped silently."""
    register(cast.learner)
    book = Workbook()
    sheet = book.active
    sheet.append(["Candidate number", "Unit", "Grade"])
    sheet.append(["0001", 3, "Pass"])
    sheet.append(["0001", 5, '=IF(A1="","D","M")'])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = upload(client_for("teacher"), buffer.getvalue(), "grades.xlsx")
    assert errors(preview) == [
        'Row 3, Grade: \'=IF(A1="","D","M")\' is a formula with no saved value: type the '
        "grade instead"
    ]
    assert not GradeOnlyResult.objects.exists()


def test_a_leavers_candidate_number_says_they_have_left(cast, client_for):
    register(cast.learner)
    cast.learner.left_on = datetime.date(2026, 10, 1)
    cast.learner.save(update_fields=["left_on"])
    preview = upload(client_for("admin"), b"Candidate No,Unit,Grade\n0001,5,D\n")
    assert errors(preview) == [
        "Row 2, Candidate number: Lara Learner (candidate number '0001') has left the centre: "
        "a leaver's grades cannot change"
    ]


def test_near_pass_only_for_examined_units_in_the_import(cast, client_for):
    register(cast.learner)
    assert QualificationUnit.objects.get(qualification__code="05833", number=1).examined
    text = b"Candidate No,Unit,Grade\n0001,1,R\n0001,5,R\n"
    preview = upload(client_for("teacher"), text)
    assert errors(preview) == [
        "Row 3, Grade: Near Pass (R) is only for examined units; Unit 5 is assessed by the centre"
    ]


def test_near_pass_is_offered_only_for_examined_units_on_the_page(cast, client_for):
    register(cast.learner)
    five = QualificationUnit.objects.get(qualification__code="05833", number=5)
    one = QualificationUnit.objects.get(qualification__code="05833", number=1)
    client = client_for("teacher")
    page = client.get(reverse("learner_units", args=[cast.learner.pk]))
    form = page.context["form"]
    assert "R" in [value for value, _ in form.fields[f"a{one.pk}"].choices]
    assert "R" not in [value for value, _ in form.fields[f"a{five.pk}"].choices]
    refused = client.post(
        reverse("learner_units", args=[cast.learner.pk]), {f"a{five.pk}": "R", f"p{five.pk}": ""}
    )
    assert refused.status_code == 200
    assert not GradeOnlyResult.objects.exists()


def test_the_planner_offers_near_pass_only_for_examined_units(cast):
    from criteria.grading import Grade
    from tracker.assessment.qualifications import (
        QualificationError,
        qualification_progress_for,
        what_if,
    )

    register(cast.learner)
    state = qualification_progress_for([cast.learner])[cast.learner.pk]
    rows = {row.number: row for row in state.rows + state.available}
    assert Grade.R in rows[1].allowed_grades
    assert Grade.R not in rows[5].allowed_grades
    with pytest.raises(QualificationError):
        what_if(state, {5: Grade.R})
