"""Registering learners on a qualification: the MIS import's Qualification column and the
learner page."""

from django.urls import reverse

from criteria.models import Qualification
from tracker.people.importing import apply_plan, build_plan, read_table

FILE = (
    "Candidate No,Forename,Surname,Email,Teaching Group,Qualification\n"
    "0101,Hannah,Baker,hannah.baker@example.org,13A,05833\n"
    "0001,Lara,Learner,lara.learner@learners.example.org,13A,"
    "OCR Level 3 Cambridge Technical Extended Certificate in Health and Social Care\n"
)


def plan_for(cast, text: str):
    return build_plan(read_table(text.encode(), "mis.csv"), cast.centre, cast.year)


def test_the_qualification_column_registers_by_code_or_name(cast):
    plan = plan_for(cast, FILE)
    assert plan.ok, plan.errors
    lara = next(row for row in plan.learners if row.candidate_number == "0001")
    assert lara.changes == [
        "Qualification: — → OCR Level 3 Cambridge Technical Extended Certificate in Health "
        "and Social Care"
    ]
    apply_plan(plan, cast.admin)
    cast.learner.refresh_from_db()
    assert cast.learner.qualification.code == "05831"
    hannah = cast.centre.learners.get(candidate_number="0101")
    assert hannah.qualification.code == "05833"
    again = plan_for(cast, FILE)
    assert again.to_write == 0


def test_an_unknown_qualification_is_an_error_by_row_and_column(cast):
    plan = plan_for(cast, FILE.replace("05833", "BTEC99"))
    assert [str(error) for error in plan.errors] == [
        "Row 2, Qualification: unknown qualification 'BTEC99' (use its code, e.g. 05833, "
        "or its full name)"
    ]


def test_an_empty_qualification_cell_keeps_the_registration(cast):
    cast.learner.qualification = Qualification.objects.get(code="05833")
    cast.learner.save()
    text = FILE.split("\n")[0] + "\n0001,Lara,Learner,lara.learner@learners.example.org,13A,\n"
    plan = plan_for(cast, text)
    assert plan.ok and plan.to_write == 0


def test_a_teacher_registers_their_learner_on_the_learner_page(cast, client_for):
    diploma = Qualification.objects.get(code="05833")
    url = reverse("learner_qualification", args=[cast.learner.pk])
    response = client_for("teacher").post(url, {"qualification": diploma.pk})
    assert response.status_code == 302
    cast.learner.refresh_from_db()
    assert cast.learner.qualification == diploma
    page = client_for("teacher").get(reverse("learner", args=[cast.learner.pk]))
    assert diploma.name in page.content.decode()


def test_a_post_without_the_field_changes_nothing(cast, client_for):
    diploma = Qualification.objects.get(code="05833")
    cast.learner.qualification = diploma
    cast.learner.save()
    url = reverse("learner_qualification", args=[cast.learner.pk])
    client_for("teacher").post(url, {})
    cast.learner.refresh_from_db()
    assert cast.learner.qualification == diploma


def test_not_registered_is_a_choice(cast, client_for):
    cast.learner.qualification = Qualification.objects.get(code="05833")
    cast.learner.save()
    url = reverse("learner_qualification", args=[cast.learner.pk])
    client_for("admin").post(url, {"qualification": ""})
    cast.learner.refresh_from_db()
    assert cast.learner.qualification is None


def test_other_teachers_and_ivs_cannot_register(cast, client_for):
    url = reverse("learner_qualification", args=[cast.learner.pk])
    diploma = Qualification.objects.get(code="05833")
    assert client_for("other_teacher").post(url, {"qualification": diploma.pk}).status_code == 404
    assert client_for("iv").post(url, {"qualification": diploma.pk}).status_code == 403
