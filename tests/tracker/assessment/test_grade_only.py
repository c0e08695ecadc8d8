"""Grade-only units: entered by a teacher on the learner's page, or imported from a file
(all rows or none, with a preview), each change in the history."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from criteria.models import Qualification, QualificationUnit
from tracker.models import GradeOnlyChange, GradeOnlyResult


def register(learner, code="05833"):
    learner.qualification = Qualification.objects.get(code=code)
    learner.save(update_fields=["qualification"])
    return learner.qualification


def unit(code: str, number: int) -> QualificationUnit:
    return QualificationUnit.objects.get(qualification__code=code, number=number)


def test_a_teacher_enters_grades_and_the_history_keeps_them(cast, client_for):
    register(cast.learner)
    one = unit("05833", 1)
    url = reverse("learner_units", args=[cast.learner.pk])
    page = client_for("teacher").get(url)
    assert "Unit 1: Building positive relationships" in page.content.decode()
    assert "Unit 6:" not in page.content.decode().split("Units entered as grades")[1]
    response = client_for("teacher").post(url, {f"a{one.pk}": "", f"p{one.pk}": "M"})
    assert response.status_code == 302
    client_for("teacher").post(url, {f"a{one.pk}": "D", f"p{one.pk}": "M"})
    result = GradeOnlyResult.objects.get(learner=cast.learner, qualification_unit=one)
    assert (result.achieved, result.predicted, result.updated_by) == ("D", "M", cast.teacher)
    changes = list(GradeOnlyChange.objects.filter(result=result).order_by("pk"))
    assert [(c.old_achieved, c.new_achieved, c.new_predicted) for c in changes] == [
        ("", "", "M"),
        ("", "D", "M"),
    ]


def test_a_unit_left_out_of_the_post_keeps_its_grades(cast, client_for):
    register(cast.learner)
    one, two = unit("05833", 1), unit("05833", 2)
    url = reverse("learner_units", args=[cast.learner.pk])
    client_for("teacher").post(url, {f"a{one.pk}": "P", f"p{one.pk}": ""})
    client_for("teacher").post(url, {f"a{two.pk}": "M", f"p{two.pk}": ""})
    assert GradeOnlyResult.objects.get(qualification_unit=one).achieved == "P"


def test_a_bad_grade_is_a_form_error_and_saves_nothing(cast, client_for):
    register(cast.learner)
    one = unit("05833", 1)
    url = reverse("learner_units", args=[cast.learner.pk])
    response = client_for("teacher").post(url, {f"a{one.pk}": "X", f"p{one.pk}": ""})
    assert response.status_code == 200
    assert not GradeOnlyResult.objects.exists()


def test_near_pass_only_where_the_suite_awards_it(cast, client_for):
    register(cast.learner, "L3-2012-SUBDIP")
    one = unit("L3-2012-SUBDIP", 1)
    url = reverse("learner_units", args=[cast.learner.pk])
    response = client_for("teacher").post(url, {f"a{one.pk}": "R", f"p{one.pk}": ""})
    assert response.status_code == 200
    assert not GradeOnlyResult.objects.exists()


def test_the_iv_reads_but_cannot_change(cast, client_for):
    register(cast.learner)
    one = unit("05833", 1)
    url = reverse("learner_units", args=[cast.learner.pk])
    assert client_for("iv").get(url).status_code == 200
    assert client_for("iv").post(url, {f"a{one.pk}": "D", f"p{one.pk}": ""}).status_code == 403


def upload(client, text: str, name="grades.csv"):
    return client.post(reverse("grades_import"), {"file": SimpleUploadedFile(name, text.encode())})


def confirm(client, response):
    return client.post(reverse("grades_import_confirm"), {"token": response.context["token"]})


def test_a_file_imports_after_its_preview(cast, client_for):
    register(cast.learner)
    client = client_for("teacher")
    text = "Candidate No,Unit,Grade,Prediction\n0001,1,D,\n1,2,,Merit\n"
    preview = upload(client, text)
    assert preview.status_code == 200 and preview.context["plan"].ok
    assert not GradeOnlyResult.objects.exists()  # nothing before the confirmation
    assert len(preview.context["plan"].changes) == 2
    confirm(client, preview)
    results = {
        r.qualification_unit.number: (r.achieved, r.predicted)
        for r in GradeOnlyResult.objects.all()
    }
    assert results == {1: ("D", ""), 2: ("", "M")}
    assert GradeOnlyChange.objects.filter(source="import").count() == 2
    again = upload(client, text)
    assert again.context["plan"].changes == []


def test_one_bad_row_imports_nothing_and_names_row_and_column(cast, client_for):
    register(cast.learner)
    text = (
        "Candidate No,Unit,Grade\n"
        "0001,1,D\n"
        "0001,6,M\n"
        "0001,99,M\n"
        "0002,1,P\n"
        "0001,2,Excellent\n"
        "0001,3,=1+1\n"
        "0001,1,M\n"
    )
    preview = upload(client_for("teacher"), text)
    assert [str(error) for error in preview.context["plan"].errors] == [
        "Row 3, Unit: Unit 6 is tracked in full on the site: record it there, not here",
        "Row 4, Unit: '99' is not a unit of Lara Learner's qualification",
        "Row 5, Candidate number: no learner of yours has candidate number '0002'",
        "Row 6, Grade: 'Excellent' is not a unit grade (use U, P, M or D)",
        "Row 7, Grade: '=1+1' is a formula with no saved value: type the grade instead",
        "Row 8, Unit: Lara Learner's unit 1 is already on row 2",
    ]
    assert "nothing has been imported" in preview.content.decode()
    assert not GradeOnlyResult.objects.exists()


def test_a_missing_column_is_named(cast, client_for):
    preview = upload(client_for("admin"), "Candidate No,Grade\n0001,D\n")
    assert [str(error) for error in preview.context["plan"].errors] == [
        'Row 1, Unit: column missing (a header such as "unit")'
    ]


def test_an_xlsx_file_imports_too(cast, client_for):
    import io

    from openpyxl import Workbook

    register(cast.learner)
    book = Workbook()
    sheet = book.active
    sheet.append(["Candidate number", "Unit", "Grade"])
    sheet.append(["0001", 3, "Pass"])
    buffer = io.BytesIO()
    book.save(buffer)
    client = client_for("admin")
    preview = client.post(
        reverse("grades_import"),
        {"file": SimpleUploadedFile("grades.xlsx", buffer.getvalue())},
    )
    assert preview.context["plan"].ok
    confirm(client, preview)
    assert GradeOnlyResult.objects.get().achieved == "P"


def test_a_cancelled_preview_imports_nothing(cast, client_for):
    register(cast.learner)
    client = client_for("teacher")
    preview = upload(client, "Candidate No,Unit,Grade\n0001,1,D\n")
    client.post(reverse("grades_import_cancel"), {"token": preview.context["token"]})
    confirm(client, preview)
    assert not GradeOnlyResult.objects.exists()


def test_the_learners_qualification_figures_show_on_the_page(cast, client_for):
    register(cast.learner)
    GradeOnlyResult.objects.create(
        learner=cast.learner, qualification_unit=unit("05833", 1), achieved="D"
    )
    html = client_for("teacher").get(reverse("learner_units", args=[cast.learner.pk])).content
    text = html.decode()
    assert "Achieved so far (finished units)" in text and "18 points" in text
    assert "Unverified figures" in text
    assert "Unit 30 belongs to the Cambridge Technicals (2012 suite, QCF)" in text


def test_the_page_queries_do_not_grow_with_the_units_entered(
    cast, client_for, django_assert_num_queries
):
    register(cast.learner)
    client = client_for("teacher")
    url = reverse("learner_units", args=[cast.learner.pk])
    GradeOnlyResult.objects.create(
        learner=cast.learner,
        qualification_unit=unit("05833", 1),
        achieved="M",
        updated_by=cast.teacher,
    )
    client.get(url)  # warm the session
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(url)
    for number in (2, 3, 5, 7, 8):
        GradeOnlyResult.objects.create(
            learner=cast.learner,
            qualification_unit=unit("05833", number),
            predicted="D",
            updated_by=cast.other_teacher,
        )
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(url)


PAGE_QUERIES = 26


@pytest.mark.parametrize("typed", ["\u00b2", "9" * 5000, "6a"])
def test_a_unit_that_is_not_a_plain_number_is_a_row_error(cast, client_for, typed):
    """A superscript digit or a number too long for Python to read was a server error."""
    register(cast.learner)
    preview = upload(client_for("teacher"), f"Candidate No,Unit,Grade\n0001,{typed},D\n")
    assert preview.status_code == 200
    assert [str(error) for error in preview.context["plan"].errors] == [
        f"Row 2, Unit: '{typed}' is not a unit of Lara Learner's qualification"
    ]
    assert not GradeOnlyResult.objects.exists()


def test_a_grades_file_with_a_quote_never_closed_is_a_clear_error(cast, client_for):
    register(cast.learner)
    text = 'Candidate No,Unit,Grade\n0001,"1,D\n' + "0001,2,M\n" * 16000
    preview = upload(client_for("teacher"), text)
    assert preview.status_code == 200
    assert "a quote mark (&quot;) is never closed" in preview.content.decode()
    assert not GradeOnlyResult.objects.exists()
